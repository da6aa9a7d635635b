//! Bad input as data: each case under `tests/bad/` is a small file, its expected diagnostics
//! sit beside it in `<case>.stderr`, and `UPDATE_EXPECT=1 cargo test` rewrites them.
//!
//! A case is one of:
//! - a *patch* of an embedded scenario: `patch = "ukraine-watch"` and `[[edit]]` tables, each
//!   finding one line (`line`: the first line that starts with this text, after leading spaces;
//!   `after`: optionally, only past the first line that starts with that text) and then
//!   replacing it (`with`), inserting lines after it (`insert`), deleting it (`delete = true`),
//!   or adding lines at the end of the file (`append`, no `line`). Diagnostics that fall in an
//!   edit's lines are reported as `[edit K] line:column`, others as `[<base>.toml] line:column`,
//!   so adding a parameter to the scenario changes no case that does not point at it;
//! - a whole file, where the bytes themselves are the point (not UTF-8, empty) or where the case
//!   is itself a variant of an embedded scenario; reported as the tool prints it.
//!
//! Every case runs through the library in-process; a handful also run through the binary, for
//! the exit code and for what a user sees.

use std::path::{Path, PathBuf};

use crate::cli::sidelines;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad");

/// Where one line of a patched file came from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Origin {
    /// 1-based line of the embedded base.
    Base(usize),
    /// (1-based edit, 1-based line within the edit's text).
    Edit(usize, usize),
}

/// A patched scenario: its text and the origin of each line.
pub struct Patched {
    pub base: String,
    pub text: String,
    origins: Vec<Origin>,
}

/// Applies a patch case to its embedded base; Err names what in the case is wrong.
pub fn patch(case: &toml::Table) -> Result<Patched, String> {
    let base = case.get("patch").and_then(|v| v.as_str()).ok_or("`patch` must name a scenario")?;
    let source =
        sidelines_scenario::embedded_source(base).ok_or(format!("no embedded scenario {base}"))?;
    let mut lines: Vec<(String, Origin)> =
        source.lines().enumerate().map(|(i, l)| (l.to_string(), Origin::Base(i + 1))).collect();
    let edits = match case.get("edit") {
        Some(toml::Value::Array(a)) => a.as_slice(),
        _ => return Err(String::from("a patch needs [[edit]] tables")),
    };
    for (k, edit) in edits.iter().enumerate() {
        let e = edit.as_table().ok_or("[[edit]] must be a table")?;
        let text = |key: &str| e.get(key).and_then(|v| v.as_str());
        let new_lines = |t: &str| -> Vec<(String, Origin)> {
            t.lines()
                .enumerate()
                .map(|(j, l)| (l.to_string(), Origin::Edit(k + 1, j + 1)))
                .collect()
        };
        if let Some(t) = text("append") {
            lines.extend(new_lines(t));
            continue;
        }
        let starts = |l: &str, p: &str| l.trim_start().starts_with(p);
        let from = match text("after") {
            Some(anchor) => {
                lines
                    .iter()
                    .position(|(l, _)| starts(l, anchor))
                    .ok_or(format!("edit {}: no line starts with `after` = {anchor:?}", k + 1))?
                    + 1
            }
            None => 0,
        };
        let wanted = text("line").ok_or(format!("edit {}: needs `line` or `append`", k + 1))?;
        let at = lines[from..]
            .iter()
            .position(|(l, _)| starts(l, wanted))
            .ok_or(format!("edit {}: no line starts with {wanted:?}", k + 1))?
            + from;
        match (text("with"), text("insert"), e.get("delete")) {
            (Some(t), None, None) => {
                lines.splice(at..=at, new_lines(t));
            }
            (None, Some(t), None) => {
                lines.splice(at + 1..at + 1, new_lines(t));
            }
            (None, None, Some(toml::Value::Boolean(true))) => {
                lines.remove(at);
            }
            _ => return Err(format!("edit {}: needs one of with, insert, delete = true", k + 1)),
        }
    }
    let mut text: String = lines.iter().map(|(l, _)| format!("{l}\n")).collect();
    if !source.ends_with('\n') {
        text.pop();
    }
    Ok(Patched { base: base.to_string(), text, origins: lines.iter().map(|(_, o)| *o).collect() })
}

impl Patched {
    /// `[edit K] line:column` or `[<base>.toml] line:column` for a line of the patched text.
    fn place(&self, line: usize, column: usize) -> String {
        match self.origins.get(line.wrapping_sub(1)) {
            Some(Origin::Edit(k, j)) => format!("[edit {k}] {j}:{column}"),
            Some(Origin::Base(n)) => format!("[{}.toml] {n}:{column}", self.base),
            None => format!("[{}.toml]", self.base),
        }
    }
}

/// The case's table when it is a patch (TOML with a `patch` key); None for a whole file.
fn patch_case(bytes: &[u8]) -> Option<toml::Table> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .filter(|t| t.contains_key("patch"))
}

