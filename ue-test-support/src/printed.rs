//! How the `trace` file prints field values, and the values the every-type tests write.

/// How the `trace` file prints an integer field of `size` bytes holding `bits` (print_fields in
/// kernel/trace/trace_output.c): 1 byte `'c'(n)` when isprint(c), else `(n)`, 2 bytes `0x.. (u16)`, 4 bytes `0x.. (i32)`,
/// 8 bytes `0x.. (i64)`.
pub fn int_field(name: &str, size: usize, bits: u64) -> String {
    match size {
        1 => {
            let b = bits as u8;
            if b.is_ascii_graphic() || b == b' ' {
                format!("{name}='{}'({b})", b as char)
            } else if b >= 0xa0 {
                // The kernel's isprint() takes Latin-1 letters too; the raw byte reads back as U+FFFD.
                format!("{name}='\u{fffd}'({b})")
            } else {
                format!("{name}=({b})")
            }
        }
        2 => format!("{name}={:#x} ({})", bits as u16, bits as u16),
        4 => format!("{name}={:#x} ({})", bits as u32, bits as u32 as i32),
        _ => format!("{name}={:#x} ({})", bits, bits as i64),
    }
}

/// The value of integer field `name` in a `trace` record (`name=0x1f (31)`, `name=(2)`, `name='a'(97)`).
pub fn int_value(rec: &str, name: &str) -> u64 {
    let key = format!("{name}=");
    let at = rec.split(' ').position(|w| w.starts_with(&key)).unwrap_or_else(|| panic!("no field {name} in {rec:?}"));
    let words: Vec<&str> = rec.split(' ').collect();
    let v = &words[at][key.len()..];
    if let Some(hex) = v.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).unwrap_or_else(|e| panic!("{name} in {rec:?}: {e}"))
    } else {
        let inner = v.rsplit_once('(').and_then(|(_, r)| r.strip_suffix(')')).expect("a (n) value");
        inner.parse().unwrap_or_else(|e| panic!("{name} in {rec:?}: {e}"))
    }
}

/// How the `trace` file prints a `__rel_loc u8[]` field: two hex digits a byte, comma-separated.
pub fn bytes_field(name: &str, b: &[u8]) -> String {
    let hex: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{name}={}", hex.join(","))
}

/// The integer values the every-type tests write (tests/declaration_api.rs, tests/macro_sites.rs,
/// examples/every_type for tests/decoded_by_tools.rs), in this order: u8, u16, u32, u64, i8, i16, i32, i64, usize, isize, bool, char.
pub const EVERY_INT: (u8, u16, u32, u64, i8, i16, i32, i64, usize, isize, bool, char) =
    (7, 65000, 4_000_000_000, 5_000_000_000, -128, -300, -70000, -5_000_000_000, 42, -42, true, 'Z');

/// How the `trace` file prints [`EVERY_INT`] under the twelve field `names`.
pub fn every_int_in_trace(names: [&str; 12]) -> Vec<String> {
    let (a, b, c, d, e, f, g, h, i, j, k, l) = EVERY_INT;
    let bits: [(usize, u64); 12] = [
        (1, a.into()),
        (2, b.into()),
        (4, c.into()),
        (8, d),
        (1, u64::from(e as u8)),
        (2, u64::from(f as u16)),
        (4, u64::from(g as u32)),
        (8, h as u64),
        (8, i as u64),
        (8, j as u64),
        (1, k.into()),
        (4, l as u64),
    ];
    names.iter().zip(bits).map(|(n, (size, v))| int_field(n, size, v)).collect()
}
