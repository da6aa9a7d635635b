//! `--json` on every command that produces results (sweep, calibrate, claims, branches,
//! analyze): one JSON object on stdout whose numbers are the folder's tables', typed (numbers
//! as numbers, flags as booleans, empty cells null).

use std::path::Path;

use crate::cli::succeeds;

fn json(args: &[&str]) -> serde_json::Value {
    let o = succeeds(args);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!("{args:?}: stdout is not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout))
    })
}

/// The CSV's first data row, cell by column.
fn first_row(path: &Path) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(path).expect("csv");
    let header: Vec<String> = r.headers().expect("header").iter().map(String::from).collect();
    let rec = r.records().next().expect("a row").expect("row");
    header.into_iter().zip(rec.iter().map(String::from)).collect()
}

/// Every cell of the CSV's first row equals the JSON row's value, typed.
#[track_caller]
fn same_row(json_row: &serde_json::Value, csv: &Path) {
    for (column, cell) in first_row(csv) {
        let v = &json_row[&column];
        let ok = match v {
            serde_json::Value::Null => cell.is_empty(),
            serde_json::Value::Bool(b) => sidelines_report::parse_flag(&cell) == Some(*b),
            serde_json::Value::Number(n) => cell.parse::<f64>().ok() == n.as_f64(),
            serde_json::Value::String(s) => *s == cell && cell.parse::<f64>().is_err(),
            _ => false,
        };
        assert!(ok, "{}: {column}: csv {cell:?}, json {v}", csv.display());
    }
}

#[test]
fn commands_with_results_print_them_as_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = |n: &str| tmp.path().join(n).display().to_string();
    let dir = |n: &str| tmp.path().join(n);

    let v = json(&["claims", "--points", "2", "--runs", "10", "--json", "--out", &d("claims")]);
    same_row(&v["tables"]["claims"][0], &dir("claims").join("claims.csv"));
    assert!(v["tables"]["claims"][0]["wording"].is_string(), "claims carry their wording");

    let v = json(&["branches", "--runs", "20", "--no-replay", "--json", "--out", &d("branches")]);
    same_row(&v["tables"]["branches"][0], &dir("branches").join("branches.csv"));

    let cal = crate::calibrate::write_small(tmp.path());
    let v = json(&["calibrate", &cal, "--quiet", "--json", "--out", &d("cal")]);
    same_row(&v["tables"]["posterior"][0], &dir("cal").join("posterior.csv"));
    same_row(&v["tables"]["generations"][0], &dir("cal").join("generations.csv"));

    let sweep = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/sweeps/key-assumptions-morris.toml");
    let v = json(&["sweep", sweep, "--quiet", "--json", "--out", &d("sweep")]);
    same_row(&v["sensitivity"][0], &dir("sweep").join("sensitivity.csv"));
    let f = &v["findings"][0];
    assert!(f["lowest"].as_f64() <= f["highest"].as_f64(), "{f}");
    assert_eq!(f["driver"]["index"], "mu*");

    let v = json(&[
        "analyze",
        "prim",
        &d("sweep"),
        "--outcome",
        "kp_accepts_talks",
        "--where",
        "= true",
        "--json",
    ]);
    same_row(&v["tables"]["prim_box"][0], &dir("sweep").join("prim_box.csv"));
    same_row(&v["tables"]["prim_trajectory"][0], &dir("sweep").join("prim_trajectory.csv"));
}
