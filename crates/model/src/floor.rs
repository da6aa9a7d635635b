//! The floor: the same model in plain Rust, without the ECS, one run at a time.
//!
//! Every overhead of the pipeline is measured as a ratio to this (PERFORMANCE.md): the world,
//! its schedule and queries, the blocks of runs, the aggregation and the files. It holds each
//! actor's state in a plain struct (the model's own component types, in `Option`s), keeps the
//! day's events in a `Vec`, and steps the mechanisms in the schedule's order with the same
//! draws from the same streams. The arithmetic of a mechanism that is more than a line or two
//! is one function both call (`mediator_moves`, `concession_hazard`, `milestone`,
//! `bookkeeping`, `perceive`, `take_in`, `softmax`, `actor_values`); what differs is what the
//! floor leaves out: worlds of many runs, queries, messages, the schedule. Its outcomes and
//! daily values agree with `Simulation`'s bit for bit, run by run (`tests/floor.rs` of this
//! crate, `floor_agrees_with_the_model`), which checks the ECS's plumbing: the order of systems
//! and of events, each run's isolation in a shared world, a world reset between blocks. Where
//! the schedule runs a system over every actor before the next system, so does the floor: the
//! order of events and of draws within a run depends on it.
//!
//! It leaves out what no batch needs to time: event logs and a record's observations (a
//! scenario with `[[observed]]` is refused). It is a benchmark and a check, not a second engine:
//! the commands all run the ECS model.

use std::sync::Arc;

use sidelines_scenario::{
    ActorKind, LANE_CHINA, LANE_RUSSIA, LANE_SELF, LANE_US, ModelKind, ModelKinds, Scenario,
    Variable,
};

use crate::alignment::{
    Acceptance, Answer, Courting, Courtship, Lanes, Leverage, Rest, Ties, softmax,
};
use crate::beliefs::{Fears, Levels, Trust, TypeBelief, take_in};
use crate::consequences::bookkeeping;
use crate::negotiation::{
    Attention, Disposition, ENDS_TALKS, Mediating, MunitionsNeed, Resolve, Stalling, Talks, War,
    concession_hazard, mediator_moves, milestone, negotiation_event,
};
use crate::outcomes::{Extract, Outcome};
use crate::propagation::{Inbox, perceive};
use crate::recording::{ActorState, actor_values};
use crate::shared::*;
use crate::{BuildError, RunOutput, Simulation, Value};
use sidelines_scenario::Channel;

/// One actor's state: the components the ECS model would give its entity.
#[derive(Clone, Debug)]
struct Agent {
    id: ActorId,
    attention: Option<Attention>,
    mediating: Option<Mediating>,
    resolve: Option<Resolve>,
    stalling: Option<Stalling>,
    disposition: Option<Disposition>,
    need: Option<MunitionsNeed>,
    observer: Option<Observer>,
}

/// An observer's state (`Inbox`, `Heard`, beliefs, trust and fears, channels), with a hedging
/// observer's lanes and a courting observer's courtship when it has them.
#[derive(Clone, Debug)]
struct Observer {
    inbox: Inbox,
    heard: Vec<usize>,
    belief: TypeBelief,
    levels: Levels,
    prior: Vec<f64>,
    transfer: f64,
    trust: Trust,
    fears: Fears,
    channels: Vec<Channel>,
    hedging: Option<Hedging>,
    courting: Option<(Courting, Courtship)>,
}

#[derive(Clone, Copy, Debug)]
struct Hedging {
    leverage: Leverage,
    lanes: Lanes,
    rest: Rest,
    acceptance: Acceptance,
    ties: Ties,
}

