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

/// Copies of programs any user can run, in a fresh 0755 directory under /tmp, removed on drop: a test that
/// drops privileges runs them, since the checkout may be one other users cannot enter (a 0700 home).
pub struct Public {
    dir: PathBuf,
}

impl Public {
    pub fn new() -> Public {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("ue-cli-public-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        Public { dir }
    }

    /// A world-readable, executable copy of `program`.
    pub fn copy(&self, program: &std::path::Path) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let to = self.dir.join(program.file_name().unwrap());
        std::fs::copy(program, &to).unwrap_or_else(|e| panic!("copy {}: {e}", program.display()));
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
        to
    }
}

impl Drop for Public {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
