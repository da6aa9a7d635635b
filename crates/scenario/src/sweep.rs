//! Sweep files: which parameters of a scenario to vary, over what, with which sampler.
//!
//! ```toml
//! name = "pressure-attention-grid"
//! description = "..."
//! scenario = "ukraine-watch"        # an embedded name, or a path relative to this file
//! seed = 1
//! replicates = 100
//! [sampler]
//! kind = "grid"                     # grid | random | lhs | sobol | morris
//! [[parameters]]
//! path = "mediator.pressure_on_partner"
//! label = "US pressure on Kyiv"     # optional: how charts and reports name it
//! range = [0.1, 1.0]
//! levels = 4                        # grid: evenly spaced levels, or `values = [...]`
//! ```
//!
//! Validated like a scenario: every problem with file, line, column and field; an unknown
//! parameter path gets the nearest existing one as a "did you mean". Parameters on a simplex
//! (priors, alliance weights) are set by rescaling the other components proportionally.

use serde::Deserialize;

use crate::error::{Diagnostic, Error};
use crate::params::{self, Domain};
use crate::source::{SourceMap, parse};
use crate::{Resolver, Scenario, load};

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    name: String,
    description: String,
    scenario: String,
    seed: u64,
    replicates: RawReplicates,
    common_random_numbers: Option<bool>,
    sampler: RawSampler,
    parameters: Vec<RawParameter>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum RawReplicates {
    Fixed(u64),
    Adaptive(RawAdaptive),
    /// Written as a float (`1e6`) or negative: refused with a message, not a serde one.
    Other(f64),
}

/// The most design points a sweep may have. A point holds its own validated scenario, about
/// 167 kB (measured: 20,000 random points peaked at 3,344,720 kB, 2,000 at 345,436 kB), so
/// 100,000 points take about 16.7 GB: within the 24 GiB of the machines the tool is built on.
/// Larger designs are for shards on several machines.
pub const MAX_DESIGN_POINTS: u64 = 100_000;

/// The largest seed, master or run: 2^49 - 1 = 562,949,953,421,311, 15 digits. Spreadsheets
/// keep 15 significant digits (LibreOffice turned the 16-digit 6712310692896287 into
/// 6712310692896290), and Excel, R, pandas and JavaScript hold numbers as doubles (exact to
/// 2^53), so a seed of at most 15 digits comes back from any of them as written.
pub const MAX_SEED: u64 = (1 << 49) - 1;

/// The message for a master seed past `MAX_SEED`.
pub(crate) fn seed_too_large(seed: u64) -> String {
    format!(
        "{seed} is more than {MAX_SEED}: seeds keep 15 digits so that they survive spreadsheets"
    )
}

/// The most levels a Morris grid may have. Elementary effects are taken on a coarse grid (4 to
/// 8 levels in the literature, Saltelli et al. 2008, ch. 3); the design holds the grid's lower
/// half, so levels in the trillions used to exhaust memory.
pub const MAX_MORRIS_LEVELS: u64 = 1_000;

/// The most runs one batch, sweep or replay may have: 10^10 runs take about 21 days at the
/// measured 5,537 runs/s of a 2-core machine.
pub const MAX_RUNS: u64 = 10_000_000_000;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdaptive {
    target_half_width: f64,
    outcome: String,
    min: u64,
    max: u64,
}

