//! `ue record --ring SIZE`, the flight recorder: the instance's buffers keep the last records in overwrite mode
//! and are not read while the command runs; on SIGUSR2 and at exit a snapshot writes them out, each to a file of
//! its own (`-o FILE`: `FILE.1`, `FILE.2`, …; without `-o`, to standard output one after the other).
//!
//! The bed's 6.12 kernel has no `CONFIG_TRACER_SNAPSHOT` (no spare buffer to swap in), so a snapshot is:
//! `tracing_on` = 0 in the instance, every CPU's `trace_pipe_raw` read to its end (record.rs's drain),
//! `tracing_on` = 1. What the processes write during the drain is dropped by the kernel without a count (see
//! [`tracefs::TRACING_ON`]). Reads consume, so each snapshot holds what was written since the previous one, at
//! most SIZE. The records the buffers overwrote are counted per CPU (`overrun` in `per_cpu/cpuN/stats`) as
//! overwritten, apart from records lost (losses.rs).

use crate::escape;
use crate::losses::{self, CpuStats, Losses};
use crate::output::{warn, Sink};
use crate::tracefs;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by SIGUSR2: a snapshot is wanted.
static WANTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_usr2(_: libc::c_int) {
    WANTED.store(true, Ordering::Relaxed);
}

/// SIGUSR2 asks for a snapshot from now on (instead of ending `ue`).
pub fn catch_sigusr2() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_usr2 as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&raw mut sa.sa_mask);
        libc::sigaction(libc::SIGUSR2, &raw const sa, std::ptr::null_mut());
    }
}

/// Whether SIGUSR2 came since the last call.
pub fn wanted() -> bool {
    WANTED.swap(false, Ordering::Relaxed)
}

/// A recording without `--ring` has nothing to snapshot: a SIGUSR2 since the last call is said to be ignored.
pub fn refuse_snapshot() {
    if wanted() {
        warn("ue record: SIGUSR2 ignored: only a --ring recording takes snapshots; this one goes on");
    }
}

/// `--ring SIZE`: bytes, or with a binary unit (`512K`, `64M`, `1G`; `k`, `KiB`, `KB` alike); more than 0.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("{}: a size is a number and K, M or G (64M, 512K)", escape::quoted(s))),
    };
    let n: u64 = num.parse().map_err(|_| format!("{}: a size starts with a number (64M, 512K)", escape::quoted(s)))?;
    match n.checked_mul(1 << shift) {
        Some(0) => Err("the ring must hold at least one record: a size above 0".into()),
        Some(b) => Ok(b),
        None => Err(format!("{}: too large", escape::quoted(s))),
    }
}

/// Snapshot `n`'s file for `-o base`: `base.n`.
pub fn path(base: &Path, n: u32) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

/// The snapshots of one recording.
pub struct Flight {
    instance: PathBuf,
    /// `-o FILE`: the snapshots' base name.
    base: Option<PathBuf>,
    /// The number of the snapshot being filled, from 1.
    n: u32,
    /// The counts at the previous snapshot, for this one's.
    before: Vec<(u32, CpuStats)>,
    /// Each CPU's buffer, in KiB.
    pub kb_per_cpu: u64,
}

/// What one snapshot holds and lost, since the previous one.
pub struct Taken {
    pub n: u32,
    pub records: u64,
    pub lost: Losses,
    pub overwritten: Vec<(u32, u64)>,
    /// The file, or standard output.
    pub to: String,
}

impl Flight {
    /// Gives the instance SIZE bytes of buffer in all (split among its CPUs, rounded up to whole KiB) and turns
    /// overwrite on: a full buffer drops its oldest page for the newest records.
    pub fn setup(instance: &Path, size: u64, base: Option<&Path>) -> Result<Flight, String> {
        let cpus = (losses::read_stats(instance).len() as u64).max(1);
        let kb_per_cpu = size.div_ceil(cpus).div_ceil(1024).max(1);
        tracefs::write(&instance.join(tracefs::BUFFER_SIZE_KB), &kb_per_cpu.to_string())?;
        tracefs::write(&instance.join("options/overwrite"), "1")?;
        Ok(Flight {
            instance: instance.to_path_buf(),
            base: base.map(Path::to_path_buf),
            n: 1,
            before: losses::read_stats(instance),
            kb_per_cpu,
        })
    }

