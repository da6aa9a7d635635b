//! Leverage, hedging and courtship: how Pyongyang re-weighs its lanes and who reacts.
//!
//! A small power keeps several lanes open and shifts weight toward the ones that pay (the
//! article: "if one lane is blocked, look for another"). Each day the weights move a fraction
//! `1 - inertia_per_day` of the way to `softmax(u / temperature)`, where
//!   u_russia = russia_utility + russia_per_leverage × leverage      (Moscow's need for munitions)
//!   u_china  = china_utility + china_per_courtship × courtship      (2018: Beijing courted Kim)
//!   u_us     = us_engagement_utility
//!              + us_per_engagement_payoff × Σ_h belief_h × engagement_payoff_h
//!   u_self   = self_reliance_utility
//! each plus a transient shock from events (exercises, overtures) that fades with
//! `shock_half_life_days`. Leverage follows the courted-from belligerent's munitions need.
//! Beijing's courtship rate rises with Pyongyang's weight on the US lane and on the Russia lane.
//! Pyongyang answers each overture: it accepts talks while its US weight is at least
//! `accept_talks_above`, offers talks on its condition above `offer_talks_above`, and refuses
//! below.

use bevy_ecs::prelude::*;
use sidelines_scenario::{LANE_CHINA, LANE_RUSSIA, LANE_SELF, LANE_US, ModelKind, ModelKinds};

use crate::beliefs::{Heard, Trust, TypeBelief};
use crate::negotiation::{MunitionsNeed, Talks};
use crate::shared::*;

/// Bargaining leverage, in [0, 1].
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Leverage(pub f64);

/// Weights over the hedging lanes (sum to 1) and what moves their utilities besides their
/// drivers: transient shocks, lasting shifts (`standing`), the offer on the table, and the
/// offsets that put day 0 at rest.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Lanes {
    pub weights: [f64; 4],
    pub shocks: [f64; 4],
    /// Lasting shifts (`standing.LANE` effects), fading with `standing_half_life_days`.
    pub standing: [f64; 4],
    /// The mediator's offer on the table, in [0, 1] (`offer` effects).
    pub offer: f64,
    /// Per-lane offsets that make the day-0 weights the softmax of the day-0 utilities.
    pub rest: [f64; 4],
    /// What is left after a day of a shock, a standing shift and the offer (from their
    /// half-lives; computed once, not three `powf` a day).
    pub retention: [f64; 3],
}

impl Lanes {
    /// Day-0 lanes of an observer with these weights, whose day-0 utilities (before any
    /// offset) are `u0`: the offsets `rest × (T ln w_i - u0_i)` make `softmax(u0 + offset) = w`
    /// exactly when `rest` is 1, whatever the prior behind `u0` (a calibration that moves the
    /// prior no longer sets the lanes drifting from day 0).
    pub fn at_rest(weights: [f64; 4], u0: [f64; 4], temperature: f64, rest: f64) -> Lanes {
        let mut offsets = [0.0; 4];
        if rest > 0.0 {
            for i in 0..4 {
                // A lane of weight 0 stays near 0: its log is bounded so the offset is finite.
                offsets[i] = rest * (temperature * weights[i].max(1e-12).ln() - u0[i]);
            }
        }
        Lanes {
            weights,
            shocks: [0.0; 4],
            standing: [0.0; 4],
            offer: 0.0,
            rest: offsets,
            retention: [1.0; 3],
        }
    }

    /// The same lanes fading with `a`'s half-lives.
    pub fn fading(mut self, a: &sidelines_scenario::Alignment) -> Lanes {
        self.retention = [
            daily_retention(a.shock_half_life_days),
            daily_retention(a.standing_half_life_days),
            daily_retention(a.offer_half_life_days),
        ];
        self
    }
}

/// Whether (and on which day) the observer first accepted talks with the mediator, its latest
/// answer to an overture, whether it is engaged now, whether it proposed talks itself, and
/// whether it holds a moratorium on its own tests.
#[derive(Component, Clone, Copy, Debug, Default, PartialEq)]
pub struct Acceptance {
    pub day: Option<u32>,
    pub answer: Answer,
    /// In talks now: set by accepting or proposing, cleared when the talks it is party to end
    /// (with `mechanisms.resumption`).
    pub engaged: bool,
    /// The first day it proposed talks itself.
    pub initiated: Option<u32>,
    /// Under a moratorium on its own tests.
    pub moratorium: bool,
}

/// An observer's latest answer to the mediator's overtures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Answer {
    /// No overture has reached it yet.
    #[default]
    None,
    /// Refused or ignored (06-11, 08-25 and 10-24/27 in 2025).
    Refused,
    /// Talks on a condition (Kim at the SPA, 2025-09-21: if Washington drops denuclearisation).
    ConditionalOffer,
    Accepted,
}

