//! A full disk: every writer names the path and says the cause in words, exits 1, leaves no
//! file under a final name that is not whole, and keeps no more hidden state than a resume
//! needs; after room is made, `--resume` finishes with the bytes of a batch that never
//! stopped.
//!
//! The disk is a small tmpfs when this machine allows mounting one (root, as in CI); otherwise
//! the file-size limit (`ulimit -f`, with SIGXFSZ ignored) makes writes fail with EFBIG, which
//! goes through the same paths.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_sidelines");

/// A tmpfs of `mb` megabytes at `dir`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, mb: u64) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).ok()?;
        let size = format!("size={mb}m");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &size, "tmpfs", dir.to_str()?])
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }

    fn resize(&self, mb: u64) {
        let opts = format!("remount,size={mb}m");
        let o = Command::new("mount")
            .args(["-o", &opts, self.0.to_str().expect("utf8")])
            .output()
            .expect("mount");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }

    /// Fills the disk but for `spare` bytes.
    fn fill(&self, spare: u64) -> PathBuf {
        let o = Command::new("df")
            .args(["--output=avail", "-B1", self.0.to_str().expect("utf8")])
            .output()
            .expect("df");
        let text = String::from_utf8_lossy(&o.stdout);
        let avail: u64 = text.lines().nth(1).and_then(|l| l.trim().parse().ok()).expect("df");
        let filler = self.0.join("filler");
        std::fs::write(&filler, vec![1u8; avail.saturating_sub(spare) as usize]).expect("fill");
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
    }
}

fn sidelines(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("runs")
}

/// Exit 1, the cause in words, and the message names a path in `dir`.
fn failed_in_words(o: &Output, dir: &Path, words: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(words), "`{words}` not in {stderr}");
    assert!(stderr.contains(dir.to_str().expect("utf8")), "no path in {stderr}");
    assert!(!stderr.contains("Custom {") && !stderr.contains("os error"), "debug text: {stderr}");
}

/// The partial table is cut back to the length the checkpoint records.
fn trimmed_to_checkpoint(dir: &Path) {
    let meta: serde_json::Value = std::fs::read(dir.join(".checkpoint"))
        .ok()
        .and_then(|b| serde_json::from_slice(b.split(|c| *c == b'\n').nth(1)?).ok())
        .expect("checkpoint");
    let runs_len = std::fs::metadata(dir.join(".runs.csv.partial")).expect("partial").len();
    assert_eq!(Some(runs_len), meta["runs_bytes"].as_u64(), "trimmed to the checkpoint");
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn a_full_disk_is_reported_and_a_resume_finishes_the_batch() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(disk) = Tmpfs::mount(&tmp.path().join("disk"), 15) else {
        eprintln!("mounting a tmpfs is not permitted here: the file-size limit test covers this");
        return;
    };
    let reference = tmp.path().join("reference");
    let args = ["batch", "--runs", "30000", "--seed", "2", "--quiet"];
    let mut a = args.to_vec();
    a.extend(["--out", reference.to_str().expect("utf8")]);
    assert!(sidelines(&a).status.success());

    // 30,000 runs need 23 MB of runs.csv and a checkpoint of about 1 MB: 15 MB is not enough.
    let dir = disk.0.join("batch");
    let d = dir.to_str().expect("utf8");
    let mut a = args.to_vec();
    a.extend(["--out", d, "--checkpoint-every", "0"]);
    let o = sidelines(&a);
    failed_in_words(&o, &dir, "the disk is full");
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));
    let left = names(&dir);
    assert!(
        left.iter().all(|n| n.starts_with('.')) && !left.iter().any(|n| n.contains(".partial.")),
        "only the checkpoint and its partial tables remain: {left:?}"
    );
    trimmed_to_checkpoint(&dir);

    disk.resize(120);
    let mut a = args.to_vec();
    a.extend(["--out", d, "--resume"]);
    let o = sidelines(&a);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["runs.csv", "summary.csv", "outcomes.csv", "timeseries.csv"] {
        let same = std::fs::read(reference.join(f)).expect("read")
            == std::fs::read(dir.join(f)).expect("read");
        assert!(same, "{f} differs after the resume");
    }

    // The folder's readers on a full disk: no final-named file, no hidden leftover.
    let filler = disk.fill(200_000);
    for (cmd, made) in [("export", "results.xlsx"), ("chart", "charts"), ("report", "report.html")]
    {
        let mut a = vec![cmd];
        if cmd == "export" {
            a.push("xlsx");
        }
        a.push(d);
        let before = names(&dir);
        let o = sidelines(&a);
        failed_in_words(&o, &dir, "the disk is full");
        let after = names(&dir);
        let new: Vec<&String> = after.iter().filter(|n| !before.contains(n)).collect();
        assert!(new.iter().all(|n| n.as_str() == "charts"), "{cmd} left {new:?}");
        assert!(names(&dir.join("charts")).is_empty(), "{cmd} left charts");
        assert!(!dir.join(made).is_file(), "{cmd} wrote {made}");
    }
    // A sweep and a single run stop the same way, with the same exit code.
    let sweep = disk.0.join("sweep");
    let o = sidelines(&[
        "sweep",
        "configs/sweeps/key-assumptions-lhs.toml",
        "--quiet",
        "--out",
        sweep.to_str().expect("utf8"),
    ]);
    failed_in_words(&o, &sweep, "the disk is full");
    assert!(!sweep.join("runs.csv").exists() && !sweep.join("manifest.json").exists());
    std::fs::remove_file(&filler).expect("rm");
    disk.fill(2_000);
    let run = disk.0.join("run");
    let o = sidelines(&["run", "--out", run.to_str().expect("utf8")]);
    failed_in_words(&o, &run, "the disk is full");
    assert!(!run.join("manifest.json").exists());
}

/// Without a tmpfs: the file-size limit (`ulimit -f`, 512-byte blocks in `sh`) makes every
/// write past it fail (EFBIG).
fn batch_under_limit(dir: &Path, blocks: u32) -> Output {
    let script = format!(
        "trap '' XFSZ; ulimit -f {blocks}; exec {BIN} batch --runs 3000 --quiet --out {}",
        dir.display()
    );
    Command::new("sh").args(["-c", &script]).output().expect("sh")
}

#[test]
fn a_refused_write_is_reported_with_its_path_and_exit_1() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // 8 KB: the first checkpoint (about 16 KB with no runs) cannot be written, so there is
    // nothing to resume and nothing is left.
    let dir = tmp.path().join("b");
    let o = batch_under_limit(&dir, 16);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(dir.to_str().expect("utf8")) && stderr.contains("file too large"),
        "{stderr}"
    );
    assert!(names(&dir).is_empty(), "nothing to resume, nothing left: {:?}", names(&dir));

    // 1 MB: the checkpoint fits and runs.csv (2.3 MB for 3,000 runs) does not; the folder
    // keeps the checkpoint and its partial table, trimmed to it, and says how to resume.
    let dir = tmp.path().join("c");
    let o = batch_under_limit(&dir, 2048);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("file too large") && stderr.contains("--resume"), "{stderr}");
    assert_eq!(names(&dir), [".checkpoint", ".runs.csv.partial"]);
    trimmed_to_checkpoint(&dir);
}
