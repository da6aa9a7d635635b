//! Bad commands as data: each `tests/bad-commands/<case>.toml` is one command line that must be
//! refused, with the files it needs, and the stderr expected of it sits beside it in
//! `<case>.stderr` (`UPDATE_EXPECT=1 cargo test` rewrites them).
//!
//! A case has:
//! - `args`: the command line after `sidelines`; `{dir}` is the case's own empty folder;
//! - `exit`: the exit code expected (2, a refused input, unless given);
//! - `[files]`: files written into `{dir}` first (`{dir}` is replaced in their text too);
//! - `before`: command lines run next, each of which must succeed (to make a results folder);
//! - `remove`, `[truncate]` (path = bytes to keep) and `[replace]` (path = new text): damage
//!   done to what `before` wrote.
//!
//! Every case must exit with its code, print exactly its expected stderr (with `{dir}` for the
//! folder), never panic, and leave `{dir}` as it found it: a refused command writes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bad::{expect, orphaned_expectations, toml_cases};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad-commands");

fn cases() -> Vec<PathBuf> {
    toml_cases(DIR)
}

/// Every file under `dir` with its length and bytes' hash: what a refused command must not
/// change.
fn listing(dir: &Path) -> BTreeMap<PathBuf, (u64, u64)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                out.insert(p.clone(), (0, 0));
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read");
                let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                    (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
                });
                out.insert(p, (bytes.len() as u64, hash));
            }
        }
    }
    out
}

fn strings(v: Option<&toml::Value>, what: &str) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|a| a.iter().map(|s| s.as_str().expect(what).to_string()).collect())
        .unwrap_or_default()
}

fn run(args: &[String], dir: &Path) -> std::process::Output {
    let args: Vec<String> =
        args.iter().map(|a| a.replace("{dir}", &dir.display().to_string())).collect();
    Command::new(env!("CARGO_BIN_EXE_sidelines"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RAYON_NUM_THREADS")
        .output()
        .expect("the binary runs")
}

/// Runs one case; its normalised stderr, or what is wrong.
fn render(case: &Path) -> Result<String, String> {
    let name = case.file_name().unwrap_or_default().to_string_lossy().to_string();
    let text = std::fs::read_to_string(case).map_err(|e| format!("{name}: {e}"))?;
    let spec: toml::Table = text.parse().map_err(|e| format!("{name}: {e}"))?;
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let shown = dir.display().to_string();
    let table = |key: &str| spec.get(key).and_then(|v| v.as_table()).cloned().unwrap_or_default();
    for (file, body) in table("files") {
        let body = body.as_str().ok_or(format!("{name}: files.{file} must be text"))?;
        std::fs::write(dir.join(&file), body.replace("{dir}", &shown)).expect("write");
    }
    for command in spec.get("before").and_then(|v| v.as_array()).into_iter().flatten() {
        let args = strings(Some(command), "before: strings");
        let out = run(&args, dir);
        if !out.status.success() {
            return Err(format!(
                "{name}: `before` command {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    for file in strings(spec.get("remove"), "remove: strings") {
        std::fs::remove_file(dir.join(&file)).map_err(|e| format!("{name}: remove {file}: {e}"))?;
    }
    for (file, keep) in table("truncate") {
        let keep = keep.as_integer().ok_or(format!("{name}: truncate.{file} must be bytes"))?;
        let f = std::fs::OpenOptions::new().write(true).open(dir.join(&file)).expect("open");
        f.set_len(keep as u64).expect("truncate");
    }
    for (file, body) in table("replace") {
        let body = body.as_str().ok_or(format!("{name}: replace.{file} must be text"))?;
        std::fs::write(dir.join(&file), body).expect("write");
    }
    let args = strings(spec.get("args"), "args: strings");
    if args.is_empty() {
        return Err(format!("{name}: needs `args`"));
    }
    let want_exit = spec.get("exit").and_then(|v| v.as_integer()).unwrap_or(2);
    let before = listing(dir);
    let out = run(&args, dir);
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&shown, "{dir}");
    if stderr.contains("panicked") {
        return Err(format!("{name}: panicked:\n{stderr}"));
    }
    if out.status.code() != Some(want_exit as i32) {
        return Err(format!("{name}: exit {:?}, want {want_exit}:\n{stderr}", out.status.code()));
    }
    let after = listing(dir);
    if before != after {
        let changed: Vec<String> = after
            .keys()
            .chain(before.keys())
            .filter(|p| before.get(*p) != after.get(*p))
            .map(|p| p.display().to_string().replace(&shown, "{dir}"))
            .collect();
        return Err(format!("{name}: a refused command changed {changed:?}"));
    }
    Ok(stderr)
}

#[test]
fn every_bad_command_is_refused_as_expected_and_writes_nothing() {
    let bless = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for case in cases() {
        match render(&case) {
            Ok(got) => failures.extend(expect(&case, &case.with_extension("stderr"), &got, bless)),
            Err(e) => failures.push(e),
        }
    }
    failures.extend(orphaned_expectations(DIR));
    assert!(cases().len() >= 25, "the corpus shrank");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
