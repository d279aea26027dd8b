//! Runs inside the VM: the xtask binary is the guest's PID 1 (see vm.rs).

use std::ffi::CString;
use std::process::Command;

pub const INIT_ARG: &str = "__guest-init";
pub const TESTS_ARG: &str = "__guest-tests";
/// QEMU's isa-debug-exit device: writing v makes QEMU exit with (v << 1) | 1.
const DEBUG_EXIT_PORT: u16 = 0xf4;

/// PID 1: mount the pseudo file systems, run the command described by the spec file, report its status.
pub fn init(args: &[String]) -> Result<i32, String> {
    let code = match args.first().map(String::as_str) {
        Some("--probe") => 0,
        Some(spec) => match setup(spec).and_then(|()| run_spec(spec)) {
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

fn mount(fstype: &str, target: &str) -> Result<(), String> {
    let _ = std::fs::create_dir_all(target);
    let src = CString::new(fstype).unwrap();
    let tgt = CString::new(target).unwrap();
    // SAFETY: all pointers are valid NUL-terminated strings; data is null.
    let rc = unsafe { libc::mount(src.as_ptr(), tgt.as_ptr(), src.as_ptr(), 0, std::ptr::null()) };
    if rc != 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EBUSY) {
        return Err(format!("mount {fstype} on {target}: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

fn setup(spec: &str) -> Result<(), String> {
    mount("proc", "/proc")?;
    mount("sysfs", "/sys")?;
    mount("devtmpfs", "/dev")?; // EBUSY: DEVTMPFS_MOUNT did it already
                                // stdio on the serial console (the 9p root's /dev/console may not be ours).
    let console = CString::new("/dev/console").unwrap();
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
    mount("tracefs", "/sys/kernel/tracing")?;
    mount("debugfs", "/sys/kernel/debug")?;
    for dir in ["/run", "/dev/shm", "/var/tmp"] {
        mount("tmpfs", dir)?;
    }
    // A writable /tmp hides the host's; keep the part of it the command lives in (a checkout under /tmp).
    bind("/tmp", "/run/host-tmp")?;
    mount("tmpfs", "/tmp")?;
    let cwd = std::fs::read(spec)
        .ok()
        .and_then(|raw| raw.split(|&b| b == 0).next().map(|c| String::from_utf8_lossy(c).into_owned()));
    for path in [Some(spec.to_string()), cwd].into_iter().flatten() {
        if let Some(top) = path.strip_prefix("/tmp/").and_then(|rest| rest.split('/').next()) {
            bind(&format!("/run/host-tmp/{top}"), &format!("/tmp/{top}"))?;
        }
    }
    Ok(())
}

fn bind(from: &str, to: &str) -> Result<(), String> {
    let _ = std::fs::create_dir_all(to);
    let (f, t) = (CString::new(from).unwrap(), CString::new(to).unwrap());
    // SAFETY: valid NUL-terminated paths; a bind mount takes no data.
    let rc = unsafe { libc::mount(f.as_ptr(), t.as_ptr(), std::ptr::null(), libc::MS_BIND, std::ptr::null()) };
    if rc != 0 {
        return Err(format!("bind {from} on {to}: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

/// Spec file (written by vm.rs): NUL-separated `cwd, env count, K=V…, argv…`.
fn run_spec(path: &str) -> Result<i32, String> {
    let raw = std::fs::read(path).map_err(|e| format!("cannot read spec {path}: {e}"))?;
    let mut it = raw.split(|&b| b == 0).map(|s| String::from_utf8_lossy(s).into_owned());
    let cwd = it.next().ok_or("empty spec")?;
    let nenv: usize = it.next().and_then(|n| n.parse().ok()).ok_or("bad spec")?;
    let env: Vec<String> = it.by_ref().take(nenv).collect();
    let argv: Vec<String> = it.filter(|s| !s.is_empty()).collect();
    let (prog, args) = argv.split_first().ok_or("no command")?;
    let mut cmd = Command::new(prog);
    cmd.args(args).current_dir(&cwd).env_clear();
    cmd.env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    cmd.env("HOME", "/tmp");
    for kv in &env {
        if let Some((k, v)) = kv.split_once('=') {
            cmd.env(k, v);
        }
    }
    let status = cmd.status().map_err(|e| format!("cannot run {prog}: {e}"))?;
    Ok(match status.code() {
        Some(c) => c,
        None => {
            use std::os::unix::process::ExitStatusExt;
            eprintln!("ue-vm: {prog} killed by signal {}", status.signal().unwrap_or(0));
            127
        }
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
    let mut failed = Vec::new();
    for bin in bins {
        println!("     Running {bin} (in the VM)");
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
