//! results.xlsx read back by an independent reader (calamine): every cell equals the CSV's,
//! and a table longer than a sheet continues on the next one.

use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};

use crate::cli::sidelines;

/// Excel's day number of an ISO date (days since 1899-12-30).
fn serial(iso: &str) -> f64 {
    let d: jiff::civil::Date = iso.parse().expect("date");
    let epoch = jiff::civil::date(1899, 12, 30);
    f64::from((d - epoch).get_days())
}

/// Compares each CSV listed with its sheet(s) in the workbook, cell by cell.
fn assert_matches(dir: &Path, tables: &[(&str, &str)]) -> usize {
    let mut book: Xlsx<_> = open_workbook(dir.join("results.xlsx")).expect("open");
    let names = book.sheet_names();
    assert_eq!(names[0], "README");
    let mut checked = 0;
    for (file, sheet) in tables {
        let mut r = csv::Reader::from_path(dir.join(file)).expect("csv");
        let header: Vec<String> = r.headers().expect("header").iter().map(String::from).collect();
        let csv_rows: Vec<Vec<String>> =
            r.records().map(|x| x.expect("row").iter().map(String::from).collect()).collect();
        let mut sheet_rows: Vec<Vec<Data>> = Vec::new();
        for name in names.iter().filter(|n| {
            *n == sheet
                || n.starts_with(&format!("{sheet}_"))
                    && n[sheet.len() + 1..].parse::<u32>().is_ok()
        }) {
            let range = book.worksheet_range(name).expect("sheet");
            let mut rows = range.rows();
            let head: Vec<String> =
                rows.next().expect("header row").iter().map(|c| c.to_string()).collect();
            assert_eq!(head, header, "{name}: header");
            sheet_rows.extend(rows.map(|r| r.to_vec()));
        }
        assert_eq!(sheet_rows.len(), csv_rows.len(), "{file}: row count");
        for (i, (want, got)) in csv_rows.iter().zip(&sheet_rows).enumerate() {
            for (c, w) in want.iter().enumerate() {
                let cell = got.get(c).cloned().unwrap_or(Data::Empty);
                let ok = match &cell {
                    Data::Empty => w.is_empty(),
                    Data::Float(x) => w.parse::<f64>().is_ok_and(|v| v == *x),
                    Data::Int(x) => w.parse::<i64>().is_ok_and(|v| v == *x),
                    // Seeds are numbers (below 2^49: exact in Excel's 15 digits), so pandas
                    // and polars read them as integers as from the CSV.
                    Data::String(s) => header[c] != "seed" && s == w,
                    Data::Bool(b) => sidelines_report::parse_flag(w) == Some(*b),
                    Data::DateTime(d) => header[c] == "date" && serial(w) == d.as_f64(),
                    _ => false,
                };
                assert!(
                    ok,
                    "{file} row {} column {}: csv {w:?}, workbook {cell:?}",
                    i + 2,
                    header[c]
                );
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn workbook_cells_equal_the_csv_and_long_tables_split() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("b");
    let d = dir.to_str().expect("utf8");
    let out = sidelines(&["batch", "--runs", "300", "--out", d, "--quiet", "--xlsx"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cells = assert_matches(
        &dir,
        &[
            ("summary.csv", "summary"),
            ("outcomes.csv", "outcomes"),
            ("timeseries.csv", "timeseries"),
            ("runs.csv", "runs"),
        ],
    );
    assert!(cells > 100_000, "only {cells} cells compared");

    // A small sheet limit, injected: runs continue on runs_2, runs_3, and the README says so.
    sidelines_report::xlsx::write_workbook(&dir, "2026-01-01", 128).expect("workbook");
    let mut book: Xlsx<_> = open_workbook(dir.join("results.xlsx")).expect("open");
    let names = book.sheet_names();
    assert!(names.contains(&"runs_3".to_string()), "{names:?}");
    let readme = book.worksheet_range("README").expect("README");
    let text: String =
        readme.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect::<Vec<_>>().join(" ");
    assert!(text.contains("continued on runs_2 to runs_3"), "{text}");
    drop(book);
    assert_matches(&dir, &[("runs.csv", "runs"), ("timeseries.csv", "timeseries")]);
}

#[test]
fn export_refuses_a_folder_without_results() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = sidelines(&["export", "xlsx", tmp.path().to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no manifest.json"));
}

/// Every folder kind's tables go in its workbook, and its report has a section for them: a
/// replay's record check, a calibration's posterior and generations, claims with their
/// wording, PRIM's box. (The workbook held only a README sheet for a calibration or claims
/// folder, and a replay's had no record check.)
#[test]
fn every_folder_kind_exports_its_tables_and_reports_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = |n: &str| tmp.path().join(n).display().to_string();
    let ok = |args: &[&str]| {
        crate::cli::succeeds(args);
    };
    let timeline = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/timelines/2025.csv");
    ok(&["replay", "--timeline", timeline, "--runs", "40", "--quiet", "--out", &d("replay")]);
    let cal = crate::calibrate::write_small(tmp.path());
    ok(&["calibrate", &cal, "--quiet", "--out", &d("cal")]);
    ok(&["claims", "--points", "4", "--runs", "20", "--out", &d("claims")]);
    // (folder, its tables and their sheets, sections its report must have)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case<'_>; 3] = [
        (
            "replay",
            &[("record_check.csv", "record_check"), ("record.csv", "record")],
            &["<h2>The record, checked</h2>", "Pyongyang"],
        ),
        (
            "cal",
            &[
                ("posterior.csv", "posterior"),
                ("generations.csv", "generations"),
                ("particles.csv", "particles"),
                ("observations.csv", "observations"),
            ],
            &["<h2>Posterior</h2>", "<h2>Generations</h2>"],
        ),
        (
            "claims",
            &[("claims.csv", "claims"), ("claim_points.csv", "claim_points")],
            &["<h2>Claims as findings</h2>"],
        ),
    ];
    for (name, tables, sections) in cases {
        let dir = tmp.path().join(name);
        ok(&["export", "xlsx", &d(name)]);
        assert!(assert_matches(&dir, tables) > 0, "{name}: nothing compared");
        ok(&["report", &d(name)]);
        let html = std::fs::read_to_string(dir.join("report.html")).expect("report");
        for s in sections {
            assert!(html.contains(s), "{name}: the report has no {s}");
        }
    }
    // The replay's dated observations are in the record check, not among the outcomes.
    let html = std::fs::read_to_string(tmp.path().join("replay/report.html")).expect("report");
    assert!(!html.contains("_as_observed"), "a replay's as-observed flags shown as outcomes");
}
