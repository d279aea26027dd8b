//! `cargo xtask kernel`: a tinyconfig kernel with user_events, built from Debian's linux-source-6.12.
//!
//! Cache: `target/ue-kernel/<key>/bzImage`, key = hash(source package version, xtask/kernel.config).

use crate::sys::{self, Result};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const SOURCE_PKG: &str = "linux-source-6.12";
const BUILD_PKGS: &[&str] =
    &[SOURCE_PKG, "make", "gcc", "flex", "bison", "bc", "libelf-dev", "libssl-dev", "cpio", "xz-utils"];

fn fragment_path() -> PathBuf {
    sys::root().join("xtask/kernel.config")
}

/// Returns the path of the cached kernel image, building it first if needed.
pub fn build() -> Result<PathBuf> {
    if let Some(k) = std::env::var_os("UE_KERNEL") {
        return Ok(PathBuf::from(k));
    }
    let version = installed_version()?;
    let fragment = std::fs::read_to_string(fragment_path())
        .map_err(|e| format!("cannot read {}: {e}", fragment_path().display()))?;
    let key = format!("{:016x}", sys::fnv64(&[version.as_bytes(), fragment.as_bytes()]));
    let dir = sys::target_dir().join("ue-kernel").join(&key);
    let image = dir.join("bzImage");
    if image.exists() {
        return Ok(image);
    }
    let t0 = Instant::now();
    sys::ensure_packages(BUILD_PKGS)?;
    let src = extract(&installed_version()?)?;
    let build = dir.join("build");
    std::fs::create_dir_all(&build).map_err(|e| e.to_string())?;
    let make = |args: &[&str]| {
        let mut c = Command::new("make");
        c.arg("-C").arg(&src).arg(format!("O={}", build.display())).args(args);
        c
    };
    sys::step(&format!("configuring kernel {version} (tinyconfig + xtask/kernel.config)"));
    sys::run(make(&["-s", "tinyconfig"]).stdout(Stdio::null()))?;
    let config = build.join(".config");
    let mut base = std::fs::read_to_string(&config).map_err(|e| e.to_string())?;
    base.push_str(&fragment);
    std::fs::write(&config, base).map_err(|e| e.to_string())?;
    // olddefconfig warns about every option the fragment overrides; check_config is the real check.
    let out = make(&["-s", "olddefconfig"]).output().map_err(|e| format!("cannot run make: {e}"))?;
    if !out.status.success() {
        return Err(format!("make olddefconfig failed:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    check_config(&config, &fragment)?;

    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    sys::step(&format!("building bzImage with {jobs} jobs (a cold build takes a few minutes)"));
    make_with_progress(make(&[&format!("-j{jobs}"), "bzImage"]))?;
    std::fs::copy(build.join("arch/x86/boot/bzImage"), &image).map_err(|e| e.to_string())?;
    // The object tree is not needed once the image is cached.
    let _ = std::fs::remove_dir_all(&build);
    sys::step(&format!("kernel ready in {:.0?}: {}", t0.elapsed(), image.display()));
    Ok(image)
}

fn installed_version() -> Result<String> {
    let v = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", SOURCE_PKG])
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if !v.is_empty() {
        return Ok(v);
    }
    sys::ensure_packages(&[SOURCE_PKG])?;
    installed_version()
}

/// Unpacks /usr/src/linux-source-6.12.tar.xz once per package version.
fn extract(version: &str) -> Result<PathBuf> {
    let dir = sys::target_dir().join("ue-kernel/src").join(version);
    let src = dir.join(SOURCE_PKG);
    let done = dir.join(".extracted");
    if done.exists() {
        return Ok(src);
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let tarball = format!("/usr/src/{SOURCE_PKG}.tar.xz");
    sys::step(&format!("unpacking {tarball}"));
    sys::run(Command::new("tar").arg("-xJf").arg(&tarball).arg("-C").arg(&dir))?;
    std::fs::write(&done, version).map_err(|e| e.to_string())?;
    Ok(src)
}

/// Every `CONFIG_X=y` of the fragment must survive olddefconfig (a missing dependency drops it silently).
fn check_config(config: &Path, fragment: &str) -> Result<()> {
    let have = std::fs::read_to_string(config).map_err(|e| e.to_string())?;
    let missing: Vec<&str> = fragment
        .lines()
        .filter(|l| l.starts_with("CONFIG_") && l.ends_with("=y"))
        .filter(|l| !have.lines().any(|h| h == *l))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("kernel options dropped by olddefconfig (unmet dependencies?): {}", missing.join(" ")))
    }
}

/// Runs make, showing a one-line progress count; on failure prints the last lines of its output.
fn make_with_progress(mut cmd: Command) -> Result<()> {
    let mut child =
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| format!("cannot run make: {e}"))?;
    let stderr = child.stderr.take().unwrap();
    let err_thread = std::thread::spawn(move || {
        let mut tail = VecDeque::new();
        for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
            if tail.len() == 40 {
                tail.pop_front();
            }
            tail.push_back(line);
        }
        tail
    });
    let tty = std::io::stderr().is_terminal();
    let t0 = Instant::now();
    let mut compiled = 0usize;
    let mut tail = VecDeque::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines().map_while(|l| l.ok()) {
        if line.trim_start().starts_with("CC") || line.trim_start().starts_with("AS") {
            compiled += 1;
            if tty {
                eprint!("\r    compiled {compiled} files, {:.0?}   ", t0.elapsed());
                let _ = std::io::stderr().flush();
            } else if compiled.is_multiple_of(250) {
                eprintln!("    compiled {compiled} files, {:.0?}", t0.elapsed());
            }
        }
        if tail.len() == 20 {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    if tty {
        eprintln!();
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let err_tail = err_thread.join().unwrap_or_default();
    if status.success() {
        eprintln!("    compiled {compiled} files in {:.0?}", t0.elapsed());
        return Ok(());
    }
    for l in tail.iter().chain(err_tail.iter()) {
        eprintln!("    | {l}");
    }
    Err(format!("kernel build failed: {status}"))
}
