//! The `sidelines` model: a bevy_ecs world of states that watch a mediator's diplomacy.
//!
//! A world holds a block of runs of one scenario, side by side: one entity per actor of every
//! run, per-run state in `PerRun` columns, one clock for all. Each simulated day the schedule
//! runs its phases in a fixed, chained order (see `Phase`) under the single-threaded executor,
//! and each system call serves every run of the block, so the ECS's fixed cost per system call
//! is shared by the block. A [`Simulation`] owns one World and one Schedule and is reset in
//! place between blocks, so a worker thread builds it once and runs thousands of seeds
//! through it. This crate does no I/O, reads no clock and
//! calls no global random generator: a run is a pure function of (scenario, seed).

mod alignment;
mod background;
mod beliefs;
mod consequences;
pub mod floor;
mod negotiation;
mod outcomes;
mod propagation;
mod recording;
mod shared;

use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{LogLevel, ScheduleBuildSettings, SingleThreadedExecutor};
use sidelines_scenario::{ActorKind, Scenario};

pub use alignment::{ANSWERS, Acceptance, Answer, Courting, Courtship, Lanes, Leverage, Ties};
pub use beliefs::{
    Fears, Levels, Prior, Transfer, Trust, TypeBelief, bayes_update, evidence_weight,
};
pub use negotiation::{
    Attention, Disposition, Mediating, MunitionsNeed, Pressure, Resolve, Stalling, Talks,
    TalksOutcome, War,
};
pub use outcomes::{FLAG_VALUES, ORDINAL_LABELS, Outcome, OutcomeKind, TALKS_OUTCOMES};
pub use propagation::{Channels, EventRecord, Inbox};
pub use recording::{Series, WAR_ACTOR};
pub use shared::{ActorId, Clock, Occurred, RunIdx, splitmix64};

use propagation::EventLog;
use recording::Trajectory;
use shared::{PerRun, Rngs, Roster, Setup};

/// The phases of one simulated day, in order.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Scripted timeline events for today.
    Script,
    /// The mediator chooses its moves.
    Policy,
    /// The belligerents respond; milestones and the end of the talks.
    Response,
    /// Exogenous events and courtship gestures.
    Background,
    /// Today's events change the world.
    Consequences,
    /// War intensity, munitions need, leverage.
    War,
    /// Events reach observers through their channels.
    Propagation,
    /// Bayes over the hypotheses, then forgetting.
    Beliefs,
    /// Trust and fears from beliefs.
    Derived,
    /// Hedging lanes, courtship, acceptance of talks.
    Alignment,
    /// The day's values are recorded.
    Record,
    /// The clock moves on.
    Advance,
}

/// Builds the day's schedule. `ambiguity` sets how unordered conflicting systems are treated.
pub fn build_schedule(ambiguity: LogLevel) -> Schedule {
    let mut schedule = Schedule::default();
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.set_build_settings(ScheduleBuildSettings {
        ambiguity_detection: ambiguity,
        ..Default::default()
    });
    use Phase::*;
    schedule.configure_sets(
        (
            Script,
            Policy,
            Response,
            Background,
            Consequences,
            War,
            Propagation,
            Beliefs,
            Derived,
            Alignment,
            Record,
            Advance,
        )
            .chain(),
    );
    schedule.add_systems(negotiation::emit_scripted.in_set(Script));
    schedule.add_systems(
        (
            negotiation::decay_attention,
            negotiation::choose_mediator_moves,
            negotiation::make_overtures,
        )
            .chain()
            .in_set(Policy),
    );
    schedule.add_systems(
        (negotiation::respond_to_pressure, negotiation::advance_talks).chain().in_set(Response),
    );
    schedule.add_systems(
        (background::fire_background, background::court_target).chain().in_set(Background),
    );
    schedule.add_systems(consequences::apply_events.in_set(Consequences));
    schedule.add_systems((negotiation::update_war, alignment::follow_leverage).chain().in_set(War));
    schedule.add_systems(propagation::propagate_events.in_set(Propagation));
    schedule.add_systems(
        (beliefs::update_beliefs, beliefs::forget_toward_prior).chain().in_set(Beliefs),
    );
    schedule.add_systems(beliefs::derive_trust_and_fears.in_set(Derived));
    schedule.add_systems(
        (
            alignment::reweigh_lanes,
            alignment::adjust_courtship,
            alignment::answer_overtures,
            alignment::take_initiative,
            alignment::make_own_moves,
        )
            .chain()
            .in_set(Alignment),
    );
    schedule.add_systems((recording::record_day, outcomes::observe).chain().in_set(Record));
    schedule.add_systems(advance_clock.in_set(Advance));
    schedule
}

