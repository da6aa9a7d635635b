//! The workflows' one error type: whether the user can fix it (their input), the machine failed
//! (a write, a thread), or the work stopped on request, with what continuing it needs.

use std::fmt;
use std::path::PathBuf;

/// Why a workflow did not finish.
#[derive(Debug)]
pub enum Error {
    /// The user's input (a value, a flag, an output folder that would be overwritten).
    Input(String),
    /// A scenario, record or calibration file that does not validate: every problem, each with
    /// its file, line, column and field.
    Scenario(sidelines_scenario::Error),
    /// A results folder that could not be read or written (`is_input` tells whose fault).
    Folder(sidelines_report::Error),
    /// The machine: the model's schedule, the worker threads, a write outside a results folder.
    Machine(String),
    /// Stopped on request (Ctrl-C, SIGTERM, a cancelled flag) at a checkpoint: `resume`
    /// continues it from `next_run` of `total` (0 when not known in advance).
    Interrupted { dir: PathBuf, next_run: u64, total: u64, resume: String },
    /// A failure mid-way (a full disk): the tables were cut back to the last checkpoint, `kept`
    /// bytes remain, and `resume` continues once the cause is fixed.
    Stopped { dir: PathBuf, what: &'static str, cause: String, kept: u64, resume: String },
    /// `what` failed because of `source`.
    Context { what: String, source: Box<Error> },
}

impl Error {
    /// Whether the user can fix it by changing their input (exit code 2 on the command line).
    pub fn is_input(&self) -> bool {
        match self {
            Error::Input(_) | Error::Scenario(_) => true,
            Error::Folder(e) => e.is_input(),
            Error::Context { source, .. } => source.is_input(),
            Error::Machine(_) | Error::Interrupted { .. } | Error::Stopped { .. } => false,
        }
    }

    /// The error under any context.
    pub fn root(&self) -> &Error {
        match self {
            Error::Context { source, .. } => source.root(),
            e => e,
        }
    }
}

/// An error the user can fix by changing their input.
pub fn input(message: impl Into<String>) -> Error {
    Error::Input(message.into())
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(m) | Error::Machine(m) => f.write_str(m),
            Error::Scenario(e) => write!(f, "{e}"),
            Error::Folder(e) => write!(f, "{e}"),
            Error::Interrupted { next_run, total: 0, resume, .. } => {
                write!(f, "interrupted after {next_run} runs; continue with:\n  {resume}")
            }
            Error::Interrupted { next_run, total, resume, .. } => write!(
                f,
                "interrupted after {next_run} of {total} runs; continue with:\n  {resume}"
            ),
            Error::Stopped { dir, what, cause, kept, resume } => write!(
                f,
                "the {what} in {} stopped: {cause}\n  kept {:.1} MB in it, up to the last checkpoint; once there is room, continue with\n  {resume}\n  (or delete the folder)",
                dir.display(),
                *kept as f64 / 1e6
            ),
            Error::Context { what, source } => write!(f, "{what}: {source}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<sidelines_scenario::Error> for Error {
    fn from(e: sidelines_scenario::Error) -> Error {
        Error::Scenario(e)
    }
}

impl From<sidelines_report::Error> for Error {
    fn from(e: sidelines_report::Error) -> Error {
        Error::Folder(e)
    }
}

impl From<sidelines_model::BuildError> for Error {
    fn from(e: sidelines_model::BuildError) -> Error {
        Error::Machine(e.to_string())
    }
}

/// A failed file operation; `.context(...)` says on which file.
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Machine(sidelines_report::in_words(&e))
    }
}

impl From<csv::Error> for Error {
    fn from(e: csv::Error) -> Error {
        Error::Machine(format!("writing a table: {e}"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `.context(...)` for the workflows' results: says what was being done.
pub trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::Context { what: what(), source: Box::new(e.into()) })
    }
}

/// The bytes of a CSV table written in memory.
pub(crate) fn csv_bytes(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>> {
    w.into_inner().map_err(|e| Error::Machine(format!("writing a table: {e}")))
}
