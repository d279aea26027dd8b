//! The perf.data file of `ue record --format perf -o FILE`, written with Microsoft's `tracepoint_perf` crate:
//! the records as the kernel wrote them into the rings, then at the end the attrs with their ids, the tracing
//! data (tracefs' `header_page`, `header_event` and each event's `format` file) and the event descriptions
//! perf needs to name the events and decode their fields, and the host, clock and CPU headers.
//!
//! A file that was never finished (`ue` failed before the command ran) is removed: without its headers, no
//! reader could open it.

use crate::escape;
use crate::output::WriteError;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tracepoint_decode::{PerfEventAttr, PerfEventFormat};
use tracepoint_perf::{PerfDataFileWriter, PerfHeaderIndex};

/// One recorded event as perf.data describes it.
pub struct EventDesc {
    /// `system:name`.
    pub name: String,
    pub attr: PerfEventAttr,
    /// The ids its records carry, one per CPU.
    pub ids: Vec<u64>,
    pub format: Arc<PerfEventFormat>,
}

/// The open file.
pub struct PerfFile {
    w: PerfDataFileWriter,
    path: PathBuf,
    /// For messages.
    shown: String,
    finished: bool,
}

impl PerfFile {
    /// Creates (or truncates) the file now, before anything else is set up.
    pub fn create(path: &Path) -> Result<PerfFile, String> {
        let shown = escape::text(&path.to_string_lossy()).into_owned();
        let utf8 = path.to_str().ok_or_else(|| format!("{shown}: --format perf needs a file name in UTF-8"))?;
        let mut w = PerfDataFileWriter::new();
        w.create_file(utf8).map_err(|e| format!("cannot create {shown}: {e}"))?;
        Ok(PerfFile { w, path: path.to_path_buf(), shown, finished: false })
    }

    /// Appends records (whole `perf_event_header` blocks) and marks a round: none after it is older.
    pub fn records(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.w.write_event_data(bytes).and_then(|()| self.w.write_finished_round()).map_err(|e| self.failed(&e))
    }

    /// Writes the headers and closes the file. `header_page` and `header_event` are tracefs' own.
    pub fn finish(&mut self, events: &[EventDesc], header_page: &str, header_event: &str) -> Result<(), WriteError> {
        for e in events {
            self.w.add_tracepoint_event_desc(&e.ids, &e.attr, &e.name, &e.format);
        }
        // SAFETY: sysconf has no memory preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        self.w.set_tracing_data_required(size_of::<libc::c_long>() as u8, u32::try_from(page).unwrap_or(4096));
        self.w.set_tracing_data_header_page(header_page.as_bytes());
        self.w.set_tracing_data_header_event(header_event.as_bytes());
        let (cpus, online) = (sysconf(libc::_SC_NPROCESSORS_CONF), sysconf(libc::_SC_NPROCESSORS_ONLN));
        self.w.set_nr_cpus_header(cpus, online);
        if let Some((host, release, arch)) = uname() {
            self.w.set_utsname_headers(host.as_bytes(), release.as_bytes(), arch.as_bytes());
        }
        self.w.set_string_header(PerfHeaderIndex::Version, concat!("ue ", env!("CARGO_PKG_VERSION")).as_bytes());
        let mono = crate::record::clock_ns(libc::CLOCK_MONOTONIC);
        let wall = crate::record::clock_ns(libc::CLOCK_REALTIME);
        self.w.set_clockid_header(libc::CLOCK_MONOTONIC as u32);
        self.w.set_clock_data_header(libc::CLOCK_MONOTONIC as u32, wall, mono);
        self.w.finalize_and_close().map_err(|e| self.failed(&e))?;
        self.finished = true;
        Ok(())
    }

    fn failed(&self, e: &std::io::Error) -> WriteError {
        WriteError::Failed(format!("cannot write to {}: {e}", self.shown))
    }
}

impl Drop for PerfFile {
    fn drop(&mut self) {
        if !self.finished {
            self.w.close_no_finalize();
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn sysconf(name: libc::c_int) -> u32 {
    // SAFETY: sysconf has no memory preconditions.
    u32::try_from(unsafe { libc::sysconf(name) }).unwrap_or(0)
}

/// The host name, kernel release and machine (uname(2)).
fn uname() -> Option<(String, String, String)> {
    // SAFETY: utsname is plain bytes; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: u is a valid utsname for the call to fill.
    if unsafe { libc::uname(&raw mut u) } != 0 {
        return None;
    }
    let text = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f.iter().take_while(|c| **c != 0).map(|c| *c as u8).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Some((text(&u.nodename), text(&u.release), text(&u.machine)))
}
