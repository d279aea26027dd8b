//! perf_event_open rings for `ue record --format perf`: one ring per CPU, into which every selected event of
//! that CPU writes (`PERF_EVENT_IOC_SET_OUTPUT`), as `perf record` sets them up.
//!
//! The events are opened on `ue`'s own pid, disabled, with `inherit` and `enable_on_exec`: the command `ue`
//! then starts inherits them, and its exec enables its copies (`ue` itself never execs, so its own stay off);
//! the threads and processes the command starts inherit them from it, enabled (kernel/events/core.c,
//! `inherit_event`: a child follows its parent's state). The records are the kernel's `perf_event_header`
//! blocks, as perf.data stores them. What the kernel could not write is counted on the event `ue` opened
//! (`lost_samples`, for its inherited copies too), read per CPU at the end (`PERF_FORMAT_LOST`): exact, where
//! the ring's `PERF_RECORD_LOST` records miss the losses after the last record written.

use crate::losses::Losses;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use tracepoint_decode::{
    PerfEventAttr, PerfEventAttrOptions as Opt, PerfEventAttrReadFormat, PerfEventAttrSampleType as Sample,
    PerfEventAttrSize, PerfEventAttrType,
};
use ue_abi::perf::{
    MMAP_DATA_HEAD, MMAP_DATA_TAIL, PERF_EVENT_IOC_ID, PERF_EVENT_IOC_SET_FILTER, PERF_EVENT_IOC_SET_OUTPUT,
    PERF_FLAG_FD_CLOEXEC, PERF_MAX_STACK_DEPTH,
};

/// What every event's records carry: the fields `perf script` and `perf report` show, and the identifier first
/// so a reader finds the event of any record.
const SAMPLE: [Sample; 7] =
    [Sample::Identifier, Sample::IP, Sample::Tid, Sample::Time, Sample::Cpu, Sample::Period, Sample::Raw];

/// The attr of one tracepoint (`config`: its tracefs id), with call chains (user frames only) if `stacks`.
/// The first event of a CPU (`tracking`) also brings the records that name the command's threads and map
/// its code (COMM, MMAP2, FORK/EXIT), which perf symbolises the call chains with.
pub fn attr(config: u64, stacks: bool, tracking: bool) -> PerfEventAttr {
    let mut sample_type = SAMPLE.iter().fold(Sample::None, |a, s| a.or(*s));
    let mut options = [Opt::Disabled, Opt::Inherit, Opt::EnableOnExec, Opt::SampleIdAll, Opt::UseClockId]
        .iter()
        .fold(Opt::None, |a, o| a.or(*o));
    if stacks {
        sample_type = sample_type.or(Sample::Callchain);
        options = options.or(Opt::ExcludeCallchainKernel);
    }
    if tracking {
        options = [Opt::Mmap, Opt::Mmap2, Opt::Comm, Opt::CommExec, Opt::Task].iter().fold(options, |a, o| a.or(*o));
    }
    PerfEventAttr {
        attr_type: PerfEventAttrType::Tracepoint,
        size: PerfEventAttrSize(size_of::<PerfEventAttr>() as u32),
        config,
        // One sample per record.
        sample_time: 1,
        sample_type,
        // read(2) gives the count, then the records lost.
        read_format: PerfEventAttrReadFormat::Lost,
        options,
        clockid: libc::CLOCK_MONOTONIC as u32,
        sample_max_stack: if stacks { PERF_MAX_STACK_DEPTH } else { 0 },
        ..PerfEventAttr::default()
    }
}

/// One event to open: its attr (without the tracking bits) and, if any, the filter applied in the kernel.
pub struct Wanted {
    pub config: u64,
    pub filter: Option<std::ffi::CString>,
}

/// The rings, and every event's descriptors; closing them (drop) ends the recording.
pub struct Rings {
    pub rings: Vec<Ring>,
    /// The events that write into another's ring, with their CPU.
    others: Vec<(u32, OwnedFd)>,
    /// For each wanted event, in order: its id on every CPU (what its records carry).
    pub ids: Vec<Vec<u64>>,
}

