//! The layering rule of ue-runtime: `lib.rs` lists the modules bottom-up, and each module imports only
//! modules listed above it (so the module graph has no cycle). `cargo xtask test` checks it in its style step.

use std::collections::BTreeSet;
use std::path::Path;

/// Checks the crate whose sources are under `src` (a `lib.rs` and one file or directory per module); the
/// violations, one per line, when a module names one listed at or below it.
pub fn check(src: &Path) -> Result<(), String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).map_err(|e| format!("{}: {e}", src.display()))?;
    let order = modules(&lib);
    let mut wrong = Vec::new();
    for (i, m) in order.iter().enumerate() {
        let mut text = String::new();
        for file in files(src, m) {
            text += &std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        }
        for r in refs(&text) {
            if let Some(j) = order.iter().position(|o| *o == r) {
                if j > i {
                    wrong.push(format!("ue-runtime: {m} imports {r}, which lib.rs lists after it (a module imports only those listed before it)"));
                }
            }
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n"))
    }
}

/// The `mod` lines of lib.rs, in order.
fn modules(lib: &str) -> Vec<String> {
    lib.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("pub mod ").or_else(|| l.strip_prefix("mod ")))
        .filter_map(|l| l.strip_suffix(';'))
        .map(str::to_string)
        .collect()
}

/// The source files of module `m`: `m.rs`, or every `.rs` file under `m/`.
fn files(src: &Path, m: &str) -> Vec<std::path::PathBuf> {
    let file = src.join(format!("{m}.rs"));
    if file.exists() {
        return vec![file];
    }
    let mut out: Vec<_> = std::fs::read_dir(src.join(m))
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "rs")).collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The crate modules a source text names (`crate::m…` and `crate::{m, n…}`), comments and the unit tests
/// (`#[cfg(test)] mod tests`, last in a file) left out.
fn refs(text: &str) -> BTreeSet<String> {
    let code: String = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or("")
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                out.insert(ident(part.trim()));
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

fn ident(s: &str) -> String {
    s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crate_with(files: &[(&str, &str)]) -> tempdir::Dir {
        let d = tempdir::Dir::new();
        for (name, text) in files {
            let p = d.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        d
    }

    mod tempdir {
        pub struct Dir(std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let p = std::env::temp_dir().join(format!("xtask-layers-{}-{n}", std::process::id()));
                let _ = std::fs::remove_dir_all(&p);
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
            pub fn path(&self) -> &std::path::Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn a_module_may_import_those_above_it_only() {
        let lib = "mod a;\nmod b;\npub mod c;\n";
        let ok = crate_with(&[
            ("lib.rs", lib),
            ("a.rs", "// crate::c in a comment\n"),
            ("b/mod.rs", "use crate::a;\n"),
            ("c.rs", "use crate::{a, b::x};\n#[cfg(test)]\nmod tests {\n use crate::c;\n}\n"),
        ]);
        assert_eq!(check(ok.path()), Ok(()));
        let bad = crate_with(&[("lib.rs", lib), ("a.rs", "fn f() { crate::c::g() }\n"), ("b.rs", ""), ("c.rs", "")]);
        let err = check(bad.path()).unwrap_err();
        assert!(err.contains("a imports c"), "{err}");
    }

    #[test]
    fn ue_runtime_is_layered() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ue-runtime/src");
        assert_eq!(check(&src), Ok(()));
    }
}
