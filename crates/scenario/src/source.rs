//! From bytes to a TOML table plus a map from every field path to its place in the file.
//!
//! Validation works on plain values and reports a field path (`actors[3].prior.reliable`); the
//! `SourceMap` turns that path back into `file:line:col`. Keeping the two apart lets a variant's
//! overrides point at the variant's own lines while everything else points at its base file.

use std::collections::HashMap;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

use crate::error::{Diagnostic, Error};

/// Where a field path was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// Field path (index form) -> the place of its value.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    places: HashMap<String, Place>,
    /// Paths a variant overrode, pointing into the variant: a problem found at an ancestor of
    /// one (a prior that no longer sums to 1) is reported there.
    overrides: Vec<(String, Place)>,
    /// Where paths not written anywhere point: the first line of the file that defines the
    /// scenario.
    fallback: Option<Place>,
}

impl SourceMap {
    /// The place of `path`; else of a variant's override below it; else of its nearest written
    /// ancestor.
    pub fn locate(&self, path: &str) -> Option<&Place> {
        let at_or_below = |o: &str| {
            o.strip_prefix(path).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
            })
        };
        if let Some((_, place)) =
            self.overrides.iter().find(|(o, _)| !path.is_empty() && at_or_below(o))
        {
            return Some(place);
        }
        let mut p = path;
        loop {
            if let Some(place) = self.places.get(p) {
                return Some(place);
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => return self.places.get(p).or(self.fallback.as_ref()),
            }
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = (&String, &Place)> {
        self.places.iter()
    }

    pub fn insert(&mut self, path: String, place: Place) {
        self.places.insert(path, place);
    }

    /// Records a variant's override of `path`.
    pub fn insert_override(&mut self, path: String, place: Place) {
        self.overrides.push((path.clone(), place.clone()));
        self.places.insert(path, place);
    }

    pub fn diagnostic(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        let place = self.locate(path).cloned().unwrap_or(Place {
            file: String::from("<scenario>"),
            line: 0,
            column: 0,
        });
        Diagnostic {
            file: place.file,
            line: place.line,
            column: place.column,
            field: path.to_string(),
            message: message.into(),
        }
    }
}

/// A parsed file: its table and where each of its fields is.
#[derive(Debug)]
pub struct Parsed {
    pub table: toml::Table,
    pub map: SourceMap,
}

/// Decode, parse and map one file. `file` is the name errors will show.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Parsed, Error> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            // The prefix is valid UTF-8 by construction.
            let prefix = String::from_utf8_lossy(valid);
            let (line, column) = line_col(&prefix, prefix.len());
            return Err(Error::single(Diagnostic {
                file: file.to_string(),
                line,
                column,
                field: String::new(),
                message: format!("the file is not UTF-8 (invalid byte at offset {})", valid.len()),
            }));
        }
    };
    if text.trim().is_empty() {
        return Err(Error::single(Diagnostic {
            file: file.to_string(),
            line: 1,
            column: 1,
            field: String::new(),
            message: String::from("the file is empty"),
        }));
    }
    let spanned = DeTable::parse(text).map_err(|e| toml_error(file, text, &e))?;
    let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    let mut map = SourceMap {
        places: HashMap::new(),
        overrides: Vec::new(),
        fallback: Some(Place { file: file.to_string(), line: 1, column: 1 }),
    };
    let lines = LineIndex::new(text);
    let mut walker = Walker { file, lines: &lines, map: &mut map };
    walker.table(String::new(), spanned.get_ref());
    Ok(Parsed { table, map })
}

fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> Error {
    let raw = e.message().trim_end();
    // The parser's recursion limit comes without a place: the deepest line is where it was hit.
    let (line, column) = match e.span() {
        None if raw.contains("recursion limit") => deepest_line(text),
        span => line_col(text, span.map_or(0, |s| s.start)),
    };
    let message = if raw.contains("recursion limit") {
        String::from("nested too deeply (the parser's recursion limit; flatten the tables)")
    } else if raw.contains("as i128") || raw.contains("too large") || raw.contains("too small") {
        String::from(
            "integer out of range (TOML integers are 64-bit; write a float or a smaller number)",
        )
    } else {
        raw.to_string()
    };
    Error::single(Diagnostic {
        file: file.to_string(),
        line,
        column,
        field: field_at_line(text, line),
        message: format!("not valid TOML: {message}"),
    })
}

/// The first line that nests deepest, and the column where it does: a table header counts its
/// dotted keys, a value its dotted key plus the brackets and braces open within it (carried over
/// lines for a multi-line array). Strings are not parsed; this only points at a place.
fn deepest_line(text: &str) -> (usize, usize) {
    let (mut best, mut at) = (0usize, (1, 1));
    let mut open = 0usize;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim_start();
        let indent = line.chars().count() - l.chars().count();
        if open == 0 && l.starts_with('[') {
            let depth = l.split(']').next().map_or(0, |h| h.matches('.').count() + 1);
            if depth > best {
                (best, at) = (depth, (i + 1, indent + 1));
            }
            continue;
        }
        let (key, value, value_col) = match (open, l.split_once('=')) {
            (0, Some((k, v))) => (k, v, l.chars().count() - v.chars().count()),
            _ => ("", l, 0),
        };
        let keys = if key.trim().is_empty() { 0 } else { key.matches('.').count() + 1 };
        for (j, c) in value.chars().enumerate() {
            match c {
                '[' | '{' => {
                    open += 1;
                    if keys + open > best {
                        (best, at) = (keys + open, (i + 1, indent + value_col + j + 1));
                    }
                }
                ']' | '}' => open = open.saturating_sub(1),
                '#' => break,
                _ => {}
            }
        }
    }
    at
}

