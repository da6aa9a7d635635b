//! A sweep's folder: points.csv, streaming runs/summary/outcomes per point, checkpoints, and
//! sensitivity indices at the end.
//!
//! Rows arrive in run order and a point's replicates are consecutive, so each point is
//! summarised exactly (sorted nearest-rank quantiles, sums in replicate order) the moment its
//! last replicate arrives; only that point's rows are held in memory. Checkpoints record the
//! lengths of the partial files; on resume the files are truncated to them and the unfinished
//! point's rows are read back from `.runs.csv.partial` (numbers are written in shortest
//! round-trip form, so they come back exactly).

mod findings;
mod point;
mod read;
mod sensitivity;

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use sidelines_experiment::{Aggregator, Row, Sink};
use sidelines_model::{OutcomeKind, Value};

pub use findings::{Driver, Finding, findings, findings_text};
pub use point::point_rows;
pub use read::{Table, chooses, csv_table, sweep_table};
pub use sensitivity::{Method, second_order_path, write_sensitivity};

use crate::checkpoint::{self, CHECKPOINT, Partial};
use crate::error::{At, Error, Result};
use crate::{
    OUTCOMES_HEADER, SUMMARY_HEADER, TableFormat, format_number, format_value, keyed_header,
    row_keys, write_csv,
};

const MAGIC: &str = "sidelines-sweep-checkpoint 1";
/// runs.csv, summary.csv and outcomes.csv, in that order (`files` follows it).
const PARTIALS: [Partial; 3] = [
    Partial { tmp: ".runs.csv.partial", name: "runs.csv" },
    Partial { tmp: ".summary.csv.partial", name: "summary.csv" },
    Partial { tmp: ".outcomes.csv.partial", name: "outcomes.csv" },
];
const RUNS: usize = 0;
const SUMMARY: usize = 1;
const OUTCOMES: usize = 2;

/// Every file a sweep writes.
pub const SWEEP_FILES: [&str; 12] = [
    "points.csv",
    "runs.csv",
    "runs.parquet",
    "summary.csv",
    "outcomes.csv",
    "sensitivity.csv",
    "sensitivity_s2.csv",
    "manifest.json",
    CHECKPOINT,
    PARTIALS[0].tmp,
    PARTIALS[1].tmp,
    PARTIALS[2].tmp,
];

/// What must match for a sweep to resume: the version, the sweep file, the resolved scenario
/// and the shard.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SweepIdentity {
    pub version: String,
    /// The sweep file as TOML.
    pub sweep: String,
    /// The resolved scenario as TOML.
    pub scenario: String,
    /// (index, count) of a shard.
    pub shard: Option<(u64, u64)>,
}

/// A sweep's checkpoint header.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Checkpoint {
    /// JSON, not `SweepIdentity`: an interrupted sweep of another version had other fields, and
    /// resuming says which differ.
    identity: serde_json::Value,
    next_run: u64,
    completed_points: u64,
    lengths: Vec<u64>,
}

/// What a sweep's sink needs to know.
#[derive(Clone, Debug)]
pub struct SweepShape {
    pub identity: SweepIdentity,
    /// The scenario's name, the first key of summary.csv and outcomes.csv.
    pub scenario: String,
    pub parameters: Vec<String>,
    /// Actual parameter values per point.
    pub points: Vec<Vec<f64>>,
    /// Fixed replicates per point; `None` when replication is adaptive (the driver says when a
    /// point is complete).
    pub replicates: Option<u64>,
    pub outcome_names: Vec<String>,
    pub outcome_kinds: Vec<OutcomeKind>,
}

#[derive(Debug)]
pub struct SweepWriter {
    dir: PathBuf,
    shape: SweepShape,
    /// The partial tables, in `PARTIALS` order.
    files: Vec<csv::Writer<BufWriter<File>>>,
    /// Outcomes of the current point's replicates so far.
    pending: Vec<Vec<Value>>,
    /// Points summarised so far.
    completed: u64,
    /// The partial files' lengths at the last checkpoint: what a resume needs of them.
    kept: [u64; 3],
}

/// Where an interrupted sweep stands.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Rows written (the next run's index).
    pub next_run: u64,
    /// Points summarised; the next point to finish.
    pub completed_points: u64,
    /// Replicates of that point already written.
    pub pending_replicates: u64,
}

