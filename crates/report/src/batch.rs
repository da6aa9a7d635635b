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

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sidelines_experiment::{Aggregator, Row, Sink};
use sidelines_model::Simulation;
use sidelines_scenario::Scenario;

use crate::{
    AtomicFile, OUTCOMES_HEADER, SUMMARY_HEADER, csv_error, format_number, format_optional,
    resolved_toml, runs_header, write_json,
};

pub const CHECKPOINT: &str = ".checkpoint";
const RUNS_PARTIAL: &str = ".runs.csv.partial";
const TRAJ_PARTIAL: &str = ".trajectories.csv.partial";
const MAGIC: &str = "sidelines-checkpoint 1";

/// Every file a batch writes; a folder holding any of them is not overwritten without --force.
pub const BATCH_FILES: [&str; 9] = [
    "runs.csv",
    "summary.csv",
    "outcomes.csv",
    "timeseries.csv",
    "trajectories.csv",
    "manifest.json",
    CHECKPOINT,
    RUNS_PARTIAL,
    TRAJ_PARTIAL,
];

/// What makes two batches the same batch: resuming with anything else is refused.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    pub version: String,
    pub scenario: String,
    pub resolved_toml: String,
    pub runs: u64,
    pub seed: u64,
    pub trajectories: u64,
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
        }
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "version": self.version,
            "scenario": self.scenario,
            "resolved_scenario_toml": self.resolved_toml,
            "runs": self.runs,
            "seed": self.seed,
            "trajectories": self.trajectories,
        })
    }

    /// The fields in which `other` differs from `self`.
    fn differences(&self, other: &serde_json::Value) -> Vec<String> {
        let mine = self.to_json();
        let mut out = Vec::new();
        if let (Some(a), Some(b)) = (mine.as_object(), other.as_object()) {
            for (k, v) in a {
                if b.get(k) != Some(v) {
                    let shown = |x: Option<&serde_json::Value>| match x {
                        Some(serde_json::Value::String(s)) if s.len() > 40 => {
                            String::from("(a different scenario)")
                        }
                        Some(x) => x.to_string(),
                        None => String::from("nothing"),
                    };
                    out.push(format!(
                        "{k}: interrupted batch had {}, this command has {}",
                        shown(b.get(k)),
                        shown(Some(v))
                    ));
                }
            }
        }
        out
    }
}

/// Why a folder cannot be resumed.
#[derive(Debug)]
pub enum ResumeError {
    /// The folder has no unfinished batch.
    NothingToResume(PathBuf),
    /// The command differs from the interrupted batch.
    Mismatch(Vec<String>),
    /// The checkpoint or partial files are damaged.
    Damaged(String),
    Io(io::Error),
}

impl std::fmt::Display for ResumeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResumeError::NothingToResume(d) => {
                write!(f, "{} holds no unfinished batch to resume", d.display())
            }
            ResumeError::Mismatch(d) => {
                write!(
                    f,
                    "--resume needs the same arguments as the interrupted batch:\n  {}",
                    d.join("\n  ")
                )
            }
            ResumeError::Damaged(m) => write!(f, "the checkpoint cannot be used: {m}"),
            ResumeError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ResumeError {}

impl From<io::Error> for ResumeError {
    fn from(e: io::Error) -> Self {
        ResumeError::Io(e)
    }
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
}

fn append(path: &Path, truncate_to: Option<u64>) -> io::Result<BufWriter<File>> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    if let Some(len) = truncate_to {
        file.set_len(len)?;
    }
    Ok(BufWriter::new(file))
}

impl BatchWriter {
    /// Starts a new batch in `dir` (which must not hold batch files unless the caller removed
    /// them), writing headers and an initial checkpoint.
    pub fn create(
        dir: &Path,
        identity: Identity,
        sim: &Simulation,
        empty: &[Aggregator],
    ) -> io::Result<BatchWriter> {
        fs::create_dir_all(dir)?;
        for f in BATCH_FILES {
            let p = dir.join(f);
            if p.exists() {
                fs::remove_file(p)?;
            }
        }
        let mut w = BatchWriter::open(dir, identity, sim, None)?;
        w.runs.write_record(runs_header(sim)).map_err(csv_error)?;
        if let Some(t) = w.trajectories.as_mut() {
            t.write_record(["run", "day", "date", "actor", "variable", "value"])
                .map_err(csv_error)?;
        }
        w.checkpoint(0, empty)?;
        Ok(w)
    }

