//! `ue`: the events compiled into binaries, the user events of this machine, and recording a command's events.
//!
//! Exit status: 0 on success; `ue record` returns the command's status (128 + N when signal N ended it); 1 when
//! `ue` itself fails (the message says what to do); 2 for a usage error.

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use ue_cli::{elf, format, record, tracefs};

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
    List {
        /// Executables or shared libraries.
        files: Vec<PathBuf>,
    },
    /// Run a command and print its events, from the first one: one line per event (`time pid event
    /// field=value …`, text quoted, bytes in hex) or one JSON object per line. Needs root.
    Record {
        /// Record only events whose name (or `system:name`) matches this shell pattern; repeatable.
        /// Without it: every event of the command's binaries.
        #[arg(short = 'e', long = "event", value_name = "GLOB")]
        events: Vec<String>,
        /// Also create ahead the events of this binary or library (one the command runs or loads); repeatable.
        #[arg(long, value_name = "FILE")]
        events_from: Vec<PathBuf>,
        /// One JSON object per line: {"time", "time_ns", "pid", "event", "fields": {…}}.
        #[arg(long)]
        json: bool,
        /// Write the events to this file instead of standard output (which the command shares).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The command and its arguments (after `--`).
        #[arg(required = true, last = true, value_name = "COMMAND")]
        command: Vec<OsString>,
    },
    /// Say whether user_events is usable here and, if not, why.
    Status,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::List { files } if files.is_empty() => list_machine(),
        Cmd::List { files } => list_files(&files),
        Cmd::Record { events, events_from, json, output, command } => {
            globs(&events).and_then(|globs| record(record::Options { globs, events_from, json, output, command }))
        }
        Cmd::Status => status(),
    };
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("ue: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One line per event, `system:name fields`; with several files each line starts with `file: `.
#[allow(clippy::unnecessary_wraps)] // the shape of every subcommand, matched together in main
fn list_files(files: &[PathBuf]) -> Result<i32, String> {
    let mut failed = false;
    for f in files {
        match elf::events(f) {
            Ok(entries) => {
                for e in entries {
                    if files.len() > 1 {
                        println!("{}: {e}", f.display());
                    } else {
                        println!("{e}");
                    }
                }
            }
            Err(e) => {
                eprintln!("ue: {e}");
                failed = true;
            }
        }
    }
    Ok(i32::from(failed))
}

/// The user events the kernel has now: `system:name fields`, and `# used by …` while traced.
fn list_machine() -> Result<i32, String> {
    let fs = tracefs::Tracefs::find()?;
    let users = fs.users();
    let events = fs.events_dir();
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
        println!("{line}");
    }
    Ok(0)
}

fn globs(events: &[String]) -> Result<Vec<glob::Pattern>, String> {
    events.iter().map(|g| glob::Pattern::new(g).map_err(|e| format!("-e {g:?}: {e}"))).collect()
}

fn record(opts: record::Options) -> Result<i32, String> {
    record::run(opts).map_err(|e| format!("record: {e}"))
}

/// The runtime's own verdict (the words of `ue_runtime::status()`), from this process.
fn status() -> Result<i32, String> {
    ue_runtime::init();
    let s = ue_runtime::status();
    match (&s.unavailable, &s.data_file) {
        (Some(why), _) => {
            println!("user_events is not usable here: {why}");
            Ok(1)
        }
        (None, Some(file)) => {
            println!("user_events is usable: {file}");
            Ok(0)
        }
        (None, None) => Err("the runtime did not start".into()),
    }
}