/// How many replicates each design point gets.
#[derive(Clone, Debug, PartialEq)]
pub enum Replication {
    Fixed(u64),
    /// Replicate until the 95% interval of `outcome`'s mean has at most this half-width, in
    /// rounds of `min`, at most `max`.
    Adaptive {
        target_half_width: f64,
        outcome: String,
        min: u64,
        max: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Grid,
    Random,
    Lhs,
    Sobol,
    Morris,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSampler {
    kind: Kind,
    samples: Option<u64>,
    second_order: Option<bool>,
    trajectories: Option<u64>,
    levels: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    path: String,
    /// How charts and reports name it (default: the path in words).
    label: Option<String>,
    range: Option<[f64; 2]>,
    levels: Option<u64>,
    values: Option<Vec<f64>>,
}

/// How the design places its points.
#[derive(Clone, Debug, PartialEq)]
pub enum SweepSampler {
    Grid,
    Random { samples: usize },
    Lhs { samples: usize },
    Sobol { base_samples: usize, second_order: bool },
    Morris { trajectories: usize, levels: usize },
}

impl SweepSampler {
    pub fn name(&self) -> &'static str {
        match self {
            SweepSampler::Grid => "grid",
            SweepSampler::Random { .. } => "random",
            SweepSampler::Lhs { .. } => "lhs",
            SweepSampler::Sobol { .. } => "sobol",
            SweepSampler::Morris { .. } => "morris",
        }
    }
}

/// One varied parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepParameter {
    pub path: String,
    /// The file's `label`, if it gives one: how charts and reports name the parameter.
    pub label: Option<String>,
    pub low: f64,
    pub high: f64,
    /// Grid values (actual, not unit-scaled); empty for other samplers.
    pub values: Vec<f64>,
    pub domain: Domain,
}

impl SweepParameter {
    /// A unit-hypercube coordinate in this parameter's range (whole numbers rounded).
    pub fn scale(&self, u: f64) -> f64 {
        let x = self.low + u * (self.high - self.low);
        if self.domain.integer { x.round() } else { x }
    }
}

/// A validated sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    pub name: String,
    pub description: String,
    pub scenario: Scenario,
    pub seed: u64,
    pub replicates: Replication,
    /// Where `replicates.outcome` is written, for errors the model's outcome list finds.
    pub outcome_place: Option<crate::Place>,
    /// Replicate r of every point runs with the same seed (default true).
    pub common_random_numbers: bool,
    pub sampler: SweepSampler,
    pub parameters: Vec<SweepParameter>,
    /// The sweep file as written (for the manifest).
    pub source: toml::Table,
}

impl Sweep {
    /// The scenario at one design point (`values` in parameter order, actual scale). Simplex
    /// components are set by rescaling the others of their simplex proportionally.
    pub fn point_scenario(&self, values: &[f64]) -> Result<Scenario, Error> {
        self.scenario.with_values(
            self.parameters.iter().map(|p| p.path.as_str()).zip(values.iter().copied()),
        )
    }
}