impl Agent {
    fn initial(s: &Scenario, i: usize) -> Agent {
        let mut a = Agent {
            id: ActorId(i),
            attention: None,
            mediating: None,
            resolve: None,
            stalling: None,
            disposition: None,
            need: None,
            observer: None,
        };
        match &s.actors[i].kind {
            ActorKind::Mediator => {
                a.attention = Some(Attention(s.mediator.initial_attention));
                a.mediating = Some(Mediating::new(s));
            }
            ActorKind::Belligerent(b) => {
                a.resolve = Some(Resolve { value: b.resolve, baseline: b.resolve });
                a.stalling = Some(Stalling(b.stalling));
                a.disposition = Some(Disposition {
                    aid_dependence: b.aid_dependence,
                    sanctions_relief_demand: b.sanctions_relief_demand,
                });
                a.need = b.munitions_need.map(MunitionsNeed);
            }
            ActorKind::Observer(o) => {
                let prior = o.prior.values();
                let (trust, fears) = crate::beliefs::trust_and_fears(&prior, &s.hypotheses);
                let hedging = o.alignment.as_ref().map(|al| {
                    let weights = al.lane_weights();
                    Hedging {
                        leverage: Leverage(al.leverage),
                        lanes: crate::day0_lanes(s, al, weights, &prior),
                        rest: Rest { self_reliance: weights[LANE_SELF] },
                        acceptance: Acceptance::default(),
                        ties: Ties {
                            leverage_from: al.leverage_from.as_ref().map(|r| r.index),
                            courted_by: al.courted_by.as_ref().map(|r| r.index),
                        },
                    }
                });
                let courting = o
                    .courtship
                    .as_ref()
                    .map(|c| (Courting::new(c), Courtship { level: c.base_per_day }));
                a.observer = Some(Observer {
                    inbox: Inbox::new(Inbox::longest(&o.watches)),
                    heard: Vec::new(),
                    belief: TypeBelief(prior.clone()),
                    levels: Levels { state: prior.clone(), leader: prior.clone() },
                    prior,
                    transfer: o.transfer,
                    trust,
                    fears,
                    channels: o.watches.clone(),
                    hedging,
                    courting,
                });
            }
        }
        a
    }

    fn hedging(&self) -> Option<&Hedging> {
        self.observer.as_ref().and_then(|o| o.hedging.as_ref())
    }

    fn hedging_mut(&mut self) -> Option<&mut Hedging> {
        self.observer.as_mut().and_then(|o| o.hedging.as_mut())
    }

    /// The components `recording::actor_values` reads, as the ECS query gives them.
    fn state(&self) -> ActorState<'_> {
        let o = self.observer.as_ref();
        let h = self.hedging();
        (
            &self.id,
            self.attention.as_ref(),
            self.resolve.as_ref(),
            self.stalling.as_ref(),
            self.need.as_ref(),
            o.map(|o| &o.belief),
            o.map(|o| &o.trust),
            o.map(|o| &o.fears),
            h.map(|h| &h.leverage),
            h.map(|h| &h.lanes),
            o.and_then(|o| o.courting.as_ref()).map(|(_, c)| c),
        )
    }
}

/// The model without the ECS: one run at a time, each actor a plain struct.
#[derive(Debug)]
pub struct Floor {
    scenario: Arc<Scenario>,
    outcomes: Vec<Outcome>,
    width: usize,
    initial: Vec<Agent>,
    agents: Vec<Agent>,
    /// Events to apply and propagate today: yesterday's answers, proposals and own moves (they
    /// come after the day's consequences, as messages read the next day), then today's.
    today: Vec<Occurred>,
    /// Events emitted after today's consequences, for tomorrow.
    tomorrow: Vec<Occurred>,
}

impl Floor {
    /// The floor for `scenario`; the outcome table and the series are the model's own (built
    /// once through a one-run `Simulation`). A scenario with observations is refused.
    pub fn new(scenario: Arc<Scenario>) -> Result<Floor, BuildError> {
        if !scenario.observed.is_empty() {
            return Err(BuildError(String::from(
                "the floor does not take a record's observations ([[observed]])",
            )));
        }
        let sim = Simulation::new(scenario.clone())?;
        let initial: Vec<Agent> =
            (0..scenario.actors.len()).map(|i| Agent::initial(&scenario, i)).collect();
        Ok(Floor {
            outcomes: sim.outcomes().to_vec(),
            width: sim.series().len(),
            agents: initial.clone(),
            initial,
            scenario,
            today: Vec::new(),
            tomorrow: Vec::new(),
        })
    }

