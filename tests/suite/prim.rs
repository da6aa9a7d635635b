//! `sidelines analyze prim`: boxes of assumptions where a condition is most likely, with the
//! chosen box's coverage and density checked against a direct count of the runs.

use std::path::Path;

use crate::cli::sidelines;

#[test]
fn prim_boxes_agree_with_a_direct_count() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("lhs");
    let d = dir.display().to_string();
    let sweep = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/sweeps/key-assumptions-lhs.toml");
    let out = sidelines(&["sweep", sweep, "--quiet", "--out", &d]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out =
        sidelines(&["analyze", "prim", &d, "--outcome", "kp_accepts_talks", "--where", "= true"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = sidelines(&["chart", &d]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("charts/prim_trajectory.svg").is_file(), "chart missing");

    // The chosen box, read back.
    let mut r = csv::Reader::from_path(dir.join("prim_box.csv")).expect("box");
    let bounds: Vec<(String, f64, f64)> = r
        .records()
        .map(|x| {
            let x = x.expect("row");
            (x[0].to_string(), x[1].parse().expect("low"), x[2].parse().expect("high"))
        })
        .collect();
    assert_eq!(bounds.len(), 6, "one row per swept parameter");
    let mut r = csv::Reader::from_path(dir.join("prim_trajectory.csv")).expect("trajectory");
    let header: Vec<String> = r.headers().expect("header").iter().map(String::from).collect();
    let chosen =
        r.records().map(|x| x.expect("row")).find(|x| &x[1] == "TRUE").expect("a chosen step");
    let get = |name: &str| -> f64 {
        chosen[header.iter().position(|h| h == name).expect("column")].parse().expect("number")
    };

    // Count the runs directly.
    let mut r = csv::Reader::from_path(Path::new(&d).join("runs.csv")).expect("runs");
    let header: Vec<String> = r.headers().expect("header").iter().map(String::from).collect();
    let col = |n: &str| header.iter().position(|h| h == n).expect("column");
    let y = col("kp_accepts_talks");
    let (mut inside, mut hits, mut cases, mut total) = (0u64, 0u64, 0u64, 0u64);
    for rec in r.records() {
        let rec = rec.expect("row");
        let case = sidelines_report::parse_flag(&rec[y]) == Some(true);
        let within = bounds.iter().all(|(p, lo, hi)| {
            let v: f64 = rec[col(p)].parse().expect("number");
            *lo <= v && v <= *hi
        });
        total += 1;
        cases += u64::from(case);
        inside += u64::from(within);
        hits += u64::from(within && case);
    }
    assert_eq!(inside as f64, get("inside"));
    assert_eq!(hits as f64, get("hits"));
    assert!((get("coverage") - hits as f64 / cases as f64).abs() < 1e-12);
    assert!((get("density") - hits as f64 / inside as f64).abs() < 1e-12);
    assert!((get("support") - inside as f64 / total as f64).abs() < 1e-12);
    // The box is worth finding: denser than the whole sweep, and covering at least half.
    assert!(get("density") > cases as f64 / total as f64 && get("coverage") >= 0.5);
}
