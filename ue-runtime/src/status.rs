//! What the runtime can tell about itself: available or why not, problems met, writes dropped.

use std::fmt;
use std::sync::Mutex;

struct State {
    data_file: Option<String>,
    unavailable: Option<String>,
    problems: Vec<String>,
}

static STATE: Mutex<State> = Mutex::new(State { data_file: None, unavailable: None, problems: Vec::new() });

fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    let mut g = STATE.lock().unwrap_or_else(|p| p.into_inner());
    f(&mut g)
}

/// A snapshot of the runtime's state, from [`status()`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The `user_events_data` in use, when user_events is available.
    pub data_file: Option<String>,
    /// Why every tracepoint is disabled, when user_events is not available.
    pub unavailable: Option<String>,
    /// Tracepoints of this image registered with the kernel.
    pub registered: usize,
    /// Tracepoints of this image declared.
    pub declared: usize,
    /// Registrations that failed, each in plain words (format conflicts, kernel limits…).
    pub problems: Vec<String>,
    /// Events dropped because their write failed (a write racing a disable gives EBADF: normal).
    pub dropped_writes: u64,
    /// errno of the last failed write, 0 if none.
    pub last_write_errno: i32,
    /// Records written with a payload over 4,064 bytes: the kernel accepts them, but ftrace (and over 8,184
    /// bytes, perf) drops them without an error, so a tracer may not see them.
    pub oversized_records: u64,
}

impl Status {
    /// True when user_events is available and every declared tracepoint is registered.
    pub fn is_ok(&self) -> bool {
        self.unavailable.is_none() && self.problems.is_empty() && self.registered == self.declared
    }
}

/// The runtime's current state.
pub fn status() -> Status {
    #[cfg(target_os = "linux")]
    let (registered, declared) = {
        let all = crate::TRACEPOINTS.iter();
        (all.clone().filter(|t| t.is_registered()).count(), all.len())
    };
    #[cfg(not(target_os = "linux"))]
    let (registered, declared) = (0, 0);
    #[cfg(not(target_os = "linux"))]
    with(|s| s.unavailable = Some("user_events exists only on Linux: tracepoints are no-ops here".into()));
    with(|s| Status {
        data_file: s.data_file.clone(),
        unavailable: s.unavailable.clone(),
        registered,
        declared,
        problems: s.problems.clone(),
        dropped_writes: crate::write_counters().0,
        last_write_errno: crate::write_counters().1,
        oversized_records: crate::write_counters().2,
    })
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.unavailable, &self.data_file) {
            (Some(why), _) => write!(f, "user_events unavailable, all tracepoints disabled: {why}")?,
            (None, Some(file)) => {
                write!(f, "{} of {} tracepoints registered through {file}", self.registered, self.declared)?
            }
            (None, None) => write!(f, "not started")?,
        }
        for p in &self.problems {
            write!(f, "; {p}")?;
        }
        if self.oversized_records > 0 {
            write!(f, "; {} records over 4,064 bytes (ftrace drops them)", self.oversized_records)?;
        }
        if self.dropped_writes > 0 {
            write!(f, "; {} writes dropped (last errno {})", self.dropped_writes, self.last_write_errno)?;
        }
        Ok(())
    }
}

pub(crate) fn set_available(data_file: String) {
    with(|s| {
        s.data_file = Some(data_file);
        s.unavailable = None;
    });
}

pub(crate) fn set_unavailable(why: String) {
    with(|s| s.unavailable = Some(why));
    log_summary();
}

pub(crate) fn add_problem(p: String) {
    with(|s| {
        if !s.problems.contains(&p) {
            s.problems.push(p);
        }
    });
}

/// With `UE_LOG=1`, one line on stderr after each registration pass.
pub(crate) fn log_summary() {
    if std::env::var_os("UE_LOG").is_some_and(|v| v == "1") {
        use std::io::Write;
        // Not eprintln!: a closed stderr must not panic the program.
        let _ = writeln!(std::io::stderr(), "ue: {}", status());
    }
}

/// The format the kernel already has for `name`, from tracefs `dynamic_events` (lines `u:name fields…`).
#[cfg(target_os = "linux")]
pub(crate) fn kernel_format(name: &str) -> Option<String> {
    let data = with(|s| s.data_file.clone())?;
    let list = data.strip_suffix("user_events_data")?.to_string() + "dynamic_events";
    let text = std::fs::read_to_string(list).ok()?;
    text.lines().find_map(|l| {
        let (n, rest) = l.strip_prefix("u:")?.split_once(' ').unwrap_or((l, ""));
        (n == name).then(|| rest.trim().to_string())
    })
}

/// True when the running kernel is older than 6.4, which changed user_events to remote-write enablement.
#[cfg(target_os = "linux")]
pub(crate) fn kernel_predates_remote_write() -> bool {
    let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") else { return false };
    let mut parts = release.trim().split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) < (6, 4)
}
