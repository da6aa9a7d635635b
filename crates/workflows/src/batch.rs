//! A Monte Carlo batch: many seeded runs of one scenario (or of one scenario per run, for a
//! posterior replay), streamed to the runs table, aggregated, checkpointed and resumable.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use sidelines_experiment::{Aggregator, Control, Outcome, Plan, Shard, empty_aggregators, execute};
use sidelines_model::Simulation;
use sidelines_report::TableFormat;
use sidelines_report::batch::{BATCH_FILES, BatchWriter, Identity};
use sidelines_report::checkpoint::CHECKPOINT;
use sidelines_report::columns::{self, FolderKind};
use sidelines_report::manifest::{Kind, Manifest};
use sidelines_scenario::Scenario;

use crate::error::{Context, Error, Result};
use crate::exec::{Exec, Hooks};
use crate::inputs::{fresh_dir, guard_out_dir, latest_unfinished, threads};

/// What to run: `runs` runs of `scenario` from `seed`.
#[derive(Clone, Debug)]
pub struct BatchSpec {
    /// The scenario as the user named it (an embedded name or a path): the line that continues
    /// an interrupted batch names it again.
    pub scenario_arg: String,
    pub scenario: Arc<Scenario>,
    pub runs: u64,
    /// Run r's seed is a pure function of (seed, point 0, replicate r).
    pub seed: u64,
    /// Also write the full trajectories of the first `trajectories` runs.
    pub trajectories: u64,
    pub exec: Exec,
}

