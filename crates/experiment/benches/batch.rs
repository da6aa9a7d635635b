//! Runs per second of a batch on the default scenario, with 1 and with 2 threads, measured in
//! the same process so the ratio is meaningful on a noisy machine. Each iteration runs 256 runs
//! (aggregation of outcomes and time series included; no files).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sidelines_experiment::{Aggregator, Control, Plan, Row, Sink, empty_aggregators, execute};

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

const RUNS: u64 = 256;

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
    };
    let mut group = c.benchmark_group("batch_default_scenario");
    group.throughput(Throughput::Elements(RUNS));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        group.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| {
                let stop = AtomicBool::new(false);
                let mut progress = |_| {};
                let control = Control {
                    stop: &stop,
                    progress: &mut progress,
                    checkpoint_every: Duration::from_secs(3600),
                };
                let aggs = empty_aggregators(&plan).expect("builds");
                execute(&plan, &pool, 0, aggs, &mut Discard, control).expect("runs")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, batch);
criterion_main!(benches);
