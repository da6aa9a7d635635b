//! A sweep's folder: points.csv, streaming runs/summary/outcomes per point, checkpoints, and
//! sensitivity indices at the end.
//!
//! Rows arrive in run order and a point's replicates are consecutive, so each point is
//! summarised exactly (sorted nearest-rank quantiles, sums in replicate order) the moment its
//! last replicate arrives; only that point's rows are held in memory. Checkpoints record the
//! lengths of the partial files; on resume the files are truncated to them and the unfinished
//! point's rows are read back from `.runs.csv.partial` (numbers are written in shortest
//! round-trip form, so they come back exactly).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sidelines_experiment::sensitivity::{morris, sobol};
use sidelines_experiment::stats::{self, wilson};
use sidelines_experiment::{Aggregator, Row, Sink};
use sidelines_model::{OutcomeKind, Value};

use crate::{
    AtomicFile, OUTCOMES_HEADER, SUMMARY_HEADER, csv_error, format_number, format_value, write_json,
};

pub const CHECKPOINT: &str = ".checkpoint";
const MAGIC: &str = "sidelines-sweep-checkpoint 1";
const PARTIALS: [(&str, &str); 3] = [
    (".runs.csv.partial", "runs.csv"),
    (".summary.csv.partial", "summary.csv"),
    (".outcomes.csv.partial", "outcomes.csv"),
];

/// Every file a sweep writes.
pub const SWEEP_FILES: [&str; 12] = [
    "points.csv",
    "runs.csv",
    "summary.csv",
    "outcomes.csv",
    "sensitivity.csv",
    "sensitivity_s2.csv",
    "manifest.json",
    CHECKPOINT,
    ".runs.csv.partial",
    ".summary.csv.partial",
    ".outcomes.csv.partial",
    ".points.csv.partial",
];

/// What a sweep's sink needs to know.
#[derive(Clone, Debug)]
pub struct SweepShape {
    /// Identity for resume: the sweep file, the resolved scenario, the version (JSON).
    pub identity: serde_json::Value,
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
    files: Vec<csv::Writer<BufWriter<File>>>,
    /// Outcomes of the current point's replicates so far.
    pending: Vec<Vec<Value>>,
    /// Points summarised so far.
    completed: u64,
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

fn open_append(path: &Path, truncate_to: Option<u64>) -> io::Result<csv::Writer<BufWriter<File>>> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    if let Some(len) = truncate_to {
        file.set_len(len)?;
    }
    Ok(csv::Writer::from_writer(BufWriter::new(file)))
}

impl SweepWriter {
    pub fn create(dir: &Path, shape: SweepShape) -> io::Result<SweepWriter> {
        fs::create_dir_all(dir)?;
        for f in SWEEP_FILES {
            let p = dir.join(f);
            if p.exists() {
                fs::remove_file(p)?;
            }
        }
        write_points(dir, &shape)?;
        let files = PARTIALS
            .iter()
            .map(|(tmp, _)| open_append(&dir.join(tmp), None))
            .collect::<io::Result<Vec<_>>>()?;
        let mut w =
            SweepWriter { dir: dir.to_path_buf(), shape, files, pending: Vec::new(), completed: 0 };
        let mut header: Vec<String> =
            ["run", "point", "replicate", "seed"].map(String::from).to_vec();
        header.extend(w.shape.parameters.iter().cloned());
        header.extend(w.shape.outcome_names.iter().cloned());
        w.files[0].write_record(&header).map_err(csv_error)?;
        w.files[1].write_record(SUMMARY_HEADER).map_err(csv_error)?;
        w.files[2].write_record(OUTCOMES_HEADER).map_err(csv_error)?;
        w.checkpoint(0, &[])?;
        Ok(w)
    }

