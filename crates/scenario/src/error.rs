//! Errors that point at a place in a file: `file:line:col: field: message`.
//!
//! Every problem found in an input file becomes one `Diagnostic`. Loading collects as many as it
//! can before giving up, so `sidelines validate` shows them all at once.

use std::fmt;

/// One problem in one input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based line; 0 when the problem has no place (an unreadable file).
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// The field's path, as `actors[3].prior.reliable`; empty for file-level problems.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything wrong with an input, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub diagnostics: Vec<Diagnostic>,
}

impl Error {
    pub fn single(d: Diagnostic) -> Error {
        Error { diagnostics: vec![d] }
    }

    /// A problem with no file behind it (a parameter path given on the command line).
    pub fn plain(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::single(Diagnostic {
            file: String::from("<parameter>"),
            line: 0,
            column: 0,
            field: field.into(),
            message: message.into(),
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// " (did you mean `x`?)" when a candidate is close: the hint every "unknown name" message
/// carries, here beside the diagnostics so that every reader of files can use it.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    candidates
        .map(|c| (strsim::jaro_winkler(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}
