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
//!
//! A joint calibration fits several episodes at once: `[[episodes]]` (each a `scenario`, a
//! `timeline`, an optional `observed` and an optional `name`, by default the scenario's)
//! replace the top-level `scenario`, `timeline` and `observed`, and a proposal's distance is
//! the observations it misses across all of them. A parameter is shared by every episode (how
//! observers read Washington: statement weight, transfer, the likelihoods) unless it names
//! its `episode` (its observer's day-0 state). A shared parameter of an actor an episode does
//! not have is simply not set there. A group moves many numbers with one:
//!
//! ```toml
//! [[parameters]]
//! group = "deal-seeker-reading"      # a name of its own (letters, digits, `-`, `_`)
//! paths = ["events.*.likelihood.deal_seeker"]   # `*` matches one segment
//! range = [-1.5, 1.5]                # a common shift of the log-odds of every number matched
//! ```
//!
//! so a fit of 174 likelihoods is a fit of a few groups. Each matched number must lie in
//! [0, 1] (a probability); it becomes `logistic(logit(x) + shift)`.
//!
//! A model-choice file (`sidelines choose`) has the same episodes and parameters (the prior
//! every model shares; none is needed), and instead of ABC-SMC's settings, the models and the
//! size of the reference table:
//!
//! ```toml
//! draws = 1000      # parameter draws per model, each giving `replicates` simulated records
//! accept = 500      # simulated records kept nearest the record
//! checks = 100      # synthetic records per model (default: 100, at most `draws`)
//! [[models]]
//! name = "shipped"
//! description = "the model as shipped"
//! [[models]]
//! name = "current-calculus"
//! description = "..."
//! set = { "events.*.likelihood.*" = 0.5 }   # fixed in every episode that has them
//! ```
//!
//! Validated like sweeps: every problem with file, line, column and field.

use serde::Deserialize;

use crate::error::{Diagnostic, Error};
use crate::params::{self, Domain};
use crate::sweep::{Study, SweepParameter, read_study, simplex_of};
use crate::{Resolver, Scenario, load};

/// Limits that keep a calibration's size inside what a machine can hold and run.
pub const MAX_PARTICLES: u64 = 100_000;
pub const MAX_REPLICATES: u64 = 10_000;
pub const MAX_GENERATIONS: usize = 50;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalibration {
    name: String,
    description: String,
    scenario: Option<String>,
    timeline: Option<String>,
    observed: Option<String>,
    episodes: Option<Vec<RawEpisode>>,
    seed: u64,
    particles: Option<u64>,
    replicates: u64,
    tolerances: Option<Vec<u32>>,
    max_proposals_per_particle: Option<u64>,
    #[serde(default)]
    parameters: Vec<RawParameter>,
    /// A model-choice file's models, and its reference table's size.
    models: Option<Vec<RawModel>>,
    draws: Option<u64>,
    accept: Option<u64>,
    checks: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: String,
    description: String,
    #[serde(default)]
    set: toml::Table,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEpisode {
    name: Option<String>,
    scenario: String,
    timeline: String,
    observed: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    path: Option<String>,
    /// A group's name; its numbers are `paths`.
    group: Option<String>,
    paths: Option<Vec<String>>,
    /// The one episode whose scenario it sets (default: every episode).
    episode: Option<String>,
    /// How charts and reports name it (default: the path in words).
    label: Option<String>,
    range: [f64; 2],
}

/// The widest shift of a group's log-odds: e^10 is a likelihood ratio of 22,000.
pub const MAX_GROUP_SHIFT: f64 = 10.0;

/// One episode of a calibration: its scenario, and its record as written (relative to the
/// calibration file).
#[derive(Clone, Debug, PartialEq)]
pub struct Episode {
    /// The name its episode-scoped parameters use (the scenario's name by default).
    pub name: String,
    /// The scenario as written (an embedded name or a path relative to the file).
    pub scenario_ref: String,
    pub scenario: Scenario,
    pub timeline: String,
    pub observed: Option<String>,
}

/// What a calibrated number sets.
#[derive(Clone, Debug, PartialEq)]
pub enum Set {
    /// One parameter path.
    Path(String),
    /// Every parameter matching one of the patterns (`*` is one segment), shifted on the
    /// log-odds scale by the value.
    Group { name: String, patterns: Vec<String> },
}

/// A calibrated number: what it sets, and in which episode (None: every episode).
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub set: Set,
    pub episode: Option<String>,
}

