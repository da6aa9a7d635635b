//! Sizes are checked before anything is allocated: a design, a run count or a resample count
//! beyond the limits (README, "Limits") is refused with exit code 2, the figure and the limit,
//! and writes nothing.

use crate::cli::sidelines;

const HEAD: &str = r#"
name = "huge"
description = "a size beyond the limits"
scenario = "ukraine-watch"
seed = 1
"#;

const ONE: &str = r#"
[[parameters]]
path = "actors.KP.transfer"
range = [0.0, 1.0]
"#;

#[test]
fn oversized_sweeps_and_flags_are_refused_before_they_start() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "replicates = 1000000000000\n[sampler]\nkind = \"lhs\"\nsamples = 200\n",
            "more than 10000000000 runs",
        ),
        ("replicates = 1e12\n[sampler]\nkind = \"lhs\"\nsamples = 200\n", "must be a whole number"),
        (
            "replicates = 1\n[sampler]\nkind = \"lhs\"\nsamples = 1000000000000\n",
            "1000000000000 points, more than 100000",
        ),
        (
            "replicates = 1\n[sampler]\nkind = \"random\"\nsamples = 9223372036854775807\n",
            "more than 100000",
        ),
        (
            "replicates = 1\n[sampler]\nkind = \"sobol\"\nsamples = 1000000000\nsecond_order = true\n",
            "more than 100000",
        ),
        (
            "replicates = 1\n[sampler]\nkind = \"morris\"\ntrajectories = 1000000000000\nlevels = 4\n",
            "more than 100000",
        ),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        let file = tmp.path().join(format!("huge{i}.toml"));
        std::fs::write(&file, format!("{HEAD}{body}{ONE}")).expect("write");
        let out_dir = tmp.path().join(format!("out{i}"));
        let out = sidelines(&[
            "sweep",
            file.to_str().expect("utf8"),
            "--out",
            out_dir.to_str().expect("utf8"),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "case {i}: {err}");
        assert!(err.contains(want) && err.contains(&format!("huge{i}.toml:")), "case {i}: {err}");
        assert!(!out_dir.exists(), "case {i}: a refused sweep wrote a folder");
    }
    // A grid whose levels alone are too many.
    let grid = "replicates = 1\n[sampler]\nkind = \"grid\"\n[[parameters]]\npath = \"actors.KP.transfer\"\nrange = [0.0, 1.0]\nlevels = 1000000000000\n";
    let file = tmp.path().join("grid.toml");
    std::fs::write(&file, format!("{HEAD}{grid}")).expect("write");
    let out = sidelines(&[
        "sweep",
        file.to_str().expect("utf8"),
        "--out",
        &tmp.path().join("g").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("levels is more than"));
    // Flags.
    for args in [
        vec!["batch", "--runs", "100000000000"],
        vec!["replay", "--timeline", "configs/timelines/2025.csv", "--runs", "100000000000"],
        vec!["analyze", "sobol", "x", "--resamples", "100000000000"],
    ] {
        let out = sidelines(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

/// `analyze --table` flags that make no sense are refused with what is wrong, and nothing is
/// written.
#[test]
fn analyze_flags_are_checked_for_sense() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let table = tmp.path().join("t.csv");
    std::fs::write(&table, "a,b,y\n0.1,0.2,1\n0.3,0.4,2\n").expect("write");
    let t = table.to_str().expect("utf8");
    let dir = tmp.path().display().to_string();
    let missing = tmp.path().join("no/such/folder/s.csv").display().to_string();
    let cases: [(Vec<&str>, &str); 4] = [
        (
            vec!["analyze", "morris", "--table", t, "--params", "a,a", "--outcome", "y"],
            "names `a` twice",
        ),
        (
            vec![
                "analyze",
                "morris",
                "--table",
                t,
                "--params",
                "a,b",
                "--outcome",
                "y",
                "--levels",
                "1",
            ],
            "--levels",
        ),
        (
            vec![
                "analyze",
                "morris",
                "--table",
                t,
                "--params",
                "a,b",
                "--outcome",
                "y",
                "--out",
                &dir,
            ],
            "is a folder",
        ),
        (
            vec![
                "analyze",
                "morris",
                "--table",
                t,
                "--params",
                "a,b",
                "--outcome",
                "y",
                "--out",
                &missing,
            ],
            "does not exist",
        ),
    ];
    for (args, want) in cases {
        let out = sidelines(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    assert!(!tmp.path().join("sensitivity.csv").exists(), "nothing written");
}
