//! The outcome table: every column a run reports, declared once with its kind and extractor.
//!
//! The shape of Mesa's `DataCollector` (`model_reporters={"name": extractor}`): each outcome is
//! a name, the values it takes, whether it is a headline (what `batch` prints and the charts
//! draw first), and how it is read from a finished run. The table is built from the scenario's
//! structure, not from actor codes, so a scenario with other actors gets its own columns and a
//! sensible headline:
//! - how and when the talks ended;
//! - for every observer that can accept talks (one with an `[alignment]` table), whether and
//!   when it did;
//! - the final value of every observer variable, and of the adversary's munitions need.
//!
//! Headlines: the talks' end, acceptance of talks, the beliefs, the Russia and US-engagement
//! lanes and the leverage of a hedging observer (Pyongyang's reading of Washington and where it
//! leans), and the trust and fears of an ally (an observer that neither hedges nor courts:
//! Seoul's and Tokyo's).

use bevy_ecs::prelude::*;
use sidelines_scenario::{ActorKind, Scenario};

use crate::Value;
use crate::alignment::Acceptance;
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

/// The labels of `talks_outcome`.
pub const TALKS_OUTCOMES: &[&str] = &[
    "settlement_russian_terms",
    "settlement_balanced",
    "talks_collapse",
    "us_disengaged",
    "ongoing",
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
    extract: Extract,
}

/// How an outcome is read from a finished run.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Extract {
    TalksOutcome,
    TalksEndDay,
    Accepts(usize),
    AcceptsDay(usize),
    /// The `slot`-th value `recording::actor_values` visits for this actor.
    Final {
        actor: usize,
        slot: usize,
    },
}

/// Builds the table from the scenario and the components of one run's actors (`first`).
pub fn table(world: &mut World, s: &Scenario, first: &[Entity]) -> Vec<Outcome> {
    let mut out = vec![
        outcome(
            "talks_outcome",
            OutcomeKind::Category(TALKS_OUTCOMES),
            true,
            Extract::TalksOutcome,
        ),
        outcome("talks_end_day", OutcomeKind::Day, false, Extract::TalksEndDay),
    ];
    let mut acc = world.query::<(&ActorId, &Acceptance)>();
    for &e in first {
        if let Ok((id, _)) = acc.get(world, e) {
            let code = s.actors[id.0].code.to_lowercase();
            let flag = OutcomeKind::Category(FLAG_VALUES);
            out.push(outcome(&format!("{code}_accepts_talks"), flag, true, Extract::Accepts(id.0)));
            let day = Extract::AcceptsDay(id.0);
            out.push(outcome(&format!("{code}_accepts_talks_day"), OutcomeKind::Day, false, day));
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
                out.push(outcome(
                    &name,
                    OutcomeKind::Unit,
                    headline,
                    Extract::Final { actor, slot },
                ));
            }
            slot += 1;
        });
    }
    out
}

fn outcome(name: &str, kind: OutcomeKind, headline: bool, extract: Extract) -> Outcome {
    Outcome { name: name.to_string(), kind, headline, extract }
}

/// Appends the values of `table`'s outcomes for one run of the block.
pub fn collect(world: &mut World, table: &[Outcome], run: usize, out: &mut Vec<Value>) {
    let mut acc = world.query::<&Acceptance>();
    let mut states = world.query::<ActorState<'_>>();
    // From here the world is only read: the roster, the run's scenario and talks are borrowed.
    let world: &World = world;
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
            Extract::AcceptsDay(a) => acc
                .get(world, roster.get(run, a))
                .ok()
                .and_then(|x| x.day)
                .map_or(Value::Missing, Value::Day),
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
