//! Model choice (`sidelines choose FILE`): which of several named model variants the records of
//! the file's episodes favour, by ABC with a reference table (`sidelines_experiment::choice`),
//! and whether the records could tell the variants apart at all (records simulated from each).
//!
//! A model-choice file is a calibration file with `[[models]]` (see
//! `sidelines_scenario::calibration`). Draw `i` of model `m` takes the file's parameters from
//! their prior, sets them in every episode's scenario with its record in it, then sets what the
//! model fixes; its `replicates` runs of every episode are its simulated records, each the
//! category of every observation (as `evaluate` reads them). Run seeds are
//! `run_seed(seed, draw_id(m, i), replicate)`; everything is a pure function of the file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use rayon::prelude::*;
use sidelines_experiment::choice::{self, Posterior, Table};
use sidelines_experiment::run_seed;
use sidelines_experiment::stats::wilson;
use sidelines_model::Simulation;
use sidelines_report::manifest::{Kind, Manifest};
use sidelines_scenario::Scenario;
use sidelines_scenario::calibration::{Bound, Calibration, ModelChoice, load_calibration};

use crate::error::{Error, Result, input};
use crate::evaluate::Observations;
use crate::exec::Hooks;
use crate::inputs::{fresh_dir, guard_out_dir, read_input, resolve_base};

#[derive(Clone, Debug)]
pub struct ChooseSpec {
    /// The command recorded in the manifest.
    pub command_line: Vec<String>,
    /// A model-choice file (e.g. configs/models/episodes.toml).
    pub file: PathBuf,
    /// Worker threads [default: all cores]; results do not depend on it.
    pub threads: Option<u64>,
    /// Output folder [default: outputs/choose-<name>/<date>T<time>Z/].
    pub out: Option<PathBuf>,
    /// Write into --out even if it already holds results.
    pub force: bool,
}

/// Files a model-choice folder holds; one holding any is not overwritten without --force.
pub const FILES: [&str; 5] =
    ["models.csv", "confusion.csv", "groups.csv", "parameters.csv", "manifest.json"];

/// One model's result.
#[derive(Clone, Debug)]
pub struct ModelResult {
    pub name: String,
    pub description: String,
    /// Its posterior probability given the record, and the Monte Carlo standard error.
    pub probability: f64,
    pub se: f64,
    /// Simulated records of it kept nearest the record.
    pub kept: u64,
    /// Parameter draws that validated, and that did not.
    pub valid: u64,
    pub invalid: u64,
    /// Of its synthetic records, how many it won, and how many there were.
    pub chosen: u64,
    pub checked: u64,
}

impl ModelResult {
    /// The share of its own synthetic records it won, with a Wilson 95% interval.
    pub fn recovered(&self) -> (f64, f64, f64) {
        wilson(self.chosen, self.checked)
    }
}

/// A group of models the records cannot tell apart (`choice::groups`): its members, its
/// posterior probability and error, and how many of its synthetic records a member won.
#[derive(Clone, Debug)]
pub struct GroupResult {
    pub members: Vec<String>,
    pub probability: f64,
    pub se: f64,
    pub chosen: u64,
    pub checked: u64,
}

impl GroupResult {
    /// The share of its synthetic records won inside the group, with a Wilson 95% interval.
    pub fn recovered(&self) -> (f64, f64, f64) {
        wilson(self.chosen, self.checked)
    }
}

/// A model choice's result.
#[derive(Clone, Debug)]
pub struct Chosen {
    pub dir: PathBuf,
    pub name: String,
    pub models: Vec<ModelResult>,
    /// Observations in the record, across its episodes.
    pub observations: usize,
    /// The record's tolerance: kept simulated records miss at most this many observations.
    pub tolerance: usize,
    pub accept: u64,
    pub draws: u64,
    pub replicates: u64,
    pub episodes: usize,
    /// Per model simulated from, how many of its records each model won (last: ties).
    pub confusion: Vec<Vec<u64>>,
    /// Per model, per parameter: the kept draws' weighted mean and 5%, 50%, 95% quantiles.
    pub parameters: Vec<(String, String, [f64; 4])>,
    /// The groups of models the records tell apart (none without a synthetic check).
    pub groups: Vec<GroupResult>,
}

