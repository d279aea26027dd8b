//! The USDT probes compiled into a file: provider and name of each `NT_STAPSDT` note in its `.note.stapsdt`
//! section (ue-abi's usdt.rs), read with the same bounds as the `ue_events` section (elf_section.rs).

use crate::elf_section::{self, Source};
use object::elf::{FileHeader32, FileHeader64};
use object::read::elf::{FileHeader, NoteIterator};
use object::{Endianness, FileKind};

/// The notes' section.
pub const NOTES_SECTION: &str = ".note.stapsdt";
/// `NT_STAPSDT`, owner `stapsdt`.
const NT_STAPSDT: u32 = 3;
/// Bytes of notes read at most: one note per event, each under 1 KiB.
const MAX_NOTES: u64 = ue_abi::MAX_EVENT_IDS as u64 * 1024;

/// `(provider, name)` of every probe in the file, sorted; empty when it has none (built without probes).
pub fn in_file(src: &(impl Source + ?Sized)) -> Result<Vec<(String, String)>, String> {
    let why = format!("at most {} events, each note under 1 KiB", ue_abi::MAX_EVENT_IDS);
    let Some(bytes) = elf_section::read(src, NOTES_SECTION, MAX_NOTES, &why)? else { return Ok(Vec::new()) };
    let mut ident = [0u8; 16];
    src.read_exact_at(&mut ident, 0).map_err(|e| e.to_string())?;
    let endian = if ident[5] == object::elf::ELFDATA2MSB.0 { Endianness::Big } else { Endianness::Little };
    let mut out = match FileKind::parse(&ident[..]) {
        Ok(FileKind::Elf32) => notes::<FileHeader32<Endianness>>(endian, &bytes, 4),
        _ => notes::<FileHeader64<Endianness>>(endian, &bytes, 8),
    }?;
    out.sort();
    out.dedup();
    Ok(out)
}

/// The probes of one notes section whose descriptors start with three addresses of `word` bytes.
fn notes<E: FileHeader<Endian = Endianness>>(
    endian: Endianness,
    bytes: &[u8],
    word: usize,
) -> Result<Vec<(String, String)>, String>
where
    E::Word: From<u8>,
{
    let bad = |e: object::Error| format!("malformed {NOTES_SECTION} section: {e}");
    let mut it = NoteIterator::<E>::new(endian, 4_u8.into(), bytes).map_err(bad)?;
    let mut out = Vec::new();
    while let Some(note) = it.next().map_err(bad)? {
        if note.name() != b"stapsdt" || note.n_type(endian) != object::elf::NoteType(NT_STAPSDT) {
            continue;
        }
        let mut strings = note.desc().get(3 * word..).unwrap_or_default().split(|&b| b == 0);
        let (Some(provider), Some(name)) = (strings.next(), strings.next()) else {
            return Err(format!("malformed {NOTES_SECTION} note: no provider and name"));
        };
        out.push((String::from_utf8_lossy(provider).into_owned(), String::from_utf8_lossy(name).into_owned()));
    }
    Ok(out)
}
