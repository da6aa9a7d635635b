//! `sidelines replay` on the 2025 record: the record drives the talks, the model's own
//! processes stay off until its last day, the record check is written, and the bytes do not
//! depend on the thread count.

use std::path::Path;

use crate::cli::sidelines;

const TIMELINE: &str = "configs/timelines/2025.csv";

fn read_csv(path: &Path) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(path).expect("csv");
    r.records().map(|x| x.expect("record")).collect()
}

#[test]
fn the_2025_record_replays_and_is_checked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    for (dir, threads) in [(&one, "1"), (&two, "2")] {
        let out = sidelines(&[
            "replay",
            "--timeline",
            TIMELINE,
            "--then",
            "60",
            "--runs",
            "300",
            "--threads",
            threads,
            "--quiet",
            "--out",
            &dir.display().to_string(),
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("the record check"), "{stdout}");
    }
    for file in ["runs.csv", "summary.csv", "timeseries.csv", "record_check.csv", "record.csv"] {
        let a = std::fs::read(one.join(file)).expect(file);
        let b = std::fs::read(two.join(file)).expect(file);
        assert!(a == b, "{file} differs between 1 and 2 threads");
    }

    // One row per observation of configs/timelines/2025-observed.csv (found beside the
    // timeline without --observed).
    let observed = read_csv(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/timelines/2025-observed.csv").as_path(),
    );
    let check = read_csv(&one.join("record_check.csv"));
    assert_eq!(check.len(), observed.len());
    for (c, o) in check.iter().zip(&observed) {
        assert_eq!((&c[0], &c[1], &c[2]), (&o[0], &o[1], &o[2]));
        let share: f64 = c[4].parse().expect("share");
        let (lo, hi): (f64, f64) = (c[5].parse().expect("low"), c[6].parse().expect("high"));
        assert!((0.0..=1.0).contains(&share) && lo <= share && share <= hi, "{c:?}");
        assert_eq!(&c[7] == "TRUE", share >= 0.05, "inside_90 means a share of at least 5%");
    }

    // The record holds no event that ends the talks and the model's own moves are off through
    // its last day (2025-12-31, day 281), so no run's talks end before day 282.
    let runs = read_csv(&one.join("runs.csv"));
    let header =
        csv::Reader::from_path(one.join("runs.csv")).expect("csv").headers().expect("h").clone();
    let end = header.iter().position(|h| h == "talks_end_day").expect("talks_end_day");
    let ended: Vec<u32> = runs.iter().filter_map(|r| r[end].parse().ok()).collect();
    assert!(ended.iter().all(|d| *d >= 282), "talks ended during the record: {ended:?}");
    let row = check.iter().find(|c| &c[1] == "talks_outcome").expect("talks row");
    assert_eq!(&row[4], "1.000000", "every run's talks are ongoing on 2025-12-31");

    // The record as replayed: every scripted row, with its source.
    let record = read_csv(&one.join("record.csv"));
    let timeline = read_csv(&Path::new(env!("CARGO_MANIFEST_DIR")).join(TIMELINE));
    assert_eq!(record.len(), timeline.len());
}

#[test]
fn every_row_of_the_2025_timeline_has_a_date_kind_and_source_url() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["configs/timelines/2025.csv", "configs/timelines/2025-observed.csv"] {
        let mut r = csv::Reader::from_path(root.join(file)).expect("csv");
        let url = r.headers().expect("h").iter().position(|h| h == "source_url").expect("url");
        for (i, row) in r.records().enumerate() {
            let row = row.expect("row");
            assert!(row[url].starts_with("http"), "{file} row {} has no source URL", i + 2);
            assert!(row[0].starts_with("2025-"), "{file} row {}", i + 2);
        }
    }
}

#[test]
fn a_replay_folder_gets_its_workbook_charts_and_report() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("r");
    let d = dir.display().to_string();
    let args = [
        "replay",
        "--timeline",
        TIMELINE,
        "--runs",
        "64",
        "--xlsx",
        "--charts",
        "--quiet",
        "--out",
        &d,
    ];
    let out = sidelines(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = sidelines(&["report", &d]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in
        ["results.xlsx", "report.html", "charts/outcome_shares.png", "charts/fan_kp_trust_us.png"]
    {
        let len = std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{f} missing or empty");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report");
    assert!(html.contains("ukraine-watch-replay"), "the report names the replay");
    // The record is drawn on the fans: Seoul's trust was observed down on 2025-12-31, and
    // Seoul is party to some of the record's events; Beijing's trust was not observed.
    let svg = |name: &str| std::fs::read_to_string(dir.join("charts").join(name)).expect("svg");
    let kr = svg("fan_kr_trust_us.svg");
    assert!(kr.contains("observed: down"), "the observation is marked");
    assert!(kr.contains("record: an event it is party to"), "the record's events are marked");
    assert!(!svg("fan_cn_trust_us.svg").contains("observed:"), "nothing observed is marked");
    let batch = tmp.path().join("b");
    let b = batch.display().to_string();
    let out = sidelines(&["batch", "--runs", "16", "--charts", "--quiet", "--out", &b]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let plain = std::fs::read_to_string(batch.join("charts/fan_kr_trust_us.svg")).expect("svg");
    assert!(!plain.contains("record:"), "a batch's fans have no record");
}
