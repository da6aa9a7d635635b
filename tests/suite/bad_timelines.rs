//! Bad timelines and observation files as data: each `tests/bad-timelines/<case>.csv` is a
//! timeline (with `<case>.observed.csv` beside it when the case is about observations), and
//! `<case>.stderr` holds what `sidelines replay` prints for it. Every case must exit with code
//! 2, name its file, line, column and field, and write nothing. `UPDATE_EXPECT=1 cargo test`
//! rewrites the expectations.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bad::expect;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad-timelines");

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(DIR)
        .expect("tests/bad-timelines")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.ends_with(".csv") && !name.ends_with(".observed.csv")
        })
        .collect();
    cases.sort();
    cases
}

/// What `sidelines replay` prints for a case, run from its folder so paths stay short.
fn run(case: &Path, out: &Path) -> (Option<i32>, String) {
    let name = case.file_name().expect("name").to_string_lossy().into_owned();
    let observed = name.replace(".csv", ".observed.csv");
    let mut args = vec!["replay", "--timeline", &name, "--runs", "1", "--quiet"];
    let out_s = out.display().to_string();
    args.extend(["--out", &out_s]);
    if Path::new(DIR).join(&observed).exists() {
        args.extend(["--observed", &observed]);
    }
    let o = Command::new(env!("CARGO_BIN_EXE_sidelines"))
        .args(&args)
        .current_dir(DIR)
        .output()
        .expect("the binary runs");
    (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn every_bad_timeline_is_refused_where_it_is_wrong() {
    let bless = std::env::var_os("UPDATE_EXPECT").is_some();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let cases = cases();
    // The issue asks for at least 15 kinds of mistake; each case is one.
    assert!(cases.len() >= 15, "only {} cases", cases.len());
    for case in &cases {
        let bytes = std::fs::metadata(case).expect("case").len();
        assert!(bytes <= 2_000, "{} is {bytes} bytes: keep cases small", case.display());
        let out = tmp.path().join(case.file_stem().expect("stem"));
        let (code, got) = run(case, &out);
        if code != Some(2) {
            failures.push(format!("{}: exit {code:?}, not 2:\n{got}", case.display()));
            continue;
        }
        if got.contains("panicked") {
            failures.push(format!("{}: panicked:\n{got}", case.display()));
        }
        if out.exists() {
            failures.push(format!("{}: wrote {} although refused", case.display(), out.display()));
        }
        failures.extend(expect(case, &case.with_extension("stderr"), &got, bless));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
