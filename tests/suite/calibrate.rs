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

/// Runs the command, which must succeed; its stdout.
pub fn ok(args: &[&str]) -> String {
    String::from_utf8_lossy(&crate::cli::succeeds(args).stdout).into_owned()
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
    // The manifest keeps each path's value in the scenario (Pyongyang's transfer is 0.8 in
    // ukraine-watch), and its posterior chart marks it.
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(Path::new(&d("two")).join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    assert_eq!(manifest["parameters"][0]["baseline"], 0.8, "{}", manifest["parameters"]);
    let svg = std::fs::read_to_string(
        Path::new(&d("two")).join("charts/posterior_actors_KP_transfer.svg"),
    )
    .expect("svg");
    assert!(svg.contains("the scenario&apos;s value") || svg.contains("the scenario's value"));
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
    // One run of the posterior replay, again: the same draw of the posterior, the same seed.
    let again = sidelines(&["run", "--from", &rp, "--row", "37", "--out", &d("row-37")]);
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success() && said.contains("outcomes are the folder's"), "{said}");
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
    refused_at_place("calibrate", tmp.path(), &good, &cases);
}

/// Each case (`from` in `good` replaced by `to`) makes `command` (`calibrate`, `choose`) exit 2
/// with `want` at the file's place, and write nothing.
pub fn refused_at_place(command: &str, dir: &Path, good: &str, cases: &[(&str, &str, &str)]) {
    for (from, to, want) in cases {
        assert!(good.contains(from), "{from}");
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, good.replace(from, to)).expect("write");
        let out_dir = dir.join("never");
        let out = sidelines(&[
            command,
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

/// A small joint calibration (tests/fixtures/joint-calibration.toml, shared with the Python
/// tests); ROOT stands for the repository's folder.
const JOINT: &str = include_str!("../fixtures/joint-calibration.toml");

/// A joint calibration fits two episodes at once: a proposal's distance counts the misses of
/// both records (13 + 16 observations); a shared number, a group and one episode's own number
/// are the posterior's columns; the same bytes on 1 and 2 threads; and the posterior applies
/// the episode's own number only to its episode (integrated out of another).
#[test]
fn a_joint_calibration_fits_episodes_together_and_its_posterior_travels() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = env!("CARGO_MANIFEST_DIR");
    let file = tmp.path().join("joint.toml");
    std::fs::write(&file, JOINT.replace("ROOT", root)).expect("write");
    let f = file.to_str().expect("utf8");
    let d = |x: &str| tmp.path().join(x).display().to_string();
    ok(&["calibrate", f, "--out", &d("one"), "--threads", "1", "--quiet"]);
    ok(&["calibrate", f, "--out", &d("two"), "--threads", "2", "--quiet"]);
    let read = |dir: &str, name: &str| std::fs::read(Path::new(dir).join(name)).expect(name);
    for name in ["particles.csv", "posterior.csv", "observations.csv", "generations.csv"] {
        assert_eq!(read(&d("one"), name), read(&d("two"), name), "{name} depends on threads");
    }
    let particles = String::from_utf8(read(&d("one"), "particles.csv")).expect("utf8");
    let header = particles.lines().next().expect("header");
    for column in [
        "beliefs.statement_weight",
        "group:deal-seeker-reading",
        "agreed-framework-1994:actors.KP.prior.hard_bargainer",
    ] {
        assert!(header.split(',').any(|c| c == column), "{column} not in {header}");
    }
    let observations = String::from_utf8(read(&d("one"), "observations.csv")).expect("utf8");
    let episodes: Vec<&str> =
        observations.lines().skip(1).map(|l| l.split(',').next().unwrap_or("")).collect();
    assert_eq!(episodes.iter().filter(|e| **e == "ukraine-watch").count(), 13);
    assert_eq!(episodes.iter().filter(|e| **e == "agreed-framework-1994").count(), 16);
    // The posterior on an episode: its own number applies; on another it is integrated out.
    let evaluate = |scenario: &str, timeline: &str| {
        let episode = format!("{root}/{scenario}={root}/{timeline}");
        let out = sidelines(&[
            "evaluate",
            "--episode",
            &episode,
            "--runs",
            "20",
            "--resamples",
            "50",
            "--posterior",
            &d("one"),
            "--json",
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")
    };
    let own = evaluate(
        "configs/scenarios/agreed-framework-1994.toml",
        "configs/timelines/agreed-framework-1994.csv",
    );
    assert_eq!(own["posterior_paths_integrated_out"], serde_json::json!({}));
    let other = evaluate("configs/scenarios/libya-2003.toml", "configs/timelines/libya-2003.csv");
    assert_eq!(
        other["posterior_paths_integrated_out"]["libya-2003"],
        serde_json::json!(["agreed-framework-1994:actors.KP.prior.hard_bargainer"])
    );
    // The claims under the joint posterior: its likelihood group set as the numbers it shifts.
    let claims = d("claims");
    ok(&["claims", "--posterior", &d("one"), "--points", "4", "--runs", "40", "--out", &claims]);
    let table = std::fs::read_to_string(Path::new(&claims).join("claims.csv")).expect("claims");
    assert_eq!(table.lines().filter(|l| l.contains(",posterior,")).count(), 9, "{table}");
}

/// A joint calibration file's problems are reported at their place, all at once.
#[test]
fn a_bad_joint_calibration_is_refused_at_its_place() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = JOINT.replace("ROOT", env!("CARGO_MANIFEST_DIR"));
    let cases = [
        (
            r#"episode = "agreed-framework-1994""#,
            r#"episode = "agreed""#,
            "parameters[2].episode: no episode is named `agreed`",
        ),
        (
            r#"paths = ["events.*.likelihood.deal_seeker"]"#,
            r#"paths = ["actors.*.transfer", "events.*.likelihood.nobody"]"#,
            "matches no number of any episode",
        ),
        (
            r#"paths = ["events.*.likelihood.deal_seeker"]"#,
            r#"paths = ["alignment.temperature"]"#,
            "which is not a probability in [0, 1]",
        ),
        ("seed = 3", "seed = 3\nscenario = \"ukraine-watch\"", "or [[episodes]], not both"),
        (
            "[[parameters]]\npath = \"beliefs.statement_weight\"",
            "[[parameters]]\ngroup = \"x\"\npath = \"beliefs.statement_weight\"",
            "give a `path`, or a `group` with its `paths`",
        ),
    ];
    refused_at_place("calibrate", tmp.path(), &good, &cases);
}

/// `evaluate --cv` leaves each episode out in turn: each fold is a calibration file of the
/// other episodes (without the left-out episode's own numbers) that `calibrate` re-runs to the
/// fold's bytes; the shipped model's held-out scores are `evaluate`'s (same seeds); a
/// calibration of one episode cannot be cross-validated this way.
#[test]
fn leaving_one_episode_out_calibrates_on_the_others_and_scores_the_one_left_out() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = env!("CARGO_MANIFEST_DIR");
    let file = tmp.path().join("joint.toml");
    std::fs::write(&file, JOINT.replace("ROOT", root)).expect("write");
    let out = tmp.path().join("cv");
    let o = sidelines(&[
        "evaluate",
        "--cv",
        file.to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
        "--runs",
        "40",
        "--resamples",
        "100",
        "--json",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let rows = v["leave_one_episode_out"].as_array().expect("rows");
    let obs: Vec<u64> = rows.iter().map(|r| r["observations"].as_u64().expect("n")).collect();
    assert_eq!(obs, [13, 16, 29]);
    // The fold without 2025: only 1994, whose own number stays; the fold without 1994 drops it.
    let fold = |e: &str| std::fs::read_to_string(out.join("cv").join(e).join("calibration.toml"));
    let without_2025 = fold("ukraine-watch").expect("fold");
    assert!(
        !without_2025.contains("2025.csv") && without_2025.contains("agreed-framework-1994.csv")
    );
    assert!(without_2025.contains(r#"episode = "agreed-framework-1994""#), "{without_2025}");
    let without_1994 = fold("agreed-framework-1994").expect("fold");
    assert!(!without_1994.contains("episode = "), "{without_1994}");
    // A fold's file re-runs to its posterior's bytes.
    let again = tmp.path().join("again");
    let fold_file = out.join("cv/ukraine-watch/calibration.toml");
    ok(&[
        "calibrate",
        fold_file.to_str().expect("utf8"),
        "--out",
        again.to_str().expect("utf8"),
        "--quiet",
    ]);
    let particles = |d: &Path| std::fs::read(d.join("particles.csv")).expect("particles");
    assert_eq!(particles(&again), particles(&out.join("cv/ukraine-watch/posterior")));
    // The shipped model's held-out scores are evaluate's, run for run.
    let episode = format!("ukraine-watch={root}/configs/timelines/2025.csv");
    let e = sidelines(&[
        "evaluate",
        "--episode",
        &episode,
        "--runs",
        "40",
        "--resamples",
        "100",
        "--json",
    ]);
    let e: serde_json::Value = serde_json::from_slice(&e.stdout).expect("json");
    assert_eq!(rows[0]["brier_shipped"]["mean"], e["groups"][0]["brier"]["model"]["mean"]);
    for f in ["cv.csv", "scores.csv", "skill.csv", "reliability.csv", "report.html", "results.xlsx"]
    {
        assert!(out.join(f).is_file(), "{f}");
    }
    // One episode: nothing to leave out.
    let single = write_small(tmp.path());
    let o = sidelines(&[
        "evaluate",
        "--cv",
        &single,
        "--out",
        tmp.path().join("no").to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("at least two"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `evaluate --cv --leave observations` calibrates once per observation on the rest of the
/// record (a fold's observations file lacks exactly that row) and scores the one left out.
#[test]
fn leaving_one_observation_out_scores_each_observation_unseen() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = write_small(tmp.path());
    let out = tmp.path().join("loo");
    let o = sidelines(&[
        "evaluate",
        "--cv",
        &file,
        "--leave",
        "observations",
        "--out",
        out.to_str().expect("utf8"),
        "--runs",
        "30",
        "--resamples",
        "100",
        "--json",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let rows = v["leave_one_observation_out"].as_array().expect("rows");
    let obs: Vec<u64> = rows.iter().map(|r| r["observations"].as_u64().expect("n")).collect();
    assert_eq!(obs, [13, 13], "one episode of 13 observations, and all");
    let count = |p: &Path| csv::Reader::from_path(p).expect("csv").records().count();
    let record = count(Path::new(&TIMELINE_2025.replace(".csv", "-observed.csv")));
    for j in 1..=13 {
        let fold = out.join("cv").join(format!("ukraine-watch-{j:02}"));
        assert_eq!(count(&fold.join("observed.csv")), record - 1, "fold {j} drops one row");
        assert!(fold.join("posterior/particles.csv").is_file(), "fold {j} calibrated");
    }
}
