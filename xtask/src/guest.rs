//! Runs inside the VM: the xtask binary is the guest's PID 1 (see vm.rs).

use crate::spec::{self, Spec};
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;

pub const INIT_ARG: &str = "__guest-init";
pub const TESTS_ARG: &str = "__guest-tests";
/// QEMU's isa-debug-exit device: writing v makes QEMU exit with (v << 1) | 1.
const DEBUG_EXIT_PORT: u16 = 0xf4;

/// PID 1: mount the pseudo file systems, run the command described by the spec file, report its status.
pub fn init(args: &[String]) -> Result<i32, String> {
    let code = match args.first().map(String::as_str) {
        Some("--probe") => 0,
        Some(path) => match setup(path).and_then(|spec| run_spec(&spec)) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("ue-vm: {e}");
                127
            }
        },
        None => 127,
    };
    report(code)
}

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn path_cstr(p: &Path) -> Result<CString, String> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| format!("{} holds a NUL byte", p.display()))
}

fn mount(fstype: &str, target: &str) -> Result<(), String> {
    let _ = std::fs::create_dir_all(target);
    let (src, tgt) = (cstr(fstype), cstr(target));
    // SAFETY: all pointers are valid NUL-terminated strings; data is null.
    let rc = unsafe { libc::mount(src.as_ptr(), tgt.as_ptr(), src.as_ptr(), 0, std::ptr::null()) };
    if rc != 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EBUSY) {
        return Err(format!("mount {fstype} on {target}: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

/// Mounts the guest's file systems and returns the spec, read before anything covers it.
fn setup(spec_path: &str) -> Result<Spec, String> {
    mount("proc", "/proc")?;
    mount("sysfs", "/sys")?;
    mount("devtmpfs", "/dev")?; // EBUSY: DEVTMPFS_MOUNT did it already
    console();
    let raw = std::fs::read(spec_path).map_err(|e| format!("cannot read spec {spec_path}: {e}"))?;
    let spec = Spec::decode(&raw)?;
    mount("tracefs", "/sys/kernel/tracing")?;
    mount("debugfs", "/sys/kernel/debug")?;
    scratch(&spec)?;
    Ok(spec)
}

/// stdio on the serial console (the 9p root's /dev/console may not be ours).
fn console() {
    let console = cstr("/dev/console");
    // SAFETY: console is a valid path; dup2 on fds we own.
    unsafe {
        let fd = libc::open(console.as_ptr(), libc::O_RDWR);
        if fd >= 0 {
            for target in 0..3 {
                libc::dup2(fd, target);
            }
            if fd > 2 {
                libc::close(fd);
            }
        }
    }
}

/// A fresh tmpfs on each scratch directory, with the host entries holding kept paths bound back over it.
fn scratch(spec: &Spec) -> Result<(), String> {
    let binds = spec::binds(&spec.keep);
    for dir in spec::SCRATCH {
        // Opened before the tmpfs covers them: the descriptors still reach the host's entries afterwards.
        let mut held = Vec::new();
        for (_, top) in binds.iter().filter(|(d, _)| d == dir) {
            let is_dir =
                std::fs::metadata(top).map_err(|e| format!("cannot keep {} visible: {e}", top.display()))?.is_dir();
            let c = path_cstr(top)?;
            // SAFETY: c is a valid NUL-terminated path; an O_PATH descriptor only names the file.
            let fd = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
            if fd < 0 {
                return Err(format!("cannot keep {} visible: {}", top.display(), std::io::Error::last_os_error()));
            }
            // SAFETY: fd was just opened and is owned by nobody else.
            held.push((unsafe { OwnedFd::from_raw_fd(fd) }, top, is_dir));
        }
        mount("tmpfs", dir)?;
        for (fd, top, is_dir) in held {
            let made = if is_dir { std::fs::create_dir_all(top) } else { std::fs::write(top, b"") };
            made.map_err(|e| format!("cannot create {} in the guest's tmpfs: {e}", top.display()))?;
            bind(&format!("/proc/self/fd/{}", fd.as_raw_fd()), top)?;
        }
    }
    Ok(())
}

fn bind(from: &str, to: &Path) -> Result<(), String> {
    let (f, t) = (cstr(from), path_cstr(to)?);
    // SAFETY: valid NUL-terminated paths; a bind mount takes no data.
    let rc = unsafe {
        libc::mount(f.as_ptr(), t.as_ptr(), std::ptr::null(), libc::MS_BIND | libc::MS_REC, std::ptr::null())
    };
    if rc != 0 {
        return Err(format!("bind {from} on {}: {}", to.display(), std::io::Error::last_os_error()));
    }
    Ok(())
}

fn run_spec(spec: &Spec) -> Result<i32, String> {
    let (prog, args) = spec.argv.split_first().ok_or("no command")?;
    let mut cmd = Command::new(prog);
    cmd.args(args).current_dir(&spec.cwd).env_clear();
    // The directory of this binary last: a checkout's target/debug, so its `ue` runs by name (`xtask vm -- ue
    // record -- ./myapp` from any crate).
    let mut path = std::ffi::OsString::from("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    if let Some(dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
        path.push(":");
        path.push(dir);
    }
    cmd.env("PATH", path);
    cmd.env("HOME", "/tmp");
    cmd.envs(spec.env.iter().map(|(k, v)| (k, v)));
    let prog = prog.to_string_lossy();
    let status = cmd.status().map_err(|e| format!("cannot run {prog} in {}: {e}", spec.cwd.display()))?;
    Ok(if let Some(c) = status.code() {
        c
    } else {
        use std::os::unix::process::ExitStatusExt;
        eprintln!("ue-vm: {prog} killed by signal {}", status.signal().unwrap_or(0));
        127
    })
}

/// Hands the status to QEMU through isa-debug-exit; only 7 bits survive, so larger codes become 127.
fn report(code: i32) -> ! {
    let v = if (0..=127).contains(&code) { code as u8 } else { 127 };
    // SAFETY: PID 1 runs as root in the guest; ioperm grants this process the debug-exit port only.
    unsafe {
        if libc::ioperm(u64::from(DEBUG_EXIT_PORT), 4, 1) == 0 {
            core::arch::asm!("out dx, al", in("dx") DEBUG_EXIT_PORT, in("al") v);
        }
        eprintln!("ue-vm: cannot reach isa-debug-exit ({}); rebooting", std::io::Error::last_os_error());
        libc::reboot(libc::RB_AUTOBOOT);
    }
    loop {
        std::thread::park();
    }
}

/// In the guest: run each test binary's ignored (kernel-backed) tests, one at a time.
pub fn run_tests(args: &[String]) -> Result<i32, String> {
    let split = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let (bins, extra) = (&args[..split], args.get(split + 1..).unwrap_or(&[]));
    // The concurrency tests (writers racing a tracer, fork under load, concurrent init) need real parallelism.
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if cpus < 2 {
        eprintln!("ue-vm: {cpus} CPU online in the guest: the concurrency tests need at least 2 (UE_VM_CPUS?)");
        return Ok(1);
    }
    let mut failed = Vec::new();
    for bin in bins {
        println!("     Running {bin} (in the VM, {cpus} CPUs)");
        let status = Command::new(bin)
            .args(["--ignored", "--test-threads=1"])
            .args(extra)
            .status()
            .map_err(|e| format!("cannot run {bin}: {e}"))?;
        if !status.success() {
            failed.push(bin.clone());
        }
    }
    if failed.is_empty() {
        Ok(0)
    } else {
        eprintln!("ue-vm: failed in the VM: {}", failed.join(" "));
        Ok(1)
    }
}
