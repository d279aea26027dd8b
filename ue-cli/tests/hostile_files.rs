//! `ue list` on files made to mislead or to exhaust it (host tests): what it prints cannot be forged, every
//! defect of the section is named, and the cost is that of the headers and the section, whatever the file.

mod common;

use common::elf_file::*;
use common::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A directory of its own for each test, removed at the end.
struct Dir(PathBuf);

impl Dir {
    fn new(test: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("ue-hostile-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn list(f: &Path) -> (i32, String, String) {
    run(ue().arg("list").arg(f))
}

#[test]
fn forged_lines_escapes_and_reordering_print_escaped() {
    let d = Dir::new("forged");
    let f = d.file(
        "forged",
        &elf(
            &[Sec::events(&[
                "user_events:a u32 x\nuser_events:fake u8 y",
                "user_events:b u32 x\r",
                "user_events:c u32 x\u{1b}]0;pwned\u{7}\u{1b}[2J",
                "user_events:d u32 \u{202e}x\u{2066}",
                "user_events:e u32 x\u{9b}31m",
            ])],
            LE64,
        ),
    );
    let (code, out, err) = list(&f);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "user_events:a u32 x\\nuser_events:fake u8 y",
            "user_events:b u32 x",
            "user_events:c u32 x\\u001b]0;pwned\\u0007\\u001b[2J",
            "user_events:d u32 \\u202ex\\u2066",
            "user_events:e u32 x\\u009b31m",
        ]
    );
    // A file's name is text from the file system: escaped too.
    let g = d.file("two\nuser_events:fake", &elf(&[Sec::events(&["user_events:z"])], LE64));
    let (code, out, _) = run(ue().arg("list").arg(&f).arg(&g));
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 6, "{out}");
    assert!(out.ends_with("two\\nuser_events:fake: user_events:z\n"), "{out}");
}

#[test]
fn an_unterminated_or_cut_entry_is_an_error_at_its_offset() {
    let d = Dir::new("cut");
    let mut s = Sec::events(&["user_events:a u8 x"]);
    s.data.extend(b"user_events:b u32 i");
    let (code, out, err) = list(&d.file("unterminated", &elf(&[s], LE64)));
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("ue_events entry at offset 19 is not terminated"), "{err}");

    // The section header says the section is longer than the file.
    let mut s = Sec::events(&["user_events:a u8 x"]);
    s.size = Some(1 << 20);
    let (code, _, err) = list(&d.file("past-end", &elf(&[s], LE64)));
    assert_eq!(code, 1);
    assert!(err.contains("the ue_events section (1048576 bytes at offset") && err.contains("cut short"), "{err}");
}

#[test]
fn an_empty_nobits_or_padding_only_section_says_what_it_is() {
    let d = Dir::new("empty");
    let (code, _, err) = list(&d.file("empty", &elf(&[Sec::new("ue_events", b"")], LE64)));
    assert_eq!(code, 1);
    assert!(err.contains("the ue_events section is empty"), "{err}");
    let mut s = Sec::new("ue_events", b"");
    s.sh_type = SHT_NOBITS;
    s.size = Some(4096);
    let (code, _, err) = list(&d.file("debug-only", &elf(&[s], LE64)));
    assert_eq!(code, 1);
    assert!(err.contains("SHT_NOBITS") && err.contains("--only-keep-debug"), "{err}");
    let (code, _, err) = list(&d.file("padding", &elf(&[Sec::new("ue_events", &[0; 16])], LE64)));
    assert_eq!(code, 1);
    assert!(err.contains("holds no entries (16 bytes, all NUL)"), "{err}");
}

#[test]
fn a_compressed_section_is_decompressed_within_the_limit() {
    let d = Dir::new("compressed");
    let entries = b"user_events:z u8 x\0user_events_multi:y u32 n\0";
    for shape in [LE64, Shape { elf64: false, big_endian: true }] {
        let mut s = Sec::new("ue_events", &zlib_section(entries, None, shape));
        s.flags |= SHF_COMPRESSED;
        let (code, out, err) = list(&d.file("zlib", &elf(&[s], shape)));
        assert_eq!(code, 0, "{shape:?}: {err}");
        assert_eq!(out, "user_events_multi:y u32 n\nuser_events:z u8 x\n");
    }
    // A header that promises 1 GiB is refused before anything is inflated.
    let mut s = Sec::new("ue_events", &zlib_section(entries, Some(1 << 30), LE64));
    s.flags |= SHF_COMPRESSED;
    let (code, _, err) = list(&d.file("bomb", &elf(&[s], LE64)));
    assert_eq!(code, 1);
    assert!(err.contains("decompresses to 1073741824 bytes, more than any real one can be"), "{err}");
}