    /// Reopens an interrupted sweep. Returns the writer and where it stands.
    pub fn resume(dir: &Path, shape: SweepShape) -> Result<(SweepWriter, Progress), String> {
        let path = dir.join(CHECKPOINT);
        let mut bytes = Vec::new();
        File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|_| format!("{} holds no unfinished sweep to resume", dir.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        let mut lines = text.lines();
        if lines.next() != Some(MAGIC) {
            return Err(format!("{}: not a sidelines sweep checkpoint", path.display()));
        }
        let meta: serde_json::Value = serde_json::from_str(lines.next().unwrap_or_default())
            .map_err(|_| format!("{}: unreadable", path.display()))?;
        if meta["identity"] != shape.identity {
            let mut diffs = Vec::new();
            if let (Some(a), Some(b)) = (meta["identity"].as_object(), shape.identity.as_object()) {
                for (k, v) in b {
                    if a.get(k) != Some(v) {
                        diffs.push(k.clone());
                    }
                }
            }
            return Err(format!(
                "--resume needs the same sweep as the interrupted one; these differ: {}",
                diffs.join(", ")
            ));
        }
        let next_run = meta["next_run"].as_u64().ok_or("checkpoint without next_run")?;
        let lens: Vec<u64> = meta["lengths"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_u64()).collect())
            .unwrap_or_default();
        if lens.len() != PARTIALS.len() {
            return Err(String::from("the checkpoint is damaged"));
        }
        // Interrupted while finishing: the partial files were already renamed. Take them back;
        // the run then finds nothing left to do and finishes again.
        for (tmp, name) in PARTIALS {
            if !dir.join(tmp).exists() && dir.join(name).exists() {
                fs::rename(dir.join(name), dir.join(tmp)).map_err(|e| e.to_string())?;
            }
        }
        for ((tmp, _), len) in PARTIALS.iter().zip(&lens) {
            let have = fs::metadata(dir.join(tmp)).map(|m| m.len()).unwrap_or(0);
            if have < *len {
                return Err(format!("{tmp} is shorter than the checkpoint says"));
            }
        }
        let files = PARTIALS
            .iter()
            .zip(&lens)
            .map(|((tmp, _), len)| open_append(&dir.join(tmp), Some(*len)))
            .collect::<io::Result<Vec<_>>>()
            .map_err(|e| e.to_string())?;
        let completed =
            meta["completed_points"].as_u64().ok_or("checkpoint without completed_points")?;
        let mut w =
            SweepWriter { dir: dir.to_path_buf(), shape, files, pending: Vec::new(), completed };
        // Read back the unfinished point's rows.
        let point = completed;
        let mut r = csv::Reader::from_path(dir.join(PARTIALS[0].0)).map_err(|e| e.to_string())?;
        let first = 4 + w.shape.parameters.len();
        for rec in r.records() {
            let rec = rec.map_err(|e| e.to_string())?;
            if rec.get(1).and_then(|p| p.parse::<u64>().ok()) == Some(point) {
                let values = w
                    .shape
                    .outcome_kinds
                    .iter()
                    .enumerate()
                    .map(|(i, k)| parse_value(rec.get(first + i).unwrap_or(""), *k))
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
        manifest: serde_json::Value,
        sensitivity: Option<(Method, u64)>,
    ) -> io::Result<()> {
        for f in &mut self.files {
            f.flush()?;
            f.get_ref().get_ref().sync_all()?;
        }
        self.files.clear();
        for (tmp, name) in PARTIALS {
            fs::rename(self.dir.join(tmp), self.dir.join(name))?;
        }
        if let Some((method, seed)) = sensitivity {
            let table = sweep_table(&self.dir).map_err(io::Error::other)?;
            write_sensitivity(&self.dir.join("sensitivity.csv"), &table, method, None, 1000, seed)
                .map_err(io::Error::other)?;
        }
        write_json(&self.dir.join("manifest.json"), &manifest)?;
        fs::remove_file(self.dir.join(CHECKPOINT))
    }

    fn summarise_point(&mut self, point: u64) -> io::Result<()> {
        let p = point.to_string();
        for (i, (name, kind)) in
            self.shape.outcome_names.iter().zip(&self.shape.outcome_kinds).enumerate()
        {
            match kind {
                OutcomeKind::Category(labels) => {
                    let n = self.pending.len() as u64;
                    for label in *labels {
                        let count = self
                            .pending
                            .iter()
                            .filter(|row| match &row[i] {
                                Value::Text(t) => t == label,
                                Value::Flag(b) => *label == if *b { "true" } else { "false" },
                                _ => false,
                            })
                            .count() as u64;
                        let (share, lo, hi) = wilson(count, n);
                        self.files[2]
                            .write_record([
                                p.clone(),
                                name.clone(),
                                label.to_string(),
                                count.to_string(),
                                opt(share),
                                opt(lo),
                                opt(hi),
                            ])
                            .map_err(csv_error)?;
                    }
                }
                OutcomeKind::Unit | OutcomeKind::Day => {
                    let mut xs: Vec<f64> =
                        self.pending.iter().filter_map(|row| row[i].as_number()).collect();
                    let n = xs.len();
                    let mut rec = vec![p.clone(), name.clone(), n.to_string()];
                    if n == 0 {
                        rec.extend(std::iter::repeat_n(String::new(), 9));
                    } else {
                        let mean = stats::mean(&xs);
                        // One value has no spread to speak of; the table says 0, not blank.
                        let sd = if n > 1 { stats::sample_sd(&xs) } else { 0.0 };
                        let half = stats::half_width(sd, n as u64);
                        xs.sort_by(f64::total_cmp);
                        rec.extend([mean, sd, mean - half, mean + half].map(opt));
                        for q in sidelines_experiment::QUANTILES {
                            rec.push(opt(stats::quantile_sorted(&xs, q)));
                        }
                    }
                    self.files[1].write_record(&rec).map_err(csv_error)?;
                }
            }
        }
        self.pending.clear();
        self.completed = point + 1;
        Ok(())
    }
}

use crate::format_optional as opt;

fn parse_value(s: &str, kind: OutcomeKind) -> Value {
    match kind {
        _ if s.is_empty() => Value::Missing,
        OutcomeKind::Category(labels) => match s {
            "true" => Value::Flag(true),
            "false" => Value::Flag(false),
            _ => labels.iter().find(|l| **l == s).map_or(Value::Missing, |l| Value::Text(l)),
        },
        OutcomeKind::Unit => s.parse().map_or(Value::Missing, Value::Number),
        OutcomeKind::Day => s.parse().map_or(Value::Missing, Value::Day),
    }
}

fn write_points(dir: &Path, shape: &SweepShape) -> io::Result<()> {
    let mut f = AtomicFile::create(&dir.join("points.csv"))?;
    {
        let mut w = csv::Writer::from_writer(f.writer());
        let mut header = vec![String::from("point")];
        header.extend(shape.parameters.iter().cloned());
        w.write_record(&header).map_err(csv_error)?;
        for (i, p) in shape.points.iter().enumerate() {
            let mut rec = vec![i.to_string()];
            rec.extend(p.iter().map(|x| format_number(*x)));
            w.write_record(&rec).map_err(csv_error)?;
        }
        w.flush()?;
    }
    f.finish()
}

impl Sink for SweepWriter {
    fn rows(&mut self, rows: &[Row]) -> io::Result<()> {
        for r in rows {
            let mut rec = crate::row_key(r.run, r.point, r.replicate, r.output.seed);
            rec.extend(self.shape.points[r.point as usize].iter().map(|x| format_number(*x)));
            rec.extend(r.output.outcomes.iter().map(format_value));
            self.files[0].write_record(&rec).map_err(csv_error)?;
            self.pending.push(r.output.outcomes.clone());
            if self.shape.replicates == Some(r.replicate + 1) {
                self.summarise_point(r.point)?;
            }
        }
        Ok(())
    }

    fn checkpoint(&mut self, next_run: u64, _: &[Aggregator]) -> io::Result<()> {
        let mut lengths = Vec::new();
        for (f, (tmp, _)) in self.files.iter_mut().zip(PARTIALS) {
            f.flush()?;
            f.get_ref().get_ref().sync_all()?;
            lengths.push(fs::metadata(self.dir.join(tmp))?.len());
        }
        let meta = serde_json::json!({
            "identity": self.shape.identity,
            "next_run": next_run,
            "completed_points": self.completed,
            "lengths": lengths,
        });
        let mut f = AtomicFile::create(&self.dir.join(CHECKPOINT))?;
        writeln!(f.writer(), "{MAGIC}")?;
        writeln!(f.writer(), "{meta}")?;
        f.finish()
    }
}

impl sidelines_experiment::PointSink for SweepWriter {
    fn finish_point(&mut self, point: u64) -> io::Result<()> {
        self.summarise_point(point)
    }
}

/// Which sensitivity analysis a design supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Sobol { second_order: bool },
    Morris { levels: usize },
}

/// A design table: parameter columns (per row) and named outcome columns (per row).
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub parameters: Vec<String>,
    pub x: Vec<Vec<f64>>,
    pub outcomes: Vec<(String, Vec<f64>)>,
}