/// Messages written today stay readable tomorrow (for what was written after a reader ran),
/// then are dropped; the day advances.
fn advance_clock(mut clock: ResMut<Clock>, mut messages: ResMut<Messages<Occurred>>) {
    messages.update();
    clock.day += 1;
}

/// What to keep from a run beyond its outcomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub trajectory: bool,
    pub events: bool,
}

/// One outcome value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(&'static str),
    Number(f64),
    Day(u32),
    Flag(bool),
    Missing,
}

impl Value {
    /// The value as a number: days as day counts, flags as 0 or 1; `None` for text and missing.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(x) => Some(*x),
            Value::Day(d) => Some(f64::from(*d)),
            Value::Flag(b) => Some(f64::from(u8::from(*b))),
            Value::Text(_) | Value::Missing => None,
        }
    }
}

/// What one run produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunOutput {
    pub seed: u64,
    /// In the order of `Simulation::outcome_names`.
    pub outcomes: Vec<Value>,
    /// Day-major, `horizon_days × series().len()`; empty unless recorded.
    pub trajectory: Vec<f64>,
    pub events: Vec<EventRecord>,
}

/// The model failed to build (a bug, never a user's input).
#[derive(Debug)]
pub struct BuildError(pub String);

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the model's schedule does not build: {}", self.0)
    }
}

impl std::error::Error for BuildError {}

