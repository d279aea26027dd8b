//! `ue record --format perf -o FILE [-g]` and `ue record -g`: the command's events through perf_event_open rings
//! (perf_ring.rs) into a perf.data file (perf_data.rs) that `perf script` and `perf report` read, or with `-g`
//! alone into the text and `--json` lines with each record's stack (perf_lines.rs).
//!
//! The events are registered ahead as for the other outputs (record.rs's session, whose tracefs instance stays
//! idle here), then opened as perf tracepoints before the command starts; its exec enables them. So only the
//! events the kernel has before the command starts are recorded: a program without a `ue_events` section (ue-
//! tracing only) needs `--events-from` or `-e` naming events that exist. With `-g` each record carries the
//! user-space call chain; the command's COMM and MMAP2 records let perf name its functions.

use crate::elf;
use crate::escape;
use crate::filter::{self, Filter};
use crate::format::Format;
use crate::output::{warn, Sink, WriteError};
use crate::perf_data::{EventDesc, PerfFile};
use crate::perf_lines::Lines;
use crate::perf_ring::{self, Rings, Wanted};
use crate::record::{self, Options, Perf, Plan, Session, SIGNAL, SIGNALS};
use crate::tracefs::{self, KernelEvent, Tracefs};
use std::ffi::CString;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tracepoint_decode::PerfEventFormat;

/// The rings' size per CPU when `--buffer-size` is not given, in KiB (perf record's is about the same).
const DEFAULT_RING_KB: u64 = 512;

/// One selected event: its tracefs name, ue's reading of its format (id, fields) and perf.data's.
struct Chosen {
    key: String,
    fmt: Format,
    perf: Arc<PerfEventFormat>,
}

/// Where the records go: a perf.data file, or lines (text, `--json`) with their stacks named.
#[allow(clippy::large_enum_variant)] // one per run
enum Dest {
    File(PerfFile),
    Lines(Lines),
}

impl Dest {
    fn records(&mut self, buf: &[u8]) -> Result<(), WriteError> {
        match self {
            Dest::File(f) => f.records(buf),
            Dest::Lines(l) => l.write(buf),
        }
    }
}

/// Records the command's events into the perf.data file, or (`-g` alone) as lines with their stacks; returns
/// the command's status, as record::run.
pub fn run(opts: &Options, perf: &Perf) -> Result<i32, String> {
    let filter = refusals(opts, perf)?;
    let Plan { entries, names, .. } = record::plan(opts, None)?;
    let mut dest = match opts.output.as_deref() {
        Some(path) if perf.file => Dest::File(PerfFile::create(path)?),
        path => Dest::Lines(Lines::new(Sink::create(path)?, opts.json)),
    };
    let fs = Tracefs::find()?;
    record::remove_stale_instances(&fs);
    let mut session = Session::start(&fs)?;
    for e in &entries {
        if let Err(why) = session.register(e) {
            warn(&format!("ue record: {why}"));
        }
    }
    let matcher = |k: &KernelEvent| {
        if opts.globs.is_empty() {
            names.contains(k.base_name())
        } else {
            record::matches(&opts.globs, k.base_name(), &k.system) || record::matches(&opts.globs, &k.name, &k.system)
        }
    };
    let (chosen, wanted) = choose(&fs, &session, filter.as_ref(), &matcher)?;
    if let Dest::Lines(l) = &mut dest {
        for c in &chosen {
            l.event(&c.key, &c.fmt);
        }
    }
    let pages = pages(opts.buffer_size_kb.unwrap_or(DEFAULT_RING_KB));
    let mut rings = Rings::open(&wanted, perf.call_graph, pages).map_err(|e| {
        if let Some(f) = filter.as_ref().filter(|_| e.starts_with("the kernel refuses")) {
            format!("--filter {}: {e}", escape::quoted(&f.expr))
        } else {
            e
        }
    })?;

    record::install_signal_handlers();
    crate::flight::catch_sigusr2();
    let mut child = Command::new(&opts.command[0])
        .args(&opts.command[1..])
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", opts.command[0].to_string_lossy()))?;
    let mut buf = Vec::new();
    let mut forced = false;
    let (status, failed) = loop {
        buf.clear();
        rings.drain(&mut buf);
        if let Err(e) = dest.records(&buf) {
            break (None, Some(e));
        }
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break (Some(status), None);
        }
        crate::flight::refuse_snapshot();
        let sig = SIGNAL.swap(0, Ordering::Relaxed);
        if sig == libc::SIGTERM || sig == libc::SIGHUP {
            // SAFETY: kill has no memory preconditions; the pid is our child's, not yet reaped.
            unsafe { libc::kill(child.id() as libc::pid_t, sig) };
        } else if sig == libc::SIGINT && SIGNALS.load(Ordering::Relaxed) > 1 && !forced {
            // The terminal sent the first Ctrl-C to the command too; a second one ends it.
            let _ = child.kill();
            forced = true;
        }
        std::thread::sleep(record::POLL);
    };
    let (status, mut failed) = match status {
        Some(status) => {
            buf.clear();
            rings.drain(&mut buf);
            (Ok(status), dest.records(&buf).err())
        }
        None => (Err(record::stop(&mut child)), failed),
    };
    let losses = rings.losses();
    if losses.total() > 0 {
        warn(&format!("ue record: {}: the perf ring overflowed (a larger --buffer-size keeps more)", losses.words()));
    }
    let descs = descriptions(&chosen, &rings, perf.call_graph);
    drop(rings);
    if failed.is_none() {
        failed = match &mut dest {
            Dest::File(file) => {
                let events = fs.events_dir();
                let header = |n: &str| tracefs::read(&events.join(n)).unwrap_or_default();
                file.finish(&descs, &header("header_page"), &header("header_event")).err()
            }
            Dest::Lines(lines) => lines.summary(&losses).err(),
        };
    }
    drop(session);
    record::verdict(failed, status, opts.strict.then_some(&losses))
}

