//! A batch's folder: streaming runs.csv, checkpoints, resume, and the final tables.
//!
//! While a batch runs, rows are appended to `.runs.csv.partial` (and `.trajectories.csv.partial`)
//! and, every few seconds, a checkpoint `.checkpoint` records how many runs are done, how long
//! each partial file was at that moment, and the aggregators' state; it is written under a
//! temporary name and renamed, so it is always whole. Resuming truncates the partial files to
//! the recorded lengths, restores the aggregators and continues with the next run: the rows
//! after the checkpoint are recomputed, and since every run is a pure function of its seed the
//! finished folder is byte-identical to an uninterrupted batch. At the end the tables are
//! written, the partial files are renamed to their final names, and the checkpoint is removed:
//! a folder with a `.checkpoint` is unfinished, one without is complete.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sidelines_experiment::{Aggregator, Row, Sink};
use sidelines_model::Simulation;
use sidelines_scenario::Scenario;

use crate::checkpoint::{self, CHECKPOINT, Partial};
use crate::error::{At, Error, Result};
use crate::manifest::Manifest;
use crate::parquet::{Kind, TRAJECTORY_KINDS, csv_to_parquet, runs_kinds};
use crate::{
    OUTCOMES_HEADER, SUMMARY_HEADER, TableFormat, format_number, format_optional, keyed_header,
    resolved_toml, row_keys, runs_header, write_csv,
};

const RUNS: Partial = Partial { tmp: ".runs.csv.partial", name: "runs.csv" };
const TRAJECTORIES: Partial =
    Partial { tmp: ".trajectories.csv.partial", name: "trajectories.csv" };
const MAGIC: &str = "sidelines-checkpoint 2";

/// The partial tables of a batch that keeps `trajectories` runs' trajectories.
fn partials(trajectories: u64) -> &'static [Partial] {
    if trajectories > 0 { &[RUNS, TRAJECTORIES] } else { &[RUNS] }
}

/// A finished shard's aggregators: the checkpoint's format under its own name, read by `merge`.
pub const SHARD_STATE: &str = "shard.state";
const SHARD_MAGIC: &str = "sidelines-shard-state 2";

/// Every file a batch writes; a folder holding any of them is not overwritten without --force.
pub const BATCH_FILES: [&str; 12] = [
    "runs.csv",
    "runs.parquet",
    "trajectories.parquet",
    "summary.csv",
    "outcomes.csv",
    "timeseries.csv",
    "trajectories.csv",
    "manifest.json",
    CHECKPOINT,
    RUNS.tmp,
    TRAJECTORIES.tmp,
    SHARD_STATE,
];

/// What makes two batches the same batch: resuming with anything else is refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub version: String,
    pub scenario: String,
    #[serde(rename = "resolved_scenario_toml")]
    pub resolved_toml: String,
    pub runs: u64,
    pub seed: u64,
    pub trajectories: u64,
    /// (index, count) of a shard: it covers only its slice of the runs and writes its
    /// aggregators (`SHARD_STATE`) in place of the tables.
    pub shard: Option<(u64, u64)>,
}

impl Identity {
    pub fn new(
        version: &str,
        scenario: &Scenario,
        runs: u64,
        seed: u64,
        trajectories: u64,
    ) -> Identity {
        Identity {
            version: version.to_string(),
            scenario: scenario.name.clone(),
            resolved_toml: resolved_toml(scenario),
            runs,
            seed,
            trajectories,
            shard: None,
        }
    }
}

/// A batch's checkpoint header: who it is and how far it got.
#[derive(Debug, Serialize, Deserialize)]
struct Checkpoint {
    /// JSON, not `Identity`: an interrupted batch of another version had other fields, and
    /// resuming says which differ.
    identity: serde_json::Value,
    next_run: u64,
    runs_bytes: u64,
    #[serde(default)]
    trajectories_bytes: u64,
    aggregator_bytes: Vec<usize>,
}

