//! The events compiled into a file: the entries of its `ue_events` section (see ue-runtime's section.rs).

use object::{Object, ObjectSection};
use std::path::Path;
use ue_abi::{EVENTS_SECTION, MULTI_FORMAT, SINGLE_FORMAT};

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

    /// Parses one entry, `<system>:<name>[ <fields>]`.
    pub fn parse(s: &str) -> Option<Entry> {
        let e = ue_abi::parse_entry(s)?;
        Some(Entry { name: e.name.to_string(), format: e.format.to_string(), multi: e.multi })
    }
}

impl std::fmt::Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.system(), self.text())
    }
}

/// The events of an executable or shared library, sorted, each once; an error in words a user can act on.
pub fn events(path: &Path) -> Result<Vec<Entry>, String> {
    let shown = path.display();
    let data = std::fs::read(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    if !data.starts_with(b"\x7fELF") {
        return Err(format!("{shown}: not an ELF file (ue list reads executables and shared libraries)"));
    }
    let file = object::File::parse(&*data).map_err(|e| format!("{shown}: truncated or corrupt ELF file ({e})"))?;
    let Some(section) = file.section_by_name(EVENTS_SECTION) else {
        return Err(format!(
            "{shown}: no {EVENTS_SECTION} section: it has no ue tracepoints (or was built with a ue-runtime without \
             the section)"
        ));
    };
    let bytes = section.data().map_err(|e| format!("{shown}: truncated {EVENTS_SECTION} section ({e})"))?;
    parse_section(bytes).map_err(|e| format!("{shown}: {e}"))
}

/// Splits the section on NUL (empty strings are padding) and parses each entry.
pub fn parse_section(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    let mut at = 0;
    for chunk in bytes.split(|&b| b == 0) {
        if !chunk.is_empty() {
            let entry = std::str::from_utf8(chunk).ok().and_then(Entry::parse);
            let entry = entry.ok_or_else(|| {
                format!("malformed {EVENTS_SECTION} entry at offset {at}: {:?}", String::from_utf8_lossy(chunk))
            })?;
            out.push(entry);
        }
        at += chunk.len() + 1;
    }
    out.sort();
    out.dedup();
    Ok(out)
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
    fn malformed_entries_are_named() {
        assert!(parse_section(b"user_events:ok\0junk\0").unwrap_err().contains("offset 15"));
        assert!(parse_section(b"user_events:9bad u8 x\0").is_err());
    }
}
