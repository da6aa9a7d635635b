//! The explorer's runs: one job at a time (a newer setting cancels the older), each refined in
//! growing chunks of paired runs, its latest picture kept for the page to fetch.
//!
//! A job holds one or two settings (A and B). Both run on the same seeds (common random
//! numbers: replicate r of either setting uses seed `run_seed(seed, 0, r)`), so the difference
//! between them is measured run by run and its interval is that of a paired mean. Chunks grow
//! (2,000 runs in all, then 2,000, 4,000, 8,000, 8,000, ..., shared by the settings) so the
//! first picture comes fast and later ones are finer; the seeds do not depend on the chunking, so a job's picture at N runs is the
//! batch of N runs, whatever the steps that led there.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use sidelines_experiment::{Aggregator, Control, Outcome, Plan, Row, Sink};
use sidelines_model::{OutcomeKind, Simulation, Value};
use sidelines_scenario::Scenario;

/// A job's settings: parameter values by path (only those the user changed).
pub type Values = BTreeMap<String, f64>;

/// Runs of the first picture, shared among the settings (1,000 each for A and B).
pub const FIRST_CHUNK: u64 = 2_000;
/// The largest chunk, shared among the settings: a picture at least every 8,000 runs.
const MAX_CHUNK: u64 = 8_000;

/// The latest picture of a job.
#[derive(Clone, Debug, Serialize)]
pub struct Picture {
    pub job: u64,
    pub runs: u64,
    pub target: u64,
    pub done: bool,
    pub cancelled: bool,
    pub elapsed_ms: u64,
    /// One per setting (A, then B).
    pub settings: Vec<SettingPicture>,
    /// B - A, run by run, when there are two settings.
    pub differences: Vec<Difference>,
    /// A problem that stopped the job (a bug: the settings were validated before it started).
    pub error: Option<String>,
}

