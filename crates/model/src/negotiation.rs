//! The Ukraine talks: the mediator's policy, the belligerents' response, the war's state.
//!
//! The talks are a progress variable in [0, 1] moved by concessions. A belligerent concedes at a
//! daily hazard `(1 - resolve)(1 - stalling)(base + pressure)`, where pressure on the partner is
//! the aid cut (scaled by its aid dependence) and on the adversary sanctions and relief. The
//! mediator chooses rounds, pressure (rhetoric first, then an action after `escalate_after`
//! warnings: the Oval Office rebuke of 2025-02-28, then the aid cut of 2025-03-03), relief, and
//! loses interest with a half-life unless progress renews it. Milestones follow the article's
//! sequence: a Black Sea pause (which Moscow tied to sanctions relief on 2025-03-25), a
//! comprehensive ceasefire (the Easter 2025-04-20 target), a settlement whose terms are
//! Russia's when Kyiv made most of the concessions.
//!
//! Deciding systems only emit `Occurred` messages; `consequences::apply_events` is the one place
//! where events change state, whether the model or a scripted timeline produced them.

use bevy_ecs::prelude::*;
use sidelines_scenario::{ModelKind, ModelKinds, Scenario};

use crate::shared::*;

/// The mediator's interest in the talks, in [0, 1].
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Attention(pub f64);

/// The mediator's disposition (`[mediator]`), spawned on its entity: what its own moves read.
/// Systems find the mediator of each run by this component, not by looking its index up in the
/// scenario; a block of runs of different design points differs only in these values.
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Mediating {
    /// The share of attention kept each day (from `attention_half_life_days`).
    pub attention_retention: f64,
    pub disengage_below: f64,
    pub talks_round_rate_per_day: f64,
    pub overture_rate_per_day: f64,
    pub overture_target: usize,
    /// The observer it negotiates with directly, if any.
    pub counterpart: Option<usize>,
    /// Attention at or above which ended talks resume (`mechanisms.resumption`).
    pub resume_above: f64,
    /// How it leans on the two sides of a war, when there is one.
    pub pressure: Option<Pressure>,
}

/// The mediator's pressure on the belligerents (`[mediator]`'s fields read with a war).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pressure {
    pub partner: usize,
    pub adversary: usize,
    pub on_partner: f64,
    pub on_adversary: f64,
    pub deal_urgency: f64,
    pub maximalism: f64,
    pub rate_per_day: f64,
    pub escalate_after: u32,
    pub relief_rate_per_day: f64,
}

impl Mediating {
    pub fn new(s: &Scenario) -> Mediating {
        let m = &s.mediator;
        Mediating {
            attention_retention: daily_retention(m.attention_half_life_days),
            disengage_below: m.disengage_below,
            talks_round_rate_per_day: m.talks_round_rate_per_day,
            overture_rate_per_day: m.overture_rate_per_day,
            overture_target: m.overture_target.index,
            counterpart: m.counterpart.as_ref().map(|c| c.index),
            resume_above: m.resume_above,
            pressure: s.conflict.as_ref().map(|c| Pressure {
                partner: c.partner,
                adversary: c.adversary,
                on_partner: c.pressure_on_partner,
                on_adversary: c.pressure_on_adversary,
                deal_urgency: c.deal_urgency,
                maximalism: c.maximalism,
                rate_per_day: c.pressure_rate_per_day,
                escalate_after: c.escalate_after,
                relief_rate_per_day: c.relief_rate_per_day,
            }),
        }
    }
}

/// A belligerent's will to hold out, in [0, 1], and the baseline it recovers toward.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Resolve {
    pub value: f64,
    pub baseline: f64,
}

/// A belligerent's tendency to slow-walk the talks, in [0, 1].
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Stalling(pub f64);

/// A belligerent's fixed disposition: how much an aid cut moves it, how firmly it ties
/// progress to sanctions relief (`[[actors]]` of role belligerent).
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Disposition {
    pub aid_dependence: f64,
    pub sanctions_relief_demand: f64,
}

/// The need for North Korean munitions, in [0, 1]; follows the war's intensity.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct MunitionsNeed(pub f64);