/// An episode ready to simulate: its name, its scenario with the record in it, how its runs
/// read as categories, and what each model fixes in it.
struct Episode {
    name: String,
    scenario: Scenario,
    bound: Vec<Bound>,
    observations: Observations,
    fixed: Vec<Vec<(String, f64)>>,
}

/// Compares the file's models on its episodes' records.
pub fn choose(spec: &ChooseSpec, mut hooks: Hooks<'_>) -> Result<Chosen> {
    let file = spec.file.display().to_string();
    let bytes = read_input(&spec.file).map_err(|e| input(format!("cannot read {file}: {e}")))?;
    let cal = load_calibration(&file, &bytes, &resolve_base)?;
    let Some(models) = cal.choice.clone() else {
        return Err(input(format!(
            "{file}: it has no [[models]]: it is a calibration (`sidelines calibrate {file}`)"
        )));
    };
    let here = spec.file.parent().unwrap_or(Path::new("."));
    let mut episodes = Vec::new();
    for e in &cal.episodes {
        let scenario = crate::calibrate::record_scenario(e, here)?;
        let sim = Simulation::new(Arc::new(scenario.clone()))?;
        let observations =
            Observations::new(&scenario, sim.outcome_names(), sim.outcome_kinds(), &e.name);
        if observations.items.is_empty() {
            return Err(input(format!(
                "{file}: the record of `{}` has no observations (an observations file is needed)",
                e.name
            )));
        }
        let fixed = models.models.iter().map(|m| m.settings(&scenario)).collect();
        let bound = crate::calibrate::bind(&cal, &e.name, &scenario)
            .map_err(|why| input(format!("{file}: {why}")))?;
        episodes.push(Episode { name: e.name.clone(), scenario, bound, observations, fixed });
    }
    let record: Vec<u8> = episodes
        .iter()
        .flat_map(|e| e.observations.items.iter().map(|i| category_byte(i.hit)))
        .collect();
    // Refused before any run; created only when there is something to write.
    if let Some(d) = &spec.out {
        guard_out_dir(d, &FILES, spec.force)?;
    }
    let pool = crate::inputs::worker_pool(spec.threads)?;
    let table =
        pool.install(|| reference_table(&cal, &models, &episodes, record.len(), &mut hooks));
    let Some((table, why_invalid)) = table else {
        // Nothing was written: the command starts over.
        let again = spec.out.as_ref().map_or(String::new(), |d| format!(" --out {}", d.display()));
        return Err(Error::Interrupted {
            dir: spec.out.clone().unwrap_or_default(),
            next_run: 0,
            total: 0,
            resume: format!("sidelines choose {file}{again}"),
        });
    };
    if table.valid.contains(&0) {
        let none: Vec<String> = (0..table.models())
            .filter(|m| table.valid[*m] == 0)
            .map(|m| {
                let why = why_invalid[m].as_deref().unwrap_or("");
                format!("model `{}` ({why})", models.models[m].name)
            })
            .collect();
        return Err(input(format!(
            "{file}: no draw validates in every episode under {}",
            none.join("; ")
        )));
    }
    let accept = models.accept as usize;
    let posterior = table.posterior(&record, accept, None);
    let confusion = pool.install(|| table.confusion(accept, models.checks as usize));
    let dir = match &spec.out {
        Some(d) => {
            crate::inputs::create_out(d)?;
            d.clone()
        }
        None => fresh_dir(&format!("choose-{}", cal.name))?,
    };
    let chosen = Chosen {
        dir: dir.clone(),
        name: cal.name.clone(),
        models: results(&models, &table, &posterior, &confusion),
        observations: record.len(),
        tolerance: posterior.tolerance,
        accept: models.accept,
        draws: models.draws,
        replicates: cal.replicates,
        episodes: episodes.len(),
        parameters: parameter_summary(&cal, &models, &table, &posterior),
        groups: group_results(&models, &table, &posterior, &confusion),
        confusion,
    };
    chosen.write(&dir, &cal, &spec.command_line)?;
    Ok(chosen)
}

/// A category as a byte of a record (observations have a handful of categories).
fn category_byte(c: usize) -> u8 {
    u8::try_from(c).unwrap_or(u8::MAX)
}