impl Target {
    /// Its name as a column of particles.csv and posterior.csv: the path, or `group:NAME`,
    /// with `EPISODE:` before it when it belongs to one episode.
    pub fn column(&self) -> String {
        let base = match &self.set {
            Set::Path(p) => p.clone(),
            Set::Group { name, .. } => format!("group:{name}"),
        };
        match &self.episode {
            Some(e) => format!("{e}:{base}"),
            None => base,
        }
    }

    /// The settings this number makes in `scenario` (the episode named `episode`) at `value`:
    /// `Ok(settings)`, empty where it does not apply there (another episode's, an actor the
    /// scenario does not have, a group matching nothing); `Err(path)` for a path of an actor
    /// the scenario has but a number it does not.
    pub fn settings(
        &self,
        value: f64,
        episode: &str,
        scenario: &Scenario,
    ) -> Result<Vec<(String, f64)>, String> {
        Ok(self.bind(episode, scenario)?.settings(value))
    }

    /// What this number sets in `scenario` (the episode named `episode`), found once so that
    /// many values can be set quickly (a group's matching walks every number of the scenario).
    /// `Err(path)` as for `settings`.
    pub fn bind(&self, episode: &str, scenario: &Scenario) -> Result<Bound, String> {
        if self.episode.as_deref().is_some_and(|e| e != episode) {
            return Ok(Bound::Nothing);
        }
        match &self.set {
            Set::Path(p) if of_absent_actor(p, scenario) => Ok(Bound::Nothing),
            Set::Path(p) => match params::get(&scenario.document, p) {
                Some(_) => Ok(Bound::Path(p.clone())),
                None => Err(p.clone()),
            },
            Set::Group { patterns, .. } => Ok(Bound::Shifted(
                scenario
                    .parameters()
                    .into_iter()
                    .filter(|(path, _, _)| patterns.iter().any(|q| matches(q, path)))
                    .map(|(path, base, _)| {
                        let domain = params::domain(&path);
                        (path, base, domain)
                    })
                    .collect(),
            )),
        }
    }
}

/// What one calibrated number sets in one scenario (`Target::bind`).
#[derive(Clone, Debug, PartialEq)]
pub enum Bound {
    /// Nothing there.
    Nothing,
    /// One path, to the value.
    Path(String),
    /// Each number (its path, its value in the scenario, its declared range) shifted on the
    /// log-odds scale by the value.
    Shifted(Vec<(String, f64, Option<Domain>)>),
}

impl Bound {
    /// The settings at `value`.
    pub fn settings(&self, value: f64) -> Vec<(String, f64)> {
        match self {
            Bound::Nothing => Vec::new(),
            Bound::Path(p) => vec![(p.clone(), value)],
            Bound::Shifted(numbers) => numbers
                .iter()
                .map(|(path, base, domain)| {
                    // Held inside the number's declared range (a likelihood's floor is 1e-6).
                    let shifted = logistic(logit(*base) + value);
                    let shifted = domain.map_or(shifted, |d| shifted.clamp(d.min, d.max));
                    (path.clone(), shifted)
                })
                .collect(),
        }
    }
}

/// Whether `path` is of an actor `scenario` does not have at all (`actors.JP.transfer` in an
/// episode without Tokyo): no number of it enters the scenario's runs.
pub fn of_absent_actor(path: &str, scenario: &Scenario) -> bool {
    path.strip_prefix("actors.")
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(code, _)| !scenario.actors.iter().any(|a| a.code == code))
}

/// `pattern` against `path`, segment by segment; `*` matches any one segment.
pub fn matches(pattern: &str, path: &str) -> bool {
    let (p, q): (Vec<&str>, Vec<&str>) = (pattern.split('.').collect(), path.split('.').collect());
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| *a == "*" || a == b)
}

/// Log-odds, with 0 and 1 held just inside so that a shift keeps them finite.
fn logit(x: f64) -> f64 {
    let x = x.clamp(1e-12, 1.0 - 1e-12);
    (x / (1.0 - x)).ln()
}

fn logistic(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Limits of a model choice: models compared, parameter draws per model.
pub const MAX_MODELS: usize = 64;
pub const MAX_DRAWS: u64 = 1_000_000;

/// A model-choice file's part: the models compared and the size of the reference table
/// (`sidelines choose`).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelChoice {
    pub models: Vec<Model>,
    /// Parameter draws per model; each draw gives `replicates` simulated records.
    pub draws: u64,
    /// Simulated records kept nearest a record (its tolerance follows).
    pub accept: u64,
    /// Synthetic records per model in the check of which model each comes out as.
    pub checks: u64,
}

