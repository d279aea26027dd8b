//! The events compiled into a file: the entries of its `ue_events` section (see ue-abi's section.rs).

use crate::elf_section::{self, FileSource, Source};
use crate::escape;
use std::path::Path;
use ue_abi::{EVENTS_SECTION, MAX_EVENT_DESC, MAX_EVENT_IDS, MULTI_FORMAT, SINGLE_FORMAT};

/// One event as the program registers it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub name: String,
    /// The fields, as registered: `"u32 id; __rel_loc char[] path"`, empty for none.
    pub format: String,
    /// Registered with USER_EVENT_REG_MULTI_FORMAT.
    pub multi: bool,
}

impl Entry {
    /// The tracefs system the kernel puts it in.
    pub fn system(&self) -> &'static str {
        if self.multi {
            MULTI_FORMAT
        } else {
            SINGLE_FORMAT
        }
    }

    /// The registration text, as given to DIAG_IOCSREG.
    pub fn text(&self) -> String {
        if self.format.is_empty() {
            self.name.clone()
        } else {
            format!("{} {}", self.name, self.format)
        }
    }

    /// Its USDT probe as `ue list` shows it, `usdt ue:NAME ARGS` (argument numbers and fields, ue-abi's usdt.rs),
    /// when `probes` (the file's, from probes.rs) has it; escaped as the entry.
    pub fn probe(&self, probes: &[(String, String)]) -> Option<String> {
        let provider = ue_abi::USDT_PROVIDER;
        probes.iter().find(|(p, n)| p == provider && *n == self.name)?;
        let args = ue_abi::usdt::probe_args_of_format(&self.format)?;
        let text = if args.is_empty() {
            format!("{provider}:{}", self.name)
        } else {
            format!("{provider}:{} {args}", self.name)
        };
        Some(format!("usdt {}", escape::text(&text)))
    }

    /// Parses one entry, `<system>:<name>[ <fields>]`.
    pub fn parse(s: &str) -> Option<Entry> {
        let e = ue_abi::parse_entry(s)?;
        Some(Entry { name: e.name.to_string(), format: e.format.to_string(), multi: e.multi })
    }
}

impl std::fmt::Display for Entry {
    /// `system:name fields`, escaped: the text comes from a file anyone may have made (see escape.rs).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.system(), escape::text(&self.text()))
    }
}

/// The largest section a real binary can have, and why: the kernel numbers trace events with 16 bits
/// (TRACE_EVENT_TYPE_MAX, shared with the kernel's own) and takes registration texts of at most MAX_EVENT_DESC
/// bytes, NUL included, each behind a `<system>:` prefix here. Checked before anything of the section is read.
pub const MAX_SECTION: u64 = MAX_EVENT_IDS as u64 * (MULTI_FORMAT.len() as u64 + 1 + MAX_EVENT_DESC as u64);

/// Bytes of a bad entry quoted in a message.
pub const QUOTE_MAX: usize = 64;

/// The events of an executable or shared library, sorted, each once; an error in words a user can act on.
/// Reads the ELF headers and the section only (see elf_section.rs).
pub fn events(path: &Path) -> Result<Vec<Entry>, String> {
    let shown = escape::text(&path.to_string_lossy()).into_owned();
    let src = open(path).map_err(|e| format!("{shown}: {e}"))?;
    section_events(&src).map_err(|e| format!("{shown}: {e}"))
}

/// The USDT probes of an executable or shared library (probes.rs), `(provider, name)`; none when it has none.
pub fn probes(path: &Path) -> Result<Vec<(String, String)>, String> {
    let shown = escape::text(&path.to_string_lossy()).into_owned();
    let src = open(path).map_err(|e| format!("{shown}: {e}"))?;
    crate::probes::in_file(&src).map_err(|e| format!("{shown}: {e}"))
}

/// [`events`] of a file held in memory.
pub fn events_in(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    section_events(bytes)
}

/// Opens a regular file without blocking (a FIFO would wait for a writer) and without reading it.
fn open(path: &Path) -> Result<FileSource, String> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| format!("cannot read: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    let t = meta.file_type();
    let kind = match () {
        () if t.is_file() => return Ok(FileSource { file, len: meta.len() }),
        () if t.is_dir() => "a directory",
        () if t.is_char_device() => "a character device",
        () if t.is_block_device() => "a block device",
        () if t.is_fifo() => "a pipe",
        () if t.is_socket() => "a socket",
        () => "not a regular file",
    };
    Err(format!("not an ELF file but {kind} (ue list reads executables and shared libraries)"))
}

fn section_events(src: &(impl Source + ?Sized)) -> Result<Vec<Entry>, String> {
    section_events_if_any(src)?.ok_or_else(|| {
        format!(
            "no {EVENTS_SECTION} section: it has no ue tracepoints (or was built with a ue-runtime without the \
             section)"
        )
    })
}

