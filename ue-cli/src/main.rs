//! `ue`: the events compiled into binaries, the user events of this machine, and recording a command's events.
//!
//! Exit status: 0 on success; `ue record` returns the command's status (128 + N when signal N ended it; 0 for
//! `-p` processes); 1 when `ue` itself fails (the message says what to do), a write to its output included; 2 for
//! a usage error. A closed output (`| head`) ends it quietly with 0.

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use ue_cli::output::{self, WriteError};
use ue_cli::{elf, escape, format, record, tracefs};

#[derive(Parser)]
#[command(name = "ue", version, about = "Static tracepoints on Linux user_events: list and record them")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the events compiled into binaries (their `ue_events` section), or with no file, the user events
    /// registered on this machine now, with their formats and who traces them.
    ///
    /// An event name declared with two formats in the files (the executable and libraries of one program) is
    /// reported on stderr: the kernel would refuse the second.
    List {
        /// Executables or shared libraries.
        files: Vec<PathBuf>,
        /// Exit with status 1 when the files declare one event name with two formats (for CI).
        #[arg(long, requires = "files")]
        check: bool,
    },
    /// Run a command and print its events, from the first one (or those of running processes, -p): one line per
    /// event (`time pid tid event field=value …`, text quoted, bytes in hex) or one JSON object per line. Needs
    /// root.
    Record {
        /// Record only events whose name (or `system:name`) matches this shell pattern; repeatable.
        /// Without it: every event of the command's binaries.
        #[arg(short = 'e', long = "event", value_name = "GLOB")]
        events: Vec<String>,
        /// Also create ahead the events of this binary or library (one the command runs or loads); repeatable.
        #[arg(long, value_name = "FILE")]
        events_from: Vec<PathBuf>,
        /// One JSON object per line: {"type":"record", "time", "time_ns", "unix_ns", "pid", "tid", "event", "fields":
        /// {…}} (README: the `--json` schema).
        #[arg(long)]
        json: bool,
        /// Keep only the records for which this kernel filter holds (`'status >= 500 && path ~ "/api/*"'`; the
        /// syntax of Documentation/trace/events.rst), applied in the kernel to each selected event that has the
        /// fields it names; the others are not recorded. A bad expression is refused before the command starts.
        #[arg(long, value_name = "EXPR")]
        filter: Option<String>,
        /// The trace buffer of each CPU, in KiB (the instance's `buffer_size_kb`; the kernel's default otherwise).
        #[arg(long, value_name = "KB", value_parser = clap::value_parser!(u64).range(1..))]
        buffer_size: Option<u64>,
        /// Exit with status 1 when any record was lost (the buffer overflowed), whatever the command's status.
        #[arg(long)]
        strict: bool,
        /// Write the events to this file instead of standard output (which the command shares); with --ring, each
        /// snapshot to FILE.1, FILE.2, …
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Flight recorder: keep the last SIZE of records (`64M`, `512K`: all CPUs' buffers together) in the
        /// kernel's overwrite buffers, unread; write them out on SIGUSR2 and at exit, each snapshot on its own
        /// (README: what a snapshot holds and loses).
        #[arg(long, value_name = "SIZE", value_parser = ue_cli::flight::parse_size,
              conflicts_with_all = ["buffer_size", "format", "call_graph"])]
        ring: Option<u64>,
        /// Record these running processes (and the tasks they start) instead of a command, until they have all
        /// exited or Ctrl-C: the events they registered themselves.
        #[arg(short = 'p', long = "pid", value_name = "PID[,PID…]", value_delimiter = ',', num_args = 1,
              value_parser = clap::value_parser!(i32).range(1..), conflicts_with_all = ["command", "format", "call_graph"])]
        pids: Vec<i32>,
        /// `perf`: write a perf.data file (`-o FILE`) that `perf script` and `perf report` read, through
        /// perf_event_open rings (README: perf.data and call stacks).
        #[arg(long, value_name = "FORMAT", value_parser = ["perf"], conflicts_with = "json")]
        format: Option<String>,
        /// With each record, the user-space call stack that wrote it, its functions named (README: call stacks).
        #[arg(short = 'g', long = "call-graph")]
        call_graph: bool,
        /// The command and its arguments (after `--`).
        #[arg(required_unless_present = "pids", last = true, value_name = "COMMAND")]
        command: Vec<OsString>,
    },
    /// Say whether user_events is usable here and, if not, why.
    Status,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::List { files, .. } if files.is_empty() => list_machine(),
        Cmd::List { files, check } => list_files(&files, check),
        Cmd::Record {
            events,
            events_from,
            json,
            filter,
            buffer_size,
            strict,
            output,
            ring,
            pids,
            format,
            call_graph,
            command,
        } => globs(&events).and_then(|globs| {
            let file = format.is_some();
            let (buffer_size_kb, perf) =
                (buffer_size, (file || call_graph).then_some(record::Perf { call_graph, file }));
            record(record::Options {
                globs,
                events_from,
                json,
                filter,
                buffer_size_kb,
                strict,
                output,
                ring,
                pids,
                perf,
                command,
            })
        }),
        Cmd::Status => status(),
    };
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(Failure::Closed) => ExitCode::SUCCESS,
        Err(Failure::Said(e)) => {
            output::warn(&format!("ue: {e}"));
            ExitCode::FAILURE
        }
    }
}