/// A finished shard's state header: its aggregators' sizes and which shard it is, so that merge
/// can refuse one copied from another.
#[derive(Debug, Serialize, Deserialize)]
struct ShardState {
    aggregator_bytes: Vec<usize>,
    shard: Option<(u64, u64)>,
}

/// The batch's files while it runs.
#[derive(Debug)]
pub struct BatchWriter {
    dir: PathBuf,
    identity: Identity,
    runs: csv::Writer<BufWriter<File>>,
    trajectories: Option<csv::Writer<BufWriter<File>>>,
    /// (actor, variable) of each trajectory column and the dates of each day.
    series: Vec<(String, String)>,
    dates: Vec<String>,
    /// The partial files' lengths at the last checkpoint: what a resume needs of them.
    kept: [u64; 2],
}

impl BatchWriter {
    /// Starts a new batch in `dir` (any batch files there are removed: the caller has checked
    /// that it may), writing headers and an initial checkpoint at `first_run` (0, or where a
    /// shard's slice starts).
    pub fn create(
        dir: &Path,
        identity: Identity,
        sim: &Simulation,
        empty: &[Aggregator],
        first_run: u64,
    ) -> Result<BatchWriter> {
        checkpoint::start(dir, &BATCH_FILES)?;
        let partials = partials(identity.trajectories);
        let started = (|| {
            let mut w = BatchWriter::open(dir, identity, sim, None)?;
            let path = dir.join(RUNS.tmp);
            w.runs.write_record(runs_header(sim)).at(&path)?;
            if let Some(t) = w.trajectories.as_mut() {
                t.write_record(["run", "day", "date", "actor", "variable", "value"])
                    .at(&dir.join(TRAJECTORIES.tmp))?;
            }
            w.save_checkpoint(first_run, empty)?;
            Ok(w)
        })();
        if started.is_err() {
            // Nothing to resume from: leave nothing behind.
            checkpoint::trim(dir, partials, &[None, None]);
        }
        started
    }

    /// After a failure (a full disk): cuts the partial files back to the last checkpoint, which
    /// is all `--resume` will use of them, and returns the bytes kept.
    pub fn abandon(self) -> u64 {
        let partials = partials(self.identity.trajectories);
        let (dir, kept) = (self.dir.clone(), self.kept);
        drop(self);
        checkpoint::trim(&dir, partials, &[Some(kept[0]), Some(kept[1])])
    }

    fn open(
        dir: &Path,
        identity: Identity,
        sim: &Simulation,
        lengths: Option<(u64, u64)>,
    ) -> Result<BatchWriter> {
        let open = |p: Partial, len: Option<u64>| {
            checkpoint::open_append(&dir.join(p.tmp), len).map(csv::Writer::from_writer)
        };
        let runs = open(RUNS, lengths.map(|l| l.0))?;
        let trajectories = if identity.trajectories > 0 {
            Some(open(TRAJECTORIES, lengths.map(|l| l.1))?)
        } else {
            None
        };
        let s = sim.scenario();
        Ok(BatchWriter {
            dir: dir.to_path_buf(),
            identity,
            runs,
            trajectories,
            series: sim.series().iter().map(|x| (x.actor.clone(), x.variable.clone())).collect(),
            dates: (0..s.horizon_days).map(|d| s.date(d)).collect(),
            kept: [lengths.map_or(0, |l| l.0), lengths.map_or(0, |l| l.1)],
        })
    }

