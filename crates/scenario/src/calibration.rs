//! Calibration files: which assumptions to fit to a replayed record, over what prior, how.
//!
//! ```toml
//! name = "2025"
//! description = "..."
//! scenario = "ukraine-watch"                   # an embedded name, or a path relative to this file
//! timeline = "../timelines/2025.csv"           # relative to this file
//! observed = "../timelines/2025-observed.csv"  # optional: default <timeline>-observed.csv
//! seed = 1
//! particles = 200          # population per generation
//! replicates = 10          # runs per proposed point
//! tolerances = [6, 4, 2]   # observations a run may miss, one generation each, decreasing
//! [[parameters]]
//! path = "actors.KP.transfer"
//! range = [0.0, 1.0]       # the prior: uniform on the range
//! ```
//!
//! Validated like sweeps: every problem with file, line, column and field.

use serde::Deserialize;

use crate::error::Error;
use crate::sweep::{Study, SweepParameter, check_parameter, read_study};
use crate::{Resolver, Scenario};

/// Limits that keep a calibration's size inside what a machine can hold and run.
pub const MAX_PARTICLES: u64 = 100_000;
pub const MAX_REPLICATES: u64 = 10_000;
pub const MAX_GENERATIONS: usize = 50;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalibration {
    name: String,
    description: String,
    scenario: String,
    timeline: String,
    observed: Option<String>,
    seed: u64,
    particles: u64,
    replicates: u64,
    tolerances: Vec<u32>,
    max_proposals_per_particle: Option<u64>,
    parameters: Vec<RawParameter>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    path: String,
    /// How charts and reports name it (default: the path in words).
    label: Option<String>,
    range: [f64; 2],
}

/// A validated calibration file.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    pub name: String,
    pub description: String,
    /// The scenario as written (an embedded name or a path relative to the file).
    pub scenario_ref: String,
    /// The scenario, loaded (parameters are checked against it).
    pub scenario: Scenario,
    /// The timeline and observations as written, relative to the calibration file.
    pub timeline: String,
    pub observed: Option<String>,
    pub seed: u64,
    pub particles: u64,
    pub replicates: u64,
    pub tolerances: Vec<u32>,
    pub max_proposals_per_particle: u64,
    /// The prior: uniform on each range.
    pub parameters: Vec<SweepParameter>,
    /// The file as written (for the manifest).
    pub source: toml::Table,
}

/// Loads and validates a calibration file; `resolve` finds its scenario.
pub fn load_calibration(
    file: &str,
    bytes: &[u8],
    resolve: Resolver<'_>,
) -> Result<Calibration, Error> {
    let study = read_study(file, bytes, resolve, |r: &RawCalibration| (&r.scenario, &r.name))?;
    let Study { raw, table, map, scenario, mut problems } = study;
    let fail = |path: &str, msg: String| map.diagnostic(path, msg);
    if !(2..=MAX_PARTICLES).contains(&raw.particles) {
        problems.push(fail("particles", format!("must be 2 to {MAX_PARTICLES}")));
    }
    if !(1..=MAX_REPLICATES).contains(&raw.replicates) {
        problems.push(fail("replicates", format!("must be 1 to {MAX_REPLICATES}")));
    }
    if raw.tolerances.is_empty() || raw.tolerances.len() > MAX_GENERATIONS {
        problems.push(fail(
            "tolerances",
            format!("needs 1 to {MAX_GENERATIONS} tolerances, one per generation"),
        ));
    }
    if raw.tolerances.windows(2).any(|w| w[1] > w[0]) {
        problems
            .push(fail("tolerances", "must not increase from one generation to the next".into()));
    }
    let max_proposals = raw.max_proposals_per_particle.unwrap_or(1_000);
    if !(1..=1_000_000).contains(&max_proposals) {
        problems.push(fail("max_proposals_per_particle", "must be 1 to 1000000".into()));
    }
    if raw.parameters.is_empty() {
        problems.push(fail("parameters", "needs at least one [[parameters]] entry".into()));
    }
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
            ("listed", "calibrated"),
            &fail,
            &mut problems,
        ) else {
            continue;
        };
        let [low, high] = p.range;
        let inside = |x: f64| x.is_finite() && x >= domain.min && x <= domain.max;
        if !(inside(low) && inside(high)) || low >= high {
            problems.push(fail(
                &format!("{here}.range"),
                format!(
                    "must lie within the parameter's range [{}, {}], low below high",
                    domain.min, domain.max
                ),
            ));
            continue;
        }
        parameters.push(SweepParameter {
            path: p.path.clone(),
            label: p.label.clone(),
            low,
            high,
            values: Vec::new(),
            domain,
        });
    }
    if raw.seed > crate::sweep::MAX_SEED {
        problems.push(fail("seed", crate::sweep::seed_too_large(raw.seed)));
    }
    if !problems.is_empty() {
        return Err(Error { diagnostics: problems });
    }
    Ok(Calibration {
        name: raw.name,
        description: raw.description,
        scenario_ref: raw.scenario,
        scenario,
        timeline: raw.timeline,
        observed: raw.observed,
        seed: raw.seed,
        particles: raw.particles,
        replicates: raw.replicates,
        tolerances: raw.tolerances,
        max_proposals_per_particle: max_proposals,
        parameters,
        source: table,
    })
}
