//! `ue record`: run a command and print its events, from the first one on.
//!
//! 1. The command's events (its `ue_events` section, and `--events-from` files) are registered by `ue` itself
//!    through `user_events_data`, each with the flags the program uses, so the kernel has them before the program
//!    starts: its own registrations then join them (same name and format), multi-format ones included. `ue` does
//!    not use `dynamic_events`: that creates persistent, single-format events only, which outlive a killed `ue`;
//!    registrations through the file are dropped by the kernel when `ue` exits, and an event nobody else uses goes
//!    away with them.
//! 2. A private tracefs instance, `instances/ue-record-<pid>`, enables them, filtered to `ue`'s pid and its
//!    descendants (`set_event_pid` with `event-fork`); the top-level buffer other tracers use is never touched.
//!    Events of the same names registered later (another format under `user_events_multi`) are enabled as they
//!    appear.
//! 3. Records are read in binary from the instance's `per_cpu/cpuN/trace_pipe_raw`, decoded by each event's
//!    `format` file, merged by time and printed.
//! 4. On exit, Ctrl-C, a signal or an error, the instance is removed and the registrations dropped.
//!
//! `-p PID[,PID…]` records running processes instead of a command (attach.rs: their events, registered by
//! themselves, and their threads in the pid filter); `--ring SIZE` keeps the records in the buffers and writes
//! them out on SIGUSR2 and at exit (flight.rs).
//!
//! The output (`-o FILE` or standard output) is opened before anything else is set up. A write to it that fails
//! ends the recording: the command is stopped (SIGTERM, SIGKILL after [`GRACE`]) rather than left running
//! untraced, and `ue` says so and exits 1; a closed pipe (`| head`) ends it the same way, quietly, with 0.

use crate::attach::Attached;
use crate::elf::{self, Entry};
use crate::escape;
use crate::filter::{self, Filter};
use crate::flight::{self, Flight};
use crate::format::{self, Format, Writer};
use crate::losses::Losses;
use crate::output::{warn, Sink, WriteError};
use crate::ring::{self, PageLayout};
use crate::threads::Threads;
use crate::tracefs::{self, KernelEvent, Tracefs};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{CString, OsString};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::time::Duration;

pub struct Options {
    pub globs: Vec<glob::Pattern>,
    pub events_from: Vec<PathBuf>,
    pub json: bool,
    /// `--filter EXPR`: the kernel's filter on each selected event that has the fields it names.
    pub filter: Option<String>,
    /// `--buffer-size KB`: the instance's buffer per CPU (`buffer_size_kb`), the kernel's default if none.
    pub buffer_size_kb: Option<u64>,
    /// `--strict`: lost records make the status 1.
    pub strict: bool,
    /// Where the events go; standard output if none.
    pub output: Option<PathBuf>,
    /// `--ring SIZE`: the flight recorder's buffers in all, in bytes.
    pub ring: Option<u64>,
    /// `-p`: running processes to record instead of `command`.
    pub pids: Vec<i32>,
    /// `--format perf` or `-g`: through perf rings (perf_record.rs).
    pub perf: Option<Perf>,
    pub command: Vec<OsString>,
}

/// What goes through perf rings instead (perf_record.rs): `--format perf`, `-g`.
pub struct Perf {
    /// `-g`: each record with its user-space call chain.
    pub call_graph: bool,
    /// `--format perf`: a perf.data file.
    pub file: bool,
}

/// The last signal received (SIGINT, SIGTERM, SIGHUP), 0 if none; and how many.
pub(crate) static SIGNAL: AtomicI32 = AtomicI32::new(0);
pub(crate) static SIGNALS: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    SIGNAL.store(sig, Ordering::Relaxed);
    SIGNALS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) const POLL: Duration = Duration::from_millis(50);
/// How long a command stopped by `ue` (its output failed) has to exit after SIGTERM before SIGKILL.
pub const GRACE: Duration = Duration::from_secs(2);
const INSTANCE_PREFIX: &str = "ue-record-";

