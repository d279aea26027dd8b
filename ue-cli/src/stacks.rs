//! Naming the frames of `ue record -g` call stacks in the text and `--json` outputs: where each process has its
//! code mapped (the rings' MMAP2 records, copied at fork under the child's own; a new mapping replaces those it
//! overlaps, as after an exec), and each mapped file's function
//! symbols, read with the `object` crate (its symbol map) and demangled with `rustc-demangle`.
//!
//! An address resolves to the file mapped there, then through that file's PT_LOAD segments to the address its
//! symbols use; each file is read once, and one that cannot be read (gone, not ELF, larger than
//! [`MAX_FILE`]) gives addresses only. A return address is looked up one byte back, inside the call.

use crate::perf_records::Record;
use object::read::{SymbolMap, SymbolMapEntry};
use object::{Object, ObjectSegment, ObjectSymbol, SymbolKind};
use serde_json::Value;
use std::collections::HashMap;

/// The largest file whose symbols are read.
pub const MAX_FILE: u64 = 1 << 30;

/// The mappings of the recorded processes, and the symbols of their files.
#[derive(Default)]
pub struct Stacks {
    maps: HashMap<u32, Vec<Mapping>>,
    files: HashMap<Vec<u8>, Option<Elf>>,
}

#[derive(Clone)]
struct Mapping {
    start: u64,
    end: u64,
    pgoff: u64,
    path: Vec<u8>,
}

struct Elf {
    /// PT_LOAD segments: (address, file offset, size in the file).
    segments: Vec<(u64, u64, u64)>,
    symbols: SymbolMap<Sym>,
}

struct Sym {
    address: u64,
    size: u64,
    name: String,
}

impl SymbolMapEntry for Sym {
    fn address(&self) -> u64 {
        self.address
    }
    fn size(&self) -> u64 {
        self.size
    }
}

/// One frame: its address and, when known, the function and the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub addr: u64,
    /// The function and the address's offset in it.
    pub symbol: Option<(String, u64)>,
    pub file: Option<String>,
}

impl Stacks {
    /// Takes what a ring record says about mappings.
    pub fn note(&mut self, rec: &Record) {
        match *rec {
            Record::Mmap2 { pid, start, len, pgoff, path } => {
                let m = Mapping { start, end: start.saturating_add(len), pgoff, path: path.to_vec() };
                let maps = self.maps.entry(pid).or_default();
                maps.retain(|o| o.end <= m.start || o.start >= m.end);
                maps.push(m);
            }
            Record::Fork { pid, ppid } if pid != ppid => {
                // The child's own mappings can only be from after the fork (an exec's, read first from another
                // CPU's ring): they stay, and the parent's fill in around them.
                let parent = self.maps.get(&ppid).cloned().unwrap_or_default();
                let child = self.maps.entry(pid).or_default();
                let inherited: Vec<Mapping> =
                    parent.into_iter().filter(|p| child.iter().all(|c| c.end <= p.start || c.start >= p.end)).collect();
                child.extend(inherited);
            }
            _ => {}
        }
    }

    /// The frames of a stack written by process `pid`, innermost first.
    pub fn frames(&mut self, pid: u32, stack: &[u64]) -> Vec<Frame> {
        stack.iter().enumerate().map(|(i, &addr)| self.frame(pid, addr, i > 0)).collect()
    }

    fn frame(&mut self, pid: u32, addr: u64, returns: bool) -> Frame {
        let Some(m) = self.maps.get(&pid).and_then(|ms| ms.iter().find(|m| (m.start..m.end).contains(&addr))) else {
            return Frame { addr, symbol: None, file: None };
        };
        let file = Some(String::from_utf8_lossy(&m.path).into_owned());
        let offset = addr - m.start + m.pgoff;
        let path = m.path.clone();
        let elf = self.files.entry(path).or_insert_with_key(|p| Elf::read(p));
        let symbol = elf.as_ref().and_then(|e| e.symbol(offset, returns));
        Frame { addr, symbol, file }
    }
}

impl Elf {
    fn read(path: &[u8]) -> Option<Elf> {
        use std::os::unix::ffi::OsStrExt;
        let path = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
        if !path.is_absolute() || std::fs::metadata(path).ok()?.len() > MAX_FILE {
            return None;
        }
        let data = std::fs::read(path).ok()?;
        let file = object::File::parse(&*data).ok()?;
        let segments = file.segments().map(|s| (s.address(), s.file_range().0, s.file_range().1)).collect();
        let text = |s: &object::Symbol| s.kind() == SymbolKind::Text && s.is_definition() && s.address() != 0;
        let mut syms: Vec<Sym> = file
            .symbols()
            .filter(text)
            .filter_map(|s| Some(Sym { address: s.address(), size: s.size(), name: s.name().ok()?.to_string() }))
            .collect();
        if syms.is_empty() {
            syms = file
                .dynamic_symbols()
                .filter(text)
                .filter_map(|s| Some(Sym { address: s.address(), size: s.size(), name: s.name().ok()?.to_string() }))
                .collect();
        }
        Some(Elf { segments, symbols: SymbolMap::new(syms) })
    }