/// The per-point means of every numeric outcome of a finished sweep folder, with its points.
pub fn sweep_table(dir: &Path) -> Result<Table, String> {
    let read = |f: &str| {
        csv::Reader::from_path(dir.join(f)).map_err(|e| format!("{}: {e}", dir.join(f).display()))
    };
    let mut points = read("points.csv")?;
    let parameters: Vec<String> =
        points.headers().map_err(|e| e.to_string())?.iter().skip(1).map(String::from).collect();
    let mut x = Vec::new();
    for rec in points.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        x.push(rec.iter().skip(1).map(|v| v.parse::<f64>().unwrap_or(f64::NAN)).collect());
    }
    let mut summary = read("summary.csv")?;
    let mut means: Vec<(String, Vec<f64>)> = Vec::new();
    for rec in summary.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        let (point, outcome, mean) =
            (rec.get(0).unwrap_or(""), rec.get(1).unwrap_or(""), rec.get(3).unwrap_or(""));
        let point: usize = point.parse().map_err(|_| String::from("summary.csv: bad point"))?;
        let mean = mean.parse::<f64>().unwrap_or(f64::NAN);
        let col = match means.iter().position(|(n, _)| n == outcome) {
            Some(c) => c,
            None => {
                means.push((outcome.to_string(), vec![f64::NAN; x.len()]));
                means.len() - 1
            }
        };
        if let Some(slot) = means[col].1.get_mut(point) {
            *slot = mean;
        }
    }
    Ok(Table { parameters, x, outcomes: means })
}