/// Records the command's events; returns the command's exit status (128 + signal if a signal ended it), 0 for
/// `-p` processes.
#[allow(clippy::needless_pass_by_value)] // the options are the run's: nothing uses them after it
pub fn run(opts: Options) -> Result<i32, String> {
    if let Some(perf) = &opts.perf {
        return crate::perf_record::run(&opts, perf);
    }
    let filter = match opts.filter.as_deref() {
        Some(expr) => Some(Filter::parse(expr).map_err(|e| format!("--filter {}: {e}", escape::quoted(expr)))?),
        None => None,
    };
    let attached = if opts.pids.is_empty() { None } else { Some(Attached::open(&opts.pids)?) };
    let Plan { entries, names, every } = plan(&opts, attached.as_ref())?;
    // The flight recorder's first snapshot file stands for the output: created before anything is set up.
    let first = opts.output.as_deref().map(|o| if opts.ring.is_some() { flight::path(o, 1) } else { o.into() });
    let mut out = Output { json: opts.json, sink: Sink::create(first.as_deref())?, records: 0 };

    // From before anything is set up: a SIGUSR2 otherwise ends `ue` with the instance left behind (without
    // `--ring` it is answered with a warning).
    flight::catch_sigusr2();
    let fs = Tracefs::find()?;
    remove_stale_instances(&fs);
    let mut session = Session::start(&fs)?;
    session.filter = filter;
    if let Some(kb) = opts.buffer_size_kb {
        tracefs::write(&session.instance.join(tracefs::BUFFER_SIZE_KB), &kb.to_string())?;
    }
    let mut flight = match opts.ring {
        Some(size) => Some(Flight::setup(&session.instance, size, opts.output.as_deref())?),
        None => None,
    };
    // Running processes use their own registrations: ue's would not enable their sites (attach.rs).
    for e in entries.iter().filter(|_| attached.is_none()) {
        if let Err(why) = session.register(e) {
            warn(&format!("ue record: {why}"));
        }
    }
    session.filter_to(attached.as_ref())?;
    let matcher = |k: &KernelEvent| {
        if every {
            true
        } else if opts.globs.is_empty() {
            names.contains(k.base_name())
        } else {
            matches(&opts.globs, k.base_name(), &k.system) || matches(&opts.globs, &k.name, &k.system)
        }
    };
    session.enable_new(&matcher)?;
    if let Some(f) = session.filter.as_ref().filter(|_| session.enabled.is_empty() && !session.skipped.is_empty()) {
        let names = f.fields.iter().cloned().collect::<Vec<_>>().join(", ");
        if opts.globs.is_empty() && !every {
            return Err(format!("--filter names {}, which none of the command's events has", escape::text(&names)));
        }
        warn(&format!("ue record: --filter names {}, which no event has yet", escape::text(&names)));
    }
    if session.enabled.is_empty() && entries.is_empty() && !every {
        warn("ue record: no event matches yet; events that appear while the command runs are recorded");
    }
    session.open_pipes()?;

    install_signal_handlers();
    let mut target = match attached {
        Some(a) => {
            let n = session.enabled.len();
            warn(&format!("ue record: recording pid {} (events enabled: {n}) until they exit, or Ctrl-C", a.pids()));
            Target::Running(a)
        }
        None => Target::spawn(&opts.command)?,
    };
    let (status, failed) = loop {
        let read = match flight.as_mut() {
            None => {
                flight::refuse_snapshot();
                session.drain(&mut out)
            }
            Some(f) if flight::wanted() => session.snapshot(f, &mut out, false),
            Some(_) => Ok(()),
        };
        if let Err(e) = read {
            break (None, Some(e));
        }
        if let Some(status) = target.ended(SIGNAL.swap(0, Ordering::Relaxed))? {
            break (Some(status), None);
        }
        if let Err(e) = session.enable_new(&matcher) {
            warn(&format!("ue record: {e}"));
        }
        target.wait();
    };
    let (status, failed) = match status {
        Some(status) => {
            if let Target::Running(_) = target {
                // They go on writing: the recording ends now, so that the last read ends too.
                let _ = tracefs::write(&session.instance.join(tracefs::TRACING_ON), "0");
            }
            let last = match flight.as_mut() {
                None => {
                    flight::refuse_snapshot();
                    session.drain(&mut out)
                }
                Some(f) => session.snapshot(f, &mut out, true),
            };
            (Ok(status), last.err())
        }
        None => (Err(target.stop()), failed),
    };
    let (losses, failed) = session.losses(flight.as_ref(), &mut out, failed);
    drop(session);
    verdict(failed, status, opts.strict.then_some(&losses))
}

