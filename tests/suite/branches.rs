//! `sidelines branches`: each row is the batch (or replay) of its scenario with the same seeds,
//! the paired differences are differences of those runs, and the bytes do not depend on the
//! thread count.

use std::collections::HashMap;
use std::path::Path;

use crate::cli::sidelines;

/// branches.csv as (branch, outcome, value) -> the record's fields by header name.
fn read(path: &Path) -> HashMap<(String, String, String), HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).expect("csv");
    let header: Vec<String> = r.headers().expect("header").iter().map(String::from).collect();
    let mut out = HashMap::new();
    for rec in r.records() {
        let rec = rec.expect("record");
        let row: HashMap<String, String> =
            header.iter().cloned().zip(rec.iter().map(String::from)).collect();
        out.insert((row["branch"].clone(), row["outcome"].clone(), row["value"].clone()), row);
    }
    out
}

fn ok(args: &[&str]) {
    let out = sidelines(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn num(row: &HashMap<String, String>, key: &str) -> f64 {
    row[key].parse().unwrap_or_else(|_| panic!("{key} = {:?}", row[key]))
}

#[test]
fn each_row_is_its_batch_and_differences_are_paired() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = |name: &str| tmp.path().join(name).display().to_string();
    let common = ["--runs", "200", "--seed", "3", "--then", "100"];
    let one = d("one");
    ok(&[&["branches", "--threads", "1", "--out", &one][..], &common].concat());
    let two = d("two");
    ok(&[&["branches", "--threads", "2", "--out", &two][..], &common].concat());
    let bytes = |dir: &str| std::fs::read(Path::new(dir).join("branches.csv")).expect("read");
    assert_eq!(bytes(&one), bytes(&two), "branches.csv depends on the thread count");
    let table = read(&Path::new(&one).join("branches.csv"));

    // The baseline and a branch row are the batches of their scenarios with the same seeds.
    for scenario in ["ukraine-watch", "talks-collapse"] {
        let b = d(scenario);
        ok(&["batch", scenario, "--runs", "200", "--seed", "3", "--quiet", "--out", &b]);
        let mut r = csv::Reader::from_path(Path::new(&b).join("outcomes.csv")).expect("csv");
        let mut seen = 0;
        for rec in r.records() {
            let rec = rec.expect("record");
            if &rec[2] != "talks_outcome" {
                continue;
            }
            let row = &table[&(scenario.to_string(), rec[2].to_string(), rec[3].to_string())];
            let share: f64 = rec[5].parse().expect("share");
            assert!((num(row, "estimate") - share).abs() < 1e-12, "{scenario} {}", &rec[3]);
            seen += 1;
        }
        assert_eq!(seen, sidelines_model::TALKS_OUTCOMES.len(), "every talks outcome is compared");
        let mut r = csv::Reader::from_path(Path::new(&b).join("summary.csv")).expect("csv");
        for rec in r.records() {
            let rec = rec.expect("record");
            if &rec[2] == "kr_trust_us" {
                let row =
                    &table[&(scenario.to_string(), String::from("kr_trust_us"), String::new())];
                let mean: f64 = rec[4].parse().expect("mean");
                assert!((num(row, "estimate") - mean).abs() < 1e-9, "{scenario} kr_trust_us");
            }
        }
    }

    // The replay row is the replay with the same seeds and forecast.
    let r = d("replay");
    ok(&[
        "replay",
        "--timeline",
        "configs/timelines/2025.csv",
        "--then",
        "100",
        "--runs",
        "200",
        "--seed",
        "3",
        "--quiet",
        "--out",
        &r,
    ]);
    let mut rd = csv::Reader::from_path(Path::new(&r).join("outcomes.csv")).expect("csv");
    for rec in rd.records() {
        let rec = rec.expect("record");
        if &rec[2] == "talks_outcome" {
            let row =
                &table[&(String::from("replay+100d"), rec[2].to_string(), rec[3].to_string())];
            let share: f64 = rec[5].parse().expect("share");
            assert!((num(row, "estimate") - share).abs() < 1e-12, "replay {}", &rec[3]);
        }
    }

    // Paired differences: none for the baseline; for a branch, the mean of run-by-run
    // differences, which equals the difference of the means, with an interval around it.
    // The replay with its 100-day forecast ends on another day than the baseline: a
    // difference would mix the branch with the date, so it has none.
    for ((branch, outcome, value), row) in &table {
        if branch == "ukraine-watch" || branch == "replay+100d" || outcome.ends_with("_day") {
            assert!(row["diff"].is_empty(), "{branch} {outcome} has a difference");
            continue;
        }
        let base = &table[&(String::from("ukraine-watch"), outcome.clone(), value.clone())];
        let want = num(row, "estimate") - num(base, "estimate");
        assert!((num(row, "diff") - want).abs() < 1e-9, "{branch} {outcome} {value}");
        assert!(num(row, "diff_ci95_low") <= num(row, "diff"), "{branch} {outcome}");
        assert!(num(row, "diff") <= num(row, "diff_ci95_high"), "{branch} {outcome}");
    }
    // A collapse is certain in its own branch and never in a settlement's.
    let collapse = |b: &str| {
        num(&table[&(b.to_string(), "talks_outcome".into(), "talks_collapse".into())], "estimate")
    };
    assert!(collapse("talks-collapse") > 0.9 && collapse("coerced-settlement") < 0.01);
}

#[test]
fn branches_writes_its_sheet_and_charts_and_refuses_an_unknown_branch() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("b");
    let d = dir.display().to_string();
    let out = sidelines(&["branches", "--runs", "32", "--xlsx", "--charts", "--out", &d]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("North Korea: accepts talks"), "{stdout}");
    // The replay's forecast ends on 2026-12-31, the baseline on 2026-03-24: not compared.
    assert!(stdout.contains("[6] ends on another day than [0] (2026-03-24)"), "{stdout}");
    assert!(stdout.contains("replay+365d") && stdout.contains("to 2026-12-31"), "{stdout}");
    for f in ["results.xlsx", "charts/branches_talks.png", "charts/branches_kr_trust_us.svg"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let out = sidelines(&["report", &d]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report");
    assert!(html.contains("The branches, with the same seeds"), "the report has the table");
    let out = sidelines(&["branches", "--branch", "talks-colapse", "--out", &format!("{d}2")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean `talks-collapse`"), "{err}");
    assert!(!tmp.path().join("b2").exists(), "a refused run writes no folder");
}
