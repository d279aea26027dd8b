//! The crates the bench generates under target/ue-bench/, each built with its own target directory.

use crate::sys::{self, Result};
use std::path::{Path, PathBuf};

/// A crate of generated programs under target/ue-bench/<name>, built (release) with its own target dir.
pub fn crate_dir(name: &str, deps: &str, bins: &[(String, String)], lib: Option<&str>) -> Result<PathBuf> {
    let dir = sys::target_dir().join("ue-bench").join(name);
    std::fs::create_dir_all(dir.join("src/bin")).map_err(|e| e.to_string())?;
    let manifest = format!(
        "[package]\nname = \"ue-bench-{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\n{deps}\n"
    );
    write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
    for (bin, src) in bins {
        write_if_changed(&dir.join(format!("src/bin/{bin}.rs")), src)?;
    }
    if let Some(src) = lib {
        write_if_changed(&dir.join("src/lib.rs"), src)?;
    }
    Ok(dir)
}

pub fn ue_dep() -> String {
    format!("ue-runtime = {{ path = \"{}\" }}\nlibc = \"0.2\"", sys::root().join("ue-runtime").display())
}

fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).map_err(|e| e.to_string())?;
    }
    Ok(())
}
