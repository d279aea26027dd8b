//! Reading the records of `ue`'s perf rings (perf_ring.rs) for the text and `--json` outputs: its samples, laid
//! out by the sample type perf_ring.rs asks for, and the records that say where each process's code is mapped
//! (MMAP2, FORK). The kernel writes them; every length is still checked against the buffer, so a
//! short or odd record is skipped, never read past.

use tracepoint_decode::PerfEventHeaderType as Ty;
use ue_abi::perf::{MMAP2_FILENAME, PERF_CONTEXT_MAX};

/// One record of a ring.
#[derive(Debug, PartialEq, Eq)]
pub enum Record<'a> {
    Sample(Sample<'a>),
    /// A mapping of `path` at `start..start + len`, from file offset `pgoff`.
    Mmap2 {
        pid: u32,
        start: u64,
        len: u64,
        pgoff: u64,
        path: &'a [u8],
    },
    /// A new task; a new process when `pid != ppid`.
    Fork {
        pid: u32,
        ppid: u32,
    },
    Other,
}

/// A sample, as perf_ring.rs's sample type lays it out: identifier, ip, pid and tid, time, cpu, period, the
/// call chain (with `-g`), the raw tracepoint record.
#[derive(Debug, PartialEq, Eq)]
pub struct Sample<'a> {
    pub pid: u32,
    pub tid: u32,
    pub time: u64,
    /// The user-space return addresses, innermost first (the context markers left out).
    pub stack: Vec<u64>,
    /// The tracepoint's record: `common_type` first, as in trace_pipe_raw.
    pub raw: &'a [u8],
}

/// The records of `buf` (whole `perf_event_header` blocks), in order; stops at one that does not fit.
pub fn records(buf: &[u8], stacks: bool) -> impl Iterator<Item = Record<'_>> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let hdr = buf.get(at..at + 8)?;
        let size = usize::from(u16::from_ne_bytes([hdr[6], hdr[7]]));
        let rec = buf.get(at..at + size).filter(|_| size >= 8)?;
        at += size;
        let ty = Ty(u32::from_ne_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]));
        Some(parse(ty, rec, stacks).unwrap_or(Record::Other))
    })
}

fn parse(ty: Ty, rec: &[u8], stacks: bool) -> Option<Record<'_>> {
    let mut r = Reader { b: rec, at: 8 };
    Some(match ty {
        Ty::Sample => {
            let _id = r.u64()?;
            let _ip = r.u64()?;
            let (pid, tid, time) = (r.u32()?, r.u32()?, r.u64()?);
            let _cpu = r.u64()?;
            let _period = r.u64()?;
            let mut stack = Vec::new();
            if stacks {
                let n = usize::try_from(r.u64()?).ok()?;
                for _ in 0..n.min(rec.len() / 8) {
                    let ip = r.u64()?;
                    if ip < PERF_CONTEXT_MAX {
                        stack.push(ip);
                    }
                }
            }
            let size = r.u32()? as usize;
            let raw = rec.get(r.at..r.at.checked_add(size)?)?;
            Record::Sample(Sample { pid, tid, time, stack, raw })
        }
        Ty::Mmap2 => {
            let pid = r.u32()?;
            let _tid = r.u32()?;
            let (start, len, pgoff) = (r.u64()?, r.u64()?, r.u64()?);
            let name = rec.get(MMAP2_FILENAME..)?;
            let path = &name[..name.iter().position(|&b| b == 0)?];
            Record::Mmap2 { pid, start, len, pgoff, path }
        }
        Ty::Fork => Record::Fork { pid: r.u32()?, ppid: r.u32()? },
        _ => Record::Other,
    })
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let v = self.b.get(self.at..self.at + N)?.try_into().ok()?;
        self.at += N;
        Some(v)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_ne_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_ne_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ty: Ty, body: &[u8]) -> Vec<u8> {
        let size = (8 + body.len()).next_multiple_of(8);
        let mut r = ty.0.to_ne_bytes().to_vec();
        r.extend(0u16.to_ne_bytes());
        r.extend((size as u16).to_ne_bytes());
        r.extend(body);
        r.resize(size, 0);
        r
    }

    fn words(w: &[u64]) -> Vec<u8> {
        w.iter().flat_map(|v| v.to_ne_bytes()).collect()
    }

    #[test]
    fn a_sample_gives_its_writer_time_stack_and_tracepoint_record() {
        let mut body = words(&[7, 0xffff_ffff_8100_0000]);
        body.extend(40u32.to_ne_bytes());
        body.extend(41u32.to_ne_bytes());
        body.extend(words(&[123, 1, 1, 3, PERF_CONTEXT_MAX + 0xe00, 0x1000, 0x2000]));
        body.extend(4u32.to_ne_bytes());
        body.extend([1, 2, 3, 4]);
        let buf = record(Ty::Sample, &body);
        let recs: Vec<Record> = records(&buf, true).collect();
        let want = Sample { pid: 40, tid: 41, time: 123, stack: vec![0x1000, 0x2000], raw: &[1, 2, 3, 4] };
        assert_eq!(recs, [Record::Sample(want)]);
    }

    #[test]
    fn mappings_and_forks_are_read_and_a_cut_record_is_not() {
        let mut mmap = 40u32.to_ne_bytes().to_vec();
        mmap.extend(40u32.to_ne_bytes());
        mmap.extend(words(&[0x5000, 0x1000, 0x2000]));
        mmap.extend([0u8; 32]);
        mmap.extend(b"/bin/x\0");
        let mut buf = record(Ty::Mmap2, &mmap);
        buf.extend(record(Ty::Fork, &words(&[(41 << 32) + 42, 0, 0])));
        buf.extend(record(Ty::Comm, &words(&[42])));
        let whole: Vec<Record> = records(&buf, false).collect();
        assert_eq!(
            whole,
            [
                Record::Mmap2 { pid: 40, start: 0x5000, len: 0x1000, pgoff: 0x2000, path: b"/bin/x" },
                Record::Fork { pid: 42, ppid: 41 },
                Record::Other,
            ]
        );
        assert_eq!(records(&buf[..buf.len() - 1], false).count(), 2, "the records before the cut one");
        // A sample shorter than its fields say is not one.
        assert_eq!(records(&record(Ty::Sample, &words(&[1, 2])), false).collect::<Vec<_>>(), [Record::Other]);
    }
}