/// One setting's picture.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SettingPicture {
    /// Per series key: per day, [p05, p25, p50, p75, p95].
    pub bands: BTreeMap<String, Vec<[f32; 5]>>,
    pub shares: Vec<SharePicture>,
    pub means: Vec<MeanPicture>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SharePicture {
    pub outcome: String,
    pub value: &'static str,
    pub share: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct MeanPicture {
    pub outcome: String,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// A paired difference B - A: of a share (`value` set) or of a mean.
#[derive(Clone, Debug, Serialize)]
pub struct Difference {
    pub outcome: String,
    pub value: Option<&'static str>,
    pub a: f64,
    pub b: f64,
    pub difference: f64,
    /// 95% interval of the mean paired difference (normal, n - 1 variance).
    pub low: f64,
    pub high: f64,
}

/// One running or finished job.
#[derive(Debug)]
pub struct Job {
    pub id: u64,
    stop: AtomicBool,
    picture: Mutex<Picture>,
    /// Bumped each time the picture changes, so a page asks for it only then.
    pub version: AtomicU64,
}

impl Job {
    pub fn picture(&self) -> Picture {
        self.picture.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn cancel(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    fn publish(&self, picture: Picture) {
        *self.picture.lock().unwrap_or_else(|p| p.into_inner()) = picture;
        self.version.fetch_add(1, Ordering::SeqCst);
    }
}

/// What every job shares.
#[derive(Debug)]
pub struct Runner {
    pub pool: rayon::ThreadPool,
    pub seed: u64,
    /// Runs per setting a job stops at.
    pub runs: u64,
    /// The series whose bands a picture holds.
    pub series: Vec<String>,
    next_id: AtomicU64,
    current: Mutex<Option<Arc<Job>>>,
    /// Held by the job that runs: a newer one waits for the older to stop at its next block,
    /// so a burst of requests never holds more than one job's memory.
    gate: Mutex<()>,
}

impl Runner {
    pub fn new(pool: rayon::ThreadPool, seed: u64, runs: u64, series: Vec<String>) -> Runner {
        Runner {
            pool,
            seed,
            runs,
            series,
            next_id: AtomicU64::new(1),
            current: Mutex::new(None),
            gate: Mutex::new(()),
        }
    }

    /// Starts a job for `settings` (one or two validated scenarios of the same shape), cancelling
    /// the one before; returns it at once (its picture fills as runs finish).
    pub fn start(self: &Arc<Self>, settings: Vec<Arc<Scenario>>) -> Arc<Job> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let job = Arc::new(Job {
            id,
            stop: AtomicBool::new(false),
            picture: Mutex::new(Picture {
                job: id,
                runs: 0,
                target: self.runs,
                done: false,
                cancelled: false,
                elapsed_ms: 0,
                settings: Vec::new(),
                differences: Vec::new(),
                error: None,
            }),
            version: AtomicU64::new(0),
        });
        {
            let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(old) = current.replace(job.clone()) {
                old.cancel();
            }
        }
        let runner = self.clone();
        let worker = job.clone();
        std::thread::spawn(move || runner.run(&worker, settings));
        job
    }

    /// The job with this id, if it is the current one.
    pub fn job(&self, id: u64) -> Option<Arc<Job>> {
        let current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        current.as_ref().filter(|j| j.id == id).cloned()
    }

    fn run(&self, job: &Job, settings: Vec<Arc<Scenario>>) {
        let _running = self.gate.lock().unwrap_or_else(|p| p.into_inner());
        let started = Instant::now();
        // Superseded while it waited: nothing to run.
        let result = if job.stop.load(Ordering::SeqCst) {
            Ok(false)
        } else {
            // A panic here would be a bug; the page is told, rather than left polling a job
            // that never ends.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.chunks(job, &settings, started)
            }))
            .unwrap_or_else(|_| Err(String::from("a bug: the runs panicked (see the terminal)")))
        };
        let mut picture = job.picture();
        picture.elapsed_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(complete) => {
                picture.done = complete;
                picture.cancelled = !complete;
            }
            Err(e) => {
                picture.error = Some(e);
                picture.done = true;
            }
        }
        job.publish(picture);
    }

    /// Runs the job chunk by chunk; `Ok(false)` when it was cancelled.
    fn chunks(
        &self,
        job: &Job,
        settings: &[Arc<Scenario>],
        started: Instant,
    ) -> Result<bool, String> {
        let plan = Plan {
            points: settings.to_vec(),
            replicates: self.runs,
            master_seed: self.seed,
            trajectories: 0,
            timeseries: true,
            common_random_numbers: true,
            first_point: 0,
            per_run: None,
        };
        let sim = Simulation::new(settings[0].clone()).map_err(|e| e.to_string())?;
        let mut aggregators =
            sidelines_experiment::empty_aggregators(&plan).map_err(|e| e.to_string())?;
        let mut sink = Collect::new(&sim, settings.len());
        let mut done = 0;
        let first = FIRST_CHUNK / settings.len() as u64;
        let mut chunk = first;
        while done < self.runs {
            let end = (done + chunk).min(self.runs);
            for p in 0..settings.len() as u64 {
                let first = p * self.runs;
                let control = Control {
                    stop: &job.stop,
                    progress: &mut |_| {},
                    checkpoint_every: Duration::MAX,
                    runs_per_world: sidelines_experiment::RUNS_PER_WORLD,
                };
                let range = first + done..first + end;
                match sidelines_experiment::execute(
                    &plan,
                    &self.pool,
                    range,
                    aggregators,
                    &mut sink,
                    control,
                ) {
                    Ok(Outcome::Complete(a)) => aggregators = a,
                    Ok(Outcome::Interrupted { .. }) => return Ok(false),
                    Err(e) => return Err(e.to_string()),
                }
            }
            done = end;
            let picture = Picture {
                job: job.id,
                runs: done,
                target: self.runs,
                done: false,
                cancelled: false,
                elapsed_ms: started.elapsed().as_millis() as u64,
                settings: aggregators.iter().map(|a| self.setting(&sim, a)).collect(),
                differences: sink.differences(&sim),
                error: None,
            };
            job.publish(picture);
            if job.stop.load(Ordering::SeqCst) {
                return Ok(false);
            }
            let most = MAX_CHUNK / settings.len() as u64;
            chunk = if done == first { first } else { (chunk * 2).min(most) };
        }
        Ok(true)
    }

    fn setting(&self, sim: &Simulation, agg: &Aggregator) -> SettingPicture {
        let names: Vec<String> =
            sim.series().iter().map(|s| series_key(&s.actor, &s.variable)).collect();
        let mut bands: BTreeMap<String, Vec<[f32; 5]>> = BTreeMap::new();
        for b in agg.bands() {
            let key = &names[b.series];
            if self.series.contains(key) {
                bands
                    .entry(key.clone())
                    .or_default()
                    .push([b.p05, b.p25, b.p50, b.p75, b.p95].map(round4));
            }
        }
        let shares = agg
            .shares()
            .into_iter()
            .map(|s| SharePicture {
                outcome: s.outcome,
                value: s.value,
                share: s.share,
                low: s.ci95_low,
                high: s.ci95_high,
            })
            .collect();
        let means = agg
            .summaries()
            .into_iter()
            .map(|s| MeanPicture {
                outcome: s.outcome,
                mean: s.mean,
                low: s.ci95_low,
                high: s.ci95_high,
            })
            .collect();
        SettingPicture { bands, shares, means }
    }
}

/// A band's value to four decimals (the bins are 1/256 wide): short JSON, the same picture.
fn round4(x: f64) -> f32 {
    ((x * 1e4).round() / 1e4) as f32
}

/// A recorded series' key: the outcome-style name `kp_belief_deal_seeker`.
pub fn series_key(actor: &str, variable: &str) -> String {
    format!("{}_{variable}", actor.to_lowercase())
}

