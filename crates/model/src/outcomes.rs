//! The outcome table: every column a run reports, declared once with its kind and extractor.
//!
//! The shape of Mesa's `DataCollector` (`model_reporters={"name": extractor}`): each outcome is
//! a name, the values it takes, whether it is a headline (what `batch` prints and the charts
//! draw first), and how it is read from a finished run. The table is built from the scenario's
//! structure, not from actor codes, so a scenario with other actors gets its own columns and a
//! sensible headline:
//! - how and when the talks ended;
//! - for every observer that can accept talks (one with an `[alignment]` table), whether and
//!   when it did, and its latest answer to an overture;
//! - the final value of every observer variable, and of the adversary's munitions need.
//!
//! Headlines: the talks' end, acceptance of talks, the beliefs, the Russia and US-engagement
//! lanes and the leverage of a hedging observer (Pyongyang's reading of Washington and where it
//! leans), and the trust and fears of an ally (an observer that neither hedges nor courts:
//! Seoul's and Tokyo's).

use bevy_ecs::prelude::*;
use sidelines_scenario::{ActorKind, Expect, ModelKind, ModelKinds, Scenario};

use crate::Value;
use crate::alignment::{ANSWERS, Acceptance};
use crate::negotiation::Talks;
use crate::recording::{self, ActorState, Var};
use crate::shared::*;

/// The values an outcome column can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutcomeKind {
    /// One of a fixed set of labels.
    Category(&'static [&'static str]),
    /// A real number in [0, 1] (every numeric outcome of the model is a share, a probability,
    /// a weight or a rate in [0, 1]).
    Unit,
    /// A day in [0, horizon_days), or missing.
    Day,
}

impl OutcomeKind {
    /// The labels in their order when the order means something (an ordinal scale), `None`
    /// for a nominal category or a number. An observer's answer to an overture is ordinal: it
    /// is drawn from an ordered logit over `ANSWERS` (none < refused < conditional offer <
    /// accepted, `alignment::answer_overtures`); the talks' outcomes and flags are nominal.
    pub fn ordinal(&self) -> Option<&'static [&'static str]> {
        match self {
            OutcomeKind::Category(labels) if *labels == ANSWERS => Some(labels),
            _ => None,
        }
    }
}

/// The label sets of ordinal outcomes (see `OutcomeKind::ordinal`): a column read back from a
/// file whose labels are one of these is ordered.
pub const ORDINAL_LABELS: &[&[&str]] = &[ANSWERS];

/// The labels of `talks_outcome`.
pub const TALKS_OUTCOMES: &[&str] = &[
    "settlement_russian_terms",
    "settlement_balanced",
    "talks_collapse",
    "us_disengaged",
    "ongoing",
    "agreement",
];

/// The labels of a flag outcome.
pub const FLAG_VALUES: &[&str] = &["false", "true"];

/// One outcome column.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// snake_case: `talks_outcome`, `kp_accepts_talks`, `kr_trust_us`.
    pub name: String,
    pub kind: OutcomeKind,
    /// Printed by `batch` and drawn first by the charts.
    pub headline: bool,
    /// One line for the column dictionary: what the value is, of whom, in which units.
    pub meaning: String,
    pub(crate) extract: Extract,
}

/// How an outcome is read from a finished run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Extract {
    TalksOutcome,
    TalksEndDay,
    Accepts(usize),
    AcceptsDay(usize),
    Answer(usize),
    Initiates(usize),
    Engaged(usize),
    /// The `slot`-th value `recording::actor_values` visits for this actor.
    Final {
        actor: usize,
        slot: usize,
    },
    /// Observation `k`'s outcome on its day (`flag`: whether it was as observed).
    Observed {
        k: usize,
        flag: bool,
    },
}

/// The scenario's observations, ready to be taken on their days: each with the outcome it
/// reads and, for `highest`, the actor's other beliefs.
#[derive(Resource, Clone, Debug, Default)]
pub struct Observing {
    items: Vec<Item>,
}

#[derive(Clone, Debug)]
struct Item {
    day: u32,
    base: Outcome,
    expect: Expect,
    siblings: Vec<Outcome>,
}

/// Each run's observed values and whether each was as observed, by observation.
#[derive(Clone, Debug, Default)]
pub struct Observations {
    pub(crate) initial: Vec<Value>,
    values: Vec<Value>,
    flags: Vec<bool>,
}

