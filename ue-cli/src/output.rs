//! Where `ue` writes: standard output, or `ue record -o FILE`. A write that fails is an error naming the output,
//! never a panic; a closed pipe (`| head`) is told apart, since it only means nobody reads any more.

use crate::escape;
use std::io::{self, Write};
use std::path::Path;

/// Why output stopped.
#[derive(Debug)]
pub enum WriteError {
    /// The reader went away (EPIPE): end quietly.
    Closed,
    /// Anything else (a full disk, an I/O error), in words naming the output.
    Failed(String),
}

impl WriteError {
    fn of(e: &io::Error, name: &str) -> WriteError {
        if e.kind() == io::ErrorKind::BrokenPipe {
            WriteError::Closed
        } else {
            WriteError::Failed(format!("cannot write to {name}: {e}"))
        }
    }
}

/// Standard output as messages name it: `standard output (/dev/full)` when it is a file.
pub fn stdout_name() -> String {
    match std::fs::read_link("/proc/self/fd/1") {
        Ok(p) if p.is_absolute() => format!("standard output ({})", escape::text(&p.to_string_lossy())),
        _ => "standard output".into(),
    }
}

/// Writes all of `text` to standard output.
pub fn print(text: &str) -> Result<(), WriteError> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| WriteError::of(&e, &stdout_name()))
}

/// One line on standard error; if even that fails there is nowhere left to say so, and `ue` goes on.
pub fn warn(msg: &str) {
    let _ = writeln!(io::stderr().lock(), "{msg}");
}

/// `ue record`'s output, created before the command starts.
pub struct Sink {
    w: io::BufWriter<Box<dyn Write>>,
    /// For messages: the path, or standard output.
    name: String,
}

impl Sink {
    /// The file (created or truncated now), or standard output.
    pub fn create(path: Option<&Path>) -> Result<Sink, String> {
        let (w, name): (Box<dyn Write>, String) = match path {
            Some(p) => {
                let shown = escape::text(&p.to_string_lossy()).into_owned();
                let f = std::fs::File::create(p).map_err(|e| format!("cannot create {shown}: {e}"))?;
                (Box::new(f), shown)
            }
            None => (Box::new(io::stdout()), stdout_name()),
        };
        Ok(Sink { w: io::BufWriter::new(w), name })
    }

    pub fn line(&mut self, line: &str) -> Result<(), WriteError> {
        writeln!(self.w, "{line}").map_err(|e| WriteError::of(&e, &self.name))
    }

    pub fn flush(&mut self) -> Result<(), WriteError> {
        self.w.flush().map_err(|e| WriteError::of(&e, &self.name))
    }
}
