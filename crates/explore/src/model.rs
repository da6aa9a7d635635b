//! What the page is told about the model (its parameters, series, outcomes and record), and
//! how a page's settings become scenarios.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use sidelines_model::{OutcomeKind, Simulation};
use sidelines_report::charts::{outcome_words, param_words, value_words};
use sidelines_scenario::{Replay, Scenario};

use crate::engine::{Values, series_key};

pub use sidelines_scenario::KEY_ASSUMPTIONS;

/// Parameters that change a scenario's shape (its days): not offered as controls.
const SHAPE: &[&str] = &["horizon_days"];

/// The scenario with and without its record.
#[derive(Debug)]
pub struct Explored {
    pub plain: Arc<Scenario>,
    /// The scenario driven by the record to its end, then on to the plain horizon.
    pub replay: Option<(Arc<Scenario>, Replay)>,
    /// The record's name (its timeline file).
    pub record_name: Option<String>,
    /// Parameters with a control from the start (key assumptions, then those asked for).
    pub controls: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Description {
    pub scenario: String,
    pub description: String,
    pub horizon: u32,
    pub dates: Vec<String>,
    pub parameters: Vec<ParamInfo>,
    pub groups: Vec<Group>,
    pub outcomes: Vec<OutcomeInfo>,
    pub record: Option<RecordInfo>,
    pub runs: u64,
    pub first: u64,
}

#[derive(Debug, Serialize)]
pub struct ParamInfo {
    pub path: String,
    pub label: String,
    pub doc: String,
    pub min: f64,
    pub max: f64,
    pub integer: bool,
    pub value: f64,
    pub key: bool,
    /// A control from the start.
    pub control: bool,
}

#[derive(Debug, Serialize)]
pub struct Group {
    pub title: String,
    pub series: Vec<SeriesInfo>,
    /// Shown from the start (the key series).
    pub open: bool,
}

#[derive(Debug, Serialize)]
pub struct SeriesInfo {
    pub key: String,
    pub label: String,
}

#[derive(Debug, Serialize)]
pub struct OutcomeInfo {
    pub name: String,
    pub label: String,
    /// "category" or "number".
    pub kind: &'static str,
    pub values: Vec<(String, String)>,
}

#[derive(Debug, Serialize)]
pub struct RecordInfo {
    pub name: String,
    pub last_date: String,
    pub events: Vec<EventInfo>,
    pub observations: Vec<ObservationInfo>,
}

#[derive(Debug, Serialize)]
pub struct EventInfo {
    pub day: u32,
    pub date: String,
    pub kind: String,
    pub source: String,
    pub target: String,
    pub note: String,
}

#[derive(Debug, Serialize)]
pub struct ObservationInfo {
    pub day: u32,
    pub date: String,
    pub outcome: String,
    pub label: String,
    pub observed: String,
    pub note: String,
    /// The share outcome that says whether a run was as observed.
    pub column: String,
    /// The series it is drawn on, when the outcome is one.
    pub series: Option<String>,
}

impl Explored {
    /// The scenario for a page's values, with or without the record: every problem in words.
    pub fn scenario(&self, values: &Values, record: bool) -> Result<Arc<Scenario>, String> {
        let base = match (&self.replay, record) {
            (Some((s, _)), true) => s,
            (None, true) => return Err(String::from("this explorer has no record")),
            (_, false) => &self.plain,
        };
        let known = self.plain.parameters();
        for (path, value) in values {
            let Some((_, _, decl)) = known.iter().find(|(p, _, _)| p == path) else {
                return Err(sidelines_scenario::params::unknown_path_message(
                    &self.plain.document,
                    path,
                ));
            };
            if !value.is_finite() {
                return Err(format!("{path} must be a number"));
            }
            if let Some(d) = decl.map(|d| d.domain)
                && (*value < d.min || *value > d.max)
            {
                return Err(format!(
                    "{path} = {value} is outside its range [{}, {}]",
                    d.min, d.max
                ));
            }
        }
        if values.is_empty() {
            return Ok(base.clone());
        }
        let s = base
            .with_values(values.iter().map(|(k, v)| (k.as_str(), *v)))
            .map_err(|e| e.to_string())?;
        // The page's days, series and paired seeds assume one shape: a value that changes it
        // (the horizon) is a new scenario, not a setting of this one.
        if !s.same_shape(base) {
            return Err(String::from(
                "this value changes the scenario's shape (its days, actors or events): \
                 start the explorer on a scenario file that has it",
            ));
        }
        Ok(Arc::new(s))
    }