    fn open(
        dir: &Path,
        identity: Identity,
        sim: &Simulation,
        lengths: Option<(u64, u64)>,
    ) -> io::Result<BatchWriter> {
        let runs = csv::Writer::from_writer(append(&dir.join(RUNS_PARTIAL), lengths.map(|l| l.0))?);
        let trajectories = if identity.trajectories > 0 {
            Some(csv::Writer::from_writer(append(&dir.join(TRAJ_PARTIAL), lengths.map(|l| l.1))?))
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
    ) -> Result<(BatchWriter, u64), ResumeError> {
        let path = dir.join(CHECKPOINT);
        if !path.is_file() {
            return Err(ResumeError::NothingToResume(dir.to_path_buf()));
        }
        let mut bytes = Vec::new();
        File::open(&path)?.read_to_end(&mut bytes)?;
        let damaged = |m: &str| ResumeError::Damaged(format!("{}: {m}", path.display()));
        let mut lines = bytes.splitn(3, |b| *b == b'\n');
        if lines.next() != Some(MAGIC.as_bytes()) {
            return Err(damaged("not a sidelines checkpoint"));
        }
        let meta: serde_json::Value = serde_json::from_slice(lines.next().unwrap_or_default())
            .map_err(|_| damaged("unreadable header"))?;
        let body = lines.next().unwrap_or_default();
        let differences = identity.differences(&meta["identity"]);
        if !differences.is_empty() {
            return Err(ResumeError::Mismatch(differences));
        }
        let next_run = meta["next_run"].as_u64().ok_or_else(|| damaged("no next_run"))?;
        let runs_len = meta["runs_bytes"].as_u64().ok_or_else(|| damaged("no runs_bytes"))?;
        let traj_len = meta["trajectories_bytes"].as_u64().unwrap_or(0);
        let sizes: Vec<usize> = meta["aggregator_bytes"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_u64().map(|x| x as usize)).collect())
            .unwrap_or_default();
        if sizes.len() != aggregators.len() || sizes.iter().sum::<usize>() != body.len() {
            return Err(damaged("the aggregator state is incomplete"));
        }
        let mut at = 0;
        for (agg, size) in aggregators.iter_mut().zip(&sizes) {
            agg.load_bytes(&body[at..at + size]).map_err(|m| damaged(&m))?;
            at += size;
        }
        // Interrupted while finishing: the partial files were already renamed. Take them back;
        // the batch then finds no run left to do and finishes again.
        for (tmp, name) in [(RUNS_PARTIAL, "runs.csv"), (TRAJ_PARTIAL, "trajectories.csv")] {
            if !dir.join(tmp).exists() && dir.join(name).exists() {
                fs::rename(dir.join(name), dir.join(tmp))?;
            }
        }
        let have = |name: &str| fs::metadata(dir.join(name)).map(|m| m.len()).unwrap_or(0);
        if have(RUNS_PARTIAL) < runs_len
            || (identity.trajectories > 0 && have(TRAJ_PARTIAL) < traj_len)
        {
            return Err(damaged("the partial results are shorter than the checkpoint says"));
        }
        let w = BatchWriter::open(dir, identity, sim, Some((runs_len, traj_len)))?;
        Ok((w, next_run))
    }

    /// Writes the tables and the manifest, renames the partial files, removes the checkpoint.
    pub fn finish(
        mut self,
        sim: &Simulation,
        aggregators: &[Aggregator],
        manifest: serde_json::Value,
    ) -> io::Result<()> {
        self.flush_all()?;
        drop(self.trajectories.take());
        write_tables(&self.dir, sim, aggregators)?;
        fs::rename(self.dir.join(RUNS_PARTIAL), self.dir.join("runs.csv"))?;
        if self.identity.trajectories > 0 {
            fs::rename(self.dir.join(TRAJ_PARTIAL), self.dir.join("trajectories.csv"))?;
        }
        write_json(&self.dir.join("manifest.json"), &manifest)?;
        fs::remove_file(self.dir.join(CHECKPOINT))
    }

