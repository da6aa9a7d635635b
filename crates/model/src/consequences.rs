//! The one place events change the world, whichever process emitted them: the model's own
//! deciding systems, background processes, or a scripted timeline.
//!
//! Its own phase (`Consequences`), after every deciding system and before anything that reads
//! the state they change, and its own module: it writes components of every mechanism
//! (attention, resolve, lanes, courtship), so it sits above them all in the imports and none of
//! them needs another's.

use bevy_ecs::prelude::*;
use sidelines_scenario::{ModelKind, Scenario, Variable};

use crate::alignment::{Acceptance, Courtship, Lanes, Leverage};
use crate::negotiation::{Attention, Disposition, Resolve, Stalling, Talks, TalksOutcome};
use crate::shared::*;

/// What an event's bookkeeping asks of the observers: the counterpart whose engagement ended
/// with the talks, and whether the event's source now holds a moratorium on its tests.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Bookkeeping {
    pub disengaged: Option<usize>,
    pub moratorium: Option<bool>,
}

/// The talks' bookkeeping of one event on `day` (the ECS system and the floor both call it):
/// concessions move progress (`demand`, the adversary's demand for sanctions relief, caps it
/// short of the Black Sea pause until relief is given), milestones, pressure and relief are
/// counted, and the talks end or resume.
pub(crate) fn bookkeeping(
    talks: &mut Talks,
    s: &Scenario,
    e: &Occurred,
    day: u32,
    demand: impl FnOnce() -> f64,
) -> Bookkeeping {
    let k = &s.kinds;
    let open = talks.is_open();
    let resumption = s.mechanisms.resumption > 0.0;
    let counterpart = s.mediator.counterpart.as_ref().map(|c| c.index);
    let mut done = Bookkeeping::default();
    let mut end = |t: &mut Talks, o: TalksOutcome| {
        if t.outcome.is_none() {
            t.outcome = Some((o, day));
        }
        // Applied: the talks are closed by their outcome now, which a resumption can undo.
        t.closing = false;
        if resumption && !o.is_final() {
            done.disengaged = counterpart;
        }
    };
    // Concessions move a war's talks; an episode without one has no progress.
    if e.kind == k[ModelKind::Concession]
        && open
        && let Some(c) = &s.conflict
    {
        let n = &c.negotiation;
        if e.source == c.partner {
            talks.partner_concessions += 1;
            if talks.aid_cut_since.is_some() {
                talks.conceded_under_cut = true;
            }
        } else if e.source == c.adversary {
            talks.adversary_concessions += 1;
        }
        let mut next = talks.progress + n.progress_per_concession * e.magnitude;
        // Moscow tied the Black Sea pause to sanctions relief (2025-03-25): without it,
        // progress stops short of that milestone.
        if !talks.black_sea && !talks.relief_given && demand() > n.relief_required_above {
            next = next.min(n.black_sea_at - 1e-9);
        }
        talks.progress = next.min(1.0);
    }
    match e.kind {
        x if x == k[ModelKind::BlackSeaDeal] => talks.black_sea = true,
        x if x == k[ModelKind::ComprehensiveCeasefire] => talks.comprehensive = true,
        x if x == k[ModelKind::AidSuspended] => {
            talks.aid_cut_since = Some(e.day);
            talks.conceded_under_cut = false;
        }
        x if x == k[ModelKind::AidRestored] => {
            talks.aid_cut_since = None;
            talks.conceded_under_cut = false;
            talks.rebukes = 0;
        }
        x if x == k[ModelKind::PublicRebuke] => talks.rebukes += 1,
        x if x == k[ModelKind::SanctionsThreat] => talks.threats += 1,
        x if x == k[ModelKind::SanctionsImposed] => talks.sanctions_imposed += 1,
        x if x == k[ModelKind::SanctionsRelief] => talks.relief_given = true,
        x if x == k[ModelKind::SettlementRussianTerms] => {
            talks.progress = 1.0;
            end(talks, TalksOutcome::SettlementRussianTerms);
        }
        x if x == k[ModelKind::SettlementBalanced] => {
            talks.progress = 1.0;
            end(talks, TalksOutcome::SettlementBalanced);
        }
        x if x == k[ModelKind::TalksCollapse] => end(talks, TalksOutcome::TalksCollapse),
        x if x == k[ModelKind::UsDisengages] => end(talks, TalksOutcome::UsDisengaged),
        x if x == k[ModelKind::Agreement] => end(talks, TalksOutcome::Agreement),
        x if x == k[ModelKind::TalksResumed]
            && resumption
            && talks.outcome.is_some_and(|(o, _)| !o.is_final()) =>
        {
            talks.outcome = None;
            talks.closing = false;
        }
        x if x == k[ModelKind::TestMoratorium] || x == k[ModelKind::MoratoriumEnded] => {
            done.moratorium = Some(x == k[ModelKind::TestMoratorium]);
        }
        _ => {}
    }
    done
}