    /// The outcome table, the same as `Simulation::outcomes`.
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// Runs one seed to the horizon into `out` (its buffers reused): the outcomes always, the
    /// daily values (day-major, `Simulation::series` order) when `trajectory`.
    pub fn run(&mut self, seed: u64, trajectory: bool, out: &mut RunOutput) {
        let s = self.scenario.clone();
        let s = &*s;
        for (a, init) in self.agents.iter_mut().zip(&self.initial) {
            a.clone_from(init);
        }
        let mut talks = Talks {
            progress: s.conflict.as_ref().map_or(0.0, |c| c.negotiation.initial_progress),
            ..Talks::default()
        };
        let mut war = War { intensity: s.conflict.as_ref().map_or(0.0, |c| c.war.intensity) };
        let mut rngs = Rngs::new(seed);
        self.today.clear();
        self.tomorrow.clear();
        out.seed = seed;
        out.events.clear();
        out.trajectory.clear();
        if trajectory {
            out.trajectory.reserve(s.horizon_days as usize * self.width);
        }
        for day in 0..s.horizon_days {
            std::mem::swap(&mut self.today, &mut self.tomorrow);
            self.tomorrow.clear();
            let mut day = Day { s, day, talks: &mut talks, war: &mut war, rngs: &mut rngs };
            let agents = &mut self.agents;
            day.script(&mut self.today);
            day.policy(agents, &mut self.today);
            day.response(agents, &mut self.today);
            day.background(agents, &mut self.today);
            for e in &self.today {
                day.apply(agents, e);
            }
            day.war(agents);
            for e in &self.today {
                day.propagate(agents, e);
            }
            day.beliefs(agents);
            day.alignment(agents, &mut self.tomorrow);
            if trajectory {
                for a in agents.iter() {
                    actor_values(s, a.state(), &mut |_, x| out.trajectory.push(x));
                }
                out.trajectory.push(war.intensity);
                out.trajectory.push(talks.progress);
            }
        }
        out.outcomes.clear();
        self.collect(&talks, &mut out.outcomes);
    }

    fn collect(&self, talks: &Talks, out: &mut Vec<Value>) {
        let s = &*self.scenario;
        let acc = |a: usize| self.agents[a].hedging().map(|h| h.acceptance);
        let mut cached: Option<(usize, Vec<f64>)> = None;
        for o in &self.outcomes {
            let v = match o.extract {
                Extract::TalksOutcome => {
                    Value::Text(talks.outcome.map_or("ongoing", |(outcome, _)| outcome.name()))
                }
                Extract::TalksEndDay => {
                    talks.outcome.map_or(Value::Missing, |(_, d)| Value::Day(d))
                }
                Extract::Accepts(a) => Value::Flag(acc(a).is_some_and(|x| x.day.is_some())),
                Extract::Initiates(a) => Value::Flag(acc(a).is_some_and(|x| x.initiated.is_some())),
                Extract::Engaged(a) => Value::Flag(acc(a).is_some_and(|x| x.engaged)),
                Extract::Answer(a) => Value::Text(acc(a).map_or("none", |x| x.answer.name())),
                Extract::AcceptsDay(a) => {
                    acc(a).and_then(|x| x.day).map_or(Value::Missing, Value::Day)
                }
                // Refused in `new`.
                Extract::Observed { .. } => Value::Missing,
                Extract::Final { actor, slot } => {
                    if cached.as_ref().is_none_or(|(a, _)| *a != actor) {
                        let mut values = Vec::new();
                        actor_values(s, self.agents[actor].state(), &mut |_, x| values.push(x));
                        cached = Some((actor, values));
                    }
                    let values = cached.as_ref().map(|(_, v)| v.as_slice()).unwrap_or_default();
                    values.get(slot).map_or(Value::Missing, |x| Value::Number(*x))
                }
            };
            out.push(v);
        }
    }
}

/// One day of one run.
struct Day<'a> {
    s: &'a Scenario,
    day: u32,
    talks: &'a mut Talks,
    war: &'a mut War,
    rngs: &'a mut Rngs,
}

