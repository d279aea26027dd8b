//! The ue test bed and project commands: `cargo xtask <command>`.
//!
//! - `kernel`: build (or reuse) a user_events test kernel from Debian's linux-source-6.12.
//! - `vm -- <cmd> [args…]`: boot that kernel in QEMU with the host's root shared read-only, run the command.
//! - `test [--host] [-- <test args>]`: host tests, then the kernel-backed tests inside the VM.
//! - `demo`: build examples/quickstart and show its events as a tracer records them in the VM.
//! - `bench`: measure and write BENCHMARKS.md.

mod bench;
mod bench_tracing;
mod demo;
mod guest;
mod kernel;
mod sys;
mod test;
mod vm;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <kernel | vm -- <cmd> [args…] | test [--host] [-- <test args>] | demo | bench>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
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
            eprintln!("{USAGE}");
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
