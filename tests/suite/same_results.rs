//! The model of the 2025 release (every weight of `[mechanisms]` at 0) gives the same results
//! as the recorded ones, run by run, so the model as it was stays available beside the one
//! with the mechanisms added for other episodes.
//!
//! `tests/fixtures/same-results/<scenario>.csv` holds run.csv's row for 200 seeds of each
//! scenario embedded then (the seeds of replicates 0..200 of a batch with master seed 1, when seeds
//! kept 53 bits), recorded before the engine was reorganised to run many runs per world. The
//! seeds are read from the file, so the rule that derives run seeds may change without
//! re-recording; flags were rewritten from `true` to `TRUE` when CSV flags changed, and nothing
//! else. Any change to the engine that
//! is meant to be a pure reorganisation must leave every byte of every row as it was. A
//! deliberate change of the model re-records them with `RECORD_SAME_RESULTS=1 cargo test`, and
//! its commit says why.

use std::path::Path;
use std::sync::Arc;

use sidelines_experiment::run_seed;
use sidelines_model::{Record, RunOutput, Simulation};
use sidelines_report::{runs_header, runs_row};

const SEEDS: u64 = 200;

const RECORDED: [&str; 7] = [
    "ukraine-watch",
    "coerced-settlement",
    "balanced-settlement",
    "talks-collapse",
    "us-disengages",
    "war-continues",
    "iran-talks-2025",
];

/// An embedded scenario with every mechanism added after 2025 switched off.
pub fn model_2025(name: &str) -> sidelines_scenario::Scenario {
    let off: Vec<(String, f64)> = sidelines_scenario::Mechanisms::PARAMS
        .iter()
        .map(|p| (format!("mechanisms.{}", p.name), 0.0))
        .collect();
    let sets: Vec<(&str, f64)> = off.iter().map(|(p, v)| (p.as_str(), *v)).collect();
    crate::common::embedded(name).with_parameters(&sets).expect("valid")
}

/// The rows of `seeds`, simulated `capacity` runs to a world, with only the columns named in
/// `columns` (the recorded header: columns added since are not compared).
fn rows(name: &str, seeds: &[u64], capacity: usize, columns: Option<&[&str]>) -> String {
    let s = Arc::new(model_2025(name));
    let mut sim = Simulation::with_capacity(s, capacity).expect("builds");
    let header = runs_header(&sim);
    let keep: Vec<usize> = match columns {
        Some(cols) => cols
            .iter()
            .map(|c| header.iter().position(|h| h == c).expect("a recorded column"))
            .collect(),
        None => (0..header.len()).collect(),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(keep.iter().map(|&i| &header[i])).expect("header");
    let mut outs = vec![RunOutput::default(); capacity];
    for (b, block) in seeds.chunks(capacity).enumerate() {
        sim.run_block(block, Record::default(), &mut outs);
        for (i, out) in outs.iter().take(block.len()).enumerate() {
            let r = (b * capacity + i) as u64;
            let row = runs_row(r, 0, r, out);
            w.write_record(keep.iter().map(|&i| &row[i])).expect("row");
        }
    }
    String::from_utf8(w.into_inner().expect("flush")).expect("utf8")
}

#[test]
fn every_embedded_scenario_gives_its_recorded_rows() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/same-results");
    let record = std::env::var_os("RECORD_SAME_RESULTS").is_some();
    // The scenarios recorded for the 2025 model; scenarios embedded since have no rows of it.
    for name in RECORDED {
        let path = dir.join(format!("{name}.csv"));
        if record {
            let seeds: Vec<u64> = (0..SEEDS).map(|r| run_seed(1, 0, r)).collect();
            std::fs::write(&path, rows(name, &seeds, 1, None)).expect("record");
            continue;
        }
        let want =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let columns: Vec<&str> = want.lines().next().unwrap_or_default().split(',').collect();
        let seeds: Vec<u64> = want
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(3).and_then(|s| s.parse().ok()).expect("a seed column"))
            .collect();
        assert_eq!(seeds.len() as u64, SEEDS, "{name}");
        // One run per world, blocks that divide the 200 runs, and blocks that do not.
        for capacity in [1, 8, 64] {
            let got = rows(name, &seeds, capacity, Some(&columns));
            if want != got {
                let first = want.lines().zip(got.lines()).position(|(a, b)| a != b);
                panic!(
                    "{name}, {capacity} runs per world: rows differ from the recorded ones \
                     (first at line {first:?})\nwant: {}\ngot:  {}",
                    first.and_then(|i| want.lines().nth(i)).unwrap_or(""),
                    first.and_then(|i| got.lines().nth(i)).unwrap_or("")
                );
            }
        }
    }
}

/// Trajectories and event logs too: a run's whole output does not depend on the runs beside
/// it in its world, nor on what the world ran before.
#[test]
fn a_run_is_the_same_alone_and_in_a_block() {
    let s = Arc::new(crate::common::embedded("coerced-settlement"));
    let record = Record { trajectory: true, events: true };
    let seeds: Vec<u64> = (0..23).map(|r| run_seed(9, 0, r)).collect();
    let mut alone = Simulation::new(s.clone()).expect("builds");
    let want: Vec<RunOutput> = seeds.iter().map(|&x| alone.run(x, record)).collect();
    let mut block = Simulation::with_capacity(s, 5).expect("builds");
    let mut outs = vec![RunOutput::default(); 5];
    // A block of 5, then the same world reused for blocks of 5, 5, 5 and a last one of 3.
    for (b, chunk) in seeds.chunks(5).enumerate() {
        block.run_block(chunk, record, &mut outs);
        for (i, out) in outs.iter().take(chunk.len()).enumerate() {
            let w = &want[b * 5 + i];
            assert!(!w.events.is_empty() && !w.trajectory.is_empty());
            assert_eq!(out, w, "seed {} (block {b}, place {i})", chunk[i]);
        }
    }
}

/// Runs of different design points share a world and give what each gives alone.
#[test]
fn design_points_share_a_world_without_touching_each_other() {
    let base = crate::common::embedded("ukraine-watch");
    let points: Vec<Arc<sidelines_scenario::Scenario>> = [0.1, 0.5, 0.9]
        .iter()
        .map(|x| {
            Arc::new(base.with_parameters(&[("mediator.pressure_on_partner", *x)]).expect("valid"))
        })
        .collect();
    let record = Record { trajectory: true, events: true };
    let jobs: Vec<(Arc<sidelines_scenario::Scenario>, u64)> =
        (0..9).map(|i| (points[i % 3].clone(), run_seed(4, 0, i as u64))).collect();
    let mut world = Simulation::with_capacity(points[0].clone(), 9).expect("builds");
    let mut outs = vec![RunOutput::default(); 9];
    world.run_mixed(&jobs, record, &mut outs).expect("same shape");
    for ((s, seed), out) in jobs.iter().zip(&outs) {
        let alone = Simulation::new(s.clone()).expect("builds").run(*seed, record);
        assert_eq!(out, &alone, "seed {seed}");
    }
    // Another horizon cannot share the world.
    let other = Arc::new(base.with_parameters(&[("horizon_days", 100.0)]).expect("valid"));
    assert!(world.run_mixed(&[(other, 1)], record, &mut outs).is_err());
}
