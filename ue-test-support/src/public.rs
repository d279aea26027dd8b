//! Programs any user can run, whatever the checkout: shared by the tests of the root package and of ue-cli.

use std::path::PathBuf;

/// Copies of programs any user can run, in a fresh 0755 directory under /tmp, removed on drop: a test that
/// drops privileges runs them, since the checkout may be one other users cannot enter (a 0700 home).
pub struct Public {
    dir: PathBuf,
}

impl Public {
    #[allow(clippy::new_without_default)] // it creates a directory: no default value
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
