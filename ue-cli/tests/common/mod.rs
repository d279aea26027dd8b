//! Paths and runs of `ue` for its tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn ue() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ue"))
}

/// target/<profile>/examples/<name>, built by `cargo test --workspace` (examples of the root package).
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let p = exe.parent().unwrap().parent().unwrap().join("examples").join(name);
    assert!(p.exists(), "{} missing: build the workspace's examples (cargo test --workspace)", p.display());
    p
}

pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = cmd.output().expect("run ue");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[path = "../../../tests/common/public.rs"]
mod public;
#[allow(unused_imports)] // not every test binary drops privileges
pub use public::Public;