/// What is recorded: a command `ue` runs, or processes that already run.
enum Target {
    /// The command; whether a second Ctrl-C killed it.
    Child(Child, bool),
    Running(Attached),
}

impl Target {
    fn spawn(command: &[OsString]) -> Result<Target, String> {
        let child = Command::new(&command[0])
            .args(&command[1..])
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", command[0].to_string_lossy()))?;
        Ok(Target::Child(child, false))
    }

    /// The status to end with, once the command or every process has exited, or a signal (`sig`, 0 for none)
    /// ends the recording of running processes; a signal is passed on to the command.
    fn ended(&mut self, sig: i32) -> Result<Option<ExitStatus>, String> {
        let (child, forced) = match self {
            // Running processes go on; `ue` stops recording them.
            Target::Running(a) => return Ok((sig != 0 || a.wait(Duration::ZERO)).then(|| ExitStatus::from_raw(0))),
            Target::Child(child, forced) => (child, forced),
        };
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(Some(status));
        }
        if sig == libc::SIGTERM || sig == libc::SIGHUP {
            // SAFETY: kill has no memory preconditions; the pid is our child's, not yet reaped.
            unsafe { libc::kill(child.id() as libc::pid_t, sig) };
        } else if sig == libc::SIGINT && SIGNALS.load(Ordering::Relaxed) > 1 && !*forced {
            // The terminal sent the first Ctrl-C to the command too; a second one ends it.
            let _ = child.kill();
            *forced = true;
        }
        Ok(None)
    }

    /// Until the next look: [`POLL`], or less when a running process exits.
    fn wait(&mut self) {
        match self {
            Target::Child(..) => std::thread::sleep(POLL),
            Target::Running(a) => {
                a.wait(POLL);
            }
        }
    }

    /// Stops recording early (the output failed): the command is stopped, running processes are left alone.
    /// Says how, for the message.
    fn stop(&mut self) -> String {
        match self {
            Target::Child(child, _) => stop(child),
            Target::Running(a) => format!("pid {} left running, no longer recorded", a.pids()),
        }
    }
}

/// The status of the run: the command's, unless output failed or (`strict`) records were lost.
pub(crate) fn verdict(
    failed: Option<WriteError>,
    status: Result<ExitStatus, String>,
    strict: Option<&Losses>,
) -> Result<i32, String> {
    let code = |s: ExitStatus| s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0));
    match (failed, status) {
        (None, Ok(_)) if strict.is_some_and(|l| l.total() > 0) => {
            Err(format!("{} (--strict)", strict.map(Losses::words).unwrap_or_default()))
        }
        (None | Some(WriteError::Closed), Ok(s)) => Ok(code(s)),
        (Some(WriteError::Closed), Err(_)) => Ok(0),
        (Some(WriteError::Failed(e)), Ok(_)) => Err(e),
        (Some(WriteError::Failed(e)), Err(how)) => Err(format!("{e}; {how}")),
        (None, Err(how)) => Err(how),
    }
}