impl SweepWriter {
    /// Starts a sweep in `dir` at `start` (nothing done: point 0 and run 0, or where a shard's
    /// slice of the design starts).
    pub fn create(dir: &Path, shape: SweepShape, start: &Progress) -> Result<SweepWriter> {
        checkpoint::start(dir, &SWEEP_FILES)?;
        let started = (|| {
            write_points(dir, &shape)?;
            let files = SweepWriter::open(dir, &[None, None, None])?;
            let mut w = SweepWriter {
                dir: dir.to_path_buf(),
                shape,
                files,
                pending: Vec::new(),
                completed: start.completed_points,
                kept: [0; 3],
            };
            let mut header: Vec<String> =
                ["run", "point", "replicate", "seed"].map(String::from).to_vec();
            header.extend(w.shape.parameters.iter().cloned());
            header.extend(w.shape.outcome_names.iter().cloned());
            w.write(RUNS, &header)?;
            w.write(SUMMARY, keyed_header(&w.shape.parameters, &SUMMARY_HEADER))?;
            w.write(OUTCOMES, keyed_header(&w.shape.parameters, &OUTCOMES_HEADER))?;
            w.save_checkpoint(start.next_run)?;
            Ok(w)
        })();
        if started.is_err() {
            // Nothing to resume from: leave nothing behind.
            checkpoint::trim(dir, &PARTIALS, &[None, None, None]);
            let _ = std::fs::remove_file(dir.join("points.csv"));
        }
        started
    }

    /// After a failure (a full disk): cuts the partial files back to the last checkpoint, which
    /// is all `--resume` will use of them, and returns the bytes kept.
    pub fn abandon(self) -> u64 {
        let (dir, kept) = (self.dir.clone(), self.kept);
        drop(self);
        checkpoint::trim(&dir, &PARTIALS, &kept.map(Some))
    }

    fn open(dir: &Path, lengths: &[Option<u64>]) -> Result<Vec<csv::Writer<BufWriter<File>>>> {
        PARTIALS
            .iter()
            .zip(lengths)
            .map(|(p, len)| {
                checkpoint::open_append(&dir.join(p.tmp), *len).map(csv::Writer::from_writer)
            })
            .collect()
    }

    fn write<I, T>(&mut self, file: usize, record: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.files[file].write_record(record).at(&self.dir.join(PARTIALS[file].tmp))
    }

    /// Reopens an interrupted sweep. Returns the writer and where it stands.
    pub fn resume(dir: &Path, shape: SweepShape) -> Result<(SweepWriter, Progress)> {
        let (meta, _): (Checkpoint, _) = checkpoint::read(dir, MAGIC, "sweep")?;
        checkpoint::remove_leftovers(dir, &SWEEP_FILES)?;
        let path = dir.join(CHECKPOINT);
        let differences = checkpoint::differences(&shape.identity, &meta.identity, "sweep");
        if !differences.is_empty() {
            return Err(Error::Mismatch { what: "sweep", differences });
        }
        let Checkpoint { next_run, completed_points: completed, lengths, .. } = meta;
        if lengths.len() != PARTIALS.len() {
            return Err(Error::damaged(&path, "the file lengths are incomplete"));
        }
        checkpoint::take_back(dir, &PARTIALS)?;
        checkpoint::check_lengths(dir, &PARTIALS, &lengths)?;
        let files = SweepWriter::open(dir, &lengths.iter().map(|l| Some(*l)).collect::<Vec<_>>())?;
        let kept = [lengths[0], lengths[1], lengths[2]];
        let mut w = SweepWriter {
            dir: dir.to_path_buf(),
            shape,
            files,
            pending: Vec::new(),
            completed,
            kept,
        };
        // Read back the unfinished point's rows.
        let runs = dir.join(PARTIALS[RUNS].tmp);
        let mut r = csv::Reader::from_path(&runs).at(&runs)?;
        let first = 4 + w.shape.parameters.len();
        for rec in r.records() {
            let rec = rec.at(&runs)?;
            if rec.get(1).and_then(|p| p.parse::<u64>().ok()) == Some(completed) {
                let values = w
                    .shape
                    .outcome_kinds
                    .iter()
                    .enumerate()
                    .map(|(i, k)| read::parse_value(rec.get(first + i).unwrap_or(""), *k))
                    .collect();
                w.pending.push(values);
            }
        }
        let pending_replicates = w.pending.len() as u64;
        Ok((w, Progress { next_run, completed_points: completed, pending_replicates }))
    }

    /// The current point's values of one outcome so far (numbers, days and flags as numbers).
    pub fn pending_numbers(&self, outcome: usize) -> Vec<f64> {
        self.pending.iter().filter_map(|row| row.get(outcome).and_then(Value::as_number)).collect()
    }

