//! Shards and `merge`: a job split N ways and merged gives the unsplit folder byte for byte
//! (the manifest's circumstances aside: command, threads, timings); broken shard sets are
//! refused by name with exit 2 and nothing written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sidelines_report::shard::CIRCUMSTANCES;

const BIN: &str = env!("CARGO_BIN_EXE_sidelines");

fn sidelines(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("runs")
}

fn ok(args: &[&str]) {
    let o = sidelines(args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// Exit 2 and a message containing every one of `needles`.
fn refused(args: &[&str], needles: &[&str]) {
    let o = sidelines(args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: `{n}` not in {stderr}");
    }
}

/// Every file of `whole` is in `merged` with the same bytes (manifest.json: the same JSON
/// once the circumstances are removed), and `merged` has no other file.
fn assert_same_folder(whole: &Path, merged: &Path) {
    let names = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(whole), names(merged), "the same files");
    for name in names(whole) {
        let (a, b) = (whole.join(&name), merged.join(&name));
        if name == "manifest.json" {
            let read = |p: &Path| {
                let mut m: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(p).expect("read")).expect("json");
                for k in CIRCUMSTANCES {
                    m.as_object_mut().expect("object").remove(k);
                }
                m
            };
            assert_eq!(read(&a), read(&b), "{name}");
            let merged = sidelines_report::manifest::read(merged).expect("a manifest");
            assert!(merged.merged_from.is_some(), "the merged manifest lists its shards");
        } else {
            assert!(
                std::fs::read(&a).expect("read") == std::fs::read(&b).expect("read"),
                "{name} differs"
            );
        }
    }
}

/// Runs `args` whole into `root/whole`, then as `n` shards (threads alternating 1 and 2, given
/// in reverse order to merge) and merges them into `root/merged-n`.
fn split_and_merge(root: &Path, args: &[&str], n: u64) -> PathBuf {
    let mut dirs = Vec::new();
    for i in (0..n).rev() {
        let dir = root.join(format!("{n}-{i}"));
        let d = dir.to_str().expect("utf8");
        let spec = format!("{i}/{n}");
        let threads = if i % 2 == 0 { "1" } else { "2" };
        let mut a = args.to_vec();
        a.extend(["--shard", &spec, "--threads", threads, "--out", d, "--quiet"]);
        ok(&a);
        dirs.push(dir);
    }
    let merged = root.join(format!("merged-{n}"));
    let mut a = vec!["merge", "--out", merged.to_str().expect("utf8")];
    a.extend(dirs.iter().map(|d| d.to_str().expect("utf8")));
    ok(&a);
    merged
}

fn whole(root: &Path, args: &[&str]) -> PathBuf {
    let dir = root.join("whole");
    let mut a = args.to_vec();
    a.extend(["--out", dir.to_str().expect("utf8"), "--quiet"]);
    ok(&a);
    dir
}

/// 1,500 runs keep 40 trajectories; 7 shards of 214 or 215 runs cut blocks of 1,024 and worlds
/// of 64 anywhere, and the trajectories fall in the first shard only.
#[test]
fn batch_shards_merge_to_the_unsplit_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let args = ["batch", "--runs", "1500", "--seed", "9", "--trajectories", "40"];
    let reference = whole(tmp.path(), &args);
    for n in [1, 3, 7] {
        assert_same_folder(&reference, &split_and_merge(tmp.path(), &args, n));
    }
}

/// A small Saltelli design (sensitivity indices included), split by whole design points.
#[test]
fn sweep_shards_merge_to_the_unsplit_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string("configs/sweeps/key-assumptions-sobol.toml")
        .expect("read")
        .replace("samples = 256 ", "samples = 8 ")
        .replace("replicates = 10 ", "replicates = 3 ");
    assert!(text.contains("samples = 8 ") && text.contains("replicates = 3 "), "edited");
    let file = tmp.path().join("sobol.toml");
    std::fs::write(&file, text).expect("write");
    let args = ["sweep", file.to_str().expect("utf8")];
    let reference = whole(tmp.path(), &args);
    assert!(reference.join("sensitivity.csv").is_file());
    for n in [1, 3, 7] {
        assert_same_folder(&reference, &split_and_merge(tmp.path(), &args, n));
    }
}

