//! Compile time and code size: generated crates of functions with a ue site, a `tracing::info!` or none.

use super::{generated, Figures, COMPILE_SITES};
use crate::sys::{self, Result};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The crate sizes timed: [`COMPILE_SITES`] (the README's figure) and ten times as many.
pub const SIZES: [usize; 2] = [COMPILE_SITES, 10 * COMPILE_SITES];
pub const KINDS: [&str; 3] = ["ue", "tracing", "none"];

fn source(kind: &str, n: usize) -> String {
    let body = |i: usize| match kind {
        "ue" => format!("ue_runtime::tracepoint!(site_{i}, a: u32 = a, b: u64 = b, s: &str = s);"),
        "tracing" => "tracing::info!(a, b, s);".into(),
        _ => "std::hint::black_box((a, b, s));".into(),
    };
    (0..n).map(|i| format!("#[inline(never)] pub fn f_{i}(a: u32, b: u64, s: &str) {{ {} }}\n", body(i))).collect()
}

fn deps() -> String {
    format!(
        "{}\ntracing = {{ version = \"0.1\", default-features = false, features = [\"std\"] }}",
        generated::ue_dep()
    )
}

/// Build time of a crate of `n` functions, each with a ue site, a `tracing::info!` with the same three fields,
/// or no site; dependencies built first, then the crate alone, best of two builds, dev and release.
pub fn times(f: &mut Figures) -> Result<()> {
    for n in SIZES {
        sys::step(&format!("compile time: {n} sites (ue, tracing, none), dev and release"));
        for kind in KINDS {
            let src = source(kind, n);
            let dir = generated::crate_dir(&format!("compile-{kind}-{n}"), &deps(), &[], Some(&src))?;
            for (profile, flag) in [("dev", None), ("release", Some("--release"))] {
                let build = || -> Result<f64> {
                    // Touch the source so only this crate rebuilds.
                    std::fs::write(dir.join("src/lib.rs"), &src).map_err(|e| e.to_string())?;
                    let mut c = sys::cargo();
                    c.current_dir(&dir)
                        .args(["build", "--quiet"])
                        .args(flag)
                        .env("CARGO_TARGET_DIR", dir.join("target"));
                    let t0 = Instant::now();
                    sys::run(&mut c)?;
                    Ok(t0.elapsed().as_secs_f64())
                };
                build()?; // dependencies, and a warm cache
                let best = build()?.min(build()?);
                f.insert(format!("compile_s.{kind}.{profile}.{n}"), best);
            }
        }
    }
    sizes(f)
}

/// Code size of [`COMPILE_SITES`] functions: a release program calling each once, its `.text` and its
/// stripped file, per kind.
fn sizes(f: &mut Figures) -> Result<()> {
    sys::step(&format!("code size: a program of {COMPILE_SITES} functions (ue, tracing, none), release"));
    for kind in KINDS {
        let calls: String = (0..COMPILE_SITES).map(|i| format!("    f_{i}(a, b, s);\n")).collect();
        let main = format!(
            "use std::hint::black_box;\n#[allow(unused_imports)]\nuse lib::*;\n\nfn main() {{\n    let (a, b, s) = \
             (black_box(1u32), black_box(2u64), black_box(\"fifteen bytes!!\"));\n{calls}}}\n"
        );
        let lib = source(kind, COMPILE_SITES).replace("#[inline(never)] pub fn", "#[inline(never)]\npub fn");
        let src = format!("mod lib {{\n{lib}}}\n{main}");
        let dir = generated::crate_dir(&format!("size-{kind}"), &deps(), &[("size".into(), src)], None)?;
        let mut c = sys::cargo();
        c.current_dir(&dir).args(["build", "--quiet", "--release"]).env("CARGO_TARGET_DIR", dir.join("target"));
        sys::run(&mut c)?;
        let exe = dir.join("target/release/size");
        f.insert(format!("size.text.{kind}"), text_bytes(&exe)?);
        let stripped = dir.join("target/release/size.stripped");
        sys::run(Command::new("strip").arg("-o").arg(&stripped).arg(&exe))?;
        let len = std::fs::metadata(&stripped).map_err(|e| e.to_string())?.len();
        f.insert(format!("size.file.{kind}"), len as f64);
    }
    Ok(())
}

/// The size of the `.text` section, from `size -A`.
fn text_bytes(exe: &Path) -> Result<f64> {
    let out = sys::output(Command::new("size").arg("-A").arg(exe))?;
    out.lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some(".text")).then(|| w.next()?.parse::<f64>().ok()).flatten()
        })
        .ok_or_else(|| format!("no .text in `size -A {}`", exe.display()))
}