    fn flush_all(&mut self) -> io::Result<()> {
        self.runs.flush()?;
        self.runs.get_ref().get_ref().sync_all()?;
        if let Some(t) = self.trajectories.as_mut() {
            t.flush()?;
            t.get_ref().get_ref().sync_all()?;
        }
        Ok(())
    }
}

impl Sink for BatchWriter {
    fn rows(&mut self, rows: &[Row]) -> io::Result<()> {
        for r in rows {
            let rec = crate::runs_row(r.run, r.point, r.replicate, &r.output);
            self.runs.write_record(&rec).map_err(csv_error)?;
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
                        .map_err(csv_error)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn checkpoint(&mut self, next_run: u64, aggregators: &[Aggregator]) -> io::Result<()> {
        self.flush_all()?;
        let len = |name: &str| fs::metadata(self.dir.join(name)).map(|m| m.len()).unwrap_or(0);
        let blobs: Vec<Vec<u8>> = aggregators.iter().map(Aggregator::to_bytes).collect();
        let meta = serde_json::json!({
            "identity": self.identity.to_json(),
            "next_run": next_run,
            "runs_bytes": len(RUNS_PARTIAL),
            "trajectories_bytes": len(TRAJ_PARTIAL),
            "aggregator_bytes": blobs.iter().map(Vec::len).collect::<Vec<_>>(),
        });
        let mut f = AtomicFile::create(&self.dir.join(CHECKPOINT))?;
        let w = f.writer();
        writeln!(w, "{MAGIC}")?;
        writeln!(w, "{meta}")?;
        for b in &blobs {
            w.write_all(b)?;
        }
        f.finish()
    }
}

/// summary.csv, outcomes.csv and (when aggregated) timeseries.csv.
pub fn write_tables(dir: &Path, sim: &Simulation, aggregators: &[Aggregator]) -> io::Result<()> {
    let s = sim.scenario();
    let opt = format_optional;

    let mut f = AtomicFile::create(&dir.join("summary.csv"))?;
    {
        let mut w = csv::Writer::from_writer(f.writer());
        w.write_record(SUMMARY_HEADER).map_err(csv_error)?;
        for (point, agg) in aggregators.iter().enumerate() {
            for r in agg.summaries() {
                let mut rec = vec![point.to_string(), r.outcome.clone(), r.n.to_string()];
                rec.extend([r.mean, r.sd, r.ci95_low, r.ci95_high].map(opt));
                rec.extend(r.quantiles.map(opt));
                w.write_record(&rec).map_err(csv_error)?;
            }
        }
        w.flush()?;
    }
    f.finish()?;

    let mut f = AtomicFile::create(&dir.join("outcomes.csv"))?;
    {
        let mut w = csv::Writer::from_writer(f.writer());
        w.write_record(OUTCOMES_HEADER).map_err(csv_error)?;
        for (point, agg) in aggregators.iter().enumerate() {
            for r in agg.shares() {
                let mut rec = vec![
                    point.to_string(),
                    r.outcome.clone(),
                    r.value.to_string(),
                    r.count.to_string(),
                ];
                rec.extend([r.share, r.ci95_low, r.ci95_high].map(opt));
                w.write_record(&rec).map_err(csv_error)?;
            }
        }
        w.flush()?;
    }
    f.finish()?;

    let bands: Vec<_> = aggregators.iter().map(Aggregator::bands).collect();
    if bands.iter().all(Vec::is_empty) {
        return Ok(());
    }
    let series = sim.series();
    let mut f = AtomicFile::create(&dir.join("timeseries.csv"))?;
    {
        let mut w = csv::Writer::from_writer(f.writer());
        w.write_record([
            "point", "day", "date", "actor", "variable", "mean", "p05", "p25", "p50", "p75", "p95",
        ])
        .map_err(csv_error)?;
        for (point, rows) in bands.iter().enumerate() {
            let p = point.to_string();
            let mut day_cache = (u32::MAX, String::new(), String::new());
            for b in rows {
                if day_cache.0 != b.day {
                    day_cache = (b.day, b.day.to_string(), s.date(b.day));
                }
                let se = &series[b.series];
                w.write_record([
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
                ])
                .map_err(csv_error)?;
            }
        }
        w.flush()?;
    }
    f.finish()
}