/// Simulates every draw of every model (in parallel; in draw order whatever the pool); None
/// if stopped.
fn reference_table(
    cal: &Calibration,
    models: &ModelChoice,
    episodes: &[Episode],
    observations: usize,
    hooks: &mut Hooks<'_>,
) -> Option<(Table, Vec<Option<String>>)> {
    let (m_count, draws) = (models.models.len(), models.draws as usize);
    let r = cal.replicates as usize;
    let total = (m_count * draws) as u64;
    let mut table = Table {
        observations,
        replicates: r,
        valid: vec![0; m_count],
        invalid: vec![0; m_count],
        ..Table::default()
    };
    hooks.progress.begin(0, total);
    let mut why_invalid: Vec<Option<String>> = vec![None; m_count];
    const CHUNK: usize = 256;
    let ids: Vec<(usize, usize)> =
        (0..m_count).flat_map(|m| (0..draws).map(move |i| (m, i))).collect();
    let mut done = 0u64;
    for chunk in ids.chunks(CHUNK) {
        if hooks.stop.load(Ordering::Relaxed) {
            hooks.progress.end();
            return None;
        }
        let simulated: Vec<(usize, Vec<f64>, Simulated)> = chunk
            .par_iter()
            .map(|&(m, i)| {
                let theta = choice::draw(cal.seed, m, i, cal.parameters.len());
                let records = simulate(cal, episodes, m, &theta, choice::draw_id(m, i), r);
                (m, theta, records)
            })
            .collect();
        for (m, theta, records) in simulated {
            match records {
                Ok(rec) => {
                    table.valid[m] += 1;
                    table.model_of.push(m);
                    table.theta.push(theta);
                    table.records.extend(rec);
                }
                Err(why) => {
                    table.invalid[m] += 1;
                    if why_invalid[m].is_none() {
                        why_invalid[m] = Some(why);
                    }
                }
            }
        }
        done += chunk.len() as u64;
        hooks.progress.update(done);
    }
    hooks.progress.end();
    Some((table, why_invalid))
}

/// A draw's records, or why its scenario does not validate.
type Simulated = std::result::Result<Vec<u8>, String>;

/// Draw `theta` of model `m`: its `r` simulated records across every episode (replicate-major),
/// or why its scenario does not validate in an episode.
fn simulate(
    cal: &Calibration,
    episodes: &[Episode],
    m: usize,
    theta: &[f64],
    id: u64,
    r: usize,
) -> Simulated {
    let seeds: Vec<u64> = (0..r as u64).map(|k| run_seed(cal.seed, id, k)).collect();
    let width: usize = episodes.iter().map(|e| e.observations.items.len()).sum();
    let mut records = vec![0u8; r * width];
    let mut offset = 0;
    for e in episodes {
        let scenario =
            crate::calibrate::scenario_at(cal, &e.bound, &e.scenario, theta, &e.fixed[m])
                .map_err(|why| format!("episode `{}`: {why}", e.name))?;
        let n = e.observations.items.len();
        let scenario = std::sync::Arc::new(scenario);
        let runs: Vec<_> = seeds.iter().map(|&k| (scenario.clone(), k)).collect();
        crate::calibrate::in_world(&runs, |sim, outs| {
            for (k, out) in outs.iter().enumerate() {
                let own = sim.observation_initials(k);
                for j in 0..n {
                    records[k * width + offset + j] =
                        category_byte(e.observations.category(&e.scenario, j, out, &own));
                }
            }
        })
        .map_err(|why| format!("episode `{}`: {why}", e.name))?;
        offset += n;
    }
    Ok(records)
}

fn results(
    models: &ModelChoice,
    table: &Table,
    posterior: &Posterior,
    confusion: &[Vec<u64>],
) -> Vec<ModelResult> {
    models
        .models
        .iter()
        .enumerate()
        .map(|(m, model)| ModelResult {
            name: model.name.clone(),
            description: model.description.clone(),
            probability: posterior.probability[m],
            se: posterior.se[m],
            kept: posterior.kept[m],
            valid: table.valid[m],
            invalid: table.invalid[m],
            chosen: confusion[m][m],
            checked: confusion[m].iter().sum(),
        })
        .collect()
}