impl Day<'_> {
    /// `negotiation::emit_scripted`.
    fn script(&mut self, out: &mut Vec<Occurred>) {
        let k = &self.s.kinds;
        for (i, e) in self.s.timeline.iter().enumerate() {
            if e.day == self.day {
                if ENDS_TALKS.iter().any(|x| k[*x] == e.kind) {
                    self.talks.closing = true;
                }
                out.push(Occurred {
                    run: 0,
                    day: self.day,
                    kind: e.kind,
                    source: e.source,
                    target: e.target,
                    magnitude: e.magnitude,
                    uid: Occurred::uid(Origin::Script, i as u32, self.day),
                });
            }
        }
    }

    /// `decay_attention`, `choose_mediator_moves`, `make_overtures`.
    fn policy(&mut self, agents: &mut [Agent], out: &mut Vec<Occurred>) {
        let (s, day) = (self.s, self.day);
        let replayed = s.replayed(day);
        for a in agents.iter_mut() {
            if let (Some(m), Some(att)) = (&a.mediating, &mut a.attention)
                && !replayed
            {
                att.0 *= m.attention_retention;
            }
        }
        for i in 0..agents.len() {
            let (Some(m), Some(att)) = (&agents[i].mediating, agents[i].attention) else {
                continue;
            };
            if replayed {
                continue;
            }
            let adv = m.pressure.and_then(|p| {
                let b = &agents[p.adversary];
                b.stalling.zip(b.disposition)
            });
            mediator_moves(
                s,
                (i, m),
                0,
                day,
                self.talks,
                self.rngs,
                att.0,
                adv.map_or(0.0, |(s, _)| s.0),
                adv.map(|(_, d)| d.sanctions_relief_demand),
                &mut |e| out.push(e),
            );
        }
        for (i, a) in agents.iter().enumerate() {
            let Some(m) = &a.mediating else { continue };
            if replayed {
                continue;
            }
            if happens(&mut self.rngs.overture, m.overture_rate_per_day) {
                out.push(Occurred {
                    run: 0,
                    day,
                    kind: s.kinds[ModelKind::SummitOverture],
                    source: i,
                    target: Some(m.overture_target),
                    magnitude: 1.0,
                    uid: Occurred::uid(Origin::Overture, 0, day),
                });
            }
        }
    }

    /// `respond_to_pressure`, `advance_talks`.
    fn response(&mut self, agents: &mut [Agent], out: &mut Vec<Occurred>) {
        let (s, day) = (self.s, self.day);
        let Some(c) = &s.conflict else { return };
        let n = &c.negotiation;
        let talks = &mut *self.talks;
        for (who, is_partner) in [(c.partner, true), (c.adversary, false)] {
            let u = uniform(&mut self.rngs.negotiation);
            let a = &mut agents[who];
            let (Some(resolve), Some(stalling), Some(b)) =
                (&mut a.resolve, a.stalling, a.disposition)
            else {
                continue;
            };
            resolve.value += (resolve.baseline - resolve.value) / n.resolve_recovery_days;
            resolve.value = resolve.value.clamp(0.0, 1.0);
            if !talks.is_open() || s.replayed(day) {
                continue;
            }
            if u < concession_hazard(talks, n, is_partner, resolve.value, stalling.0, &b) {
                let kind = s.kinds[ModelKind::Concession];
                let mediator = Some(s.mediator.actor.index);
                out.push(negotiation_event(talks, 0, day, kind, who, mediator));
            }
        }
        if !talks.is_open() || s.replayed(day) {
            return;
        }
        let Some(kind) = milestone(talks, n, &s.kinds) else { return };
        out.push(negotiation_event(talks, 0, day, kind, s.mediator.actor.index, None));
    }

    /// `fire_background`, `court_target`.
    fn background(&mut self, agents: &[Agent], out: &mut Vec<Occurred>) {
        let (s, day) = (self.s, self.day);
        if !s.replayed(day) {
            for (i, b) in s.background.iter().enumerate() {
                if happens(&mut self.rngs.background, b.rate_per_day) {
                    out.push(Occurred {
                        run: 0,
                        day,
                        kind: b.kind,
                        source: b.source,
                        target: b.target,
                        magnitude: 1.0,
                        uid: Occurred::uid(Origin::Background, i as u32, day),
                    });
                }
            }
        }
        for (i, a) in agents.iter().enumerate() {
            let Some((p, c)) = a.observer.as_ref().and_then(|o| o.courting.as_ref()) else {
                continue;
            };
            if happens(&mut self.rngs.courtship, 1.0 - (-c.level).exp()) {
                out.push(Occurred {
                    run: 0,
                    day,
                    kind: s.kinds[ModelKind::ChinaCourtship],
                    source: i,
                    target: Some(p.target),
                    magnitude: 1.0,
                    uid: Occurred::uid(Origin::Courtship, i as u32, day),
                });
            }
        }
    }

    /// `consequences::apply_events` for one event.
    fn apply(&mut self, agents: &mut [Agent], e: &Occurred) {
        let s = self.s;
        let demand = || {
            let adversary = s.conflict.as_ref().and_then(|c| agents[c.adversary].disposition);
            adversary.map_or(0.0, |d| d.sanctions_relief_demand)
        };
        let done = bookkeeping(self.talks, s, e, self.day, demand);
        if let Some(h) = done.disengaged.and_then(|c| agents[c].hedging_mut()) {
            h.acceptance.engaged = false;
        }
        if let Some(on) = done.moratorium
            && let Some(h) = agents[e.source].hedging_mut()
        {
            h.acceptance.moratorium = on;
        }
        for fx in &s.events[e.kind].effects {
            let delta = fx.delta * e.magnitude;
            for &who in &fx.actors {
                let a = &mut agents[who];
                match fx.variable {
                    Variable::Attention => {
                        if let Some(x) = &mut a.attention {
                            x.0 = (x.0 + delta).clamp(0.0, 1.0);
                        }
                    }
                    Variable::Resolve => {
                        if let (Some(r), Some(_)) = (&mut a.resolve, a.stalling) {
                            r.value = (r.value + delta).clamp(0.0, 1.0);
                        }
                    }
                    Variable::Stalling => {
                        if let (Some(_), Some(st)) = (a.resolve, &mut a.stalling) {
                            st.0 = (st.0 + delta).clamp(0.0, 1.0);
                        }
                    }
                    Variable::Utility(lane) => {
                        if let Some(h) = a.hedging_mut() {
                            h.lanes.shocks[lane] += delta;
                        }
                    }
                    Variable::Leverage => {
                        if let Some(h) = a.hedging_mut() {
                            h.leverage.0 = (h.leverage.0 + delta).clamp(0.0, 1.0);
                        }
                    }
                    Variable::Courtship => {
                        if let Some((_, c)) = a.observer.as_mut().and_then(|o| o.courting.as_mut())
                        {
                            c.level = (c.level + delta).clamp(0.0, 1.0);
                        }
                    }
                    Variable::Standing(lane) => {
                        if let Some(h) = a.hedging_mut() {
                            h.lanes.standing[lane] += delta * s.mechanisms.standing;
                        }
                    }
                    Variable::Offer => {
                        if let Some(h) = a.hedging_mut() {
                            let l = &mut h.lanes;
                            l.offer = (l.offer + delta * s.mechanisms.offers).clamp(0.0, 1.0);
                        }
                    }
                }
            }
        }
    }

    /// `update_war`, `follow_leverage`.
    fn war(&mut self, agents: &mut [Agent]) {
        let s = self.s;
        let Some(c) = &s.conflict else { return };
        let w = &c.war;
        let target = match self.talks.outcome {
            Some((o, _)) if o.is_settlement() => w.intensity_settled,
            Some(_) => w.intensity_fighting,
            None if self.talks.comprehensive => w.intensity_ceasefire,
            None => w.intensity_fighting,
        };
        self.war.intensity += (target - self.war.intensity) / w.relaxation_days;
        if let Some(nd) = &mut agents[c.adversary].need {
            let goal = (w.munitions_per_intensity * self.war.intensity).clamp(0.0, 1.0);
            nd.0 += (goal - nd.0) / w.relaxation_days;
        }
        for i in 0..agents.len() {
            let Some(from) = agents[i].hedging().and_then(|h| h.ties.leverage_from) else {
                continue;
            };
            let Some(n) = agents[from].need else { continue };
            if let Some(h) = agents[i].hedging_mut() {
                h.leverage.0 += (n.0 - h.leverage.0) / c.war.leverage_adjust_days;
            }
        }
    }

    /// `propagation::propagate_events` for one event (without the event log).
    fn propagate(&mut self, agents: &mut [Agent], e: &Occurred) {
        for (i, a) in agents.iter_mut().enumerate() {
            let Some(o) = &mut a.observer else { continue };
            if let Some(p) = perceive(self.s, self.rngs, e, i, &o.channels, self.day) {
                o.inbox.push(p);
            }
        }
    }

    /// `update_beliefs`, `forget_toward_prior`, `derive_trust_and_fears`.
    fn beliefs(&mut self, agents: &mut [Agent]) {
        let (s, day) = (self.s, self.day);
        let leader = s.mechanisms.leader;
        let spill = 1.0 - leader * (1.0 - s.beliefs.level_spillover);
        let f = s.beliefs.forgetting_per_day;
        for a in agents.iter_mut() {
            let Some(o) = &mut a.observer else { continue };
            let mut updated = false;
            o.heard.clear();
            let Observer { inbox, heard, belief, levels, transfer, .. } = o;
            let due = inbox.due(day);
            for p in due.iter() {
                updated |= take_in(s, p, *transfer, spill, belief, levels);
                if p.involves_self {
                    heard.push(p.kind);
                }
            }
            due.clear();
            if updated {
                o.levels.mix(s.beliefs.leader_weight, &mut o.belief.0);
            }
        }
        if f != 0.0 {
            for a in agents.iter_mut() {
                let Some(o) = &mut a.observer else { continue };
                if leader > 0.0 {
                    let Levels { state, leader: lead } = &mut o.levels;
                    for v in [state, lead] {
                        for (b, p) in v.iter_mut().zip(&o.prior) {
                            *b = (1.0 - f) * *b + f * p;
                        }
                    }
                    o.levels.mix(s.beliefs.leader_weight, &mut o.belief.0);
                } else {
                    for (b, p) in o.belief.0.iter_mut().zip(&o.prior) {
                        *b = (1.0 - f) * *b + f * p;
                    }
                }
            }
        }
        for a in agents.iter_mut() {
            let Some(o) = &mut a.observer else { continue };
            (o.trust, o.fears) = crate::beliefs::trust_and_fears(&o.belief.0, &s.hypotheses);
        }
    }

    /// `reweigh_lanes`, `adjust_courtship`, `answer_overtures`, `take_initiative`,
    /// `make_own_moves`, each over every actor before the next.
    fn alignment(&mut self, agents: &mut [Agent], out: &mut Vec<Occurred>) {
        let (s, day) = (self.s, self.day);
        let Some(al) = &s.alignment else {
            // Without `[alignment]` no observer hedges; courtship still adjusts.
            self.courtship(agents);
            return;
        };
        for i in 0..agents.len() {
            let Some(courted_by) = agents[i].hedging().map(|h| h.ties.courted_by) else {
                continue;
            };
            let courted = courted_by
                .and_then(|by| agents[by].observer.as_ref())
                .and_then(|o| o.courting.as_ref())
                .map_or(0.0, |(_, c)| c.level);
            let Some(o) = &mut agents[i].observer else { continue };
            let trust = o.trust.0;
            let payoff: f64 =
                o.belief.0.iter().zip(&s.hypotheses).map(|(b, h)| b * h.engagement_payoff).sum();
            let Some(h) = &mut o.hedging else { continue };
            let lanes = &mut h.lanes;
            let [fade, lasting, offer_left] = lanes.retention;
            let mut u = [0.0; 4];
            u[LANE_RUSSIA] = al.russia_utility + al.russia_per_leverage * h.leverage.0;
            u[LANE_CHINA] = al.china_utility + al.china_per_courtship * courted;
            u[LANE_US] = al.us_engagement_utility + al.us_per_engagement_payoff * payoff;
            u[LANE_SELF] = al.self_reliance_utility;
            u[LANE_US] += s.mechanisms.offers * al.us_per_offer * lanes.offer * trust;
            for (j, uj) in u.iter_mut().enumerate() {
                *uj += lanes.shocks[j] + lanes.standing[j] + lanes.rest[j];
            }
            let target = softmax(&u, al.temperature);
            let Lanes { weights, shocks, standing, offer, .. } = lanes;
            for i in 0..4 {
                weights[i] =
                    al.inertia_per_day * weights[i] + (1.0 - al.inertia_per_day) * target[i];
                shocks[i] *= fade;
                standing[i] *= lasting;
            }
            *offer *= offer_left;
        }
        self.courtship(agents);
        let k = &s.kinds;
        let overture = k[ModelKind::SummitOverture];
        let resumed = k[ModelKind::TalksResumed];
        let counterpart = s.mediator.counterpart.as_ref().map(|c| c.index);
        let mediator = s.mediator.actor.index;
        for (i, a) in agents.iter_mut().enumerate() {
            let Some(o) = &mut a.observer else { continue };
            let invited = o.heard.contains(&overture)
                || (s.mechanisms.resumption > 0.0
                    && resumed != ModelKinds::ABSENT
                    && o.heard.contains(&resumed));
            let Some(h) = &mut o.hedging else { continue };
            let acc = &mut h.acceptance;
            if acc.engaged || !invited {
                continue;
            }
            let closed =
                s.mechanisms.resumption > 0.0 && counterpart == Some(i) && !self.talks.is_open();
            let spread = al.answer_spread * s.mechanisms.quantal;
            let w = h.lanes.weights[LANE_US] + logistic_error(&mut self.rngs.answers, spread);
            let (answer, kind) = if w >= al.accept_talks_above {
                acc.day.get_or_insert(day);
                acc.engaged = !closed;
                (Answer::Accepted, ModelKind::TalksAccepted)
            } else if w >= al.offer_talks_above {
                (Answer::ConditionalOffer, ModelKind::ConditionalOffer)
            } else {
                (Answer::Refused, ModelKind::OvertureRefused)
            };
            acc.answer = answer;
            out.push(Occurred {
                run: 0,
                day,
                kind: k[kind],
                source: i,
                target: Some(mediator),
                magnitude: 1.0,
                uid: Occurred::uid(Origin::Acceptance, i as u32, day),
            });
        }
        let proposed = k[ModelKind::TalksProposed];
        if s.mechanisms.initiative > 0.0 && proposed != ModelKinds::ABSENT {
            for (i, a) in agents.iter_mut().enumerate() {
                let Some(h) = a.hedging_mut() else { continue };
                let rng = &mut self.rngs.initiative;
                let u = uniform(rng);
                let error = logistic_error(rng, al.answer_spread * s.mechanisms.quantal);
                let inclined =
                    h.lanes.weights[LANE_US] + error >= al.accept_talks_above + al.initiate_margin;
                let acc = &mut h.acceptance;
                if acc.engaged
                    || !inclined
                    || u >= al.initiative_rate_per_day * s.mechanisms.initiative
                {
                    continue;
                }
                acc.engaged = self.talks.is_open() || counterpart != Some(i);
                acc.day.get_or_insert(day);
                acc.initiated.get_or_insert(day);
                out.push(Occurred {
                    run: 0,
                    day,
                    kind: proposed,
                    source: i,
                    target: Some(mediator),
                    magnitude: 1.0,
                    uid: Occurred::uid(Origin::Initiative, i as u32, day),
                });
            }
        }
        let weight = s.mechanisms.own_moves;
        if weight <= 0.0 || s.replayed(day) {
            return;
        }
        for (i, a) in agents.iter().enumerate() {
            let Some(h) = a.hedging() else { continue };
            let (acc, lanes, rest) = (&h.acceptance, &h.lanes, &h.rest);
            let emit = |kind: usize, slot: u32| Occurred {
                run: 0,
                day,
                kind,
                source: i,
                target: None,
                magnitude: 1.0,
                uid: Occurred::uid(Origin::OwnMoves, (i as u32) << 2 | slot, day),
            };
            let declaring = acc.engaged
                && !acc.moratorium
                && k[ModelKind::TestMoratorium] != ModelKinds::ABSENT;
            if declaring {
                out.push(emit(k[ModelKind::TestMoratorium], 0));
            } else if !acc.engaged
                && acc.moratorium
                && k[ModelKind::MoratoriumEnded] != ModelKinds::ABSENT
            {
                out.push(emit(k[ModelKind::MoratoriumEnded], 1));
            }
            let test = k[ModelKind::WeaponsTest];
            if al.test_rate_per_day <= 0.0 || test == ModelKinds::ABSENT {
                continue;
            }
            let u = uniform(&mut self.rngs.own_moves);
            let lean = if rest.self_reliance > 0.0 {
                lanes.weights[LANE_SELF] / rest.self_reliance
            } else {
                1.0
            };
            if !(acc.moratorium || declaring) && u < al.test_rate_per_day * weight * lean {
                out.push(emit(test, 2));
            }
        }
    }

    /// `adjust_courtship`: toward the target's weights, after they were reweighed.
    fn courtship(&mut self, agents: &mut [Agent]) {
        for i in 0..agents.len() {
            let Some(target) = agents[i]
                .observer
                .as_ref()
                .and_then(|o| o.courting.as_ref())
                .map(|(p, _)| p.target)
            else {
                continue;
            };
            let w = agents[target].hedging().map_or([0.0; 4], |h| h.lanes.weights);
            let Some((p, c)) = agents[i].observer.as_mut().and_then(|o| o.courting.as_mut()) else {
                continue;
            };
            let goal = p.base_per_day
                + p.per_tilt_per_day * (w[LANE_US] - p.tilt_reference).max(0.0)
                + p.per_russia_tilt_per_day * (w[LANE_RUSSIA] - p.russia_reference).max(0.0);
            c.level += (goal.min(1.0) - c.level) / p.adjust_days;
        }
    }
}