/// The labels of an observer's answer, in `Answer` order.
pub const ANSWERS: &[&str] = &["none", "refused", "conditional_offer", "accepted"];

impl Answer {
    pub fn name(self) -> &'static str {
        ANSWERS[self as usize]
    }
}

/// A hedging observer's ties (`[actors.alignment]`): the belligerent whose munitions need is
/// its leverage, and the observer that courts it (actor indices).
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ties {
    pub leverage_from: Option<usize>,
    pub courted_by: Option<usize>,
}

/// A courting observer's parameters (`[actors.courtship]`); the target is an actor index.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Courting {
    pub target: usize,
    pub base_per_day: f64,
    pub per_tilt_per_day: f64,
    pub tilt_reference: f64,
    pub per_russia_tilt_per_day: f64,
    pub russia_reference: f64,
    pub adjust_days: f64,
}

impl Courting {
    pub fn new(c: &sidelines_scenario::Courtship) -> Courting {
        Courting {
            target: c.target.index,
            base_per_day: c.base_per_day,
            per_tilt_per_day: c.per_tilt_per_day,
            tilt_reference: c.tilt_reference,
            per_russia_tilt_per_day: c.per_russia_tilt_per_day,
            russia_reference: c.russia_reference,
            adjust_days: c.adjust_days,
        }
    }
}

/// A courting observer's rate of courting gestures per day.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Courtship {
    pub level: f64,
}

/// Leverage follows the need of the belligerent it comes from, with `leverage_adjust_days`.
pub fn follow_leverage(
    setup: Res<Setup>,
    roster: Res<Roster>,
    need: Query<&MunitionsNeed>,
    mut q: Query<(&RunIdx, &Ties, &mut Leverage)>,
) {
    for (run, ties, mut lev) in &mut q {
        let (Some(from), Some(c)) = (ties.leverage_from, &setup.of(run.get()).conflict) else {
            continue;
        };
        let Ok(n) = need.get(roster.get(run.get(), from)) else { continue };
        lev.0 += (n.0 - lev.0) / c.war.leverage_adjust_days;
    }
}

/// Softmax of lane utilities with inertia; shocks fade with their half-life.
pub fn reweigh_lanes(
    setup: Res<Setup>,
    roster: Res<Roster>,
    courtship: Query<&Courtship>,
    mut q: Query<(&RunIdx, &Ties, &mut Lanes, &Leverage, &TypeBelief, &Trust)>,
) {
    for (run, ties, mut lanes, lev, belief, trust) in &mut q {
        let s = setup.of(run.get());
        // Validation gives every scenario with a hedging observer its `[alignment]`.
        let Some(a) = &s.alignment else { continue };
        let [fade, lasting, offer_left] = lanes.retention;
        let courted = ties
            .courted_by
            .and_then(|by| courtship.get(roster.get(run.get(), by)).ok())
            .map_or(0.0, |c| c.level);
        let payoff: f64 =
            belief.0.iter().zip(&s.hypotheses).map(|(b, h)| b * h.engagement_payoff).sum();
        let mut u = [0.0; 4];
        u[LANE_RUSSIA] = a.russia_utility + a.russia_per_leverage * lev.0;
        u[LANE_CHINA] = a.china_utility + a.china_per_courtship * courted;
        u[LANE_US] = a.us_engagement_utility + a.us_per_engagement_payoff * payoff;
        u[LANE_SELF] = a.self_reliance_utility;
        // An offer is worth what the observer trusts the mediator to deliver (Fearon 1995: a
        // commitment problem discounts any deal by the chance it is kept).
        u[LANE_US] += s.mechanisms.offers * a.us_per_offer * lanes.offer * trust.0;
        for (i, ui) in u.iter_mut().enumerate() {
            *ui += lanes.shocks[i] + lanes.standing[i] + lanes.rest[i];
        }
        let target = softmax(&u, a.temperature);
        let Lanes { weights, shocks, standing, offer, .. } = &mut *lanes;
        for i in 0..4 {
            weights[i] = a.inertia_per_day * weights[i] + (1.0 - a.inertia_per_day) * target[i];
            shocks[i] *= fade;
            standing[i] *= lasting;
        }
        *offer *= offer_left;
    }
}

/// `exp(u_i / T) / Σ exp(u_j / T)`, shifted by the maximum for stability.
pub fn softmax(u: &[f64; 4], temperature: f64) -> [f64; 4] {
    let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut e = [0.0; 4];
    let mut total = 0.0;
    for i in 0..4 {
        e[i] = ((u[i] - max) / temperature).exp();
        total += e[i];
    }
    e.map(|x| x / total)
}

