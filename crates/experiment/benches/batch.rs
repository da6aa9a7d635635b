//! Runs per second of a batch on the default scenario, measured in the same process so ratios
//! are meaningful on a noisy machine: with 1 and with 2 threads at the default number of runs
//! per world, and on one thread with 1, 8, 64 and 256 runs per world (the measurement behind
//! `RUNS_PER_WORLD`); with 1 and 2 threads also without the daily series (outcomes only: no
//! trajectory recorded, no fan-chart histograms), the layer the time series are a ratio to.
//! Each iteration runs 4,096 runs, eight blocks (aggregation of outcomes and time series
//! included; no files); building the empty aggregators is setup, not timed.
//!
//! Beside them, the floor (`sidelines_model::floor::Floor`, the same model without the ECS, one
//! run at a time, agreeing with it bit for bit): the same 4,096 seeds on 1 and 2 threads, with
//! the daily values recorded into a buffer (what the pipeline's `timeseries` layer starts from)
//! and without (outcomes only), so that every layer above it is a ratio measured in one run.
//! Threads take contiguous halves of the seeds; each floor is built in setup.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sidelines_experiment::{
    Aggregator, Control, Plan, RUNS_PER_WORLD, Row, Sink, empty_aggregators, execute,
};
use sidelines_model::RunOutput;
use sidelines_model::floor::Floor;

struct Discard;

impl Sink for Discard {
    fn rows(&mut self, rows: &[Row]) -> std::io::Result<()> {
        std::hint::black_box(rows);
        Ok(())
    }
    fn checkpoint(&mut self, _: u64, _: &[Aggregator]) -> std::io::Result<()> {
        Ok(())
    }
}

const RUNS: u64 = 4096;

fn batch(c: &mut Criterion) {
    let scenario = match sidelines_scenario::load_embedded(sidelines_scenario::DEFAULT_SCENARIO) {
        Some(Ok(s)) => Arc::new(s),
        _ => panic!("the default scenario loads"),
    };
    let plan = Plan {
        points: vec![scenario],
        replicates: RUNS,
        master_seed: 1,
        trajectories: 0,
        timeseries: true,
        common_random_numbers: false,
        first_point: 0,
        per_run: None,
    };
    // The same runs without the daily series (no trajectory recorded, no fan-chart
    // histograms): the model and the outcomes alone, the layer the aggregation is a ratio to.
    let outcomes_only = Plan { timeseries: false, ..plan.clone() };
    let mut group = c.benchmark_group("batch_default_scenario");
    group.throughput(Throughput::Elements(RUNS));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    let cases = [
        (1usize, RUNS_PER_WORLD, &plan, ""),
        (1, RUNS_PER_WORLD, &outcomes_only, "_outcomes_only"),
        (2, RUNS_PER_WORLD, &plan, ""),
        (2, RUNS_PER_WORLD, &outcomes_only, "_outcomes_only"),
        (1, 1, &plan, ""),
        (1, 8, &plan, ""),
        (1, 256, &plan, ""),
    ];
    for (threads, per_world, plan, what) in cases {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        group.bench_function(format!("{threads}_threads_{per_world}_per_world{what}"), |b| {
            b.iter_batched(
                || empty_aggregators(plan).expect("builds"),
                |aggs| {
                    let stop = AtomicBool::new(false);
                    let mut progress = |_| {};
                    let control = Control {
                        stop: &stop,
                        progress: &mut progress,
                        checkpoint_every: Duration::from_secs(3600),
                        runs_per_world: per_world,
                    };
                    execute(plan, &pool, 0..RUNS, aggs, &mut Discard, control).expect("runs")
                },
                BatchSize::LargeInput,
            )
        });
    }
    let seeds: Vec<u64> = (0..RUNS).map(|r| sidelines_experiment::run_seed(1, 0, r)).collect();
    for threads in [1usize, 2] {
        for (trajectory, what) in [(true, ""), (false, "_outcomes_only")] {
            group.bench_function(format!("floor_{threads}_threads{what}"), |b| {
                b.iter_batched(
                    || {
                        (0..threads)
                            .map(|_| Floor::new(plan.points[0].clone()).expect("builds"))
                            .collect::<Vec<_>>()
                    },
                    |mut floors| {
                        let part = seeds.len().div_ceil(threads);
                        std::thread::scope(|scope| {
                            for (floor, seeds) in floors.iter_mut().zip(seeds.chunks(part)) {
                                scope.spawn(move || {
                                    let mut out = RunOutput::default();
                                    for &seed in seeds {
                                        floor.run(seed, trajectory, &mut out);
                                        std::hint::black_box(&out);
                                    }
                                });
                            }
                        });
                    },
                    BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
}

criterion_group!(benches, batch);
criterion_main!(benches);
