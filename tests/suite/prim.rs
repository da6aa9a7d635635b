//! `sidelines analyze prim`: boxes of assumptions where a condition is most likely. A sweep is
//! peeled by design point (its replicate runs are not points of their own), the chosen box's
//! statistics are checked against a direct count of the runs, each restriction carries a
//! quasi-p-value, and a claims folder with two assumption sets is not pooled.

use std::collections::BTreeMap;
use std::path::Path;

use crate::cli::{sidelines, succeeded, succeeds};

fn read(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_path(path).expect("table");
    let header = r.headers().expect("header").iter().map(String::from).collect();
    (header, r.records().map(|x| x.expect("row")).collect())
}

#[test]
fn prim_peels_design_points_and_agrees_with_a_direct_count() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("lhs");
    let d = dir.display().to_string();
    let sweep = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/sweeps/key-assumptions-lhs.toml");
    succeeds(&["sweep", sweep, "--quiet", "--out", &d]);
    let prim = |extra: &[&str]| {
        let mut a =
            vec!["analyze", "prim", &d, "--outcome", "kp_accepts_talks", "--where", "= true"];
        a.extend_from_slice(extra);
        sidelines(&a)
    };
    succeeded(prim(&[]));
    succeeds(&["chart", &d]);
    assert!(dir.join("charts/prim_trajectory.svg").is_file(), "chart missing");

    // The chosen box, read back.
    let (_, rows) = read(&dir.join("prim_box.csv"));
    let bounds: Vec<(String, f64, f64, bool, Option<f64>)> = rows
        .iter()
        .map(|x| {
            let restricted = sidelines_report::parse_flag(&x[5]).expect("flag");
            (
                x[0].to_string(),
                x[1].parse().expect("low"),
                x[2].parse().expect("high"),
                restricted,
                x[6].parse().ok(),
            )
        })
        .collect();
    assert_eq!(bounds.len(), 6, "one row per swept parameter");
    for (p, _, _, restricted, q) in &bounds {
        // A restriction has its quasi-p-value, a free input none.
        assert_eq!(*restricted, q.is_some(), "{p}");
        assert!(q.is_none_or(|q| (0.0..=1.0).contains(&q)), "{p}: {q:?}");
    }
    let (header, rows) = read(&dir.join("prim_trajectory.csv"));
    let chosen = rows.iter().find(|x| &x[1] == "TRUE").expect("a chosen step");
    let get = |name: &str| -> f64 {
        chosen[header.iter().position(|h| h == name).expect("column")].parse().expect("number")
    };

    // Count the runs directly, and the design points they belong to.
    let (header, runs) = read(&dir.join("runs.csv"));
    let col = |n: &str| header.iter().position(|h| h == n).expect("column");
    let y = col("kp_accepts_talks");
    let mut points: BTreeMap<u64, (bool, u64)> = BTreeMap::new();
    let (mut inside, mut hits, mut cases, mut total) = (0u64, 0u64, 0u64, 0u64);
    for rec in &runs {
        let case = sidelines_report::parse_flag(&rec[y]) == Some(true);
        let within = bounds.iter().all(|(p, lo, hi, _, _)| {
            let v: f64 = rec[col(p)].parse().expect("number");
            *lo <= v && v <= *hi
        });
        let e = points.entry(rec[col("point")].parse().expect("point")).or_insert((within, 0));
        assert_eq!(e.0, within, "runs of one point share its inputs");
        e.1 += 1;
        total += 1;
        cases += u64::from(case);
        inside += u64::from(within);
        hits += u64::from(within && case);
    }
    // 200 points of 20 runs each: the box holds points, not runs.
    assert_eq!((points.len(), total), (200, 4000));
    let inside_points = points.values().filter(|(w, _)| *w).count();
    assert_eq!(inside_points as f64, get("points"));
    // Every point has 20 runs, so the mean of the points' shares is the runs' share.
    assert!((get("density") - hits as f64 / inside as f64).abs() < 1e-12);
    assert!((get("coverage") - hits as f64 / cases as f64).abs() < 1e-12);
    assert!((get("support") - inside_points as f64 / 200.0).abs() < 1e-12);
    // The box is worth finding: denser than the whole sweep, and covering at least half.
    assert!(get("density") > cases as f64 / total as f64 && get("coverage") >= 0.5);

    // Seoul's transfer cannot move anything Pyongyang does (its Sobol total index is 0 on
    // this model): if the box restricts it, the restriction is not significant.
    let kr = bounds.iter().find(|b| b.0 == "actors.KR.transfer").expect("KR");
    assert!(kr.4.is_none_or(|q| q > 0.05), "{kr:?}");

    // The tables exist: a second run refuses to replace them (exit 2, nothing changed) unless
    // --force; --box reports another step of the same trajectory.
    let before = std::fs::read(dir.join("prim_box.csv")).expect("box");
    let o = prim(&["--box", "3"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(std::fs::read(dir.join("prim_box.csv")).expect("box"), before);
    succeeded(prim(&["--box", "3", "--force"]));
    let (header, rows) = read(&dir.join("prim_trajectory.csv"));
    let step = header.iter().position(|h| h == "step").expect("step");
    let marked: Vec<&str> = rows.iter().filter(|x| &x[1] == "TRUE").map(|x| &x[step]).collect();
    assert_eq!(marked, ["3"]);
    let o = prim(&["--box", "999", "--force"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("steps 0 to"));
}

/// A claims folder with prior and posterior points: peeled together, PRIM would find the box
/// that separates the two sets. It refuses, names the sets, and peels the one chosen.
#[test]
fn prim_refuses_to_pool_two_assumption_sets() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("claims");
    let d = dir.display().to_string();
    succeeds(&["claims", "--points", "16", "--runs", "20", "--out", &d]);
    // Label half the points as a second set, as `claims --posterior` writes them.
    let path = dir.join("claim_points.csv");
    let (header, rows) = read(&path);
    let a = header.iter().position(|h| h == "assumptions").expect("assumptions");
    let mut w = csv::Writer::from_path(&path).expect("write");
    w.write_record(&header).expect("header");
    for (i, r) in rows.iter().enumerate() {
        let mut r: Vec<String> = r.iter().map(String::from).collect();
        if i % 2 == 1 {
            r[a] = String::from("posterior");
        }
        w.write_record(&r).expect("row");
    }
    w.flush().expect("flush");
    let first = rows[0][a].to_string();
    let prim = |extra: &[&str]| {
        let mut args = vec!["analyze", "prim", &d, "--outcome", "claim_4", "--where", "!= fails"];
        args.extend_from_slice(extra);
        sidelines(&args)
    };
    let o = prim(&[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("2 assumption sets") && err.contains("--assumptions"), "{err}");
    assert!(err.contains(&format!("{first} (8 points)")) && err.contains("posterior (8 points)"));
    assert!(!dir.join("prim_box.csv").exists(), "nothing written");
    let o = succeeded(prim(&["--assumptions", "posterior"]));
    assert!(String::from_utf8_lossy(&o.stdout).contains("the 8 points of the `posterior`"));
    let o = prim(&["--assumptions", "neither", "--force"]);
    assert_eq!(o.status.code(), Some(2));
}
