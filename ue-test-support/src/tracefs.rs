//! tracefs as the kernel-backed tests read and drive it.

pub const TRACEFS: &str = "/sys/kernel/tracing";

pub fn write_file(rel: &str, data: &str) {
    let path = format!("{TRACEFS}/{rel}");
    std::fs::write(&path, data).unwrap_or_else(|e| panic!("write {data:?} to {path}: {e}"));
}

pub fn read_file(rel: &str) -> String {
    let path = format!("{TRACEFS}/{rel}");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Enables or disables `user_events:<event>` for ftrace.
pub fn set_enabled(event: &str, on: bool) {
    write_file(&format!("events/user_events/{event}/enable"), if on { "1" } else { "0" });
}

pub fn event_exists(event: &str) -> bool {
    std::path::Path::new(&format!("{TRACEFS}/events/user_events/{event}")).exists()
}

pub fn clear_trace() {
    write_file("trace", "");
}

/// The ftrace records of `event` now in the trace buffer (the text after `event: `).
pub fn records(event: &str) -> Vec<String> {
    let needle = format!(" {event}: ");
    read_file("trace").lines().filter_map(|l| l.split_once(&needle).map(|(_, rest)| rest.to_string())).collect()
}

/// The pid column of each record of `event`.
pub fn record_pids(event: &str) -> Vec<u32> {
    let needle = format!(" {event}: ");
    read_file("trace")
        .lines()
        .filter(|l| l.contains(&needle))
        .filter_map(|l| {
            let task = l.split_whitespace().next()?; // comm-pid
            task.rsplit('-').next()?.parse().ok()
        })
        .collect()
}
