//! One section of an ELF file, read from the file header, the section headers, the section names and that
//! section: nothing else of the file is read (no symbol table, no program header), so damage elsewhere does not
//! matter, and the cost is bounded by limits below, whatever the file's size.

use object::elf::{self, SHF_COMPRESSED, SHT_NOBITS, SHT_NULL};
use object::read::elf::{CompressionHeader, FileHeader, SectionHeader};
use object::read::{CompressedData, CompressionFormat, StringTable};
use object::{pod, Endianness, FileKind};
use std::io;

/// Section headers read at most: ELF's own 16-bit count. Only relocatable objects go past it (extended
/// numbering); executables and shared libraries have a few dozen.
pub const MAX_SECTIONS: u64 = 0xffff;
/// Bytes of section names read at most: a binary's are a few hundred.
pub const MAX_NAMES: u64 = 4 << 20;

/// A file read by ranges.
#[allow(clippy::len_without_is_empty)] // a file's size, not a collection
pub trait Source {
    fn len(&self) -> u64;
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
}

impl Source for [u8] {
    fn len(&self) -> u64 {
        self.len() as u64
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| io::ErrorKind::UnexpectedEof)?;
        let src = self.get(start..).and_then(|s| s.get(..buf.len())).ok_or(io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

/// An open regular file and its size when opened.
pub struct FileSource {
    pub file: std::fs::File,
    pub len: u64,
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }
}

/// Bytes read from a file, 8-aligned so that ELF structures can be viewed in place.
struct Aligned {
    words: Vec<u64>,
    len: usize,
}

impl Aligned {
    fn bytes(&self) -> &[u8] {
        &pod::bytes_of_slice(&self.words)[..self.len]
    }
}

/// `len` bytes at `offset`, which the caller has checked lie inside the file and within a limit.
fn read_at(src: &(impl Source + ?Sized), offset: u64, len: u64, what: &str) -> Result<Aligned, String> {
    let n = usize::try_from(len).map_err(|_| format!("{what}: {len} bytes"))?;
    let mut words = vec![0u64; n.div_ceil(8)];
    src.read_exact_at(&mut pod::bytes_of_slice_mut(&mut words)[..n], offset)
        .map_err(|e| format!("cannot read {what} ({len} bytes at offset {offset}): {e}"))?;
    Ok(Aligned { words, len: n })
}

/// Why a section could not be read, for a message after the file's name.
pub type Error = String;

/// The contents of the section named `name` (decompressed if it is SHF_COMPRESSED), `Ok(None)` if there is no
/// such section. A section larger than `max` bytes (stored or decompressed) is refused with `why_max`.
pub fn read(src: &(impl Source + ?Sized), name: &str, max: u64, why_max: &str) -> Result<Option<Vec<u8>>, Error> {
    let mut ident = [0u8; 16];
    let have = ident.len().min(usize::try_from(src.len()).unwrap_or(16));
    if have < 4 || src.read_exact_at(&mut ident[..have], 0).is_err() || !ident.starts_with(b"\x7fELF") {
        return Err("not an ELF file (ue list reads executables and shared libraries)".into());
    }
    if have < ident.len() {
        return Err(corrupt(format_args!("{have} bytes, shorter than an ELF header")));
    }
    match FileKind::parse(&ident[..]) {
        Ok(FileKind::Elf32) => read_as::<elf::FileHeader32<Endianness>>(src, name, max, why_max),
        Ok(FileKind::Elf64) => read_as::<elf::FileHeader64<Endianness>>(src, name, max, why_max),
        _ => Err(format!("unsupported ELF file (class byte {}: neither 32 nor 64 bits)", ident[4])),
    }
}

fn corrupt(what: impl std::fmt::Display) -> Error {
    format!("truncated or corrupt ELF file: {what}")
}

/// The range `[offset, offset + len)` if it lies inside the file.
fn inside(src: &(impl Source + ?Sized), offset: u64, len: u64) -> Option<u64> {
    offset.checked_add(len).filter(|&end| end <= src.len()).map(|_| offset)
}

fn read_as<H: FileHeader<Endian = Endianness>>(
    src: &(impl Source + ?Sized),
    name: &str,
    max: u64,
    why_max: &str,
) -> Result<Option<Vec<u8>>, Error> {
    let size = size_of::<H>() as u64;
    if src.len() < size {
        return Err(corrupt(format_args!("{} bytes, shorter than an ELF header", src.len())));
    }
    let head = read_at(src, 0, size, "the ELF header")?;
    let header = H::parse(head.bytes()).map_err(corrupt)?;
    let endian = header.endian().map_err(corrupt)?;
    let shoff: u64 = header.e_shoff(endian).into();
    let entsize = size_of::<H::SectionHeader>() as u64;
    if shoff == 0 {
        return Ok(None);
    }
    if u64::from(header.e_shentsize(endian)) != entsize {
        return Err(corrupt(format_args!("section header size {}, not {entsize}", header.e_shentsize(endian))));
    }
    let past_end = |what: &str, offset: u64, len: u64| {
        corrupt(format_args!(
            "{what} ({len} bytes at offset {offset}) run past the end of the file ({} bytes)",
            src.len()
        ))
    };
    // Section 0 holds the real count and name-table index when they do not fit the header (extended numbering).
    let first = read_at(
        src,
        inside(src, shoff, entsize).ok_or_else(|| past_end("the section headers", shoff, entsize))?,
        entsize,
        "section header 0",
    )?;
    let (first, _) = pod::from_bytes::<H::SectionHeader>(first.bytes()).map_err(|()| corrupt("section header 0"))?;
    let count: u64 = match header.e_shnum(endian) {
        0 => first.sh_size(endian).into(),
        n => n.into(),
    };
    if count == 0 {
        return Ok(None);
    }
    if count > MAX_SECTIONS {
        return Err(corrupt(format_args!(
            "{count} section headers; ue list reads at most {MAX_SECTIONS} (executables and shared libraries have a \
             few dozen)"
        )));
    }
    let table_len = count * entsize;
    let table_at = inside(src, shoff, table_len).ok_or_else(|| past_end("the section headers", shoff, table_len))?;
    let table = read_at(src, table_at, table_len, "the section headers")?;
    let (sections, _) = pod::slice_from_bytes::<H::SectionHeader>(table.bytes(), count as usize)
        .map_err(|()| corrupt("section headers"))?;
    let names_index = match header.e_shstrndx(endian) {
        elf::SHN_XINDEX => first.sh_link(endian),
        i => u32::from(i.0),
    };
    let names_header = sections
        .get(names_index as usize)
        .filter(|_| names_index != 0)
        .ok_or_else(|| corrupt(format_args!("no section name table: index {names_index} of {count} sections")))?;
    let (names_at, names_len): (u64, u64) =
        (names_header.sh_offset(endian).into(), names_header.sh_size(endian).into());
    if names_header.sh_type(endian) == SHT_NOBITS {
        return Err(corrupt("the section name table has no contents (SHT_NOBITS)"));
    }
    if names_len > MAX_NAMES {
        return Err(corrupt(format_args!(
            "a section name table of {names_len} bytes; ue list reads at most {MAX_NAMES} (a binary's are a few \
             hundred)"
        )));
    }
    let names_at =
        inside(src, names_at, names_len).ok_or_else(|| past_end("the section names", names_at, names_len))?;
    let names = read_at(src, names_at, names_len, "the section names")?;
    let strings = StringTable::new(names.bytes(), 0, names_len);
    let Some(section) = sections
        .iter()
        .skip(1)
        .find(|s| s.sh_type(endian) != SHT_NULL && s.name(endian, strings).ok() == Some(name.as_bytes()))
    else {
        return Ok(None);
    };
    contents::<H>(src, section, endian, name, max, why_max).map(Some)
}

/// The bytes of the section, decompressed if it is compressed, within `max`.
fn contents<H: FileHeader<Endian = Endianness>>(
    src: &(impl Source + ?Sized),
    section: &H::SectionHeader,
    endian: Endianness,
    name: &str,
    max: u64,
    why_max: &str,
) -> Result<Vec<u8>, Error> {
    let (at, len): (u64, u64) = (section.sh_offset(endian).into(), section.sh_size(endian).into());
    let what = format!("the {name} section");
    if section.sh_type(endian) == SHT_NOBITS {
        return Err(format!(
            "{what} has no contents in this file (SHT_NOBITS): a file of debug information only (objcopy \
             --only-keep-debug) keeps the section's size, not its bytes; list the binary it was made from"
        ));
    }
    if len > max {
        return Err(format!("{what} is {len} bytes, more than any real one can be ({max} bytes: {why_max})"));
    }
    let at = inside(src, at, len).ok_or_else(|| {
        format!(
            "{what} ({len} bytes at offset {at}) runs past the end of the file ({} bytes): the file is cut short",
            src.len()
        )
    })?;
    let data = read_at(src, at, len, &what)?;
    if section.sh_flags(endian).0 & SHF_COMPRESSED.0 == 0 {
        return Ok(data.bytes().to_vec());
    }
    let (chdr, rest) = pod::from_bytes::<H::CompressionHeader>(data.bytes())
        .map_err(|()| format!("{what} is compressed (SHF_COMPRESSED) but too short for its compression header"))?;
    let format = match chdr.ch_type(endian) {
        elf::ELFCOMPRESS_ZLIB => CompressionFormat::Zlib,
        elf::ELFCOMPRESS_ZSTD => CompressionFormat::Zstandard,
        t => return Err(format!("{what} is compressed with an unknown method ({})", t.0)),
    };
    let full: u64 = chdr.ch_size(endian).into();
    if full > max {
        return Err(format!(
            "{what} decompresses to {full} bytes, more than any real one can be ({max} bytes: {why_max})"
        ));
    }
    let bytes = CompressedData { format, data: rest, uncompressed_size: full }
        .decompress()
        .map_err(|e| format!("{what} is compressed (SHF_COMPRESSED) and does not decompress: {e}"))?;
    Ok(bytes.into_owned())
}
