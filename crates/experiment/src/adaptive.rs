//! Adaptive replication: replicate each design point until the 95% interval of one outcome's
//! mean is as tight as asked, or a cap is reached.
//!
//! Points are taken in order. A point runs in rounds of `min` replicates (the last capped at
//! `max`); after each complete round the half-width 1.96 · sd / √n of the outcome's mean over the
//! point's replicates decides whether to stop. Decisions are taken only at round boundaries and
//! depend only on the replicates' values, which are pure functions of their seeds, so the
//! number of replicates of every point, and every byte written, is the same whatever the thread
//! count or interruptions. Rounds run on the pool like any batch.

use std::sync::Arc;

use sidelines_model::Value;
use sidelines_scenario::Scenario;

use crate::{Aggregator, Control, Error, Outcome, Plan, Row, Sink, execute, stats};

/// The stopping rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adaptive {
    /// Index of the outcome whose mean must be precise.
    pub outcome: usize,
    pub target_half_width: f64,
    pub min: u64,
    pub max: u64,
}

/// A sink that is told when a point is complete.
pub trait PointSink: Sink {
    fn finish_point(&mut self, point: u64) -> std::io::Result<()>;
}

/// Where to start: the first point not yet complete, how many replicates it has, the outcome
/// values of those replicates, and how many rows have been written in all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resume {
    pub point: u64,
    pub replicates: u64,
    pub values: Vec<f64>,
    pub rows: u64,
}

/// Renumbers a single-point round's rows into the sweep's run order and collects the outcome.
struct RoundSink<'a, S: PointSink + ?Sized> {
    // The sweep's sink.
    inner: &'a mut S,
    rows_before: u64,
    first_replicate: u64,
    outcome: usize,
    values: &'a mut Vec<f64>,
}

impl<S: PointSink + ?Sized> Sink for RoundSink<'_, S> {
    fn rows(&mut self, rows: &[Row]) -> std::io::Result<()> {
        let renumbered: Vec<Row> = rows
            .iter()
            .map(|r| {
                if let Some(x) = r.output.outcomes.get(self.outcome).and_then(Value::as_number) {
                    self.values.push(x);
                }
                Row { run: self.rows_before + (r.replicate - self.first_replicate), ..r.clone() }
            })
            .collect();
        self.inner.rows(&renumbered)
    }

    fn checkpoint(&mut self, next_run: u64, aggregators: &[Aggregator]) -> std::io::Result<()> {
        self.inner.checkpoint(self.rows_before + (next_run - self.first_replicate), aggregators)
    }
}

/// Runs every point of `points` (from `start`) with adaptive replication.
pub fn execute_adaptive(
    points: &[Arc<Scenario>],
    rule: Adaptive,
    master_seed: u64,
    common_random_numbers: bool,
    pool: &rayon::ThreadPool,
    start: Resume,
    sink: &mut dyn PointSink,
    control: Control<'_>,
) -> Result<Outcome, Error> {
    let Control { stop, progress, checkpoint_every, runs_per_world } = control;
    let mut rows = start.rows;
    let mut values = start.values;
    let min = rule.min.max(1);
    for p in start.point..points.len() as u64 {
        if p != start.point {
            values.clear();
        }
        // Replicates run so far (counted in rows: a run where the outcome is undefined adds no
        // value).
        let mut n = if p == start.point { start.replicates } else { 0 };
        loop {
            let at_boundary = n % min == 0 || n >= rule.max;
            let enough = n >= rule.max
                || (n >= rule.min
                    && at_boundary
                    && stats::half_width_of(&values) <= rule.target_half_width);
            if enough && n > 0 {
                break;
            }
            let end = if at_boundary { (n + min).min(rule.max) } else { (n / min + 1) * min }
                .min(rule.max);
            let plan = Plan {
                points: vec![points[p as usize].clone()],
                replicates: end,
                master_seed,
                trajectories: 0,
                timeseries: false,
                common_random_numbers,
                first_point: p,
                per_run: None,
            };
            let mut round = RoundSink {
                inner: &mut *sink,
                rows_before: rows,
                first_replicate: n,
                outcome: rule.outcome,
                values: &mut values,
            };
            let done_before = rows - n;
            let mut report = |local: u64| progress(done_before + local);
            let ctl = Control { stop, progress: &mut report, checkpoint_every, runs_per_world };
            match execute(&plan, pool, n..end, Vec::new(), &mut round, ctl)? {
                Outcome::Interrupted { next_run } => {
                    return Ok(Outcome::Interrupted { next_run: rows + (next_run - n) });
                }
                Outcome::Complete(_) => {}
            }
            rows += end - n;
            n = end;
        }
        sink.finish_point(p)?;
    }
    Ok(Outcome::Complete(Vec::new()))
}
