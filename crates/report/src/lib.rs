//! Writers for `sidelines` outputs: tidy CSV tables and a JSON manifest.
//!
//! Every file is written under a temporary name in its destination folder and renamed into
//! place when complete, so a folder never holds a truncated file that looks finished. Numbers
//! are written with Rust's shortest round-trip formatting: the same value always gives the same
//! bytes, and reading the text back gives the same `f64`.

pub mod batch;
pub mod charts;
pub mod html;
pub mod sweep;
pub mod xlsx;

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sidelines_model::{RunOutput, Simulation, Value};
use sidelines_scenario::Scenario;

/// What a manifest records about the command that produced a folder.
#[derive(Clone, Debug)]
pub struct Provenance {
    pub version: &'static str,
    pub command: Vec<String>,
}

/// A file being written: `.name.partial` until `finish` renames it to `name`.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    writer: BufWriter<fs::File>,
}

impl AtomicFile {
    pub fn create(dest: &Path) -> io::Result<AtomicFile> {
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = dest.with_file_name(format!(".{name}.partial"));
        let file = fs::File::create(&tmp)?;
        Ok(AtomicFile { tmp, dest: dest.to_path_buf(), writer: BufWriter::new(file) })
    }

    pub fn writer(&mut self) -> &mut BufWriter<fs::File> {
        &mut self.writer
    }

    /// Flushes, syncs and renames into place.
    pub fn finish(mut self) -> io::Result<()> {
        self.writer.flush()?;
        self.writer.get_ref().sync_all()?;
        fs::rename(&self.tmp, &self.dest)
    }
}

/// Formats one outcome value for CSV: numbers round-trip, missing is empty.
pub fn format_value(v: &Value) -> String {
    match v {
        Value::Text(t) => (*t).to_string(),
        Value::Number(x) => format_number(*x),
        Value::Day(d) => d.to_string(),
        Value::Flag(b) => b.to_string(),
        Value::Missing => String::new(),
    }
}

/// The header of summary.csv, for batches and sweeps alike.
pub const SUMMARY_HEADER: [&str; 12] = [
    "point",
    "outcome",
    "n",
    "mean",
    "sd",
    "ci95_low",
    "ci95_high",
    "p05",
    "p25",
    "p50",
    "p75",
    "p95",
];

/// The header of outcomes.csv.
pub const OUTCOMES_HEADER: [&str; 7] =
    ["point", "outcome", "value", "count", "share", "ci95_low", "ci95_high"];

/// A statistic for CSV: empty when undefined (no values, or a single one for an sd).
pub fn format_optional(x: f64) -> String {
    if x.is_finite() { format_number(x) } else { String::new() }
}

/// Shortest round-trip decimal form of a float.
pub fn format_number(x: f64) -> String {
    if x == 0.0 { String::from("0") } else { format!("{x}") }
}

pub(crate) fn csv_error(e: csv::Error) -> io::Error {
    io::Error::other(e)
}

/// The header of run.csv and of a batch's runs.csv.
pub fn runs_header(sim: &Simulation) -> Vec<String> {
    let mut h: Vec<String> = ["run", "point", "replicate", "seed"].map(String::from).to_vec();
    h.extend(sim.outcome_names().iter().cloned());
    h
}

/// The key columns of a row of runs.csv: run, point, replicate, seed.
pub fn row_key(run: u64, point: u64, replicate: u64, seed: u64) -> Vec<String> {
    vec![run.to_string(), point.to_string(), replicate.to_string(), seed.to_string()]
}

/// One row of runs.csv.
pub fn runs_row(run: u64, point: u64, replicate: u64, out: &RunOutput) -> Vec<String> {
    let mut row = row_key(run, point, replicate, out.seed);
    row.extend(out.outcomes.iter().map(format_value));
    row
}

/// Writes trajectory.csv, events.csv, run.csv and manifest.json for one run into `dir`.
pub fn write_run(
    dir: &Path,
    sim: &Simulation,
    out: &RunOutput,
    prov: &Provenance,
) -> io::Result<()> {
    let s = sim.scenario();
    write_trajectory(&dir.join("trajectory.csv"), sim, out)?;
    write_events(&dir.join("events.csv"), sim, out)?;

    let mut f = AtomicFile::create(&dir.join("run.csv"))?;
    {
        let mut w = csv::Writer::from_writer(f.writer());
        w.write_record(runs_header(sim)).map_err(csv_error)?;
        w.write_record(runs_row(0, 0, 0, out)).map_err(csv_error)?;
        w.flush()?;
    }
    f.finish()?;

    let manifest = serde_json::json!({
        "tool": "sidelines",
        "version": prov.version,
        "command": prov.command,
        "kind": "run",
        "scenario": s.name,
        "seed": out.seed,
        "horizon_days": s.horizon_days,
        "start_date": s.start_date.to_string(),
        "resolved_scenario_toml": resolved_toml(s),
    });
    write_json(&dir.join("manifest.json"), &manifest)
}

/// The resolved scenario as TOML text: save it to a file and `sidelines run` it.
pub fn resolved_toml(s: &Scenario) -> String {
    toml::to_string(&s.document).unwrap_or_default()
}

pub fn write_json(path: &Path, value: &serde_json::Value) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    serde_json::to_writer_pretty(f.writer(), value).map_err(io::Error::other)?;
    f.writer().write_all(b"\n")?;
    f.finish()
}

fn write_trajectory(path: &Path, sim: &Simulation, out: &RunOutput) -> io::Result<()> {
    let s = sim.scenario();
    let series = sim.series();
    let mut f = AtomicFile::create(path)?;
    {
        let mut w = csv::Writer::from_writer(f.writer());
        w.write_record(["day", "date", "actor", "variable", "value"]).map_err(csv_error)?;
        if !series.is_empty() {
            for (day, row) in out.trajectory.chunks(series.len()).enumerate() {
                let day = day as u32;
                let date = s.date(day);
                let d = day.to_string();
                for (x, se) in row.iter().zip(series) {
                    w.write_record([
                        d.as_str(),
                        &date,
                        &se.actor,
                        &se.variable,
                        &format_number(*x),
                    ])
                    .map_err(csv_error)?;
                }
            }
        }
        w.flush()?;
    }
    f.finish()
}

fn write_events(path: &Path, sim: &Simulation, out: &RunOutput) -> io::Result<()> {
    let s = sim.scenario();
    let mut f = AtomicFile::create(path)?;
    {
        let mut w = csv::Writer::from_writer(f.writer());
        let mut header: Vec<String> =
            ["day", "date", "kind", "source", "target", "class", "magnitude"]
                .map(String::from)
                .to_vec();
        for &o in sim.observers() {
            header.push(format!("{}_perceived_day", s.actors[o].code.to_lowercase()));
        }
        w.write_record(&header).map_err(csv_error)?;
        for e in &out.events {
            let kind = &s.events[e.kind];
            let mut row = vec![
                e.day.to_string(),
                s.date(e.day),
                kind.name.clone(),
                s.actors[e.source].code.clone(),
                e.target.map(|t| s.actors[t].code.clone()).unwrap_or_default(),
                match kind.class {
                    sidelines_scenario::Class::Action => String::from("action"),
                    sidelines_scenario::Class::Statement => String::from("statement"),
                },
                format_number(e.magnitude),
            ];
            row.extend(e.perceived.iter().map(|p| p.map(|d| d.to_string()).unwrap_or_default()));
            w.write_record(&row).map_err(csv_error)?;
        }
        w.flush()?;
    }
    f.finish()
}