/// Adaptive replication: a shard cannot know how many runs came before it; merge renumbers.
#[test]
fn adaptive_sweep_shards_merge_to_the_unsplit_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = crate::sweep::ADAPTIVE;
    let file = tmp.path().join("adaptive.toml");
    std::fs::write(&file, text).expect("write");
    let args = ["sweep", file.to_str().expect("utf8")];
    let reference = whole(tmp.path(), &args);
    assert_same_folder(&reference, &split_and_merge(tmp.path(), &args, 4));
}

/// A replay's record and record check come out as the unsplit replay's.
#[test]
fn replay_shards_merge_to_the_unsplit_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let args = [
        "replay",
        "--timeline",
        "configs/timelines/2025.csv",
        "--then",
        "60",
        "--runs",
        "600",
        "--seed",
        "4",
        "--trajectories",
        "3",
    ];
    let reference = whole(tmp.path(), &args);
    assert!(reference.join("record_check.csv").is_file());
    assert_same_folder(&reference, &split_and_merge(tmp.path(), &args, 3));
}

/// A shard killed mid-way resumes to the bytes of one that never stopped.
#[test]
fn a_killed_shard_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let args = ["batch", "--runs", "9000", "--seed", "3", "--shard", "1/2"];
    let full = tmp.path().join("full");
    let mut a = args.to_vec();
    a.extend(["--out", full.to_str().expect("utf8"), "--quiet"]);
    ok(&a);
    let killed = tmp.path().join("killed");
    let k = killed.to_str().expect("utf8");
    let mut a = args.to_vec();
    a.extend(["--out", k, "--quiet", "--checkpoint-every", "0"]);
    crate::sweep::kill_after(&a, &killed, 4500 + 1024);
    assert!(!killed.join("manifest.json").exists(), "the shard finished before the kill");
    a.push("--resume");
    ok(&a);
    for f in ["runs.csv", "shard.state"] {
        assert!(
            std::fs::read(full.join(f)).expect("read")
                == std::fs::read(killed.join(f)).expect("read"),
            "{f}"
        );
    }
}

/// Broken sets: nothing is written, and the message names the shard at fault.
#[test]
fn broken_shard_sets_are_refused_by_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = |name: &str| tmp.path().join(name).to_str().expect("utf8").to_string();
    let shard = |spec: &str, seed: &str, out: &str| {
        ok(&["batch", "--runs", "300", "--seed", seed, "--shard", spec, "--out", out, "--quiet"]);
    };
    shard("0/3", "1", &d("a0"));
    shard("1/3", "1", &d("a1"));
    shard("2/3", "1", &d("a2"));
    shard("1/3", "2", &d("b1"));
    ok(&["batch", "--runs", "300", "--seed", "1", "--out", &d("plain"), "--quiet"]);
    let out = d("out");
    let merge = |dirs: &[&str]| {
        let mut a = vec!["merge", "--out", out.as_str()];
        a.extend(dirs);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let cases: Vec<(Vec<String>, Vec<String>)> = vec![
        (
            merge(&[&d("a0"), &d("a2")]),
            vec![
                String::from("1 of 3 shards missing (index 1)"),
                String::from("sbatch --array=1"),
                String::from("--shard 1/3 --out SHARD_FOLDER"),
            ],
        ),
        (
            merge(&[&d("a0"), &d("a1"), &d("a1"), &d("a2")]),
            vec![String::from("shard 1 of 3 is given twice")],
        ),
        (
            merge(&[&d("a0"), &d("b1"), &d("a2")]),
            vec![String::from("shards of different jobs"), String::from("seed"), d("b1")],
        ),
        (
            merge(&[&d("a0"), &d("plain")]),
            vec![format!("{} is a finished batch folder, not a shard", d("plain"))],
        ),
    ];
    for (args, needles) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        refused(&args, &needles);
        assert!(!Path::new(&out).exists(), "{args:?} wrote {out}");
    }

    // A shard whose table lost rows after it finished.
    let runs = tmp.path().join("a1").join("runs.csv");
    let text = std::fs::read_to_string(&runs).expect("read");
    let cut: String = text.lines().take(50).map(|l| format!("{l}\n")).collect();
    std::fs::write(&runs, cut).expect("write");
    refused(
        &merge(&[&d("a0"), &d("a1"), &d("a2")]).iter().map(String::as_str).collect::<Vec<_>>(),
        &["runs.csv", "holds 49 rows where its shard's manifest records 100"],
    );
    assert!(!Path::new(&out).exists(), "a failed merge leaves no folder");

    // An unfinished shard: a checkpoint and no manifest.
    let unfinished = d("u1");
    let args = [
        "batch",
        "--runs",
        "3000000",
        "--seed",
        "1",
        "--shard",
        "1/3",
        "--out",
        &unfinished,
        "--quiet",
        "--checkpoint-every",
        "0",
    ];
    crate::sweep::kill_after(&args, Path::new(&unfinished), 512);
    refused(
        &merge(&[&d("a0"), &unfinished, &d("a2")]).iter().map(String::as_str).collect::<Vec<_>>(),
        &[&format!("{unfinished} is an unfinished shard (shard 1 of 3)"), "--resume"],
    );
}