impl Observing {
    /// The observations of `s` against the outcome table `table`: the resource, the columns to
    /// add to the table, and a problem for each observation that names no outcome or expects
    /// what it cannot take (observation index, message).
    pub fn new(s: &Scenario, table: &[Outcome]) -> (Observing, Vec<Outcome>, Vec<(usize, String)>) {
        let mut items = Vec::new();
        let mut columns: Vec<Outcome> = Vec::new();
        let mut problems = Vec::new();
        for (k, o) in s.observed.iter().enumerate() {
            let Some(base) = table.iter().find(|t| t.name == o.outcome) else {
                let names = table.iter().map(|t| t.name.as_str());
                let hint = sidelines_scenario::did_you_mean(&o.outcome, names);
                problems
                    .push((k, format!("`{}` is not an outcome of this scenario{hint}", o.outcome)));
                continue;
            };
            let fits = match (&o.expect, base.kind) {
                (Expect::Label(l), OutcomeKind::Category(labels)) => labels.contains(&l.as_str()),
                (Expect::Up | Expect::Down | Expect::Range(..), OutcomeKind::Unit) => true,
                (Expect::Highest, OutcomeKind::Unit) => base.name.contains("_belief_"),
                _ => false,
            };
            if !fits {
                let takes = match base.kind {
                    OutcomeKind::Category(labels) => format!("one of {}", labels.join(", ")),
                    OutcomeKind::Unit if base.name.contains("_belief_") => {
                        String::from("up, down, highest or LOW..HIGH")
                    }
                    OutcomeKind::Unit => String::from("up, down or LOW..HIGH"),
                    OutcomeKind::Day => String::from("nothing yet (days are not observed)"),
                };
                problems.push((
                    k,
                    format!(
                        "`{}` cannot be observed as `{}`: it takes {takes}",
                        o.outcome, o.expect
                    ),
                ));
                continue;
            }
            let date = s.date(o.day).replace('-', "_");
            let name = format!("{}_{date}", o.outcome);
            if columns.iter().any(|c| c.name == name) {
                problems
                    .push((k, format!("`{}` is observed twice on {}", o.outcome, s.date(o.day))));
                continue;
            }
            let prefix = base.name.split("_belief_").next().unwrap_or_default();
            let siblings = table
                .iter()
                .filter(|t| t.name.starts_with(&format!("{prefix}_belief_")) && t.name != base.name)
                .cloned()
                .collect();
            let when = s.date(o.day);
            columns.push(
                outcome(&name, base.kind, false, Extract::Observed { k: items.len(), flag: false })
                    .meaning(format!("`{}` at the end of {when}", o.outcome)),
            );
            let flag = OutcomeKind::Category(FLAG_VALUES);
            let as_observed = Extract::Observed { k: items.len(), flag: true };
            columns.push(
                outcome(&format!("{name}_as_observed"), flag, false, as_observed).meaning(format!(
                    "TRUE if `{}` on {when} was as observed in the record ({})",
                    o.outcome, o.expect
                )),
            );
            items.push(Item { day: o.day, base: base.clone(), expect: o.expect.clone(), siblings });
        }
        (Observing { items }, columns, problems)
    }

    /// Clears each run's observations and takes the values they are compared with.
    pub fn start(world: &mut World, runs: usize) {
        world.resource_scope::<Observing, _>(|world, obs| {
            if obs.items.is_empty() {
                return;
            }
            for run in 0..runs {
                let mut initial = Vec::with_capacity(obs.items.len());
                world.resource_scope::<Queries, _>(|world, mut q| {
                    for item in &obs.items {
                        collect(world, &mut q, std::slice::from_ref(&item.base), run, &mut initial);
                    }
                });
                let n = obs.items.len();
                let mut per = world.resource_mut::<PerRun<Observations>>();
                let o = &mut per.0[run];
                o.initial = initial;
                o.values.clear();
                o.values.resize(n, Value::Missing);
                o.flags.clear();
                o.flags.resize(n, false);
            }
        });
    }
}

/// Takes today's observations in every run, at the end of the day.
pub fn observe(world: &mut World) {
    let day = world.resource::<Clock>().day;
    if !world.resource::<Observing>().items.iter().any(|i| i.day == day) {
        return;
    }
    world.resource_scope::<Observing, _>(|world, obs| {
        let runs = world.resource::<Roster>().active;
        for run in 0..runs {
            for (k, item) in obs.items.iter().enumerate().filter(|(_, i)| i.day == day) {
                let mut v = Vec::with_capacity(1 + item.siblings.len());
                world.resource_scope::<Queries, _>(|world, mut q| {
                    collect(world, &mut q, std::slice::from_ref(&item.base), run, &mut v);
                    collect(world, &mut q, &item.siblings, run, &mut v);
                });
                let mut per = world.resource_mut::<PerRun<Observations>>();
                let o = &mut per.0[run];
                let x = v[0].as_number();
                o.flags[k] = match &item.expect {
                    Expect::Label(l) => match &v[0] {
                        Value::Text(t) => t == l,
                        Value::Flag(b) => FLAG_VALUES[usize::from(*b)] == l,
                        _ => false,
                    },
                    Expect::Up => x.zip(o.initial[k].as_number()).is_some_and(|(x, i)| x > i),
                    Expect::Down => x.zip(o.initial[k].as_number()).is_some_and(|(x, i)| x < i),
                    Expect::Range(lo, hi) => x.is_some_and(|x| *lo <= x && x <= *hi),
                    Expect::Highest => x.is_some_and(|x| {
                        v[1..].iter().all(|s| s.as_number().is_none_or(|y| x >= y))
                    }),
                };
                o.values[k] = v.swap_remove(0);
            }
        }
    });
}