/// How the talks ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TalksOutcome {
    SettlementRussianTerms,
    SettlementBalanced,
    TalksCollapse,
    UsDisengaged,
    /// A deal signed with the counterpart (a record's `agreement`).
    Agreement,
}

impl TalksOutcome {
    pub fn name(self) -> &'static str {
        match self {
            TalksOutcome::SettlementRussianTerms => "settlement_russian_terms",
            TalksOutcome::SettlementBalanced => "settlement_balanced",
            TalksOutcome::TalksCollapse => "talks_collapse",
            TalksOutcome::UsDisengaged => "us_disengaged",
            TalksOutcome::Agreement => "agreement",
        }
    }

    pub fn is_settlement(self) -> bool {
        matches!(self, TalksOutcome::SettlementRussianTerms | TalksOutcome::SettlementBalanced)
    }

    /// Whether the talks can resume after this end: not after a deal.
    pub fn is_final(self) -> bool {
        self.is_settlement() || self == TalksOutcome::Agreement
    }
}

/// The state of one run's talks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Talks {
    pub progress: f64,
    pub partner_concessions: u32,
    pub adversary_concessions: u32,
    pub black_sea: bool,
    pub comprehensive: bool,
    pub relief_given: bool,
    /// Aid to the partner is suspended (since that day).
    pub aid_cut_since: Option<u32>,
    /// The partner conceded while its aid was cut: aid comes back.
    pub conceded_under_cut: bool,
    pub rebukes: u32,
    pub threats: u32,
    pub sanctions_imposed: u32,
    pub outcome: Option<(TalksOutcome, u32)>,
    /// An event that ends the talks (a walk-out, a breakdown, a scripted settlement) was
    /// emitted today: they end when it is applied, but nothing that needs them open (a
    /// concession, a milestone, a settlement) happens after it. Without this, a round that broke
    /// down could still be followed the same day by a settlement (seed 4039, day 362, before).
    pub closing: bool,
    /// Counter for negotiation events' identities.
    pub emitted: u32,
}

impl Talks {
    pub fn is_open(&self) -> bool {
        self.outcome.is_none() && !self.closing
    }

    /// Sanctions pressure in [0, 1): each imposition halves what is left to impose.
    pub fn sanctions_level(&self) -> f64 {
        if self.relief_given { 0.0 } else { 1.0 - 0.5f64.powi(self.sanctions_imposed as i32) }
    }
}

/// One run's war intensity, in [0, 1].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct War {
    pub intensity: f64,
}

pub(crate) fn negotiation_event(
    talks: &mut Talks,
    run: usize,
    day: u32,
    kind: usize,
    source: usize,
    target: Option<usize>,
) -> Occurred {
    talks.emitted += 1;
    Occurred {
        run: run as u32,
        day,
        kind,
        source,
        target,
        magnitude: 1.0,
        uid: Occurred::uid(Origin::Negotiation, talks.emitted, day),
    }
}

/// The event kinds that end the talks when applied (see `Talks::closing`).
pub(crate) const ENDS_TALKS: [ModelKind; 5] = [
    ModelKind::TalksCollapse,
    ModelKind::UsDisengages,
    ModelKind::SettlementRussianTerms,
    ModelKind::SettlementBalanced,
    ModelKind::Agreement,
];

/// Scripted timeline events for today, in file order, in every run.
pub fn emit_scripted(
    setup: Res<Setup>,
    clock: Res<Clock>,
    roster: Res<Roster>,
    mut talks: ResMut<PerRun<Talks>>,
    mut out: MessageWriter<Occurred>,
) {
    for run in 0..roster.active {
        let scenario = setup.of(run);
        let k = &scenario.kinds;
        for (i, s) in scenario.timeline.iter().enumerate() {
            if s.day == clock.day {
                if ENDS_TALKS.iter().any(|e| k[*e] == s.kind) {
                    talks.0[run].closing = true;
                }
                out.write(Occurred {
                    run: run as u32,
                    day: clock.day,
                    kind: s.kind,
                    source: s.source,
                    target: s.target,
                    magnitude: s.magnitude,
                    uid: Occurred::uid(Origin::Script, i as u32, clock.day),
                });
            }
        }
    }
}

