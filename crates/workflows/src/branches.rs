//! Branches: the article's scenario table, quantified. The baseline, every branch
//! variant and the 2025 record replayed and followed by a forecast, each run with the same
//! seeds, side by side: per row the talks' outcome shares, the headline outcomes with their
//! intervals, and each row's paired difference from the baseline.
//!
//! Pairing: run r of every row has the seed `run_seed(seed, 0, r)`, the seed of run r of
//! `sidelines batch ROW --seed SEED`, so a row's figures are those of that batch, and the
//! difference from the baseline is taken run by run. Paired differences cancel the noise the
//! rows share (perception draws on the same streams), so their intervals are narrower than the
//! difference of two independent intervals.

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;
use sidelines_experiment::stats::{Z95, mean_ci, nearest_rank, wilson};
use sidelines_experiment::{RUNS_PER_WORLD, run_seed};
use sidelines_model::{OutcomeKind, Record, RunOutput, Simulation, Value};
use sidelines_scenario::{Input, RECORD_2025, Scenario, variants_of};

use sidelines_report::manifest::{self, Kind, Manifest};

use crate::error::{Error, Result, input};
use crate::inputs::{fresh_dir, guard_out_dir, load_scenario, read_input};

#[derive(Clone, Debug)]
pub struct BranchesSpec {
    /// The command recorded in the manifest.
    pub command_line: Vec<String>,
    /// The baseline: an embedded scenario name or a path to a .toml file.
    pub scenario: String,
    /// A branch to set beside the baseline (a name or a .toml file); repeat for several
    /// [default: every embedded variant of the baseline].
    pub branches: Vec<String>,
    /// The record replayed for the last row [default: the 2025 record compiled in,
    /// configs/timelines/2025.csv with its observations].
    pub timeline: Option<PathBuf>,
    /// Leave out the replay row.
    pub no_replay: bool,
    /// A finished `sidelines calibrate` folder: add the replay row again with each run's
    /// assumptions drawn from its posterior (the forecast under the assumptions consistent
    /// with the record, beside the forecast under the prior).
    pub posterior: Option<PathBuf>,
    /// Days forecast after the record's last day in the replay row.
    pub then: u32,
    /// Runs per row (at most 1,000,000: every run's measures are held in memory, about
    /// 500 bytes a run and row).
    pub runs: u64,
    /// Master seed; run r of every row has the seed of run r of a batch with this seed.
    pub seed: u64,
    /// Worker threads [default: all cores; at most 4 per core]; results do not depend on it.
    pub threads: Option<u64>,
    /// Output folder [default: outputs/branches/<date>T<time>Z/].
    pub out: Option<PathBuf>,
    /// Write into --out even if it already holds results.
    pub force: bool,
}

/// Files a branches folder holds; one holding any is not overwritten without --force.
const FILES: [&str; 2] = ["branches.csv", "manifest.json"];

/// One row of the table: a scenario and the outcomes of its runs.
struct Branch {
    name: String,
    description: String,
    scenario: Arc<Scenario>,
    /// The last simulated date.
    end_date: String,
    /// The measured columns of the outcome table: (name, kind, headline).
    sim_outcomes: Vec<(String, OutcomeKind, bool)>,
    /// Per run, in seed order: the outcomes in `sim_outcomes` order.
    runs: Vec<Vec<Value>>,
}

impl Branch {
    fn column(&self, name: &str) -> Option<Vec<&Value>> {
        let k = self.sim_outcomes.iter().position(|(n, _, _)| n == name)?;
        Some(self.runs.iter().map(|r| &r[k]).collect())
    }
}

/// One line of branches.csv.
#[derive(Clone, Debug)]
struct Line {
    branch: String,
    outcome: String,
    /// The category for a share; the date of the median for a day.
    value: String,
    runs: u64,
    estimate: f64,
    low: f64,
    high: f64,
    /// Paired difference from the baseline with its 95% interval (none for the baseline and
    /// for days, which exist in different runs).
    diff: Option<(f64, f64, f64)>,
}

