//! `cargo xtask <command>`: the command line of the xtask library; `cargo xtask --help` lists the commands.
//!
//! Hand-parsed rather than clap: xtask is the first thing a fresh clone compiles, and it depends on libc only.

use std::process::ExitCode;
use xtask::{bench, demo, guest, kernel, sys, test, vm};

const HELP: &str = "\
ue's test bed: a small kernel with user_events, booted in QEMU with the host's / shared read-only.

usage: cargo xtask <command> [options]

Commands:
  test [--host] [-- <args>]  host tests, kernel-backed tests in the VM, then the bed's own tests
  demo                       run examples/quickstart in the VM while trace-cmd records it
  vm -- <cmd> [args…]        run one command as root in the VM; exit with its status
  kernel                     build (or find) the test kernel and print its path
  bench                      measure the costs and write BENCHMARKS.md
  help [<command>]           this text, or one command's

Options: -h, --help (after a command: that command's help)

Environment:
  UE_KERNEL=<bzImage>    boot this kernel instead of the cached build
  UE_CACHE_DIR=<dir>     the machine-wide cache (default $XDG_CACHE_HOME/ue, else ~/.cache/ue)
  UE_VM_ACCEL=kvm|tcg    the accelerator, instead of the cached KVM probe
  UE_VM_TCG=multi        TCG with a host thread per vCPU (default single: see README, the test bed)
  UE_VM_CPUS=<n>         CPUs given to the guest (default: the host's, at least 2, at most 8)
  UE_VM_TIMEOUT=<secs>   bound one VM run (default 1800)
  UE_VM_VERBOSE=1        show the guest kernel's log
  UE_LOG=1               ue-runtime prints one status line per registration pass (passed into the VM)
  UE_BLESS=1             rewrite the expected compile errors of ue-runtime/tests/crate_prefix.rs
  CARGO_TARGET_DIR       honoured; the target directory must be visible in the VM like the checkout

Caches (shared by every checkout on the machine; delete to rebuild):
  <cache>/kernel/<hash>/bzImage   the kernel, by linux-source-6.12 version and xtask/kernel.config
  <cache>/src/<version>/          the unpacked kernel source (1.7 GB; unpacked again when needed)
  <cache>/accel/<hash>            the KVM probe's answer, by QEMU version and host kernel
";

const CMD_HELP: &[(&str, &str)] = &[
    (
        "test",
        "usage: cargo xtask test [--host] [-- <test binary args>]

1. cargo test --workspace on the host (unit, doc and compile-fail tests);
2. every test binary's #[ignore = \"needs user_events: …\"] tests, inside the VM, one at a time;
3. xtask/tests/bed.rs: the bed boots from /var/tmp, from a 0700 directory and from a second checkout.
Installs what it needs with apt-get and builds the kernel on first use.

  --host       on a host that has user_events, as root: run everything here with --include-ignored
  -- <args>    passed to the test binaries of steps 2 and 3 (a name filter, --nocapture…)",
    ),
    (
        "demo",
        "usage: cargo xtask demo

Builds examples/quickstart, boots the test kernel, runs the example, records its events with trace-cmd
while it runs, prints what trace-cmd decoded, and says what happened.",
    ),
    (
        "vm",
        "usage: cargo xtask vm -- <command> [args…]

Boots the test kernel with the host's / read-only over 9p and runs the command as root in the current
directory. The guest mounts proc, sysfs, devtmpfs, tracefs, debugfs, and a fresh tmpfs on /run, /tmp,
/var/tmp and /dev/shm; the checkout, its target directory, the working directory and path arguments stay
visible wherever they are (a path under /proc, /sys or /dev cannot be: the command says so before booting).
The guest's PATH ends with this binary's directory (a checkout's target/debug), so from any crate
`<checkout>/target/debug/xtask vm -- ue record -- ./target/debug/myapp` records your program.
Output is relayed; the exit status is the command's (0..127).",
    ),
    ("kernel", "usage: cargo xtask kernel\n\nBuilds (or finds in the cache) the test kernel and prints its path."),
    ("bench", "usage: cargo xtask bench\n\nMeasures the costs on the host and in the VM and writes BENCHMARKS.md."),
];

fn command_help(cmd: &str) -> Option<&'static str> {
    CMD_HELP.iter().find(|(c, _)| *c == cmd).map(|(_, h)| *h)
}

fn is_help(a: &str) -> bool {
    a == "-h" || a == "--help"
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = if let Some((c, r)) = args.split_first() {
        (c.as_str(), r)
    } else {
        eprint!("{HELP}");
        return ExitCode::from(2);
    };
    // Help: `--help`, `help [cmd]`, `<cmd> --help` (before any `--`).
    let before_dashes = rest.iter().take_while(|a| *a != "--");
    if is_help(cmd) || cmd == "help" || (command_help(cmd).is_some() && before_dashes.clone().any(|a| is_help(a))) {
        let topic = if command_help(cmd).is_some() { Some(cmd) } else { rest.first().map(String::as_str) };
        match topic.map(|t| (t, command_help(t))) {
            None => println!("{HELP}  (<cache> here: {})", sys::cache_dir().display()),
            Some((_, Some(h))) => println!("{h}"),
            Some((t, None)) => {
                eprintln!("xtask: no command {t:?}\n\n{HELP}");
                return ExitCode::from(2);
            }
        }
        return ExitCode::SUCCESS;
    }
    let result = match cmd {
        "kernel" => kernel::build().map(|p| {
            println!("{}", p.display());
            0
        }),
        "vm" => vm::run(strip_dashes(rest), &mut |_| {}),
        "test" => test::run(rest),
        "demo" => demo::run(),
        "bench" => bench::run(),
        // Inside the guest: the xtask binary is PID 1.
        guest::INIT_ARG => guest::init(rest),
        guest::TESTS_ARG => guest::run_tests(rest),
        _ => {
            eprint!("xtask: unknown command {cmd:?}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("xtask {cmd}: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn strip_dashes(args: &[String]) -> &[String] {
    match args.first() {
        Some(a) if a == "--" => &args[1..],
        _ => args,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `UE_*` variable named anywhere in the workspace's sources and docs is listed in the help.
    #[test]
    fn help_lists_every_ue_variable() {
        fn walk(dir: &std::path::Path, found: &mut std::collections::BTreeSet<String>) {
            for e in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
                let (path, name) = (e.path(), e.file_name().to_string_lossy().into_owned());
                if e.file_type().unwrap().is_dir() {
                    if !name.starts_with('.') && name != "target" {
                        walk(&path, found);
                    }
                } else if [".rs", ".md", ".toml"].iter().any(|x| name.ends_with(x)) {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    for (i, _) in text.match_indices("UE_") {
                        let word: String =
                            text[i..].chars().take_while(|c| c.is_ascii_uppercase() || *c == '_').collect();
                        let before = text[..i].chars().next_back();
                        if word.len() > 3 && !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                            found.insert(word);
                        }
                    }
                }
            }
        }
        let mut found = std::collections::BTreeSet::new();
        walk(&sys::root(), &mut found);
        assert!(found.contains("UE_KERNEL") && found.contains("UE_LOG"), "the scan works: {found:?}");
        let missing: Vec<&String> = found.iter().filter(|v| !HELP.contains(v.as_str())).collect();
        assert!(missing.is_empty(), "UE_* variables missing from `cargo xtask --help` (main.rs HELP): {missing:?}");
    }

    #[test]
    fn every_command_has_its_help() {
        for cmd in ["test", "demo", "vm", "kernel", "bench"] {
            let h = command_help(cmd).unwrap_or_else(|| panic!("no help for {cmd}"));
            assert!(h.starts_with(&format!("usage: cargo xtask {cmd}")), "{h}");
            assert!(HELP.contains(&format!("\n  {cmd} ")), "{cmd} missing from the command list");
        }
    }
}