/// What to record.
pub(crate) struct Plan {
    /// The events to register ahead (the command's `ue_events` section, `--events-from`), those `-e` keeps.
    pub entries: Vec<Entry>,
    /// Their names: what is enabled without `-e`.
    pub names: BTreeSet<String>,
    /// A program without the section (ue-tracing only), no `-e` or `--events-from`: every user event its
    /// processes write.
    pub every: bool,
}

pub(crate) fn plan(opts: &Options, attached: Option<&Attached>) -> Result<Plan, String> {
    let asked = !opts.events_from.is_empty() || !opts.globs.is_empty();
    let mut entries = Vec::new();
    let mut every = false;
    let (shown, found) = if let Some(a) = attached {
        (format!("pid {}", a.pids()), Some(a.events()))
    } else {
        let shown = escape::text(&opts.command[0].to_string_lossy()).into_owned();
        (shown, resolve(&opts.command[0]).as_deref().map(elf::events_if_any))
    };
    match found {
        Some(Ok(Some(e))) => entries.extend(e),
        Some(Ok(None)) if !asked && attached.is_some() => {
            every = true;
            warn(&format!(
                "ue record: {shown}: no ue_events section in the executable or its libraries: recording the user \
                 events the processes registered themselves (ue-tracing's), each enabled as it appears"
            ));
        }
        Some(Ok(None)) if !asked => {
            every = true;
            warn(&format!(
                "ue record: {shown} has no ue_events section: recording the user events its processes register \
                 (ue-tracing's), each enabled as it appears; records written before that are lost (README)"
            ));
        }
        Some(Err(e)) if !asked => {
            return Err(format!("{e}\n(name the binaries that hold the events with --events-from, or events with -e)"))
        }
        Some(_) => {}
        None => return Err(format!("{shown}: command not found")),
    }
    for f in &opts.events_from {
        entries.extend(elf::events(f)?);
    }
    entries.sort();
    entries.dedup();
    let names = entries.iter().map(|e| e.name.clone()).collect();
    let wanted = |e: &Entry| opts.globs.is_empty() || matches(&opts.globs, &e.name, e.system());
    let entries: Vec<Entry> = entries.into_iter().filter(|e| wanted(e)).collect();
    if entries.is_empty() && opts.globs.is_empty() && !every {
        return Err("no events to record".into());
    }
    Ok(Plan { entries, names, every })
}

/// Ends a command whose events can no longer be written: SIGTERM, then SIGKILL if it is still there after
/// [`GRACE`]. Says how, for the message.
pub(crate) fn stop(child: &mut Child) -> String {
    let pid = child.id();
    // SAFETY: kill has no memory preconditions; the pid is our child's, not yet reaped.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    let t0 = std::time::Instant::now();
    while t0.elapsed() < GRACE {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return format!("the command (pid {pid}) was stopped with SIGTERM"),
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    format!("the command (pid {pid}) ignored SIGTERM for {} s and was killed", GRACE.as_secs())
}

/// A command name as the shell would find it.
pub(crate) fn resolve(cmd: &OsString) -> Option<PathBuf> {
    let p = Path::new(cmd);
    if p.components().count() > 1 || p.is_absolute() {
        return p.exists().then(|| p.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(p)).find(|f| f.is_file())
}

pub(crate) fn matches(globs: &[glob::Pattern], name: &str, system: &str) -> bool {
    globs.iter().any(|g| g.matches(name) || g.matches(&format!("{system}:{name}")))
}

pub(crate) fn install_signal_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores to atomics, which is async-signal-safe.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&raw mut sa.sa_mask);
            libc::sigaction(sig, &raw const sa, std::ptr::null_mut());
        }
    }
}

/// The time on `clock` in ns (0 if it cannot be read).
pub(crate) fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: t is a valid timespec for the call to fill.
    if unsafe { libc::clock_gettime(clock, &raw mut t) } != 0 {
        return 0;
    }
    (t.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(t.tv_nsec as u64)
}

