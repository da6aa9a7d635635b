//! `sidelines sweep` and `sidelines analyze` from the command line.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use sidelines_experiment::stats;

use crate::cli::sidelines;

const GRID: &str = r#"
name = "tiny-grid"
description = "test"
scenario = "ukraine-watch"
seed = 3
replicates = 5
[sampler]
kind = "grid"
[[parameters]]
path = "mediator.pressure_on_partner"
values = [0.2, 0.5, 0.8]
[[parameters]]
path = "actors.KP.prior.reliable"
range = [0.1, 0.3]
levels = 2
"#;

const SOBOL: &str = r#"
name = "tiny-sobol"
description = "test"
scenario = "ukraine-watch"
seed = 3
replicates = 3
[sampler]
kind = "sobol"
samples = 16
second_order = true
[[parameters]]
path = "mediator.attention_half_life_days"
range = [10, 90]
[[parameters]]
path = "actors.KR.transfer"
range = [0.0, 1.0]
"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p.to_str().expect("utf8").to_string()
}

/// Runs `sidelines sweep FILE --out OUT --quiet EXTRA...` and requires success.
fn sweep_into(file: &str, out: &Path, extra: &[&str]) -> PathBuf {
    let mut args = vec!["sweep", file, "--out", out.to_str().expect("utf8"), "--quiet"];
    args.extend_from_slice(extra);
    let o = sidelines(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out.to_path_buf()
}

/// Requires each of `files` to hold the same bytes in both folders.
#[track_caller]
fn assert_same(a: &Path, b: &Path, files: &[&str]) {
    for f in files {
        let read = |d: &Path| std::fs::read(d.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(read(a) == read(b), "{f} differs between {} and {}", a.display(), b.display());
    }
}

fn rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).expect("csv");
    let mut out = vec![r.headers().expect("header").iter().map(String::from).collect()];
    out.extend(r.records().map(|x| x.expect("row").iter().map(String::from).collect()));
    out
}

