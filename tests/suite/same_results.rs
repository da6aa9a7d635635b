//! The model gives the same results as the recorded ones, run by run.
//!
//! `tests/fixtures/same-results/<scenario>.csv` holds run.csv's row for 200 seeds of each
//! embedded scenario (the seeds of replicates 0..200 of a batch with master seed 1), recorded
//! before the engine was reorganised to run many runs per world. Any change to the engine that
//! is meant to be a pure reorganisation must leave every byte of every row as it was. A
//! deliberate change of the model re-records them with `RECORD_SAME_RESULTS=1 cargo test`, and
//! its commit says why.

use std::path::Path;
use std::sync::Arc;

use sidelines_experiment::run_seed;
use sidelines_model::{Record, Simulation};
use sidelines_report::{runs_header, runs_row};

const SEEDS: u64 = 200;

fn rows(name: &str) -> String {
    let s = Arc::new(crate::common::embedded(name));
    let mut sim = Simulation::new(s).expect("builds");
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(runs_header(&sim)).expect("header");
    for r in 0..SEEDS {
        let out = sim.run(run_seed(1, 0, r), Record::default());
        w.write_record(runs_row(r, 0, r, &out)).expect("row");
    }
    String::from_utf8(w.into_inner().expect("flush")).expect("utf8")
}

#[test]
fn every_embedded_scenario_gives_its_recorded_rows() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/same-results");
    let record = std::env::var_os("RECORD_SAME_RESULTS").is_some();
    for (name, _, _) in sidelines_scenario::EMBEDDED {
        let got = rows(name);
        let path = dir.join(format!("{name}.csv"));
        if record {
            std::fs::write(&path, &got).expect("record");
            continue;
        }
        let want =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if want != got {
            let first = want.lines().zip(got.lines()).position(|(a, b)| a != b);
            panic!(
                "{name}: rows differ from the recorded ones (first at line {first:?})\nwant: {}\ngot:  {}",
                first.and_then(|i| want.lines().nth(i)).unwrap_or(""),
                first.and_then(|i| got.lines().nth(i)).unwrap_or("")
            );
        }
    }
}
