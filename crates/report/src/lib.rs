//! Writers for `sidelines` outputs: tidy CSV tables and a JSON manifest.
//!
//! Every file is written under a temporary name in its destination folder and renamed into
//! place when complete (`AtomicFile`), so a folder never holds a truncated file that looks
//! finished. Numbers are written with Rust's shortest round-trip formatting: the same value
//! always gives the same bytes, and reading the text back gives the same `f64`.

mod atomic;
pub mod batch;
pub mod charts;
pub mod checkpoint;
pub mod columns;
mod error;
pub mod folder;
pub mod html;
pub mod manifest;
pub mod parquet;
pub mod shard;
pub mod sweep;
pub mod xlsx;

use std::io::BufWriter;
use std::path::Path;

use sidelines_model::{RunOutput, Simulation, Value};
use sidelines_scenario::Scenario;
use tempfile::NamedTempFile;

pub use atomic::{AtomicFile, remove_stale, write_atomic};
pub use error::{Error, Result, in_words};

use error::At;

/// How runs and trajectories are written: CSV, or Parquet for tables too large for it (see
/// `parquet`). Summaries and the other small tables are CSV either way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    #[default]
    Csv,
    Parquet,
}

impl TableFormat {
    pub fn name(self) -> &'static str {
        match self {
            TableFormat::Csv => "csv",
            TableFormat::Parquet => "parquet",
        }
    }

    /// The format named `csv` or `parquet` (`--format`, `format=`).
    pub fn from_name(name: &str) -> Option<TableFormat> {
        match name {
            "csv" => Some(TableFormat::Csv),
            "parquet" => Some(TableFormat::Parquet),
            _ => None,
        }
    }
}

/// What a manifest records about the command that produced a folder.
#[derive(Clone, Debug)]
pub struct Provenance {
    pub version: &'static str,
    pub command: Vec<String>,
}

/// A CSV table being written atomically; rows go through `row`, which names the file in any
/// error.
pub(crate) struct CsvOut<'a> {
    path: &'a Path,
    w: csv::Writer<&'a mut BufWriter<NamedTempFile>>,
}

impl CsvOut<'_> {
    pub(crate) fn row<I, T>(&mut self, record: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.w.write_record(record).at(self.path)
    }
}

/// Writes the table `path` with `fill`, under a temporary name until it is whole.
pub(crate) fn write_csv(
    path: &Path,
    fill: impl FnOnce(&mut CsvOut<'_>) -> Result<()>,
) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    {
        let mut out = CsvOut { path, w: csv::Writer::from_writer(f.writer()) };
        fill(&mut out)?;
        out.w.flush().at(path)?;
    }
    f.finish()
}

/// Formats one outcome value for CSV: numbers round-trip, missing is empty.
pub fn format_value(v: &Value) -> String {
    match v {
        Value::Text(t) => (*t).to_string(),
        Value::Number(x) => format_number(*x),
        Value::Day(d) => d.to_string(),
        Value::Flag(b) => flag_text(*b).to_string(),
        Value::Missing => String::new(),
    }
}

/// The column of the share of runs where `outcome` is `value`: `talks_outcome=agreement`.
pub fn share_column(outcome: &str, value: &str) -> String {
    format!("{outcome}={value}")
}

/// A yes/no outcome's share column, of its `true` (its `false` share has the same indices).
pub fn flag_share_column(outcome: &str) -> String {
    share_column(outcome, sidelines_model::FLAG_VALUES[1])
}

/// A flag as CSV writes it: `TRUE` or `FALSE`, which pandas, polars and R's `read.csv` all read
/// as logical with no options (R reads `true` as text).
pub fn flag_text(b: bool) -> &'static str {
    if b { "TRUE" } else { "FALSE" }
}

/// A flag cell read back: `TRUE`/`FALSE`, or the `true`/`false` of folders written before.
pub fn parse_flag(s: &str) -> Option<bool> {
    match s {
        "TRUE" | "true" => Some(true),
        "FALSE" | "false" => Some(false),
        _ => None,
    }
}

/// The columns that key each row of summary.csv and outcomes.csv: the scenario, the design
/// point, and in a sweep the value of each parameter at that point. With them, the tables of two
/// batches stack, and a sweep's summary filters by parameter without a join to points.csv.
pub fn keyed_header(parameters: &[String], rest: &[&str]) -> Vec<String> {
    let mut h = vec![String::from("scenario"), String::from("point")];
    h.extend(parameters.iter().cloned());
    h.extend(rest.iter().map(|c| c.to_string()));
    h
}

/// The key of one point's rows (see `keyed_header`).
pub fn row_keys(scenario: &str, point: u64, values: &[f64]) -> Vec<String> {
    let mut k = vec![scenario.to_string(), point.to_string()];
    k.extend(values.iter().map(|x| format_number(*x)));
    k
}

/// The header of summary.csv after its keys, for batches and sweeps alike.
pub const SUMMARY_HEADER: [&str; 11] =
    ["outcome", "n", "mean", "sd", "ci95_low", "ci95_high", "p05", "p25", "p50", "p75", "p95"];

/// The header of outcomes.csv after its keys.
pub const OUTCOMES_HEADER: [&str; 6] =
    ["outcome", "value", "count", "share", "ci95_low", "ci95_high"];

