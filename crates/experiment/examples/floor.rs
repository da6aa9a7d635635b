//! The floor as a whole command, to time beside `sidelines batch` (PERFORMANCE.md): runs the
//! default scenario's first `RUNS` seeds of `batch --seed 1` through the model without the ECS
//! (`sidelines_model::floor::Floor`), on `THREADS` threads taking contiguous shares of the seeds,
//! and prints runs per second. With `outcomes-only`, the daily values are not recorded.
//!
//! `cargo run --release -p sidelines-experiment --example floor -- RUNS THREADS [outcomes-only]`

use std::sync::Arc;
use std::time::Instant;

use sidelines_experiment::run_seed;
use sidelines_model::RunOutput;
use sidelines_model::floor::Floor;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64| -> u64 {
        match args.get(i).map(|a| a.parse::<u64>()) {
            None => default,
            Some(Ok(n)) if n > 0 => n,
            Some(_) => {
                eprintln!("usage: floor [RUNS] [THREADS] [outcomes-only]: counts are positive");
                std::process::exit(2);
            }
        }
    };
    let runs = number(0, 50_000);
    let threads = number(1, 2) as usize;
    let trajectory = args.get(2).is_none_or(|a| a != "outcomes-only");
    let scenario = match sidelines_scenario::load_embedded(sidelines_scenario::DEFAULT_SCENARIO) {
        Some(Ok(s)) => Arc::new(s),
        _ => unreachable!("the default scenario is embedded and valid"),
    };
    let start = Instant::now();
    let seeds: Vec<u64> = (0..runs).map(|r| run_seed(1, 0, r)).collect();
    let part = seeds.len().div_ceil(threads);
    let kept: u64 = std::thread::scope(|scope| {
        let workers: Vec<_> = seeds
            .chunks(part)
            .map(|seeds| {
                let scenario = scenario.clone();
                scope.spawn(move || {
                    let mut floor = Floor::new(scenario).expect("the default scenario builds");
                    let mut out = RunOutput::default();
                    let mut settled = 0u64;
                    for &seed in seeds {
                        floor.run(seed, trajectory, &mut out);
                        settled += u64::from(out.outcomes.first().is_some_and(|v| {
                            matches!(v, sidelines_model::Value::Text(t) if t.starts_with("settlement"))
                        }));
                    }
                    settled
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a floor thread")).sum()
    });
    let secs = start.elapsed().as_secs_f64();
    println!(
        "floor: {runs} runs on {threads} threads in {secs:.2} s: {:.0} runs/s ({kept} settlements)",
        runs as f64 / secs
    );
}