/// [`events`], or `None` for a file without the section (a program instrumented through ue-tracing only, or
/// none at all).
pub fn events_if_any(path: &Path) -> Result<Option<Vec<Entry>>, String> {
    let shown = escape::text(&path.to_string_lossy()).into_owned();
    let src = open(path).map_err(|e| format!("{shown}: {e}"))?;
    section_events_if_any(&src).map_err(|e| format!("{shown}: {e}"))
}

fn section_events_if_any(src: &(impl Source + ?Sized)) -> Result<Option<Vec<Entry>>, String> {
    let why_max =
        format!("the kernel has at most {MAX_EVENT_IDS} event ids, each event's text at most {MAX_EVENT_DESC} bytes");
    elf_section::read(src, EVENTS_SECTION, MAX_SECTION, &why_max)?.map(|bytes| parse_section(&bytes)).transpose()
}

/// Splits the section on NUL (empty strings are padding) and parses each entry; every entry ends with its NUL.
/// An error names the entry's offset in the section and quotes at most [`QUOTE_MAX`] bytes of it.
pub fn parse_section(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    if bytes.is_empty() {
        return Err(format!("the {EVENTS_SECTION} section is empty (0 bytes): no events, and no tool made it so"));
    }
    let mut out = Vec::new();
    let mut at = 0;
    for chunk in bytes.split(|&b| b == 0) {
        let end = at + chunk.len();
        if !chunk.is_empty() {
            if end == bytes.len() {
                return Err(format!(
                    "{EVENTS_SECTION} entry at offset {at} is not terminated: the section ends inside it (cut \
                     short?): {}",
                    quote(chunk)
                ));
            }
            let entry = std::str::from_utf8(chunk).ok().and_then(Entry::parse);
            let entry =
                entry.ok_or_else(|| format!("malformed {EVENTS_SECTION} entry at offset {at}: {}", quote(chunk)))?;
            out.push(entry);
        }
        at = end + 1;
    }
    if out.is_empty() {
        return Err(format!("the {EVENTS_SECTION} section holds no entries ({} bytes, all NUL)", bytes.len()));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// At most [`QUOTE_MAX`] bytes of `raw`, in quotes and escaped, and its length when cut.
fn quote(raw: &[u8]) -> String {
    let shown = String::from_utf8_lossy(&raw[..raw.len().min(QUOTE_MAX)]);
    let q = escape::quoted(&shown);
    if raw.len() > QUOTE_MAX {
        format!("{q}… ({} bytes)", raw.len())
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_split_on_nul_skip_padding_and_dedup() {
        let s = b"user_events:b u32 x\0\0\0user_events_multi:a\0user_events:b u32 x\0";
        let e = parse_section(s).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].name.as_str(), e[0].format.as_str(), e[0].multi), ("a", "", true));
        assert_eq!(e[1].to_string(), "user_events:b u32 x");
        assert_eq!(e[1].text(), "b u32 x");
    }

    #[test]
    fn the_section_limit_is_the_one_readme_states() {
        assert_eq!(MAX_SECTION, 34_733_550);
    }

    #[test]
    fn malformed_entries_are_named() {
        assert!(parse_section(b"user_events:ok\0junk\0").unwrap_err().contains("offset 15"));
        assert!(parse_section(b"user_events:9bad u8 x\0").is_err());
    }

    #[test]
    fn an_entry_without_its_nul_or_a_section_without_entries_is_an_error() {
        let e = parse_section(b"user_events:a u8 x\0user_events:b u3").unwrap_err();
        assert!(e.contains("offset 19 is not terminated") && e.contains("\"user_events:b u3\""), "{e}");
        assert!(parse_section(b"").unwrap_err().contains("is empty"));
        assert!(parse_section(b"\0\0\0").unwrap_err().contains("no entries (3 bytes, all NUL)"));
    }

    #[test]
    fn a_bad_entry_is_quoted_short_and_escaped() {
        let mut s = b"user_events:\x1b]0;x".to_vec();
        s.resize(1 << 20, b'A');
        s.push(0);
        let e = parse_section(&s).unwrap_err();
        assert!(e.len() < 200 && e.ends_with("… (1048576 bytes)") && e.contains("\\u001b]0;x"), "{e}");
    }

    #[test]
    fn entries_print_escaped() {
        let e = parse_section("user_events:a u8 x\ny\r\u{202e}\u{1b}[2J\0".as_bytes()).unwrap();
        assert_eq!(e[0].to_string(), "user_events:a u8 x\\ny\\r\\u202e\\u001b[2J");
        assert_eq!(e[0].text(), "a u8 x\ny\r\u{202e}\u{1b}[2J", "registered as it is");
    }
}
