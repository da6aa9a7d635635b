//! What a run leaves behind: the daily trajectory of every variable and the outcomes.
//!
//! One function, `actor_values`, walks an actor's components in a fixed order; it names the
//! series once when the simulation is built and fills them every day, so names and values can
//! never drift apart. The trajectory is a flat day-major matrix (`days × series`).

use bevy_ecs::prelude::*;

use crate::alignment::{Courtship, Lanes, Leverage};
use crate::beliefs::{Fears, Trust, TypeBelief};
use crate::negotiation::{Attention, MunitionsNeed, Resolve, Stalling, Talks, War};
use crate::shared::*;
use sidelines_scenario::{LANES, Scenario};

/// The pseudo-actor code under which war-level variables are recorded.
pub const WAR_ACTOR: &str = "WAR";

/// One recorded series: an actor's code and a variable name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    pub actor: String,
    pub variable: String,
}

/// Where each actor's values start in a day's row of the trajectory (by actor index), and the
/// row's width: the recorder writes each actor's values in place, visiting actors in storage
/// order rather than looking each one up.
#[derive(Resource, Clone, Debug, Default)]
pub struct Layout {
    pub offsets: Vec<usize>,
    pub width: usize,
}

/// One run's day-major value matrix, when recording is on (sized `days × width` at reset).
#[derive(Clone, Debug, Default)]
pub struct Trajectory {
    pub enabled: bool,
    pub values: Vec<f64>,
}

pub type ActorState<'a> = (
    &'a ActorId,
    Option<&'a Attention>,
    Option<&'a Resolve>,
    Option<&'a Stalling>,
    Option<&'a MunitionsNeed>,
    Option<&'a TypeBelief>,
    Option<&'a Trust>,
    Option<&'a Fears>,
    Option<&'a Leverage>,
    Option<&'a Lanes>,
    Option<&'a Courtship>,
);

/// A variable's name, built only when asked for (recording, every day, never asks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Var<'a> {
    Named(&'static str),
    Belief(&'a str),
    /// Trust in the mediator with this code.
    Trust(&'a str),
    Alliance(&'static str),
}

impl Var<'_> {
    pub fn name(self) -> String {
        match self {
            Var::Named(n) => n.to_string(),
            Var::Belief(h) => format!("belief_{h}"),
            Var::Trust(code) => format!("trust_{}", code.to_lowercase()),
            Var::Alliance(lane) => format!("alliance_{lane}"),
        }
    }
}

/// Visits one actor's variables in the fixed order: `visit(variable, value)`.
pub fn actor_values(s: &Scenario, state: ActorState<'_>, visit: &mut impl FnMut(Var<'_>, f64)) {
    let (_, attention, resolve, stalling, need, belief, trust, fears, leverage, lanes, courtship) =
        state;
    if let Some(a) = attention {
        visit(Var::Named("attention"), a.0);
    }
    if let Some(r) = resolve {
        visit(Var::Named("resolve"), r.value);
    }
    if let Some(x) = stalling {
        visit(Var::Named("stalling"), x.0);
    }
    if let Some(n) = need {
        visit(Var::Named("munitions_need"), n.0);
    }
    if let Some(b) = belief {
        for (p, h) in b.0.iter().zip(&s.hypotheses) {
            visit(Var::Belief(&h.name), *p);
        }
    }
    if let Some(t) = trust {
        visit(Var::Trust(&s.actors[s.mediator.actor.index].code), t.0);
    }
    if let Some(f) = fears {
        visit(Var::Named("fear_coercion"), f.coercion);
        visit(Var::Named("fear_abandonment"), f.abandonment);
    }
    if let Some(l) = leverage {
        visit(Var::Named("leverage"), l.0);
    }
    if let Some(l) = lanes {
        for (w, name) in l.weights.iter().zip(LANES) {
            visit(Var::Alliance(name), *w);
        }
    }
    if let Some(c) = courtship {
        visit(Var::Named("courtship"), c.level);
    }
}

fn war_values(war: &War, talks: &Talks, visit: &mut impl FnMut(Var<'_>, f64)) {
    visit(Var::Named("intensity"), war.intensity);
    visit(Var::Named("talks_progress"), talks.progress);
}

/// Names every series, in recording order, with its current value in the block's first run,
/// and the layout of a day's row.
pub fn series(
    world: &mut World,
    s: &Scenario,
    roster: &[Entity],
) -> (Vec<Series>, Vec<f64>, Layout) {
    let mut names = Vec::new();
    let mut values = Vec::new();
    let mut offsets = vec![0; s.actors.len()];
    let mut q = world.query::<ActorState<'_>>();
    for &e in roster {
        if let Ok(state) = q.get(world, e) {
            offsets[state.0.0] = values.len();
            let code = s.actors[state.0.0].code.clone();
            actor_values(s, state, &mut |v, x| {
                names.push(Series { actor: code.clone(), variable: v.name() });
                values.push(x);
            });
        }
    }
    let war = &world.resource::<PerRun<War>>().0[0];
    let talks = &world.resource::<PerRun<Talks>>().0[0];
    war_values(war, talks, &mut |v, x| {
        names.push(Series { actor: WAR_ACTOR.to_string(), variable: v.name() });
        values.push(x);
    });
    let layout = Layout { offsets, width: values.len() };
    (names, values, layout)
}

/// Writes today's value of every series into each recording run's row for today.
pub fn record_day(
    setup: Res<Setup>,
    clock: Res<Clock>,
    roster: Res<Roster>,
    layout: Res<Layout>,
    war: Res<PerRun<War>>,
    talks: Res<PerRun<Talks>>,
    mut traj: ResMut<PerRun<Trajectory>>,
    q: Query<(&RunIdx, ActorState<'_>)>,
) {
    // Nothing to write when no run records (outcomes only: a calibration, a batch without time
    // series): walking every actor's components for nothing was 6% of such a run.
    if !traj.0.iter().take(roster.active).any(|t| t.enabled) {
        return;
    }
    let row = clock.day as usize * layout.width;
    for (run, state) in &q {
        let run = run.get();
        let Some(traj) = traj.0.get_mut(run).filter(|t| t.enabled && run < roster.active) else {
            continue;
        };
        let mut at = row + layout.offsets[state.0.0];
        actor_values(setup.of(run), state, &mut |_, x| {
            traj.values[at] = x;
            at += 1;
        });
    }
    let war_at = row + layout.width - 2;
    for run in 0..roster.active {
        let traj = &mut traj.0[run];
        if traj.enabled {
            let mut at = war_at;
            war_values(&war.0[run], &talks.0[run], &mut |_, x| {
                traj.values[at] = x;
                at += 1;
            });
        }
    }
}
