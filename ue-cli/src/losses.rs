//! What the kernel could not keep: the per-CPU counts of a tracefs instance (`per_cpu/cpuN/stats`;
//! kernel/trace/trace.c, `tracing_stats_read`), and the summary `ue record` ends with.
//!
//! A record is lost when its CPU's buffer is full: overwritten before it was read (`overrun`, the instance's
//! default overwrite mode), dropped as it came (`dropped events`, overwrite off), or lost to a writer
//! interrupted mid-commit (`commit overrun`).

use serde_json::{Map, Value};
use std::path::Path;

/// The counts of every CPU of an instance, by CPU number.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Losses {
    pub per_cpu: Vec<(u32, u64)>,
}

impl Losses {
    /// Reads `instance/per_cpu/cpuN/stats` for every CPU; an unreadable one counts 0.
    pub fn read(instance: &Path) -> Losses {
        let mut per_cpu = Vec::new();
        let Ok(rd) = std::fs::read_dir(instance.join("per_cpu")) else { return Losses::default() };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(cpu) = name.strip_prefix("cpu").and_then(|n| n.parse().ok()) else { continue };
            let stats = std::fs::read_to_string(e.path().join("stats")).unwrap_or_default();
            per_cpu.push((cpu, lost(&stats)));
        }
        per_cpu.sort_unstable();
        Losses { per_cpu }
    }

    pub fn total(&self) -> u64 {
        self.per_cpu.iter().map(|(_, n)| n).sum()
    }

    /// `12 records lost (cpu0 10, cpu1 2)`, naming only the CPUs that lost any.
    pub fn words(&self) -> String {
        let cpus: Vec<String> =
            self.per_cpu.iter().filter(|(_, n)| *n > 0).map(|(c, n)| format!("cpu{c} {n}")).collect();
        format!("{} records lost ({})", self.total(), cpus.join(", "))
    }

    /// The last line of `--json` (README's schema): `{"type":"summary", "records":…, "lost":…,
    /// "lost_per_cpu":{"0":…, …}}`.
    pub fn json_summary(&self, records: u64) -> String {
        let per: Map<String, Value> = self.per_cpu.iter().map(|(c, n)| (c.to_string(), Value::from(*n))).collect();
        let mut m = Map::new();
        m.insert("type".into(), Value::from("summary"));
        m.insert("records".into(), Value::from(records));
        m.insert("lost".into(), Value::from(self.total()));
        m.insert("lost_per_cpu".into(), Value::Object(per));
        Value::Object(m).to_string()
    }
}

/// `overrun` + `commit overrun` + `dropped events` of one CPU's stats.
fn lost(stats: &str) -> u64 {
    stats
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| matches!(k.trim(), "overrun" | "commit overrun" | "dropped events"))
        .filter_map(|(_, v)| v.trim().parse::<u64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_ways_to_lose_a_record_are_summed_per_cpu() {
        let stats = "entries: 5\noverrun: 7\ncommit overrun: 1\nbytes: 4000\noldest event ts:  12.000001\n\
            now ts:  13.5\ndropped events: 2\nread events: 9\n";
        assert_eq!(lost(stats), 10);
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
