//! What observers believe about the mediator, and what follows from it.
//!
//! Reputation is Bayesian inference about the mediator's type from its conduct (Kreps and
//! Wilson 1982; Sartori 2005). Each perceived event multiplies the belief in hypothesis h by
//! `L_h^w` and renormalises, with the evidence weight
//! `w = strength × (statement_weight if the event is cheap talk, else 1) × (transfer unless the
//! observer is party to the event)`. Raising a likelihood to a power below one is the standard
//! tempered ("power") update: cheap talk weighs less than costly action (Fearon 1997), and how
//! much an observer generalises from Washington's conduct toward Kyiv to its own case is the
//! `transfer` weight (Press 2005; Weisiger and Yarhi-Milo 2015). Beliefs then relax toward the
//! prior at `forgetting_per_day`. Trust and fears are belief-weighted averages of each
//! hypothesis's loadings.

use bevy_ecs::prelude::*;
use sidelines_scenario::{Class, Hypothesis, Level};

use crate::propagation::{Inbox, Percept};
use crate::shared::*;
use sidelines_scenario::Scenario;

/// Probability of each hypothesis about the mediator, in the scenario's hypothesis order.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct TypeBelief(pub Vec<f64>);

/// With `mechanisms.leader`: the observer's separate beliefs about the leader's own line and
/// about the state's policy; `TypeBelief` is then their mix, `leader_weight` on the leader's.
/// Wolford (2007) and Renshon, Dafoe and Huth (2018): reputations attach to leaders, not only
/// to states; a summit shows the leader, a Treasury designation the state.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Levels {
    pub state: Vec<f64>,
    pub leader: Vec<f64>,
}

impl Levels {
    /// `leader_weight × leader + (1 - leader_weight) × state`, into `out`.
    pub fn mix(&self, leader_weight: f64, out: &mut [f64]) {
        for ((o, l), st) in out.iter_mut().zip(&self.leader).zip(&self.state) {
            *o = leader_weight * l + (1.0 - leader_weight) * st;
        }
    }
}

/// The observer's prior, the point forgetting relaxes toward.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Prior(pub Vec<f64>);

/// How much the observer generalises from events it is not party to, in [0, 1].
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Transfer(pub f64);

/// What the observer took in today as a party to it (event kinds, in the order taken in): the
/// data other mechanisms read to react to what was said or done to the observer itself (an
/// overture reaching Pyongyang). Cleared at each day's update.
#[derive(Component, Clone, Debug, Default, PartialEq)]
pub struct Heard(pub Vec<usize>);

/// Trust in the mediator, in [0, 1]: the belief-weighted `trust` loading.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Trust(pub f64);

/// Fear of being coerced into a deal one finds too weak, and of being abandoned (Snyder 1984).
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Fears {
    pub coercion: f64,
    pub abandonment: f64,
}

/// The evidence weight of one percept (the exponent on its likelihoods).
pub fn evidence_weight(
    class: Class,
    statement_weight: f64,
    involves_self: bool,
    transfer: f64,
    strength: f64,
) -> f64 {
    let class_weight = match class {
        Class::Action => 1.0,
        Class::Statement => statement_weight,
    };
    let relevance = if involves_self { 1.0 } else { transfer };
    strength * class_weight * relevance
}

/// Tempered Bayes: `b_h ← b_h L_h^w / Σ_k b_k L_k^w`.
pub fn bayes_update(belief: &mut [f64], likelihood: &[f64], weight: f64) {
    let mut total = 0.0;
    if weight == 1.0 {
        // `powf(l, 1)` is `l` exactly (the result is representable and libm's pow is within an
        // ulp), so this is the same arithmetic without a pow: an event an observer is party to,
        // at full weight, is about a sixth of the updates of the default scenario.
        for (b, l) in belief.iter_mut().zip(likelihood) {
            *b *= l;
            total += *b;
        }
    } else {
        for (b, l) in belief.iter_mut().zip(likelihood) {
            *b *= l.powf(weight);
            total += *b;
        }
    }
    if total > 0.0 && total.is_finite() {
        for b in belief.iter_mut() {
            *b /= total;
        }
    }
}

/// One percept's update: of the belief, or with `mechanisms.leader` of the level it shows (in
/// full) and of the other (by `spill`); whether the levels were updated (their mix is then
/// taken again).
pub(crate) fn take_in(
    s: &Scenario,
    p: &Percept,
    transfer: f64,
    spill: f64,
    belief: &mut TypeBelief,
    levels: &mut Levels,
) -> bool {
    let kind = &s.events[p.kind];
    let w = evidence_weight(
        kind.class,
        s.beliefs.statement_weight,
        p.involves_self,
        transfer,
        p.strength,
    );
    if s.mechanisms.leader > 0.0 {
        let Levels { state, leader } = levels;
        let (own, other) = match kind.level {
            Level::State => (state, leader),
            Level::Leader => (leader, state),
        };
        bayes_update(own, &kind.likelihood, w);
        bayes_update(other, &kind.likelihood, w * spill);
        true
    } else {
        bayes_update(&mut belief.0, &kind.likelihood, w);
        false
    }
}