/// A finished branches table: its folder and the table as text.
#[derive(Debug)]
pub struct Branched {
    pub dir: PathBuf,
    pub text: String,
}

/// Runs every row with the same seeds and writes branches.csv and the manifest.
pub fn branches(spec: &BranchesSpec) -> Result<Branched> {
    let pool = crate::inputs::worker_pool(spec.threads)?;
    let scenarios = load_rows(spec)?;
    let dir = match &spec.out {
        Some(d) => {
            guard_out_dir(d, &FILES, spec.force)?;
            crate::inputs::create_out(d)?;
            d.clone()
        }
        None => fresh_dir("branches")?,
    };
    let seeds: Vec<u64> = (0..spec.runs).map(|r| run_seed(spec.seed, 0, r)).collect();
    let mut branches = Vec::new();
    let mut headline = None;
    for row in scenarios {
        let (b, sim) = simulate(&pool, row, &seeds)?;
        headline.get_or_insert_with(|| sidelines_report::outcomes_table(&sim));
        branches.push(b);
    }
    let lines = table(&branches);
    sidelines_report::write_atomic(&dir.join("branches.csv"), &csv_bytes(&branches, &lines)?)?;
    let manifest = Manifest {
        scenario: Some(branches[0].name.clone()),
        seed: Some(spec.seed),
        runs: Some(spec.runs),
        branches: Some(
            branches
                .iter()
                .map(|b| manifest::Branch {
                    name: b.name.clone(),
                    description: b.description.clone(),
                    end_date: b.end_date.clone(),
                })
                .collect(),
        ),
        outcomes: Some(headline.unwrap_or_default()),
        ..Manifest::new(Kind::Branches, &spec.command_line)
    };
    manifest.write(&dir)?;
    Ok(Branched { text: print_table(&branches, &lines), dir })
}

/// One row of the table to run: its name, description and scenario, and for a posterior row
/// the scenario of each run.
struct RowSpec {
    name: String,
    description: String,
    scenario: Arc<Scenario>,
    per_run: Option<Vec<Arc<Scenario>>>,
}

fn row(name: String, description: String, scenario: Scenario) -> RowSpec {
    RowSpec { name, description, scenario: Arc::new(scenario), per_run: None }
}

/// The rows: the baseline, the branches, the replay, and the replay under a posterior.
fn load_rows(args: &BranchesSpec) -> Result<Vec<RowSpec>> {
    let baseline = load_scenario(&args.scenario)?;
    let mut rows = vec![row(baseline.name.clone(), String::from("baseline"), baseline)];
    let names: Vec<String> = if args.branches.is_empty() {
        variants_of(&rows[0].name).into_iter().map(String::from).collect()
    } else {
        args.branches.clone()
    };
    for n in &names {
        let s = load_scenario(n)?;
        if rows.iter().any(|r| r.name == s.name) {
            return Err(input(format!("--branch {n}: `{}` is already a row", s.name)));
        }
        rows.push(row(s.name.clone(), s.description.clone(), s));
    }
    if !args.no_replay {
        let replay = match &args.timeline {
            None => {
                let (name, timeline, observed) = RECORD_2025;
                let observed_name = name.replace(".csv", "-observed.csv");
                crate::replay::load_record(
                    &args.scenario,
                    Input { name, bytes: timeline.as_bytes() },
                    Some(Input { name: &observed_name, bytes: observed.as_bytes() }),
                    args.then,
                )?
            }
            Some(p) => {
                let name = p.display().to_string();
                let bytes = read_input(p)
                    .map_err(|e| input(format!("cannot read --timeline {name}: {e}")))?;
                crate::replay::load_record(
                    &args.scenario,
                    Input { name: &name, bytes: &bytes },
                    None,
                    args.then,
                )?
            }
        };
        let s = replay.scenario;
        let description = format!(
            "the record to {}, then {} days of forecast",
            s.date(replay.last_day),
            args.then
        );
        let name = format!("replay+{}d", args.then);
        if let Some(dir) = &args.posterior {
            let per_run = crate::posterior::posterior_runs(dir, &s, args.runs as usize)?.runs;
            rows.push(row(name.clone(), description.clone(), s.clone()));
            let description = format!("{description}, assumptions from {}", dir.display());
            let scenario = rows[rows.len() - 1].scenario.clone();
            rows.push(RowSpec {
                name: format!("{name} posterior"),
                description,
                scenario,
                per_run: Some(per_run),
            });
        } else {
            rows.push(row(name, description, s));
        }
    }
    Ok(rows)
}

