//! `cargo xtask vm -- <cmd> [args…]`: boot the test kernel in QEMU, run one command as root, relay its output
//! and exit status.
//!
//! The guest's root is the host's `/`, read-only over virtio-9p, so host-built binaries run unchanged at the same
//! paths; the checkout, its target directory and the working directory stay visible wherever they are (spec.rs).
//! PID 1 is this xtask binary (guest.rs); it reports the command's status through isa-debug-exit.
//! Environment: see `cargo xtask --help` (main.rs).

use crate::guest;
use crate::kernel;
use crate::spec::{self, Spec};
use crate::sys::{self, Result};
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Variables passed from the host into the guest command's environment.
const PASS_ENV: &[&str] = &["RUST_BACKTRACE", "RUST_LOG", "UE_LOG", "RUST_TEST_THREADS", "NO_COLOR", "TERM"];
/// CPUs given to the guest unless UE_VM_CPUS says otherwise: the host's, at least 2, at most the kernel's
/// CONFIG_NR_CPUS (xtask/kernel.config).
const MIN_CPUS: usize = 2;
const MAX_CPUS: usize = 8;

/// A kernel, an accelerator and a CPU count, ready to boot.
pub struct Bed {
    pub kernel: PathBuf,
    pub accel: String,
    pub cpus: usize,
}

/// `cargo xtask vm`: prepares the bed, runs `argv`; each output line goes to stdout and to `on_line`.
pub fn run(argv: &[String], on_line: &mut dyn FnMut(&str)) -> Result<i32> {
    prepare()?.run(argv, on_line)
}

/// The paths the guest must show, symlinks resolved. Checked before any long step.
struct Required {
    checkout: PathBuf,
    target: PathBuf,
    cwd: PathBuf,
    exe: PathBuf,
}

impl Required {
    fn now() -> Result<Required> {
        let canon = |p: PathBuf| std::fs::canonicalize(&p).unwrap_or(p);
        let cwd = std::env::current_dir().map_err(|e| format!("no working directory: {e}"))?;
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        Ok(Required {
            checkout: canon(sys::root()),
            target: canon(sys::target_dir()),
            cwd: canon(cwd),
            exe: canon(exe),
        })
    }

    fn named(&self) -> [(&'static str, &Path); 4] {
        [
            ("checkout", &self.checkout),
            ("target directory", &self.target),
            ("working directory", &self.cwd),
            ("xtask binary", &self.exe),
        ]
    }
}

/// Fails, naming the host path and the reason, when the guest could not show a required path.
pub fn check_visible() -> Result<()> {
    let req = Required::now()?;
    spec::check(&req.named())?;
    // The kernel command line carries the init binary's path and the spec's (in the target directory).
    for (what, p) in [("xtask binary", &req.exe), ("target directory", &req.target)] {
        spec::cmdline_word(p.as_os_str()).map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

/// Checks visibility, then finds or builds the kernel, installs QEMU and picks the accelerator.
pub fn prepare() -> Result<Bed> {
    check_visible()?;
    let kernel = kernel::build()?;
    sys::ensure_packages(&["qemu-system-x86"])?;
    let accel = accel(&kernel)?;
    let cpus = match std::env::var("UE_VM_CPUS") {
        Ok(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=MAX_CPUS).contains(n))
            .ok_or(format!("UE_VM_CPUS={v}: want 1..={MAX_CPUS}"))?,
        Err(_) => {
            std::thread::available_parallelism().map_or(MIN_CPUS, std::num::NonZero::get).clamp(MIN_CPUS, MAX_CPUS)
        }
    };
    Ok(Bed { kernel, accel, cpus })
}

impl Bed {
    /// Runs `argv` in a fresh guest. Returns the command's exit status.
    pub fn run(&self, argv: &[String], on_line: &mut dyn FnMut(&str)) -> Result<i32> {
        if argv.is_empty() {
            return Err("usage: cargo xtask vm -- <command> [args…]".into());
        }
        let dir = sys::target_dir().join("ue-vm");
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let spec_path = dir.join(format!("spec-{}", std::process::id()));
        let spec = make_spec(argv, &spec_path)?;
        std::fs::write(&spec_path, spec.encode()).map_err(|e| format!("cannot write {}: {e}", spec_path.display()))?;
        let timeout = std::env::var("UE_VM_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(1800);
        let word = spec::cmdline_word(spec_path.as_os_str())?;
        let result = boot(self, &[&word], Duration::from_secs(timeout), on_line);
        let _ = std::fs::remove_file(&spec_path);
        match result? {
            Some(code) => Ok(code),
            None => Err("the guest stopped without reporting an exit status (kernel panic or timeout?)".into()),
        }
    }
}

fn make_spec(argv: &[String], spec_path: &Path) -> Result<Spec> {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let req = Required::now()?;
    let mut keep: Vec<PathBuf> = req.named().iter().map(|(_, p)| p.to_path_buf()).collect();
    keep.push(canon(spec_path));
    let argv: Vec<OsString> = argv.iter().map(|a| absolute(a)).collect();
    // A path argument (the program, a file it reads) stays visible too, unless it is a scratch dir itself.
    for a in &argv {
        let p = Path::new(a);
        if p.is_absolute() && p.exists() {
            let p = canon(p);
            if spec::hidden(&p).is_none() {
                keep.push(p);
            }
        }
    }
    let env = PASS_ENV.iter().filter_map(|k| Some((OsString::from(k), std::env::var_os(k)?))).collect();
    Ok(Spec { cwd: req.cwd, env, keep, argv })
}

/// `./prog` and `target/x` become absolute so they resolve the same inside the guest.
fn absolute(arg: &str) -> OsString {
    let p = Path::new(arg);
    if p.is_relative() && arg.contains('/') && p.exists() {
        std::fs::canonicalize(p).map_or_else(|_| arg.into(), PathBuf::into_os_string)
    } else {
        arg.into()
    }
}

/// KVM where it boots, TCG otherwise. On some hosts /dev/kvm exists but KVM fails early in boot, so a short
/// probe boot decides. The answer depends on the host kernel and QEMU only: it is cached machine-wide under
/// `accel/<hash(QEMU version, host kernel)>`.
fn accel(kernel: &Path) -> Result<String> {
    if let Ok(a) = std::env::var("UE_VM_ACCEL") {
        return Ok(a);
    }
    let kvm_usable = std::fs::OpenOptions::new().read(true).write(true).open("/dev/kvm").is_ok();
    if !kvm_usable {
        return Ok("tcg".into());
    }
    let qemu = sys::output(Command::new("qemu-system-x86_64").arg("--version")).unwrap_or_default();
    let host = host_kernel();
    let key = format!("{:016x}", sys::fnv64(&[qemu.as_bytes(), host.as_bytes()]));
    let cache = sys::cache_dir().join("accel").join(&key);
    if let Ok(a) = std::fs::read_to_string(&cache) {
        return Ok(a.trim().to_string());
    }
    sys::step("probing KVM (a short test boot, once per QEMU version and host kernel)");
    let probe = Bed { kernel: kernel.to_path_buf(), accel: "kvm".into(), cpus: MIN_CPUS };
    let chosen = if let Ok(Some(0)) = boot(&probe, &["--probe"], Duration::from_secs(15), &mut |_| {}) {
        "kvm"
    } else {
        eprintln!("    KVM did not boot the test kernel; using TCG (override with UE_VM_ACCEL)");
        "tcg"
    };
    sys::write_atomic(&cache, chosen.as_bytes())?;
    Ok(chosen.to_string())
}

/// TCG's threading: `single` unless `UE_VM_TCG=multi`.
fn tcg_threads() -> &'static str {
    if std::env::var("UE_VM_TCG").is_ok_and(|v| v == "multi") {
        "multi"
    } else {
        "single"
    }
}

/// `uname -r -v` of the host.
fn host_kernel() -> String {
    // SAFETY: uname fills the zeroed struct; its fields are NUL-terminated.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&raw mut u) != 0 {
            return String::new();
        }
        let f = |b: &[libc::c_char]| std::ffi::CStr::from_ptr(b.as_ptr()).to_string_lossy().into_owned();
        format!("{} {}", f(&u.release), f(&u.version))
    }
}

