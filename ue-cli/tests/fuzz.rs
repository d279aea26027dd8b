//! Property tests of the section parser and the ELF reader (host tests, a few seconds): generated sections and
//! files, valid and mutated, in both widths and byte orders. Whatever the input: no panic, an answer (bounded
//! work), and nothing printed that could forge a line or drive a terminal. proptest shrinks a failure to a
//! minimal input and keeps it in tests/fuzz.proptest-regressions (commit it), replayed first by every later run.
//! More cases: `PROPTEST_CASES=100000 cargo test -p ue-cli --test fuzz`.

mod common;

use common::elf_file::{elf, zlib_section, Sec, Shape, SHF_COMPRESSED, SHT_NOBITS};
use proptest::prelude::*;
use proptest::sample::select;
use ue_cli::elf::{events_in, parse_section, Entry};

/// The characters that must never reach the output raw, spelled out here rather than taken from escape.rs, so
/// that a character that module forgets is caught: controls (C0, DEL, C1), the bidi controls, the line and
/// paragraph separators.
fn forbidden(c: char) -> bool {
    let c = c as u32;
    c < 0x20
        || (0x7f..=0x9f).contains(&c)
        || (0x202a..=0x202e).contains(&c)
        || (0x2066..=0x2069).contains(&c)
        || [0x61c, 0x200e, 0x200f, 0x2028, 0x2029].contains(&c)
}

/// The cases of each property: the given number unless PROPTEST_CASES says otherwise.
fn config(cases: u32) -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = cases;
    }
    c
}

/// Characters that matter here: separators, the name alphabet, controls, bidi overrides, anything.
fn a_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => select(&['a', 'z', 'A', '_', '0', '9', ' ', ';', ':', '[', ']'][..]),
        2 => select(&['\n', '\r', '\t', '\u{1b}', '\u{7f}', '\u{9b}', '\u{202e}', '\u{2066}', '\u{2028}', '\\', '"'][..]),
        1 => any::<char>(),
    ]
}

fn a_name() -> impl Strategy<Value = String> {
    prop::collection::vec(a_char(), 1..10).prop_map(|v| v.into_iter().collect())
}

/// An entry's text, well formed or nearly: a system, a name, fields.
fn an_entry() -> impl Strategy<Value = Vec<u8>> {
    let system = select(&["user_events", "user_events_multi", "user_event", ""][..]);
    let fields = prop::collection::vec(a_char(), 0..40).prop_map(|v| v.into_iter().collect::<String>());
    prop_oneof![
        6 => (system, a_name(), fields).prop_map(|(s, n, f)| {
            let text = if f.is_empty() { format!("{s}:{n}") } else { format!("{s}:{n} {f}") };
            text.into_bytes()
        }),
        1 => prop::collection::vec(any::<u8>(), 0..30),
    ]
}

/// A section: entries, each NUL-terminated, with padding between some; the last terminator possibly missing.
fn a_section() -> impl Strategy<Value = Vec<u8>> {
    (prop::collection::vec((an_entry(), 0..3usize), 0..8), any::<bool>()).prop_map(|(entries, cut)| {
        let mut out = Vec::new();
        for (e, pad) in entries {
            out.extend(e.iter().filter(|&&b| b != 0));
            out.extend(std::iter::repeat_n(0, pad + 1));
        }
        if cut {
            out.pop();
        }
        out
    })
}

/// Valid entries only (the ones `ue list` must find again in any file that holds them).
fn valid_entries() -> impl Strategy<Value = Vec<String>> {
    let name = (select(&['a', 'q', '_', 'Z'][..]), prop::collection::vec(select(&['a', '0', '_', 'k'][..]), 0..6))
        .prop_map(|(c, v)| std::iter::once(c).chain(v).collect::<String>());
    let field =
        (select(&["u8", "u32", "s64", "__rel_loc char[]"][..]), name.clone()).prop_map(|(t, n)| format!("{t} {n}"));
    let entry = (any::<bool>(), name, prop::collection::vec(field, 0..4)).prop_map(|(multi, n, f)| {
        let system = if multi { "user_events_multi" } else { "user_events" };
        if f.is_empty() {
            format!("{system}:{n}")
        } else {
            format!("{system}:{n} {}", f.join("; "))
        }
    });
    prop::collection::vec(entry, 1..6)
}

fn a_shape() -> impl Strategy<Value = Shape> {
    (any::<bool>(), any::<bool>()).prop_map(|(elf64, big_endian)| Shape { elf64, big_endian })
}

/// What `ue` says must be short and clean: no line break, no control, no bidi override.
fn assert_clean(what: &str, limit: usize) {
    assert!(what.len() <= limit, "{} bytes: {what}", what.len());
    assert!(!what.chars().any(forbidden), "unsafe character in {what:?}");
}

/// Each entry as `ue list` prints it, checked clean; the section they make, parsed again.
fn check_entries(entries: &[Entry]) {
    for e in entries {
        assert_clean(&e.to_string(), 8 * 1024);
    }
    assert!(entries.windows(2).all(|w| w[0] < w[1]), "sorted, each once");
    let again: Vec<u8> = entries
        .iter()
        .flat_map(|e| format!("{}:{}", e.system(), e.text()).into_bytes().into_iter().chain([0]))
        .collect();
    assert_eq!(&parse_section(&again).unwrap(), entries, "what is listed reads back the same");
}