/// Runs every seed of one row, in blocks of `RUNS_PER_WORLD` runs to a world.
fn simulate(pool: &rayon::ThreadPool, row: RowSpec, seeds: &[u64]) -> Result<(Branch, Simulation)> {
    let RowSpec { name, description, scenario, per_run } = row;
    let sim = Simulation::new(scenario.clone())?;
    if let Some(per_run) = &per_run
        && let Some(s) = per_run.iter().find(|s| !sim.fits(s))
    {
        return Err(Error::Machine(format!(
            "{}: a posterior point cannot share a world with {}",
            s.name, scenario.name
        )));
    }
    // Only the measures are kept: the headline outcomes and the days of acceptance.
    let keep: Vec<usize> = sim
        .outcomes()
        .iter()
        .enumerate()
        .filter(|(_, o)| o.headline || o.name.ends_with("_accepts_talks_day"))
        .map(|(k, _)| k)
        .collect();
    let capacity = RUNS_PER_WORLD as usize;
    let blocks: Vec<Vec<Vec<Value>>> = pool.install(|| {
        seeds
            .par_chunks(capacity)
            .enumerate()
            .map_init(
                || Simulation::with_capacity(scenario.clone(), capacity),
                |sim, (c, block)| {
                    let Ok(sim) = sim else { return Vec::new() };
                    let mut outs = vec![RunOutput::default(); block.len()];
                    match &per_run {
                        None => sim.run_block(block, Record::default(), &mut outs),
                        Some(per_run) => {
                            let runs: Vec<(Arc<Scenario>, u64)> = block
                                .iter()
                                .enumerate()
                                .map(|(i, seed)| (per_run[c * capacity + i].clone(), *seed))
                                .collect();
                            // Every point was checked to fit above.
                            if sim.run_mixed(&runs, Record::default(), &mut outs).is_err() {
                                return Vec::new();
                            }
                        }
                    }
                    outs.into_iter()
                        .map(|o| keep.iter().map(|&k| o.outcomes[k].clone()).collect())
                        .collect()
                },
            )
            .collect()
    });
    let runs: Vec<Vec<Value>> = blocks.into_iter().flatten().collect();
    // `Simulation::new` succeeded above and every point was checked to fit, so every block
    // ran; a short result would misalign the pairing, so it is an error, not a row.
    if runs.len() != seeds.len() {
        return Err(Error::Machine(format!(
            "{name}: {} of {} runs came back",
            runs.len(),
            seeds.len()
        )));
    }
    let all = sim.outcomes();
    let sim_outcomes =
        keep.iter().map(|&k| (all[k].name.clone(), all[k].kind, all[k].headline)).collect();
    let end_date = scenario.date(scenario.horizon_days.saturating_sub(1));
    Ok((Branch { name, description, scenario, end_date, sim_outcomes, runs }, sim))
}