/// What is refused before anything is set up; the filter, parsed.
fn refusals(opts: &Options, perf: &Perf) -> Result<Option<Filter>, String> {
    if perf.file && opts.output.is_none() {
        return Err("--format perf needs -o FILE: perf.data is a file, not a stream".into());
    }
    // A program without a `ue_events` section registers its events as it runs (ue-tracing): too late to open.
    let bare = || matches!(record::resolve(&opts.command[0]).as_deref().map(elf::events_if_any), Some(Ok(None)));
    if opts.globs.is_empty() && opts.events_from.is_empty() && bare() {
        let how = if perf.file { "--format perf" } else { "-g" };
        let shown = escape::text(&opts.command[0].to_string_lossy()).into_owned();
        return Err(format!(
            "{shown} has no ue_events section, and {how} records only the events the kernel has before the \
             command starts: name them with --events-from FILE or -e GLOB"
        ));
    }
    match opts.filter.as_deref() {
        Some(expr) => Ok(Some(Filter::parse(expr).map_err(|e| format!("--filter {}: {e}", escape::quoted(expr)))?)),
        None => Ok(None),
    }
}

/// The events to open: those that match and, with `--filter`, have its fields (the others are said and left
/// out); the filter checked by the kernel on the instance first, for its reason if it refuses.
fn choose(
    fs: &Tracefs,
    session: &Session,
    filter: Option<&Filter>,
    matcher: &dyn Fn(&KernelEvent) -> bool,
) -> Result<(Vec<Chosen>, Vec<Wanted>), String> {
    let events = fs.events_dir();
    let (mut chosen, mut wanted) = (Vec::new(), Vec::new());
    for k in fs.user_events(&events) {
        if !matcher(&k) {
            continue;
        }
        let key = k.to_string();
        let Ok(text) = tracefs::read(&k.dir(&events).join("format")) else { continue };
        let fmt = Format::parse(&text).map_err(|e| format!("{}: {e}", escape::text(&key)))?;
        let mut expr = None;
        if let Some(f) = filter {
            let missing = f.missing(&fmt);
            if !missing.is_empty() {
                let missing = escape::text(&missing.join(", ")).into_owned();
                warn(&format!("ue record: --filter: {} has no field {missing}: not recorded", escape::text(&key)));
                continue;
            }
            let dir = k.dir(&session.instance.join("events"));
            if let Err(why) = filter::apply(&session.instance, &dir, &f.expr) {
                let (q, key) = (escape::quoted(&f.expr), escape::text(&key));
                return Err(format!("--filter {q} is refused by the kernel for {key}:\n{why}"));
            }
            expr = Some(CString::new(f.expr.as_str()).map_err(|_| "--filter: NUL in the expression".to_string())?);
        }
        let long64 = size_of::<libc::c_long>() == 8;
        let Some(perf) = PerfEventFormat::parse(long64, &k.system, &text) else {
            return Err(format!("{}: a format file perf.data cannot hold", escape::text(&key)));
        };
        wanted.push(Wanted { config: u64::from(fmt.id), filter: expr });
        chosen.push(Chosen { key, fmt, perf: Arc::new(perf) });
    }
    if chosen.is_empty() {
        return Err("no event to record: none of the events asked for is known to the kernel".into());
    }
    Ok((chosen, wanted))
}

/// Each event's description in perf.data: its attr (the first one's with the tracking bits, as opened) and ids.
fn descriptions(chosen: &[Chosen], rings: &Rings, stacks: bool) -> Vec<EventDesc> {
    chosen
        .iter()
        .zip(&rings.ids)
        .enumerate()
        .map(|(i, (c, ids))| EventDesc {
            name: c.key.clone(),
            attr: perf_ring::attr(u64::from(c.fmt.id), stacks, i == 0),
            ids: ids.clone(),
            format: Arc::clone(&c.perf),
        })
        .collect()
}

/// Data pages per CPU for a ring of about `kb` KiB: a power of 2, at least one.
fn pages(kb: u64) -> usize {
    // SAFETY: sysconf has no memory preconditions.
    let page = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    (kb.saturating_mul(1024) / page).clamp(1, 1 << 20).next_power_of_two() as usize
}

#[cfg(test)]
mod tests {
    #[test]
    fn rings_are_a_power_of_two_pages() {
        // SAFETY: sysconf has no memory preconditions.
        let page_kb = (unsafe { libc::sysconf(libc::_SC_PAGESIZE) } / 1024) as u64;
        assert_eq!(super::pages(0), 1);
        assert_eq!(super::pages(4 * page_kb), 4);
        assert_eq!(super::pages(3 * page_kb), 4);
        assert_eq!(super::pages(5 * page_kb), 8);
    }
}