/// One World and one Schedule holding a block of runs, reset and reused between blocks.
pub struct Simulation {
    scenario: Arc<Scenario>,
    world: World,
    schedule: Schedule,
    /// Runs the world holds.
    capacity: usize,
    series: Vec<Series>,
    initial: Vec<f64>,
    outcomes: Vec<Outcome>,
    outcome_names: Vec<String>,
    outcome_kinds: Vec<OutcomeKind>,
    observers: Vec<usize>,
    /// Observations that name no outcome or expect what it cannot take: (index, message).
    observation_problems: Vec<(usize, String)>,
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("scenario", &self.scenario.name)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Simulation {
    /// A simulation that runs one run at a time.
    pub fn new(scenario: Arc<Scenario>) -> Result<Simulation, BuildError> {
        Simulation::with_capacity(scenario, 1)
    }

    /// A simulation whose world holds up to `capacity` runs at once (at least one).
    pub fn with_capacity(
        scenario: Arc<Scenario>,
        capacity: usize,
    ) -> Result<Simulation, BuildError> {
        let capacity = capacity.max(1);
        let actors = scenario.actors.len();
        let mut world = World::new();
        world.insert_resource(Setup(vec![scenario.clone(); capacity]));
        world.init_resource::<Messages<Occurred>>();
        world.init_resource::<Clock>();
        world.insert_resource(PerRun(vec![Talks::default(); capacity]));
        world.insert_resource(PerRun(vec![War::default(); capacity]));
        world.insert_resource(PerRun(vec![EventLog::default(); capacity]));
        world.insert_resource(PerRun(vec![Trajectory::default(); capacity]));
        world.insert_resource(PerRun(vec![Rngs::new(0); capacity]));
        world.insert_resource(PerRun(vec![outcomes::Observations::default(); capacity]));
        world.init_resource::<outcomes::Observing>();
        // Run-major, so that a run's actors are neighbours in storage.
        let entities: Vec<Entity> = (0..capacity)
            .flat_map(|r| (0..actors).map(move |i| (r, i)))
            .map(|(r, i)| world.spawn((ActorId(i), RunIdx(r as u32))).id())
            .collect();
        world.insert_resource(Roster { actors, entities, active: capacity });
        world.init_resource::<recording::Layout>();
        let mut schedule = build_schedule(LogLevel::Error);
        schedule.initialize(&mut world).map_err(|e| BuildError(format!("{e:?}")))?;
        let queries = outcomes::Queries::new(&mut world);
        world.insert_resource(queries);
        let mut sim = Simulation {
            scenario: scenario.clone(),
            world,
            schedule,
            capacity,
            series: Vec::new(),
            initial: Vec::new(),
            outcomes: Vec::new(),
            outcome_names: Vec::new(),
            outcome_kinds: Vec::new(),
            observers: scenario.observers().map(|(i, _, _)| i).collect(),
            observation_problems: Vec::new(),
        };
        sim.reset(&[(scenario.clone(), 0)], Record::default());
        let first: Vec<Entity> = sim.world.resource::<Roster>().run(0).to_vec();
        let (series, initial, layout) = recording::series(&mut sim.world, &scenario, &first);
        (sim.series, sim.initial) = (series, initial);
        sim.world.insert_resource(layout);
        sim.outcomes = outcomes::table(&mut sim.world, &scenario, &first);
        let (observing, columns, problems) = outcomes::Observing::new(&scenario, &sim.outcomes);
        sim.outcomes.extend(columns);
        sim.observation_problems = problems;
        sim.world.insert_resource(observing);
        sim.outcome_names = sim.outcomes.iter().map(|o| o.name.clone()).collect();
        sim.outcome_kinds = sim.outcomes.iter().map(|o| o.kind).collect();
        Ok(sim)
    }

    /// The outcome table: every outcome column with its kind and whether it is a headline.
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    pub fn scenario(&self) -> &Arc<Scenario> {
        &self.scenario
    }

    /// Whether runs of `s` can share this world: the same actors (codes and roles), event
    /// kinds and horizon, so that only numbers differ.
    pub fn fits(&self, s: &Scenario) -> bool {
        self.scenario.same_shape(s)
    }

    /// How many runs the world holds at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The recorded series, in trajectory column order.
    pub fn series(&self) -> &[Series] {
        &self.series
    }

    /// The value of every series before the first day, in `series()` order.
    pub fn initial_values(&self) -> &[f64] {
        &self.initial
    }

    /// Outcome column names (snake_case), in `RunOutput::outcomes` order.
    pub fn outcome_names(&self) -> &[String] {
        &self.outcome_names
    }

    /// What values each outcome column takes, in `outcome_names` order.
    pub fn outcome_kinds(&self) -> &[OutcomeKind] {
        &self.outcome_kinds
    }

    /// The scenario's observations that name no outcome of this model, or expect what their
    /// outcome cannot take: (index into `Scenario::observed`, message). Empty when all fit.
    pub fn observation_problems(&self) -> &[(usize, String)] {
        &self.observation_problems
    }

    /// The value each observation's outcome had at the start of run `run` of the last block
    /// (what `up` and `down` compare with), in `Scenario::observed` order.
    pub fn observation_initials(&self, run: usize) -> Vec<Value> {
        let per = self.world.resource::<PerRun<outcomes::Observations>>();
        per.0.get(run).map(|o| o.initial.clone()).unwrap_or_default()
    }

    /// Observer actor indices, in the order of `EventRecord::perceived`.
    pub fn observers(&self) -> &[usize] {
        &self.observers
    }

    /// Runs one seed from the scenario's initial state to its horizon.
    pub fn run(&mut self, seed: u64, record: Record) -> RunOutput {
        let mut out = vec![RunOutput::default()];
        self.run_block(&[seed], record, &mut out);
        out.pop().unwrap_or_default()
    }

    /// Runs up to `capacity` seeds side by side, one per run of the block, each from the
    /// scenario's initial state to its horizon; `outs[i]` receives seed `i`'s output (its
    /// buffers are reused). A run's result does not depend on the others in its block.
    pub fn run_block(&mut self, seeds: &[u64], record: Record, outs: &mut [RunOutput]) {
        let scenario = self.scenario.clone();
        let runs: Vec<(Arc<Scenario>, u64)> =
            seeds.iter().map(|s| (scenario.clone(), *s)).collect();
        self.run_runs(&runs, record, outs);
    }

    /// Like `run_block`, each run with its own scenario: design points of one sweep, which
    /// differ from this simulation's scenario only in numbers. A scenario with other actors,
    /// event kinds or another horizon cannot share the world and is refused.
    pub fn run_mixed(
        &mut self,
        runs: &[(Arc<Scenario>, u64)],
        record: Record,
        outs: &mut [RunOutput],
    ) -> Result<(), BuildError> {
        for (s, _) in runs {
            if !self.fits(s) {
                return Err(BuildError(format!(
                    "scenario {} cannot share a world with {}: other actors, event kinds or horizon",
                    s.name, self.scenario.name
                )));
            }
        }
        self.run_runs(runs, record, outs);
        Ok(())
    }

    fn run_runs(&mut self, runs: &[(Arc<Scenario>, u64)], record: Record, outs: &mut [RunOutput]) {
        let runs = &runs[..runs.len().min(self.capacity).min(outs.len())];
        if runs.is_empty() {
            return;
        }
        self.reset(runs, record);
        outcomes::Observing::start(&mut self.world, runs.len());
        if let Some(ticks) = self.world.check_change_ticks() {
            self.schedule.check_change_ticks(ticks);
        }
        for _ in 0..self.scenario.horizon_days {
            self.schedule.run(&mut self.world);
        }
        for (run, ((_, seed), out)) in runs.iter().zip(outs.iter_mut()).enumerate() {
            out.seed = *seed;
            out.outcomes.clear();
            let table = &self.outcomes;
            self.world.resource_scope::<outcomes::Queries, _>(|world, mut q| {
                outcomes::collect(world, &mut q, table, run, &mut out.outcomes);
            });
            out.trajectory.clear();
            out.events.clear();
            let mut traj = self.world.resource_mut::<PerRun<Trajectory>>();
            std::mem::swap(&mut out.trajectory, &mut traj.0[run].values);
            let mut log = self.world.resource_mut::<PerRun<EventLog>>();
            std::mem::swap(&mut out.events, &mut log.0[run].records);
        }
    }

    /// Puts the first `runs.len()` runs of the block back to their scenario's initial state.
    fn reset(&mut self, runs: &[(Arc<Scenario>, u64)], record: Record) {
        let s = self.scenario.clone();
        let n = runs.len();
        let mut roster = self.world.resource_mut::<Roster>();
        roster.active = n;
        let entities: Vec<Entity> = roster.active_entities().to_vec();
        let actors = roster.actors;
        for (k, &e) in entities.iter().enumerate() {
            initial_components(&mut self.world, e, &runs[k / actors].0, k % actors);
        }
        *self.world.resource_mut::<Clock>() = Clock { day: 0 };
        for (slot, (scenario, _)) in self.world.resource_mut::<Setup>().0.iter_mut().zip(runs) {
            slot.clone_from(scenario);
        }
        for (t, (r, _)) in self.world.resource_mut::<PerRun<Talks>>().0.iter_mut().zip(runs) {
            let progress = r.conflict.as_ref().map_or(0.0, |c| c.negotiation.initial_progress);
            *t = Talks { progress, ..Talks::default() };
        }
        for (w, (r, _)) in self.world.resource_mut::<PerRun<War>>().0.iter_mut().zip(runs) {
            *w = War { intensity: r.conflict.as_ref().map_or(0.0, |c| c.war.intensity) };
        }
        for (r, (_, seed)) in self.world.resource_mut::<PerRun<Rngs>>().0.iter_mut().zip(runs) {
            *r = Rngs::new(*seed);
        }
        self.world.resource_mut::<Messages<Occurred>>().clear();
        for log in &mut self.world.resource_mut::<PerRun<EventLog>>().0[..n] {
            log.enabled = record.events;
            log.records.clear();
        }
        let days = s.horizon_days as usize;
        let width = self.series.len();
        // `record_day` writes every cell of every day's row, so a recycled buffer of the right
        // length is not zeroed first (that was 3% of a batch's cycles).
        let len = if record.trajectory { days * width } else { 0 };
        for traj in &mut self.world.resource_mut::<PerRun<Trajectory>>().0[..n] {
            traj.enabled = record.trajectory;
            if traj.values.len() != len {
                traj.values.clear();
                traj.values.resize(len, 0.0);
            }
        }
    }
}

/// A hedging observer's day-0 lanes: its weights, and the offsets that hold them at rest
/// (`mechanisms.rest`) given its day-0 leverage, the courtship it gets at day 0 and what it
/// expects engagement to pay under its prior.
fn day0_lanes(
    s: &Scenario,
    al: &sidelines_scenario::ActorAlignment,
    weights: [f64; 4],
    prior: &[f64],
) -> Lanes {
    use sidelines_scenario::{LANE_CHINA, LANE_RUSSIA, LANE_SELF, LANE_US};
    let Some(a) = &s.alignment else {
        return Lanes::at_rest(weights, [0.0; 4], 1.0, 0.0);
    };
    let courted = al
        .courted_by
        .as_ref()
        .and_then(|by| match &s.actors[by.index].kind {
            ActorKind::Observer(o) => o.courtship.as_ref().map(|c| c.base_per_day),
            _ => None,
        })
        .unwrap_or(0.0);
    let payoff: f64 = prior.iter().zip(&s.hypotheses).map(|(b, h)| b * h.engagement_payoff).sum();
    let mut u0 = [0.0; 4];
    u0[LANE_RUSSIA] = a.russia_utility + a.russia_per_leverage * al.leverage;
    u0[LANE_CHINA] = a.china_utility + a.china_per_courtship * courted;
    u0[LANE_US] = a.us_engagement_utility + a.us_per_engagement_payoff * payoff;
    u0[LANE_SELF] = a.self_reliance_utility;
    Lanes::at_rest(weights, u0, a.temperature, s.mechanisms.rest).fading(a)
}

/// Inserts (or overwrites in place) an actor's initial components.
fn initial_components(world: &mut World, e: Entity, s: &Scenario, i: usize) {
    let mut ent = world.entity_mut(e);
    match &s.actors[i].kind {
        ActorKind::Mediator => {
            ent.insert((Attention(s.mediator.initial_attention), Mediating::new(s)));
        }
        ActorKind::Belligerent(b) => {
            ent.insert((
                Resolve { value: b.resolve, baseline: b.resolve },
                Stalling(b.stalling),
                Disposition {
                    aid_dependence: b.aid_dependence,
                    sanctions_relief_demand: b.sanctions_relief_demand,
                },
            ));
            if let Some(n) = b.munitions_need {
                ent.insert(MunitionsNeed(n));
            }
        }
        ActorKind::Observer(o) => {
            // Reuse the inbox's allocation across runs.
            let longest = Inbox::longest(&o.watches);
            match ent.get_mut::<Inbox>() {
                Some(mut inbox) => inbox.reset(longest),
                None => {
                    ent.insert(Inbox::new(longest));
                }
            }
            match ent.get_mut::<beliefs::Heard>() {
                Some(mut heard) => heard.0.clear(),
                None => {
                    ent.insert(beliefs::Heard::default());
                }
            }
            let prior = o.prior.values();
            let (trust, fears) = beliefs::trust_and_fears(&prior, &s.hypotheses);
            ent.insert((
                TypeBelief(prior.clone()),
                Levels { state: prior.clone(), leader: prior.clone() },
                Prior(prior.clone()),
                Transfer(o.transfer),
                trust,
                fears,
            ));
            match ent.get_mut::<Channels>() {
                Some(mut c) => c.0.clone_from(&o.watches),
                None => {
                    ent.insert(Channels(o.watches.clone()));
                }
            }
            if let Some(al) = &o.alignment {
                let weights = al.lane_weights();
                ent.insert((
                    Leverage(al.leverage),
                    day0_lanes(s, al, weights, &prior),
                    alignment::Rest { self_reliance: weights[sidelines_scenario::LANE_SELF] },
                    Acceptance::default(),
                    alignment::Ties {
                        leverage_from: al.leverage_from.as_ref().map(|r| r.index),
                        courted_by: al.courted_by.as_ref().map(|r| r.index),
                    },
                ));
            }
            if let Some(c) = &o.courtship {
                ent.insert((Courtship { level: c.base_per_day }, alignment::Courting::new(c)));
            }
        }
    }
}
