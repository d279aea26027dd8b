//! `ue record --filter EXPR`: the kernel's event filter (Documentation/trace/events.rst, "Event filtering"), the
//! field names it names, and the kernel's words when it refuses one.
//!
//! The kernel is the judge of an expression (kernel/trace/trace_events_filter.c); `ue` reads only as much as it
//! must to know which events the expression fits: the field of each predicate (`field op value`, joined by `&&`
//! and `||`, grouped by `(` `)`, negated by `!`), spelled `[A-Za-z0-9_]+` as the kernel's `parse_pred` reads it.

use crate::format::Format;
use std::collections::BTreeSet;
use std::path::Path;

/// Fields every event has for a filter: the common ones and the kernel's generic fields (trace_events.c,
/// `__generic_field`).
const GENERIC: &[&str] = &["CPU", "cpu", "COMM", "comm", "STACKTRACE", "stacktrace"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub expr: String,
    /// The field names the expression's predicates name, beyond those every event has.
    pub fields: BTreeSet<String>,
}

impl Filter {
    /// The expression and its fields; an expression with no predicate, a predicate without a field name, a
    /// trailing `&&`/`||` or an unterminated string is refused here, anything else is left to the kernel.
    pub fn parse(expr: &str) -> Result<Filter, String> {
        let b = expr.as_bytes();
        let (mut fields, mut i, mut preds) = (BTreeSet::new(), 0, 0);
        let mut expect_field = true;
        while i < b.len() {
            let c = b[i];
            if expect_field {
                if c.is_ascii_whitespace() || c == b'(' || (c == b'!' && b.get(i + 1) != Some(&b'=')) {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                if i == start {
                    return Err(format!("a field name is missing at {:?}", &expr[start..]));
                }
                let name = &expr[start..i];
                if !name.starts_with("common_") && !GENERIC.contains(&name) {
                    fields.insert(name.to_string());
                }
                preds += 1;
                expect_field = false;
                continue;
            }
            match c {
                b'"' | b'\'' => {
                    let close = b[i + 1..].iter().position(|&q| q == c).ok_or("a string is not closed")?;
                    i += close + 2;
                    continue;
                }
                b'&' | b'|' if b.get(i + 1) == Some(&c) => {
                    expect_field = true;
                    i += 1;
                }
                _ => {}
            }
            i += 1;
        }
        if preds == 0 {
            return Err("the expression is empty".into());
        }
        if expect_field {
            return Err("a predicate is missing after the last && or ||".into());
        }
        Ok(Filter { expr: expr.to_string(), fields })
    }

    /// The fields the expression names that `f` lacks (empty: the filter fits the event).
    pub fn missing<'a>(&'a self, f: &Format) -> Vec<&'a str> {
        self.fields.iter().filter(|n| !f.fields.iter().any(|d| d.name == **n)).map(String::as_str).collect()
    }
}

/// Writes the filter to an event of the instance (`events/<system>/<name>/filter`); when the kernel refuses it,
/// its reason: the instance's `error_log` (cleared first, so what it holds is about this write), else the errno.
pub fn apply(instance: &Path, event_dir: &Path, expr: &str) -> Result<(), String> {
    let log = instance.join("error_log");
    let _ = std::fs::write(&log, "");
    let Err(e) = std::fs::write(event_dir.join("filter"), expr) else { return Ok(()) };
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    Err(if said.trim().is_empty() { e.to_string() } else { kernel_words(&said) })
}

/// `[  12.345678] event filter parse error: error: Field not found\n  Command: …\n   ^` without the timestamp.
fn kernel_words(log: &str) -> String {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out = Vec::new();
    for (n, l) in lines.iter().enumerate() {
        let l = if n == 0 { l.split_once("] ").map_or(*l, |(_, rest)| rest) } else { l };
        out.push(crate::escape::text(l).into_owned());
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(expr: &str) -> Vec<String> {
        Filter::parse(expr).unwrap().fields.into_iter().collect()
    }

    #[test]
    fn the_fields_of_each_predicate_are_found() {
        assert_eq!(fields("id == 3"), ["id"]);
        assert_eq!(fields("(status >= 500 || !(peer ~ \"10.*\")) && common_pid != 1"), ["peer", "status"]);
        assert_eq!(fields("path == 'a && b || (c'&&x==1"), ["path", "x"]);
        assert_eq!(fields("comm == bash && CPU == 0 && a != 2"), ["a"]);
        assert_eq!(fields("flags & 4"), ["flags"]);
    }

    #[test]
    fn an_expression_without_a_predicate_or_with_an_open_string_is_refused() {
        assert_eq!(Filter::parse("  ").unwrap_err(), "the expression is empty");
        assert_eq!(Filter::parse("== 3").unwrap_err(), "a field name is missing at \"== 3\"");
        assert_eq!(Filter::parse("id == 3 && ").unwrap_err(), "a predicate is missing after the last && or ||");
        assert_eq!(Filter::parse("path == \"abc").unwrap_err(), "a string is not closed");
    }

    #[test]
    fn the_kernel_s_words_lose_only_the_timestamp() {
        let log =
            "[   12.345678] event filter parse error: error: Field not found\n  Command: idx == 3\n           ^\n";
        assert_eq!(
            kernel_words(log),
            "event filter parse error: error: Field not found\n  Command: idx == 3\n           ^"
        );
    }
}
