//! What the kernel could not keep: the per-CPU counts of a tracefs instance (`per_cpu/cpuN/stats`;
//! kernel/trace/trace.c, `tracing_stats_read`), and the summary `ue record` ends with.
//!
//! A record is lost when its CPU's buffer is full: overwritten before it was read (`overrun`, the instance's
//! default overwrite mode), dropped as it came (`dropped events`, overwrite off), or lost to a writer
//! interrupted mid-commit (`commit overrun`). In a flight recorder (`--ring`, flight.rs) the overwritten ones
//! are the design, not a loss: they are counted apart ([`CpuStats::overrun`]).

use serde_json::{Map, Value};
use std::path::Path;

/// The counts of every CPU of an instance, by CPU number.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Losses {
    pub per_cpu: Vec<(u32, u64)>,
}

/// One CPU's counts of records the kernel did not keep, from its `stats` file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CpuStats {
    /// `overrun`: overwritten by newer records before they were read (overwrite mode).
    pub overrun: u64,
    /// `commit overrun` + `dropped events`: lost as they were written.
    pub dropped: u64,
}

impl CpuStats {
    pub fn parse(stats: &str) -> CpuStats {
        let count = |keys: &[&str]| -> u64 {
            stats
                .lines()
                .filter_map(|l| l.split_once(':'))
                .filter(|(k, _)| keys.contains(&k.trim()))
                .filter_map(|(_, v)| v.trim().parse::<u64>().ok())
                .sum()
        };
        CpuStats { overrun: count(&["overrun"]), dropped: count(&["commit overrun", "dropped events"]) }
    }
}

/// Reads `instance/per_cpu/cpuN/stats` for every CPU, by CPU number; an unreadable one counts 0.
pub fn read_stats(instance: &Path) -> Vec<(u32, CpuStats)> {
    let mut per_cpu = Vec::new();
    let Ok(rd) = std::fs::read_dir(instance.join("per_cpu")) else { return per_cpu };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(cpu) = name.strip_prefix("cpu").and_then(|n| n.parse().ok()) else { continue };
        let stats = std::fs::read_to_string(e.path().join("stats")).unwrap_or_default();
        per_cpu.push((cpu, CpuStats::parse(&stats)));
    }
    per_cpu.sort_unstable_by_key(|(c, _)| *c);
    per_cpu
}

/// `cpu0 10, cpu2 3`: the CPUs whose count is not 0.
pub fn cpu_words(per_cpu: &[(u32, u64)]) -> String {
    let cpus: Vec<String> = per_cpu.iter().filter(|(_, n)| *n > 0).map(|(c, n)| format!("cpu{c} {n}")).collect();
    cpus.join(", ")
}

/// `{"0": n, "1": m, …}`.
pub fn cpu_json(per_cpu: &[(u32, u64)]) -> Value {
    Value::Object(per_cpu.iter().map(|(c, n)| (c.to_string(), Value::from(*n))).collect())
}

impl Losses {
    /// Reads `instance/per_cpu/cpuN/stats` for every CPU, every way of losing a record counted.
    pub fn read(instance: &Path) -> Losses {
        Losses { per_cpu: read_stats(instance).into_iter().map(|(c, s)| (c, s.overrun + s.dropped)).collect() }
    }

    pub fn total(&self) -> u64 {
        self.per_cpu.iter().map(|(_, n)| n).sum()
    }

    /// `12 records lost (cpu0 10, cpu1 2)`, naming only the CPUs that lost any.
    pub fn words(&self) -> String {
        format!("{} records lost ({})", self.total(), cpu_words(&self.per_cpu))
    }

    /// The last line of `--json` (README's schema): `{"type":"summary", "records":…, "lost":…,
    /// "lost_per_cpu":{"0":…, …}}`.
    pub fn json_summary(&self, records: u64) -> String {
        Value::Object(self.json_map(records)).to_string()
    }

    /// [`Losses::json_summary`]'s object, for a caller that adds keys (flight.rs).
    pub fn json_map(&self, records: u64) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("type".into(), Value::from("summary"));
        m.insert("records".into(), Value::from(records));
        m.insert("lost".into(), Value::from(self.total()));
        m.insert("lost_per_cpu".into(), cpu_json(&self.per_cpu));
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_ways_to_lose_a_record_are_summed_per_cpu() {
        let stats = "entries: 5\noverrun: 7\ncommit overrun: 1\nbytes: 4000\noldest event ts:  12.000001\n\
            now ts:  13.5\ndropped events: 2\nread events: 9\n";
        assert_eq!(CpuStats::parse(stats), CpuStats { overrun: 7, dropped: 3 });
        let l = Losses { per_cpu: vec![(0, 10), (1, 0), (2, 3)] };
        assert_eq!((l.total(), l.words()), (13, "13 records lost (cpu0 10, cpu2 3)".to_string()));
        let j: Value = serde_json::from_str(&l.json_summary(40)).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"type": "summary", "records": 40, "lost": 13,
            "lost_per_cpu": {"0": 10, "1": 0, "2": 3}})
        );
    }
}