    /// Renames the partial files, writes sensitivity.csv (for Sobol and Morris designs, with
    /// the bootstrap seed) and the manifest, and removes the checkpoint last: a folder with no
    /// checkpoint is complete.
    pub fn finish(
        mut self,
        manifest: &crate::manifest::Manifest,
        sensitivity: Option<(Method, u64)>,
        format: TableFormat,
    ) -> Result<()> {
        self.sync_all()?;
        self.files.clear();
        let parquet = format == TableFormat::Parquet;
        if parquet {
            let kinds =
                crate::parquet::runs_kinds(self.shape.parameters.len(), &self.shape.outcome_kinds);
            let runs = &PARTIALS[RUNS];
            let out = self.dir.join(crate::batch::parquet_name(runs));
            crate::parquet::csv_to_parquet(&self.dir.join(runs.tmp), &out, &kinds)?;
            checkpoint::rename_all(&self.dir, &PARTIALS[SUMMARY..])?;
        } else {
            checkpoint::rename_all(&self.dir, &PARTIALS)?;
        }
        if let Some((method, seed)) = sensitivity {
            write_folder_sensitivity(&self.dir, method, seed)?;
        }
        manifest.write(&self.dir)?;
        checkpoint::remove(&self.dir)?;
        if parquet {
            checkpoint::remove_partials(&self.dir, &PARTIALS[..SUMMARY])?;
        }
        Ok(())
    }

    fn sync_all(&mut self) -> Result<()> {
        for (f, p) in self.files.iter_mut().zip(PARTIALS) {
            checkpoint::sync(&self.dir.join(p.tmp), f)?;
        }
        Ok(())
    }

    fn summarise_point(&mut self, point: u64) -> Result<()> {
        let (summary, shares) =
            point_rows(&self.shape.outcome_names, &self.shape.outcome_kinds, &self.pending);
        let values = self.shape.points.get(point as usize).map_or(&[][..], Vec::as_slice);
        let keys = row_keys(&self.shape.scenario, point, values);
        for r in &summary {
            let rec: Vec<&str> = keys.iter().chain(r).map(String::as_str).collect();
            self.write(SUMMARY, rec)?;
        }
        for r in &shares {
            let rec: Vec<&str> = keys.iter().chain(r).map(String::as_str).collect();
            self.write(OUTCOMES, rec)?;
        }
        self.pending.clear();
        self.completed = point + 1;
        Ok(())
    }

    fn write_rows(&mut self, rows: &[Row]) -> Result<()> {
        for r in rows {
            let mut rec = crate::row_key(r.run, r.point, r.replicate, r.output.seed);
            rec.extend(self.shape.points[r.point as usize].iter().map(|x| format_number(*x)));
            rec.extend(r.output.outcomes.iter().map(format_value));
            self.write(RUNS, &rec)?;
            self.pending.push(r.output.outcomes.clone());
            if self.shape.replicates == Some(r.replicate + 1) {
                self.summarise_point(r.point)?;
            }
        }
        Ok(())
    }

    fn save_checkpoint(&mut self, next_run: u64) -> Result<()> {
        self.sync_all()?;
        let lengths = PARTIALS.map(|p| checkpoint::len(&self.dir.join(p.tmp)));
        let meta = Checkpoint {
            identity: serde_json::to_value(&self.shape.identity).unwrap_or_default(),
            next_run,
            completed_points: self.completed,
            lengths: lengths.to_vec(),
        };
        checkpoint::write(&self.dir, MAGIC, &meta, &[])?;
        self.kept = lengths;
        Ok(())
    }
}

/// DIR/sensitivity.csv from a sweep folder's points.csv and summary.csv: 1,000 bootstrap
/// resamples seeded with the sweep's seed.
pub fn write_folder_sensitivity(dir: &Path, method: Method, seed: u64) -> Result<()> {
    let table = sweep_table(dir)?;
    write_sensitivity(&dir.join("sensitivity.csv"), &table, method, None, 1000, seed)
}

fn write_points(dir: &Path, shape: &SweepShape) -> Result<()> {
    write_csv(&dir.join("points.csv"), |w| {
        let mut header = vec![String::from("point")];
        header.extend(shape.parameters.iter().cloned());
        w.row(&header)?;
        for (i, p) in shape.points.iter().enumerate() {
            let mut rec = vec![i.to_string()];
            rec.extend(p.iter().map(|x| format_number(*x)));
            w.row(&rec)?;
        }
        Ok(())
    })
}

impl Sink for SweepWriter {
    fn rows(&mut self, rows: &[Row]) -> io::Result<()> {
        Ok(self.write_rows(rows)?)
    }

    fn checkpoint(&mut self, next_run: u64, _: &[Aggregator]) -> io::Result<()> {
        Ok(self.save_checkpoint(next_run)?)
    }
}

impl sidelines_experiment::PointSink for SweepWriter {
    fn finish_point(&mut self, point: u64) -> io::Result<()> {
        Ok(self.summarise_point(point)?)
    }
}