/// A named model variant: numbers it fixes in every episode that has them, applied after the
/// calibrated parameters (what a model fixes, it fixes). A path with `*` fixes every number it
/// matches.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub name: String,
    pub description: String,
    pub set: Vec<(String, f64)>,
}

impl Model {
    /// The settings the model makes in `scenario`: each path the scenario has, each number a
    /// pattern matches there.
    pub fn settings(&self, scenario: &Scenario) -> Vec<(String, f64)> {
        let numbers = scenario.parameters();
        let mut out = Vec::new();
        for (path, value) in &self.set {
            if path.contains('*') {
                out.extend(
                    numbers
                        .iter()
                        .filter(|(p, _, _)| matches(path, p))
                        .map(|(p, _, _)| (p.clone(), *value)),
                );
            } else if params::get(&scenario.document, path).is_some() {
                out.push((path.clone(), *value));
            }
        }
        out
    }
}

/// A validated calibration file.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    pub name: String,
    pub description: String,
    /// Its episodes: one for a file with a top-level `scenario` and `timeline`.
    pub episodes: Vec<Episode>,
    pub seed: u64,
    pub particles: u64,
    pub replicates: u64,
    pub tolerances: Vec<u32>,
    pub max_proposals_per_particle: u64,
    /// The prior: uniform on each range. A parameter's `path` is its column
    /// (`Target::column`); what it sets is `targets`, in the same order.
    pub parameters: Vec<SweepParameter>,
    pub targets: Vec<Target>,
    /// A model-choice file's models (`sidelines choose`); None for a calibration.
    pub choice: Option<ModelChoice>,
    /// The file as written (for the manifest).
    pub source: toml::Table,
}

/// Loads and validates a calibration file; `resolve` finds its scenarios.
pub fn load_calibration(
    file: &str,
    bytes: &[u8],
    resolve: Resolver<'_>,
) -> Result<Calibration, Error> {
    // The study's scenario is the first episode's; without any, a placeholder lets the file be
    // read so that the missing fields are reported with the rest.
    let study = read_study(file, bytes, resolve, |r: &RawCalibration| {
        let sc = r
            .scenario
            .as_deref()
            .or_else(|| r.episodes.as_ref().and_then(|e| e.first()).map(|e| e.scenario.as_str()))
            .unwrap_or("ukraine-watch");
        (sc, &r.name)
    })?;
    let Study { raw, table, map, scenario, mut problems } = study;
    let fail = |path: &str, msg: String| map.diagnostic(path, msg);
    let episodes = read_episodes(file, &raw, scenario, resolve, &fail, &mut problems);
    if !(1..=MAX_REPLICATES).contains(&raw.replicates) {
        problems.push(fail("replicates", format!("must be 1 to {MAX_REPLICATES}")));
    }
    let choice = match &raw.models {
        Some(models) => read_choice(&raw, models, &episodes, &fail, &mut problems),
        None => {
            check_abc(&raw, &fail, &mut problems);
            None
        }
    };
    if raw.parameters.is_empty() && raw.models.is_none() {
        problems.push(fail("parameters", "needs at least one [[parameters]] entry".into()));
    }
    let mut parameters = Vec::new();
    let mut targets = Vec::new();
    // Per scope (None: shared), the paths and simplexes already calibrated.
    let mut seen: Vec<(Option<String>, String)> = Vec::new();
    for (i, p) in raw.parameters.iter().enumerate() {
        let here = format!("parameters[{i}]");
        let scope: Option<&Episode> = match &p.episode {
            None => None,
            Some(e) => match episodes.iter().find(|x| x.name == *e) {
                Some(x) => Some(x),
                None => {
                    let names: Vec<&str> = episodes.iter().map(|x| x.name.as_str()).collect();
                    problems.push(fail(
                        &format!("{here}.episode"),
                        format!("no episode is named `{e}` (the episodes: {})", names.join(", ")),
                    ));
                    continue;
                }
            },
        };
        let in_scope: Vec<&Episode> = scope.map_or_else(|| episodes.iter().collect(), |e| vec![e]);
        let [low, high] = p.range;
        let (set, domain) = match (&p.path, &p.group, &p.paths) {
            (Some(path), None, None) => {
                let Some(domain) = check_path(
                    &here,
                    path,
                    p.episode.as_deref(),
                    &in_scope,
                    &seen,
                    &fail,
                    &mut problems,
                ) else {
                    continue;
                };
                (Set::Path(path.clone()), domain)
            }
            (None, Some(name), Some(patterns)) => {
                if !check_group(&here, name, patterns, &in_scope, &fail, &mut problems) {
                    continue;
                }
                let domain = Domain { min: -MAX_GROUP_SHIFT, max: MAX_GROUP_SHIFT, integer: false };
                (Set::Group { name: name.clone(), patterns: patterns.clone() }, domain)
            }
            _ => {
                problems.push(fail(
                    &here,
                    "give a `path`, or a `group` with its `paths` (not both)".into(),
                ));
                continue;
            }
        };
        let target = Target { set, episode: p.episode.clone() };
        let column = target.column();
        if seen.iter().any(|(_, c)| *c == column) {
            problems.push(fail(&here, format!("`{column}` is calibrated twice")));
            continue;
        }
        seen.push((p.episode.clone(), column.clone()));
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
            path: column,
            label: p.label.clone(),
            low,
            high,
            values: Vec::new(),
            domain,
        });
        targets.push(target);
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
        episodes,
        seed: raw.seed,
        particles: raw.particles.unwrap_or(0),
        replicates: raw.replicates,
        tolerances: raw.tolerances.unwrap_or_default(),
        max_proposals_per_particle: raw.max_proposals_per_particle.unwrap_or(1_000),
        parameters,
        targets,
        choice,
        source: table,
    })
}

