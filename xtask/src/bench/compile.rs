//! Compile time: generated crates of COMPILE_SITES functions with a ue site, a `tracing::info!` or none.

use super::{generated, Figures, COMPILE_SITES};
use crate::sys::{self, Result};
use std::time::Instant;

/// Build time of a crate of COMPILE_SITES functions with a ue site, a `tracing::info!` with the same three
/// fields, or no site; dependencies built first, then the crate alone, best of two builds, dev and release.
pub fn times(f: &mut Figures) -> Result<()> {
    sys::step(&format!("compile time: {COMPILE_SITES} sites (ue, tracing, none), dev and release"));
    let sites = |body: &dyn Fn(usize) -> String| -> String {
        (0..COMPILE_SITES)
            .map(|i| format!("#[inline(never)] pub fn f_{i}(a: u32, b: u64, s: &str) {{ {} }}\n", body(i)))
            .collect()
    };
    let kinds: [(&str, String); 3] = [
        ("ue", sites(&|i| format!("ue_runtime::tracepoint!(site_{i}, a: u32 = a, b: u64 = b, s: &str = s);"))),
        ("tracing", sites(&|_| "tracing::info!(a, b, s);".into())),
        ("none", sites(&|_| "std::hint::black_box((a, b, s));".into())),
    ];
    let deps = format!(
        "{}\ntracing = {{ version = \"0.1\", default-features = false, features = [\"std\"] }}",
        generated::ue_dep()
    );
    for (kind, src) in &kinds {
        let dir = generated::crate_dir(&format!("compile-{kind}"), &deps, &[], Some(src))?;
        for (profile, flag) in [("dev", None), ("release", Some("--release"))] {
            let build = || -> Result<f64> {
                // Touch the source so only this crate rebuilds.
                std::fs::write(dir.join("src/lib.rs"), src).map_err(|e| e.to_string())?;
                let mut c = sys::cargo();
                c.current_dir(&dir).args(["build", "--quiet"]).args(flag).env("CARGO_TARGET_DIR", dir.join("target"));
                let t0 = Instant::now();
                sys::run(&mut c)?;
                Ok(t0.elapsed().as_secs_f64())
            };
            build()?; // dependencies, and a warm cache
            let best = build()?.min(build()?);
            f.insert(format!("compile_s.{kind}.{profile}"), best);
        }
    }
    Ok(())
}