    /// Reopens an interrupted batch: checks the identity, truncates the partial files to the
    /// checkpoint and restores the aggregators (`aggregators` come in empty and leave loaded).
    /// Returns the writer and the next run to do.
    pub fn resume(
        dir: &Path,
        identity: Identity,
        sim: &Simulation,
        aggregators: &mut [Aggregator],
    ) -> Result<(BatchWriter, u64)> {
        let (meta, body): (Checkpoint, _) = checkpoint::read(dir, MAGIC, "batch")?;
        checkpoint::remove_leftovers(dir, &BATCH_FILES)?;
        let path = dir.join(CHECKPOINT);
        let differences = checkpoint::differences(&identity, &meta.identity, "batch");
        if !differences.is_empty() {
            return Err(Error::Mismatch { what: "batch", differences });
        }
        let (next_run, runs_len, traj_len) =
            (meta.next_run, meta.runs_bytes, meta.trajectories_bytes);
        load_aggregators(&path, &meta.aggregator_bytes, &body, aggregators)?;
        let partials = partials(identity.trajectories);
        checkpoint::take_back(dir, partials)?;
        checkpoint::check_lengths(dir, partials, &[runs_len, traj_len])?;
        let w = BatchWriter::open(dir, identity, sim, Some((runs_len, traj_len)))?;
        Ok((w, next_run))
    }

    /// Writes the tables (a shard: its aggregators) and the manifest, renames the partial
    /// files (or converts them to Parquet), removes the checkpoint.
    pub fn finish(
        mut self,
        sim: &Simulation,
        aggregators: &[Aggregator],
        manifest: &Manifest,
        format: TableFormat,
    ) -> Result<()> {
        self.flush_all()?;
        drop(self.trajectories.take());
        if self.identity.shard.is_some() {
            let path = self.dir.join(SHARD_STATE);
            let (aggregator_bytes, body) = pack_aggregators(&path, aggregators)?;
            // The state names its shard, so that merge can refuse one copied from another.
            let meta = ShardState { aggregator_bytes, shard: self.identity.shard };
            checkpoint::write_to(&path, SHARD_MAGIC, &meta, &[body])?;
        } else {
            write_tables(&self.dir, sim, aggregators)?;
        }
        let partials = partials(self.identity.trajectories);
        if format == TableFormat::Csv {
            checkpoint::rename_all(&self.dir, partials)?;
            manifest.write(&self.dir)?;
            return checkpoint::remove(&self.dir);
        }
        let kinds = |p: &Partial| -> Vec<Kind> {
            if *p == RUNS { runs_kinds(0, sim.outcome_kinds()) } else { TRAJECTORY_KINDS.to_vec() }
        };
        for p in partials {
            csv_to_parquet(&self.dir.join(p.tmp), &self.dir.join(parquet_name(p)), &kinds(p))?;
        }
        manifest.write(&self.dir)?;
        checkpoint::remove(&self.dir)?;
        checkpoint::remove_partials(&self.dir, partials)
    }

    fn flush_all(&mut self) -> Result<()> {
        checkpoint::sync(&self.dir.join(RUNS.tmp), &mut self.runs)?;
        if let Some(t) = self.trajectories.as_mut() {
            checkpoint::sync(&self.dir.join(TRAJECTORIES.tmp), t)?;
        }
        Ok(())
    }

    fn save_checkpoint(&mut self, next_run: u64, aggregators: &[Aggregator]) -> Result<()> {
        self.flush_all()?;
        let (aggregator_bytes, body) = pack_aggregators(&self.dir.join(CHECKPOINT), aggregators)?;
        let kept = [RUNS, TRAJECTORIES].map(|p| checkpoint::len(&self.dir.join(p.tmp)));
        let meta = Checkpoint {
            identity: serde_json::to_value(&self.identity).unwrap_or_default(),
            next_run,
            runs_bytes: kept[0],
            trajectories_bytes: kept[1],
            aggregator_bytes,
        };
        checkpoint::write(&self.dir, MAGIC, &meta, &[body])?;
        self.kept = kept;
        Ok(())
    }

