//! Exogenous processes: exercises, reassurances, missile tests, arms deliveries, courtship.
//!
//! Each background process fires at its constant daily rate on its own stream with exactly one
//! draw a day, so two runs with the same seed see the same background script however the
//! Ukraine talks go (this is what the null check of the `transfer` assumption relies on).
//! Courtship gestures fire at the courting observer's current rate, on a stream of their own.

use bevy_ecs::prelude::*;

use crate::alignment::{Courting, Courtship};
use crate::shared::*;
use sidelines_scenario::ModelKind;

/// Each background process fires with probability `rate_per_day` today.
pub fn fire_background(
    setup: Res<Setup>,
    clock: Res<Clock>,
    roster: Res<Roster>,
    mut rngs: ResMut<PerRun<Rngs>>,
    mut out: MessageWriter<Occurred>,
) {
    for run in 0..roster.active {
        if setup.of(run).replayed(clock.day) {
            continue;
        }
        let rng = &mut rngs.0[run].background;
        for (i, b) in setup.of(run).background.iter().enumerate() {
            if happens(rng, b.rate_per_day) {
                out.write(Occurred {
                    run: run as u32,
                    day: clock.day,
                    kind: b.kind,
                    source: b.source,
                    target: b.target,
                    magnitude: 1.0,
                    uid: Occurred::uid(Origin::Background, i as u32, clock.day),
                });
            }
        }
    }
}

/// A courting observer makes a gesture today with probability `1 - exp(-level)`.
pub fn court_target(
    setup: Res<Setup>,
    clock: Res<Clock>,
    roster: Res<Roster>,
    mut rngs: ResMut<PerRun<Rngs>>,
    q: Query<(&ActorId, &RunIdx, &Courting, &Courtship)>,
    mut out: MessageWriter<Occurred>,
) {
    for &ent in roster.active_entities() {
        let Ok((id, run, p, c)) = q.get(ent) else { continue };
        let s = setup.of(run.get());
        if happens(&mut rngs.0[run.get()].courtship, 1.0 - (-c.level).exp()) {
            out.write(Occurred {
                run: run.0,
                day: clock.day,
                kind: s.kinds[ModelKind::ChinaCourtship],
                source: id.0,
                target: Some(p.target),
                magnitude: 1.0,
                uid: Occurred::uid(Origin::Courtship, id.0 as u32, clock.day),
            });
        }
    }
}