/// Interest decays with `attention_half_life_days` (the article: will Washington stay patient?).
/// Not while a record is replayed: the record stands in for the mediator's conduct, and it shows
/// the mediator still at the table on its last date (2025-12-28, Mar-a-Lago), so its interest
/// cannot have run out meanwhile. Left to decay through 282 days of record, it fell below
/// `disengage_below` and the forecast began with a walk-out in every run.
pub fn decay_attention(
    setup: Res<Setup>,
    clock: Res<Clock>,
    mut q: Query<(&RunIdx, &Mediating, &mut Attention)>,
) {
    for (run, m, mut a) in &mut q {
        if !setup.of(run.get()).replayed(clock.day) {
            a.0 *= m.attention_retention;
        }
    }
}

/// The mediator's daily moves in every run: walk away, hold a round, press a side, offer
/// relief, restore aid (the last three only when there is a war to broker).
pub fn choose_mediator_moves(
    setup: Res<Setup>,
    clock: Res<Clock>,
    mut talks: ResMut<PerRun<Talks>>,
    mut rngs: ResMut<PerRun<Rngs>>,
    roster: Res<Roster>,
    mediators: Query<(&ActorId, &RunIdx, &Mediating, &Attention)>,
    adversary: Query<(&Stalling, &Disposition)>,
    mut out: MessageWriter<Occurred>,
) {
    for &ent in roster.active_entities() {
        let Ok((id, run, m, att)) = mediators.get(ent) else { continue };
        let run = run.get();
        let s = setup.of(run);
        if s.replayed(clock.day) {
            continue;
        }
        let adv = m.pressure.and_then(|p| adversary.get(roster.get(run, p.adversary)).ok());
        mediator_moves(
            s,
            (id.0, m),
            run,
            clock.day,
            &mut talks.0[run],
            &mut rngs.0[run],
            att.0,
            adv.map_or(0.0, |(s, _)| s.0),
            adv.map(|(_, d)| d.sanctions_relief_demand),
            &mut |e| {
                out.write(e);
            },
        );
    }
}

/// One run's mediator moves: five draws a day from the negotiation stream, whatever happens.
pub(crate) fn mediator_moves(
    s: &Scenario,
    (me, m): (usize, &Mediating),
    run: usize,
    day: u32,
    talks: &mut Talks,
    rngs: &mut Rngs,
    att: f64,
    adv_stalling: f64,
    adv_relief_demand: Option<f64>,
    out: &mut dyn FnMut(Occurred),
) {
    let k = &s.kinds;
    if !talks.is_open() {
        // Talks that broke down or were walked out of resume once the mediator's interest is
        // back (`mechanisms.resumption`): Washington returned after the 1994 crisis, to the
        // Six-Party table in 2005 and 2007, and to Tehran in 2013. What brings interest back
        // are events' declared effects on attention: an observer's proposal, a test, a crisis.
        let resumable = talks.outcome.is_some_and(|(o, _)| !o.is_final()) && !talks.closing;
        let kind = k[ModelKind::TalksResumed];
        if resumable
            && s.mechanisms.resumption > 0.0
            && kind != ModelKinds::ABSENT
            && att >= m.resume_above
            // A file written before the mechanism may walk out above the default `resume_above`:
            // talks never resume into an immediate walk-out.
            && att >= m.disengage_below
        {
            let with = m.counterpart.or(m.pressure.map(|p| p.partner));
            out(negotiation_event(talks, run, day, kind, me, with));
        }
        return;
    }
    let rng = &mut rngs.negotiation;
    // Fixed number of draws per day, whatever happens.
    let u_round = uniform(rng);
    let u_collapse = uniform(rng);
    let u_partner = uniform(rng);
    let u_adversary = uniform(rng);
    let u_relief = uniform(rng);
    let counterpart = m.counterpart;

    if att < m.disengage_below {
        talks.closing = true;
        let left = counterpart.or(m.pressure.map(|p| p.partner));
        out(negotiation_event(talks, run, day, k[ModelKind::UsDisengages], me, left));
        return;
    }
    if u_round < m.talks_round_rate_per_day * att {
        out(negotiation_event(talks, run, day, k[ModelKind::TalksRound], me, counterpart));
    }
    let (Some(c), Some(p)) = (&s.conflict, m.pressure) else { return };
    if u_round < m.talks_round_rate_per_day * att {
        // A round can break down: more likely the more maximalist the mediator and the more
        // the adversary stalls.
        let hazard = c.negotiation.collapse_hazard_per_round * p.maximalism * adv_stalling;
        if u_collapse < hazard {
            talks.closing = true;
            let kind = k[ModelKind::TalksCollapse];
            out(negotiation_event(talks, run, day, kind, me, Some(p.adversary)));
            return;
        }
    }
    let drive = p.rate_per_day * p.deal_urgency * att;
    if talks.aid_cut_since.is_none() && u_partner < drive * p.on_partner {
        let kind = if talks.rebukes >= p.escalate_after {
            k[ModelKind::AidSuspended]
        } else {
            k[ModelKind::PublicRebuke]
        };
        out(negotiation_event(talks, run, day, kind, me, Some(p.partner)));
    }
    if u_adversary < drive * p.on_adversary {
        let kind = if talks.threats >= p.escalate_after {
            k[ModelKind::SanctionsImposed]
        } else {
            k[ModelKind::SanctionsThreat]
        };
        out(negotiation_event(talks, run, day, kind, me, Some(p.adversary)));
    }
    if let Some(demand) = adv_relief_demand {
        let chance = p.relief_rate_per_day * p.deal_urgency * att * (1.0 - p.maximalism) * demand;
        if !talks.relief_given && u_relief < chance {
            let kind = k[ModelKind::SanctionsRelief];
            out(negotiation_event(talks, run, day, kind, me, Some(p.adversary)));
        }
    }
    if talks.aid_cut_since.is_some() && talks.conceded_under_cut {
        out(negotiation_event(talks, run, day, k[ModelKind::AidRestored], me, Some(p.partner)));
    }
}

