//! Runs of `ue` for its tests, and the shared test helpers they use.
#![allow(dead_code)]

use std::process::{Command, Output};
/// The root package's examples: target/<profile>/examples/<name>, built by `cargo test --workspace`.
pub use ue_test_support::example;

pub fn ue() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ue"))
}

pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = cmd.output().expect("run ue");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}
