//! In the test bed: the clock, enabled writes timed (also with bpftrace attached to the probes), allocations, and
//! callgrind's instruction counts of every row.

use super::{collect, names, Figures, Texts, CALLGRIND_DISABLED, CALLGRIND_ENABLED, ENABLED_ITERS, EN_ROWS};
use super::{FN_ROWS, LOOP_ROWS, PROBE_ROWS, PROBE_SEM_ROWS, ROUNDS};
use crate::sys::{self, Result};
use crate::vm;
use std::path::Path;

pub fn enabled(bench: &Path, f: &mut Figures, text: &mut Texts) -> Result<()> {
    sys::step("test bed: clock, enabled writes timed, allocations, callgrind instruction counts");
    let exe = bench.to_string_lossy();
    let script = format!(
        "{exe} clock && {exe} time none {ROUNDS} {ENABLED_ITERS} {en} && {exe} allocs {ENABLED_ITERS} && \
         {exe} callgrind {CALLGRIND_ENABLED} {en} {sem} && {exe} callgrind {CALLGRIND_DISABLED} {dis}",
        en = names(EN_ROWS).join(" "),
        sem = PROBE_SEM_ROWS.join(" "),
        dis = [names(LOOP_ROWS), names(FN_ROWS)].concat().join(" "),
    );
    in_bed(&script, "bed", f, text)?;
    probed(&exe, f, text)
}

/// Runs `script` in the test bed and keeps its figures as `<prefix>.<name>`.
fn in_bed(script: &str, prefix: &str, f: &mut Figures, text: &mut Texts) -> Result<()> {
    let mut g = Figures::new();
    let code = vm::run(&["sh".into(), "-c".into(), script.into()], &mut |l| collect(l, &mut g, text))?;
    if code != 0 {
        return Err(format!("the bench in the test bed failed (status {code}): {script}"));
    }
    for (k, v) in g {
        f.insert(format!("{prefix}.{k}"), v);
    }
    Ok(())
}

/// The enabled rows again with bpftrace attached to their USDT probes (in a process of its own): figures
/// `bed.usdt.*`.
fn probed(exe: &str, f: &mut Figures, text: &mut Texts) -> Result<()> {
    sys::step("test bed: enabled writes timed with bpftrace attached to the USDT probes");
    let script = format!("{exe} time bpftrace {ROUNDS} {ENABLED_ITERS} {}", names(PROBE_ROWS).join(" "));
    in_bed(&script, "bed.usdt", f, text)
}