/// Bayes' rule over the hypotheses for every percept due today; actions weigh 1, statements
/// `statement_weight`, others' affairs `transfer`.
///
/// Each observer's update reads only its own state and draws nothing, so the query is walked in
/// storage order, not the roster's (no lookup per entity); percepts due today are taken in the
/// order they arrived.
pub fn update_beliefs(
    setup: Res<Setup>,
    clock: Res<Clock>,
    roster: Res<Roster>,
    mut q: Query<(&RunIdx, &mut TypeBelief, &mut Levels, &mut Inbox, &Transfer, &mut Heard)>,
) {
    for (run, mut belief, mut levels, mut inbox, transfer, mut heard) in &mut q {
        if run.get() >= roster.active {
            continue;
        }
        let s = setup.of(run.get());
        let leader = s.mechanisms.leader;
        // What one level's conduct says of the other: all of it without the mechanism.
        let spill = 1.0 - leader * (1.0 - s.beliefs.level_spillover);
        let mut updated = false;
        heard.0.clear();
        let due = inbox.due(clock.day);
        for p in due.iter() {
            debug_assert_eq!(p.due_day, clock.day, "a percept left past its day");
            updated |= take_in(s, p, transfer.0, spill, &mut belief, &mut levels);
            if p.involves_self {
                heard.0.push(p.kind);
            }
        }
        due.clear();
        if updated {
            levels.mix(s.beliefs.leader_weight, &mut belief.0);
        }
    }
}

/// Beliefs relax toward the prior: `b ← (1 - f) b + f prior`.
/// With `mechanisms.leader`, both levels relax and the mix is taken again.
pub fn forget_toward_prior(
    setup: Res<Setup>,
    mut q: Query<(&RunIdx, &mut TypeBelief, &mut Levels, &Prior)>,
) {
    for (run, mut belief, mut levels, prior) in &mut q {
        let s = setup.of(run.get());
        let f = s.beliefs.forgetting_per_day;
        if f == 0.0 {
            continue;
        }
        if s.mechanisms.leader > 0.0 {
            let Levels { state, leader } = &mut *levels;
            for v in [state, leader] {
                for (b, p) in v.iter_mut().zip(&prior.0) {
                    *b = (1.0 - f) * *b + f * p;
                }
            }
            levels.mix(s.beliefs.leader_weight, &mut belief.0);
            continue;
        }
        for (b, p) in belief.0.iter_mut().zip(&prior.0) {
            *b = (1.0 - f) * *b + f * p;
        }
    }
}

/// Trust and fears implied by a belief: belief-weighted averages of the hypotheses' loadings.
pub fn trust_and_fears(belief: &[f64], hyps: &[Hypothesis]) -> (Trust, Fears) {
    let mut t = 0.0;
    let mut c = 0.0;
    let mut a = 0.0;
    for (b, h) in belief.iter().zip(hyps) {
        t += b * h.trust;
        c += b * h.coercion;
        a += b * h.abandonment;
    }
    (Trust(t), Fears { coercion: c, abandonment: a })
}

/// Trust and fears as belief-weighted averages of the hypotheses' loadings.
pub fn derive_trust_and_fears(
    setup: Res<Setup>,
    mut q: Query<(&RunIdx, &TypeBelief, &mut Trust, &mut Fears)>,
) {
    for (run, belief, mut trust, mut fears) in &mut q {
        (*trust, *fears) = trust_and_fears(&belief.0, &setup.of(run.get()).hypotheses);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_matches_closed_form() {
        let prior = [0.1, 0.2, 0.3, 0.4];
        let l1 = [0.8, 0.1, 0.3, 0.05];
        let l2 = [0.2, 0.9, 0.4, 0.3];
        let mut b = prior.to_vec();
        bayes_update(&mut b, &l1, 1.0);
        bayes_update(&mut b, &l2, 0.35);
        let un: Vec<f64> = (0..4).map(|h| prior[h] * l1[h] * l2[h].powf(0.35)).collect();
        let z: f64 = un.iter().sum();
        for h in 0..4 {
            assert!((b[h] - un[h] / z).abs() < 1e-15);
        }
    }

    #[test]
    fn a_full_weight_update_is_the_pow_one() {
        // `bayes_update` skips `powf` at weight 1: the same bits only if `powf(l, 1) == l`.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..1_000_000 {
            x = crate::shared::splitmix64(x);
            let l = (x >> 11) as f64 / (1u64 << 53) as f64 * 4.0;
            assert_eq!(l.powf(1.0).to_bits(), l.to_bits(), "{l}");
        }
        for l in [0.0, f64::MIN_POSITIVE, 1e-300, 0.05, 0.5, 1.0, 3.0] {
            assert_eq!(l.powf(1.0).to_bits(), l.to_bits(), "{l}");
        }
    }

    #[test]
    fn weights_multiply() {
        assert_eq!(evidence_weight(Class::Action, 0.3, true, 0.5, 1.0), 1.0);
        assert_eq!(evidence_weight(Class::Statement, 0.3, true, 0.5, 1.0), 0.3);
        assert_eq!(evidence_weight(Class::Statement, 0.5, false, 0.5, 2.0), 0.5);
        assert_eq!(evidence_weight(Class::Action, 0.3, false, 0.0, 1.0), 0.0);
    }
}
