//! On the host: the clock, disabled sites timed (interleaved, rotated rounds), and the code bytes of the
//! function-shaped rows.

use super::{collect, names, Figures, Texts, DISABLED_ITERS, FN_ROWS, LOOP_ROWS, ROUNDS};
use crate::sys::{self, Result};
use std::path::Path;
use std::process::Command;

pub fn disabled(bench: &Path, f: &mut Figures, text: &mut Texts) -> Result<()> {
    sys::step("host: clock, and disabled sites timed (interleaved, rotated rounds)");
    let mut host = |args: &[&str], keep: &dyn Fn(&str) -> bool| -> Result<()> {
        let mut g = Figures::new();
        for l in sys::output(Command::new(bench).args(args))?.lines() {
            collect(l, &mut g, text);
        }
        for (k, v) in g.into_iter().filter(|(k, _)| keep(k)) {
            f.insert(format!("host.{k}"), v);
        }
        Ok(())
    };
    host(&["clock"], &|_| true)?;
    let (r, n) = (ROUNDS.to_string(), DISABLED_ITERS.to_string());
    let mut none: Vec<String> =
        names(LOOP_ROWS).into_iter().filter(|k| !k.ends_with("_level") && !k.ends_with("_target")).collect();
    none.extend(names(FN_ROWS));
    let mut args = vec!["time", "none", &r, &n];
    args.extend(none.iter().map(String::as_str));
    host(&args, &|_| true)?;
    // One process per tracing dispatcher; only its tracing row is kept.
    for (world, row) in [("level", "loop_tracing_level"), ("target", "loop_tracing_target")] {
        host(&["time", world, &r, &n, "loop_baseline", "loop_floor", row], &|k| k.contains(row))?;
    }
    footprint(bench, f)
}

/// Code bytes of the function-shaped rows, from the symbol table.
fn footprint(bench: &Path, f: &mut Figures) -> Result<()> {
    let nm = sys::output(Command::new("nm").arg("-S").arg(bench))?;
    for name in ["ue_fn_baseline", "ue_fn_floor", "ue_fn_tracepoint", "ue_fn_user_event"] {
        let size = nm.lines().find_map(|l| {
            let p: Vec<&str> = l.split_whitespace().collect();
            (p.len() == 4 && p[3] == name).then(|| u64::from_str_radix(p[1], 16).ok()).flatten()
        });
        if let Some(s) = size {
            f.insert(format!("bytes.{name}"), s as f64);
        }
    }
    Ok(())
}
