//! An event's `format` file, and the decoding of its binary records by it.

use crate::escape;
use serde_json::{Map, Value};

/// A decoded field value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Int(Value),
    Text(String),
    Bytes(Vec<u8>),
}

impl Val {
    fn json(self) -> Value {
        match self {
            Val::Int(v) => v,
            Val::Text(s) => Value::from(s),
            Val::Bytes(b) => Value::from(hex(&b)),
        }
    }
}

impl std::fmt::Display for Val {
    /// Numbers as they are, text quoted with JSON escapes (one line stays one line, no character of it reaches
    /// the terminal raw: see escape.rs), bytes in bare hex.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Int(v) => write!(f, "{v}"),
            Val::Text(s) => f.write_str(&escape::quoted(s)),
            Val::Bytes(b) => f.write_str(&hex(b)),
        }
    }
}

/// One field of a format file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    pub name: String,
    pub ty: String,
    pub offset: usize,
    pub size: usize,
    pub signed: bool,
}

impl FieldDef {
    /// `TYPE NAME` as a registration text spells it (an array's `[N]` stays on the type).
    pub fn decl(&self) -> String {
        format!("{} {}", self.ty, self.name)
    }
}

/// An event's layout: its id (the `common_type` of its records), the common fields and its own.
#[derive(Debug, Clone)]
pub struct Format {
    pub id: u16,
    pub pid: Option<FieldDef>,
    pub fields: Vec<FieldDef>,
}

impl Format {
    pub fn parse(text: &str) -> Result<Format, String> {
        let mut id = None;
        let mut pid = None;
        let mut fields = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if let Some(v) = line.strip_prefix("ID:") {
                id = v.trim().parse().ok();
            } else if line.starts_with("field:") {
                let f = parse_field(line).ok_or_else(|| format!("unreadable format line: {line}"))?;
                if f.name == "common_pid" {
                    pid = Some(f);
                } else if !f.name.starts_with("common_") {
                    fields.push(f);
                }
            }
        }
        Ok(Format { id: id.ok_or("format file without ID")?, pid, fields })
    }

    /// The fields as a registration text lists them: `u32 id; __rel_loc char[] path`.
    pub fn decl(&self) -> String {
        self.fields.iter().map(FieldDef::decl).collect::<Vec<_>>().join("; ")
    }

    /// The thread that wrote the record (`common_pid` is the kernel's pid of a task: a thread id).
    pub fn tid(&self, rec: &[u8]) -> i64 {
        self.pid.as_ref().and_then(|f| int(rec, f)).unwrap_or(-1)
    }

    /// The integer field `name` of a record, if the format has it and the record holds it.
    pub fn int_field(&self, rec: &[u8], name: &str) -> Option<i64> {
        int(rec, self.fields.iter().find(|f| f.name == name)?)
    }

    /// The field values of one record, typed; a field outside the record is left out.
    pub fn decode(&self, rec: &[u8]) -> Vec<(String, Val)> {
        self.fields.iter().filter_map(|f| Some((f.name.clone(), value(rec, f)?))).collect()
    }
}

/// `field:unsigned char[16] o; offset:8; size:16; signed:0;`
fn parse_field(line: &str) -> Option<FieldDef> {
    let mut parts = line.split(';').map(str::trim);
    let decl = parts.next()?.strip_prefix("field:")?.trim();
    let (ty, name) = decl.rsplit_once(' ')?;
    let (mut ty, mut name) = (ty.trim().to_string(), name.to_string());
    // Kernel events write arrays as `char comm[16]`; user_events as `char[16] comm`.
    if let Some((n, dim)) = name.split_once('[') {
        ty = format!("{ty}[{dim}");
        name = n.to_string();
    }
    // A dynamic array's length means nothing, and 6.12 leaves it uninitialised for user events
    // (`__rel_loc char[9499888] key`): it is `[]`, as registered.
    if ty.starts_with("__rel_loc") || ty.starts_with("__data_loc") {
        if let (Some(open), Some(close)) = (ty.find('['), ty.rfind(']')) {
            ty.replace_range(open + 1..close, "");
        }
    }
    let mut get = |key: &str| -> Option<usize> {
        let p = parts.next()?;
        p.strip_prefix(key)?.trim().parse().ok()
    };
    let offset = get("offset:")?;
    let size = get("size:")?;
    let signed = get("signed:").unwrap_or(0) == 1;
    Some(FieldDef { name, ty, offset, size, signed })
}

fn int(rec: &[u8], f: &FieldDef) -> Option<i64> {
    match value(rec, f)? {
        Val::Int(Value::Number(n)) => n.as_i64(),
        _ => None,
    }
}