/// A table produced by any model, in the design's row order: named parameter columns and one
/// outcome column.
pub fn csv_table(path: &Path, params: &[String], outcome: &str) -> Result<Table, String> {
    let mut r = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let header: Vec<String> =
        r.headers().map_err(|e| e.to_string())?.iter().map(String::from).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{}: no column `{name}`", path.display()))
    };
    let pcols: Vec<usize> = params.iter().map(|p| col(p)).collect::<Result<_, _>>()?;
    let ycol = col(outcome)?;
    let mut t = Table {
        parameters: params.to_vec(),
        x: Vec::new(),
        outcomes: vec![(outcome.to_string(), Vec::new())],
    };
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| e.to_string())?;
        let num = |c: usize| {
            rec.get(c)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| format!("{}: row {}: not a number", path.display(), i + 2))
        };
        t.x.push(pcols.iter().map(|c| num(*c)).collect::<Result<_, _>>()?);
        t.outcomes[0].1.push(num(ycol)?);
    }
    Ok(t)
}

/// Writes sensitivity.csv (and sensitivity_s2.csv for second-order Sobol) for the chosen
/// outcomes of `table` to `out`.
pub fn write_sensitivity(
    out: &Path,
    table: &Table,
    method: Method,
    only: Option<&str>,
    resamples: usize,
    seed: u64,
) -> Result<(), String> {
    let k = table.parameters.len();
    let chosen: Vec<&(String, Vec<f64>)> =
        table.outcomes.iter().filter(|(n, _)| only.is_none_or(|o| o == n)).collect();
    if chosen.is_empty() {
        return Err(format!("no numeric outcome named `{}`", only.unwrap_or("")));
    }
    let io = |e: io::Error| e.to_string();
    let mut f = AtomicFile::create(out).map_err(io)?;
    let mut s2rows: Vec<Vec<String>> = Vec::new();
    {
        let mut w = csv::Writer::from_writer(f.writer());
        let header: &[&str] = match method {
            Method::Sobol { .. } => &["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"],
            Method::Morris { .. } => {
                &["outcome", "parameter", "mu", "mu_star", "sigma", "mu_star_conf"]
            }
        };
        w.write_record(header).map_err(|e| e.to_string())?;
        for (name, y) in chosen {
            if only.is_none() && y.iter().any(|v| !v.is_finite()) {
                continue; // an outcome undefined at some point (e.g. a day that never came)
            }
            match method {
                Method::Sobol { second_order } => {
                    let s = sobol(y, k, second_order, resamples, seed)
                        .map_err(|m| format!("{name}: {m}"))?;
                    for (i, p) in table.parameters.iter().enumerate() {
                        let rec = [
                            name.clone(),
                            p.clone(),
                            opt(s.s1[i]),
                            opt(s.s1_conf[i]),
                            opt(s.st[i]),
                            opt(s.st_conf[i]),
                        ];
                        w.write_record(&rec).map_err(|e| e.to_string())?;
                    }
                    if let (Some(s2), Some(c2)) = (&s.s2, &s.s2_conf) {
                        for i in 0..k {
                            for j in i + 1..k {
                                s2rows.push(vec![
                                    name.clone(),
                                    table.parameters[i].clone(),
                                    table.parameters[j].clone(),
                                    opt(s2[i][j]),
                                    opt(c2[i][j]),
                                ]);
                            }
                        }
                    }
                }
                Method::Morris { levels } => {
                    let m = morris(&table.x, y, levels, resamples, seed)
                        .map_err(|m| format!("{name}: {m}"))?;
                    for (i, p) in table.parameters.iter().enumerate() {
                        let rec = [
                            name.clone(),
                            p.clone(),
                            opt(m.mu[i]),
                            opt(m.mu_star[i]),
                            opt(m.sigma[i]),
                            opt(m.mu_star_conf[i]),
                        ];
                        w.write_record(&rec).map_err(|e| e.to_string())?;
                    }
                }
            }
        }
        w.flush().map_err(io)?;
    }
    f.finish().map_err(io)?;
    if !s2rows.is_empty() {
        let s2path = out.with_file_name(format!(
            "{}_s2.csv",
            out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
        ));
        let mut f = AtomicFile::create(&s2path).map_err(io)?;
        {
            let mut w = csv::Writer::from_writer(f.writer());
            w.write_record(["outcome", "parameter_1", "parameter_2", "S2", "S2_conf"])
                .map_err(|e| e.to_string())?;
            for r in s2rows {
                w.write_record(&r).map_err(|e| e.to_string())?;
            }
            w.flush().map_err(io)?;
        }
        f.finish().map_err(io)?;
    }
    Ok(())
}