/// A calibration's ABC-SMC settings: `particles` and `tolerances` given, none of a model
/// choice's.
fn check_abc(
    raw: &RawCalibration,
    fail: &dyn Fn(&str, String) -> Diagnostic,
    problems: &mut Vec<Diagnostic>,
) {
    match raw.particles {
        None => problems.push(fail("", "missing field `particles`".into())),
        Some(n) if !(2..=MAX_PARTICLES).contains(&n) => {
            problems.push(fail("particles", format!("must be 2 to {MAX_PARTICLES}")))
        }
        Some(_) => {}
    }
    match &raw.tolerances {
        None => problems.push(fail("", "missing field `tolerances`".into())),
        Some(t) if t.is_empty() || t.len() > MAX_GENERATIONS => problems.push(fail(
            "tolerances",
            format!("needs 1 to {MAX_GENERATIONS} tolerances, one per generation"),
        )),
        Some(t) if t.windows(2).any(|w| w[1] > w[0]) => problems
            .push(fail("tolerances", "must not increase from one generation to the next".into())),
        Some(_) => {}
    }
    if !(1..=1_000_000).contains(&raw.max_proposals_per_particle.unwrap_or(1_000)) {
        problems.push(fail("max_proposals_per_particle", "must be 1 to 1000000".into()));
    }
    for (key, given) in [
        ("draws", raw.draws.is_some()),
        ("accept", raw.accept.is_some()),
        ("checks", raw.checks.is_some()),
    ] {
        if given {
            problems.push(fail(key, "belongs to a model choice: give [[models]] too".into()));
        }
    }
}