    fn write_rows(&mut self, rows: &[Row]) -> Result<()> {
        let runs_path = self.dir.join(RUNS.tmp);
        let traj_path = self.dir.join(TRAJECTORIES.tmp);
        for r in rows {
            let rec = crate::runs_row(r.run, r.point, r.replicate, &r.output);
            self.runs.write_record(&rec).at(&runs_path)?;
            if let (Some(t), false) = (self.trajectories.as_mut(), r.output.trajectory.is_empty()) {
                let run = r.run.to_string();
                let width = self.series.len();
                for (day, values) in r.output.trajectory.chunks(width).enumerate() {
                    let d = day.to_string();
                    for ((actor, variable), x) in self.series.iter().zip(values) {
                        t.write_record([
                            run.as_str(),
                            &d,
                            &self.dates[day],
                            actor,
                            variable,
                            &format_number(*x),
                        ])
                        .at(&traj_path)?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl Sink for BatchWriter {
    fn rows(&mut self, rows: &[Row]) -> io::Result<()> {
        Ok(self.write_rows(rows)?)
    }

    fn checkpoint(&mut self, next_run: u64, aggregators: &[Aggregator]) -> io::Result<()> {
        Ok(self.save_checkpoint(next_run, aggregators)?)
    }
}

/// `runs.parquet` for `runs.csv`'s partial file.
pub(crate) fn parquet_name(p: &Partial) -> String {
    p.name.replace(".csv", ".parquet")
}

/// zstd's level for aggregator states: level 3 takes about a fifth off the compact state (2.7 MB
/// for the default batch at a million runs); level 19 saved under 5% more (PERFORMANCE.md).
const STATE_LEVEL: i32 = 3;

/// The aggregators' states, for a checkpoint or a shard state: the length of each and one
/// zstd frame of them all.
fn pack_aggregators(path: &Path, aggregators: &[Aggregator]) -> Result<(Vec<usize>, Vec<u8>)> {
    let blobs: Vec<Vec<u8>> = aggregators.iter().map(Aggregator::to_bytes).collect();
    let sizes = blobs.iter().map(Vec::len).collect();
    // The frame carries a checksum, so that a changed byte is refused on reading.
    let mut z = zstd::stream::Encoder::new(Vec::new(), STATE_LEVEL).at(path)?;
    z.include_checksum(true).at(path)?;
    blobs.iter().try_for_each(|b| z.write_all(b)).at(path)?;
    Ok((sizes, z.finish().at(path)?))
}

/// Loads `aggregators` (empty, shaped for the batch) from a checkpoint's or shard state's
/// `aggregator_bytes` and body (written by `pack_aggregators`).
fn load_aggregators(
    path: &Path,
    sizes: &[usize],
    body: &[u8],
    aggregators: &mut [Aggregator],
) -> Result<()> {
    let fits = sizes.len() == aggregators.len()
        && sizes.iter().zip(aggregators.iter()).all(|(s, a)| *s <= a.max_state_bytes());
    if !fits {
        return Err(Error::damaged(path, "the aggregator state does not fit this batch"));
    }
    let total: usize = sizes.iter().sum();
    let mut unpacked = Vec::new();
    zstd::stream::read::Decoder::new(body)
        .and_then(|d| d.take(total as u64 + 1).read_to_end(&mut unpacked))
        .map_err(|e| Error::damaged(path, format!("the aggregator state is unreadable: {e}")))?;
    let body = &unpacked[..];
    if body.len() != total {
        return Err(Error::damaged(path, "the aggregator state is incomplete"));
    }
    let mut at = 0;
    for (agg, size) in aggregators.iter_mut().zip(sizes) {
        agg.load_bytes(&body[at..at + size]).map_err(|e| Error::state(path, e))?;
        at += size;
    }
    Ok(())
}

/// Adds a finished shard's aggregators (`dir/shard.state`) to `aggregators`. The state must be
/// that of shard `index` of `count` and hold `runs` runs, as the shard's manifest records: a
/// state copied from another shard would count that shard twice.
pub fn add_shard_state(
    dir: &Path,
    (index, count, runs): (u64, u64, u64),
    aggregators: &mut [Aggregator],
) -> Result<()> {
    let path = dir.join(SHARD_STATE);
    let (meta, body): (ShardState, _) = checkpoint::read_from(&path, SHARD_MAGIC, "shard state")?;
    match meta.shard {
        Some(s) if s == (index, count) => {}
        Some((i, n)) => {
            return Err(Error::damaged(
                &path,
                format!(
                    "is the state of shard {i} of {n}, not of this folder's shard {index} of \
                     {count}: copied from another shard? Re-run this shard"
                ),
            ));
        }
        None => {
            return Err(Error::damaged(
                &path,
                "names no shard (written by an earlier version?): re-run this shard",
            ));
        }
    }
    let mut loaded: Vec<Aggregator> = aggregators
        .iter()
        .map(|a| {
            let mut b = a.clone();
            b.clear();
            b
        })
        .collect();
    load_aggregators(&path, &meta.aggregator_bytes, &body, &mut loaded)?;
    if let Some(held) = loaded.first().map(Aggregator::runs).filter(|h| *h != runs) {
        return Err(Error::damaged(
            &path,
            format!("holds {held} runs where its shard's manifest records {runs}"),
        ));
    }
    for (a, b) in aggregators.iter_mut().zip(&loaded) {
        a.merge(b);
    }
    Ok(())
}

/// summary.csv, outcomes.csv and (when aggregated) timeseries.csv.
pub fn write_tables(dir: &Path, sim: &Simulation, aggregators: &[Aggregator]) -> Result<()> {
    let s = sim.scenario();
    let opt = format_optional;

    write_csv(&dir.join("summary.csv"), |w| {
        w.row(keyed_header(&[], &SUMMARY_HEADER))?;
        for (point, agg) in aggregators.iter().enumerate() {
            for r in agg.summaries() {
                let mut rec = row_keys(&s.name, point as u64, &[]);
                rec.extend([r.outcome.clone(), r.n.to_string()]);
                rec.extend([r.mean, r.sd, r.ci95_low, r.ci95_high].map(opt));
                rec.extend(r.quantiles.map(opt));
                w.row(&rec)?;
            }
        }
        Ok(())
    })?;

    write_csv(&dir.join("outcomes.csv"), |w| {
        w.row(keyed_header(&[], &OUTCOMES_HEADER))?;
        for (point, agg) in aggregators.iter().enumerate() {
            for r in agg.shares() {
                let mut rec = row_keys(&s.name, point as u64, &[]);
                rec.extend([r.outcome.clone(), r.value.to_string(), r.count.to_string()]);
                rec.extend([r.share, r.ci95_low, r.ci95_high].map(opt));
                w.row(&rec)?;
            }
        }
        Ok(())
    })?;

    let bands: Vec<_> = aggregators.iter().map(Aggregator::bands).collect();
    if bands.iter().all(Vec::is_empty) {
        return Ok(());
    }
    let series = sim.series();
    write_csv(&dir.join("timeseries.csv"), |w| {
        w.row([
            "point", "day", "date", "actor", "variable", "mean", "p05", "p25", "p50", "p75", "p95",
        ])?;
        for (point, rows) in bands.iter().enumerate() {
            let p = point.to_string();
            let mut day_cache = (u32::MAX, String::new(), String::new());
            for b in rows {
                if day_cache.0 != b.day {
                    day_cache = (b.day, b.day.to_string(), s.date(b.day));
                }
                let se = &series[b.series];
                w.row([
                    p.as_str(),
                    &day_cache.1,
                    &day_cache.2,
                    &se.actor,
                    &se.variable,
                    &opt(b.mean),
                    &opt(b.p05),
                    &opt(b.p25),
                    &opt(b.p50),
                    &opt(b.p75),
                    &opt(b.p95),
                ])?;
            }
        }
        Ok(())
    })
}