/// What kind of batch this is: its manifest's kind and own fields, and the command that
/// continues it.
#[derive(Debug)]
pub struct Job {
    /// The manifest's kind and the fields of that kind (a replay's timeline); the batch fills
    /// in the rest.
    pub manifest: Manifest,
    /// How `sidelines <command> ...` continues an interrupted one (the part after the binary).
    pub command: String,
    /// Each run's own scenario (a posterior predictive replay), in place of `scenario`.
    pub per_run: Option<Arc<Vec<Arc<Scenario>>>>,
    /// Files that do not depend on the runs (a replay's record.csv): written into every folder,
    /// shards included, and copied by `merge`.
    pub files: Vec<(&'static str, Vec<u8>)>,
}

impl Job {
    /// A plain `sidelines batch`.
    pub fn batch() -> Job {
        Job {
            manifest: Manifest::new(Kind::Batch, &[]),
            command: String::from("batch"),
            per_run: None,
            files: Vec::new(),
        }
    }
}

/// Files written into a whole batch's folder before it is finished (from its aggregate, so not
/// into a shard's: `merge` writes them).
pub type Finish<'a> = dyn FnMut(&Path, &Simulation, &Aggregator) -> Result<()> + 'a;

/// A finished batch (or shard of one).
#[derive(Debug)]
pub struct Batch {
    /// The results folder.
    pub dir: PathBuf,
    pub sim: Simulation,
    /// Every outcome's distribution over this folder's runs.
    pub aggregate: Aggregator,
    /// Runs in the whole batch (in a shard, its end).
    pub runs: u64,
    /// Runs done by this call (less than `runs` after a resume).
    pub done_here: u64,
    pub elapsed_seconds: f64,
    /// The shard this folder holds, and its runs.
    pub shard: Option<(Shard, std::ops::Range<u64>)>,
}

/// Runs a plain batch.
pub fn batch(spec: &BatchSpec, hooks: Hooks<'_>) -> Result<Batch> {
    run_job(spec, Job::batch(), &mut |_, _, _| Ok(()), hooks)
}

/// Runs `spec` as the batch `job` describes; `finish` adds files to a whole batch's folder.
pub fn run_job(
    spec: &BatchSpec,
    job: Job,
    finish: &mut Finish<'_>,
    hooks: Hooks<'_>,
) -> Result<Batch> {
    let exec = &spec.exec;
    let scenario = &spec.scenario;
    let threads = threads(exec.threads);
    let shard = crate::shard::parse(exec.shard.as_deref())?;
    let runs = shard.map_or(0..spec.runs, |s| s.slice(spec.runs));
    let plan = Plan {
        points: vec![scenario.clone()],
        replicates: spec.runs,
        master_seed: spec.seed,
        trajectories: spec.trajectories.min(spec.runs),
        timeseries: true,
        common_random_numbers: false,
        first_point: 0,
        per_run: job.per_run.clone(),
    };
    let mut identity =
        Identity::new(env!("CARGO_PKG_VERSION"), scenario, spec.runs, spec.seed, plan.trajectories);
    identity.shard = shard.map(|s| (s.index, s.count));
    let sim = Simulation::new(scenario.clone())?;
    let mut aggregators = empty_aggregators(&plan)?;

    let fresh_start = exec.resume
        && exec
            .out
            .as_ref()
            .is_some_and(|d| !d.join(CHECKPOINT).exists() && !d.join("runs.csv").exists());
    if fresh_start {
        hooks.progress.note("nothing was checkpointed yet; starting from run 0");
    }
    let (dir, mut writer, next_run) = if exec.resume && !fresh_start {
        let dir = match &exec.out {
            Some(d) => d.clone(),
            None => latest_unfinished(&scenario.name)?,
        };
        let (w, next) = BatchWriter::resume(&dir, identity, &sim, &mut aggregators)?;
        (dir, w, next)
    } else {
        // With --resume but nothing checkpointed yet (killed before the first checkpoint),
        // there is nothing to continue: it starts over.
        let dir = match &exec.out {
            Some(d) => {
                guard_out_dir(d, &BATCH_FILES, exec.force || fresh_start)?;
                d.clone()
            }
            None => fresh_dir(&scenario.name)?,
        };
        let w = BatchWriter::create(&dir, identity, &sim, &aggregators, runs.start)
            .context(|| format!("starting a batch in {}", dir.display()))?;
        (dir, w, runs.start)
    };

    let pool = crate::inputs::worker_pool(Some(threads as u64))?;
    let total = runs.end;
    let started = Instant::now();
    hooks.progress.begin(next_run, total);
    let progress = hooks.progress;
    let mut report = |done: u64| progress.update(done);
    let control = Control {
        stop: hooks.stop,
        progress: &mut report,
        checkpoint_every: exec.checkpoint_every,
        runs_per_world: exec.runs_per_world,
    };
    let continue_line = format!(
        "sidelines {} {} --runs {} --seed {} --trajectories {}{} --out {} --resume",
        job.command,
        spec.scenario_arg,
        spec.runs,
        spec.seed,
        plan.trajectories,
        exec.continue_flags(),
        dir.display()
    );
    let outcome = execute(&plan, &pool, next_run..runs.end, aggregators, &mut writer, control);
    progress.end();
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            let kept = writer.abandon();
            return Err(Error::Stopped {
                dir,
                what: job.manifest.kind.name(),
                cause: e.to_string(),
                kept,
                resume: continue_line,
            });
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    let aggregators = match outcome {
        Outcome::Interrupted { next_run } => {
            return Err(Error::Interrupted { dir, next_run, total, resume: continue_line });
        }
        Outcome::Complete(aggregators) => aggregators,
    };
    let done_here = total - next_run;
    for (name, bytes) in &job.files {
        sidelines_report::write_atomic(&dir.join(name), bytes)?;
    }
    let replay = job.manifest.kind == Kind::Replay;
    let mut manifest = Manifest {
        scenario: Some(scenario.name.clone()),
        seed: Some(spec.seed),
        runs: Some(spec.runs),
        threads: Some(threads as u64),
        trajectories: Some(plan.trajectories),
        format: Some(exec.format),
        seed_rule: Some(String::from(
            "seed(run) = splitmix64(splitmix64(master ^ splitmix64(point)) ^ splitmix64(!replicate)) >> 15, point 0, replicate = run",
        )),
        quantiles: Some(String::from(
            "nearest rank from histograms: exact for days, bins of 1/4096 for outcomes and 1/256 for time series",
        )),
        resumed_from_run: Some(next_run),
        elapsed_seconds: Some(elapsed),
        runs_per_second: Some(if elapsed > 0.0 { done_here as f64 / elapsed } else { 0.0 }),
        outcomes: Some(sidelines_report::outcomes_table(&sim)),
        columns: Some(columns::dictionary_json(
            &columns::dictionary(
                &sim,
                if replay { FolderKind::Replay } else { FolderKind::Batch },
                &[],
                plan.trajectories > 0,
            ),
            exec.format == TableFormat::Parquet,
        )),
        resolved_scenario_toml: Some(sidelines_report::resolved_toml(scenario)),
        files: (!job.files.is_empty()).then(|| job.files.iter().map(|f| f.0.to_string()).collect()),
        ..job.manifest.clone()
    };
    manifest.command.clone_from(&exec.command_line);
    if let Some(shard) = shard {
        crate::shard::mark_shard(&mut manifest, shard, "runs", runs.clone(), runs.end - runs.start);
    } else {
        finish(&dir, &sim, &aggregators[0])?;
    }
    writer.finish(&sim, &aggregators, &manifest, exec.format).context(|| {
        let what = if shard.is_some() { "shard" } else { "batch" };
        format!("finishing the {what} in {}", dir.display())
    })?;
    let aggregate = aggregators.into_iter().next().ok_or_else(|| {
        Error::Machine(String::from("a batch of one scenario returned no aggregate"))
    })?;
    Ok(Batch {
        dir,
        sim,
        aggregate,
        runs: total,
        done_here,
        elapsed_seconds: elapsed,
        shard: shard.map(|s| (s, runs)),
    })
}
