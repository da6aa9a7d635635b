//! From what happened to what each observer perceives, and when.
//!
//! An observer perceives an event it is party to at once and exactly. Otherwise it needs a
//! channel to the event's source or target: it then hears of the event with probability
//! `visibility × attention`, after a delay drawn uniformly from the channel's range, and misreads
//! its significance by a log-normal factor with mean 1 and log-scale s.d. `noise`. The draws for
//! one (event, observer) pair come from their own counter-based generator, so what an observer
//! perceives of one event never depends on what else happened in the run.

use bevy_ecs::prelude::*;
use rand_distr::{Distribution, StandardNormal};
use sidelines_scenario::{Channel, Scenario};

use crate::shared::*;

/// An event as one observer will take it in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Percept {
    pub due_day: u32,
    pub kind: usize,
    /// The observer is the event's source or target.
    pub involves_self: bool,
    /// Magnitude times the misreading factor.
    pub strength: f64,
}

/// An observer's channels (`watches`): whose conduct it follows, how attentively, with what
/// delay and noise.
#[derive(Component, Clone, Debug, Default, PartialEq)]
pub struct Channels(pub Vec<Channel>);

/// Perceived events waiting for their due day, in one bucket per day of a ring as long as the
/// observer's longest delay: bucket `d % len` holds what is due on day `d`, in the order it
/// arrived. A percept is due at most the longest delay after the day it is perceived (events
/// are propagated the day they happen or the next, and `due` is never before today), so a
/// bucket is emptied on its day before the ring comes round to it again. One list scanned
/// every day for what was due was a twelfth of a batch's cycles (it held every percept still
/// in flight).
#[derive(Component, Clone, Debug, Default, PartialEq)]
pub struct Inbox {
    days: Vec<Vec<Percept>>,
}

impl Inbox {
    /// An empty inbox for an observer whose longest channel delay is `longest` days.
    pub fn new(longest: u32) -> Inbox {
        let mut inbox = Inbox::default();
        inbox.reset(longest);
        inbox
    }

    /// Empties it for a new run, keeping its allocations.
    pub fn reset(&mut self, longest: u32) {
        self.days.resize_with(longest as usize + 1, Vec::new);
        self.days.iter_mut().for_each(Vec::clear);
    }

    /// An observer's longest delay: what its inbox must hold.
    pub fn longest(channels: &[Channel]) -> u32 {
        channels.iter().map(|c| c.delay_max_days).max().unwrap_or(0)
    }

    pub fn push(&mut self, p: Percept) {
        self.bucket(p.due_day).push(p);
    }

    /// What is due on `day`, in the order it arrived; the caller empties it.
    pub fn due(&mut self, day: u32) -> &mut Vec<Percept> {
        self.bucket(day)
    }

    fn bucket(&mut self, day: u32) -> &mut Vec<Percept> {
        if self.days.is_empty() {
            // A default inbox, never reset: one bucket.
            self.days.push(Vec::new());
        }
        let len = self.days.len();
        &mut self.days[day as usize % len]
    }
}

/// One row of events.csv: an event and, per observer, the day it was perceived.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRecord {
    pub day: u32,
    pub kind: usize,
    pub source: usize,
    pub target: Option<usize>,
    pub magnitude: f64,
    /// Indexed like `Simulation::observers()`.
    pub perceived: Vec<Option<u32>>,
}

/// Every event of one run, when recording is on.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    pub enabled: bool,
    pub records: Vec<EventRecord>,
}

/// What observer `observer` perceives of `e` on day `today`, if anything: at once and exactly
/// when it is party to it, else through its most attentive channel to the event's source or
/// target (seen with probability `visibility × attention`, after a delay, misread by a
/// log-normal factor); nothing due at or past the horizon. Always three draws from the pair's
/// own generator.
pub(crate) fn perceive(
    s: &Scenario,
    rngs: &Rngs,
    e: &Occurred,
    observer: usize,
    channels: &[Channel],
    today: u32,
) -> Option<Percept> {
    let kind = &s.events[e.kind];
    let mut rng = rngs.perception(e.uid, observer);
    let u_seen = uniform(&mut rng);
    let u_delay = uniform(&mut rng);
    let z: f64 = StandardNormal.sample(&mut rng);
    let (due, noise, involves_self) = if e.involves(observer) {
        (e.day, 0.0, true)
    } else {
        let channel = channels
            .iter()
            .filter(|c| c.actor.index == e.source || Some(c.actor.index) == e.target)
            .max_by(|a, b| a.attention.total_cmp(&b.attention));
        let c = channel.filter(|c| u_seen < kind.visibility * c.attention)?;
        let span = f64::from(c.delay_max_days - c.delay_min_days + 1);
        let delay =
            c.delay_min_days + ((u_delay * span) as u32).min(c.delay_max_days - c.delay_min_days);
        (e.day + delay, c.noise, false)
    };
    // Something emitted after yesterday's propagation arrives today at the earliest.
    let due = due.max(today);
    if due >= s.horizon_days {
        return None;
    }
    let factor = if noise > 0.0 { (noise * z - 0.5 * noise * noise).exp() } else { 1.0 };
    Some(Percept { due_day: due, kind: e.kind, involves_self, strength: e.magnitude * factor })
}

/// Channels decide who perceives each event, when, and how strongly.
pub fn propagate_events(
    setup: Res<Setup>,
    clock: Res<Clock>,
    rngs: Res<PerRun<Rngs>>,
    roster: Res<Roster>,
    mut logs: ResMut<PerRun<EventLog>>,
    mut events: MessageReader<Occurred>,
    mut observers: Query<(&ActorId, &Channels, &mut Inbox)>,
) {
    for e in events.read() {
        let run = e.run as usize;
        let s = setup.of(run);
        let rngs = &rngs.0[run];
        let log = &mut logs.0[run];
        let mut perceived = Vec::new();
        for &ent in roster.run(run) {
            let Ok((id, channels, mut inbox)) = observers.get_mut(ent) else { continue };
            let i = id.0;
            let percept = perceive(s, rngs, e, i, &channels.0, clock.day);
            if let Some(p) = percept {
                inbox.push(p);
            }
            if log.enabled {
                perceived.push(percept.map(|p| p.due_day));
            }
        }
        if log.enabled {
            log.records.push(EventRecord {
                day: e.day,
                kind: e.kind,
                source: e.source,
                target: e.target,
                magnitude: e.magnitude,
                perceived,
            });
        }
    }
}