/// The groups of models the synthetic records tell apart, with their probabilities.
fn group_results(
    models: &ModelChoice,
    table: &Table,
    posterior: &Posterior,
    confusion: &[Vec<u64>],
) -> Vec<GroupResult> {
    if models.checks == 0 {
        return Vec::new();
    }
    let n = models.models.len();
    choice::groups(confusion, RECOVERY_BAR)
        .into_iter()
        .map(|g| {
            let members: Vec<bool> = (0..n).map(|m| g.contains(&m)).collect();
            let (probability, se) = posterior.share(table, &members);
            GroupResult {
                members: g.iter().map(|m| models.models[*m].name.clone()).collect(),
                probability,
                se,
                chosen: g.iter().flat_map(|m| g.iter().map(move |k| confusion[*m][*k])).sum(),
                checked: g.iter().map(|m| confusion[*m].iter().sum::<u64>()).sum(),
            }
        })
        .collect()
}

/// Per model and parameter, the kept draws' weighted mean and 5%, 50% and 95% quantiles.
fn parameter_summary(
    cal: &Calibration,
    models: &ModelChoice,
    table: &Table,
    posterior: &Posterior,
) -> Vec<(String, String, [f64; 4])> {
    let mut out = Vec::new();
    for (m, model) in models.models.iter().enumerate() {
        let kept: Vec<(usize, f64)> =
            posterior.weights.iter().filter(|(i, _)| table.model_of[*i] == m).cloned().collect();
        let sum: f64 = kept.iter().map(|(_, w)| w).sum();
        if sum <= 0.0 {
            continue;
        }
        for (d, p) in cal.parameters.iter().enumerate() {
            let mut xs: Vec<(f64, f64)> =
                kept.iter().map(|(i, w)| (p.scale(table.theta[*i][d]), w / sum)).collect();
            xs.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mean = xs.iter().map(|(x, w)| x * w).sum();
            let q = |level: f64| {
                let mut acc = 0.0;
                for (x, w) in &xs {
                    acc += w;
                    if acc >= level - 1e-12 {
                        return *x;
                    }
                }
                xs.last().map_or(f64::NAN, |x| x.0)
            };
            out.push((model.name.clone(), p.path.clone(), [mean, q(0.05), q(0.5), q(0.95)]));
        }
    }
    out
}

/// The share of its own synthetic records a model must win to count as told apart.
pub const RECOVERY_BAR: f64 = 0.8;

const MODELS_HEADER: [&str; 13] = [
    "model",
    "description",
    "probability",
    "mc_se",
    "ci95_low",
    "ci95_high",
    "kept_records",
    "valid_draws",
    "invalid_draws",
    "synthetic_records",
    "recovered_share",
    "recovered_ci95_low",
    "recovered_ci95_high",
];

impl Chosen {
    /// The most probable model, unless tied.
    pub fn best(&self) -> Option<&ModelResult> {
        let p: Vec<f64> = self.models.iter().map(|m| m.probability).collect();
        choice::winner(&p).map(|m| &self.models[m])
    }

    pub fn models_csv(&self) -> Result<Vec<u8>> {
        let f = sidelines_report::format_number;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(MODELS_HEADER)?;
        for m in &self.models {
            let (lo, hi) = normal_interval(m.probability, m.se);
            let (share, rlo, rhi) = m.recovered();
            let rec = |x: f64| if m.checked == 0 { String::new() } else { f(x) };
            w.write_record([
                m.name.clone(),
                m.description.clone(),
                f(m.probability),
                f(m.se),
                f(lo),
                f(hi),
                m.kept.to_string(),
                m.valid.to_string(),
                m.invalid.to_string(),
                m.checked.to_string(),
                rec(share),
                rec(rlo),
                rec(rhi),
            ])?;
        }
        crate::error::csv_bytes(w)
    }