impl Rings {
    /// Opens every event on every online CPU, each CPU's into one ring of `pages` data pages (a power of 2).
    pub fn open(wanted: &[Wanted], stacks: bool, pages: usize) -> Result<Rings, String> {
        let cpus = online_cpus()?;
        // One descriptor per event and CPU: as many as the hard limit allows while opening them, then the soft
        // limit back, so the command starts with the limits `ue` was given.
        let _limit = NoFileLimit::raise();
        let mut rings = Vec::new();
        let mut others = Vec::new();
        let mut ids = vec![Vec::new(); wanted.len()];
        for &cpu in &cpus {
            for (i, w) in wanted.iter().enumerate() {
                let fd = open_event(&attr(w.config, stacks, i == 0), cpu)?;
                if let Some(f) = &w.filter {
                    // SAFETY: fd is an open perf event; the filter is a NUL-terminated string the kernel copies.
                    if unsafe { libc::ioctl(fd.as_raw_fd(), PERF_EVENT_IOC_SET_FILTER as _, f.as_ptr()) } != 0 {
                        return Err(format!("the kernel refuses it: {}", std::io::Error::last_os_error()));
                    }
                }
                let mut id = 0u64;
                // SAFETY: fd is an open perf event; the kernel writes one u64 at the pointer.
                if unsafe { libc::ioctl(fd.as_raw_fd(), PERF_EVENT_IOC_ID as _, &raw mut id) } != 0 {
                    return Err(format!("perf event id: {}", std::io::Error::last_os_error()));
                }
                ids[i].push(id);
                if i == 0 {
                    rings.push(Ring::map(fd, cpu, pages)?);
                } else {
                    let leader = rings.last().map_or(-1, |r: &Ring| r.fd.as_raw_fd());
                    // SAFETY: both are open perf events of this CPU; the kernel only links them.
                    if unsafe { libc::ioctl(fd.as_raw_fd(), PERF_EVENT_IOC_SET_OUTPUT as _, leader) } != 0 {
                        return Err(format!("perf ring of cpu{cpu}: {}", std::io::Error::last_os_error()));
                    }
                    others.push((cpu, fd));
                }
            }
        }
        Ok(Rings { rings, others, ids })
    }

    /// Appends every record ready in every ring to `out`, ring after ring.
    pub fn drain(&mut self, out: &mut Vec<u8>) {
        for r in &mut self.rings {
            r.read(out);
        }
    }

    /// The records the kernel could not write, by CPU: the sum of its events' counts.
    pub fn losses(&self) -> Losses {
        let mut per_cpu: Vec<(u32, u64)> = self.rings.iter().map(|r| (r.cpu, lost(&r.fd))).collect();
        for (cpu, fd) in &self.others {
            if let Some(n) = per_cpu.iter_mut().find(|(c, _)| c == cpu) {
                n.1 += lost(fd);
            }
        }
        Losses { per_cpu }
    }
}

/// RLIMIT_NOFILE's soft limit raised to the hard one; put back on drop.
struct NoFileLimit(Option<libc::rlimit>);

impl NoFileLimit {
    fn raise() -> NoFileLimit {
        let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: old is a valid rlimit for the call to fill.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut old) } != 0 || old.rlim_cur >= old.rlim_max {
            return NoFileLimit(None);
        }
        let raised = libc::rlimit { rlim_cur: old.rlim_max, rlim_max: old.rlim_max };
        // SAFETY: raised is a valid rlimit, read during the call.
        let ok = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raw const raised) } == 0;
        NoFileLimit(ok.then_some(old))
    }
}

impl Drop for NoFileLimit {
    fn drop(&mut self) {
        if let Some(old) = &self.0 {
            // SAFETY: old is the valid rlimit read in raise(); descriptors already open stay open.
            unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, old) };
        }
    }
}

/// An event's `lost_samples` (read(2) with `PERF_FORMAT_LOST`: the count, then it); 0 if it cannot be read.
fn lost(fd: &OwnedFd) -> u64 {
    let mut v = [0u64; 2];
    // SAFETY: v is 16 writable bytes; the kernel writes at most that many (two values for this read_format).
    let n = unsafe { libc::read(fd.as_raw_fd(), v.as_mut_ptr().cast(), size_of_val(&v)) };
    if n == 16 {
        v[1]
    } else {
        0
    }
}

fn open_event(attr: &PerfEventAttr, cpu: u32) -> Result<OwnedFd, String> {
    let pid = std::process::id() as libc::pid_t;
    // SAFETY: attr is a valid perf_event_attr of the size it states, read by the kernel during the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            std::ptr::from_ref(attr),
            pid,
            cpu as libc::c_int,
            -1,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        let e = std::io::Error::last_os_error();
        let hint = match e.raw_os_error() {
            Some(libc::EACCES | libc::EPERM) => " (needs root, or CAP_PERFMON and kernel.perf_event_paranoid)",
            Some(libc::ENOENT | libc::ENODEV | libc::EOPNOTSUPP) => " (a kernel without perf tracepoint support?)",
            Some(libc::EMFILE) => " (one descriptor per event and CPU: fewer events with -e, or a higher ulimit -Hn)",
            _ => "",
        };
        return Err(format!("perf_event_open on cpu{cpu}: {e}{hint}"));
    }
    // SAFETY: the syscall returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// The CPUs online now (`/sys/devices/system/cpu/online`: `0-3,6`).