    pub fn describe(&self, runs: u64, first: u64) -> Result<Description, String> {
        let s = &self.plain;
        let sim = Simulation::new(s.clone()).map_err(|e| e.to_string())?;
        let parameters = s
            .parameters()
            .into_iter()
            .filter_map(|(path, value, decl)| {
                let d = decl?;
                if SHAPE.contains(&path.as_str()) {
                    return None;
                }
                Some(ParamInfo {
                    label: param_words(&path),
                    doc: d.doc.to_string(),
                    min: d.domain.min,
                    max: d.domain.max,
                    integer: d.domain.integer,
                    value,
                    key: KEY_ASSUMPTIONS.contains(&path.as_str()),
                    control: self.controls.contains(&path),
                    path,
                })
            })
            .collect();
        let outcomes = sim
            .outcome_names()
            .iter()
            .zip(sim.outcome_kinds())
            .filter_map(|(name, kind)| {
                let (kind, values) = match kind {
                    OutcomeKind::Category(labels) => (
                        "category",
                        labels.iter().map(|l| (l.to_string(), value_words(name, l))).collect(),
                    ),
                    OutcomeKind::Unit => ("number", Vec::new()),
                    OutcomeKind::Day => return None,
                };
                Some(OutcomeInfo { name: name.clone(), label: outcome_words(name), kind, values })
            })
            .collect();
        let record = self.replay.as_ref().map(|(scenario, replay)| RecordInfo {
            name: self.record_name.clone().unwrap_or_default(),
            last_date: scenario.date(replay.last_day),
            events: replay
                .rows
                .iter()
                .map(|r| EventInfo {
                    day: r.day,
                    date: r.date.clone(),
                    kind: r.kind.clone(),
                    source: r.source.clone(),
                    target: r.target.clone(),
                    note: r.note.clone(),
                })
                .collect(),
            observations: scenario
                .observed
                .iter()
                .map(|o| {
                    let date = scenario.date(o.day);
                    let column = format!("{}_{}_as_observed", o.outcome, date.replace('-', "_"));
                    let series = sim
                        .series()
                        .iter()
                        .map(|x| series_key(&x.actor, &x.variable))
                        .find(|k| *k == o.outcome);
                    ObservationInfo {
                        day: o.day,
                        date,
                        label: outcome_words(&o.outcome),
                        outcome: o.outcome.clone(),
                        observed: o.expect.to_string(),
                        note: o.note.clone(),
                        column,
                        series,
                    }
                })
                .collect(),
        });
        // A record longer than the scenario's horizon carries the world past it.
        let days = match &self.replay {
            Some((r, _)) if r.horizon_days > s.horizon_days => r,
            _ => s,
        };
        Ok(Description {
            scenario: s.name.clone(),
            description: s.description.clone(),
            horizon: days.horizon_days,
            dates: (0..days.horizon_days).map(|d| days.date(d)).collect(),
            parameters,
            groups: groups(&sim),
            outcomes,
            record,
            runs,
            first,
        })
    }
}

/// The recorded series in groups: per actor, beliefs, lanes, trust and fears, the rest. The key
/// series are open from the start: the first observer's beliefs and lanes, the second's trust
/// and fears (Pyongyang's and Seoul's in the default scenario).
fn groups(sim: &Simulation) -> Vec<Group> {
    let s = sim.scenario();
    let observers: Vec<&str> = s.observers().map(|(_, a, _)| a.code.as_str()).collect();
    let mut by_actor: BTreeMap<(usize, String), Vec<(u8, SeriesInfo)>> = BTreeMap::new();
    for x in sim.series() {
        let rank = observers.iter().position(|c| *c == x.actor).unwrap_or(usize::MAX);
        let part = match x.variable.as_str() {
            v if v.starts_with("belief_") => 0,
            v if v.starts_with("alliance_") => 1,
            v if v.starts_with("trust_") || v.starts_with("fear_") => 2,
            _ => 3,
        };
        let key = series_key(&x.actor, &x.variable);
        by_actor
            .entry((rank, x.actor.clone()))
            .or_default()
            .push((part, SeriesInfo { label: outcome_words(&key), key }));
    }
    let mut out = Vec::new();
    for ((rank, actor), series) in by_actor {
        let name =
            s.actor_index(&actor).map_or_else(|| actor_words(&actor), |i| s.actors[i].name.clone());
        let mut parts: BTreeMap<u8, Vec<SeriesInfo>> = BTreeMap::new();
        for (part, info) in series {
            parts.entry(part).or_default().push(info);
        }
        for (part, series) in parts {
            let what = ["beliefs about the US", "alignment lanes", "trust and fears", "other"];
            let open = (rank == 0 && part <= 1) || (rank == 1 && part == 2);
            out.push(Group { title: format!("{name}: {}", what[part as usize]), series, open });
        }
    }
    // The open groups first, in the order above.
    out.sort_by_key(|g| !g.open);
    out
}

fn actor_words(code: &str) -> String {
    if code == sidelines_model::WAR_ACTOR { String::from("The war") } else { code.to_string() }
}
