//! A results folder's `manifest.json`: what the folder holds and how it was made, as one typed,
//! versioned record. Every writer fills a [`Manifest`] and calls [`Manifest::write`]; every
//! reader calls [`read`]. Nothing else touches the file.
//!
//! One struct serves every kind of folder: the fields all kinds share are plain, the fields of
//! one kind are `Option`s left out of the file when `None`. The file is written through a
//! `serde_json::Value`, so its keys stay sorted (a shard's design hash is a hash of that text).
//!
//! Schema history (`schema`):
//! - 1: manifests written before the field existed (sidelines 0.1 up to this change); they read
//!   as schema 1, with the same fields.
//! - 2: the field `schema`; `null`s are left out rather than written.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::TableFormat;
use crate::error::{At, Error, Result};

/// The schema this build writes. A manifest with a larger one was written by a newer sidelines
/// and is refused rather than half read.
pub const SCHEMA: u32 = 2;

/// The file's name in a results folder.
pub const FILE: &str = "manifest.json";

/// What made a folder: the command that wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Run,
    Batch,
    Replay,
    Sweep,
    Calibrate,
    CalibrateWave,
    Claims,
    Branches,
    Evaluate,
    Choose,
}

impl Kind {
    /// The name the manifest writes (`calibrate-wave`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Batch => "batch",
            Kind::Replay => "replay",
            Kind::Sweep => "sweep",
            Kind::Calibrate => "calibrate",
            Kind::CalibrateWave => "calibrate-wave",
            Kind::Claims => "claims",
            Kind::Branches => "branches",
            Kind::Evaluate => "evaluate",
            Kind::Choose => "choose",
        }
    }
}

/// One outcome column: its name, kind (`category`, `unit`, `day`), its labels (categories) and
/// whether it is a headline, which `chart` and `report` draw first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub headline: bool,
}

/// One column of the dictionary.
pub use crate::columns::Column;

/// A swept or calibrated parameter and its range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    pub path: String,
    /// The words the sweep or calibration file gave it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub low: f64,
    pub high: f64,
    /// A calibrated number of one episode only: its name (`path` then starts `EPISODE:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episode: Option<String>,
    /// A calibrated group: the patterns of the numbers whose log-odds it shifts (`path` is
    /// `group:NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Vec<String>>,
    /// A calibrated path's value in its episode's scenario, before calibration: where the
    /// posterior's charts mark the scenario's assumption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
}

impl From<&sidelines_scenario::sweep::SweepParameter> for Parameter {
    /// A swept or calibrated parameter as the manifest records it (sweep and calibration files
    /// declare their parameters alike).
    fn from(p: &sidelines_scenario::sweep::SweepParameter) -> Parameter {
        Parameter {
            path: p.path.clone(),
            label: p.label.clone(),
            low: p.low,
            high: p.high,
            episode: None,
            group: None,
            baseline: None,
        }
    }
}

impl Parameter {
    /// What a calibrated number sets, as the calibration file declared it.
    pub fn target(&self) -> sidelines_scenario::calibration::Target {
        use sidelines_scenario::calibration::{Set, Target};
        let own = match &self.episode {
            Some(e) => self.path.strip_prefix(&format!("{e}:")).unwrap_or(&self.path),
            None => &self.path,
        };
        let set = match &self.group {
            Some(patterns) => Set::Group {
                name: own.strip_prefix("group:").unwrap_or(own).to_string(),
                patterns: patterns.clone(),
            },
            None => Set::Path(own.to_string()),
        };
        Target { set, episode: self.episode.clone() }
    }
}

/// A sweep's design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Sampler {
    Grid,
    Random { samples: u64 },
    Lhs { samples: u64 },
    Sobol { samples: u64, second_order: bool },
    Morris { trajectories: u64, levels: u64 },
}

impl Sampler {
    pub fn name(&self) -> &'static str {
        match self {
            Sampler::Grid => "grid",
            Sampler::Random { .. } => "random",
            Sampler::Lhs { .. } => "lhs",
            Sampler::Sobol { .. } => "sobol",
            Sampler::Morris { .. } => "morris",
        }
    }
}

/// Replicates per sweep point: a fixed number, or adaptive to a target half-width.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Replicates {
    Fixed(u64),
    Adaptive { target_half_width: f64, outcome: String, min: u64, max: u64 },
}

/// A branch of `branches`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    pub name: String,
    pub description: String,
    pub end_date: String,
}

