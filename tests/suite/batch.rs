//! `sidelines batch`: identical bytes whatever the thread count or interruptions; rows that
//! re-run alone; statistics that match an independent computation from runs.csv.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use sidelines_experiment::stats;

use crate::cli::sidelines;

const TABLES: [&str; 5] =
    ["runs.csv", "summary.csv", "outcomes.csv", "timeseries.csv", "trajectories.csv"];
const RUNS: &str = "3000";

fn batch_args<'a>(dir: &'a str, threads: &'a str) -> Vec<&'a str> {
    vec![
        "batch",
        "--runs",
        RUNS,
        "--seed",
        "11",
        "--trajectories",
        "3",
        "--threads",
        threads,
        "--out",
        dir,
        "--quiet",
        "--checkpoint-every",
        "0",
    ]
}

/// One uninterrupted batch, shared by the tests that compare against it.
fn reference() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir").keep().join("reference");
        let out = sidelines(&batch_args(dir.to_str().expect("utf8"), "2"));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        dir
    })
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()))
}

#[track_caller]
fn assert_same_tables(a: &Path, b: &Path) {
    for f in TABLES {
        assert!(
            read(a, f) == read(b, f),
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    assert!(!b.join(".checkpoint").exists(), "a finished batch keeps no checkpoint");
}

#[test]
fn thread_counts_and_runs_per_world_give_identical_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // The reference ran 2 threads with the default runs per world; 3000 runs are not a
    // multiple of 7 or 64 (the default), and 1 is a world per run.
    for (threads, per_world) in [("1", "64"), ("4", "64"), ("2", "1"), ("2", "7")] {
        let dir = tmp.path().join(format!("{threads}-{per_world}"));
        let mut args = batch_args(dir.to_str().expect("utf8"), threads);
        args.extend(["--runs-per-world", per_world]);
        let out = sidelines(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_same_tables(reference(), &dir);
    }
}

fn spawn_batch(dir: &str) -> std::process::Child {
    // Used by the Ctrl-C test.
    Command::new(env!("CARGO_BIN_EXE_sidelines"))
        .args(batch_args(dir, "2"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

fn resume(dir: &str) -> std::process::Output {
    let mut args = batch_args(dir, "1");
    args.push("--resume");
    sidelines(&args)
}

/// Kills the batch with SIGKILL at several moments: right after start, and just after the
/// checkpoint passes a given number of runs (plus a few milliseconds, to land mid-block),
/// once or twice before the final `--resume`.
#[test]
fn sigkill_then_resume_gives_identical_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut midway = Vec::new();
    let plans: [&[(u64, u64)]; 4] =
        [&[(0, 30)], &[(512, 0)], &[(1024, 45)], &[(512, 10), (2048, 20)]];
    for (i, kills) in plans.iter().enumerate() {
        let dir = tmp.path().join(format!("k{i}"));
        let d = dir.to_str().expect("utf8");
        for (round, (after_runs, extra_ms)) in kills.iter().enumerate() {
            let mut args = batch_args(d, "2");
            if round > 0 {
                args.push("--resume");
            }
            let mut child = Command::new(env!("CARGO_BIN_EXE_sidelines"))
                .args(args)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn");
            let deadline = std::time::Instant::now() + Duration::from_secs(120);
            while *after_runs > 0 && std::time::Instant::now() < deadline {
                if dir.join(".checkpoint").exists() && checkpointed_runs(&dir) >= *after_runs {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(*extra_ms));
            child.kill().expect("SIGKILL");
            child.wait().expect("wait");
            assert!(!dir.join("runs.csv").exists(), "case {i}: no finished-looking runs.csv");
            if *after_runs > 0 {
                assert!(
                    dir.join(".checkpoint").exists(),
                    "case {i}: the batch should be unfinished"
                );
                midway.push(checkpointed_runs(&dir));
            }
        }
        let out = resume(d);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_same_tables(reference(), &dir);
    }
    // Most kills landed after some runs were checkpointed, so resume really continued.
    let mid = midway.iter().filter(|n| **n > 0 && **n < 3000).count();
    assert!(mid >= 3, "checkpointed runs at the kills: {midway:?}");
}

/// How many runs the checkpoint in `dir` covers.
fn checkpointed_runs(dir: &Path) -> u64 {
    let bytes = read(dir, ".checkpoint");
    let header = bytes.split(|b| *b == b'\n').nth(1).expect("header line");
    let meta: serde_json::Value = serde_json::from_slice(header).expect("json");
    meta["next_run"].as_u64().expect("next_run")
}

#[test]
fn sigint_stops_with_a_checkpoint_and_resume_refuses_other_arguments() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("int");
    let d = dir.to_str().expect("utf8");
    let child = spawn_batch(d);
    std::thread::sleep(Duration::from_millis(500));
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().expect("kill").success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    let before = read(&dir, ".runs.csv.partial");

    let mut other = batch_args(d, "1");
    other[4] = "12";
    other.push("--resume");
    let out = sidelines(&other);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("same arguments") && stderr.contains("seed"), "{stderr}");
    assert_eq!(read(&dir, ".runs.csv.partial"), before, "a refused resume touched the results");

    let out = resume(d);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_same_tables(reference(), &dir);
}

/// Slurm sends SIGTERM before it kills a job at its time limit or on preemption: a batch
/// stops at a checkpoint as on Ctrl-C (it died outright, losing up to 5 s of runs), and
/// `--resume` finishes it to the same bytes.
#[test]
fn sigterm_stops_with_a_checkpoint_like_ctrl_c() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("term");
    let d = dir.to_str().expect("utf8");
    let child = spawn_batch(d);
    std::thread::sleep(Duration::from_millis(500));
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    assert!(checkpointed_runs(&dir) > 0, "the stop wrote a checkpoint");
    let out = resume(d);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_same_tables(reference(), &dir);
}

#[test]
fn a_finished_folder_is_not_overwritten() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("done");
    let d = dir.to_str().expect("utf8");
    let small = ["batch", "--runs", "50", "--out", d, "--quiet"];
    assert!(sidelines(&small).status.success());
    let before: Vec<Vec<u8>> =
        ["runs.csv", "summary.csv", "manifest.json"].iter().map(|f| read(&dir, f)).collect();
    let out = sidelines(&["batch", "--runs", "60", "--seed", "2", "--out", d, "--quiet"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds results"));
    let after: Vec<Vec<u8>> =
        ["runs.csv", "summary.csv", "manifest.json"].iter().map(|f| read(&dir, f)).collect();
    assert_eq!(before, after, "old files touched");
    let out = resume(d);
    assert_eq!(out.status.code(), Some(2), "nothing to resume in a finished folder");
    assert!(
        sidelines(&["batch", "--runs", "60", "--seed", "2", "--out", d, "--quiet", "--force"])
            .status
            .success()
    );
    assert_ne!(read(&dir, "runs.csv"), before[0]);
}

fn table(dir: &Path, file: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(dir.join(file)).expect("csv");
    let header = r.headers().expect("header").iter().map(String::from).collect();
    let rows = r.records().map(|x| x.expect("row").iter().map(String::from).collect()).collect();
    (header, rows)
}

/// Any row re-runs alone from its seed as a spreadsheet or pandas would hand it over: read as
/// a double, then printed as a whole number. Every seed of the batch has at most 15 digits.
#[test]
fn any_row_reruns_alone_by_its_seed() {
    let (header, rows) = table(reference(), "runs.csv");
    for row in &rows {
        let seed: u64 = row[3].parse().expect("a whole number");
        assert!(seed <= sidelines_experiment::MAX_SEED && row[3].len() <= 15, "{}", row[3]);
        let as_double: f64 = row[3].parse().expect("a number");
        assert_eq!(as_double as u64, seed, "seed {} does not survive a double", row[3]);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    for i in [0usize, 1234, rows.len() - 1] {
        let as_double: f64 = rows[i][3].parse().expect("a number");
        let seed = &format!("{as_double:.0}");
        let dir = tmp.path().join(format!("r{i}"));
        let out = sidelines(&["run", "--seed", seed, "--out", dir.to_str().expect("utf8")]);
        assert!(out.status.success());
        let (h, r) = table(&dir, "run.csv");
        assert_eq!(h, header);
        assert_eq!(
            r[0][3..],
            rows[i][3..],
            "row {i} (seed {seed}) does not re-run to the same outcomes"
        );
    }
}

/// Recomputes summary.csv and outcomes.csv from runs.csv with plain two-pass arithmetic and
/// sorted nearest-rank quantiles.
#[test]
fn summary_matches_an_independent_computation() {
    let (header, rows) = table(reference(), "runs.csv");
    let (summary_header, summary) = table(reference(), "summary.csv");
    assert_eq!(summary_header[..3], ["scenario", "point", "outcome"]);
    // Each row after its keys (scenario, point): outcome, n, mean, sd, ci95 low and high, p05..p95.
    let summary: Vec<Vec<String>> = summary.into_iter().map(|r| r[2..].to_vec()).collect();
    assert!(summary.iter().all(|r| !r.is_empty()));
    let bin = 1.0 / 4096.0;
    for s in &summary {
        let col = header.iter().position(|h| h == &s[0]).expect("outcome column");
        let mut xs: Vec<f64> = rows
            .iter()
            .filter(|r| !r[col].is_empty())
            .map(|r| r[col].parse().expect("number"))
            .collect();
        assert_eq!(s[1], xs.len().to_string(), "{}: n", s[0]);
        let (mean, sd) = (stats::mean(&xs), stats::sample_sd(&xs));
        let got = |i: usize| s[i].parse::<f64>().expect("number");
        assert!(
            (got(2) - mean).abs() <= 1e-12 * mean.abs().max(1.0),
            "{}: mean {} vs {mean}",
            s[0],
            got(2)
        );
        assert!((got(3) - sd).abs() <= 1e-9 * sd.max(1.0), "{}: sd {} vs {sd}", s[0], got(3));
        let half = stats::half_width(sd, xs.len() as u64);
        assert!((got(4) - (mean - half)).abs() < 1e-9 && (got(5) - (mean + half)).abs() < 1e-9);
        xs.sort_by(f64::total_cmp);
        let is_day = s[0].ends_with("_day");
        for (k, p) in [0.05, 0.25, 0.5, 0.75, 0.95].iter().enumerate() {
            let want = stats::quantile_sorted(&xs, *p);
            let tol = if is_day { 0.0 } else { bin / 2.0 + 1e-15 };
            assert!(
                (got(6 + k) - want).abs() <= tol,
                "{}: p{} {} vs nearest rank {want}",
                s[0],
                p,
                got(6 + k)
            );
        }
    }
    let (shares_header, shares) = table(reference(), "outcomes.csv");
    assert_eq!(shares_header[..4], ["scenario", "point", "outcome", "value"]);
    let mut counts: HashMap<(String, String), u64> = HashMap::new();
    for r in &rows {
        for (h, v) in header.iter().zip(r) {
            let category = ["_accepts_talks", "_answer", "_engaged", "_initiates_talks"];
            if h == "talks_outcome" || category.iter().any(|c| h.ends_with(c)) {
                // A flag's cell is TRUE/FALSE; its label in outcomes.csv is true/false.
                let label = match sidelines_report::parse_flag(v) {
                    Some(b) => sidelines_model::FLAG_VALUES[usize::from(b)].to_string(),
                    None => v.clone(),
                };
                *counts.entry((h.clone(), label)).or_default() += 1;
            }
        }
    }
    for s in &shares {
        assert_eq!(s[0], "ukraine-watch");
        let want = counts.get(&(s[2].clone(), s[3].clone())).copied().unwrap_or(0);
        assert_eq!(s[4], want.to_string(), "{} = {}", s[2], s[3]);
    }
}

/// Without --out a batch lands in outputs/<scenario>/<stamp>/ under the working folder, `latest`
/// points at it, and `--resume` alone finds the newest unfinished one.
#[test]
fn default_folder_latest_link_and_resume_without_out() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let args = [
        "batch",
        "--runs",
        RUNS,
        "--seed",
        "11",
        "--trajectories",
        "3",
        "--quiet",
        "--checkpoint-every",
        "0",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_sidelines"))
        .args(args)
        .current_dir(tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let base = tmp.path().join("outputs/ukraine-watch");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let dir = loop {
        let found = std::fs::read_dir(&base).ok().and_then(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| p.join(".checkpoint").exists() && !p.ends_with("latest"))
        });
        if let Some(d) = found.filter(|d| checkpointed_runs(d) >= 1024) {
            break d;
        }
        assert!(std::time::Instant::now() < deadline, "no checkpoint appeared");
        std::thread::sleep(Duration::from_millis(5));
    };
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    let latest = std::fs::read_link(base.join("latest")).expect("latest is a link");
    assert_eq!(base.join(latest), dir);

    let mut resume_args = args.to_vec();
    resume_args.push("--resume");
    let out = Command::new(env!("CARGO_BIN_EXE_sidelines"))
        .args(resume_args)
        .current_dir(tmp.path())
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_same_tables(reference(), &dir);
}

/// As for sweeps: a batch killed after renaming its partial files, before removing its
/// checkpoint, resumes to the same bytes.
#[test]
fn a_batch_killed_while_finishing_resumes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("f");
    let d = dir.to_str().expect("utf8");
    crate::sweep::kill_after(&batch_args(d, "2"), &dir, 1024);
    for name in ["runs.csv", "trajectories.csv"] {
        std::fs::rename(dir.join(format!(".{name}.partial")), dir.join(name)).expect("rename");
    }
    let out = resume(d);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_same_tables(reference(), &dir);
}

/// The manifest's column dictionary names every column of every table, in order, with a type,
/// and `describe --outputs --json` prints the same dictionary before anything is run.
#[test]
fn the_column_dictionary_matches_the_tables() {
    let manifest = sidelines_report::manifest::read(reference()).expect("a manifest");
    let columns = manifest.columns.as_ref().expect("a column dictionary");
    let mut files: Vec<&str> = columns.keys().map(String::as_str).collect();
    files.sort_unstable();
    assert_eq!(
        files,
        ["outcomes.csv", "runs.csv", "summary.csv", "timeseries.csv", "trajectories.csv"]
    );
    for (file, cols) in columns {
        let (header, _) = table(reference(), file);
        let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, header, "{file}");
        for c in cols {
            assert!(
                ["integer", "number", "flag", "text", "date", "day"].contains(&c.kind.as_str()),
                "{file}: {c:?}"
            );
            assert!(!c.meaning.is_empty(), "{file}: {c:?}");
        }
    }
    let out = sidelines(&["describe", "--outputs", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: std::collections::BTreeMap<String, Vec<sidelines_report::columns::Column>> =
        serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(&printed, columns);
}