/// A statistic for CSV: empty when undefined (no values, or a single one for an sd).
pub fn format_optional(x: f64) -> String {
    if x.is_finite() { format_number(x) } else { String::new() }
}

/// Shortest round-trip decimal form of a float, with a decimal point even when it is whole
/// (`1.0`, `0.0`): a reader that guesses a column's type from its first rows (polars reads 100,
/// pandas all) then sees a real number, not an integer column that a later `0.67` breaks.
/// Below 1e-4 and from 1e16 on, in exponent form (`1.8e-31`, not 48 digits), where Python's
/// `repr` switches too; Excel, pandas, polars and R read both.
pub fn format_number(x: f64) -> String {
    if x == 0.0 {
        return String::from("0.0");
    }
    if x.is_finite() && (x.abs() < 1e-4 || x.abs() >= 1e16) {
        return format!("{x:e}");
    }
    let s = format!("{x}");
    if x.is_finite() && !s.contains('.') { s + ".0" } else { s }
}

/// The outcome table for a manifest: each column's name, kind (with its labels) and whether it
/// is a headline, which `chart` and `report` draw first.
pub fn outcomes_table(sim: &Simulation) -> Vec<manifest::Outcome> {
    use sidelines_model::OutcomeKind;
    sim.outcomes()
        .iter()
        .map(|o| {
            let (kind, labels): (&str, &[&str]) = match o.kind {
                OutcomeKind::Category(labels) => ("category", labels),
                OutcomeKind::Unit => ("unit", &[]),
                OutcomeKind::Day => ("day", &[]),
            };
            manifest::Outcome {
                name: o.name.to_string(),
                kind: kind.to_string(),
                labels: labels.iter().map(|l| l.to_string()).collect(),
                headline: o.headline,
            }
        })
        .collect()
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
pub fn write_run(dir: &Path, sim: &Simulation, out: &RunOutput, prov: &Provenance) -> Result<()> {
    let s = sim.scenario();
    write_trajectory(&dir.join("trajectory.csv"), sim, out)?;
    write_events(&dir.join("events.csv"), sim, out)?;
    write_csv(&dir.join("run.csv"), |w| {
        w.row(runs_header(sim))?;
        w.row(runs_row(0, 0, 0, out))
    })?;
    let manifest = manifest::Manifest {
        seed: Some(out.seed),
        scenario: Some(s.name.clone()),
        horizon_days: Some(u64::from(s.horizon_days)),
        start_date: Some(s.start_date.to_string()),
        resolved_scenario_toml: Some(resolved_toml(s)),
        ..manifest::Manifest::new(manifest::Kind::Run, &prov.command)
    };
    manifest.write(dir)
}

/// The resolved scenario as TOML text: save it to a file and `sidelines run` it.
pub fn resolved_toml(s: &Scenario) -> String {
    toml::to_string(&s.document).unwrap_or_default()
}

pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let mut text =
        serde_json::to_string_pretty(value).map_err(|e| Error::damaged(path, e.to_string()))?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

fn write_trajectory(path: &Path, sim: &Simulation, out: &RunOutput) -> Result<()> {
    let s = sim.scenario();
    let series = sim.series();
    write_csv(path, |w| {
        w.row(["day", "date", "actor", "variable", "value"])?;
        if series.is_empty() {
            return Ok(());
        }
        for (day, row) in out.trajectory.chunks(series.len()).enumerate() {
            let day = day as u32;
            let date = s.date(day);
            let d = day.to_string();
            for (x, se) in row.iter().zip(series) {
                w.row([d.as_str(), &date, &se.actor, &se.variable, &format_number(*x)])?;
            }
        }
        Ok(())
    })
}

fn write_events(path: &Path, sim: &Simulation, out: &RunOutput) -> Result<()> {
    let s = sim.scenario();
    write_csv(path, |w| {
        let mut header: Vec<String> =
            ["day", "date", "kind", "source", "target", "class", "magnitude"]
                .map(String::from)
                .to_vec();
        for &o in sim.observers() {
            header.push(format!("{}_perceived_day", s.actors[o].code.to_lowercase()));
        }
        w.row(&header)?;
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
            w.row(&row)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_in_their_shortest_form() {
        for x in [0.1, 1.0 / 3.0, 1e-300, 123456789.125, -2.5, f64::MIN_POSITIVE] {
            let text = format_number(x);
            assert_eq!(text.parse::<f64>().expect("number"), x, "{text}");
        }
        assert_eq!(format_number(0.0), "0.0");
        assert_eq!(format_number(-0.0), "0.0");
        assert_eq!(format_number(2.0), "2.0");
        assert_eq!(format_number(1e21), "1e21");
        assert_eq!(format_number(1.8180155933309935e-31), "1.8180155933309935e-31");
        assert_eq!(format_number(0.0001), "0.0001");
        assert_eq!(format_number(-5e-5), "-5e-5");
        assert_eq!(format_optional(f64::NAN), "");
        assert_eq!(format_optional(f64::INFINITY), "");
    }

    #[test]
    fn values_format_for_csv() {
        assert_eq!(format_value(&Value::Text("ongoing")), "ongoing");
        assert_eq!(format_value(&Value::Day(12)), "12");
        assert_eq!(format_value(&Value::Flag(true)), "TRUE");
        assert_eq!(format_value(&Value::Missing), "");
        assert_eq!(row_key(5, 1, 2, 99), ["5", "1", "2", "99"]);
    }
}
