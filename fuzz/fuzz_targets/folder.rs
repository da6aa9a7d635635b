//! Any bytes as a results folder: split at NUL bytes into manifest.json, runs.csv,
//! summary.csv, outcomes.csv, timeseries.csv and points.csv, checked by `folder::check`, and
//! when it passes, read into a workbook and, for a sweep, a sensitivity table.
#![no_main]
use libfuzzer_sys::fuzz_target;

const FILES: [&str; 6] =
    ["manifest.json", "runs.csv", "summary.csv", "outcomes.csv", "timeseries.csv", "points.csv"];

fuzz_target!(|data: &[u8]| {
    let Ok(tmp) = tempfile::tempdir() else { return };
    let dir = tmp.path();
    for (name, bytes) in FILES.iter().zip(data.split(|b| *b == 0)) {
        if std::fs::write(dir.join(name), bytes).is_err() {
            return;
        }
    }
    let Ok(folder) = sidelines_report::folder::check(dir) else { return };
    let _ = sidelines_report::xlsx::write_workbook(dir, "2026-01-01", 1000);
    if folder.manifest.kind == sidelines_report::manifest::Kind::Sweep {
        let _ = sidelines_report::sweep::sweep_table(dir);
    }
});
