//! Finding `user_events_data` (under each tracefs mount of /proc/mounts, then `tracing/` under debugfs), and
//! what the kernel can tell about a refused registration.

use std::ffi::CString;
use std::os::fd::RawFd;

/// Where tracefs usually is: tried first, so the common start-up costs one `open`.
const USUAL: &std::ffi::CStr = c"/sys/kernel/tracing/user_events_data";

/// Opens `user_events_data` (`O_RDWR | O_CLOEXEC`), or says in plain words why it cannot.
pub(crate) fn open_data() -> Result<(RawFd, String), String> {
    // SAFETY: USUAL is a valid NUL-terminated path.
    let fd = unsafe { libc::open(USUAL.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    if fd >= 0 {
        return Ok((fd, USUAL.to_string_lossy().into_owned()));
    }
    let mounts = std::fs::read_to_string("/proc/mounts")
        .map_err(|e| format!("cannot read /proc/mounts ({e}): is /proc mounted?"))?;
    let dirs = candidates(&mounts);
    if dirs.is_empty() {
        return Err("tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)".into());
    }
    let mut why = Vec::new();
    for dir in &dirs {
        let path = format!("{dir}/user_events_data");
        if let Some(fd) = open(&path) {
            return Ok((fd, path));
        }
        let err = std::io::Error::last_os_error();
        why.push(match err.raw_os_error() {
            Some(libc::ENOENT) => format!(
                "user_events_data not found under the tracefs mounted at {dir} (kernel built without CONFIG_USER_EVENTS?)"
            ),
            Some(libc::EACCES | libc::EPERM) => format!(
                "permission denied opening {path}: run as root, or give this user access to the file and to its tracefs mount"
            ),
            _ => format!("cannot open {path}: {err}"),
        });
    }
    Err(why.join("; "))
}

fn open(path: &str) -> Option<RawFd> {
    let c = CString::new(path).ok()?;
    // SAFETY: c is a valid NUL-terminated path.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    (fd >= 0).then_some(fd)
}

/// Tracing directories, tracefs mounts first.
fn candidates(mounts: &str) -> Vec<String> {
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
    tracefs.extend(debugfs.into_iter().filter(|d| std::path::Path::new(d).exists()));
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

/// The format the kernel already has for `name`, from tracefs `dynamic_events` (lines `u:name fields…`).
pub(crate) fn kernel_format(name: &str) -> Option<String> {
    let data = crate::status::data_file()?;
    let list = data.strip_suffix("user_events_data")?.to_string() + "dynamic_events";
    let text = std::fs::read_to_string(list).ok()?;
    text.lines().find_map(|l| {
        let (n, rest) = l.strip_prefix("u:")?.split_once(' ').unwrap_or((l, ""));
        (n == name).then(|| rest.trim().to_string())
    })
}

/// True when the running kernel is older than 6.4, which changed user_events to remote-write enablement.
pub(crate) fn kernel_predates_remote_write() -> bool {
    let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") else { return false };
    let mut parts = release.trim().split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) < (6, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracefs_mounts_come_before_debugfs_and_escapes_are_decoded() {
        let m = "debugfs /sys/kernel/debug debugfs rw 0 0\n\
                 tracefs /sys/kernel/tracing tracefs rw 0 0\n\
                 tracefs /mnt/my\\040trace tracefs rw 0 0\n";
        let c = candidates(m);
        assert_eq!(c[0], "/sys/kernel/tracing");
        assert_eq!(c[1], "/mnt/my trace");
        assert_eq!(c.len(), 2 + usize::from(std::path::Path::new("/sys/kernel/debug/tracing").exists()));
    }

    #[test]
    fn no_tracefs_mount_is_named() {
        assert!(candidates("proc /proc proc rw 0 0\n").is_empty());
    }
}
