//! Same seed, same bytes; a reused Simulation gives what a fresh one gives.

use std::sync::Arc;

use sidelines_model::{Record, Simulation};

use crate::cli::sidelines;
use crate::common::*;

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = |seed: &str, name: &str| {
        let dir = tmp.path().join(name);
        let out = sidelines(&["run", "--seed", seed, "--out", dir.to_str().expect("utf8")]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        dir
    };
    let (a, b, c) = (run("7", "a"), run("7", "b"), run("8", "c"));
    for file in ["trajectory.csv", "events.csv", "run.csv"] {
        let read = |d: &std::path::Path| std::fs::read(d.join(file)).expect("read");
        assert_eq!(read(&a), read(&b), "{file} differs for the same seed");
        assert_ne!(read(&a), read(&c), "{file} is the same for another seed");
    }
}

#[test]
fn reused_simulation_equals_fresh() {
    let s = Arc::new(embedded("ukraine-watch"));
    let record = Record { trajectory: true, events: true };
    let mut reused = Simulation::new(s.clone()).expect("builds");
    for seed in [3, 1, 4, 1, 5, 9, 2, 6] {
        let again = reused.run(seed, record);
        let fresh = Simulation::new(s.clone()).expect("builds").run(seed, record);
        assert_eq!(again, fresh, "seed {seed}");
        assert!(!fresh.events.is_empty() && !fresh.trajectory.is_empty());
    }
}