/// `x` to 12 significant digits (the shortest decimal within 5e-13 of it, relatively).
fn decimal(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// Level `j` of `levels` evenly spaced from `lo` to `hi`, as the decimal meant: to 12
/// significant digits, and a level at zero up to rounding ([-0.2, 0.4] in 4 levels) zero.
fn grid_level(lo: f64, hi: f64, j: u64, levels: u64) -> f64 {
    let v = lo + (hi - lo) * j as f64 / (levels - 1) as f64;
    if v.abs() < 1e-12 * (hi - lo).abs() { 0.0 } else { decimal(v) }
}

/// The simplex a parameter path belongs to: (the prefix shared by its components).
pub(crate) fn simplex_of(path: &str) -> Option<&str> {
    let (prefix, _) = path.rsplit_once('.')?;
    let segs: Vec<&str> = prefix.split('.').collect();
    let on =
        matches!(segs.as_slice(), ["actors", _, "prior"] | ["actors", _, "alignment", "weights"]);
    on.then_some(prefix)
}

/// Sets `path`; on a simplex, rescales the other components so the sum stays 1.
pub fn set_rescaled(doc: &mut toml::Table, path: &str, value: f64) -> Result<(), String> {
    set_many_rescaled(doc, &[(path, value)])
}

/// Sets several paths at once, as a variant's `[set]` does. Components of a simplex that are
/// named are set as given; the ones not named share what is left of 1 in their old ratios. A
/// simplex named in full is set as given (validation then checks its sum).
pub fn set_many_rescaled(doc: &mut toml::Table, values: &[(&str, f64)]) -> Result<(), String> {
    let mut simplexes: Vec<&str> = Vec::new();
    for &(path, value) in values {
        match simplex_of(path) {
            Some(sx) => {
                if !(0.0..=1.0).contains(&value) {
                    return Err(format!("{path} = {value} is outside [0, 1]"));
                }
                if !simplexes.contains(&sx) {
                    simplexes.push(sx);
                }
            }
            None => params::set(doc, path, value)?,
        }
    }
    for prefix in simplexes {
        let named: Vec<(&str, f64)> =
            values.iter().copied().filter(|(p, _)| simplex_of(p) == Some(prefix)).collect();
        // The unnamed components: (path, value).
        let mut others: Vec<(String, f64)> = Vec::new();
        params::each_leaf(doc, &mut |param, _, value| {
            let inside = param.strip_prefix(prefix).is_some_and(|r| r.starts_with('.'));
            if inside && !named.iter().any(|(p, _)| *p == param) {
                others.push((param.into(), value));
            }
        });
        let given: f64 = named.iter().map(|(_, v)| v).sum();
        let rest: f64 = others.iter().map(|(_, v)| v).sum();
        let what =
            || named.iter().map(|(p, v)| format!("{p} = {v}")).collect::<Vec<_>>().join(", ");
        if !others.is_empty() {
            if given > 1.0 + 1e-12 {
                return Err(format!(
                    "{} sum to {}, more than the 1 of {prefix}",
                    what(),
                    // Rounded to the 12 digits a user wrote, not the float sum's tail.
                    params::show((given * 1e12).round() / 1e12)
                ));
            }
            if rest <= 0.0 && (given - 1.0).abs() > 1e-12 {
                return Err(format!(
                    "{} cannot be reached by rescaling: every other component of {prefix} is 0",
                    what()
                ));
            }
        }
        let factor = if rest > 0.0 { (1.0 - given).max(0.0) / rest } else { 0.0 };
        let updates: Vec<(String, f64)> =
            others.into_iter().map(|(p, v)| (p, v * factor)).collect();
        for (p, v) in named {
            params::set(doc, p, v)?;
        }
        for (p, v) in updates {
            params::set(doc, &p, v)?;
        }
    }
    Ok(())
}

/// A study file (a sweep or a calibration) read as far as both kinds go alike: parsed, read into
/// `T` (a problem reported at its place), its scenario resolved and loaded, and its name checked
/// (it names the output folder).
pub(crate) struct Study<T> {
    pub raw: T,
    pub table: toml::Table,
    pub map: SourceMap,
    pub scenario: Scenario,
    pub problems: Vec<Diagnostic>,
}

pub(crate) fn read_study<T: serde::de::DeserializeOwned>(
    file: &str,
    bytes: &[u8],
    resolve: Resolver<'_>,
    scenario_and_name: impl Fn(&T) -> (&str, &str),
) -> Result<Study<T>, Error> {
    let parsed = parse(file, bytes)?;
    let map = parsed.map;
    let raw: T = serde_path_to_error::deserialize(toml::Value::Table(parsed.table.clone()))
        .map_err(|e| {
            let path = e.path().to_string();
            Error::single(map.diagnostic(
                if path == "." { "" } else { &path },
                e.inner().message().trim_end().to_string(),
            ))
        })?;
    let (scenario_ref, name) = scenario_and_name(&raw);
    let (scenario_file, scenario_bytes) =
        resolve(scenario_ref, file).map_err(|m| Error::single(map.diagnostic("scenario", m)))?;
    let scenario = load(&scenario_file, &scenario_bytes, resolve)?;
    let mut problems = Vec::new();
    if !crate::is_slug(name) {
        problems.push(map.diagnostic(
            "name",
            "must be 1 to 64 letters, digits, `-` or `_` (it names the output folder)",
        ));
    }
    Ok(Study { raw, table: parsed.table, map, scenario, problems })
}

/// The checks every varied parameter of a study passes, whatever its values: its path names a
/// parameter of the scenario with a declared range, it is not listed twice, and at most one
/// component of a simplex is varied (`simplexes` collects them). `verbs` word the last two
/// problems for the kind of study ("`x` is swept twice", "can be swept"). The domain, or None
/// after a problem that leaves nothing more to check.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_parameter<'p>(
    here: &str,
    path: &'p str,
    earlier: &[&str],
    simplexes: &mut Vec<&'p str>,
    scenario: &Scenario,
    verbs: (&str, &str),
    fail: &dyn Fn(&str, String) -> Diagnostic,
    problems: &mut Vec<Diagnostic>,
) -> Option<Domain> {
    let at = format!("{here}.path");
    if params::get(&scenario.document, path).is_none() {
        problems.push(fail(&at, params::unknown_path_message(&scenario.document, path)));
        return None;
    }
    let Some(domain) = params::domain(path) else {
        problems.push(fail(&at, format!("`{path}` has no declared range")));
        return None;
    };
    if earlier.contains(&path) {
        problems.push(fail(&at, format!("`{path}` is {} twice", verbs.0)));
    }
    if let Some(sx) = simplex_of(path) {
        if simplexes.contains(&sx) {
            problems.push(fail(
                &at,
                format!(
                    "only one component of {sx} can be {} (the others are rescaled to keep the sum 1)",
                    verbs.1
                ),
            ));
        }
        simplexes.push(sx);
    }
    Some(domain)
}