/// How a field's bytes read: integers by size and sign, `char` data as text, other data as bytes.
fn value(rec: &[u8], f: &FieldDef) -> Option<Val> {
    let raw = rec.get(f.offset..f.offset + f.size)?;
    let dynamic = f.ty.starts_with("__rel_loc") || f.ty.starts_with("__data_loc");
    if dynamic {
        let loc = u32::from_ne_bytes(raw.get(..4)?.try_into().ok()?);
        let (off, len) = ((loc & 0xffff) as usize, (loc >> 16) as usize);
        // __rel_loc offsets count from the end of the field, __data_loc from the start of the record.
        let start = if f.ty.starts_with("__rel_loc") { f.offset + f.size + off } else { off };
        let data = rec.get(start..start + len)?;
        return Some(data_value(&f.ty, data));
    }
    if f.ty.contains('[') {
        return Some(data_value(&f.ty, raw));
    }
    Some(Val::Int(match (f.size, f.signed) {
        (1, false) => Value::from(raw[0]),
        (1, true) => Value::from(raw[0] as i8),
        (2, false) => Value::from(u16::from_ne_bytes(raw.try_into().ok()?)),
        (2, true) => Value::from(i16::from_ne_bytes(raw.try_into().ok()?)),
        (4, false) => Value::from(u32::from_ne_bytes(raw.try_into().ok()?)),
        (4, true) => Value::from(i32::from_ne_bytes(raw.try_into().ok()?)),
        (8, false) => Value::from(u64::from_ne_bytes(raw.try_into().ok()?)),
        (8, true) => Value::from(i64::from_ne_bytes(raw.try_into().ok()?)),
        _ => return Some(Val::Bytes(raw.to_vec())),
    }))
}

/// As the kernel prints them (trace_events_user.c, `user_field_format` and `user_field_is_dyn_string`): an array
/// whose element type names `char` (`char[N]`, `unsigned char[N]`, `__rel_loc char[]`) is text up to the first
/// NUL (floats, ue-tracing's `level`); other data (`__rel_loc u8[]`) is bytes, in hex.
fn data_value(ty: &str, data: &[u8]) -> Val {
    let elem = ty.trim_start_matches("__rel_loc").trim_start_matches("__data_loc").trim();
    if elem.contains("char") {
        let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
        Val::Text(String::from_utf8_lossy(&data[..end]).into_owned())
    } else {
        Val::Bytes(data.to_vec())
    }
}

pub fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    b.iter().fold(String::with_capacity(2 * b.len()), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

/// Who wrote a record: the thread (`common_pid`) and its process, if known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writer {
    pub pid: Option<i64>,
    pub tid: i64,
}

/// One line: `time pid tid event field=value …` (an unknown pid is `-`; strings quoted with escapes, names
/// escaped: any process may register them, so a line stays one line and shows what it holds).
pub fn text_line(time_ns: u64, who: Writer, event: &str, fields: &[(String, Val)]) -> String {
    let (secs, micros) = (time_ns / 1_000_000_000, time_ns % 1_000_000_000 / 1000);
    let pid = who.pid.map_or_else(|| "-".to_string(), |p| p.to_string());
    let mut s = format!("{secs}.{micros:06} {pid} {} {}", who.tid, escape::text(event));
    for (k, v) in fields {
        s.push(' ');
        s.push_str(&escape::text(k));
        s.push('=');
        s.push_str(&v.to_string());
    }
    s
}

/// One JSON object (the schema is README's, "`ue record --json`"): `{"type":"record", "time":…, "time_ns":…,
/// "unix_ns":…, "pid":…|null, "tid":…, "event":"…", "fields":{…}}`; `unix_ns` is `time_ns` on the wall clock.
pub fn json_line(time_ns: u64, unix_ns: u64, who: Writer, event: &str, fields: Vec<(String, Val)>) -> String {
    escape::json(Value::Object(json_record(time_ns, unix_ns, who, event, fields)).to_string())
}