/// A model choice's models and reference table (`[[models]]`, `draws`, `accept`, `checks`);
/// None where a problem was found.
fn read_choice(
    raw: &RawCalibration,
    models: &[RawModel],
    episodes: &[Episode],
    fail: &dyn Fn(&str, String) -> Diagnostic,
    problems: &mut Vec<Diagnostic>,
) -> Option<ModelChoice> {
    let before = problems.len();
    for (key, given) in [
        ("particles", raw.particles.is_some()),
        ("tolerances", raw.tolerances.is_some()),
        ("max_proposals_per_particle", raw.max_proposals_per_particle.is_some()),
    ] {
        if given {
            problems.push(fail(
                key,
                "a model choice has `draws`, `accept` and `checks`, not ABC-SMC's settings".into(),
            ));
        }
    }
    if !(2..=MAX_MODELS).contains(&models.len()) {
        problems.push(fail("models", format!("needs 2 to {MAX_MODELS} [[models]]")));
    }
    let draws = raw.draws.unwrap_or(0);
    if !(1..=MAX_DRAWS).contains(&draws) {
        problems.push(fail(
            if raw.draws.is_some() { "draws" } else { "" },
            format!("`draws` (parameter draws per model) must be 1 to {MAX_DRAWS}"),
        ));
    }
    let table = (models.len() as u64).saturating_mul(draws).saturating_mul(raw.replicates);
    let accept = raw.accept.unwrap_or(0);
    if accept == 0 || accept > table.max(1) {
        problems.push(fail(
            if raw.accept.is_some() { "accept" } else { "" },
            format!(
                "`accept` (simulated records kept nearest the record) must be 1 to the table's {table} (models x draws x replicates)"
            ),
        ));
    }
    let checks = raw.checks.unwrap_or(draws.min(100));
    if checks > draws {
        problems.push(fail("checks", format!("must be 0 to `draws` ({draws})")));
    }
    let mut out: Vec<Model> = Vec::new();
    for (i, m) in models.iter().enumerate() {
        let here = format!("models[{i}]");
        if !crate::is_slug(&m.name) {
            problems.push(fail(
                &format!("{here}.name"),
                "must be 1 to 64 letters, digits, `-` or `_`".into(),
            ));
        }
        if out.iter().any(|x| x.name == m.name) {
            problems
                .push(fail(&format!("{here}.name"), format!("two models are named `{}`", m.name)));
        }
        let mut set = Vec::new();
        for (path, value) in &m.set {
            let at = format!("{here}.set");
            let Some(x) = value.as_float().or_else(|| value.as_integer().map(|i| i as f64)) else {
                problems.push(fail(&at, format!("`{path}` must be a number")));
                continue;
            };
            let matched: Vec<String> = if path.contains('*') {
                episodes
                    .iter()
                    .flat_map(|e| e.scenario.parameters())
                    .map(|(p, _, _)| p)
                    .filter(|p| matches(path, p))
                    .collect()
            } else if episodes.iter().any(|e| params::get(&e.scenario.document, path).is_some()) {
                vec![path.clone()]
            } else {
                Vec::new()
            };
            if matched.is_empty() {
                let msg = if path.contains('*') {
                    format!("`{path}` matches no number of any episode")
                } else {
                    match episodes.first() {
                        Some(e) => params::unknown_path_message(&e.scenario.document, path),
                        None => format!("`{path}`: no episode to set it in"),
                    }
                };
                problems.push(fail(&at, msg));
                continue;
            }
            match matched.iter().find(|p| {
                params::domain(p).is_none_or(|d| !x.is_finite() || x < d.min || x > d.max)
            }) {
                Some(bad) => {
                    let range = params::domain(bad)
                        .map_or(String::from("no declared range"), |d| {
                            format!("range [{}, {}]", d.min, d.max)
                        });
                    problems.push(fail(&at, format!("`{path}` = {x}: `{bad}` has {range}")));
                }
                None => set.push((path.clone(), x)),
            }
        }
        out.push(Model { name: m.name.clone(), description: m.description.clone(), set });
    }
    (problems.len() == before).then_some(ModelChoice { models: out, draws, accept, checks })
}

