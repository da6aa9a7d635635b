//! Damaged results folders: every command that reads a folder checks it whole first, names the
//! file and what is wrong, exits 2, and writes nothing from it.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_sidelines");

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("dir") {
        let e = e.expect("entry");
        if e.file_type().expect("type").is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

/// Each reader refuses `dir` with exit 2 and a message holding `needle`, and writes nothing.
fn refused_by_every_reader(dir: &Path, needle: &str, readers: &[&[&str]]) {
    let before: Vec<PathBuf> = listing(dir);
    for args in readers {
        let mut a: Vec<&str> = args.to_vec();
        let d = dir.to_str().expect("utf8");
        a.push(d);
        let o = Command::new(BIN).args(&a).output().expect("runs");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{a:?}: {stderr}");
        assert!(stderr.contains(needle), "{a:?}: `{needle}` not in {stderr}");
        assert_eq!(listing(dir), before, "{a:?} wrote into a damaged folder");
    }
}

fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("dir").map(|e| e.expect("entry").path()).collect();
    v.sort();
    v
}

#[test]
fn damaged_batch_folders_are_refused_by_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let batch = tmp.path().join("batch");
    let o = Command::new(BIN)
        .args(["batch", "--runs", "300", "--quiet", "--out", batch.to_str().expect("utf8")])
        .output()
        .expect("runs");
    assert!(o.status.success());
    let readers: [&[&str]; 3] = [&["export", "xlsx"], &["chart"], &["report"]];
    let damaged = |name: &str, damage: &dyn Fn(&Path)| -> PathBuf {
        let d = tmp.path().join(name);
        copy_dir(&batch, &d);
        damage(&d);
        d
    };
    let cases: Vec<(PathBuf, String)> = vec![
        (
            damaged("no-summary", &|d| std::fs::remove_file(d.join("summary.csv")).expect("rm")),
            String::from("summary.csv: is missing"),
        ),
        (
            damaged("no-timeseries", &|d| {
                std::fs::remove_file(d.join("timeseries.csv")).expect("rm")
            }),
            String::from("timeseries.csv: is missing"),
        ),
        (
            damaged("cut-mid-row", &|d| {
                let p = d.join("runs.csv");
                let b = std::fs::read(&p).expect("read");
                std::fs::write(&p, &b[..b.len() - 7]).expect("write");
            }),
            String::from("runs.csv: line 301: ends in the middle of a row"),
        ),
        (
            damaged("cut-rows", &|d| {
                let p = d.join("runs.csv");
                let t = std::fs::read_to_string(&p).expect("read");
                let kept: String = t.lines().take(101).map(|l| format!("{l}\n")).collect();
                std::fs::write(&p, kept).expect("write");
            }),
            String::from("runs.csv: holds 100 rows where the manifest says 300"),
        ),
        (
            damaged("cut-summary", &|d| {
                let p = d.join("summary.csv");
                let t = std::fs::read_to_string(&p).expect("read");
                let kept: String = t.lines().take(10).map(|l| format!("{l}\n")).collect();
                std::fs::write(&p, kept).expect("write");
            }),
            String::from("summary.csv: holds 9 rows where the manifest says"),
        ),
        (
            damaged("ragged", &|d| {
                let p = d.join("outcomes.csv");
                let t = std::fs::read_to_string(&p).expect("read");
                std::fs::write(&p, t.replacen(",0,talks_outcome", ",0,talks_outcome,extra", 1))
                    .expect("write");
            }),
            String::from("outcomes.csv"),
        ),
        (
            damaged("header", &|d| {
                let p = d.join("summary.csv");
                let t = std::fs::read_to_string(&p).expect("read");
                std::fs::write(&p, t.replacen("mean", "average", 1)).expect("write");
            }),
            String::from("summary.csv: line 1: the header is not"),
        ),
        (
            damaged("manifest", &|d| {
                let p = d.join("manifest.json");
                let t = std::fs::read_to_string(&p).expect("read");
                std::fs::write(&p, &t[..t.len() / 2]).expect("write");
            }),
            String::from("manifest.json: line"),
        ),
        (
            damaged("unfinished", &|d| std::fs::write(d.join(".checkpoint"), "x").expect("write")),
            String::from("finish it with --resume"),
        ),
    ];
    for (dir, needle) in &cases {
        refused_by_every_reader(dir, needle, &readers);
    }
    // The whole folder passes, and its charts and report are written.
    for args in readers {
        let mut a: Vec<&str> = args.to_vec();
        a.push(batch.to_str().expect("utf8"));
        let o = Command::new(BIN).args(&a).output().expect("runs");
        assert!(o.status.success(), "{a:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn damaged_sweep_folders_are_refused_by_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string("configs/sweeps/key-assumptions-morris.toml")
        .expect("read")
        .replace("trajectories = 20 ", "trajectories = 4 ")
        .replace("replicates = 50 ", "replicates = 3 ");
    assert!(text.contains("trajectories = 4 ") && text.contains("replicates = 3 "), "edited");
    let file = tmp.path().join("morris.toml");
    std::fs::write(&file, text).expect("write");
    let sweep = tmp.path().join("sweep");
    let o = Command::new(BIN)
        .args([
            "sweep",
            file.to_str().expect("utf8"),
            "--quiet",
            "--out",
            sweep.to_str().expect("utf8"),
        ])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d = tmp.path().join("cut-points");
    copy_dir(&sweep, &d);
    let p = d.join("points.csv");
    let t = std::fs::read_to_string(&p).expect("read");
    std::fs::write(&p, t.lines().take(5).map(|l| format!("{l}\n")).collect::<String>())
        .expect("write");
    refused_by_every_reader(
        &d,
        "points.csv: holds 4 rows where the manifest says 28",
        &[&["export", "xlsx"], &["chart"], &["report"], &["analyze", "morris"]],
    );
    let d = tmp.path().join("no-sensitivity");
    copy_dir(&sweep, &d);
    std::fs::remove_file(d.join("sensitivity.csv")).expect("rm");
    refused_by_every_reader(&d, "sensitivity.csv: is missing", &[&["chart"], &["report"]]);
}
