//! Where tracefs is: the tracing directories listed in `/proc/mounts`, tracefs mounts first, then `tracing/`
//! under each debugfs mount.

/// Where tracefs usually is.
pub const USUAL_TRACEFS: &str = "/sys/kernel/tracing";

/// The tracing directories of a `/proc/mounts` text, tracefs mounts first (each once, in mount order), then
/// `<debugfs>/tracing` for each debugfs mount. Paths are decoded (`\040` is a space).
#[must_use]
pub fn tracing_dirs(mounts: &str) -> Vec<String> {
    let mut tracefs = Vec::new();
    let mut debugfs = Vec::new();
    for line in mounts.lines() {
        let mut f = line.split(' ');
        let (Some(_dev), Some(dir), Some(fstype)) = (f.next(), f.next(), f.next()) else { continue };
        let dir = unescape(dir);
        match fstype {
            "tracefs" if !tracefs.contains(&dir) => tracefs.push(dir),
            "debugfs" => debugfs.push(format!("{dir}/tracing")),
            _ => {}
        }
    }
    tracefs.extend(debugfs);
    tracefs
}

/// /proc/mounts escapes space, tab, newline and backslash as `\ooo`.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracefs_mounts_come_before_debugfs_and_escapes_are_decoded() {
        let m = "debugfs /sys/kernel/debug debugfs rw 0 0\n\
                 tracefs /sys/kernel/tracing tracefs rw 0 0\n\
                 tracefs /mnt/my\\040trace tracefs rw 0 0\n\
                 tracefs /sys/kernel/tracing tracefs rw 0 0\n";
        assert_eq!(tracing_dirs(m), ["/sys/kernel/tracing", "/mnt/my trace", "/sys/kernel/debug/tracing"]);
    }

    #[test]
    fn no_tracefs_mount_is_named() {
        assert!(tracing_dirs("proc /proc proc rw 0 0\n").is_empty());
    }
}