/// Beijing's courtship rate moves toward
/// `base + per_tilt × max(0, w_us - tilt_reference) + per_russia_tilt × max(0, w_russia -
/// russia_reference)` of its target, with `adjust_days`. The US term is the 2018 logic (Beijing
/// rebuilt ties when Kim courted Washington); the Russia term is the record's: in 2025 Beijing
/// courted Pyongyang (Kim in Beijing 09-03/04, Li Qiang in Pyongyang 10-09) while its US lane
/// stayed closed and its Russia lane deepened.
pub fn adjust_courtship(
    roster: Res<Roster>,
    lanes: Query<&Lanes>,
    mut q: Query<(&RunIdx, &Courting, &mut Courtship)>,
) {
    for (run, p, mut c) in &mut q {
        let w = lanes.get(roster.get(run.get(), p.target)).map_or([0.0; 4], |l| l.weights);
        let goal = p.base_per_day
            + p.per_tilt_per_day * (w[LANE_US] - p.tilt_reference).max(0.0)
            + p.per_russia_tilt_per_day * (w[LANE_RUSSIA] - p.russia_reference).max(0.0);
        c.level += (goal.min(1.0) - c.level) / p.adjust_days;
    }
}

/// Pyongyang answers each overture that reaches it, until it has accepted: yes when its US
/// weight is at least `accept_talks_above`; talks on its condition when the weight is at least
/// `offer_talks_above` (Kim, 2025-09-21: "no reason not to sit down" if Washington drops
/// denuclearisation); otherwise a refusal (the letter refused on 2025-06-11, the overtures of
/// 08-25 and 10-24/27 ignored). With `mechanisms.quantal` the weight compared is the lane's
/// plus a logistic error of scale `answer_spread`, one draw per answer: an ordered logit with
/// the thresholds as cut-points (see `Alignment::answer_spread`). Each answer is an event
/// Pyongyang emits, so a replay compares the model's answers with the record's instead of
/// scripting them.
pub fn answer_overtures(
    setup: Res<Setup>,
    clock: Res<Clock>,
    roster: Res<Roster>,
    talks: Res<PerRun<Talks>>,
    mut rngs: ResMut<PerRun<Rngs>>,
    mut q: Query<(&ActorId, &RunIdx, &Lanes, &Heard, &mut Acceptance)>,
    mut out: MessageWriter<Occurred>,
) {
    for &ent in roster.active_entities() {
        let Ok((id, run, lanes, heard, mut acc)) = q.get_mut(ent) else { continue };
        let s = setup.of(run.get());
        let overture = s.kinds[ModelKind::SummitOverture];
        // With resumption, talks that resume are an invitation back to the table.
        let resumed = s.kinds[ModelKind::TalksResumed];
        let invited = heard.0.contains(&overture)
            || (s.mechanisms.resumption > 0.0
                && resumed != ModelKinds::ABSENT
                && heard.0.contains(&resumed));
        if acc.engaged || !invited {
            continue;
        }
        // With resumption, a yes to talks that are closed (the mediator walked out or they
        // broke down) does not make the counterpart engaged: it answers again when they resume.
        let closed = s.mechanisms.resumption > 0.0
            && s.mediator.counterpart.as_ref().is_some_and(|c| c.index == id.0)
            && !talks.0[run.get()].is_open();
        let Some(a) = &s.alignment else { continue };
        let spread = a.answer_spread * s.mechanisms.quantal;
        let w = lanes.weights[LANE_US] + logistic_error(&mut rngs.0[run.get()].answers, spread);
        let (answer, kind) = if w >= a.accept_talks_above {
            acc.day.get_or_insert(clock.day);
            acc.engaged = !closed;
            (Answer::Accepted, ModelKind::TalksAccepted)
        } else if w >= a.offer_talks_above {
            (Answer::ConditionalOffer, ModelKind::ConditionalOffer)
        } else {
            (Answer::Refused, ModelKind::OvertureRefused)
        };
        acc.answer = answer;
        out.write(Occurred {
            run: run.0,
            day: clock.day,
            kind: s.kinds[kind],
            source: id.0,
            target: Some(s.mediator.actor.index),
            magnitude: 1.0,
            uid: Occurred::uid(Origin::Acceptance, id.0 as u32, clock.day),
        });
    }
}