/// [`json_line`]'s object, for a caller that adds to it (`stack`, with `-g`) before escaping it.
pub fn json_record(
    time_ns: u64,
    unix_ns: u64,
    who: Writer,
    event: &str,
    fields: Vec<(String, Val)>,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), Value::from("record"));
    m.insert("time".into(), Value::from(time_ns as f64 / 1e9));
    m.insert("time_ns".into(), Value::from(time_ns));
    m.insert("unix_ns".into(), Value::from(unix_ns));
    m.insert("pid".into(), who.pid.map_or(Value::Null, Value::from));
    m.insert("tid".into(), Value::from(who.tid));
    m.insert("event".into(), Value::from(event));
    m.insert("fields".into(), Value::Object(fields.into_iter().map(|(k, v)| (k, v.json())).collect()));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    const FMT: &str = "name: ev\nID: 1234\nformat:\n\
        \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
        \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n\
        \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n\
        \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n\
        \tfield:s16 a;\toffset:8;\tsize:2;\tsigned:1;\n\
        \tfield:__rel_loc char[9499888] s;\toffset:10;\tsize:4;\tsigned:0;\n\
        \tfield:__rel_loc u8[] b;\toffset:14;\tsize:4;\tsigned:0;\n\
        \tfield:unsigned char[2] arr;\toffset:18;\tsize:2;\tsigned:0;\n\n\
        print fmt: \"…\"\n";

    #[test]
    fn a_record_decodes_by_its_format() {
        let f = Format::parse(FMT).unwrap();
        assert_eq!(f.id, 1234);
        assert_eq!(f.decl(), "s16 a; __rel_loc char[] s; __rel_loc u8[] b; unsigned char[2] arr");
        let mut rec = vec![0xd2, 0x04, 0, 0];
        rec.extend(42i32.to_ne_bytes());
        rec.extend((-2i16).to_ne_bytes());
        // s: 3 bytes "hi\0" right after the fixed part (ends at 20): offset from the end of s (14) is 6.
        rec.extend(((3u32 << 16) | 6).to_ne_bytes());
        // b: 2 bytes after s's data (at 23): offset from the end of b (18) is 5.
        rec.extend(((2u32 << 16) | 5).to_ne_bytes());
        rec.extend([0x00, 0x7f]);
        rec.extend(b"hi\0");
        rec.extend([0xde, 0xad]);
        assert_eq!(f.tid(&rec), 42);
        let v = f.decode(&rec);
        let who = Writer { pid: Some(40), tid: 42 };
        assert_eq!(
            text_line(1_500_000_123, who, "user_events:ev", &v),
            "1.500000 40 42 user_events:ev a=-2 s=\"hi\" b=dead arr=\"\""
        );
        assert_eq!(text_line(0, Writer { pid: None, tid: 42 }, "e", &[]), "0.000000 - 42 e");
        let j: Value = serde_json::from_str(&json_line(7, 1_700_000_000_000_000_007, who, "e", v)).unwrap();
        assert_eq!((j["time_ns"].as_u64(), j["unix_ns"].as_u64()), (Some(7), Some(1_700_000_000_000_000_007)));
        assert_eq!((j["type"].as_str(), j["pid"].as_i64(), j["tid"].as_i64()), (Some("record"), Some(40), Some(42)));
        assert_eq!(j["fields"]["a"], -2);
        assert_eq!(j["fields"]["s"], "hi");
        assert_eq!(j["fields"]["b"], "dead");
    }

    #[test]
    fn names_and_text_from_other_processes_print_escaped() {
        let v = vec![("k\u{1b}[31m".to_string(), Val::Text("a\nb\u{202e}c\u{9b}".into()))];
        assert_eq!(
            text_line(0, Writer { pid: Some(1), tid: 1 }, "user_events:e\rf", &v),
            "0.000000 1 1 user_events:e\\rf k\\u001b[31m=\"a\\nb\\u202ec\\u009b\""
        );
        let j = json_line(0, 0, Writer { pid: None, tid: 1 }, "e\u{2066}", v);
        assert!(!j.chars().any(escape::is_unsafe), "{j}");
        let back: Value = serde_json::from_str(&j).unwrap();
        assert_eq!(
            (back["event"].as_str(), back["fields"]["k\u{1b}[31m"].as_str()),
            (Some("e\u{2066}"), Some("a\nb\u{202e}c\u{9b}"))
        );
    }

    #[test]
    fn char_arrays_read_as_text_up_to_the_first_nul_as_the_kernel_prints_them() {
        let fmt = "ID: 7\n\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\
            \tfield:unsigned char[6] level;\toffset:8;\tsize:6;\tsigned:0;\n\
            \tfield:unsigned char[8] ratio;\toffset:14;\tsize:8;\tsigned:0;\n\
            \tfield:char comm[4];\toffset:22;\tsize:4;\tsigned:0;\n";
        let f = Format::parse(fmt).unwrap();
        let mut rec = vec![0u8; 8];
        rec.extend(b"INFO\0\0");
        rec.extend(b"0.25\0\0\0\0");
        rec.extend(b"sh\0x");
        let v = f.decode(&rec);
        let who = Writer { pid: Some(1), tid: 1 };
        assert_eq!(text_line(0, who, "e", &v), "0.000000 1 1 e level=\"INFO\" ratio=\"0.25\" comm=\"sh\"");
    }

    #[test]
    fn a_field_past_the_record_is_left_out() {
        let f = Format::parse(FMT).unwrap();
        assert!(f.decode(&[0u8; 9]).is_empty());
    }
}