/// Why a subcommand stopped short.
enum Failure {
    /// Said on stderr after `ue: `.
    Said(String),
    /// The reader of standard output went away.
    Closed,
}

impl From<String> for Failure {
    fn from(e: String) -> Failure {
        Failure::Said(e)
    }
}

impl From<WriteError> for Failure {
    fn from(e: WriteError) -> Failure {
        match e {
            WriteError::Closed => Failure::Closed,
            WriteError::Failed(e) => Failure::Said(e),
        }
    }
}

/// One line per event, `system:name fields`, then its USDT probe if the file has it; with several files each line starts with `file: `. Each file's
/// lines are written as one piece once it is read, so its errors on stderr come between files, not inside one.
/// Then each name declared with two formats, on stderr; with `check`, those make the status 1.
fn list_files(files: &[PathBuf], check: bool) -> Result<i32, Failure> {
    let mut failed = false;
    let mut read = Vec::new();
    for f in files {
        match elf::events(f) {
            Ok(entries) => {
                let probes = elf::probes(f).unwrap_or_else(|e| {
                    output::warn(&format!("ue: {e}"));
                    Vec::new()
                });
                let mut text = String::new();
                for e in &entries {
                    if files.len() > 1 {
                        let _ = write!(text, "{}: {e}", escape::text(&f.to_string_lossy()));
                    } else {
                        let _ = write!(text, "{e}");
                    }
                    let _ = writeln!(text, "{}", e.probe(&probes).map(|p| format!("  {p}")).unwrap_or_default());
                }
                output::print(&text)?;
                read.push((f.clone(), entries));
            }
            Err(e) => {
                output::warn(&format!("ue: {e}"));
                failed = true;
            }
        }
    }
    let conflicts = ue_cli::conflicts::find(&read);
    for c in &conflicts {
        output::warn(&format!("ue: {c}"));
    }
    Ok(i32::from(failed || (check && !conflicts.is_empty())))
}

/// The user events the kernel has now: `system:name fields`, and `# used by …` while traced. Any process may
/// register a name or field, so every line is escaped.
fn list_machine() -> Result<i32, Failure> {
    let fs = tracefs::Tracefs::find()?;
    let users = fs.users();
    let events = fs.events_dir();
    let mut text = String::new();
    for k in fs.user_events(&events) {
        let decl = tracefs::read(&k.dir(&events).join("format"))
            .ok()
            .and_then(|t| format::Format::parse(&t).ok())
            .map(|f| f.decl())
            .unwrap_or_default();
        let mut line = if decl.is_empty() { k.to_string() } else { format!("{k} {decl}") };
        if let Some((_, u)) = users.iter().find(|(n, u)| *n == k.name && !u.is_empty()) {
            let _ = write!(line, "  # used by {u}");
        }
        let _ = writeln!(text, "{}", escape::text(&line));
    }
    output::print(&text)?;
    Ok(0)
}

fn globs(events: &[String]) -> Result<Vec<glob::Pattern>, Failure> {
    events.iter().map(|g| glob::Pattern::new(g).map_err(|e| Failure::Said(format!("-e {g:?}: {e}")))).collect()
}

fn record(opts: record::Options) -> Result<i32, Failure> {
    record::run(opts).map_err(|e| Failure::Said(format!("record: {e}")))
}

/// The runtime's own verdict (the words of `ue_runtime::status()`), from this process.
fn status() -> Result<i32, Failure> {
    ue_runtime::init();
    let s = ue_runtime::status();
    match (&s.unavailable, &s.data_file) {
        (Some(why), _) => {
            output::print(&format!("user_events is not usable here: {why}\n"))?;
            Ok(1)
        }
        (None, Some(file)) => {
            output::print(&format!("user_events is usable: {file}\n"))?;
            Ok(0)
        }
        (None, None) => Err(Failure::Said("the runtime did not start".into())),
    }
}