/// The Slurm job a shard ran in, from its environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slurm {
    pub job_id: String,
    pub array_job_id: Option<String>,
    pub array_task_id: Option<String>,
    pub job_name: Option<String>,
    pub node: Option<String>,
}

/// A shard's place in its job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
    /// What the slice counts: `runs`, `points` or `proposals`.
    pub units: String,
    pub first: u64,
    pub end: u64,
    /// Rows the shard's main table holds.
    pub rows: u64,
    /// The hash of the manifest without its circumstances: every shard of one job shares it.
    pub design: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slurm: Option<Slurm>,
}

/// A shard a merged folder was made from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Merged {
    pub folder: String,
    pub index: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slurm: Option<Slurm>,
}

/// `manifest.json`. Fields of one kind of folder are `None` in the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifest's schema (see the module's history); 1 when absent.
    #[serde(default = "schema_one")]
    pub schema: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The sidelines version that wrote the folder.
    pub version: String,
    pub kind: Kind,
    /// The command line, program first.
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trajectories: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TableFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantiles: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_from_run: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs_per_second: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<Vec<Outcome>>,
    /// The column dictionary: file name to its columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<BTreeMap<String, Vec<Column>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_scenario_toml: Option<String>,
    /// Files the job wrote besides its tables (a replay's record.csv).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<Vec<Merged>>,

    // A run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon_days: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,

    // A replay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_last_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then_days: Option<u64>,
    /// The calibration folder a replay or claims drew its assumptions from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posterior: Option<String>,

    // A sweep (and the parameters of a calibration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampler: Option<Sampler>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Vec<Parameter>>,
    /// Design points of a sweep; points of the likelihoods' space of claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicates: Option<Replicates>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_random_numbers: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep_toml: Option<String>,

    // Claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumptions_varied: Option<u64>,

    // Branches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branches: Option<Vec<Branch>>,

    // An evaluation: its episodes as `SCENARIO=TIMELINE`, and the bootstrap's resamples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episodes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resamples: Option<u64>,

    // A calibration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_that_failed_validation: Option<u64>,
    /// The calibration file as the user wrote it (TOML as JSON): kept, not interpreted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration_file: Option<serde_json::Value>,

    // A calibration wave (one shard of one generation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration_dir: Option<String>,
    /// The calibration's identity (its file and scenario as resolved): compared whole, so kept
    /// as the JSON the calibration made of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave_start: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batches_per_shard: Option<u64>,
}

fn schema_one() -> u32 {
    1
}

impl Manifest {
    /// An empty manifest of `kind`, written by this build.
    pub fn new(kind: Kind, command: &[String]) -> Manifest {
        Manifest {
            schema: SCHEMA,
            tool: Some(String::from("sidelines")),
            version: String::from(env!("CARGO_PKG_VERSION")),
            kind,
            command: command.to_vec(),
            scenario: None,
            seed: None,
            runs: None,
            threads: None,
            trajectories: None,
            format: None,
            seed_rule: None,
            quantiles: None,
            resumed_from_run: None,
            elapsed_seconds: None,
            runs_per_second: None,
            outcomes: None,
            columns: None,
            resolved_scenario_toml: None,
            files: None,
            shard: None,
            merged_from: None,
            horizon_days: None,
            start_date: None,
            timeline: None,
            observed: None,
            record_last_date: None,
            then_days: None,
            posterior: None,
            sweep: None,
            sampler: None,
            parameters: None,
            points: None,
            replicates: None,
            common_random_numbers: None,
            sweep_toml: None,
            spread: None,
            assumptions_varied: None,
            branches: None,
            episodes: None,
            resamples: None,
            calibration: None,
            method: None,
            stopped: None,
            points_that_failed_validation: None,
            calibration_file: None,
            calibration_path: None,
            calibration_dir: None,
            identity: None,
            generation: None,
            wave_start: None,
            batches_per_shard: None,
        }
    }