/// Boots once; Some(status) when the guest reported one through isa-debug-exit.
fn boot(bed: &Bed, init_args: &[&str], timeout: Duration, on_line: &mut dyn FnMut(&str)) -> Result<Option<i32>> {
    let probe = init_args == ["--probe"];
    let init = std::env::current_exe().map_err(|e| e.to_string())?;
    let init = spec::cmdline_word(std::fs::canonicalize(&init).unwrap_or(init).as_os_str())?;
    let verbose = std::env::var("UE_VM_VERBOSE").is_ok_and(|v| v == "1");
    let append = format!(
        "console=ttyS0 {} panic=-1 root=hostroot rootfstype=9p \
         rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro init={} -- {} {}",
        if verbose { "loglevel=7" } else { "loglevel=1" },
        init,
        guest::INIT_ARG,
        init_args.join(" ")
    );
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args(["-M", "pc", "-m", "1G", "-smp", &bed.cpus.to_string(), "-no-reboot", "-display", "none"])
        .args(["-monitor", "none"])
        .args(["-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
        .args(["-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"])
        .arg("-kernel")
        .arg(&bed.kernel)
        .arg("-append")
        .arg(append);
    match bed.accel.as_str() {
        "kvm" => cmd.args(["-accel", "kvm", "-cpu", "host"]),
        // One host thread for every vCPU (`UE_VM_TCG=multi` for one each): the guest patches its own code when a
        // tracepoint is switched (text_poke_bp, an int3 first), and under multi-threaded TCG another vCPU can
        // still run the old translation after the patch is done, and the kernel oopses on a stray int3 (seen in
        // ttwu_do_wakeup and trace_sched_waking while `ue record` set set_event_pid).
        _ => cmd.args(["-accel", &format!("tcg,thread={}", tcg_threads()), "-cpu", "max"]),
    };
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if probe { Stdio::null() } else { Stdio::inherit() })
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-x86_64: {e}"))?;
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in sys::lines(out) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + timeout;
    let mut stdout = std::io::stdout();
    let status = loop {
        while let Ok(line) = rx.try_recv() {
            let line = line.trim_end_matches('\r');
            let _ = writeln!(stdout, "{line}");
            on_line(line);
        }
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("ue-vm: timed out after {timeout:?}");
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // Drain what the reader thread still holds.
    for line in &rx {
        let line = line.trim_end_matches('\r');
        let _ = writeln!(stdout, "{line}");
        on_line(line);
    }
    let _ = stdout.flush();
    Ok(match status.code() {
        Some(c) if c % 2 == 1 => Some((c - 1) / 2),
        _ => None,
    })
}
