//! The binary as a user drives it: exit codes, the files it writes, and broken inputs.

use std::path::Path;
use std::process::{Command, Output};

pub fn sidelines(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sidelines"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// Requires a command to have succeeded (its stderr in the message); returns its output.
#[track_caller]
pub fn succeeded(o: Output) -> Output {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// Runs `sidelines ARGS`, which must succeed.
#[track_caller]
pub fn succeeds(args: &[&str]) -> Output {
    let o = sidelines(args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    o
}

#[test]
fn validate_reports_every_file_and_accepts_the_library() {
    let mut args = vec!["validate"];
    // Every input file shipped: scenarios, sweeps, calibrations, model choices.
    let files: Vec<String> = ["scenarios", "sweeps", "calibration", "models"]
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs").join(d))
                .expect("dir")
                .map(move |e| {
                    format!("configs/{d}/{}", e.expect("entry").file_name().to_string_lossy())
                })
        })
        .collect();
    args.extend(files.iter().map(String::as_str));
    let out = sidelines(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(said.matches(": ok").count(), files.len());
    for kind in ["(scenario ", "(sweep ", "(calibration ", "(model choice "] {
        assert!(said.contains(kind), "{kind}: {said}");
    }
    // A sweep or calibration file with a mistake is refused at its place, like a scenario.
    let tmp = tempfile::tempdir().expect("tempdir");
    for (file, from, to, want) in [
        (
            "configs/sweeps/key-assumptions-lhs.toml",
            "actors.KP.transfer",
            "actors.KP.transfr",
            "did you mean",
        ),
        (
            "configs/calibration/2025.toml",
            "particles = 400",
            "particles = 1",
            "particles: must be 2 to",
        ),
    ] {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
            .expect("read")
            .replace(from, to)
            .replace(
                "../timelines/",
                &format!("{}/configs/timelines/", env!("CARGO_MANIFEST_DIR")),
            );
        let bad = tmp.path().join("bad.toml");
        std::fs::write(&bad, text).expect("write");
        let out = sidelines(&["validate", bad.to_str().expect("utf8")]);
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad.toml:") && err.contains(want), "{file}: {err}");
    }

    // Two broken files: both reported, exit 2.
    let out = sidelines(&[
        "validate",
        "tests/bad/variant-out-of-range.toml",
        "configs/scenarios/ukraine-watch.toml",
        "tests/bad/empty.toml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("variant-out-of-range.toml:") && stderr.contains("empty.toml:"));
}

#[test]
fn run_writes_every_file_for_every_embedded_scenario() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (name, _, _) in sidelines_scenario::EMBEDDED {
        let dir = tmp.path().join(name);
        let out = sidelines(&["run", name, "--seed", "3", "--out", dir.to_str().expect("utf8")]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("talks:") && stdout.contains("North Korea (KP)"), "{stdout}");
        for f in ["trajectory.csv", "events.csv", "run.csv", "manifest.json"] {
            assert!(dir.join(f).is_file(), "{name}: {f} missing");
        }
        let traj = std::fs::read_to_string(dir.join("trajectory.csv")).expect("read");
        let start = sidelines_scenario::load_embedded(name).expect("embedded").expect("valid");
        let first = format!("day,date,actor,variable,value\n0,{},", start.start_date);
        assert!(traj.starts_with(&first), "{name}: {}", &traj[..80.min(traj.len())]);
        let run = std::fs::read_to_string(dir.join("run.csv")).expect("read");
        assert_eq!(run.lines().count(), 2);
        assert!(run.starts_with("run,point,replicate,seed,talks_outcome,talks_end_day,"));
        let manifest = std::fs::read_to_string(dir.join("manifest.json")).expect("read");
        assert!(manifest.contains("\"seed\": 3") && manifest.contains("resolved_scenario_toml"));
        // No temporary file is left behind.
        let stray = std::fs::read_dir(&dir).expect("dir").filter(|e| {
            e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        });
        assert_eq!(stray.count(), 0);
    }
}

#[test]
fn run_refuses_to_overwrite_without_force() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("r");
    let d = dir.to_str().expect("utf8");
    assert!(sidelines(&["run", "--seed", "1", "--out", d]).status.success());
    let before = std::fs::read(dir.join("run.csv")).expect("read");
    let out = sidelines(&["run", "--seed", "2", "--out", d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds results"));
    assert_eq!(std::fs::read(dir.join("run.csv")).expect("read"), before, "old results touched");
    assert!(sidelines(&["run", "--seed", "2", "--out", d, "--force"]).status.success());
    assert_ne!(std::fs::read(dir.join("run.csv")).expect("read"), before);
}

#[test]
fn usage_errors_exit_2_and_never_panic() {
    for args in [
        vec!["frobnicate"],
        vec!["run", "--seed", "minus-one"],
        vec!["run", "--seed", "-1"],
        vec!["run", "no-such-scenario"],
        vec!["describe", "no-such.toml"],
        vec!["validate"],
        vec!["validate", "/no/such/file.toml"],
        vec!["run", "--bogus"],
    ] {
        let out = sidelines(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn describe_lists_every_parameter_path() {
    let out = sidelines(&["describe"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let s = crate::common::embedded("ukraine-watch");
    for (path, _, _) in s.parameters() {
        assert!(text.lines().any(|l| l.starts_with(&format!("{path} "))), "describe misses {path}");
    }
    for p in ["actors.KP.prior.reliable", "mediator.attention_half_life_days", "actors.KP.transfer"]
    {
        assert!(text.contains(p), "{p}");
    }
}

#[test]
fn scenarios_lists_the_library() {
    let out = sidelines(&["scenarios"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for (name, _, _) in sidelines_scenario::EMBEDDED {
        assert!(text.contains(name));
    }
}

#[test]
fn closed_stdout_and_odd_paths_do_not_panic() {
    use std::io::Read;
    use std::process::Stdio;
    // `sidelines describe | head -1`: the pipe closes early.
    let mut child = Command::new(env!("CARGO_BIN_EXE_sidelines"))
        .arg("describe")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 16];
    child.stdout.take().expect("stdout").read_exact(&mut first).expect("some output");
    let status = child.wait().expect("wait");
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(status.code(), Some(101));

    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("plain.txt");
    std::fs::write(&file, "keep me").expect("write");
    let out = sidelines(&["run", "--out", file.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a folder"));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "keep me");

    // A folder or a FIFO is not a scenario file; neither hangs nor panics.
    let out = sidelines(&["validate", tmp.path().to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
    let fifo = tmp.path().join("fifo.toml");
    if Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
        let out = sidelines(&["validate", fifo.to_str().expect("utf8")]);
        assert_eq!(out.status.code(), Some(2));
    }
}

#[test]
fn a_broken_base_is_reported_with_the_variant_that_named_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = tmp.path().join("base.toml");
    let case =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad/nan.toml"));
    let patched = crate::bad::patch(&case.expect("case").parse().expect("toml")).expect("patch");
    std::fs::write(&base, patched.text).expect("write");
    let variant = tmp.path().join("v.toml");
    std::fs::write(&variant, "base = \"base.toml\"\nname = \"v\"\n").expect("write");
    let out = sidelines(&["validate", variant.to_str().expect("utf8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains(": actors[3].transfer: must be a finite number"), "{stderr}");
    assert!(stderr.contains("v.toml:1:8: base: its base has the problems above"), "{stderr}");
}

/// `RAYON_NUM_THREADS` sets the worker threads when `--threads` is not given (the batch's
/// progress line and the manifest record the count), and the bytes do not change.
#[test]
fn rayon_num_threads_is_honoured() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = |dir: &str, env: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sidelines"));
        cmd.args(["batch", "--runs", "200", "--quiet", "--out", dir]);
        match env {
            Some(v) => cmd.env("RAYON_NUM_THREADS", v),
            None => cmd.env_remove("RAYON_NUM_THREADS"),
        };
        let out = cmd.output().expect("runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read_to_string(Path::new(dir).join("manifest.json")).expect("manifest")
    };
    let one = tmp.path().join("one").display().to_string();
    let manifest = run(&one, Some("1"));
    assert!(manifest.contains("\"threads\": 1"), "{manifest}");
    let all = tmp.path().join("all").display().to_string();
    run(&all, None);
    let read = |d: &str| std::fs::read(Path::new(d).join("runs.csv")).expect("runs");
    assert_eq!(read(&one), read(&all));
}

/// Every subcommand's --help ends with examples; completions and man pages are generated.
#[test]
fn help_examples_completions_and_man_pages() {
    let commands = [
        "run",
        "batch",
        "replay",
        "branches",
        "calibrate",
        "claims",
        "choose",
        "evaluate",
        "sweep",
        "explore",
        "merge",
        "analyze",
        "export",
        "chart",
        "report",
        "scenarios",
        "describe",
        "validate",
        "completions",
        "man",
    ];
    for c in commands {
        let o = sidelines(&[c, "--help"]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success() && text.contains("Example"), "{c} --help has no examples");
        assert!(text.contains(&format!("sidelines {c}")), "{c}'s examples do not use it");
    }
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = sidelines(&["completions", shell]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success() && text.contains("calibrate") && text.contains("--shard"),
            "{shell}"
        );
        // A scenario argument completes to the embedded scenarios (clap_complete's fish,
        // PowerShell and elvish scripts complete no positional argument's values).
        if matches!(shell, "bash" | "zsh") {
            assert!(
                text.contains("coerced-settlement") && text.contains("iran-talks-2025"),
                "{shell}"
            );
        }
    }
    let o = sidelines(&["man"]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with(".ie"), "roff");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("man1");
    let o = sidelines(&["man", "--out", dir.to_str().expect("utf8")]);
    assert!(o.status.success());
    let pages = std::fs::read_dir(&dir).expect("dir").count();
    assert_eq!(pages, commands.len() + 1, "one page per command and sidelines.1");
    let batch = std::fs::read_to_string(dir.join("sidelines-batch.1")).expect("page");
    assert!(batch.contains("\\-\\-shard"), "the batch page lists its flags");
}

/// `scenarios --json` and `describe --json` give what their tables show, for scripts.
#[test]
fn scenarios_and_describe_as_json() {
    let o = sidelines(&["scenarios", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let names: Vec<&str> =
        list.as_array().expect("array").iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names.len(), sidelines_scenario::EMBEDDED.len());
    assert!(list[0]["default"] == true && names[0] == "ukraine-watch", "{list}");
    let o = sidelines(&["describe", "--json"]);
    let params: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let text = String::from_utf8_lossy(&sidelines(&["describe"]).stdout).into_owned();
    let params = params.as_array().expect("array");
    assert_eq!(params.len() + 1, text.lines().count(), "one entry per line of the table");
    for p in params {
        let (v, lo, hi) = (p["value"].as_f64(), p["min"].as_f64(), p["max"].as_f64());
        let (v, lo, hi) = (v.expect("value"), lo.expect("min"), hi.expect("max"));
        assert!(lo <= v && v <= hi, "{p}");
        let path = p["path"].as_str().expect("path");
        assert!(text.lines().any(|l| l.starts_with(path)), "{path} is in the table");
    }
}

/// stdout carries results only: `--json` gives one JSON object for a batch, a replay and a
/// sweep, and the "wrote" and timing lines go to stderr.
#[test]
fn json_summaries_on_stdout_and_status_on_stderr() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = |n: &str| tmp.path().join(n).display().to_string();
    let sweep = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/sweeps/pressure-attention-grid.toml");
    let cases: [(Vec<String>, &[&str]); 3] = [
        (
            ["batch", "--runs", "64", "--quiet", "--json", "--out", &d("b")]
                .map(String::from)
                .to_vec(),
            &["folder", "runs", "scenario", "shares", "summaries"],
        ),
        (
            [
                "replay",
                "--timeline",
                "configs/timelines/2025.csv",
                "--runs",
                "64",
                "--quiet",
                "--json",
                "--out",
                &d("r"),
            ]
            .map(String::from)
            .to_vec(),
            &["folder", "record_check", "runs", "scenario", "shares", "summaries"],
        ),
        (
            ["sweep", sweep, "--quiet", "--json", "--out", &d("s")].map(String::from).to_vec(),
            &[
                "files",
                "findings",
                "folder",
                "points",
                "runs",
                "scenario",
                "seconds",
                "sensitivity",
                "sweep",
            ],
        ),
    ];
    for (args, keys) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = sidelines(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not one JSON object ({e})"));
        let mut got: Vec<&str> =
            v.as_object().expect("object").keys().map(String::as_str).collect();
        got.sort_unstable();
        assert_eq!(got, keys, "{args:?}");
        assert!(stderr.contains("wrote "), "{args:?}: {stderr}");
        // The record check's cells are typed: flags as booleans, numbers as numbers.
        if let Some(check) = v["record_check"].as_array() {
            assert!(check[0]["inside_90"].is_boolean() && check[0]["runs"].is_number(), "{v}");
        }
    }
    let out = sidelines(&["batch", "--runs", "10", "--quiet", "--out", &d("plain")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("how the talks ended") && !stdout.contains("wrote"), "{stdout}");
    // The README's main command (`batch --report`) leaves a folder a person can open; without
    // --report the batch names the command that makes it so.
    let out = sidelines(&["batch", "--runs", "10", "--out", &d("shown")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("sidelines report {}", d("shown"))), "{stderr}");
    let out = sidelines(&["batch", "--runs", "10", "--report", "--quiet", "--out", &d("ready")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in ["report.html", "results.xlsx", "charts/outcome_shares.svg"] {
        assert!(Path::new(&d("ready")).join(f).is_file(), "batch --report wrote no {f}");
    }
    let out = sidelines(&["run", "--out", &d("one")]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("wrote"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote"));
}