/// The one place events change the world: the talks' bookkeeping, then each kind's declared
/// direct effects.
pub fn apply_events(
    setup: Res<Setup>,
    clock: Res<Clock>,
    mut talks: ResMut<PerRun<Talks>>,
    roster: Res<Roster>,
    mut events: MessageReader<Occurred>,
    mut attention: Query<&mut Attention>,
    mut belligerents: Query<(&mut Resolve, &mut Stalling)>,
    mut lanes: Query<(&mut Lanes, &mut Leverage)>,
    mut courtship: Query<&mut Courtship>,
    mut engagement: Query<&mut Acceptance>,
    dispositions: Query<&Disposition>,
) {
    for e in events.read() {
        let run = e.run as usize;
        let s = setup.of(run);
        let demand = || {
            s.conflict.as_ref().map_or(0.0, |c| {
                dispositions
                    .get(roster.get(run, c.adversary))
                    .map_or(0.0, |d| d.sanctions_relief_demand)
            })
        };
        let done = bookkeeping(&mut talks.0[run], s, e, clock.day, demand);
        // With resumption, an observer's engagement ends with the talks it is party to, so that
        // it answers the next overture afresh (2005: Pyongyang boycotted, then came back);
        // before, an acceptance was for good.
        if let Some(c) = done.disengaged
            && let Ok(mut acc) = engagement.get_mut(roster.get(run, c))
        {
            acc.engaged = false;
        }
        if let Some(on) = done.moratorium
            && let Ok(mut acc) = engagement.get_mut(roster.get(run, e.source))
        {
            acc.moratorium = on;
        }
        for fx in &s.events[e.kind].effects {
            let delta = fx.delta * e.magnitude;
            for &who in &fx.actors {
                let ent = roster.get(run, who);
                match fx.variable {
                    Variable::Attention => {
                        if let Ok(mut a) = attention.get_mut(ent) {
                            a.0 = (a.0 + delta).clamp(0.0, 1.0);
                        }
                    }
                    Variable::Resolve => {
                        if let Ok((mut r, _)) = belligerents.get_mut(ent) {
                            r.value = (r.value + delta).clamp(0.0, 1.0);
                        }
                    }
                    Variable::Stalling => {
                        if let Ok((_, mut st)) = belligerents.get_mut(ent) {
                            st.0 = (st.0 + delta).clamp(0.0, 1.0);
                        }
                    }
                    Variable::Utility(lane) => {
                        if let Ok((mut l, _)) = lanes.get_mut(ent) {
                            l.shocks[lane] += delta;
                        }
                    }
                    Variable::Leverage => {
                        if let Ok((_, mut lev)) = lanes.get_mut(ent) {
                            lev.0 = (lev.0 + delta).clamp(0.0, 1.0);
                        }
                    }
                    Variable::Courtship => {
                        if let Ok(mut c) = courtship.get_mut(ent) {
                            c.level = (c.level + delta).clamp(0.0, 1.0);
                        }
                    }
                    Variable::Standing(lane) => {
                        if let Ok((mut l, _)) = lanes.get_mut(ent) {
                            l.standing[lane] += delta * s.mechanisms.standing;
                        }
                    }
                    Variable::Offer => {
                        if let Ok((mut l, _)) = lanes.get_mut(ent) {
                            l.offer = (l.offer + delta * s.mechanisms.offers).clamp(0.0, 1.0);
                        }
                    }
                }
            }
        }
    }
}