/// Loads one case in-process and renders its diagnostics, one per line.
fn render(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = format!("tests/bad/{}", path.file_name().unwrap_or_default().to_string_lossy());
    let patch_case = patch_case(&bytes);
    let read = |p: &Path| std::fs::read(p).map_err(|e| sidelines_report::in_words(&e));
    let resolve = |r: &str, from: &str| sidelines_scenario::resolve_base(r, from, &read);
    let (result, patched) = match patch_case {
        Some(case) => {
            let p = patch(&case).map_err(|e| format!("{name}: {e}"))?;
            (sidelines_scenario::load(&name, p.text.as_bytes(), &resolve), Some(p))
        }
        None => (sidelines_scenario::load(&name, &bytes, &resolve), None),
    };
    let Err(error) = result else {
        return Err(format!("{name}: loads without error, so it checks nothing"));
    };
    let mut out = String::new();
    for d in &error.diagnostics {
        let line = match &patched {
            Some(p) if d.file == name => {
                let field =
                    if d.field.is_empty() { String::new() } else { format!(" {}:", d.field) };
                format!("{}:{field} {}", p.place(d.line, d.column), d.message)
            }
            _ => d.to_string(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

fn cases() -> Vec<PathBuf> {
    toml_cases(DIR)
}

/// The `.toml` cases of a corpus folder, sorted.
pub fn toml_cases(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

/// Expectations (`.stderr`) without their `.toml` case: left over from a removed case.
pub fn orphaned_expectations(dir: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "stderr") && !p.with_extension("toml").exists()
        })
        .map(|p| format!("{} has no case", p.display()))
        .collect()
}

/// Compares `got` with the expectation at `expect_path` (or, with `bless`, rewrites it); the
/// failure to report, if any.
pub fn expect(case: &Path, expect_path: &Path, got: &str, bless: bool) -> Option<String> {
    if bless {
        std::fs::write(expect_path, got).expect("write expectation");
        return None;
    }
    match std::fs::read_to_string(expect_path) {
        Ok(want) if want == got => None,
        Ok(want) => Some(format!(
            "{}:\nwant:\n{want}got:\n{got}(UPDATE_EXPECT=1 cargo test rewrites expectations)",
            case.display()
        )),
        Err(_) => Some(format!("{} has no .stderr", case.display())),
    }
}

#[test]
fn every_case_gives_its_expected_diagnostics() {
    let bless = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for case in cases() {
        let expect_path = case.with_extension("stderr");
        let got = match render(&case) {
            Ok(g) => g,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        assert!(!got.contains("panicked"), "{got}");
        failures.extend(expect(&case, &expect_path, &got, bless));
    }
    failures.extend(orphaned_expectations(DIR));
    assert!(cases().len() >= 40, "the corpus shrank");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// No case is a full copy of a scenario: patches and variants say only what they change.
#[test]
fn cases_are_small() {
    for case in cases() {
        let size = std::fs::metadata(&case).expect("metadata").len();
        assert!(size < 2_000, "{} is {size} bytes: make it a patch", case.display());
    }
}

/// The binary, for exit codes and for what a user sees: `validate` and `run` exit 2 and print
/// the expected diagnostics (for patches, the message after the place).
#[test]
fn the_binary_exits_2_with_the_same_diagnostics() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for name in [
        "empty",
        "not-utf8",
        "variant-unknown-path",
        "variant-unknown-base",
        "out-of-range",
        "duplicate-key",
        "unknown-field",
    ] {
        let case = Path::new(DIR).join(format!("{name}.toml"));
        let want = std::fs::read_to_string(case.with_extension("stderr")).expect("expectation");
        let bytes = std::fs::read(&case).expect("case");
        let file = match patch_case(&bytes) {
            Some(t) => {
                let f = tmp.path().join(format!("{name}.toml"));
                std::fs::write(&f, patch(&t).expect("patch").text).expect("write");
                f
            }
            None => case.clone(),
        };
        let f = file.to_str().expect("utf8");
        let rel = format!("tests/bad/{name}.toml");
        let shown = if file == case { rel.as_str() } else { f };
        for args in [vec!["validate", shown], vec!["run", shown, "--out", "/nonexistent/never"]] {
            let out = sidelines(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
            for line in want.lines() {
                // A patch's place is `[edit K] l:c` in the expectation; the message after it
                // must be what the binary printed.
                let message = line
                    .split_once("] ")
                    .map_or(line, |(_, rest)| rest.split_once(": ").map_or(rest, |(_, m)| m));
                assert!(stderr.contains(message), "{args:?}\nwant: {message}\ngot:  {stderr}");
            }
        }
    }
}

#[test]
fn patches_refuse_edits_that_match_nothing() {
    let case: toml::Table =
        "patch = \"ukraine-watch\"\n[[edit]]\nline = \"no such line\"\nwith = \"x\"\n"
            .parse()
            .expect("toml");
    let err = patch(&case).err().expect("an error");
    assert!(err.contains("no line starts with"), "{err}");
    let case: toml::Table =
        "patch = \"ukraine-watch\"\n[[edit]]\nline = \"horizon_days\"\ndelete = true\n\
         [[edit]]\nappend = \"# end\"\n"
            .parse()
            .expect("toml");
    let p = patch(&case).expect("patch");
    assert!(!p.text.contains("horizon_days ="));
    assert!(p.text.ends_with("# end\n"));
    assert_eq!(p.place(p.text.lines().count(), 3), "[edit 2] 1:3");
    assert_eq!(p.place(1, 1), "[ukraine-watch.toml] 1:1");
}