    /// The function at file offset `offset` and the offset into it.
    fn symbol(&self, offset: u64, returns: bool) -> Option<(String, u64)> {
        let (vaddr, off, _) = *self.segments.iter().find(|(_, off, size)| (*off..off + size).contains(&offset))?;
        let at = vaddr + (offset - off);
        let s = self.symbols.containing(at - u64::from(returns && at > 0))?;
        Some((format!("{:#}", rustc_demangle::demangle(&s.name)), at - s.address))
    }
}

impl Frame {
    /// `quickstart::main+0x796 (/path/quickstart)`, as perf script shows it; `0x7f12… (/path)` or `0x7f12…`
    /// when not known. Not escaped: the caller escapes the line.
    pub fn text(&self) -> String {
        let file = self.file.as_ref().map(|f| format!(" ({f})")).unwrap_or_default();
        match &self.symbol {
            Some((name, off)) => format!("{name}+{off:#x}{file}"),
            None => format!("{:#x}{file}", self.addr),
        }
    }

    /// `{"addr":…, "symbol":"…"|null, "offset":…|null, "file":"…"|null}`.
    pub fn json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("addr".into(), Value::from(self.addr));
        m.insert("symbol".into(), self.symbol.as_ref().map_or(Value::Null, |(n, _)| Value::from(n.as_str())));
        m.insert("offset".into(), self.symbol.as_ref().map_or(Value::Null, |(_, o)| Value::from(*o)));
        m.insert("file".into(), self.file.as_ref().map_or(Value::Null, |f| Value::from(f.as_str())));
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_resolve_through_the_mapping_and_the_files_segments() {
        // This test binary, mapped as the kernel maps it: its functions are found by their addresses.
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let mut s = Stacks::default();
        for l in maps.lines().filter(|l| l.ends_with(exe.to_str().unwrap())) {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (a, b) = f[0].split_once('-').unwrap();
            let (start, end) = (u64::from_str_radix(a, 16).unwrap(), u64::from_str_radix(b, 16).unwrap());
            let pgoff = u64::from_str_radix(f[2], 16).unwrap();
            let path = exe.as_os_str().as_encoded_bytes();
            s.note(&Record::Mmap2 { pid: 1, start, len: end - start, pgoff, path });
        }
        let here = frames_resolve_through_the_mapping_and_the_files_segments as *const () as u64;
        let f = s.frames(1, &[here + 1]);
        let (name, off) = f[0].symbol.clone().expect("a symbol");
        assert!(name.ends_with("frames_resolve_through_the_mapping_and_the_files_segments"), "{name}");
        assert_eq!(off, 1);
        assert!(f[0].text().starts_with(&format!("{name}+0x1 (/")), "{}", f[0].text());
        // Unmapped, or another process: the address only. A fork copies the mappings.
        assert_eq!(s.frames(2, &[here])[0].text(), format!("{here:#x}"));
        s.note(&Record::Fork { pid: 2, ppid: 1 });
        assert!(s.frames(2, &[here])[0].symbol.is_some());
        assert_eq!(s.frames(3, &[here])[0].json()["symbol"], Value::Null);
    }

    #[test]
    fn a_fork_read_after_the_child_s_exec_keeps_the_exec_s_mappings() {
        // The rings are read one CPU after another: the exec'd child's MMAP2 may come before its FORK.
        let mut s = Stacks::default();
        s.note(&Record::Mmap2 { pid: 1, start: 0x1000, len: 0x1000, pgoff: 0, path: b"/parent" });
        s.note(&Record::Mmap2 { pid: 1, start: 0x8000, len: 0x1000, pgoff: 0, path: b"/lib" });
        s.note(&Record::Mmap2 { pid: 2, start: 0x1000, len: 0x1000, pgoff: 0, path: b"/execd" });
        s.note(&Record::Fork { pid: 2, ppid: 1 });
        let mut files = |pid, addr| s.frames(pid, &[addr])[0].file.clone();
        assert_eq!(files(2, 0x1010).as_deref(), Some("/execd"));
        assert_eq!(files(2, 0x8010).as_deref(), Some("/lib"), "the parent's others are inherited");
        assert_eq!(files(1, 0x1010).as_deref(), Some("/parent"));
    }
}
