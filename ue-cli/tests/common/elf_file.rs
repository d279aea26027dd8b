//! Small ELF files made to order: a header, the sections asked for, the section names, the section headers.

/// One section of a made file.
#[derive(Debug, Clone)]
pub struct Sec {
    pub name: String,
    pub sh_type: u32,
    pub flags: u64,
    pub data: Vec<u8>,
    /// `sh_size` and `sh_offset` as written, when not those of `data`.
    pub size: Option<u64>,
    pub offset: Option<u64>,
}

pub const SHT_PROGBITS: u32 = 1;
pub const SHT_SYMTAB: u32 = 2;
pub const SHT_STRTAB: u32 = 3;
pub const SHT_NOBITS: u32 = 8;
pub const SHF_ALLOC: u64 = 2;
pub const SHF_COMPRESSED: u64 = 1 << 11;

impl Sec {
    pub fn new(name: &str, data: &[u8]) -> Sec {
        Sec {
            name: name.into(),
            sh_type: SHT_PROGBITS,
            flags: SHF_ALLOC,
            data: data.to_vec(),
            size: None,
            offset: None,
        }
    }

    /// A `ue_events` section of these entries, each with its NUL.
    pub fn events(entries: &[&str]) -> Sec {
        Sec::new("ue_events", entries.iter().flat_map(|e| e.bytes().chain([0])).collect::<Vec<u8>>().as_slice())
    }
}

/// Byte order and width.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub elf64: bool,
    pub big_endian: bool,
}

pub const LE64: Shape = Shape { elf64: true, big_endian: false };

struct W {
    out: Vec<u8>,
    shape: Shape,
}

impl W {
    fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }
    fn u16(&mut self, v: u16) {
        let b = if self.shape.big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        self.bytes(&b);
    }
    fn u32(&mut self, v: u32) {
        let b = if self.shape.big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        self.bytes(&b);
    }
    fn u64(&mut self, v: u64) {
        let b = if self.shape.big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        self.bytes(&b);
    }
    /// An address-sized field.
    fn word(&mut self, v: u64) {
        if self.shape.elf64 {
            self.u64(v);
        } else {
            self.u32(v as u32);
        }
    }
    fn align(&mut self, to: usize) {
        while !self.out.len().is_multiple_of(to) {
            self.out.push(0);
        }
    }
}

/// The file: header, each section's data, the names, then the section headers (null, the sections, names).
pub fn elf(sections: &[Sec], shape: Shape) -> Vec<u8> {
    let mut w = W { out: Vec::new(), shape };
    let (ehsize, shentsize) = if shape.elf64 { (64u16, 64u16) } else { (52, 40) };
    w.out.resize(ehsize as usize, 0);
    let mut placed = Vec::new();
    for s in sections {
        w.align(8);
        placed.push(w.out.len() as u64);
        if s.sh_type != SHT_NOBITS {
            w.bytes(&s.data);
        }
    }
    let mut names = vec![0u8];
    let mut name_at = Vec::new();
    for n in sections.iter().map(|s| s.name.as_str()).chain([".shstrtab"]) {
        name_at.push(names.len() as u32);
        names.extend(n.bytes().chain([0]));
    }
    let names_off = w.out.len() as u64;
    w.bytes(&names);
    w.align(8);
    let shoff = w.out.len() as u64;
    w.out.resize(w.out.len() + shentsize as usize, 0);
    let shdr = |w: &mut W, name: u32, ty: u32, flags: u64, off: u64, size: u64| {
        w.u32(name);
        w.u32(ty);
        w.word(flags);
        w.word(0);
        w.word(off);
        w.word(size);
        w.u32(0);
        w.u32(0);
        w.word(1);
        w.word(0);
    };
    for (i, s) in sections.iter().enumerate() {
        let size = s.size.unwrap_or(s.data.len() as u64);
        shdr(&mut w, name_at[i], s.sh_type, s.flags, s.offset.unwrap_or(placed[i]), size);
    }
    shdr(&mut w, name_at[sections.len()], SHT_STRTAB, 0, names_off, names.len() as u64);
    let shnum = sections.len() as u16 + 2;
    let mut h = W { out: Vec::new(), shape };
    h.bytes(b"\x7fELF");
    h.bytes(&[if shape.elf64 { 2 } else { 1 }, if shape.big_endian { 2 } else { 1 }, 1]);
    h.bytes(&[0; 9]);
    h.u16(3); // ET_DYN
    h.u16(if shape.elf64 { 62 } else { 3 });
    h.u32(1);
    h.word(0);
    h.word(0);
    h.word(shoff);
    h.u32(0);
    h.u16(ehsize);
    h.u16(if shape.elf64 { 56 } else { 32 });
    h.u16(0);
    h.u16(shentsize);
    h.u16(shnum);
    h.u16(shnum - 1);
    w.out[..ehsize as usize].copy_from_slice(&h.out);
    w.out
}

/// A compressed section's bytes: the ELF compression header (zlib), then the zlib stream of `data`, which
/// `claim` says decompresses to `size` bytes.
pub fn zlib_section(data: &[u8], claim: Option<u64>, shape: Shape) -> Vec<u8> {
    use std::io::Write;
    let mut w = W { out: Vec::new(), shape };
    w.u32(1); // ELFCOMPRESS_ZLIB
    if shape.elf64 {
        w.u32(0);
    }
    w.word(claim.unwrap_or(data.len() as u64));
    w.word(1);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(data).unwrap();
    w.bytes(&z.finish().unwrap());
    w.out
}

/// The section headers of a little-endian ELF64 file: (file offset of the header, name, type).
pub fn section_headers_le64(file: &[u8]) -> Vec<(usize, String, u32)> {
    let u16_at = |at: usize| u16::from_le_bytes(file[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(file[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(file[at..at + 8].try_into().unwrap()) as usize;
    let (shoff, shnum, shstrndx) = (u64_at(0x28), u16_at(0x3c), u16_at(0x3e));
    let names_off = u64_at(shoff + 64 * shstrndx + 0x18);
    (0..shnum)
        .map(|i| {
            let at = shoff + 64 * i;
            let n = names_off + u32_at(at) as usize;
            let end = n + file[n..].iter().position(|&b| b == 0).unwrap();
            (at, String::from_utf8_lossy(&file[n..end]).into_owned(), u32_at(at + 4))
        })
        .collect()
}