/// Loads and validates a sweep file; `resolve` finds its scenario (embedded name or path).
pub fn load_sweep(file: &str, bytes: &[u8], resolve: Resolver<'_>) -> Result<Sweep, Error> {
    let study = read_study(file, bytes, resolve, |r: &RawSweep| (&r.scenario, &r.name))?;
    let Study { raw, table, map, scenario, mut problems } = study;
    let fail = |path: &str, msg: String| map.diagnostic(path, msg);
    let replicates = match &raw.replicates {
        RawReplicates::Fixed(n) => {
            if *n == 0 {
                problems.push(fail("replicates", "must be at least 1".into()));
            }
            Replication::Fixed(*n)
        }
        RawReplicates::Other(x) => {
            problems.push(fail(
                "replicates",
                format!(
                    "must be a whole number from 1 to {MAX_RUNS} (or a table for adaptive replication), not {x}"
                ),
            ));
            Replication::Fixed(1)
        }
        RawReplicates::Adaptive(a) => {
            if !(a.target_half_width.is_finite() && a.target_half_width > 0.0) {
                problems
                    .push(fail("replicates.target_half_width", "must be a positive number".into()));
            }
            if a.min < 2 {
                problems.push(fail(
                    "replicates.min",
                    "must be at least 2 (a half-width needs two values)".into(),
                ));
            }
            if a.max < a.min {
                problems.push(fail("replicates.max", "must not be below replicates.min".into()));
            }
            Replication::Adaptive {
                target_half_width: a.target_half_width,
                outcome: a.outcome.clone(),
                min: a.min,
                max: a.max,
            }
        }
    };
    if raw.parameters.is_empty() {
        problems.push(fail("parameters", "needs at least one [[parameters]] entry".into()));
    }
    let s = &raw.sampler;
    let need = |v: Option<u64>, field: &str, min: u64, problems: &mut Vec<_>| -> usize {
        match v {
            Some(n) if n >= min => n as usize,
            Some(n) => {
                problems.push(fail(
                    &format!("sampler.{field}"),
                    format!("{n} is below the minimum {min}"),
                ));
                0
            }
            None => {
                problems.push(fail(
                    "sampler",
                    format!("a {:?} sampler needs `{field}`", s.kind).to_lowercase(),
                ));
                0
            }
        }
    };
    let forbid = |present: bool, field: &str, problems: &mut Vec<_>| {
        if present {
            problems.push(fail(
                &format!("sampler.{field}"),
                format!("is not used by a {:?} sampler", s.kind).to_lowercase(),
            ));
        }
    };
    let sampler = match s.kind {
        Kind::Grid => {
            forbid(s.samples.is_some(), "samples", &mut problems);
            forbid(s.trajectories.is_some(), "trajectories", &mut problems);
            forbid(s.levels.is_some(), "levels", &mut problems);
            forbid(s.second_order.is_some(), "second_order", &mut problems);
            SweepSampler::Grid
        }
        Kind::Random | Kind::Lhs => {
            forbid(s.trajectories.is_some(), "trajectories", &mut problems);
            forbid(s.levels.is_some(), "levels", &mut problems);
            forbid(s.second_order.is_some(), "second_order", &mut problems);
            let n = need(s.samples, "samples", 1, &mut problems);
            if s.kind == Kind::Random {
                SweepSampler::Random { samples: n }
            } else {
                SweepSampler::Lhs { samples: n }
            }
        }
        Kind::Sobol => {
            forbid(s.trajectories.is_some(), "trajectories", &mut problems);
            forbid(s.levels.is_some(), "levels", &mut problems);
            let n = need(s.samples, "samples", 2, &mut problems);
            // A Sobol' sequence is balanced only at powers of two: Saltelli's estimators on 100
            // samples gave S1 = 1.02 where the truth is at most 1 (SALib warns the same).
            if n >= 2 && !n.is_power_of_two() {
                let below = 1usize << (usize::BITS - 1 - n.leading_zeros());
                problems.push(fail(
                    "sampler.samples",
                    format!(
                        "{n} is not a power of two: a Sobol' sequence is balanced only at 2^m points (use {below} or {})",
                        below * 2
                    ),
                ));
            }
            SweepSampler::Sobol { base_samples: n, second_order: s.second_order.unwrap_or(false) }
        }
        Kind::Morris => {
            forbid(s.samples.is_some(), "samples", &mut problems);
            forbid(s.second_order.is_some(), "second_order", &mut problems);
            if let Some(levels) = s.levels.filter(|l| *l > MAX_MORRIS_LEVELS) {
                problems.push(fail(
                    "sampler.levels",
                    format!("{levels} levels is more than the {MAX_MORRIS_LEVELS} a Morris grid may have (4 to 8 is usual)"),
                ));
            }
            SweepSampler::Morris {
                trajectories: need(s.trajectories, "trajectories", 2, &mut problems),
                levels: need(
                    s.levels.map(|l| l.min(MAX_MORRIS_LEVELS)),
                    "levels",
                    2,
                    &mut problems,
                ),
            }
        }
    };

    let mut parameters = Vec::new();
    let mut simplexes: Vec<&str> = Vec::new();
    for (i, p) in raw.parameters.iter().enumerate() {
        let here = format!("parameters[{i}]");
        let earlier: Vec<&str> = raw.parameters[..i].iter().map(|q| q.path.as_str()).collect();
        let Some(domain) = check_parameter(
            &here,
            &p.path,
            &earlier,
            &mut simplexes,
            &scenario,
            ("swept", "swept"),
            &fail,
            &mut problems,
        ) else {
            continue;
        };
        let inside = |x: f64| x.is_finite() && x >= domain.min && x <= domain.max;
        let mut values = Vec::new();
        let (low, high) = match (sampler == SweepSampler::Grid, &p.values, p.range, p.levels) {
            (true, Some(vals), None, None) => {
                if vals.is_empty() {
                    problems.push(fail(&format!("{here}.values"), "must not be empty".into()));
                }
                values = vals.clone();
                (
                    vals.iter().copied().fold(f64::INFINITY, f64::min),
                    vals.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                )
            }
            (true, None, Some(_), Some(levels)) if levels > MAX_DESIGN_POINTS => {
                problems.push(fail(
                    &format!("{here}.levels"),
                    format!("{levels} levels is more than the {MAX_DESIGN_POINTS} design points a sweep may have"),
                ));
                continue;
            }
            (true, None, Some([lo, hi]), Some(levels)) if levels >= 2 => {
                // Evenly spaced, each rounded to 12 significant digits: the level a person
                // means (0.3 of [0.1, 0.5] in 5 levels, not 0.30000000000000004), which is what
                // points.csv and runs.csv then show. The rounding moves a level by at most
                // 5e-13 of its value.
                values = (0..levels).map(|j| grid_level(lo, hi, j, levels)).collect();
                (lo, hi)
            }
            (true, _, _, _) => {
                problems.push(fail(
                    &here,
                    "a grid parameter needs `values`, or `range` and `levels` (at least 2)".into(),
                ));
                continue;
            }
            (false, None, Some([lo, hi]), None) => (lo, hi),
            (false, _, _, _) => {
                problems.push(fail(
                    &here,
                    format!("a {} parameter needs `range` only", sampler.name()),
                ));
                continue;
            }
        };
        if !(inside(low) && inside(high)) || low > high || values.iter().any(|v| !inside(*v)) {
            problems.push(fail(
                &format!(
                    "{here}.{}",
                    if values.is_empty() || p.range.is_some() { "range" } else { "values" }
                ),
                format!(
                    "must lie within the parameter's range [{}, {}], low before high",
                    domain.min, domain.max
                ),
            ));
            continue;
        }
        if let Some(l) = p.label.as_ref().filter(|l| l.trim().is_empty() || l.chars().count() > 60)
        {
            problems.push(fail(
                &format!("{here}.label"),
                format!("`{l}` must be 1 to 60 characters: it labels a chart's axis"),
            ));
        }
        parameters.push(SweepParameter {
            path: p.path.clone(),
            label: p.label.clone(),
            low,
            high,
            values,
            domain,
        });
    }
    // Sizes, before anything is allocated: the design's points, then its runs.
    if problems.is_empty() {
        let k = parameters.len() as u64;
        let points: Option<u64> = match &sampler {
            SweepSampler::Grid => {
                parameters.iter().try_fold(1u64, |acc, p| acc.checked_mul(p.values.len() as u64))
            }
            SweepSampler::Random { samples } | SweepSampler::Lhs { samples } => {
                Some(*samples as u64)
            }
            SweepSampler::Sobol { base_samples, second_order } => {
                let per = if *second_order { 2 * k + 2 } else { k + 2 };
                (*base_samples as u64).checked_mul(per)
            }
            SweepSampler::Morris { trajectories, .. } => (*trajectories as u64).checked_mul(k + 1),
        };
        let at = match raw.sampler.kind {
            Kind::Grid => "parameters",
            Kind::Morris => "sampler.trajectories",
            _ => "sampler.samples",
        };
        match points {
            Some(n) if n <= MAX_DESIGN_POINTS => {
                let per_point = match &replicates {
                    Replication::Fixed(r) => *r,
                    Replication::Adaptive { max, .. } => *max,
                };
                if n.checked_mul(per_point).is_none_or(|runs| runs > MAX_RUNS) {
                    problems.push(fail(
                        "replicates",
                        format!(
                            "{n} points x {per_point} replicates is more than {MAX_RUNS} runs (about 21 days on 2 cores); split the sweep"
                        ),
                    ));
                }
            }
            _ => problems.push(fail(
                at,
                format!(
                    "the design would have {} points, more than {MAX_DESIGN_POINTS} (each holds its own scenario, about 167 kB); split the sweep",
                    points.map_or_else(|| String::from("too many to count"), |n| n.to_string())
                ),
            )),
        }
    }
    if raw.seed > MAX_SEED {
        problems.push(fail("seed", seed_too_large(raw.seed)));
    }
    if !problems.is_empty() {
        return Err(Error { diagnostics: problems });
    }
    Ok(Sweep {
        name: raw.name,
        description: raw.description,
        scenario,
        seed: raw.seed,
        replicates,
        outcome_place: map
            .locate("replicates.outcome")
            .filter(|_| matches!(raw.replicates, RawReplicates::Adaptive(_)))
            .cloned(),
        common_random_numbers: raw.common_random_numbers.unwrap_or(true),
        sampler,
        parameters,
        source: table,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_levels_are_the_decimals_meant() {
        let text = r#"
name = "g"
description = "test"
scenario = "ukraine-watch"
seed = 1
replicates = 1
[sampler]
kind = "grid"
[[parameters]]
path = "mediator.pressure_on_partner"
range = [0.1, 0.5]
levels = 5
"#;
        let s = load_sweep("g.toml", text.as_bytes(), &crate::embedded_only).expect("loads");
        // 0.1 + 0.4 * 2 / 4 is 0.30000000000000004 in floating point; the level is 0.3.
        assert_eq!(s.parameters[0].values, [0.1, 0.2, 0.3, 0.4, 0.5]);
        assert_eq!(decimal(0.1 + 0.4 * 2.0 / 4.0), 0.3);
        assert_eq!(decimal(1.0 / 3.0), 0.333_333_333_333);
        // -0.2 + 0.6 / 3 is 2.8e-17 in floating point: the level is 0.
        let levels: Vec<f64> = (0..4).map(|j| grid_level(-0.2, 0.4, j, 4)).collect();
        assert_eq!(levels, [-0.2, 0.0, 0.2, 0.4]);
    }

    #[test]
    fn simplex_components_rescale() {
        let s = crate::load_embedded("ukraine-watch").unwrap().unwrap();
        let mut doc = s.document.clone();
        set_rescaled(&mut doc, "actors.KP.prior.reliable", 0.4).unwrap();
        let get = |p: &str| params::get(&doc, p).unwrap();
        assert_eq!(get("actors.KP.prior.reliable"), 0.4);
        // The others keep their ratios 0.2 : 0.4 : 0.3 and share 0.6.
        assert!((get("actors.KP.prior.deal_seeker") - 0.6 * 0.2 / 0.9).abs() < 1e-15);
        let sum: f64 = ["deal_seeker", "hard_bargainer", "unserious", "reliable"]
            .iter()
            .map(|h| get(&format!("actors.KP.prior.{h}")))
            .sum();
        assert!((sum - 1.0).abs() < 1e-12);
        // Unreachable: all others are 0.
        set_rescaled(&mut doc, "actors.KP.prior.reliable", 1.0).unwrap();
        let e = set_rescaled(&mut doc, "actors.KP.prior.reliable", 0.4).unwrap_err();
        assert!(e.contains("cannot be reached"), "{e}");
    }

    #[test]
    fn several_components_set_at_once_leave_the_rest_to_share_what_is_left() {
        let s = crate::load_embedded("ukraine-watch").unwrap().unwrap();
        let mut doc = s.document.clone();
        let p = |h: &str| format!("actors.KP.prior.{h}");
        let (r, u) = (p("reliable"), p("unserious"));
        set_many_rescaled(&mut doc, &[(&r, 0.4), (&u, 0.2)]).unwrap();
        let get = |doc: &toml::Table, h: &str| params::get(doc, &p(h)).unwrap();
        assert_eq!((get(&doc, "reliable"), get(&doc, "unserious")), (0.4, 0.2));
        // deal_seeker and hard_bargainer keep their ratio 0.2 : 0.4 and share 0.4.
        assert!((get(&doc, "deal_seeker") - 0.4 / 3.0).abs() < 1e-15);
        assert!((get(&doc, "hard_bargainer") - 0.8 / 3.0).abs() < 1e-15);
        let e = set_many_rescaled(&mut doc, &[(&r, 0.7), (&u, 0.5)]).unwrap_err();
        assert!(e.contains("more than the 1"), "{e}");
        // All four named: set as given, whatever they sum to (validation judges the sum).
        let all: Vec<(String, f64)> = ["deal_seeker", "hard_bargainer", "unserious", "reliable"]
            .iter()
            .map(|h| (p(h), 0.25))
            .collect();
        let all: Vec<(&str, f64)> = all.iter().map(|(a, v)| (a.as_str(), *v)).collect();
        set_many_rescaled(&mut doc, &all).unwrap();
        assert_eq!(get(&doc, "deal_seeker"), 0.25);
    }
}
