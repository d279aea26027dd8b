//! The `ue` command's parts (the binary is src/main.rs): the events of a file, tracefs, format files, ring-buffer
//! pages, and recording. Not a stable API.

pub mod elf;
pub mod format;
pub mod record;
pub mod ring;
pub mod tracefs;
