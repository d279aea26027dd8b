//! Text from binaries and from the kernel, made safe to print: no character of it can end a line, move the
//! cursor, drive the terminal or reorder what is shown.
//!
//! Escaped: C0 controls (newline, CR, tab, ESC…), DEL, C1 controls (8-bit CSI and friends), the Unicode bidi
//! controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069: overrides, embeddings, isolates, marks) and
//! the line and paragraph separators U+2028/U+2029. In text, also the backslash, so an escape never reads as
//! the character it stands for.

use std::borrow::Cow;

/// Whether `c` must not reach the output as it is.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// `s` with `\n`, `\r`, `\t`, `\\` and `\uXXXX` for the other unsafe characters.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c == '\\' || is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => push_u(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// JSON text as serde_json writes it (C0 controls, `"` and `\` already escaped inside strings) with the other
/// unsafe characters escaped too: they can only be inside strings, where `\uXXXX` means the same character.
pub fn json(s: String) -> String {
    if !s.chars().any(is_unsafe) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            push_u(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// `s` in double quotes with JSON escapes, every unsafe character escaped.
pub fn quoted(s: &str) -> String {
    json(serde_json::Value::from(s).to_string())
}

fn push_u(out: &mut String, c: char) {
    use std::fmt::Write;
    // Every unsafe character is in the Basic Multilingual Plane: four digits name it.
    let _ = write!(out, "\\u{:04x}", c as u32);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_escapes_and_reordering_are_shown_not_obeyed() {
        assert_eq!(text("a u32 x"), "a u32 x");
        assert_eq!(text("x\ny\rz\t\u{1b}[2J\u{202e}w\\"), "x\\ny\\rz\\t\\u001b[2J\\u202ew\\\\");
        assert_eq!(text("\u{9b}\u{7f}\u{2066}\u{2069}\u{2028}é"), "\\u009b\\u007f\\u2066\\u2069\\u2028é");
        assert_eq!(quoted("a\"\n\u{202e}"), "\"a\\\"\\n\\u202e\"");
        let j = json(serde_json::json!({"k\u{202d}": "v\u{85}"}).to_string());
        assert_eq!(j, "{\"k\\u202d\":\"v\\u0085\"}");
        let back: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(back["k\u{202d}"], "v\u{85}", "the same value, spelled safely");
    }

    #[test]
    fn no_unsafe_character_survives() {
        for c in (0..0x3000u32).filter_map(char::from_u32) {
            let s = format!("a{c}b");
            assert!(!text(&s).chars().any(is_unsafe), "{c:?}");
            assert!(!quoted(&s).chars().any(is_unsafe), "{c:?}");
        }
    }
}