    /// The confusion matrix, long: per model simulated from and model chosen (or `tie`).
    pub fn confusion_csv(&self) -> Result<Vec<u8>> {
        let f = sidelines_report::format_number;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["simulated_from", "chosen", "records", "share"])?;
        for (m, row) in self.confusion.iter().enumerate() {
            let n: u64 = row.iter().sum();
            for (k, count) in row.iter().enumerate() {
                let chosen = self.models.get(k).map_or("tie", |x| x.name.as_str());
                let share = if n == 0 { String::new() } else { f(*count as f64 / n as f64) };
                w.write_record([&self.models[m].name, chosen, &count.to_string(), &share])?;
            }
        }
        crate::error::csv_bytes(w)
    }

    /// The groups the records tell apart: members (joined by `+`), probability, error, and
    /// their synthetic records won inside the group.
    pub fn groups_csv(&self) -> Result<Vec<u8>> {
        let f = sidelines_report::format_number;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "group",
            "models",
            "probability",
            "mc_se",
            "synthetic_records",
            "recovered_share",
            "recovered_ci95_low",
            "recovered_ci95_high",
        ])?;
        for (k, g) in self.groups.iter().enumerate() {
            let (share, lo, hi) = g.recovered();
            w.write_record([
                (k + 1).to_string(),
                g.members.join("+"),
                f(g.probability),
                f(g.se),
                g.checked.to_string(),
                f(share),
                f(lo),
                f(hi),
            ])?;
        }
        crate::error::csv_bytes(w)
    }

    pub fn parameters_csv(&self) -> Result<Vec<u8>> {
        let f = sidelines_report::format_number;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["model", "parameter", "mean", "q05", "q50", "q95"])?;
        for (model, parameter, [mean, q05, q50, q95]) in &self.parameters {
            w.write_record([model, parameter, &f(*mean), &f(*q05), &f(*q50), &f(*q95)])?;
        }
        crate::error::csv_bytes(w)
    }

    fn write(&self, dir: &Path, cal: &Calibration, command: &[String]) -> Result<()> {
        let write =
            |name: &str, bytes: &[u8]| sidelines_report::write_atomic(&dir.join(name), bytes);
        write("models.csv", &self.models_csv()?)?;
        write("confusion.csv", &self.confusion_csv()?)?;
        write("groups.csv", &self.groups_csv()?)?;
        write("parameters.csv", &self.parameters_csv()?)?;
        let names: Vec<&str> = cal.episodes.iter().map(|e| e.name.as_str()).collect();
        let runs = self.models.iter().map(|m| m.valid).sum::<u64>()
            * self.replicates
            * self.episodes as u64;
        let manifest = Manifest {
            scenario: Some(names.join("+")),
            episodes: Some(
                cal.episodes.iter().map(|e| format!("{}={}", e.name, e.timeline)).collect(),
            ),
            calibration: Some(cal.name.clone()),
            seed: Some(cal.seed),
            runs: Some(runs),
            method: Some(String::from(
                "ABC model choice with a reference table (Grelaud et al. 2009; Toni and Stumpf 2010); distance: observations whose categories differ",
            )),
            calibration_file: Some(serde_json::to_value(&cal.source).unwrap_or_default()),
            ..Manifest::new(Kind::Choose, command)
        };
        manifest.write(dir)?;
        Ok(())
    }

    pub fn text(&self) -> String {
        let runs: u64 = self.models.iter().map(|m| m.valid).sum::<u64>() * self.replicates;
        let mut t = format!(
            "Model choice `{}`: {} models, {} draws each, {} records per draw ({} simulated records of {} episode{}, {} observations).\n\
             The record's nearest {} simulated records were kept: they miss at most {} of its {} observations.\n\n",
            self.name,
            self.models.len(),
            self.draws,
            self.replicates,
            runs,
            self.episodes,
            if self.episodes == 1 { "" } else { "s" },
            self.observations,
            self.accept,
            self.tolerance,
            self.observations,
        );
        let width = self.models.iter().map(|m| m.name.len()).max().unwrap_or(5).max(5);
        t.push_str(&format!(
            "{:width$}  {:>11}  {:>8}  {:>6}  {}\n",
            "model", "P(model|rec)", "MC s.e.", "kept", "won on its own synthetic records [95% CI]"
        ));
        for m in &self.models {
            let (share, lo, hi) = m.recovered();
            let recovered = if m.checked == 0 {
                String::from("not checked")
            } else {
                let mark = if share >= RECOVERY_BAR { "" } else { "  below 80%" };
                format!(
                    "{:.0}% [{:.0}%, {:.0}%] of {}{mark}",
                    100.0 * share,
                    100.0 * lo,
                    100.0 * hi,
                    m.checked
                )
            };
            t.push_str(&format!(
                "{:width$}  {:>11.3}  {:>8.3}  {:>6}  {recovered}\n",
                m.name, m.probability, m.se, m.kept
            ));
        }
        t.push('\n');
        match self.best() {
            Some(best) => {
                let runner = self
                    .models
                    .iter()
                    .filter(|m| m.name != best.name)
                    .max_by(|a, b| a.probability.total_cmp(&b.probability));
                let factor = runner.map(|r| {
                    if r.probability > 0.0 {
                        format!(
                            "; Bayes factor {:.2} over {} (the models' prior is uniform)",
                            best.probability / r.probability,
                            r.name
                        )
                    } else {
                        String::from("; no kept record came from any other model")
                    }
                });
                t.push_str(&format!(
                    "Most probable: {} ({:.3} ± {:.3}){}.\n",
                    best.name,
                    best.probability,
                    best.se,
                    factor.unwrap_or_default()
                ));
            }
            None => t.push_str("No single most probable model: the highest probability is tied.\n"),
        }
        let checked: Vec<&ModelResult> = self.models.iter().filter(|m| m.checked > 0).collect();
        if !checked.is_empty() {
            let told: Vec<&str> = checked
                .iter()
                .filter(|m| m.recovered().0 >= RECOVERY_BAR)
                .map(|m| m.name.as_str())
                .collect();
            t.push_str(&format!(
                "Told apart on records simulated from them (won at least 80%): {} of {} models{}.\n",
                told.len(),
                checked.len(),
                if told.len() < checked.len() {
                    ". The others' records look like another model's (confusion.csv)"
                } else {
                    ""
                }
            ));
        }
        if self.groups.len() < self.models.len() && !self.groups.is_empty() {
            t.push_str(&if self.groups.len() == 1 {
                String::from(
                    "\nWhat the records can decide: nothing; one group holds every model.\n",
                )
            } else {
                format!(
                    "\nWhat the records can decide: {} groups, each winning at least 80% of the records simulated from it.\n",
                    self.groups.len()
                )
            });
            for g in &self.groups {
                let (share, lo, hi) = g.recovered();
                t.push_str(&format!(
                    "  {:.3} ± {:.3}  won {:.0}% [{:.0}%, {:.0}%] of its {}  {}\n",
                    g.probability,
                    g.se,
                    100.0 * share,
                    100.0 * lo,
                    100.0 * hi,
                    g.checked,
                    g.members.join(", ")
                ));
            }
        }
        t
    }

    pub fn json(&self) -> serde_json::Value {
        let models: Vec<serde_json::Value> = self
            .models
            .iter()
            .map(|m| {
                let (share, lo, hi) = m.recovered();
                serde_json::json!({
                    "model": m.name,
                    "description": m.description,
                    "probability": m.probability,
                    "mc_se": m.se,
                    "kept_records": m.kept,
                    "valid_draws": m.valid,
                    "invalid_draws": m.invalid,
                    "synthetic_records": m.checked,
                    "recovered_share": (m.checked > 0).then_some(share),
                    "recovered_ci95": (m.checked > 0).then_some([lo, hi]),
                })
            })
            .collect();
        let names: Vec<&str> = self.models.iter().map(|m| m.name.as_str()).collect();
        serde_json::json!({
            "name": self.name,
            "folder": self.dir.display().to_string(),
            "observations": self.observations,
            "tolerance": self.tolerance,
            "accept": self.accept,
            "draws": self.draws,
            "replicates": self.replicates,
            "most_probable": self.best().map(|m| m.name.clone()),
            "models": models,
            "confusion": {"models": names, "rows": self.confusion},
            "groups": self.groups.iter().map(|g| {
                let (share, lo, hi) = g.recovered();
                serde_json::json!({
                    "models": g.members,
                    "probability": g.probability,
                    "mc_se": g.se,
                    "synthetic_records": g.checked,
                    "recovered_share": share,
                    "recovered_ci95": [lo, hi],
                })
            }).collect::<Vec<_>>(),
        })
    }
}

/// A normal 95% interval, held inside [0, 1].
fn normal_interval(p: f64, se: f64) -> (f64, f64) {
    ((p - 1.96 * se).max(0.0), (p + 1.96 * se).min(1.0))
}