proptest! {
    #![proptest_config(config(1500))]

    /// The parser accepts a section exactly when it is non-empty, ends with a NUL and every entry in it is well
    /// formed (by `Entry::parse`, the one rule for an entry); what it accepts prints clean and reads back the
    /// same; what it refuses it says in a short, clean message.
    #[test]
    fn the_section_parser_accepts_exactly_whole_well_formed_sections(bytes in a_section()) {
        let chunks_ok = bytes.split(|&b| b == 0).filter(|c| !c.is_empty()).all(|c| std::str::from_utf8(c).ok().and_then(Entry::parse).is_some());
        let some = bytes.split(|&b| b == 0).any(|c| !c.is_empty());
        let whole = bytes.last() == Some(&0);
        match parse_section(&bytes) {
            Ok(entries) => {
                prop_assert!(chunks_ok && some && whole, "accepted {bytes:?}");
                check_entries(&entries);
            }
            Err(e) => {
                prop_assert!(!(chunks_ok && some && whole), "refused {bytes:?}: {e}");
                assert_clean(&e, 600);
            }
        }
    }
}

proptest! {
    #![proptest_config(config(300))]

    /// Any valid section in any ELF file (both widths, both byte orders, other sections around it, stored or
    /// compressed) lists exactly its entries.
    #[test]
    fn the_reader_finds_the_section_in_any_well_formed_file(
        entries in valid_entries(),
        shape in a_shape(),
        before in 0..4usize,
        compressed in any::<bool>(),
    ) {
        let bytes: Vec<u8> = entries.iter().flat_map(|e| e.bytes().chain([0])).collect();
        let mut sections: Vec<Sec> = (0..before).map(|i| Sec::new(&format!(".other{i}"), &[i as u8; 24])).collect();
        let mut bss = Sec::new(".bss", b"");
        bss.sh_type = SHT_NOBITS;
        bss.size = Some(1 << 40);
        sections.push(bss);
        let mut s = Sec::new("ue_events", &bytes);
        if compressed {
            s = Sec::new("ue_events", &zlib_section(&bytes, None, shape));
            s.flags |= SHF_COMPRESSED;
        }
        sections.push(s);
        let file = elf(&sections, shape);
        prop_assert_eq!(events_in(&file), parse_section(&bytes));
    }
}

/// A mutation of a file: bytes overwritten, a field stamped with a telling value, or the file cut.
#[derive(Debug, Clone)]
enum Mutation {
    Byte(usize, u8),
    Stamp(usize, u64, u8),
    Cut(usize),
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    let at = prop_oneof![3 => 0..64usize, 2 => 0..4096usize];
    let value = select(vec![0u64, 1, 7, 0x40, 0xff, 0xffff, 0xff00, u64::from(u32::MAX), u64::MAX, 1 << 31, 1 << 40]);
    let m = prop_oneof![
        3 => (at.clone(), any::<u8>()).prop_map(|(a, b)| Mutation::Byte(a, b)),
        3 => (at.clone(), value, select(&[2u8, 4, 8][..])).prop_map(|(a, v, w)| Mutation::Stamp(a, v, w)),
        1 => at.prop_map(Mutation::Cut),
    ];
    prop::collection::vec(m, 1..6)
}

/// Applies the mutations; stamps land at the end of the file too (where the section headers are), counted back.
fn mutate(mut f: Vec<u8>, ms: &[Mutation]) -> Vec<u8> {
    for m in ms {
        let len = f.len();
        let place = |a: usize| if a >= 64 && len > 0 { len - 1 - (a - 64) % len } else { a };
        match *m {
            Mutation::Byte(a, b) => {
                if let Some(x) = f.get_mut(place(a)) {
                    *x = b;
                }
            }
            Mutation::Stamp(a, v, w) => {
                let a = place(a);
                let b = v.to_le_bytes();
                if let Some(x) = f.get_mut(a..a + w as usize) {
                    x.copy_from_slice(&b[..w as usize]);
                }
            }
            Mutation::Cut(a) => f.truncate(place(a)),
        }
    }
    f
}

proptest! {
    #![proptest_config(config(1500))]

    /// Whatever is done to a file's headers, section table or section, the reader answers: a list that prints
    /// clean, or a short, clean message.
    #[test]
    fn any_damage_to_a_file_ends_in_an_answer(
        entries in valid_entries(),
        shape in a_shape(),
        compressed in any::<bool>(),
        ms in mutations(),
    ) {
        let bytes: Vec<u8> = entries.iter().flat_map(|e| e.bytes().chain([0])).collect();
        let mut s = Sec::new("ue_events", &bytes);
        if compressed {
            s = Sec::new("ue_events", &zlib_section(&bytes, None, shape));
            s.flags |= SHF_COMPRESSED;
        }
        let file = mutate(elf(&[Sec::new(".text", &[0x90; 40]), s], shape), &ms);
        match events_in(&file) {
            Ok(entries) => check_entries(&entries),
            Err(e) => assert_clean(&e, 600),
        }
    }
}
