//! Finding `user_events_data` (the usual path, then under each tracefs mount of /proc/mounts, then `tracing/`
//! under debugfs), and what the kernel can tell about a refused registration.

use crate::sys;
use std::borrow::Cow;
use std::ffi::{CStr, CString};
use ue_abi::mounts::{tracing_dirs, USUAL_TRACEFS};

/// Where tracefs usually is: tried first, so the common start-up costs one `open`; and as text, so that
/// naming it costs no conversion.
const USUAL: &CStr = c"/sys/kernel/tracing/user_events_data";
const USUAL_TEXT: &str = "/sys/kernel/tracing/user_events_data";
const _: () = assert!(USUAL.to_bytes().len() == USUAL_TRACEFS.len() + "/user_events_data".len());
const _: () = assert!(ue_abi::same_bytes(USUAL.to_bytes(), USUAL_TEXT.as_bytes()));

/// A path [`open_data`] returned, as text: the usual one without converting it.
pub(crate) fn path_text(path: &CStr) -> Cow<'static, str> {
    if path.to_bytes() == USUAL_TEXT.as_bytes() {
        Cow::Borrowed(USUAL_TEXT)
    } else {
        Cow::Owned(path.to_string_lossy().into_owned())
    }
}

/// Opens `user_events_data` (`O_RDWR | O_CLOEXEC`) and says where, or says in plain words why it cannot. The
/// usual path allocates nothing.
pub(crate) fn open_data() -> Result<(i32, Cow<'static, CStr>), String> {
    if let Some(why) = sys::UNSUPPORTED {
        return Err(why.into());
    }
    if let Ok(fd) = sys::open_rdwr(USUAL) {
        return Ok((fd, Cow::Borrowed(USUAL)));
    }
    let mounts = std::fs::read_to_string("/proc/mounts")
        .map_err(|e| format!("cannot read /proc/mounts ({e}): is /proc mounted?"))?;
    let dirs: Vec<String> = tracing_dirs(&mounts).into_iter().filter(|d| std::path::Path::new(d).exists()).collect();
    if dirs.is_empty() {
        return Err("tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)".into());
    }
    let mut why = Vec::new();
    for dir in &dirs {
        let path = format!("{dir}/user_events_data");
        let opened =
            CString::new(path.as_str()).map_err(|_| sys::EINVAL).and_then(|c| sys::open_rdwr(&c).map(|fd| (fd, c)));
        match opened {
            Ok((fd, c)) => return Ok((fd, Cow::Owned(c))),
            Err(sys::ENOENT) => why.push(format!(
                "user_events_data not found under the tracefs mounted at {dir} (kernel built without CONFIG_USER_EVENTS?)"
            )),
            Err(sys::EACCES | sys::EPERM) => why.push(format!(
                "permission denied opening {path}: run as root, or give this user access to the file and to its tracefs mount"
            )),
            Err(e) => why.push(format!("cannot open {path}: {}", std::io::Error::from_raw_os_error(e))),
        }
    }
    Err(why.join("; "))
}

/// The format the kernel already has for `name`, from the `dynamic_events` beside `data_file` (lines
/// `u:name fields…`).
pub(crate) fn kernel_format(data_file: &str, name: &str) -> Option<String> {
    let list = data_file.strip_suffix("user_events_data")?.to_string() + "dynamic_events";
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