/// The episodes: the top-level `scenario`, `timeline` and `observed`, or `[[episodes]]`
/// (`first` is the first one's scenario, already loaded).
fn read_episodes(
    file: &str,
    raw: &RawCalibration,
    first: Scenario,
    resolve: Resolver<'_>,
    fail: &dyn Fn(&str, String) -> Diagnostic,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Episode> {
    match (&raw.episodes, &raw.scenario, &raw.timeline) {
        (None, Some(scenario_ref), Some(timeline)) => vec![Episode {
            name: first.name.clone(),
            scenario_ref: scenario_ref.clone(),
            scenario: first,
            timeline: timeline.clone(),
            observed: raw.observed.clone(),
        }],
        (Some(list), None, None) if raw.observed.is_none() => {
            if list.is_empty() {
                problems.push(fail("episodes", "needs at least one [[episodes]] entry".into()));
            }
            let mut out: Vec<Episode> = Vec::new();
            for (i, e) in list.iter().enumerate() {
                let here = format!("episodes[{i}]");
                let scenario = if i == 0 {
                    first.clone()
                } else {
                    let loaded = resolve(&e.scenario, file)
                        .map_err(|m| Error::single(fail(&format!("{here}.scenario"), m)))
                        .and_then(|(f, b)| load(&f, &b, resolve));
                    match loaded {
                        Ok(s) => s,
                        Err(err) => {
                            problems.extend(err.diagnostics);
                            continue;
                        }
                    }
                };
                let name = e.name.clone().unwrap_or_else(|| scenario.name.clone());
                if !crate::is_slug(&name) || name == "group" {
                    problems.push(fail(
                        &format!("{here}.name"),
                        "must be 1 to 64 letters, digits, `-` or `_`, not `group` (it names the episode's own parameters)".into(),
                    ));
                }
                if out.iter().any(|x| x.name == name) {
                    problems.push(fail(
                        &format!("{here}.name"),
                        format!("two episodes are named `{name}`: give one a `name`"),
                    ));
                }
                out.push(Episode {
                    name,
                    scenario_ref: e.scenario.clone(),
                    scenario,
                    timeline: e.timeline.clone(),
                    observed: e.observed.clone(),
                });
            }
            out
        }
        _ => {
            problems.push(fail(
                "",
                "give `scenario` and `timeline` (one episode, `observed` optional) or [[episodes]], not both"
                    .into(),
            ));
            Vec::new()
        }
    }
}

/// A calibrated path: in every episode of its scope that has its actor it must name a number
/// with a declared range; a simplex may have one component calibrated per scope. Its domain.
fn check_path(
    here: &str,
    path: &str,
    scope: Option<&str>,
    in_scope: &[&Episode],
    seen: &[(Option<String>, String)],
    fail: &dyn Fn(&str, String) -> Diagnostic,
    problems: &mut Vec<Diagnostic>,
) -> Option<Domain> {
    let at = format!("{here}.path");
    let having: Vec<&&Episode> =
        in_scope.iter().filter(|e| !of_absent_actor(path, &e.scenario)).collect();
    if having.is_empty() {
        problems.push(fail(&at, format!("no episode has the actor of `{path}`")));
        return None;
    }
    for e in &having {
        if params::get(&e.scenario.document, path).is_none() {
            let mut msg = params::unknown_path_message(&e.scenario.document, path);
            if in_scope.len() > 1 {
                msg = format!("episode `{}`: {msg}", e.name);
            }
            problems.push(fail(&at, msg));
            return None;
        }
    }
    let Some(domain) = params::domain(path) else {
        problems.push(fail(&at, format!("`{path}` has no declared range")));
        return None;
    };
    // A simplex's components are rescaled to keep its sum: one of them per scope (shared ones
    // count in every scope).
    if let Some(sx) = simplex_of(path) {
        let clash = seen.iter().any(|(sc, column)| {
            let p = column.rsplit_once(':').map_or(column.as_str(), |x| x.1);
            (sc.is_none() || scope.is_none() || sc.as_deref() == scope) && simplex_of(p) == Some(sx)
        });
        if clash {
            problems.push(fail(
                &at,
                format!(
                    "only one component of {sx} can be calibrated (the others are rescaled to keep the sum 1)"
                ),
            ));
        }
    }
    Some(domain)
}

/// A group: a name of its own, patterns that match numbers in [0, 1] in some episode.
fn check_group(
    here: &str,
    name: &str,
    patterns: &[String],
    in_scope: &[&Episode],
    fail: &dyn Fn(&str, String) -> Diagnostic,
    problems: &mut Vec<Diagnostic>,
) -> bool {
    let before = problems.len();
    if !crate::is_slug(name) {
        problems.push(fail(
            &format!("{here}.group"),
            "must be 1 to 64 letters, digits, `-` or `_`".into(),
        ));
    }
    if patterns.is_empty() {
        problems.push(fail(&format!("{here}.paths"), "needs at least one path".into()));
    }
    for (k, pattern) in patterns.iter().enumerate() {
        let at = format!("{here}.paths[{k}]");
        let matched: Vec<String> = in_scope
            .iter()
            .flat_map(|e| e.scenario.parameters())
            .map(|(p, _, _)| p)
            .filter(|p| matches(pattern, p))
            .collect();
        if matched.is_empty() {
            problems.push(fail(&at, format!("`{pattern}` matches no number of any episode")));
            continue;
        }
        if let Some(bad) = matched
            .iter()
            .find(|p| params::domain(p).is_none_or(|d| d.min < 0.0 || d.max > 1.0 || d.integer))
        {
            problems.push(fail(
                &at,
                format!(
                    "`{pattern}` matches `{bad}`, which is not a probability in [0, 1]: a group shifts log-odds"
                ),
            ));
        }
    }
    problems.len() == before
}