/// Builds the table from the scenario and the components of one run's actors (`first`).
pub fn table(world: &mut World, s: &Scenario, first: &[Entity]) -> Vec<Outcome> {
    let mediator = &s.actors[s.mediator.actor.index].name;
    let mut out = vec![
        outcome(
            "talks_outcome",
            OutcomeKind::Category(TALKS_OUTCOMES),
            true,
            Extract::TalksOutcome,
        )
        .meaning(format!("how the talks ended at the horizon: {}", TALKS_OUTCOMES.join(", "))),
        outcome("talks_end_day", OutcomeKind::Day, false, Extract::TalksEndDay).meaning(
            String::from(
                "the day the talks ended (day 0 is the start date); empty while they go on",
            ),
        ),
    ];
    let mut acc = world.query::<(&ActorId, &Acceptance)>();
    for &e in first {
        if let Ok((id, _)) = acc.get(world, e) {
            let code = s.actors[id.0].code.to_lowercase();
            let who = &s.actors[id.0].name;
            let flag = OutcomeKind::Category(FLAG_VALUES);
            out.push(
                outcome(&format!("{code}_accepts_talks"), flag, true, Extract::Accepts(id.0))
                    .meaning(format!("TRUE if {who} accepted talks with {mediator}")),
            );
            let day = Extract::AcceptsDay(id.0);
            out.push(
                outcome(&format!("{code}_accepts_talks_day"), OutcomeKind::Day, false, day)
                    .meaning(format!("the day {who} accepted talks; empty if it never did")),
            );
            if s.kinds[ModelKind::TalksProposed] != ModelKinds::ABSENT {
                let flag = OutcomeKind::Category(FLAG_VALUES);
                out.push(
                    outcome(
                        &format!("{code}_initiates_talks"),
                        flag,
                        false,
                        Extract::Initiates(id.0),
                    )
                    .meaning(format!("TRUE if {who} proposed talks with {mediator} itself")),
                );
            }
            let flag = OutcomeKind::Category(FLAG_VALUES);
            out.push(
                outcome(&format!("{code}_engaged"), flag, false, Extract::Engaged(id.0)).meaning(
                    format!(
                        "TRUE if {who} is in talks with {mediator} at the end (it accepted or \
                         proposed them, and they have not ended since)"
                    ),
                ),
            );
            let answers = OutcomeKind::Category(ANSWERS);
            out.push(
                outcome(&format!("{code}_answer"), answers, false, Extract::Answer(id.0)).meaning(
                    format!("{who}'s latest answer to an overture: {}", ANSWERS.join(", ")),
                ),
            );
        }
    }
    let mut q = world.query::<ActorState<'_>>();
    for &e in first {
        let Ok(state) = q.get(world, e) else { continue };
        let actor = state.0.0;
        let code = s.actors[actor].code.to_lowercase();
        let (observer, hedging, ally) = match &s.actors[actor].kind {
            ActorKind::Observer(o) => {
                (true, o.alignment.is_some(), o.alignment.is_none() && o.courtship.is_none())
            }
            _ => (false, false, false),
        };
        let mut slot = 0;
        recording::actor_values(s, state, &mut |v, _| {
            if observer || v == Var::Named("munitions_need") {
                let headline = match v {
                    Var::Belief(_) | Var::Alliance("russia" | "us_engagement") => hedging,
                    Var::Named("leverage") => hedging,
                    Var::Trust(_) | Var::Named("fear_coercion" | "fear_abandonment") => ally,
                    _ => false,
                };
                let name = format!("{code}_{}", v.name());
                let meaning = var_meaning(v, &s.actors[actor].name, mediator);
                out.push(
                    outcome(&name, OutcomeKind::Unit, headline, Extract::Final { actor, slot })
                        .meaning(meaning),
                );
            }
            slot += 1;
        });
    }
    out
}