/// The measures: every category of `talks_outcome`, then the baseline's headline outcomes
/// (a flag as the share of `true`), then the day of each acceptance.
fn table(branches: &[Branch]) -> Vec<Line> {
    let base = &branches[0];
    let measures: Vec<(String, OutcomeKind)> =
        base.sim_outcomes.iter().map(|(name, kind, _)| (name.clone(), *kind)).collect();
    let mut lines = Vec::new();
    for b in branches {
        for (name, kind) in &measures {
            let (Some(col), Some(base_col)) = (b.column(name), base.column(name)) else {
                continue;
            };
            // A row that ends on another day than the baseline (a replay with its forecast) is
            // not compared with it: a difference would mix the branch with the date.
            let paired = b.name != base.name && b.end_date == base.end_date;
            match kind {
                OutcomeKind::Category(labels) => {
                    let labels: &[&str] =
                        if labels == &sidelines_model::FLAG_VALUES { &["true"] } else { labels };
                    for label in labels {
                        let is = |v: &Value| match v {
                            Value::Text(t) => t == label,
                            Value::Flag(f) => (*label == "true") == *f,
                            _ => false,
                        };
                        let hits = col.iter().filter(|v| is(v)).count() as u64;
                        let n = col.len() as u64;
                        let (share, low, high) = wilson(hits, n);
                        let diff = paired.then(|| {
                            let d: Vec<f64> = col
                                .iter()
                                .zip(&base_col)
                                .map(|(x, y)| {
                                    f64::from(u8::from(is(x))) - f64::from(u8::from(is(y)))
                                })
                                .collect();
                            interval(&d)
                        });
                        lines.push(Line {
                            branch: b.name.clone(),
                            outcome: name.clone(),
                            value: label.to_string(),
                            runs: n,
                            estimate: share,
                            low,
                            high,
                            diff,
                        });
                    }
                }
                OutcomeKind::Unit => {
                    let pairs: Vec<(f64, f64)> = col
                        .iter()
                        .zip(&base_col)
                        .filter_map(|(x, y)| Some((x.as_number()?, y.as_number()?)))
                        .collect();
                    let xs: Vec<f64> = pairs.iter().map(|p| p.0).collect();
                    let (m, lo, hi) = interval(&xs);
                    let diff = paired
                        .then(|| interval(&pairs.iter().map(|(x, y)| x - y).collect::<Vec<_>>()));
                    lines.push(Line {
                        branch: b.name.clone(),
                        outcome: name.clone(),
                        value: String::new(),
                        runs: xs.len() as u64,
                        estimate: m,
                        low: lo,
                        high: hi,
                        diff,
                    });
                }
                OutcomeKind::Day => {
                    let mut days: Vec<f64> = col.iter().filter_map(|v| v.as_number()).collect();
                    days.sort_by(f64::total_cmp);
                    let Some((median, low, high)) = median_interval(&days) else { continue };
                    lines.push(Line {
                        branch: b.name.clone(),
                        outcome: name.clone(),
                        value: b.scenario.date(median as u32),
                        runs: days.len() as u64,
                        estimate: median,
                        low,
                        high,
                        diff: None,
                    });
                }
            }
        }
    }
    lines
}

/// Mean and its 95% interval: (mean, low, high).
fn interval(xs: &[f64]) -> (f64, f64, f64) {
    let (m, h) = mean_ci(xs, Z95);
    (m, m - h, m + h)
}

/// The median of a sorted sample and its 95% distribution-free interval: the order statistics
/// at ranks n/2 ∓ 1.96·√n/2 (the binomial(n, 1/2) count below the median, normal
/// approximation), clamped to the sample.
fn median_interval(sorted: &[f64]) -> Option<(f64, f64, f64)> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let median = sorted[nearest_rank(n as u64, 0.5) as usize - 1];
    let half = Z95 * (n as f64).sqrt() / 2.0;
    let lo = ((n as f64 / 2.0 - half).floor() as usize).clamp(1, n);
    let hi = ((n as f64 / 2.0 + half).ceil() as usize + 1).clamp(1, n);
    Some((median, sorted[lo - 1], sorted[hi - 1]))
}