fn online_cpus() -> Result<Vec<u32>, String> {
    let path = "/sys/devices/system/cpu/online";
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    cpu_list(&text).ok_or_else(|| format!("{path}: not a CPU list: {:?}", text.trim()))
}

fn cpu_list(text: &str) -> Option<Vec<u32>> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b) = (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?);
        if b < a || b - a > 65536 {
            return None;
        }
        cpus.extend(a..=b);
    }
    Some(cpus)
}

/// One CPU's ring: the metadata page, then `2^n` data pages the kernel writes records into.
pub struct Ring {
    fd: OwnedFd,
    pub cpu: u32,
    base: *mut u8,
    page: usize,
    data_size: usize,
}

impl Ring {
    fn map(fd: OwnedFd, cpu: u32, pages: usize) -> Result<Ring, String> {
        // SAFETY: sysconf has no memory preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        let len = (pages + 1) * page;
        // SAFETY: a fresh shared mapping of the event's ring; the kernel checks the size (1 + 2^n pages).
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            let e = std::io::Error::last_os_error();
            return Err(format!("cannot map the perf ring of cpu{cpu} ({} KiB): {e}", pages * page / 1024));
        }
        Ok(Ring { fd, cpu, base: base.cast(), page, data_size: pages * page })
    }

    #[allow(clippy::cast_ptr_alignment)] // the mapping is page-aligned, the offsets 8-aligned
    fn word(&self, offset: usize) -> &AtomicU64 {
        // offset is data_head's or data_tail's, 8-aligned inside the first page, which stays mapped as long as
        // self; the kernel and `ue` share these words only through atomic accesses.
        // SAFETY: so the reference is to a live, aligned AtomicU64 for as long as self.
        unsafe { &*self.base.add(offset).cast::<AtomicU64>() }
    }

    /// Appends the records from the tail to the head, then gives their space back to the kernel.
    fn read(&mut self, out: &mut Vec<u8>) {
        let head = self.word(MMAP_DATA_HEAD).load(Ordering::Acquire);
        let mut tail = self.word(MMAP_DATA_TAIL).load(Ordering::Relaxed);
        let mut rec = Vec::new();
        while tail < head {
            let mut hdr = [0u8; 8];
            self.copy(tail, &mut hdr);
            let size = u64::from(u16::from_ne_bytes([hdr[6], hdr[7]]));
            if size < 8 || size % 8 != 0 || tail + size > head {
                // Not a record the kernel writes: skip what is left rather than read garbage.
                tail = head;
                break;
            }
            rec.resize(size as usize, 0);
            self.copy(tail, &mut rec);
            out.extend_from_slice(&rec);
            tail += size;
        }
        self.word(MMAP_DATA_TAIL).store(tail, Ordering::Release);
    }

    /// Copies `to.len()` bytes of the data area from ring position `at`, wrapping at its end.
    fn copy(&self, at: u64, to: &mut [u8]) {
        let start = (at % self.data_size as u64) as usize;
        let first = to.len().min(self.data_size - start);
        // Both ranges lie inside the data area (page .. page + data_size), which stays mapped as long as self; the
        // kernel does not write below the head, and [at, at + len) is below it.
        // SAFETY: so both copies read mapped bytes nobody writes meanwhile, into `to`, which holds them.
        unsafe {
            let data = self.base.add(self.page);
            std::ptr::copy_nonoverlapping(data.add(start), to.as_mut_ptr(), first);
            std::ptr::copy_nonoverlapping(data, to.as_mut_ptr().add(first), to.len() - first);
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: the mapping made in map(), of this length, not used after this.
        unsafe { libc::munmap(self.base.cast(), self.data_size + self.page) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_are_read_as_the_kernel_writes_them() {
        assert_eq!(cpu_list("0\n"), Some(vec![0]));
        assert_eq!(cpu_list("0-3,6\n"), Some(vec![0, 1, 2, 3, 6]));
        assert_eq!(cpu_list("3-1"), None);
        assert_eq!(cpu_list("x"), None);
    }

    #[test]
    fn every_record_names_its_event_and_call_chains_are_the_users() {
        let a = attr(42, true, true);
        assert_eq!((a.config, a.attr_type, a.size.0), (42, PerfEventAttrType::Tracepoint, 128));
        assert!(a.sample_type.has_flag(Sample::Identifier) && a.sample_type.has_flag(Sample::Callchain));
        assert!(a.options.has_flag(Opt::ExcludeCallchainKernel) && a.options.has_flag(Opt::Mmap2));
        let b = attr(42, false, false);
        assert!(!b.sample_type.has_flag(Sample::Callchain) && !b.options.has_flag(Opt::Comm));
        assert!(b.options.has_flag(Opt::Inherit) && b.options.has_flag(Opt::EnableOnExec));
    }
}
