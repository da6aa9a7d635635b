//! The second round of hostile inputs and faults (issue 28): each case failed before its fix.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Output};

use crate::cli::sidelines;

fn run_os(args: &[&OsStr], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sidelines"));
    c.args(args).current_dir(cwd);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("the binary runs")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every command refuses a path that is not UTF-8 before doing any work (exit 2, nothing
/// written); it panicked after the work, and again on --resume.
#[test]
fn a_path_that_is_not_utf8_is_refused_before_any_work() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = OsStr::from_bytes(b"x\xff");
    let s = |x: &str| OsStr::new(x).to_os_string();
    let cases: Vec<Vec<std::ffi::OsString>> = vec![
        vec![s("batch"), s("--runs"), s("5"), s("--out"), bad.into()],
        vec![s("run"), s("--out"), bad.into()],
        vec![s("merge"), s("a"), s("b"), s("--out"), bad.into()],
        vec![s("calibrate"), bad.into()],
        vec![s("sweep"), bad.into()],
        vec![s("replay"), s("--timeline"), bad.into()],
    ];
    for args in cases {
        let refs: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let o = run_os(&refs, tmp.path(), &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("not UTF-8"), "{}", text(&o));
        assert_eq!(std::fs::read_dir(tmp.path()).expect("dir").count(), 0, "{args:?} wrote");
    }
}

/// A task id below the array's minimum is an input error, not an unsigned underflow.
#[test]
fn a_slurm_task_below_its_array_minimum_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let args: Vec<&OsStr> =
        ["batch", "--runs", "30", "--shard", "slurm", "--out", "s"].map(OsStr::new).to_vec();
    let env = [
        ("SLURM_ARRAY_TASK_ID", "1"),
        ("SLURM_ARRAY_TASK_MIN", "5"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
    ];
    let o = run_os(&args, tmp.path(), &env);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("below SLURM_ARRAY_TASK_MIN 5"), "{}", text(&o));
    let env = [
        ("SLURM_ARRAY_TASK_ID", "1"),
        ("SLURM_ARRAY_TASK_MIN", "x"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
    ];
    let o = run_os(&args, tmp.path(), &env);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// Three shards of one batch, in `dir`.
fn shards(dir: &Path) {
    for i in 0..3 {
        let out = dir.join(format!("s{i}"));
        let o = sidelines(&[
            "batch",
            "--runs",
            "90",
            "--seed",
            "3",
            "--shard",
            &format!("{i}/3"),
            "--out",
            out.to_str().expect("utf8"),
            "--quiet",
        ]);
        assert!(o.status.success(), "{}", text(&o));
    }
}

fn merge(dir: &Path, parts: &[&str], out: &str, force: bool) -> Output {
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(parts.iter().map(|p| dir.join(p).to_str().expect("utf8").to_string()));
    args.extend(["--out".to_string(), dir.join(out).to_str().expect("utf8").to_string()]);
    if force {
        args.push("--force".into());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    sidelines(&refs)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("dir") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

fn bytes_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry"))
        .map(|e| {
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read"))
        })
        .collect();
    v.sort();
    v
}

/// Each shard proves which runs it holds: a runs.csv or a shard.state copied from another
/// shard is refused by name (both were merged, exit 0, runs counted twice); a missing file is
/// the user's input (exit 2) naming the shard and the file; `--force` over earlier results
/// that fails leaves them as they were; two jobs' shards are told apart in one short line.
#[test]
fn merge_refuses_what_a_shard_does_not_hold_and_loses_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    shards(d);
    assert!(merge(d, &["s0", "s1", "s2"], "ok", false).status.success());

    copy_dir(&d.join("s1"), &d.join("c1"));
    std::fs::copy(d.join("s0/runs.csv"), d.join("c1/runs.csv")).expect("copy");
    let o = merge(d, &["s0", "c1", "s2"], "m1", false);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("c1/runs.csv") && text(&o).contains("runs 30 to 59"), "{}", text(&o));

    copy_dir(&d.join("s1"), &d.join("t1"));
    std::fs::copy(d.join("s0/shard.state"), d.join("t1/shard.state")).expect("copy");
    let o = merge(d, &["s0", "t1", "s2"], "m2", false);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("state of shard 0 of 3"), "{}", text(&o));

    for file in ["shard.state", "runs.csv"] {
        let g = format!("g-{file}");
        copy_dir(&d.join("s2"), &d.join(&g));
        std::fs::remove_file(d.join(&g).join(file)).expect("rm");
        let o = merge(d, &["s0", "s1", &g], "m3", false);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(&format!("shard 2 of 3 has no {file}")), "{}", text(&o));
    }

    copy_dir(&d.join("ok"), &d.join("keep"));
    let before = bytes_of(&d.join("keep"));
    let o = merge(d, &["s0", "t1", "s2"], "keep", true);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(bytes_of(&d.join("keep")), before, "earlier results lost");

    let other = d.join("o1");
    let o = sidelines(&[
        "batch",
        "coerced-settlement",
        "--runs",
        "90",
        "--seed",
        "3",
        "--shard",
        "1/3",
        "--out",
        other.to_str().expect("utf8"),
        "--quiet",
    ]);
    assert!(o.status.success());
    let o = merge(d, &["s0", "o1", "s2"], "m4", false);
    assert_eq!(o.status.code(), Some(2));
    let msg = text(&o);
    assert!(msg.len() < 400, "{} bytes: {msg}", msg.len());
    assert!(msg.contains("scenario ukraine-watch vs coerced-settlement"), "{msg}");
}

