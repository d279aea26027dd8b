//! `cargo xtask vm -- <cmd> [args…]`: boot the test kernel in QEMU, run one command as root, relay its output
//! and exit status.
//!
//! The guest's root is the host's `/`, read-only over virtio-9p, so host-built binaries run unchanged at the same
//! paths. PID 1 is this xtask binary (guest.rs); it reports the command's status through isa-debug-exit.
//! Environment: UE_VM_ACCEL=kvm|tcg (default: probe KVM once, fall back to TCG), UE_VM_TIMEOUT (seconds,
//! default 1800), UE_VM_VERBOSE=1 (show the kernel log).

use crate::guest;
use crate::kernel;
use crate::sys::{self, Result};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Variables passed from the host into the guest command's environment.
const PASS_ENV: &[&str] = &["RUST_BACKTRACE", "RUST_LOG", "UE_LOG", "RUST_TEST_THREADS", "NO_COLOR", "TERM"];

/// Runs `argv` in the VM; each output line goes to stdout and to `on_line`. Returns the command's exit status.
pub fn run(argv: &[String], on_line: &mut dyn FnMut(&str)) -> Result<i32> {
    if argv.is_empty() {
        return Err("usage: cargo xtask vm -- <command> [args…]".into());
    }
    let kernel = kernel::build()?;
    sys::ensure_packages(&["qemu-system-x86"])?;
    let dir = sys::target_dir().join("ue-vm");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let spec = dir.join(format!("spec-{}", std::process::id()));
    write_spec(&spec, argv)?;
    let accel = accel(&kernel, &dir)?;
    let timeout = std::env::var("UE_VM_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(1800);
    let result = boot(&kernel, &accel, &[&spec.to_string_lossy()], Duration::from_secs(timeout), on_line);
    let _ = std::fs::remove_file(&spec);
    match result? {
        Some(code) => Ok(code),
        None => Err("the guest stopped without reporting an exit status (kernel panic or timeout?)".into()),
    }
}

fn write_spec(path: &Path, argv: &[String]) -> Result<()> {
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let env: Vec<String> = PASS_ENV.iter().filter_map(|k| std::env::var(k).ok().map(|v| format!("{k}={v}"))).collect();
    let mut fields = vec![cwd.to_string_lossy().into_owned(), env.len().to_string()];
    fields.extend(env);
    fields.extend(argv.iter().map(|a| absolute(a)));
    let mut buf = Vec::new();
    for f in fields {
        buf.extend_from_slice(f.as_bytes());
        buf.push(0);
    }
    std::fs::write(path, buf).map_err(|e| e.to_string())
}

/// `./prog` and `target/x` become absolute so they resolve the same inside the guest.
fn absolute(arg: &str) -> String {
    let p = Path::new(arg);
    if p.is_relative() && arg.contains('/') && p.exists() {
        std::fs::canonicalize(p).map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| arg.into())
    } else {
        arg.into()
    }
}

/// KVM where it boots, TCG otherwise. On some hosts /dev/kvm exists but KVM fails early in boot, so a short
/// probe boot decides; its answer is cached per kernel image.
fn accel(kernel: &Path, dir: &Path) -> Result<String> {
    if let Ok(a) = std::env::var("UE_VM_ACCEL") {
        return Ok(a);
    }
    let key = format!("{:016x}", sys::fnv64(&[kernel.to_string_lossy().as_bytes()]));
    let cache = dir.join(format!("accel-{key}"));
    if let Ok(a) = std::fs::read_to_string(&cache) {
        return Ok(a.trim().to_string());
    }
    let kvm_usable = std::fs::OpenOptions::new().read(true).write(true).open("/dev/kvm").is_ok();
    let chosen = if kvm_usable {
        sys::step("probing KVM (a short test boot)");
        match boot(kernel, "kvm", &["--probe"], Duration::from_secs(30), &mut |_| {}) {
            Ok(Some(0)) => "kvm",
            _ => {
                eprintln!("    KVM did not boot the test kernel; using TCG (override with UE_VM_ACCEL)");
                "tcg"
            }
        }
    } else {
        "tcg"
    };
    std::fs::write(&cache, chosen).map_err(|e| e.to_string())?;
    Ok(chosen.to_string())
}

/// Boots once; Some(status) when the guest reported one through isa-debug-exit.
fn boot(
    kernel: &Path,
    accel: &str,
    init_args: &[&str],
    timeout: Duration,
    on_line: &mut dyn FnMut(&str),
) -> Result<Option<i32>> {
    let probe = init_args == ["--probe"];
    let init = std::env::current_exe().map_err(|e| e.to_string())?;
    let verbose = std::env::var("UE_VM_VERBOSE").is_ok_and(|v| v == "1");
    let append = format!(
        "console=ttyS0 {} panic=-1 root=hostroot rootfstype=9p \
         rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro init={} -- {} {}",
        if verbose { "loglevel=7" } else { "loglevel=1" },
        init.display(),
        guest::INIT_ARG,
        init_args.join(" ")
    );
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args(["-M", "pc", "-m", "1G", "-smp", "2", "-no-reboot", "-display", "none", "-monitor", "none"])
        .args(["-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
        .args(["-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"])
        .arg("-kernel")
        .arg(kernel)
        .arg("-append")
        .arg(append);
    match accel {
        "kvm" => cmd.args(["-accel", "kvm", "-cpu", "host"]),
        _ => cmd.args(["-accel", "tcg,thread=multi", "-cpu", "max"]),
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
        // Lossy: tracers print raw bytes, and one invalid UTF-8 byte must not end the relay.
        let mut reader = BufReader::new(out);
        let mut buf = Vec::new();
        while reader.read_until(b'\n', &mut buf).is_ok_and(|n| n > 0) {
            let line = String::from_utf8_lossy(&buf).trim_end_matches('\n').to_string();
            buf.clear();
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
    for line in rx.iter() {
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