/// Folds the paired differences in as rows arrive: setting A's rows wait (a chunk at most) for
/// B's rows of the same replicates, then each pair is added to running sums and dropped, so
/// memory stays that of one chunk whatever the number of runs.
struct Collect {
    /// What each sum is of: (outcome index, category label or None for a mean).
    items: Vec<(usize, Option<&'static str>)>,
    sums: Vec<PairSums>,
    /// A's outcomes by replicate, until B's arrive (empty for one setting).
    waiting: HashMap<u64, Vec<Value>>,
    paired: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct PairSums {
    n: f64,
    a: f64,
    b: f64,
    d: f64,
    dd: f64,
}

impl Collect {
    fn new(sim: &Simulation, settings: usize) -> Collect {
        let mut items = Vec::new();
        for (k, kind) in sim.outcome_kinds().iter().enumerate() {
            match kind {
                OutcomeKind::Category(labels) => items.extend(labels.iter().map(|l| (k, Some(*l)))),
                OutcomeKind::Unit => items.push((k, None)),
                OutcomeKind::Day => {}
            }
        }
        Collect {
            sums: vec![PairSums::default(); items.len()],
            items,
            waiting: HashMap::new(),
            paired: settings == 2,
        }
    }

    fn add_pair(&mut self, a: &[Value], b: &[Value]) {
        for ((k, label), s) in self.items.iter().zip(&mut self.sums) {
            let (Some(x), Some(y)) = (a.get(*k), b.get(*k)) else { continue };
            let value = |v: &Value| match (label, v) {
                (Some(l), Value::Text(t)) => Some(f64::from(u8::from(t == l))),
                (Some(l), Value::Flag(f)) => Some(f64::from(u8::from(flag_label(*f) == *l))),
                (Some(_), _) => Some(0.0),
                (None, v) => v.as_number(),
            };
            if let (Some(x), Some(y)) = (value(x), value(y)) {
                s.n += 1.0;
                s.a += x;
                s.b += y;
                s.d += y - x;
                s.dd += (y - x) * (y - x);
            }
        }
    }

    /// B - A for every share and mean over the pairs so far.
    fn differences(&self, sim: &Simulation) -> Vec<Difference> {
        if !self.paired {
            return Vec::new();
        }
        let names = sim.outcome_names();
        self.items
            .iter()
            .zip(&self.sums)
            .filter(|(_, s)| s.n > 1.0)
            .map(|((k, label), s)| {
                let mean = s.d / s.n;
                let var = ((s.dd - s.n * mean * mean) / (s.n - 1.0)).max(0.0);
                let half = 1.96 * (var / s.n).sqrt();
                Difference {
                    outcome: names[*k].clone(),
                    value: *label,
                    a: s.a / s.n,
                    b: s.b / s.n,
                    difference: mean,
                    low: mean - half,
                    high: mean + half,
                }
            })
            .collect()
    }
}

fn flag_label(f: bool) -> &'static str {
    if f { "true" } else { "false" }
}

impl Sink for Collect {
    fn rows(&mut self, rows: &[Row]) -> std::io::Result<()> {
        if !self.paired {
            return Ok(());
        }
        for r in rows {
            match r.point {
                0 => {
                    self.waiting.insert(r.replicate, r.output.outcomes.clone());
                }
                _ => {
                    if let Some(a) = self.waiting.remove(&r.replicate) {
                        self.add_pair(&a, &r.output.outcomes);
                    }
                }
            }
        }
        Ok(())
    }

    fn checkpoint(&mut self, _next_run: u64, _aggregators: &[Aggregator]) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paired_difference_has_the_interval_of_its_mean() {
        // d = 1, 0, 1, 0: mean 0.5, sample variance 1/3, half-width 1.96 * sqrt(1/12).
        let sim = Simulation::new(Arc::new(
            sidelines_scenario::load_embedded("ukraine-watch").expect("embedded").expect("valid"),
        ))
        .expect("builds");
        let mut c = Collect::new(&sim, 2);
        let k = sim.outcome_names().iter().position(|n| n == "kp_accepts_talks").expect("a flag");
        let with = |f: bool| {
            let mut v = vec![Value::Missing; sim.outcome_names().len()];
            v[k] = Value::Flag(f);
            v
        };
        for (x, y) in [(false, true), (true, true), (false, true), (false, false)] {
            c.add_pair(&with(x), &with(y));
        }
        let d = c
            .differences(&sim)
            .into_iter()
            .find(|d| d.outcome == "kp_accepts_talks" && d.value == Some("true"))
            .expect("a difference");
        assert_eq!((d.a, d.b, d.difference), (0.25, 0.75, 0.5));
        let half = 1.96 * (1.0_f64 / 12.0).sqrt();
        assert!((d.high - 0.5 - half).abs() < 1e-12 && (0.5 - d.low - half).abs() < 1e-12);
    }
}