/// A damaged posterior is refused by name: a generation of -1 was read as 0, weights of 1e308
/// overflowed their sum.
#[test]
fn a_damaged_posterior_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cal = tmp.path().join("cal");
    let c = cal.to_str().expect("utf8");
    let file = crate::calibrate::write_small(tmp.path());
    let o = sidelines(&["calibrate", &file, "--out", c, "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let particles = std::fs::read_to_string(cal.join("particles.csv")).expect("particles");
    let replay = |label: &str| {
        let out = tmp.path().join(label);
        sidelines(&[
            "replay",
            "--timeline",
            "configs/timelines/2025.csv",
            "--posterior",
            c,
            "--runs",
            "20",
            "--out",
            out.to_str().expect("utf8"),
            "--quiet",
        ])
    };
    assert!(replay("fine").status.success());
    let lines: Vec<&str> = particles.lines().collect();
    let last = lines.len() - 1;
    // The last row's generation made -1; then every weight of the last generation made 1e308.
    let mut minus = lines.clone();
    let row = minus[last].to_string();
    let (gen_field, rest) = row.split_once(',').expect("csv");
    assert!(gen_field.parse::<u64>().is_ok());
    let damaged = format!("-1,{rest}");
    minus[last] = &damaged;
    std::fs::write(cal.join("particles.csv"), minus.join("\n") + "\n").expect("write");
    let o = replay("minus");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not a whole number from 0"), "{}", text(&o));

    let header: Vec<&str> = lines[0].split(',').collect();
    let w = header.iter().position(|h| *h == "weight").expect("weight column");
    let top = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap_or(""))
        .max()
        .unwrap_or("")
        .to_string();
    let huge: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut f: Vec<String> = l.split(',').map(String::from).collect();
            if i > 0 && f[0] == top {
                f[w] = String::from("1e308");
            }
            f.join(",")
        })
        .collect();
    std::fs::write(cal.join("particles.csv"), huge.join("\n") + "\n").expect("write");
    let o = replay("huge");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not a distribution"), "{}", text(&o));
}

/// A thousand requested workers do not each take their own aggregators: the workers are
/// capped at four per core (it aborted on a failed allocation).
#[test]
fn a_thousand_rayon_threads_are_capped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let args: Vec<&OsStr> =
        ["batch", "--runs", "300", "--out", "b", "--quiet"].map(OsStr::new).to_vec();
    let o = run_os(&args, tmp.path(), &[("RAYON_NUM_THREADS", "1000")]);
    assert!(o.status.success(), "{}", text(&o));
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join("b/manifest.json")).expect("manifest"),
    )
    .expect("json");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    assert!(m["threads"].as_u64().expect("threads") <= 4 * cores, "{}", m["threads"]);
}

/// Replay results do not depend on the order of the timeline's rows: a file written out of
/// date order gives the bytes of the same file sorted (events of one day keep their order).
#[test]
fn a_timeline_out_of_order_replays_as_sorted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/timelines/2025.csv"),
    )
    .expect("timeline");
    let mut lines: Vec<&str> = src.lines().collect();
    let header = lines.remove(0);
    // Whole days moved: the last ten days' rows first, in their order.
    let cut = lines.len() - 10;
    let (early, late) = lines.split_at(cut);
    let day = |l: &str| l.split(',').next().unwrap_or("").to_string();
    let cut = (0..early.len()).rev().find(|&i| day(early[i]) != day(late[0])).map_or(0, |i| i + 1);
    let (early, same_day) = early.split_at(cut);
    let shuffled: Vec<&str> = std::iter::once(header)
        .chain(same_day.iter().chain(late).copied())
        .chain(early.iter().copied())
        .collect();
    let file = tmp.path().join("shuffled.csv");
    std::fs::write(&file, shuffled.join("\n") + "\n").expect("write");
    let observed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/timelines/2025-observed.csv");
    let run = |timeline: &Path, out: &str| {
        let o = sidelines(&[
            "replay",
            "--timeline",
            timeline.to_str().expect("utf8"),
            "--observed",
            observed.to_str().expect("utf8"),
            "--runs",
            "40",
            "--seed",
            "2",
            "--out",
            tmp.path().join(out).to_str().expect("utf8"),
            "--quiet",
        ]);
        assert!(o.status.success(), "{}", text(&o));
        std::fs::read(tmp.path().join(out).join("runs.csv")).expect("runs")
    };
    let sorted =
        run(&Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/timelines/2025.csv"), "a");
    assert_eq!(run(&file, "b"), sorted);
}

/// `analyze prim DIR --out FOLDER` writes its two tables there, not into DIR; `analyze sobol
/// --table` of a missing file is the user's input (exit 2; it was 1).
#[test]
fn analyze_writes_where_it_is_told_and_a_missing_table_is_input() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = sidelines(&[
        "analyze",
        "sobol",
        "--table",
        tmp.path().join("no-such-table.csv").to_str().expect("utf8"),
        "--params",
        "a,b",
        "--outcome",
        "y",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no such file"), "{}", text(&o));

    let claims = tmp.path().join("claims");
    let o = sidelines(&[
        "claims",
        "--points",
        "8",
        "--runs",
        "20",
        "--out",
        claims.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let before = bytes_of(&claims);
    let to = tmp.path().join("boxes");
    let o = sidelines(&[
        "analyze",
        "prim",
        claims.to_str().expect("utf8"),
        "--outcome",
        "claim_4",
        "--where",
        "= holds",
        "--out",
        to.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(to.join("prim_box.csv").is_file() && to.join("prim_trajectory.csv").is_file());
    assert_eq!(bytes_of(&claims), before, "DIR was written");
}