/// Instances left by a `ue record` that was killed (its pid gone).
pub(crate) fn remove_stale_instances(fs: &Tracefs) {
    let Ok(rd) = std::fs::read_dir(fs.root.join("instances")) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(INSTANCE_PREFIX) else { continue };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir(e.path());
        }
    }
}

struct Output {
    json: bool,
    sink: Sink,
    /// Records written so far.
    records: u64,
}

/// Everything `ue record` set up, undone on drop.
pub(crate) struct Session {
    pub(crate) instance: PathBuf,
    layout: PageLayout,
    /// user_events_data, holding `ue`'s own registrations.
    data: std::fs::File,
    /// Enable words of those registrations (the kernel writes them while the events are enabled), boxed so that
    /// their addresses stay put as the vector grows.
    #[allow(clippy::vec_box)]
    words: Vec<Box<AtomicU32>>,
    /// Events enabled in the instance (`system:name`).
    enabled: BTreeSet<String>,
    /// Events left disabled: the filter does not fit them (said once on stderr).
    skipped: BTreeSet<String>,
    filter: Option<Filter>,
    /// Event id → its name and format.
    formats: BTreeMap<u16, (String, Format)>,
    pipes: Vec<std::fs::File>,
    /// `task:task_newtask` in the instance (id, format), if the kernel has it: see threads.rs.
    newtask: Option<(u16, Format)>,
    threads: Threads,
    /// CLOCK_REALTIME − CLOCK_MONOTONIC at the start, in ns: a record's wall-clock time.
    unix_offset: u64,
}