fn csv_bytes(branches: &[Branch], lines: &[Line]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "branch",
        "description",
        "end_date",
        "outcome",
        "value",
        "runs",
        "estimate",
        "ci95_low",
        "ci95_high",
        "diff",
        "diff_ci95_low",
        "diff_ci95_high",
    ])?;
    let f = |x: f64| sidelines_report::format_optional(x);
    for l in lines {
        let Some(b) = branches.iter().find(|b| b.name == l.branch) else { continue };
        let (d, dl, dh) = match l.diff {
            Some((d, lo, hi)) => (f(d), f(lo), f(hi)),
            None => Default::default(),
        };
        w.write_record([
            l.branch.clone(),
            b.description.clone(),
            b.end_date.clone(),
            l.outcome.clone(),
            l.value.clone(),
            l.runs.to_string(),
            f(l.estimate),
            f(l.low),
            f(l.high),
            d,
            dl,
            dh,
        ])?;
    }
    crate::error::csv_bytes(w)
}

/// The table printed: one row per measure, one column per branch. A share or mean, then `+` or
/// `-` where the paired difference from the baseline has a 95% interval above or below zero;
/// days as the date of the median.
fn print_table(branches: &[Branch], lines: &[Line]) -> String {
    use sidelines_report::charts::{outcome_words, value_words};
    let mut t = String::from("rows, with the same seeds:\n");
    for (i, b) in branches.iter().enumerate() {
        t.push_str(&format!("  [{i}] {:<22} to {}  {}\n", b.name, b.end_date, b.description));
    }
    let mut measures: Vec<(String, String)> = Vec::new();
    for l in lines {
        let key = (l.outcome.clone(), l.value.clone());
        let key =
            if l.outcome.ends_with("_day") { (l.outcome.clone(), String::new()) } else { key };
        if !measures.contains(&key) {
            measures.push(key);
        }
    }
    let label_of = |(outcome, value): &(String, String)| match outcome.as_str() {
        "talks_outcome" => format!("talks: {}", value_words(outcome, value)),
        o if o.ends_with("_day") => {
            format!("{}: date", outcome_words(o.strip_suffix("_day").unwrap_or(o)))
        }
        o => outcome_words(o),
    };
    let width = measures.iter().map(|m| label_of(m).chars().count()).max().unwrap_or(0) + 2;
    t.push_str(&format!("\n{:<width$}", ""));
    for i in 0..branches.len() {
        t.push_str(&format!("{:>12}", format!("[{i}]")));
    }
    t.push('\n');
    for (outcome, value) in &measures {
        let label = label_of(&(outcome.clone(), value.clone()));
        t.push_str(&format!("{label:<width$}"));
        for b in branches {
            let cell = lines
                .iter()
                .find(|l| {
                    l.branch == b.name
                        && l.outcome == *outcome
                        && (outcome.ends_with("_day") || l.value == *value)
                })
                .map_or(String::from("-"), |l| {
                    if outcome.ends_with("_day") {
                        return l.value.clone();
                    }
                    let mark = match l.diff {
                        Some((_, lo, _)) if lo > 0.0 => "+",
                        Some((_, _, hi)) if hi < 0.0 => "-",
                        _ => " ",
                    };
                    format!("{:.3}{mark}", l.estimate)
                });
            t.push_str(&format!("{cell:>12}"));
        }
        t.push('\n');
    }
    t.push_str(
        "\nshares of runs and means at each row's last date; + or -: the paired difference from [0]\n\
         has a 95% interval above or below zero; days: the date of the median among the runs\n\
         where it happened. branches.csv has every interval and difference.\n",
    );
    let apart: Vec<String> = branches
        .iter()
        .enumerate()
        .filter(|(_, b)| b.end_date != branches[0].end_date)
        .map(|(i, _)| format!("[{i}]"))
        .collect();
    if !apart.is_empty() {
        t.push_str(&format!(
            "{} {} on another day than [0] ({}): not compared with it.\n",
            apart.join(", "),
            if apart.len() == 1 { "ends" } else { "end" },
            branches[0].end_date
        ));
    }
    t
}
