//! `sidelines claims`: at the default assumptions every claim holds (the wiring tests'
//! conclusion, reached here through the command), across the assumption space the verdicts
//! vary, and the output does not depend on the thread count.

use std::path::Path;

use crate::cli::sidelines;

/// Per row of claims.csv: (claim, holds, reversed, unclear), read by column name; every row
/// carries the claim's words.
fn verdicts(dir: &Path) -> Vec<(String, u64, u64, u64)> {
    let mut r = csv::Reader::from_path(dir.join("claims.csv")).expect("claims.csv");
    let header = r.headers().expect("header").clone();
    let at = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (claim, wording, holds, reversed, unclear) =
        (at("claim"), at("wording"), at("holds"), at("reversed"), at("unclear"));
    r.records()
        .map(|x| {
            let x = x.expect("row");
            assert!(x[wording].len() > 10, "claim {} has no words: {:?}", &x[claim], &x[wording]);
            let n = |k: usize| x[k].parse::<u64>().expect("count");
            (x[claim].to_string(), n(holds), n(reversed), n(unclear))
        })
        .collect()
}

#[test]
fn claims_hold_at_the_defaults_and_vary_across_assumptions() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = |n: &str| tmp.path().join(n).display().to_string();
    // Spread 1: every point is the default scenario. 400 paired runs per arm: the smallest
    // effect checked (Pyongyang's unserious belief after a walk-out, about 0.12) is several
    // 99% half-widths (at most 2.576 × 0.3 / √400 = 0.039) from zero.
    let out = sidelines(&[
        "claims",
        "--points",
        "2",
        "--runs",
        "400",
        "--spread",
        "1",
        "--out",
        &d("fixed"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fixed = verdicts(Path::new(&d("fixed")));
    assert_eq!(fixed.len(), 9, "nine claims");
    for (claim, holds, reversed, unclear) in &fixed {
        assert_eq!((*holds, *reversed, *unclear), (2, 0, 0), "claim {claim} at the defaults");
    }
    // Spread 2: the verdicts are not all the same, so the check can fail.
    let one = d("one");
    let out = sidelines(&[
        "claims",
        "--points",
        "12",
        "--runs",
        "100",
        "--threads",
        "1",
        "--charts",
        "--out",
        &one,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let varied = verdicts(Path::new(&one));
    assert!(
        varied.iter().any(|(_, h, _, _)| *h < 12),
        "every claim held at every point: {varied:?}"
    );
    assert!(Path::new(&one).join("charts/claims.svg").is_file(), "chart missing");
    let out = sidelines(&["report", &one]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(Path::new(&one).join("report.html")).expect("report");
    assert!(html.contains("Claims as findings"), "the report has the claims");
    let two = d("two");
    let out =
        sidelines(&["claims", "--points", "12", "--runs", "100", "--threads", "2", "--out", &two]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in ["claims.csv", "claim_points.csv"] {
        let a = std::fs::read(Path::new(&one).join(f)).expect("read");
        let b = std::fs::read(Path::new(&two).join(f)).expect("read");
        assert_eq!(a, b, "{f} depends on the thread count");
    }
}