/// Overtures to Pyongyang at `overture_rate_per_day`, on their own stream: they do not depend
/// on how the Ukraine talks go (fact, 2025-01: Trump would "reach out" again).
pub fn make_overtures(
    setup: Res<Setup>,
    clock: Res<Clock>,
    roster: Res<Roster>,
    mediators: Query<(&ActorId, &RunIdx, &Mediating)>,
    mut rngs: ResMut<PerRun<Rngs>>,
    mut out: MessageWriter<Occurred>,
) {
    for &ent in roster.active_entities() {
        let Ok((id, run, m)) = mediators.get(ent) else { continue };
        let run = run.get();
        let s = setup.of(run);
        if s.replayed(clock.day) {
            continue;
        }
        if happens(&mut rngs.0[run].overture, m.overture_rate_per_day) {
            out.write(Occurred {
                run: run as u32,
                day: clock.day,
                kind: s.kinds[ModelKind::SummitOverture],
                source: id.0,
                target: Some(m.overture_target),
                magnitude: 1.0,
                uid: Occurred::uid(Origin::Overture, 0, clock.day),
            });
        }
    }
}

/// Each belligerent concedes at hazard `(1 - resolve)(1 - stalling)(base + pressure)`; resolve
/// recovers toward its baseline with time constant `resolve_recovery_days`.
pub fn respond_to_pressure(
    setup: Res<Setup>,
    clock: Res<Clock>,
    mut talks: ResMut<PerRun<Talks>>,
    mut rngs: ResMut<PerRun<Rngs>>,
    roster: Res<Roster>,
    mut q: Query<(&mut Resolve, &Stalling, &Disposition)>,
    mut out: MessageWriter<Occurred>,
) {
    for run in 0..roster.active {
        let s = setup.of(run);
        let Some(c) = &s.conflict else { continue };
        let n = &c.negotiation;
        let talks = &mut talks.0[run];
        for (who, is_partner) in [(c.partner, true), (c.adversary, false)] {
            let u = uniform(&mut rngs.0[run].negotiation);
            let Ok((mut resolve, stalling, b)) = q.get_mut(roster.get(run, who)) else {
                continue;
            };
            resolve.value += (resolve.baseline - resolve.value) / n.resolve_recovery_days;
            resolve.value = resolve.value.clamp(0.0, 1.0);
            if !talks.is_open() || s.replayed(clock.day) {
                continue;
            }
            if u < concession_hazard(talks, n, is_partner, resolve.value, stalling.0, b) {
                let kind = s.kinds[ModelKind::Concession];
                let mediator = Some(s.mediator.actor.index);
                let e = negotiation_event(talks, run, clock.day, kind, who, mediator);
                out.write(e);
            }
        }
    }
}

