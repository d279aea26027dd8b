//! `cargo xtask test`: host tests, then the kernel-backed (ignored on the host) tests inside the VM, then the
//! bed's own tests (xtask/tests/bed.rs), which boot the VM from other checkouts.

use crate::cargo_json;
use crate::sys::{self, cargo, Result};
use crate::vm;
use std::process::{Command, Stdio};

pub fn run(args: &[String]) -> Result<i32> {
    let split = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let (opts, extra) = (&args[..split], args.get(split + 1..).unwrap_or(&[]).to_vec());
    let host_only = match opts {
        [] => false,
        [o] if o == "--host" => true,
        _ => return Err(format!("unknown option {}; see cargo xtask test --help", opts.join(" "))),
    };
    if host_only {
        // The host has user_events and we are root: run everything here.
        sys::step("cargo test --workspace -- --include-ignored (on the host)");
        let mut cmd = cargo();
        cmd.args(["test", "--workspace", "--", "--include-ignored", "--test-threads=1"]).args(&extra);
        let (ok, summary) = tee(&mut cmd)?;
        print_summary(&[("host", &summary)]);
        return Ok(i32::from(!ok));
    }

    vm::check_visible()?;
    let style_ok = style()?;
    sys::step("host: cargo test --workspace (unit, doc and compile-fail tests)");
    let (host_ok, host_summary) = tee(cargo().args(["test", "--workspace"]))?;

    // The real-tool tests (tests/decoded_by_tools.rs, tests/tracing_decoded_by_tools.rs) run Debian's trace-cmd
    // and perf inside the VM.
    sys::ensure_packages(&["trace-cmd", "linux-perf", "bpftrace"])?;
    // `ue record -g`'s test (ue-cli/tests/perf_data.rs) needs a program whose whole stack the kernel can walk.
    sys::step("building examples/quickstart with frame pointers (target/fp)");
    let fp = cargo()
        .args(["build", "--quiet", "--example", "quickstart"])
        .env("RUSTFLAGS", "-C force-frame-pointers=yes")
        .env("CARGO_TARGET_DIR", sys::target_dir().join("fp"))
        .status()
        .map_err(|e| e.to_string())?;
    if !fp.success() {
        return Err("cargo build --example quickstart with frame pointers failed".into());
    }
    sys::step("building the kernel-backed tests");
    let bins = test_executables()?;
    let bed = vm::prepare()?;
    sys::step(&format!(
        "VM: {} test binaries with --ignored, inside the user_events kernel ({}, {} CPUs)",
        bins.len(),
        bed.accel,
        bed.cpus
    ));
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut argv = vec![exe.to_string_lossy().into_owned(), crate::guest::TESTS_ARG.to_string()];
    argv.extend(bins);
    argv.push("--".into());
    let color = if std::io::IsTerminal::is_terminal(&std::io::stdout()) { "always" } else { "never" };
    argv.push(format!("--color={color}"));
    argv.extend(extra.iter().cloned());
    let mut vm_summary = Vec::new();
    let mut current = String::new();
    let vm_code = bed.run(&argv, &mut |line| collect(line, &mut current, &mut vm_summary))?;

    sys::step("bed: xtask/tests/bed.rs (boots from /var/tmp, a 0700 directory, a second checkout)");
    let (bed_ok, bed_summary) = tee(cargo()
        .args(["test", "-p", "xtask", "--test", "bed", "--", "--ignored", "--test-threads=1"])
        .args(&extra))?;

    print_summary(&[("host", &host_summary), ("vm", &vm_summary), ("bed", &bed_summary)]);
    if !style_ok {
        eprintln!("xtask test: format, lints or packaging FAILED (cargo fmt --all; cargo clippy --workspace --all-targets; cargo package)");
    }
    if !host_ok {
        eprintln!("xtask test: host tests FAILED");
    }
    if vm_code != 0 {
        eprintln!("xtask test: kernel-backed tests in the VM FAILED (status {vm_code})");
    }
    if !bed_ok {
        eprintln!("xtask test: the bed's own tests FAILED");
    }
    Ok(i32::from(!(style_ok && host_ok && vm_code == 0 && bed_ok)))
}

