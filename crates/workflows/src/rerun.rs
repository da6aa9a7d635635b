//! `sidelines run --from DIR --row N`: one row of a finished batch, replay or sweep, run again
//! on its own with its trajectory and events, from what the folder keeps (its resolved
//! scenario, a sweep point's values, a posterior replay's draw, the row's seed).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sidelines_model::{RunOutput, Simulation};
use sidelines_report::manifest::{Kind, Manifest};
use sidelines_scenario::Scenario;

use crate::error::{Result, input};

/// What a row needs to run again, and what it held.
#[derive(Clone, Debug)]
pub struct Rerun {
    pub scenario: Arc<Scenario>,
    pub seed: u64,
    /// The row's cells by column, as the folder holds them.
    pub row: Vec<(String, String)>,
    /// "row 17 of outputs/x (a sweep, point 3)": for the summary and the run's manifest.
    pub origin: String,
}

/// An outcome whose re-run value is not the folder's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub outcome: String,
    pub folder: String,
    pub rerun: String,
}

/// The scenario and seed of row `run` (the `run` column's value) of `dir`'s runs table.
pub fn from_folder(dir: &Path, run: u64) -> Result<Rerun> {
    let manifest = sidelines_report::folder::check(dir)?.manifest;
    if !matches!(manifest.kind, Kind::Batch | Kind::Replay | Kind::Sweep) {
        return Err(input(format!(
            "{}: {} folder keeps no runs to re-run (a batch, replay or sweep folder does)",
            dir.display(),
            crate::inputs::a_kind(manifest.kind)
        )));
    }
    let row = read_row(dir, run)?;
    let cell = |name: &str| {
        row.iter()
            .find(|(c, _)| c == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| input(format!("{}: runs table has no column `{name}`", dir.display())))
    };
    let seed: u64 = cell("seed")?
        .parse()
        .map_err(|_| input(format!("{}: row {run}'s seed is not a number", dir.display())))?;
    let text = manifest.resolved_scenario_toml.as_deref().ok_or_else(|| {
        input(format!("{}: the manifest keeps no resolved scenario", dir.display()))
    })?;
    let document: toml::Table = toml::from_str(text).map_err(|e| {
        input(format!("{}: resolved_scenario_toml does not parse: {e}", dir.display()))
    })?;
    let base = sidelines_scenario::from_document(&document)?;
    let mut origin = format!("row {run} of {} (a {}", dir.display(), manifest.kind.name());
    let scenario = match manifest.kind {
        Kind::Sweep => {
            let paths = manifest.parameter_paths();
            let mut values = Vec::with_capacity(paths.len());
            for p in &paths {
                let v = cell(p)?.parse::<f64>().map_err(|_| {
                    input(format!("{}: row {run}'s `{p}` is not a number", dir.display()))
                })?;
                values.push((p.as_str(), v));
            }
            origin.push_str(&format!(", point {}", cell("point")?));
            base.with_values(values)?
        }
        Kind::Replay if manifest.posterior.is_some() => posterior_draw(&manifest, &base, run)?,
        _ => base,
    };
    origin.push(')');
    Ok(Rerun { scenario: Arc::new(scenario), seed, row, origin })
}

/// A posterior replay's run `run`: the same systematic resample of the same calibration folder,
/// taken again (it is a pure function of the folder and the number of runs).
fn posterior_draw(manifest: &Manifest, base: &Scenario, run: u64) -> Result<Scenario> {
    let dir = PathBuf::from(manifest.posterior.as_deref().unwrap_or_default());
    if !dir.is_dir() {
        return Err(input(format!(
            "this replay drew its runs from the posterior in {}, which is not there (from this \
             folder): run from where the replay ran, or put the calibration folder back",
            dir.display()
        )));
    }
    let runs = manifest.runs.unwrap_or(0) as usize;
    let drawn = crate::posterior::posterior_runs(&dir, base, runs)?;
    let s = drawn.runs.get(run as usize).ok_or_else(|| {
        input(format!("the posterior in {} gives {} runs, not {}", dir.display(), runs, run + 1))
    })?;
    Ok(Scenario::clone(s))
}

/// Row `run` of runs.csv (or runs.parquet), cell by column.
fn read_row(dir: &Path, run: u64) -> Result<Vec<(String, String)>> {
    let table = sidelines_report::parquet::csv_of(dir, "runs")?;
    let (path, named) = (&table.path, &table.named);
    let bad = |e: csv::Error| input(format!("{}: {e}", named.display()));
    let mut r = csv::Reader::from_path(path).map_err(bad)?;
    let header: Vec<String> = r.headers().map_err(bad)?.iter().map(String::from).collect();
    let run_col = header
        .iter()
        .position(|h| h == "run")
        .ok_or_else(|| input(format!("{}: no column `run`", named.display())))?;
    let mut rows = 0u64;
    for rec in r.records() {
        let rec = rec.map_err(bad)?;
        rows += 1;
        if rec.get(run_col) == Some(run.to_string().as_str()) {
            return Ok(header.iter().cloned().zip(rec.iter().map(String::from)).collect());
        }
    }
    Err(input(match rows {
        0 => format!("--row {run}: {} holds no runs", named.display()),
        n => format!("--row {run}: {} holds runs 0 to {} ({n} rows)", named.display(), n - 1),
    }))
}

/// The outcomes of `out` that differ from the row's cells (none: the row ran again exactly).
pub fn compare(rerun: &Rerun, sim: &Simulation, out: &RunOutput) -> Vec<Mismatch> {
    sim.outcome_names()
        .iter()
        .zip(&out.outcomes)
        .filter_map(|(name, value)| {
            let folder = rerun.row.iter().find(|(c, _)| c == name)?.1.clone();
            let rerun = sidelines_report::format_value(value);
            (folder != rerun).then(|| Mismatch { outcome: name.clone(), folder, rerun })
        })
        .collect()
}

/// Run `run`'s trajectory as the folder kept it (trajectories.csv with `--trajectories K`),
/// in trajectory.csv's form (its rows without the leading run number); None when the folder
/// kept no trajectory of that run.
pub fn kept_trajectory(dir: &Path, run: u64) -> Result<Option<Vec<u8>>> {
    use std::io::BufRead;
    let path = dir.join("trajectories.csv");
    let Ok(file) = std::fs::File::open(&path) else { return Ok(None) };
    let bad = |e: std::io::Error| input(format!("{}: {e}", path.display()));
    let mut lines = std::io::BufReader::new(file).lines();
    let header = match lines.next() {
        Some(h) => h.map_err(bad)?,
        None => return Ok(None),
    };
    let Some(header) = header.strip_prefix("run,") else { return Ok(None) };
    let prefix = format!("{run},");
    let mut out = format!("{header}\n").into_bytes();
    let mut found = false;
    for line in lines {
        let line = line.map_err(bad)?;
        match line.strip_prefix(&prefix) {
            Some(rest) => {
                found = true;
                out.extend_from_slice(rest.as_bytes());
                out.push(b'\n');
            }
            // Runs are written in order: past this run's rows there are none of it.
            None if found => break,
            None => {}
        }
    }
    Ok(found.then_some(out))
}