impl Session {
    pub(crate) fn start(fs: &Tracefs) -> Result<Session, String> {
        let header = tracefs::read(&fs.events_dir().join("header_page"))
            .map_err(|e| format!("cannot read {}/events/header_page: {e}", fs.root.display()))?;
        let layout = PageLayout::parse(&header)?;
        let data_path = fs.root.join("user_events_data");
        let data = std::fs::OpenOptions::new().read(true).write(true).open(&data_path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                fs.not_root(&data_path)
            } else {
                format!("cannot open {}: {e}", data_path.display())
            }
        })?;
        let instance = fs.root.join("instances").join(format!("{INSTANCE_PREFIX}{}", std::process::id()));
        std::fs::create_dir(&instance).map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => fs.not_root(&instance),
            _ => format!("cannot create the tracefs instance {}: {e}", instance.display()),
        })?;
        let s = Session {
            instance,
            layout,
            data,
            words: Vec::new(),
            enabled: BTreeSet::new(),
            skipped: BTreeSet::new(),
            filter: None,
            formats: BTreeMap::new(),
            pipes: Vec::new(),
            newtask: None,
            threads: Threads::default(),
            unix_offset: clock_ns(libc::CLOCK_REALTIME).saturating_sub(clock_ns(libc::CLOCK_MONOTONIC)),
        };
        // A clock shared by all CPUs (CLOCK_MONOTONIC), so records of several CPUs merge in order, and one
        // whose distance to the wall clock `ue` can read (`unix_ns` in JSON).
        tracefs::write(&s.instance.join("trace_clock"), "mono")?;
        Ok(s)
    }

    /// Registers `e` as the program will, so the kernel has the event before the program starts.
    pub(crate) fn register(&mut self, e: &Entry) -> Result<(), String> {
        let text = CString::new(e.text()).map_err(|_| format!("{e}: NUL in the text"))?;
        let word = Box::new(AtomicU32::new(0));
        let flags = if e.multi { ue_abi::USER_EVENT_REG_MULTI_FORMAT } else { 0 };
        let mut rc = self.ioctl_reg(&word, &text, flags);
        if rc == Err(libc::EINVAL) && e.multi {
            // A kernel without multi-format events: the program falls back to one format too.
            rc = self.ioctl_reg(&word, &text, 0);
        }
        self.words.push(word);
        rc.map_err(|errno| match errno {
            libc::EADDRINUSE => format!(
                "{e}: the kernel already has this name with another format; the program cannot register it either"
            ),
            _ => format!("{e}: cannot register: {}", std::io::Error::from_raw_os_error(errno)),
        })
    }

    fn ioctl_reg(&self, word: &AtomicU32, text: &CString, flags: u16) -> Result<(), i32> {
        use std::os::fd::AsRawFd;
        // SAFETY: the word is boxed and kept in self.words until unregistered in drop.
        unsafe { ue_abi::register(self.data.as_raw_fd(), word.as_ptr(), text, flags) }.map(|_| ())
    }

    /// Records only `ue` and what it starts (or the running processes, every thread): the filter takes the pids
    /// and follows forks. The tasks created are recorded too (`task:task_newtask`), for the process of each
    /// thread.
    fn filter_to(&mut self, running: Option<&Attached>) -> Result<(), String> {
        tracefs::write(&self.instance.join("options/event-fork"), "1")?;
        let set = self.instance.join(tracefs::SET_EVENT_PID);
        match running {
            None => tracefs::write(&set, &std::process::id().to_string())?,
            Some(a) => {
                for (tid, tgid) in a.filter_in(&set)? {
                    self.threads.known(tid.into(), tgid.into());
                }
            }
        }
        let dir = self.instance.join("events/task/task_newtask");
        if let Ok(fmt) = tracefs::read(&dir.join("format")).map_err(|e| e.to_string()).and_then(|t| Format::parse(&t)) {
            if tracefs::write(&dir.join("enable"), "1").is_ok() {
                self.newtask = Some((fmt.id, fmt));
            }
        }
        Ok(())
    }

    /// Enables, in the instance, each user event that matches and is not enabled yet, with the filter written
    /// first (so no record escapes it); an event the filter does not fit stays disabled.
    fn enable_new(&mut self, matcher: &dyn Fn(&KernelEvent) -> bool) -> Result<(), String> {
        let events = self.instance.join("events");
        let fs = Tracefs { root: self.instance.clone() };
        for k in fs.user_events(&events) {
            let key = k.to_string();
            if self.enabled.contains(&key) || self.skipped.contains(&key) || !matcher(&k) {
                continue;
            }
            let dir = k.dir(&events);
            let Ok(text) = tracefs::read(&dir.join("format")) else { continue };
            let fmt = Format::parse(&text).map_err(|e| format!("{}: {e}", escape::text(&key)))?;
            if let Some(f) = &self.filter {
                let missing = f.missing(&fmt);
                if !missing.is_empty() {
                    let missing = escape::text(&missing.join(", ")).into_owned();
                    warn(&format!("ue record: --filter: {} has no field {missing}: not recorded", escape::text(&key)));
                    self.skipped.insert(key);
                    continue;
                }
                if let Err(why) = filter::apply(&self.instance, &dir, &f.expr) {
                    self.skipped.insert(key.clone());
                    let (expr, key) = (escape::quoted(&f.expr), escape::text(&key));
                    return Err(format!("--filter {expr} is refused by the kernel for {key}:\n{why}"));
                }
            }
            if let Err(e) = tracefs::write(&dir.join("enable"), "1") {
                // The event went away between the listing and now: not an error.
                if dir.exists() {
                    return Err(e);
                }
                continue;
            }
            self.formats.insert(fmt.id, (key.clone(), fmt));
            self.enabled.insert(key);
        }
        Ok(())
    }

    fn open_pipes(&mut self) -> Result<(), String> {
        let rd = std::fs::read_dir(self.instance.join("per_cpu")).map_err(|e| format!("per_cpu: {e}"))?;
        for e in rd.flatten() {
            let path = e.path().join("trace_pipe_raw");
            let f = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&path)
                .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            self.pipes.push(f);
        }
        Ok(())
    }

    /// Reads every page ready on every CPU and prints the records in time order; stops at a failed write.
    fn drain(&mut self, out: &mut Output) -> Result<(), WriteError> {
        let mut recs = Vec::new();
        let mut page = vec![0u8; self.layout.page_size];
        for pipe in &mut self.pipes {
            // Reads return one page, or EAGAIN once the CPU's buffer is empty.
            while let Ok(n) = pipe.read(&mut page) {
                if n == 0 {
                    break;
                }
                recs.extend(ring::records(&page[..n], &self.layout));
            }
        }
        recs.sort_by_key(|(ts, _)| *ts);
        for (ts, rec) in recs {
            let Some(id) = rec.get(..2).map(|b| u16::from_ne_bytes([b[0], b[1]])) else { continue };
            if let Some((_, f)) = self.newtask.as_ref().filter(|(nid, _)| *nid == id) {
                if let (Some(child), Some(flags)) = (f.int_field(&rec, "pid"), f.int_field(&rec, "clone_flags")) {
                    self.threads.created(f.tid(&rec), child, flags);
                }
                continue;
            }
            let Some((name, fmt)) = self.formats.get(&id) else { continue };
            let tid = fmt.tid(&rec);
            let (who, fields) = (Writer { pid: self.threads.tgid(tid), tid }, fmt.decode(&rec));
            let line = if out.json {
                format::json_line(ts, ts.saturating_add(self.unix_offset), who, name, fields)
            } else {
                format::text_line(ts, who, name, &fields)
            };
            out.sink.line(&line)?;
            out.records += 1;
        }
        out.sink.flush()
    }
}

