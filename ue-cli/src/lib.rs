//! The `ue` command's parts (the binary is src/main.rs): the events of a file, tracefs, format files, ring-buffer
//! pages, recording (a command, running processes, a flight recorder), escaping and output. Not a stable API.

// The public crate is the `ue` command; this library only serves it and its tests, so `missing_docs` (enforced
// on the library crates users build against) is not.

pub mod attach;
pub mod conflicts;
pub mod elf;
pub mod elf_section;
pub mod escape;
pub mod filter;
pub mod flight;
pub mod format;
pub mod losses;
pub mod output;
pub mod perf_data;
pub mod perf_lines;
pub mod perf_record;
pub mod perf_records;
pub mod perf_ring;
pub mod probes;
pub mod record;
pub mod ring;
pub mod stacks;
pub mod threads;
pub mod tracefs;
