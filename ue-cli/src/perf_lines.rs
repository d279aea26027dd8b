//! The text and `--json` outputs of `ue record -g`, from the perf rings: each sample's tracepoint record decoded
//! by its event's format file (format.rs, as for the tracefs path), its writer's pid and tid as the sample
//! gives them, and its call stack's frames named (stacks.rs). The records of one read of the rings are printed
//! in time order (those whose code was not mapped yet, after the next read).
//!
//! Text: the record's line, then one line per frame, a tab first (`\tquickstart::main+0x796 (/path)`), as
//! `perf script` shows them. JSON: the record's object with `"stack": [{"addr", "symbol", "offset", "file"}…]`.

use crate::escape;
use crate::format::{self, Format, Writer};
use crate::losses::Losses;
use crate::output::{Sink, WriteError};
use crate::perf_records::{self, Record};
use crate::stacks::Stacks;
use serde_json::Value;
use std::collections::HashMap;

pub struct Lines {
    sink: Sink,
    json: bool,
    stacks: Stacks,
    /// Event id → its `system:name` and format.
    formats: HashMap<u16, (String, Format)>,
    /// CLOCK_REALTIME − CLOCK_MONOTONIC at the start, in ns: a record's wall-clock time.
    unix_offset: u64,
    /// Records written so far.
    records: u64,
    /// A read of the rings and the time from which its samples wait for the next read.
    held: Option<(Vec<u8>, u64)>,
}

impl Lines {
    pub fn new(sink: Sink, json: bool) -> Lines {
        let (mono, wall) =
            (crate::record::clock_ns(libc::CLOCK_MONOTONIC), crate::record::clock_ns(libc::CLOCK_REALTIME));
        Lines {
            sink,
            json,
            stacks: Stacks::default(),
            formats: HashMap::new(),
            unix_offset: wall.saturating_sub(mono),
            records: 0,
            held: None,
        }
    }

    pub fn event(&mut self, key: &str, fmt: &Format) {
        self.formats.insert(fmt.id, (key.to_string(), fmt.clone()));
    }

    /// Prints the samples of `buf` (records read from the rings, with call chains). From the first sample with
    /// a frame in no known mapping on, they are held back until the next read: the mapping (an exec's) may be in
    /// another CPU's ring, read after the sample's.
    pub fn write(&mut self, buf: &[u8]) -> Result<(), WriteError> {
        // The mappings first: a sample read from one CPU's ring may come after a mapping read from another's.
        for r in perf_records::records(buf, true) {
            self.stacks.note(&r);
        }
        let mut lines = match self.held.take() {
            Some((prev, from)) => self.lines(&prev, from),
            None => Vec::new(),
        };
        let mut now = self.lines(buf, 0);
        if let Some(from) = now.iter().filter(|l| l.2).map(|l| l.0).min() {
            now.retain(|l| l.0 < from);
            self.held = Some((buf.to_vec(), from));
        }
        lines.append(&mut now);
        self.print(lines)
    }

    /// The lines of the samples of `buf` from time `from` on, in time order: (time, line, a frame unmapped).
    fn lines(&mut self, buf: &[u8], from: u64) -> Vec<(u64, String, bool)> {
        let mut lines = Vec::new();
        for r in perf_records::records(buf, true) {
            let Record::Sample(s) = r else { continue };
            if s.time < from {
                continue;
            }
            let Some(id) = s.raw.get(..2).map(|b| u16::from_ne_bytes([b[0], b[1]])) else { continue };
            let Some((name, fmt)) = self.formats.get(&id) else { continue };
            let who = Writer { pid: Some(i64::from(s.pid)), tid: i64::from(s.tid) };
            let frames = self.stacks.frames(s.pid, &s.stack);
            let unmapped = frames.iter().any(|f| f.file.is_none());
            let line = if self.json {
                let mut m =
                    format::json_record(s.time, s.time.saturating_add(self.unix_offset), who, name, fmt.decode(s.raw));
                m.insert("stack".into(), Value::Array(frames.iter().map(crate::stacks::Frame::json).collect()));
                escape::json(Value::Object(m).to_string())
            } else {
                let mut line = format::text_line(s.time, who, name, &fmt.decode(s.raw));
                for f in &frames {
                    line.push_str("\n\t");
                    line.push_str(&escape::text(&f.text()));
                }
                line
            };
            lines.push((s.time, line, unmapped));
        }
        lines.sort_by_key(|l| l.0);
        lines
    }

    fn print(&mut self, lines: Vec<(u64, String, bool)>) -> Result<(), WriteError> {
        for (_, l, _) in lines {
            self.sink.line(&l)?;
            self.records += 1;
        }
        self.sink.flush()
    }

    /// `--json`'s last line.
    pub fn summary(&mut self, losses: &Losses) -> Result<(), WriteError> {
        if let Some((prev, from)) = self.held.take() {
            let lines = self.lines(&prev, from);
            self.print(lines)?;
        }
        if self.json {
            self.sink.line(&losses.json_summary(self.records))?;
        }
        self.sink.flush()
    }
}