    /// Where the snapshot being filled goes: `FILE.n`, or standard output.
    pub fn path(&self) -> Option<PathBuf> {
        self.base.as_deref().map(|b| path(b, self.n))
    }

    /// The output of the snapshot being filled, created now.
    pub fn sink(&self) -> Result<Sink, String> {
        Sink::create(self.path().as_deref())
    }

    /// Stops the instance's buffers for a snapshot's drain.
    pub fn pause(&self) -> Result<(), String> {
        tracefs::write(&self.instance.join(tracefs::TRACING_ON), "0")
    }

    pub fn resume(&self) -> Result<(), String> {
        tracefs::write(&self.instance.join(tracefs::TRACING_ON), "1")
    }

    /// Ends the snapshot being filled, of `records` records: its counts; the next one gets the next number.
    pub fn took(&mut self, records: u64) -> Taken {
        let now = losses::read_stats(&self.instance);
        let since =
            |c: u32, f: fn(&CpuStats) -> u64| self.before.iter().find(|(b, _)| *b == c).map_or(0, |(_, s)| f(s));
        let lost = now.iter().map(|(c, s)| (*c, s.dropped.saturating_sub(since(*c, |s| s.dropped)))).collect();
        let overwritten = now.iter().map(|(c, s)| (*c, s.overrun.saturating_sub(since(*c, |s| s.overrun)))).collect();
        let to = self.path().map_or_else(crate::output::stdout_name, |p| escape::text(&p.to_string_lossy()).into());
        let taken = Taken { n: self.n, records, lost: Losses { per_cpu: lost }, overwritten, to };
        self.before = now;
        self.n += 1;
        taken
    }

    /// Every record lost so far (not counting the overwritten ones), for `--strict`.
    pub fn lost(&self) -> Losses {
        Losses { per_cpu: losses::read_stats(&self.instance).into_iter().map(|(c, s)| (c, s.dropped)).collect() }
    }
}

impl Taken {
    pub fn overwritten_total(&self) -> u64 {
        self.overwritten.iter().map(|(_, n)| n).sum()
    }

    /// The snapshot's last `--json` line: the summary of losses.rs and `overwritten`, `overwritten_per_cpu`,
    /// `snapshot` (its number).
    pub fn json_summary(&self) -> String {
        let mut m = self.lost.json_map(self.records);
        m.insert("overwritten".into(), Value::from(self.overwritten_total()));
        m.insert("overwritten_per_cpu".into(), losses::cpu_json(&self.overwritten));
        m.insert("snapshot".into(), Value::from(self.n));
        Value::Object(m).to_string()
    }

    /// `snapshot 1: 2043 records to out.1; 997957 older records overwritten (cpu0 997957)`.
    pub fn words(&self) -> String {
        let mut s = format!("snapshot {}: {} records to {}", self.n, self.records, self.to);
        let over = self.overwritten_total();
        if over > 0 {
            let _ = write!(s, "; {over} older records overwritten ({})", losses::cpu_words(&self.overwritten));
        } else {
            s += "; none overwritten";
        }
        if self.lost.total() > 0 {
            let _ = write!(s, "; {}", self.lost.words());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_units_and_refuse_nonsense() {
        let ok = |s: &str| parse_size(s).unwrap();
        assert_eq!(
            [ok("512K"), ok("64M"), ok("1g"), ok("4096"), ok("2MiB"), ok("8kb")],
            [512 << 10, 64 << 20, 1 << 30, 4096, 2 << 20, 8 << 10]
        );
        for bad in ["", "M", "64T", "-1M", "1.5M", "0", "0K", "99999999999999999999", "17179869184G"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_snapshot_says_what_it_holds_and_what_was_overwritten_apart_from_lost() {
        let t = Taken {
            n: 2,
            records: 40,
            lost: Losses { per_cpu: vec![(0, 0), (1, 3)] },
            overwritten: vec![(0, 100), (1, 0)],
            to: "f.2".into(),
        };
        assert_eq!(
            t.words(),
            "snapshot 2: 40 records to f.2; 100 older records overwritten (cpu0 100); 3 records lost (cpu1 3)"
        );
        let j: Value = serde_json::from_str(&t.json_summary()).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"type": "summary", "records": 40, "lost": 3, "lost_per_cpu": {"0": 0, "1": 3},
                "overwritten": 100, "overwritten_per_cpu": {"0": 100, "1": 0}, "snapshot": 2})
        );
    }
}