/// A hedging observer proposes talks itself (`mechanisms.initiative`): while it is not engaged
/// and its US weight is at least `accept_talks_above + initiate_margin`, with a daily chance
/// `initiative_rate_per_day`. Small powers are not only answerers: Libya opened its own channel
/// to London and Washington in 2003, Pyongyang asked for the 1994 Carter visit's follow-up and
/// returned to Geneva, Tehran sent Rouhani's outreach in 2013. Proposing costs more than
/// accepting (a refusal is a public loss: audience costs, Fearon 1994), hence the margin. One
/// draw a day from the observer's own stream, whatever happens; with `mechanisms.quantal`, a
/// second draw, the logistic error of scale `answer_spread` on the weight that is compared.
pub fn take_initiative(
    setup: Res<Setup>,
    clock: Res<Clock>,
    roster: Res<Roster>,
    mut rngs: ResMut<PerRun<Rngs>>,
    talks: Res<PerRun<Talks>>,
    mut q: Query<(&ActorId, &RunIdx, &Lanes, &mut Acceptance)>,
    mut out: MessageWriter<Occurred>,
) {
    for &ent in roster.active_entities() {
        let Ok((id, run, lanes, mut acc)) = q.get_mut(ent) else { continue };
        let s = setup.of(run.get());
        let kind = s.kinds[ModelKind::TalksProposed];
        let Some(a) = &s.alignment else { continue };
        if s.mechanisms.initiative <= 0.0 || kind == ModelKinds::ABSENT {
            continue;
        }
        let rng = &mut rngs.0[run.get()].initiative;
        let u = uniform(rng);
        let error = logistic_error(rng, a.answer_spread * s.mechanisms.quantal);
        let inclined = lanes.weights[LANE_US] + error >= a.accept_talks_above + a.initiate_margin;
        if acc.engaged || !inclined || u >= a.initiative_rate_per_day * s.mechanisms.initiative {
            continue;
        }
        // A proposal while the talks are closed asks for them back (its declared effects can
        // raise the mediator's attention); the observer is engaged once they are open.
        acc.engaged = talks.0[run.get()].is_open()
            || s.mediator.counterpart.as_ref().is_none_or(|c| c.index != id.0);
        acc.day.get_or_insert(clock.day);
        acc.initiated.get_or_insert(clock.day);
        out.write(Occurred {
            run: run.0,
            day: clock.day,
            kind,
            source: id.0,
            target: Some(s.mediator.actor.index),
            magnitude: 1.0,
            uid: Occurred::uid(Origin::Initiative, id.0 as u32, clock.day),
        });
    }
}

/// A hedging observer's own moves (`mechanisms.own_moves`): weapons tests at
/// `test_rate_per_day` scaled by its self-reliance weight relative to day 0 (a state that
/// leans on its own deterrent builds and shows it: Cha 2012 on Pyongyang's provocation
/// cycles), none under a moratorium; a moratorium declared when it engages (a costly signal
/// that sinks the gains of testing, Fearon 1997: the 2018-style freeze, the 1994 freeze of
/// Yongbyon, the JPOA's halt of 20% enrichment) and ended when its engagement ends. Not while a
/// record is replayed: the record's tests and moratoria stand in for them. One draw a day from
/// the observer's own stream when tests are declared.
pub fn make_own_moves(
    setup: Res<Setup>,
    clock: Res<Clock>,
    roster: Res<Roster>,
    mut rngs: ResMut<PerRun<Rngs>>,
    q: Query<(&ActorId, &RunIdx, &Lanes, &Acceptance, &Rest)>,
    mut out: MessageWriter<Occurred>,
) {
    for &ent in roster.active_entities() {
        let Ok((id, run, lanes, acc, rest)) = q.get(ent) else { continue };
        let s = setup.of(run.get());
        let Some(a) = &s.alignment else { continue };
        let weight = s.mechanisms.own_moves;
        if weight <= 0.0 || s.replayed(clock.day) {
            continue;
        }
        let k = &s.kinds;
        let emit = |kind: usize, slot: u32| Occurred {
            run: run.0,
            day: clock.day,
            kind,
            source: id.0,
            target: None,
            magnitude: 1.0,
            uid: Occurred::uid(Origin::OwnMoves, (id.0 as u32) << 2 | slot, clock.day),
        };
        let declaring =
            acc.engaged && !acc.moratorium && k[ModelKind::TestMoratorium] != ModelKinds::ABSENT;
        if declaring {
            out.write(emit(k[ModelKind::TestMoratorium], 0));
        } else if !acc.engaged
            && acc.moratorium
            && k[ModelKind::MoratoriumEnded] != ModelKinds::ABSENT
        {
            out.write(emit(k[ModelKind::MoratoriumEnded], 1));
        }
        let test = k[ModelKind::WeaponsTest];
        if a.test_rate_per_day <= 0.0 || test == ModelKinds::ABSENT {
            continue;
        }
        let u = uniform(&mut rngs.0[run.get()].own_moves);
        let lean = if rest.self_reliance > 0.0 {
            lanes.weights[LANE_SELF] / rest.self_reliance
        } else {
            1.0
        };
        if !(acc.moratorium || declaring) && u < a.test_rate_per_day * weight * lean {
            out.write(emit(test, 2));
        }
    }
}

/// An observer's day-0 self-reliance weight, the reference its tests scale by.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Rest {
    pub self_reliance: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_orders() {
        let p = softmax(&[1.0, 0.0, 2.0, 0.5], 0.5);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!(p[2] > p[0] && p[0] > p[3] && p[3] > p[1]);
    }
}