#[test]
fn shard_flags_are_checked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("x");
    let o = out.to_str().expect("utf8");
    refused(&["batch", "--shard", "3/3", "--out", o], &["index 3 is not below the count 3"]);
    refused(&["batch", "--shard", "1/0", "--out", o], &["the count must be between 1"]);
    refused(&["batch", "--shard", "a/3", "--out", o], &["the index `a` is not a whole number"]);
    refused(&["batch", "--shard", "2", "--out", o], &["write I/N"]);
    refused(&["batch", "--shard", "0/2"], &["--out"]);
    refused(&["batch", "--shard", "0/2", "--out", o, "--xlsx"], &["--xlsx"]);
    let o2 = Command::new(BIN)
        .args(["batch", "--shard", "slurm", "--out", o])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .output()
        .expect("runs");
    assert_eq!(o2.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o2.stderr).contains("SLURM_ARRAY_TASK_ID is not set"));
    // A Slurm task: index and count from the environment.
    let o3 = Command::new(BIN)
        .args(["batch", "--runs", "10", "--shard", "slurm", "--out", o, "--quiet"])
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_COUNT", "5")
        .env("SLURM_JOB_ID", "77")
        .env("SLURM_JOB_NAME", "shards.sbatch")
        .output()
        .expect("runs");
    assert!(o3.status.success(), "{}", String::from_utf8_lossy(&o3.stderr));
    let m = sidelines_report::manifest::read(&out).expect("a manifest");
    let shard = m.shard.expect("a shard's manifest");
    assert_eq!((shard.index, shard.count, shard.first, shard.end), (2, 5, 4, 6));
    let slurm = shard.slurm.expect("the Slurm job");
    assert_eq!((slurm.job_id.as_str(), slurm.job_name.as_deref()), ("77", Some("shards.sbatch")));
}

/// Parquet shards merge to the unsplit Parquet files, byte for byte (row groups and all), and
/// the files hold what the CSV tables hold: converted back, they are the CSV batch's bytes.
#[test]
fn parquet_shards_merge_to_the_unsplit_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let args =
        ["batch", "--runs", "1200", "--seed", "8", "--trajectories", "5", "--format", "parquet"];
    let reference = whole(tmp.path(), &args);
    assert!(reference.join("runs.parquet").is_file() && !reference.join("runs.csv").exists());
    assert_same_folder(&reference, &split_and_merge(tmp.path(), &args, 3));

    let csv = tmp.path().join("csv");
    ok(&[
        "batch",
        "--runs",
        "1200",
        "--seed",
        "8",
        "--trajectories",
        "5",
        "--quiet",
        "--out",
        csv.to_str().expect("utf8"),
    ]);
    for stem in ["runs", "trajectories"] {
        let back = tmp.path().join(format!("{stem}-back.csv"));
        sidelines_report::parquet::parquet_to_csv(
            &reference.join(format!("{stem}.parquet")),
            &back,
        )
        .expect("reads back");
        assert!(
            std::fs::read(&back).expect("read")
                == std::fs::read(csv.join(format!("{stem}.csv"))).expect("read"),
            "{stem}.parquet holds {stem}.csv"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(&reference)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no hidden partial files left: {leftovers:?}");
}