#[test]
fn grid_points_runs_and_summaries() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = write(tmp.path(), "grid.toml", GRID);
    let out = tmp.path().join("out");
    let o = sidelines(&["sweep", &file, "--out", out.to_str().expect("utf8"), "--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let points = rows(&out.join("points.csv"));
    assert_eq!(points[0], ["point", "mediator.pressure_on_partner", "actors.KP.prior.reliable"]);
    let want = [
        ("0.2", "0.1"),
        ("0.2", "0.3"),
        ("0.5", "0.1"),
        ("0.5", "0.3"),
        ("0.8", "0.1"),
        ("0.8", "0.3"),
    ];
    assert_eq!(points.len(), 1 + want.len());
    for (row, (a, b)) in points[1..].iter().zip(want) {
        assert_eq!((row[1].as_str(), row[2].as_str()), (a, b));
    }
    let runs = rows(&out.join("runs.csv"));
    assert_eq!(runs.len(), 1 + 6 * 5);
    assert_eq!(
        runs[0][..6],
        [
            "run",
            "point",
            "replicate",
            "seed",
            "mediator.pressure_on_partner",
            "actors.KP.prior.reliable"
        ]
    );
    // Common random numbers: replicate r has the same seed at every point.
    assert_eq!(runs[1][3], runs[6][3]);
    let summary = rows(&out.join("summary.csv"));
    // Keys: the scenario, the point, and the point's parameter values, then the statistics.
    assert_eq!(
        summary[0][..5],
        [
            "scenario",
            "point",
            "mediator.pressure_on_partner",
            "actors.KP.prior.reliable",
            "outcome"
        ]
    );
    let outcomes_per_point = summary.iter().filter(|r| r[1] == "0").count();
    assert_eq!(summary.len() - 1, 6 * outcomes_per_point);
    let points = rows(&out.join("points.csv"));
    for r in &summary[1..] {
        let p: usize = r[1].parse().expect("point");
        assert_eq!(r[0], "ukraine-watch");
        assert_eq!(r[2..4], points[p + 1][1..3], "point {p}'s parameter values");
    }
    // The prior was rescaled: KP's prior at a point still sums to 1 (the run would fail else),
    // and its belief outcome responds to the swept reliable share.
    assert!(out.join("manifest.json").is_file() && !out.join(".checkpoint").exists());
}

#[test]
fn sobol_sweep_is_identical_across_threads_and_analyze_agrees() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = write(tmp.path(), "sobol.toml", SOBOL);
    // Three threads and worlds of 2 runs, against one thread and the default (64, which a
    // point's 3 replicates cap at 3): 2 does not divide a point's replicates.
    let run = |threads: &str, per_world: &str| {
        sweep_into(
            &file,
            &tmp.path().join(format!("t{threads}")),
            &["--threads", threads, "--runs-per-world", per_world],
        )
    };
    let (a, b) = (run("1", "64"), run("3", "2"));
    assert_same(
        &a,
        &b,
        &[
            "points.csv",
            "runs.csv",
            "summary.csv",
            "outcomes.csv",
            "sensitivity.csv",
            "sensitivity_s2.csv",
        ],
    );
    assert_eq!(rows(&a.join("points.csv")).len(), 1 + 16 * (2 * 2 + 2));
    // Re-analysing the folder reproduces the sweep's own indices.
    let again = tmp.path().join("again.csv");
    let o = sidelines(&[
        "analyze",
        "sobol",
        a.to_str().expect("utf8"),
        "--out",
        again.to_str().expect("utf8"),
        "--seed",
        "3",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(&again).expect("read"),
        std::fs::read(a.join("sensitivity.csv")).expect("read")
    );
    // KP's beliefs do not depend on Seoul's transfer: both indices are exactly 0.
    let s = rows(&a.join("sensitivity.csv"));
    let row = s
        .iter()
        .find(|r| r[0] == "kp_belief_deal_seeker" && r[1] == "actors.KR.transfer")
        .expect("row");
    assert_eq!((row[2].as_str(), row[4].as_str()), ("0.0", "0.0"));
    // Morris on a Sobol folder is refused.
    let o = sidelines(&["analyze", "morris", a.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(2));
}

/// Yes/no and category outcomes get indices as the share of each point's runs: the folder's
/// `kp_accepts_talks=true` rows equal the indices of a table of those shares analysed like any
/// table. `analyze` on the folder does not replace its sensitivity.csv without --force; with
/// it, the charts, report and workbook are redrawn and the tornados of the outcomes left out
/// are gone.
#[test]
fn shares_get_indices_and_analyze_replaces_only_when_forced() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = write(
        tmp.path(),
        "sobol.toml",
        &SOBOL.replace("second_order = true", "second_order = false"),
    );
    let dir = sweep_into(&file, &tmp.path().join("s"), &["--xlsx"]);
    let d = dir.to_str().expect("utf8");
    let sens = rows(&dir.join("sensitivity.csv"));
    let share_rows: Vec<&Vec<String>> =
        sens.iter().filter(|r| r[0] == "kp_accepts_talks=true").collect();
    assert_eq!(share_rows.len(), 2, "one row per parameter");
    assert!(!sens.iter().any(|r| r[0] == "kp_accepts_talks=false"), "=false repeats =true");
    assert!(sens.iter().any(|r| r[0] == "talks_outcome=agreement"), "every category's share");
    // The same indices from a table of the shares (points.csv beside outcomes.csv).
    let points = rows(&dir.join("points.csv"));
    let outcomes = rows(&dir.join("outcomes.csv"));
    let [o, v, sh] = ["outcome", "value", "share"]
        .map(|c| outcomes[0].iter().position(|h| h == c).expect("column"));
    let mut text = format!("{},{},y\n", points[0][1], points[0][2]);
    for p in &points[1..] {
        let share = outcomes[1..]
            .iter()
            .find(|r| r[1] == p[0] && r[o] == "kp_accepts_talks" && r[v] == "true")
            .map(|r| r[sh].clone())
            .expect("share");
        text.push_str(&format!("{},{},{share}\n", p[1], p[2]));
    }
    let table = write(tmp.path(), "shares.csv", &text);
    let out = tmp.path().join("by-hand.csv");
    let params = format!("{},{}", points[0][1], points[0][2]);
    let args = ["analyze", "sobol", "--table", &table, "--params", &params, "--outcome", "y"];
    let o =
        sidelines(&[&args[..], &["--seed", "3", "--out", out.to_str().expect("utf8")]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let by_hand = rows(&out);
    for (a, b) in share_rows.iter().zip(&by_hand[1..]) {
        assert_eq!(a[1..], b[1..], "indices of the shares");
    }

    // One outcome's analysis into the folder: refused while sensitivity.csv exists.
    let o = sidelines(&["report", d, "--size", "1280x720"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tornados = |dir: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir.join("charts"))
            .expect("charts")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("tornado_") && n.ends_with(".svg"))
            .collect();
        v.sort();
        v
    };
    assert!(tornados(&dir).len() > 2, "{:?}", tornados(&dir));
    assert!(tornados(&dir).contains(&String::from("tornado_kp_accepts_talks_share.svg")));
    let before = std::fs::read(dir.join("sensitivity.csv")).expect("read");
    let o = sidelines(&["analyze", "sobol", d, "--outcome", "kr_trust_us"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(std::fs::read(dir.join("sensitivity.csv")).expect("read"), before);
    let workbook = std::fs::read(dir.join("results.xlsx")).expect("workbook");
    let o = sidelines(&["analyze", "sobol", d, "--outcome", "kr_trust_us", "--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sens = rows(&dir.join("sensitivity.csv"));
    assert!(sens[1..].iter().all(|r| r[0] == "kr_trust_us") && sens.len() == 3);
    // The charts show the new table only; the report and the workbook were rewritten from it.
    assert_eq!(tornados(&dir), ["tornado_kr_trust_us.svg"]);
    // At the size the folder's charts were drawn at, not the default.
    let svg = std::fs::read_to_string(dir.join("charts/tornado_kr_trust_us.svg")).expect("svg");
    assert!(svg.contains("width=\"1280\"") && svg.contains("height=\"720\""), "redrawn smaller");
    // The report inlines each chart's SVG: the remaining tornado's title is there, a dropped
    // one's (Pyongyang's leverage, a headline outcome) is not.
    let report = std::fs::read_to_string(dir.join("report.html")).expect("report");
    assert!(report.contains("What drives South Korea: trust in the US"), "the new tornado");
    assert!(!report.contains("What drives North Korea: leverage"), "a chart that is gone");
    assert_ne!(std::fs::read(dir.join("results.xlsx")).expect("workbook"), workbook);
}

/// A table made by another model (Ishigami, in Saltelli order from our design) analysed like
/// SALib's command line: the first-order indices land near the analytic 0.3139, 0.4424, 0.
#[test]
fn analyze_a_foreign_table() {
    use sidelines_experiment::design::{Sampler, unit_points};
    let tmp = tempfile::tempdir().expect("tempdir");
    let rows_x = unit_points(&Sampler::Sobol { base_samples: 1 << 12, second_order: false }, 3, 1)
        .expect("design");
    let mut text = String::from("a,b,c,y\n");
    for r in &rows_x {
        let v: Vec<f64> =
            r.iter().map(|u| -std::f64::consts::PI + 2.0 * std::f64::consts::PI * u).collect();
        let y = v[0].sin() + 7.0 * v[1].sin().powi(2) + 0.1 * v[2].powi(4) * v[0].sin();
        text.push_str(&format!("{},{},{},{y}\n", v[0], v[1], v[2]));
    }
    let table = write(tmp.path(), "ishigami.csv", &text);
    let out = tmp.path().join("s.csv");
    let o = sidelines(&[
        "analyze",
        "sobol",
        "--table",
        &table,
        "--params",
        "a,b,c",
        "--outcome",
        "y",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = rows(&out);
    let s1: Vec<f64> = s[1..].iter().map(|r| r[2].parse().expect("number")).collect();
    for (got, want) in s1.iter().zip([0.3139, 0.4424, 0.0]) {
        assert!((got - want).abs() < 0.03, "S1 {got} vs {want}");
    }
}

#[test]
fn broken_sweep_files_are_located() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (text, want) in [
        (
            GRID.replace("mediator.pressure_on_partner", "mediator.presure_on_partner"),
            "did you mean `mediator.pressure_on_partner`",
        ),
        (
            GRID.replace("values = [0.2, 0.5, 0.8]", "values = [0.2, 1.5]"),
            "parameters[0].values: must lie within",
        ),
        (
            GRID.replace("kind = \"grid\"", "kind = \"grid\"\nsamples = 4"),
            "sampler.samples: is not used by a grid sampler",
        ),
        (GRID.replace("replicates = 5", "replicates = 5\ncolour = 1"), "unknown field `colour`"),
        (SOBOL.replace("samples = 16\n", ""), "a sobol sampler needs `samples`"),
        (
            SOBOL.replace("samples = 16", "samples = 100"),
            "sampler.samples: 100 is not a power of two",
        ),
    ] {
        let file = write(tmp.path(), "bad.toml", &text);
        let o = sidelines(&["sweep", &file, "--out", tmp.path().join("x").to_str().expect("utf8")]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(want) && stderr.contains("bad.toml:"), "want {want}\n{stderr}");
    }
    // Every problem at once, not the first only.
    let both = GRID
        .replace("mediator.pressure_on_partner", "mediator.presure_on_partner")
        .replace("kind = \"grid\"", "kind = \"grid\"\nsamples = 4");
    let file = write(tmp.path(), "bad.toml", &both);
    let o = sidelines(&["validate", &file]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("did you mean") && stderr.contains("is not used by a grid"),
        "{stderr}"
    );
    // A simplex value that rescaling cannot reach names the path.
    let unreachable = GRID.replace("range = [0.1, 0.3]\nlevels = 2", "values = [0.3]").replace(
        "path = \"mediator.pressure_on_partner\"\nvalues = [0.2, 0.5, 0.8]",
        "path = \"actors.KP.prior.deal_seeker\"\nvalues = [1.0]",
    );
    let file = write(tmp.path(), "bad.toml", &unreachable);
    let o = sidelines(&["sweep", &file, "--out", tmp.path().join("y").to_str().expect("utf8")]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("actors.KP.prior"), "{stderr}");
}

/// Starts the binary with `args`, waits until the checkpoint in `dir` covers `runs` runs, and
/// kills it with SIGKILL a moment later.
pub(crate) fn kill_after(args: &[&str], dir: &Path, runs: u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sidelines"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let done = std::fs::read(dir.join(".checkpoint")).ok().and_then(|b| {
            let line = b.split(|c| *c == b'\n').nth(1)?.to_vec();
            serde_json::from_slice::<serde_json::Value>(&line).ok()?["next_run"].as_u64()
        });
        if done.is_some_and(|n| n >= runs) || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(20));
    child.kill().expect("kill");
    child.wait().expect("wait");
}

#[test]
fn a_killed_sweep_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = GRID.replace("replicates = 5", "replicates = 250");
    let file = write(tmp.path(), "grid.toml", &text);
    let reference = tmp.path().join("ref");
    let o = sidelines(&["sweep", &file, "--out", reference.to_str().expect("utf8"), "--quiet"]);
    assert!(o.status.success());
    let dir = tmp.path().join("killed");
    let d = dir.to_str().expect("utf8");
    kill_after(&["sweep", &file, "--out", d, "--quiet", "--checkpoint-every", "0"], &dir, 512);
    assert!(!dir.join("runs.csv").exists(), "the sweep finished before the kill");
    let o = sidelines(&["sweep", &file, "--out", d, "--resume", "--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same(&reference, &dir, &["points.csv", "runs.csv", "summary.csv", "outcomes.csv"]);
}

pub(crate) const ADAPTIVE: &str = r#"
name = "adaptive-grid"
description = "test"
scenario = "ukraine-watch"
seed = 2
replicates = { target_half_width = 0.03, outcome = "kr_trust_us", min = 10, max = 300 }
[sampler]
kind = "grid"
[[parameters]]
path = "mediator.pressure_on_partner"
values = [0.1, 0.5, 0.9]
[[parameters]]
path = "mediator.attention_half_life_days"
values = [10, 60]
"#;

/// Each point stops at the first round (multiple of `min`) where the 95% half-width of the
/// outcome's mean is within the target, or at `max`; the same bytes for 1 and 2 threads and
/// after a kill and resume.
#[test]
fn adaptive_replication_stops_at_the_first_precise_round() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = write(tmp.path(), "adaptive.toml", ADAPTIVE);
    let run = |name: &str, threads: &str| {
        sweep_into(&file, &tmp.path().join(name), &["--threads", threads])
    };
    let (a, b) = (run("a", "1"), run("b", "2"));
    assert_same(&a, &b, &["runs.csv", "summary.csv", "outcomes.csv"]);
    let runs = rows(&a.join("runs.csv"));
    let col = runs[0].iter().position(|h| h == "kr_trust_us").expect("column");
    let hw = stats::half_width_of;
    let mut counts = Vec::new();
    for point in 0..6 {
        let xs: Vec<f64> = runs[1..]
            .iter()
            .filter(|r| r[1] == point.to_string())
            .map(|r| r[col].parse().expect("number"))
            .collect();
        let n = xs.len();
        counts.push(n);
        assert!(n.is_multiple_of(10) && (10..=300).contains(&n), "point {point}: {n} replicates");
        assert!(n == 300 || hw(&xs) <= 0.03, "point {point}: stopped imprecise");
        for earlier in (10..n).step_by(10) {
            assert!(hw(&xs[..earlier]) > 0.03, "point {point}: could have stopped at {earlier}");
        }
    }
    assert!(counts.iter().any(|n| *n > 10), "the rule never asked for more replicates: {counts:?}");
}

#[test]
fn a_killed_adaptive_sweep_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = ADAPTIVE
        // Precise enough that most points run to (or near) the maximum, so the kill at 700
        // runs lands mid-sweep (with 0.012 the 2026-12 model, whose Seoul trust varies less,
        // finished first).
        .replace("target_half_width = 0.03", "target_half_width = 0.006")
        .replace("max = 300", "max = 800");
    let file = write(tmp.path(), "adaptive.toml", &text);
    let reference = tmp.path().join("ref");
    assert!(
        sidelines(&["sweep", &file, "--out", reference.to_str().expect("utf8"), "--quiet"])
            .status
            .success()
    );
    let dir = tmp.path().join("killed");
    let d = dir.to_str().expect("utf8");
    kill_after(&["sweep", &file, "--out", d, "--quiet", "--checkpoint-every", "0"], &dir, 700);
    assert!(!dir.join("runs.csv").exists(), "the sweep finished before the kill");
    let o = sidelines(&["sweep", &file, "--out", d, "--resume", "--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same(&reference, &dir, &["points.csv", "runs.csv", "summary.csv", "outcomes.csv"]);
}

/// A kill while finishing leaves the partial files already renamed and the checkpoint in
/// place; `--resume` takes them back and finishes to the same bytes. Simulated by renaming the
/// partial files of an interrupted sweep.
#[test]
fn a_sweep_killed_while_finishing_resumes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = GRID.replace("replicates = 5", "replicates = 250");
    let file = write(tmp.path(), "grid.toml", &text);
    let reference = tmp.path().join("ref");
    assert!(
        sidelines(&["sweep", &file, "--out", reference.to_str().expect("utf8"), "--quiet"])
            .status
            .success()
    );
    let dir = tmp.path().join("killed");
    let d = dir.to_str().expect("utf8");
    kill_after(&["sweep", &file, "--out", d, "--quiet", "--checkpoint-every", "0"], &dir, 512);
    for name in ["runs.csv", "summary.csv", "outcomes.csv"] {
        std::fs::rename(dir.join(format!(".{name}.partial")), dir.join(name)).expect("rename");
    }
    let o = sidelines(&["sweep", &file, "--out", d, "--resume", "--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same(&reference, &dir, &["points.csv", "runs.csv", "summary.csv", "outcomes.csv"]);
}
