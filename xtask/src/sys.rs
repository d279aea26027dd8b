//! Host helpers: paths, the machine-wide cache, package installs, running commands.

use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub type Result<T> = std::result::Result<T, String>;

/// The workspace root (the parent of xtask/).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `cargo` (the one running xtask, else the one on PATH), run in the workspace root.
pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// cargo's target directory (honours CARGO_TARGET_DIR).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => root().join(d),
        None => root().join("target"),
    }
}

/// The machine-wide cache shared by every checkout: `$UE_CACHE_DIR`, else `$XDG_CACHE_HOME/ue`, else
/// `~/.cache/ue`.
pub fn cache_dir() -> PathBuf {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    env("UE_CACHE_DIR")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("ue")))
        .or_else(|| env("HOME").map(|h| h.join(".cache/ue")))
        .unwrap_or_else(|| target_dir().join("ue-cache"))
}

/// An exclusive advisory lock on a file, held until dropped (the kernel releases it if the process dies).
pub struct Lock(#[allow(dead_code)] std::fs::File);

pub fn lock(path: &Path, waiting: &str) -> Result<Lock> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    // SAFETY: f is an open descriptor owned by this function.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        eprintln!("    {waiting} (lock {})", path.display());
        // SAFETY: as above; a blocking lock.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(format!("cannot lock {}: {}", path.display(), std::io::Error::last_os_error()));
        }
    }
    Ok(Lock(f))
}

/// Writes a file so that readers see the old content or the whole new one, never a part.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&tmp, data).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot rename to {}: {e}", path.display()))
}

/// `1m05s`, `42s`.
pub fn duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

pub fn step(msg: &str) {
    eprintln!("\x1b[1m==> {msg}\x1b[0m");
}

/// Runs a command to completion with inherited stdio; an error unless it exits 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed: {status}"))
    }
}

/// Runs a command and returns its stdout (stderr inherited).
pub fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd.stderr(Stdio::inherit()).output().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed: {}", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The lines of `from` until its end, each without its `\n` or `\r\n`. Lossy: tools print raw bytes, and one
/// invalid UTF-8 byte must not end the relay.
pub fn lines(from: impl Read) -> impl Iterator<Item = String> {
    let mut reader = BufReader::new(from);
    let mut buf = Vec::new();
    std::iter::from_fn(move || {
        buf.clear();
        if !reader.read_until(b'\n', &mut buf).is_ok_and(|n| n > 0) {
            return None;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        Some(String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line)).into_owned())
    })
}

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// Installs the Debian packages that are missing (apt-get, as root or through sudo).
pub fn ensure_packages(pkgs: &[&str]) -> Result<()> {
    let missing: Vec<&str> = pkgs.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    step(&format!("installing Debian packages: {}", missing.join(" ")));
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let apt = |args: &[&str]| {
        let mut c = if root { Command::new("apt-get") } else { sudo("apt-get") };
        c.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        c
    };
    // A fresh machine may have stale or no package lists.
    run(apt(&["-q", "update"]).stdout(Stdio::null()))?;
    let mut install = apt(&["-q", "-y", "--no-install-recommends", "install"]);
    install.args(&missing);
    run(&mut install)
}

fn sudo(prog: &str) -> Command {
    let mut c = Command::new("sudo");
    c.arg(prog);
    c
}

/// FNV-1a, 64-bit: a stable cache key without a hashing crate.
pub fn fnv64(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in p.iter().chain(&[0xffu8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}
