//! `sidelines run --from DIR --row N`: any row of a batch, replay or sweep folder (CSV or
//! Parquet) runs again on its own to the same outcomes, and to the same trajectory where the
//! folder kept one; a row the build does not reproduce is reported (exit 1), a folder without
//! runs or a row that is not there refused (exit 2).

use std::path::Path;

use crate::cli::{sidelines, succeeds};

/// Runs a command that must succeed; what it said on stderr.
fn ok(args: &[&str]) -> String {
    String::from_utf8_lossy(&succeeds(args).stderr).into_owned()
}

const GRID: &str = r#"
name = "rerun-grid"
description = "test"
scenario = "ukraine-watch"
seed = 5
replicates = 4
[sampler]
kind = "grid"
[[parameters]]
path = "mediator.pressure_on_partner"
values = [0.2, 0.8]
[[parameters]]
path = "actors.KP.prior.reliable"
values = [0.1, 0.3]
"#;

#[test]
fn any_row_of_any_folder_runs_again_to_the_same_outcomes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = |n: &str| tmp.path().join(n).display().to_string();
    // A batch that kept the trajectories of its first 4 runs.
    ok(&["batch", "--runs", "12", "--trajectories", "4", "--quiet", "--out", &d("batch")]);
    let said = ok(&["run", "--from", &d("batch"), "--row", "2", "--out", &d("b2")]);
    assert!(said.contains("outcomes are the folder's"), "{said}");
    assert!(said.contains("its trajectory is the one trajectories.csv kept"), "{said}");
    // run.csv's outcome cells are runs.csv's row 2 (after run, point, replicate).
    let row = |path: &Path, run: &str| -> Vec<String> {
        let mut r = csv::Reader::from_path(path).expect("csv");
        r.records()
            .map(|x| x.expect("row"))
            .find(|x| &x[0] == run)
            .expect("row")
            .iter()
            .skip(3)
            .map(String::from)
            .collect()
    };
    assert_eq!(
        row(&Path::new(&d("b2")).join("run.csv"), "0"),
        row(&Path::new(&d("batch")).join("runs.csv"), "2")
    );

    // A sweep written as Parquet: a point's values come back from the row, exactly.
    let file = tmp.path().join("grid.toml");
    std::fs::write(&file, GRID).expect("write");
    let f = file.display().to_string();
    ok(&["sweep", &f, "--format", "parquet", "--quiet", "--out", &d("sweep")]);
    let said = ok(&["run", "--from", &d("sweep"), "--row", "13", "--out", &d("s13")]);
    assert!(said.contains("point 3") && said.contains("outcomes are the folder's"), "{said}");
    // A row that is not there is named in the table the folder has: runs.parquet.
    let o = sidelines(&["run", "--from", &d("sweep"), "--row", "16", "--out", &d("s16")]);
    let said = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{said}");
    assert!(said.contains("runs.parquet holds runs 0 to 15 (16 rows)"), "{said}");

    // A replay with a forecast: the record is in the resolved scenario.
    let timeline = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/timelines/2025.csv");
    ok(&[
        "replay",
        "--timeline",
        timeline,
        "--then",
        "30",
        "--runs",
        "8",
        "--quiet",
        "--out",
        &d("replay"),
    ]);
    let said = ok(&["run", "--from", &d("replay"), "--row", "5", "--out", &d("r5")]);
    assert!(said.contains("(a replay)") && said.contains("outcomes are the folder's"), "{said}");

    // A row the build does not reproduce: exit 1, the outcome named.
    let runs = Path::new(&d("batch")).join("runs.csv");
    let text = std::fs::read_to_string(&runs).expect("runs");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().expect("header").iter().map(String::from).collect();
    let col = header.iter().position(|h| h == "kr_trust_us").expect("column");
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("header");
    for rec in r.records() {
        let mut rec: Vec<String> = rec.expect("row").iter().map(String::from).collect();
        if rec[0] == "7" {
            rec[col] = String::from("0.5");
        }
        w.write_record(&rec).expect("row");
    }
    std::fs::write(&runs, w.into_inner().expect("bytes")).expect("write");
    let o = sidelines(&["run", "--from", &d("batch"), "--row", "7", "--out", &d("b7")]);
    let said = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(
        said.contains("1 outcome differs") && said.contains("kr_trust_us: folder \"0.5\""),
        "{said}"
    );

    // Refused: a row that is not there, a folder without runs.
    let o = sidelines(&["run", "--from", &d("batch"), "--row", "12", "--out", &d("b12")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("holds runs 0 to 11"));
    ok(&["claims", "--points", "2", "--runs", "10", "--out", &d("claims")]);
    let o = sidelines(&["run", "--from", &d("claims"), "--row", "0", "--out", &d("c0")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("keeps no runs to re-run"));
    assert!(!Path::new(&d("c0")).exists(), "nothing written for a refused row");
}