/// The house style: `cargo fmt --check`, clippy with the workspace lint table (warnings denied), and every
/// publishable crate packages and builds from its package.
fn style() -> Result<bool> {
    sys::step("style: cargo fmt --all -- --check");
    let fmt_ok = cargo().args(["fmt", "--all", "--", "--check"]).status().map_err(|e| e.to_string())?.success();
    sys::step("style: cargo clippy --workspace --all-targets -- -D warnings");
    let clippy_ok = cargo()
        .args(["clippy", "--workspace", "--all-targets", "--quiet", "--", "-D", "warnings"])
        .status()
        .map_err(|e| e.to_string())?
        .success();
    sys::step("style: ue-runtime's modules in layers (each imports only those lib.rs lists before it)");
    let layers_ok = match crate::layers::check(&sys::root().join("ue-runtime/src")) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("{e}");
            false
        }
    };
    sys::step("style: ue-runtime's no-op platform side builds (cargo check with --cfg ue_sys_none)");
    let none_ok = cargo()
        .args(["check", "--quiet", "-p", "ue-runtime", "--lib"])
        .env("RUSTFLAGS", "--cfg ue_sys_none -D warnings")
        .env("CARGO_TARGET_DIR", sys::root().join("target/sys-none"))
        .status()
        .map_err(|e| e.to_string())?
        .success();
    sys::step("style: cargo package of the publishable crates (manifests, included files, a build of each)");
    let verify_dir = sys::root().join("target/package-verify");
    forget_unpacked_packages();
    // Builds of our crates as registry crates (one version is never rebuilt) go too; their dependencies stay.
    let _ = cargo()
        .args(["clean", "--quiet", "--target-dir"])
        .arg(&verify_dir)
        .args(PUBLISHED.iter().flat_map(|p| ["-p", p]))
        .status();
    let package_ok = cargo()
        .env("CARGO_TARGET_DIR", &verify_dir)
        .args(["package", "--quiet", "--allow-dirty"])
        .args(PUBLISHED.iter().flat_map(|p| ["-p", p]))
        .status()
        .map_err(|e| e.to_string())?
        .success();
    Ok(fmt_ok && clippy_ok && layers_ok && none_ok && package_ok)
}

/// Runs a command (stderr merged into stdout), echoing its output, and keeps each harness's `Running …` and
/// `test result:` lines.
fn tee(cmd: &mut Command) -> Result<(bool, Vec<String>)> {
    let mut sh = Command::new("sh");
    sh.arg("-c").arg("exec \"$@\" 2>&1").arg("sh").arg(cmd.get_program()).args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        sh.current_dir(dir);
    }
    let mut child = sh.stdout(Stdio::piped()).spawn().map_err(|e| e.to_string())?;
    let mut summary = Vec::new();
    let mut current = String::new();
    for line in sys::lines(child.stdout.take().unwrap()) {
        println!("{line}");
        collect(&line, &mut current, &mut summary);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok((status.success(), summary))
}

fn collect(line: &str, current: &mut String, summary: &mut Vec<String>) {
    let t = line.trim();
    if let Some(rest) = t.strip_prefix("Running ").or_else(|| t.strip_prefix("Doc-tests ")) {
        *current = rest.to_string();
    } else if t.starts_with("test result:") {
        summary.push(format!("{t}  [{current}]"));
    }
}

fn print_summary(parts: &[(&str, &Vec<String>)]) {
    println!("\n==> summary");
    for (name, lines) in parts {
        if lines.is_empty() {
            println!("{name}: no test harness ran");
        }
        for l in *lines {
            println!("{name}: {l}");
        }
    }
}

/// The test executables of the workspace, built by `cargo test --no-run`, but xtask's own (they boot VMs).
fn test_executables() -> Result<Vec<String>> {
    let out = sys::output(cargo().args(["test", "--workspace", "--no-run", "--message-format=json"]))?;
    let bins = cargo_json::test_executables(&out, Some(&sys::root().join("xtask/Cargo.toml")));
    if bins.is_empty() {
        return Err("cargo test --no-run listed no test executables".into());
    }
    Ok(bins)
}

/// The publishable crates, as `cargo package` builds them.
const PUBLISHED: [&str; 5] = ["ue-abi", "ue-macros", "ue-runtime", "ue-cli", "ue-tracing"];

/// `cargo package` verifies each crate against its workspace dependencies as packaged, unpacking them under
/// `$CARGO_HOME/registry/src/<local registry>/` by name and version, and reuses an unpacked copy it finds
/// there: one of an earlier run (older sources, same version) would be used instead. So those go first; nothing
/// else of the registry is touched.
fn forget_unpacked_packages() {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")));
    let Some(src) = home.map(|h| h.join("registry/src")) else { return };
    let Ok(registries) = std::fs::read_dir(src) else { return };
    for registry in registries.flatten() {
        let Ok(crates) = std::fs::read_dir(registry.path()) else { continue };
        for c in crates.flatten() {
            let name = c.file_name().to_string_lossy().into_owned();
            if PUBLISHED.iter().any(|p| name.strip_prefix(p).is_some_and(|v| v.starts_with("-0."))) {
                let _ = std::fs::remove_dir_all(c.path());
            }
        }
    }
}
