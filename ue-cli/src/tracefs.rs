//! The tracefs mount: finding it, reading the user events the kernel has, and what to do when it cannot.

use std::path::{Path, PathBuf};
use ue_abi::mounts::{tracing_dirs, USUAL_TRACEFS};
use ue_abi::{MULTI_FORMAT, SINGLE_FORMAT};

/// Control files of a tracefs instance (the kernel's Documentation/trace/ftrace.rst) that more than one part of
/// `ue record` writes: each CPU's buffer in KiB; the pids whose events are recorded (a list; a write to the file
/// opened without `O_TRUNC` adds to it); whether records are written at all (`0` stops every CPU's buffer, whose
/// writers then drop their records without counting them: ring_buffer.c, `ring_buffer_lock_reserve`).
pub const BUFFER_SIZE_KB: &str = "buffer_size_kb";
pub const SET_EVENT_PID: &str = "set_event_pid";
pub const TRACING_ON: &str = "tracing_on";

pub struct Tracefs {
    pub root: PathBuf,
}

/// One user event the kernel has now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelEvent {
    /// `user_events` or `user_events_multi`.
    pub system: String,
    /// The tracefs name (`name` or, multi-format, `name.<hex id>`).
    pub name: String,
}

impl KernelEvent {
    /// The name as registered (without a multi-format event's `.<hex id>`).
    pub fn base_name(&self) -> &str {
        match self.system.as_str() {
            MULTI_FORMAT => self.name.rsplit_once('.').map_or(&self.name, |(b, _)| b),
            _ => &self.name,
        }
    }

    pub fn dir(&self, events: &Path) -> PathBuf {
        events.join(&self.system).join(&self.name)
    }
}

impl std::fmt::Display for KernelEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.system, self.name)
    }
}

impl Tracefs {
    /// The tracefs mount with user_events, or what to do.
    pub fn find() -> Result<Tracefs, String> {
        let mut dirs = vec![PathBuf::from(USUAL_TRACEFS)];
        if let Ok(mounts) = std::fs::read_to_string("/proc/mounts") {
            dirs.extend(tracing_dirs(&mounts).into_iter().map(PathBuf::from));
        }
        let Some(root) = dirs.into_iter().find(|d| d.join("events").exists() || d.join("trace").exists()) else {
            return Err(if is_root() {
                "tracefs is not mounted: mount -t tracefs nodev /sys/kernel/tracing".into()
            } else {
                "tracefs is not mounted or not readable: run as root (sudo ue …), or mount -t tracefs nodev \
                 /sys/kernel/tracing"
                    .into()
            });
        };
        let fs = Tracefs { root };
        let status = fs.root.join("user_events_status");
        match std::fs::metadata(&status) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return Err(fs.not_root(&status)),
            Err(_) => {
                return Err(format!(
                    "this kernel has no user_events: no user_events_status under {} (build it with \
                     CONFIG_USER_EVENTS=y; Linux 6.4 or later)",
                    fs.root.display()
                ))
            }
        }
        if let Err(e) = std::fs::read_dir(fs.root.join("events")) {
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                return Err(fs.not_root(&fs.root.join("events")));
            }
        }
        Ok(fs)
    }

    pub fn not_root(&self, path: &Path) -> String {
        format!(
            "permission denied on {}: run as root (sudo ue …), or give this user access to the tracefs mount",
            path.display()
        )
    }

    pub fn events_dir(&self) -> PathBuf {
        self.root.join("events")
    }

    /// Every user event now under `events/` (both systems), sorted.
    pub fn user_events(&self, events: &Path) -> Vec<KernelEvent> {
        let mut out = Vec::new();
        for system in [SINGLE_FORMAT, MULTI_FORMAT] {
            let Ok(rd) = std::fs::read_dir(events.join(system)) else { continue };
            for e in rd.flatten() {
                if e.path().is_dir() {
                    out.push(KernelEvent { system: system.into(), name: e.file_name().to_string_lossy().into_owned() });
                }
            }
        }
        out.sort_by(|a, b| (&a.system, &a.name).cmp(&(&b.system, &b.name)));
        out
    }

    /// `user_events_status`: tracefs name → who uses the event (`ftrace`, `perf`, `other`), empty if nobody.
    pub fn users(&self) -> Vec<(String, String)> {
        let text = read(&self.root.join("user_events_status")).unwrap_or_default();
        text.lines()
            .take_while(|l| !l.is_empty())
            .map(|l| match l.split_once(" # Used by ") {
                Some((n, u)) => (n.to_string(), u.to_string()),
                None => (l.trim().to_string(), String::new()),
            })
            .collect()
    }
}

/// Whether this process runs as root.
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Writes `data` to a tracefs control file, naming the file in the error.
pub fn write(path: &Path, data: &str) -> Result<(), String> {
    std::fs::write(path, data).map_err(|e| format!("cannot write {data:?} to {}: {e}", path.display()))
}

/// Reads a tracefs file with large reads: some (events/header_page) answer only the first read, so the small
/// probing read of `read_to_string` would see a cut text.
pub fn read(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}
