//! The report crate's one error type: what went wrong, and with which file.
//!
//! Every variant that concerns a file carries its path, so a message never says "record 26"
//! without saying of what. `is_input` separates problems with what the user pointed the tool at
//! (a damaged or foreign folder, a table without the named column) from failures of the
//! machine (a full disk, a refused rename); the binary turns the first into exit code 2.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use sidelines_experiment::StateError;
use sidelines_experiment::sensitivity::SensitivityError;

#[derive(Debug)]
pub enum Error {
    /// Reading, writing, renaming or removing a file failed.
    Io { path: PathBuf, source: io::Error },
    /// A table could not be read as CSV.
    Csv { path: PathBuf, source: csv::Error },
    /// A file holds something the tool did not write, or no longer what it wrote.
    Damaged { path: PathBuf, message: String },
    /// The folder is not a finished results folder.
    NotResults(PathBuf),
    /// `--resume` on a folder with no unfinished batch or sweep.
    NothingToResume { dir: PathBuf, what: &'static str },
    /// `--resume` with arguments that differ from the interrupted run's.
    Mismatch { what: &'static str, differences: Vec<String> },
    /// Drawing a chart failed.
    Chart { path: PathBuf, message: String },
    /// The workbook library refused.
    Workbook { path: PathBuf, source: rust_xlsxwriter::XlsxError },
    /// A table has no column by this name.
    NoColumn { path: PathBuf, column: String },
    /// A cell that must be a number is not.
    NotANumber { path: PathBuf, line: u64, column: String },
    /// No numeric outcome by this name.
    NoOutcome(String),
    /// Sensitivity indices of one outcome cannot be estimated.
    Sensitivity { outcome: String, source: SensitivityError },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A problem with what the user pointed the tool at, rather than a failure of the machine.
    pub fn is_input(&self) -> bool {
        !matches!(self, Error::Io { .. } | Error::Chart { .. } | Error::Workbook { .. })
    }

    pub(crate) fn damaged(path: &Path, message: impl Into<String>) -> Error {
        Error::Damaged { path: path.to_path_buf(), message: message.into() }
    }

    pub(crate) fn state(path: &Path, e: StateError) -> Error {
        Error::damaged(path, e.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {}", path.display(), in_words(source)),
            Error::Csv { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Damaged { path, message } => write!(f, "{}: {message}", path.display()),
            Error::NotResults(dir) => {
                write!(f, "{} is not a finished results folder (no manifest.json)", dir.display())
            }
            Error::NothingToResume { dir, what } => {
                write!(f, "{} holds no unfinished {what} to resume", dir.display())
            }
            Error::Mismatch { what, differences } => write!(
                f,
                "--resume needs the same arguments as the interrupted {what}:\n  {}",
                differences.join("\n  ")
            ),
            Error::Chart { path, message } => write!(f, "{}: {message}", path.display()),
            Error::Workbook { path, source } => write!(f, "{}: {source}", path.display()),
            Error::NoColumn { path, column } => {
                write!(f, "{}: no column `{column}`", path.display())
            }
            Error::NotANumber { path, line, column } => {
                write!(f, "{}: line {line}: `{column}` is not a number", path.display())
            }
            Error::NoOutcome(name) => write!(
                f,
                "no outcome named `{name}` (a numeric outcome, a yes/no or category outcome, or \
                 OUTCOME=VALUE for one category's share)"
            ),
            Error::Sensitivity { outcome, source } => write!(f, "{outcome}: {source}"),
        }
    }
}

/// Every variant's Display already says its cause (an I/O failure in words), so none is
/// given again as a source: `anyhow`'s `{:#}` would print it twice.
impl std::error::Error for Error {}

/// Attaches the path a fallible file operation concerned.
/// An I/O failure in words: what the machine refused, without the debug text of the layers
/// it came through (tempfile's "at path", the image encoder's wrapping).
pub fn in_words(e: &io::Error) -> String {
    let words = match e.kind() {
        io::ErrorKind::StorageFull => "the disk is full (no space left on the device)",
        io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only",
        io::ErrorKind::PermissionDenied => "permission denied: this user may not write there",
        io::ErrorKind::QuotaExceeded => "the disk quota is exceeded",
        io::ErrorKind::NotFound => "no such file or folder",
        io::ErrorKind::IsADirectory => "it is a folder, not a file",
        _ => "",
    };
    if !words.is_empty() {
        return words.to_string();
    }
    // The operating system's text without Rust's "(os error N)" and "at path" tails.
    let text = e.to_string();
    let text = text.split(" at path ").next().unwrap_or(&text);
    let text = text.split(" (os error ").next().unwrap_or(text);
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |c| c.to_lowercase().chain(chars).collect())
}

pub(crate) trait At<T> {
    fn at(self, path: &Path) -> Result<T>;
}

impl<T> At<T> for io::Result<T> {
    fn at(self, path: &Path) -> Result<T> {
        self.map_err(|source| Error::Io { path: path.to_path_buf(), source })
    }
}

impl<T> At<T> for std::result::Result<T, csv::Error> {
    fn at(self, path: &Path) -> Result<T> {
        self.map_err(|source| {
            if !source.is_io_error() {
                return Error::Csv { path: path.to_path_buf(), source };
            }
            match source.into_kind() {
                csv::ErrorKind::Io(source) => Error::Io { path: path.to_path_buf(), source },
                kind => Error::damaged(path, format!("{kind:?}")),
            }
        })
    }
}

impl<T> At<T> for std::result::Result<T, rust_xlsxwriter::XlsxError> {
    fn at(self, path: &Path) -> Result<T> {
        self.map_err(|source| Error::Workbook { path: path.to_path_buf(), source })
    }
}

/// The experiment crate's sinks speak `io::Error`; this error travels inside one.
impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        // Keep the kind (a full disk stays a full disk) and the message with its path.
        let kind = match &e {
            Error::Io { source, .. } => source.kind(),
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, e)
    }
}