/// The field a line of TOML text defines, read from the text alone (a file that does not parse
/// has no tree to ask): a table header names itself; `key = value` is named within the last
/// header above it. Array elements are not numbered here.
fn field_at_line(text: &str, line: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(here) = lines.get(line.saturating_sub(1)).map(|l| l.trim()) else {
        return String::new();
    };
    let header = |l: &str| {
        let l = l.trim();
        l.starts_with('[').then(|| {
            let end = l.find(']').unwrap_or(l.len());
            l[..end].trim_start_matches('[').trim().replace(['"', ' '], "")
        })
    };
    if let Some(h) = header(here) {
        return h;
    }
    let Some((key, _)) = here.split_once('=') else { return String::new() };
    let key = key.trim().replace(['"', ' '], "");
    if key.is_empty() || key.starts_with('#') {
        return String::new();
    }
    match lines[..line.saturating_sub(1)].iter().rev().find_map(|l| header(l)) {
        Some(table) => format!("{table}.{key}"),
        None => key,
    }
}

/// 1-based line and character column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Byte offsets of line starts, so each lookup is a binary search rather than a scan.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> LineIndex<'a> {
        let starts =
            std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self.starts.partition_point(|s| *s <= offset);
        let start = self.starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }
}

struct Walker<'a> {
    file: &'a str,
    lines: &'a LineIndex<'a>,
    map: &'a mut SourceMap,
}

impl Walker<'_> {
    fn place(&self, span: Range<usize>) -> Place {
        let (line, column) = self.lines.line_col(span.start);
        Place { file: self.file.to_string(), line, column }
    }

    fn table(&mut self, prefix: String, table: &DeTable<'_>) {
        for (key, value) in table {
            let path = if prefix.is_empty() {
                key.get_ref().to_string()
            } else {
                format!("{prefix}.{}", key.get_ref())
            };
            // Point at the value, which is where a wrong number or type is written. A table
            // header has no value span worth showing, so fall back to the key.
            let span = match value.get_ref() {
                DeValue::Table(_) | DeValue::Array(_) => key.span(),
                _ => value.span(),
            };
            let place = self.place(span);
            self.map.insert(path.clone(), place);
            self.value(path, value.get_ref());
        }
    }

    fn value(&mut self, path: String, value: &DeValue<'_>) {
        match value {
            DeValue::Table(t) => self.table(path, t),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{path}[{i}]");
                    let place = self.place(item.span());
                    self.map.insert(p.clone(), place);
                    self.value(p, item.get_ref());
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_nested_paths_to_lines() {
        let text = "a = 1\n[[actors]]\ncode = \"US\"\n[actors.prior]\nx = 0.5\n";
        let parsed = parse("f.toml", text.as_bytes()).unwrap();
        let p = parsed.map.locate("actors[0].prior.x").unwrap();
        assert_eq!((p.line, p.column), (5, 5));
        let p = parsed.map.locate("actors[0].missing").unwrap();
        assert_eq!(p.line, 2);
        let p = parsed.map.locate("nothing.here").unwrap();
        assert_eq!((p.line, p.column), (1, 1));
    }

    #[test]
    fn syntax_errors_name_the_field_from_the_text() {
        let text = "a = 1\n[mediator]\nx = 2\n[[actors.watches]]\nattention = 3\n";
        assert_eq!(field_at_line(text, 1), "a");
        assert_eq!(field_at_line(text, 3), "mediator.x");
        assert_eq!(field_at_line(text, 4), "actors.watches");
        assert_eq!(field_at_line(text, 5), "actors.watches.attention");
        assert_eq!(field_at_line(text, 9), "");
    }

    #[test]
    fn too_deep_nesting_points_at_its_line() {
        let header = format!("name = \"x\"\n[{}]\nx = 1\n", vec!["a"; 101].join("."));
        let e = parse("deep.toml", header.as_bytes()).unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!((d.line, d.column), (2, 1), "{d}");
        assert!(d.message.contains("nested too deeply"), "{d}");
        let value = format!("name = \"x\"\n\nx = {}{}\n", "[".repeat(200), "]".repeat(200));
        let d = &parse("deep.toml", value.as_bytes()).unwrap_err().diagnostics[0];
        assert_eq!(d.line, 3, "{d}");
        assert_eq!(d.field, "x", "{d}");
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_col("ab\né = 1", 6), (2, 3));
        let idx = LineIndex::new("ab\né = 1\n");
        assert_eq!(idx.line_col(6), (2, 3));
        assert_eq!(idx.line_col(0), (1, 1));
        assert_eq!(idx.line_col(3), (2, 1));
    }
}