fn outcome(name: &str, kind: OutcomeKind, headline: bool, extract: Extract) -> Outcome {
    Outcome { name: name.to_string(), kind, headline, meaning: String::new(), extract }
}

impl Outcome {
    fn meaning(mut self, text: String) -> Outcome {
        self.meaning = text;
        self
    }
}

/// What one of an actor's final values means, for the column dictionary.
fn var_meaning(v: Var<'_>, actor: &str, mediator: &str) -> String {
    match v {
        Var::Belief(h) => format!(
            "{actor}'s final belief in the hypothesis `{h}` about {mediator} (a probability; its \
             beliefs sum to 1)"
        ),
        Var::Trust(_) => format!("{actor}'s final trust in {mediator}, 0 to 1"),
        Var::Alliance(lane) => format!(
            "{actor}'s final weight on its {} lane (the lanes' weights sum to 1)",
            lane.replace('_', " ")
        ),
        Var::Named("fear_coercion") => {
            format!("{actor}'s final fear of being coerced by {mediator}, 0 to 1")
        }
        Var::Named("fear_abandonment") => {
            format!("{actor}'s final fear of being abandoned by {mediator}, 0 to 1")
        }
        Var::Named("leverage") => format!("{actor}'s final leverage over {mediator}, 0 to 1"),
        Var::Named("courtship") => format!("{actor}'s final courtship rate (gestures a day)"),
        Var::Named("munitions_need") => format!("{actor}'s need for munitions at the end, 0 to 1"),
        Var::Named(other) => format!("{actor}'s final {}, 0 to 1", other.replace('_', " ")),
    }
}

/// The queries `collect` reads through, built once per world (a resource): building a query
/// state on every call was a sixth of a calibration's time (ten runs per world).
#[derive(Resource)]
pub struct Queries {
    acceptance: QueryState<&'static Acceptance>,
    states: QueryState<ActorState<'static>>,
}

impl Queries {
    pub fn new(world: &mut World) -> Queries {
        Queries { acceptance: world.query(), states: world.query() }
    }
}

/// Appends the values of `table`'s outcomes for one run of the block.
pub fn collect(
    world: &World,
    queries: &mut Queries,
    table: &[Outcome],
    run: usize,
    out: &mut Vec<Value>,
) {
    let Queries { acceptance: acc, states } = queries;
    let roster = world.resource::<Roster>();
    let setup = world.resource::<Setup>().of(run);
    let talks = &world.resource::<PerRun<Talks>>().0[run];
    // The visited values of the actor last asked for: an actor's outcomes are consecutive.
    let mut cached: Option<(usize, Vec<f64>)> = None;
    for o in table {
        let v = match o.extract {
            Extract::TalksOutcome => {
                Value::Text(talks.outcome.map_or("ongoing", |(outcome, _)| outcome.name()))
            }
            Extract::TalksEndDay => talks.outcome.map_or(Value::Missing, |(_, d)| Value::Day(d)),
            Extract::Accepts(a) => {
                Value::Flag(acc.get(world, roster.get(run, a)).is_ok_and(|x| x.day.is_some()))
            }
            Extract::Initiates(a) => {
                Value::Flag(acc.get(world, roster.get(run, a)).is_ok_and(|x| x.initiated.is_some()))
            }
            Extract::Engaged(a) => {
                Value::Flag(acc.get(world, roster.get(run, a)).is_ok_and(|x| x.engaged))
            }
            Extract::Answer(a) => {
                Value::Text(acc.get(world, roster.get(run, a)).map_or("none", |x| x.answer.name()))
            }
            Extract::AcceptsDay(a) => acc
                .get(world, roster.get(run, a))
                .ok()
                .and_then(|x| x.day)
                .map_or(Value::Missing, Value::Day),
            Extract::Observed { k, flag } => {
                let o = &world.resource::<PerRun<Observations>>().0[run];
                if flag {
                    Value::Flag(o.flags.get(k).copied().unwrap_or(false))
                } else {
                    o.values.get(k).cloned().unwrap_or(Value::Missing)
                }
            }
            Extract::Final { actor, slot } => {
                if cached.as_ref().is_none_or(|(a, _)| *a != actor) {
                    let mut values = Vec::new();
                    if let Ok(state) = states.get(world, roster.get(run, actor)) {
                        recording::actor_values(setup, state, &mut |_, x| values.push(x));
                    }
                    cached = Some((actor, values));
                }
                let values = cached.as_ref().map(|(_, v)| v.as_slice()).unwrap_or_default();
                values.get(slot).map_or(Value::Missing, |x| Value::Number(*x))
            }
        };
        out.push(v);
    }
}
