//! `sidelines calibrate`: the same bytes on any thread count, a resumed calibration equal to an
//! uninterrupted one, and bad calibration files refused with their place.

use std::path::Path;

use crate::cli::sidelines;

const TIMELINE_2025: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/timelines/2025.csv");

const SMALL: &str = r#"
name = "small"
description = "a small calibration for tests"
scenario = "ukraine-watch"
timeline = "TIMELINE"
seed = 4
particles = 30
replicates = 3
tolerances = [6, 3, 2]
[[parameters]]
path = "actors.KP.transfer"
range = [0.0, 1.0]
[[parameters]]
path = "beliefs.statement_weight"
range = [0.1, 0.9]
"#;

pub fn write_small(dir: &Path) -> String {
    let timeline = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/timelines/2025.csv");
    let text = SMALL.replace("TIMELINE", &timeline.display().to_string());
    let file = dir.join("small.toml");
    std::fs::write(&file, text).expect("write");
    file.display().to_string()
}

fn ok(args: &[&str]) -> String {
    let out = sidelines(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn calibration_is_deterministic_and_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = write_small(tmp.path());
    let d = |n: &str| tmp.path().join(n).display().to_string();
    let stdout = ok(&["calibrate", &file, "--threads", "1", "--quiet", "--out", &d("one")]);
    assert!(stdout.contains("posterior at tolerance 2"), "{stdout}");
    ok(&["calibrate", &file, "--threads", "2", "--quiet", "--charts", "--out", &d("two")]);
    for chart in ["posterior_pairs.svg", "posterior_actors_KP_transfer.png"] {
        assert!(Path::new(&d("two")).join("charts").join(chart).is_file(), "{chart} missing");
    }
    ok(&["report", &d("two")]);
    let html = std::fs::read_to_string(Path::new(&d("two")).join("report.html")).expect("report");
    assert!(html.contains("<h2>Posterior</h2>"), "the report has the posterior");
    let read = |dir: &str, f: &str| std::fs::read(Path::new(dir).join(f)).expect("read");
    for f in ["generations.csv", "particles.csv", "posterior.csv", "observations.csv"] {
        assert_eq!(read(&d("one"), f), read(&d("two"), f), "{f} depends on the thread count");
    }
    let particles = String::from_utf8(read(&d("one"), "particles.csv")).expect("utf8");
    assert_eq!(particles.lines().count(), 1 + 3 * 30, "three generations of 30 particles");

    // Interrupted after generation 0: keep only it in the checkpoint, drop the outputs.
    let cut = d("cut");
    std::fs::create_dir_all(&cut).expect("mkdir");
    let state: serde_json::Value =
        serde_json::from_slice(&read(&d("one"), ".calibrate-state.json")).expect("json");
    let mut first = state.clone();
    first["generations"] = serde_json::Value::Array(vec![state["generations"][0].clone()]);
    std::fs::write(Path::new(&cut).join(".calibrate-state.json"), first.to_string())
        .expect("write");
    ok(&["calibrate", &file, "--resume", "--quiet", "--out", &cut]);
    for f in ["generations.csv", "particles.csv", "posterior.csv"] {
        assert_eq!(read(&d("one"), f), read(&cut, f), "{f}: resumed differs");
    }
    // The posterior drives a forecast row of `branches`, beside the prior's.
    let b = d("branches");
    let stdout =
        ok(&["branches", "--runs", "64", "--then", "30", "--posterior", &d("one"), "--out", &b]);
    assert!(stdout.contains("replay+30d posterior"), "{stdout}");
    let table = std::fs::read_to_string(Path::new(&b).join("branches.csv")).expect("read");
    assert!(table.lines().any(|l| l.starts_with("replay+30d posterior,")), "no posterior row");
    // replay --posterior gives the same forecast as branches' posterior row (same seeds, same
    // resampling).
    let rp = d("replay");
    ok(&[
        "replay",
        "--timeline",
        TIMELINE_2025,
        "--then",
        "30",
        "--runs",
        "64",
        "--posterior",
        &d("one"),
        "--quiet",
        "--out",
        &rp,
    ]);
    let find = |file: &Path, want: &[(&str, &str)], column: &str| -> f64 {
        let mut r = csv::Reader::from_path(file).expect("csv");
        let header: Vec<String> = r.headers().expect("header").iter().map(String::from).collect();
        let at = |n: &str| header.iter().position(|h| h == n).expect("column");
        let row = r
            .records()
            .map(|x| x.expect("row"))
            .find(|x| want.iter().all(|(k, v)| &x[at(k)] == *v))
            .expect("row found");
        row[at(column)].parse().expect("number")
    };
    let from_replay = find(
        &Path::new(&rp).join("outcomes.csv"),
        &[("outcome", "kp_accepts_talks"), ("value", "true")],
        "share",
    );
    let from_branches = find(
        &Path::new(&b).join("branches.csv"),
        &[("branch", "replay+30d posterior"), ("outcome", "kp_accepts_talks"), ("value", "true")],
        "estimate",
    );
    assert!((from_replay - from_branches).abs() < 1e-12, "{from_replay} vs {from_branches}");
    // The posterior applies to another episode's scenario that has its paths (no renaming):
    // the 1994 Agreed Framework replay under the 2025 fit.
    let other = d("other-episode");
    ok(&[
        "replay",
        "configs/scenarios/agreed-framework-1994.toml",
        "--timeline",
        "configs/timelines/agreed-framework-1994.csv",
        "--runs",
        "64",
        "--posterior",
        &d("one"),
        "--quiet",
        "--out",
        &other,
    ]);
    assert!(Path::new(&other).join("record_check.csv").is_file());
    // A calibrated number of an actor the scenario does not have (Pyongyang's transfer in
    // the JCPOA episode) cannot enter its runs: it is integrated out, and the replay says so.
    // (A path the scenario lacks otherwise is refused by name: posterior.rs's unit test.)
    let jcpoa = sidelines(&[
        "replay",
        "configs/scenarios/jcpoa-2015.toml",
        "--timeline",
        "configs/timelines/jcpoa-2015.csv",
        "--runs",
        "8",
        "--posterior",
        &d("one"),
        "--out",
        &d("jcpoa"),
    ]);
    let said = String::from_utf8_lossy(&jcpoa.stderr);
    assert!(jcpoa.status.success(), "{said}");
    assert!(said.contains("actors.KP.transfer integrated out"), "{said}");
    // A folder that is not a calibration is refused.
    let out = sidelines(&["branches", "--runs", "8", "--posterior", &b, "--out", &d("never")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a calibration folder"));

    // A checkpoint of another calibration is refused.
    let other = std::fs::read_to_string(&file).expect("read").replace("seed = 4", "seed = 5");
    let other_file = tmp.path().join("other.toml");
    std::fs::write(&other_file, other).expect("write");
    let out =
        sidelines(&["calibrate", other_file.to_str().expect("utf8"), "--resume", "--out", &cut]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another calibration file"));
}

#[test]
fn a_bad_calibration_file_is_refused_at_its_place() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = write_small(tmp.path());
    let good = std::fs::read_to_string(&file).expect("read");
    let cases = [
        ("actors.KP.transfer", "actors.KP.transfr", "did you mean `actors.KP.transfer`"),
        ("range = [0.1, 0.9]", "range = [0.1, 1.9]", "parameters[1].range: must lie within"),
        ("tolerances = [6, 3, 2]", "tolerances = [2, 3]", "tolerances: must not increase"),
        ("particles = 30", "particles = 0", "particles: must be 2 to"),
    ];
    for (from, to, want) in cases {
        let bad = tmp.path().join("bad.toml");
        std::fs::write(&bad, good.replace(from, to)).expect("write");
        let out_dir = tmp.path().join("never");
        let out = sidelines(&[
            "calibrate",
            bad.to_str().expect("utf8"),
            "--out",
            out_dir.to_str().expect("utf8"),
        ]);
        assert_eq!(out.status.code(), Some(2), "{to}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad.toml:") && err.contains(want), "{to}: {err}");
        assert!(!out_dir.exists(), "{to}: a refused calibration writes nothing");
    }
}

/// A calibration scored in waves of shards (as on a cluster) and taken in by `merge` gives the
/// unsplit calibration's tables, bit for bit, whatever the shards per wave and batches per
/// shard; a wave taken in twice, or merged into another folder, is refused.
#[test]
fn calibration_in_waves_of_shards_equals_the_unsplit_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = write_small(tmp.path());
    let d = |n: &str| tmp.path().join(n).display().to_string();
    ok(&["calibrate", &file, "--quiet", "--out", &d("whole")]);
    let read = |dir: &str, f: &str| std::fs::read(Path::new(dir).join(f)).expect("read");
    for (shards, per_shard) in [(3u64, "1"), (2, "2")] {
        let out = d(&format!("waves-{shards}-{per_shard}"));
        let mut waves = 0;
        while !Path::new(&out).join("manifest.json").exists() {
            waves += 1;
            assert!(waves < 50, "the calibration does not finish");
            for i in 0..shards {
                let spec = format!("{i}/{shards}");
                ok(&[
                    "calibrate",
                    &file,
                    "--shard",
                    &spec,
                    "--batches-per-shard",
                    per_shard,
                    "--threads",
                    "1",
                    "--out",
                    &out,
                ]);
            }
            let mut args = vec![String::from("merge"), String::from("--out"), out.clone()];
            for i in 0..shards {
                args.push(format!("{out}/wave/{i}"));
            }
            if waves == 1 {
                // A task run again (requeued) finds its shard of this wave scored.
                let spec = format!("0/{shards}");
                let again = ok(&[
                    "calibrate",
                    &file,
                    "--shard",
                    &spec,
                    "--batches-per-shard",
                    per_shard,
                    "--out",
                    &out,
                ]);
                assert!(again.contains("holds this shard of this wave already"), "{again}");
                // Another folder is refused; nothing is taken in.
                let mut wrong = args.clone();
                wrong[2] = d("whole");
                let o = sidelines(&wrong.iter().map(String::as_str).collect::<Vec<_>>());
                assert_eq!(o.status.code(), Some(2));
                assert!(
                    String::from_utf8_lossy(&o.stderr).contains("belong to the calibration in")
                );
                // The same wave, scored twice: the second copy is refused once the first is in.
                let copy = d("copy");
                let _ = std::fs::remove_dir_all(&copy);
                std::fs::create_dir_all(&copy).expect("mkdir");
                for i in 0..shards {
                    let from = Path::new(&out).join("wave").join(i.to_string());
                    let to = Path::new(&copy).join(i.to_string());
                    std::fs::create_dir_all(&to).expect("mkdir");
                    for f in ["manifest.json", "scores.json"] {
                        std::fs::copy(from.join(f), to.join(f)).expect("copy");
                    }
                }
                ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
                let mut again = vec![String::from("merge"), String::from("--out"), out.clone()];
                again.extend((0..shards).map(|i| format!("{copy}/{i}")));
                let o = sidelines(&again.iter().map(String::as_str).collect::<Vec<_>>());
                assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
                assert!(String::from_utf8_lossy(&o.stderr).contains("was taken in already"));
                continue;
            }
            ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        }
        assert!(waves >= 3, "{waves} waves: the test needs a generation to span waves");
        for f in ["generations.csv", "particles.csv", "posterior.csv", "observations.csv"] {
            assert_eq!(
                read(&d("whole"), f),
                read(&out, f),
                "{f}: {shards} shards, {per_shard} batches"
            );
        }
        assert!(!Path::new(&out).join("wave").exists(), "taken-in waves are removed");
    }
}