impl Session {
    /// The records lost, said on stderr and (`--json`) in the summary line, unless output failed already; a
    /// flight recorder's snapshots have said theirs.
    fn losses(
        &self,
        flight: Option<&Flight>,
        out: &mut Output,
        failed: Option<WriteError>,
    ) -> (Losses, Option<WriteError>) {
        if let Some(f) = flight {
            return (f.lost(), failed);
        }
        let losses = Losses::read(&self.instance);
        if losses.total() > 0 {
            warn(&format!(
                "ue record: {}: the trace buffer overflowed (a larger --buffer-size keeps more)",
                losses.words()
            ));
        }
        let failed = match failed {
            None if out.json => out.sink.line(&losses.json_summary(out.records)).and_then(|()| out.sink.flush()).err(),
            f => f,
        };
        (losses, failed)
    }

    /// A flight recorder's snapshot: the buffers stopped, read to their end into the snapshot's output, its
    /// summary (`--json`); then, unless it is the `last`, the buffers restarted and the next snapshot's output
    /// created; last its line on stderr.
    fn snapshot(&mut self, f: &mut Flight, out: &mut Output, last: bool) -> Result<(), WriteError> {
        f.pause().map_err(WriteError::Failed)?;
        self.drain(out)?;
        let taken = f.took(out.records);
        if out.json {
            out.sink.line(&taken.json_summary())?;
        }
        out.sink.flush()?;
        if !last {
            f.resume().map_err(WriteError::Failed)?;
            *out = Output { json: out.json, sink: f.sink().map_err(WriteError::Failed)?, records: 0 };
        }
        // Said once recording is on again: what is written from then on goes to the next snapshot.
        warn(&format!("ue record: {}", taken.words()));
        Ok(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // The pipes hold the instance busy; removing it disables its events and frees its buffers.
        self.pipes.clear();
        if let Err(e) = std::fs::remove_dir(&self.instance) {
            warn(&format!("ue record: cannot remove {}: {e}", self.instance.display()));
        }
        use std::os::fd::AsRawFd;
        for word in &self.words {
            // One of our registrations, or none (refused harmlessly).
            let _ = ue_abi::unregister(self.data.as_raw_fd(), word.as_ptr());
        }
        // Closing user_events_data (when self.data drops) releases the last references ue held.
    }
}