    /// The manifest as JSON with sorted keys: what the file holds.
    pub fn to_json(&self) -> serde_json::Value {
        // A struct of strings, numbers and JSON values always converts.
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Writes `dir/manifest.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<()> {
        crate::write_json(&dir.join(FILE), &self.to_json())
    }

    /// The table format of the folder's runs and trajectories (CSV when not recorded).
    pub fn table_format(&self) -> TableFormat {
        self.format.unwrap_or_default()
    }

    /// The outcome table (empty when not recorded).
    pub fn outcomes(&self) -> &[Outcome] {
        self.outcomes.as_deref().unwrap_or_default()
    }

    /// The swept or calibrated parameters (empty when none).
    pub fn parameters(&self) -> &[Parameter] {
        self.parameters.as_deref().unwrap_or_default()
    }

    /// The swept or calibrated parameters' paths.
    pub fn parameter_paths(&self) -> Vec<String> {
        self.parameters().iter().map(|p| p.path.clone()).collect()
    }

    /// The headline numeric outcomes, in table order: what `chart` and `report` draw first.
    pub fn headline_numeric(&self) -> Vec<String> {
        self.outcomes()
            .iter()
            .filter(|o| o.headline && o.kind == "unit")
            .map(|o| o.name.clone())
            .collect()
    }

    /// The headline yes/no outcomes (labels `false`, `true`), by name.
    pub fn headline_flags(&self) -> Vec<String> {
        self.outcomes()
            .iter()
            .filter(|o| o.headline && o.labels == sidelines_model::FLAG_VALUES)
            .map(|o| o.name.clone())
            .collect()
    }

    /// The scenario's name ("" when the folder has none).
    pub fn scenario_name(&self) -> &str {
        self.scenario.as_deref().unwrap_or_default()
    }

    /// The columns the dictionary records for `file` (empty when none).
    pub fn columns_of(&self, file: &str) -> &[Column] {
        self.columns.as_ref().and_then(|c| c.get(file)).map(Vec::as_slice).unwrap_or_default()
    }
}

/// Reads `path` (a `manifest.json`): a damaged-file error naming the line, column and field
/// when it is not one, and a clear refusal when a newer sidelines wrote it.
pub fn read_file(path: &Path) -> Result<Manifest> {
    let bytes = std::fs::read(path).at(path)?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let manifest: Manifest = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let at = format!("line {}, column {}", inner.line(), inner.column());
        let what = json_words(&inner);
        if inner.classify() != serde_json::error::Category::Data {
            Error::damaged(path, format!("{at}: not valid JSON: {what}"))
        } else if field.is_empty() || field == "." {
            Error::damaged(path, format!("{at}: not a sidelines manifest: {what}"))
        } else {
            Error::damaged(path, format!("{at}: field `{field}`: {what}"))
        }
    })?;
    if manifest.schema > SCHEMA {
        return Err(Error::damaged(
            path,
            format!(
                "has manifest schema {} and this sidelines {} reads up to {SCHEMA}: it was written by a newer sidelines",
                manifest.schema,
                env!("CARGO_PKG_VERSION")
            ),
        ));
    }
    Ok(manifest)
}

/// Reads `dir/manifest.json`.
pub fn read(dir: &Path) -> Result<Manifest> {
    read_file(&dir.join(FILE))
}

/// serde_json's message without its own " at line L column C" (the place is given first).
pub fn json_words(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_file_with_sorted_keys() {
        let mut m = Manifest::new(Kind::Sweep, &[String::from("sidelines"), String::from("sweep")]);
        m.sampler = Some(Sampler::Sobol { samples: 64, second_order: true });
        m.replicates = Some(Replicates::Adaptive {
            target_half_width: 0.01,
            outcome: String::from("x"),
            min: 10,
            max: 100,
        });
        m.format = Some(TableFormat::Parquet);
        let dir = tempfile::tempdir().unwrap();
        m.write(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert!(text.contains("\"kind\": \"sweep\""), "{text}");
        assert!(text.contains("\"format\": \"parquet\""), "{text}");
        assert!(!text.contains("null"), "Nones are left out: {text}");
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("  \""))
            .map(|l| l.trim().split('"').nth(1).unwrap())
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted);
        assert_eq!(read(dir.path()).unwrap(), m);
    }

    #[test]
    fn a_manifest_without_schema_is_schema_one_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        std::fs::write(&path, r#"{"kind": "batch", "version": "0.1.0", "seed": 3}"#).unwrap();
        let m = read(dir.path()).unwrap();
        assert_eq!((m.schema, m.kind, m.seed), (1, Kind::Batch, Some(3)));
        std::fs::write(&path, r#"{"kind": "batch", "version": "9", "schema": 99}"#).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("schema 99") && e.contains("newer sidelines"), "{e}");
    }

    #[test]
    fn a_wrong_field_is_named_with_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(FILE),
            "{\"kind\": \"batch\",\n \"version\": \"0.1.0\",\n \"runs\": \"many\"}",
        )
        .unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("field `runs`") && e.contains("line 3"), "{e}");
        std::fs::write(dir.path().join(FILE), r#"{"kind": "teapot", "version": "1"}"#).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("field `kind`") && e.contains("teapot"), "{e}");
    }
}