/// A belligerent's daily hazard of conceding: `(1 - resolve)(1 - stalling)(base + pressure)`,
/// the pressure on the partner being the aid cut, on the adversary sanctions and relief.
pub(crate) fn concession_hazard(
    talks: &Talks,
    n: &sidelines_scenario::Negotiation,
    is_partner: bool,
    resolve: f64,
    stalling: f64,
    b: &Disposition,
) -> f64 {
    let pressure = if is_partner {
        if talks.aid_cut_since.is_some() {
            b.aid_dependence * n.aid_cut_concession_rate_per_day
        } else {
            0.0
        }
    } else {
        let relief = if talks.relief_given { b.sanctions_relief_demand } else { 0.0 };
        talks.sanctions_level() * n.sanctions_concession_rate_per_day
            + relief * n.relief_concession_rate_per_day
    };
    (1.0 - resolve) * (1.0 - stalling) * (n.base_concession_rate_per_day + pressure)
}

/// Today's milestone or end of the talks, from yesterday's progress: the Black Sea pause, the
/// comprehensive ceasefire, a settlement (on Russia's terms when the partner made most of the
/// concessions); `None` when progress has reached none of them.
pub(crate) fn milestone(
    talks: &Talks,
    n: &sidelines_scenario::Negotiation,
    k: &ModelKinds,
) -> Option<usize> {
    if !talks.black_sea && talks.progress >= n.black_sea_at {
        Some(k[ModelKind::BlackSeaDeal])
    } else if !talks.comprehensive && talks.progress >= n.comprehensive_at {
        Some(k[ModelKind::ComprehensiveCeasefire])
    } else if talks.progress >= 1.0 - 1e-12 {
        let total = talks.partner_concessions + talks.adversary_concessions;
        let share =
            if total == 0 { 0.0 } else { f64::from(talks.partner_concessions) / f64::from(total) };
        if share >= n.russian_terms_share {
            Some(k[ModelKind::SettlementRussianTerms])
        } else {
            Some(k[ModelKind::SettlementBalanced])
        }
    } else {
        None
    }
}

/// Milestones and the end of the talks, at most one a day, from yesterday's progress.
pub fn advance_talks(
    setup: Res<Setup>,
    clock: Res<Clock>,
    roster: Res<Roster>,
    mut talks: ResMut<PerRun<Talks>>,
    mut out: MessageWriter<Occurred>,
) {
    for run in 0..roster.active {
        let s = setup.of(run);
        let Some(c) = &s.conflict else { continue };
        let n = &c.negotiation;
        let k = &s.kinds;
        let talks = &mut talks.0[run];
        if !talks.is_open() || s.replayed(clock.day) {
            continue;
        }
        let Some(kind) = milestone(talks, n, k) else { continue };
        out.write(negotiation_event(talks, run, clock.day, kind, s.mediator.actor.index, None));
    }
}

/// Intensity relaxes toward the level the talks allow; the adversary's need for munitions
/// follows it (the article: the war is what makes Pyongyang valuable to Moscow).
pub fn update_war(
    setup: Res<Setup>,
    talks: Res<PerRun<Talks>>,
    roster: Res<Roster>,
    mut war: ResMut<PerRun<War>>,
    mut need: Query<&mut MunitionsNeed>,
) {
    for run in 0..roster.active {
        let s = setup.of(run);
        let Some(c) = &s.conflict else { continue };
        let w = &c.war;
        let talks = &talks.0[run];
        let war = &mut war.0[run];
        let target = match talks.outcome {
            Some((o, _)) if o.is_settlement() => w.intensity_settled,
            Some(_) => w.intensity_fighting,
            None if talks.comprehensive => w.intensity_ceasefire,
            None => w.intensity_fighting,
        };
        war.intensity += (target - war.intensity) / w.relaxation_days;
        if let Ok(mut nd) = need.get_mut(roster.get(run, c.adversary)) {
            let goal = (w.munitions_per_intensity * war.intensity).clamp(0.0, 1.0);
            nd.0 += (goal - nd.0) / w.relaxation_days;
        }
    }
}