#[test]
fn a_huge_bad_entry_is_quoted_short() {
    let d = Dir::new("huge-entry");
    let mut entry = b"user_events:".to_vec();
    entry.resize(1 << 20, b'#');
    entry.push(0);
    let m = run_measured(ue().arg("list").arg(d.file("big", &elf(&[Sec::new("ue_events", &entry)], LE64))));
    assert_eq!(m.code, Some(1));
    assert!(m.err.contains("malformed ue_events entry at offset 0: \"user_events:####"), "{}", m.err);
    assert!(m.err.len() < 300 && m.err.trim_end().ends_with("… (1048576 bytes)"), "{} bytes", m.err.len());
}

#[test]
fn unrelated_damage_does_not_hide_the_events() {
    let d = Dir::new("damaged");
    let mut f = std::fs::read(example("quickstart")).unwrap();
    let headers = section_headers_le64(&f);
    let (symtab, _, _) = headers.iter().find(|(_, _, ty)| *ty == SHT_SYMTAB).expect("quickstart has a .symtab").clone();
    f[symtab + 0x18..symtab + 0x20].copy_from_slice(&u64::MAX.to_le_bytes()); // sh_offset far past the end
    f[symtab + 0x38..symtab + 0x40].copy_from_slice(&3u64.to_le_bytes()); // sh_entsize no symbol has
    f[0x36..0x38].copy_from_slice(&7u16.to_le_bytes()); // e_phentsize
    let (code, out, err) = list(&d.file("damaged", &f));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, run(ue().arg("list").arg(example("quickstart"))).1);
}

/// The cost of refusing `f`: it must be refused with `msg`, in under a second, in under 50 MiB.
fn refused_cheaply(f: &Path, msg: &str) {
    let m = run_measured(ue().arg("list").arg(f));
    assert_eq!(m.code, Some(1), "{}: {}", f.display(), m.err);
    assert!(m.err.contains(msg), "{}: {}", f.display(), m.err);
    assert!(m.elapsed < Duration::from_secs(1), "{}: {:?}", f.display(), m.elapsed);
    assert!(m.max_rss_kib < 50 << 10, "{}: {} KiB", f.display(), m.max_rss_kib);
    eprintln!("{}: refused in {:?}, peak RSS {} KiB", f.display(), m.elapsed, m.max_rss_kib);
}

#[test]
fn huge_files_and_devices_are_refused_at_the_cost_of_their_headers() {
    let d = Dir::new("huge");
    let sparse = d.0.join("sparse-1g");
    std::fs::File::create(&sparse).unwrap().set_len(1 << 30).unwrap();
    refused_cheaply(&sparse, "not an ELF file");
    refused_cheaply(Path::new("/dev/zero"), "not an ELF file but a character device");
    let fifo = d.0.join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: c is a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    refused_cheaply(&fifo, "not an ELF file but a pipe");

    // A 1 GiB file whose ue_events section claims most of it.
    let mut s = Sec::events(&["user_events:a u8 x"]);
    s.size = Some(900 << 20);
    let head = elf(&[s], LE64);
    let big = d.file("sparse-elf", &head);
    std::fs::OpenOptions::new().write(true).open(&big).unwrap().set_len(1 << 30).unwrap();
    refused_cheaply(&big, "the ue_events section is 943718400 bytes, more than any real one can be");

    // 64 MiB of section: larger than the kernel's limits allow any to be.
    let mut s = Sec::events(&["user_events:a u8 x"]);
    s.size = Some(64 << 20);
    let f = d.file("section-64m", &elf(&[s], LE64));
    std::fs::OpenOptions::new().write(true).open(&f).unwrap().set_len(65 << 20).unwrap();
    refused_cheaply(&f, "more than any real one can be");

    // Four billion section headers, through extended numbering (e_shnum 0, the count in section 0's size).
    let mut f = elf(&[Sec::events(&["user_events:a u8 x"])], LE64);
    let shoff = u64::from_le_bytes(f[0x28..0x30].try_into().unwrap()) as usize;
    f[0x3c..0x3e].copy_from_slice(&0u16.to_le_bytes());
    f[shoff + 0x20..shoff + 0x28].copy_from_slice(&u64::from(u32::MAX).to_le_bytes());
    refused_cheaply(&d.file("shnum", &f), "4294967295 section headers");
}
