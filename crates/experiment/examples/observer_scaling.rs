//! The model's cost per run against the number of observers, past the 64 actors a scenario
//! file may hold: the default scenario with copies of Seoul appended (same prior, transfer and
//! channels, built in memory, not through a file), run through the ECS model (in worlds of
//! `runs_per_world` runs, as a batch would) and the floor, with outcomes only (no daily series:
//! the fan charts' counts would need about 1.1 GB an aggregator at 704 observers). One
//! thread; prints milliseconds per run and the ratio to 11 observers (the default's 4 and 7
//! copies).
//!
//! `cargo run --release -p sidelines-experiment --example observer_scaling -- [RUNS_AT_11]`

use std::sync::Arc;
use std::time::Instant;

use sidelines_experiment::{RUNS_PER_WORLD, run_seed, runs_per_world};
use sidelines_model::floor::Floor;
use sidelines_model::{Record, RunOutput, Simulation};
use sidelines_scenario::Scenario;

fn with_copies(base: &Scenario, copies: usize) -> Scenario {
    let mut s = base.clone();
    let seoul = s.actors[s.actor_index("KR").expect("Seoul is in the default scenario")].clone();
    for i in 0..copies {
        let mut a = seoul.clone();
        a.code = format!("X{i}");
        a.name = format!("Observer {i}");
        s.actors.push(a);
    }
    s
}

fn main() {
    let runs_at_11: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(640);
    let base = match sidelines_scenario::load_embedded(sidelines_scenario::DEFAULT_SCENARIO) {
        Some(Ok(s)) => s,
        _ => unreachable!("the default scenario is embedded and valid"),
    };
    println!(
        "{:>9} {:>6} {:>12} {:>12} {:>10} {:>10}",
        "observers", "runs", "ECS ms/run", "floor ms/run", "ECS x11", "floor x11"
    );
    let mut first: Option<(f64, f64)> = None;
    for copies in [7usize, 60, 700] {
        let s = Arc::new(with_copies(&base, copies));
        let observers = s.observers().count();
        // Fewer runs for more observers, about the same time each.
        let runs = (runs_at_11 * 11 / observers as u64).max(64);
        let seeds: Vec<u64> = (0..runs).map(|r| run_seed(1, 0, r)).collect();
        let per_world = runs_per_world(s.actors.len(), RUNS_PER_WORLD) as usize;
        let mut sim = Simulation::with_capacity(s.clone(), per_world).expect("builds");
        let start = Instant::now();
        for block in seeds.chunks(per_world) {
            let mut outs = vec![RunOutput::default(); block.len()];
            sim.run_block(block, Record::default(), &mut outs);
            std::hint::black_box(&outs);
        }
        let ecs = 1000.0 * start.elapsed().as_secs_f64() / runs as f64;
        let mut floor = Floor::new(s).expect("builds");
        let mut out = RunOutput::default();
        let start = Instant::now();
        for &seed in &seeds {
            floor.run(seed, false, &mut out);
            std::hint::black_box(&out);
        }
        let plain = 1000.0 * start.elapsed().as_secs_f64() / runs as f64;
        let (e0, f0) = *first.get_or_insert((ecs, plain));
        println!(
            "{observers:>9} {runs:>6} {ecs:>12.3} {plain:>12.3} {:>10.1} {:>10.1}",
            ecs / e0,
            plain / f0
        );
    }
}
