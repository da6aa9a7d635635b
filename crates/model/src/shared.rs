//! What every mechanism shares: the actor marker, the clock, the day's events, the runs' random
//! streams and the scenario itself.
//!
//! A world holds a block of runs of one scenario that advance in lockstep under one clock. Every
//! actor of every run is an entity with its `ActorId` and `RunIdx`; what belongs to a run as a
//! whole (the talks, the war, its random streams, its event log and trajectory) sits in a
//! `PerRun` column indexed by the run's place in the block. Messages carry their run.
//!
//! Randomness is split into named streams so that one process's draws never shift another's:
//! with the same seed, the background events (exercises, missile tests) of two branches that
//! differ only in the Ukraine talks are the same script. Perception draws are counter-based
//! (seeded from the event's identity and the observer) for the same reason.

use std::sync::Arc;

use bevy_ecs::prelude::*;
use rand::RngExt;
use rand_pcg::Pcg64;
use sidelines_scenario::Scenario;

/// One state actor; the index is its position in the scenario's actor list.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActorId(pub usize);

/// The run, within the world's block, that an actor entity belongs to.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunIdx(pub u32);

impl RunIdx {
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// Per-run state of the block, indexed by run (`RunIdx`).
#[derive(Resource, Clone, Debug, Default)]
pub struct PerRun<T>(pub Vec<T>);

/// The scenario of each run of the block (shared, read-only). Runs of one world may come from
/// different design points of a sweep: their scenarios then differ only in numbers, never in
/// actors, event kinds or horizon.
#[derive(Resource, Clone, Debug)]
pub struct Setup(pub Vec<Arc<Scenario>>);

impl Setup {
    /// The scenario of run `run`.
    pub fn of(&self, run: usize) -> &Scenario {
        &self.0[run]
    }
}

/// Entities by (run, actor index), run-major, and how many runs of the block are in use.
/// Systems that draw random numbers or emit messages visit runs in order and, within a run,
/// actors in scenario order through it.
#[derive(Resource, Clone, Debug, Default)]
pub struct Roster {
    pub actors: usize,
    pub entities: Vec<Entity>,
    /// Runs `0..active` are being simulated; the rest of the block idles.
    pub active: usize,
}

impl Roster {
    /// The entity of actor `actor` in run `run`.
    pub fn get(&self, run: usize, actor: usize) -> Entity {
        self.entities[run * self.actors + actor]
    }

    /// The entities of one run, in scenario order.
    pub fn run(&self, run: usize) -> &[Entity] {
        &self.entities[run * self.actors..(run + 1) * self.actors]
    }

    /// The active runs' entities, run by run.
    pub fn active_entities(&self) -> &[Entity] {
        &self.entities[..self.active * self.actors]
    }
}

/// The simulated day, counted from the scenario's start date.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    pub day: u32,
}

/// Which process produced an event; with the process's own counter it identifies the event
/// for counter-based perception draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Script = 1,
    Negotiation = 2,
    Overture = 3,
    Background = 4,
    Courtship = 5,
    Acceptance = 6,
    Initiative = 7,
    OwnMoves = 8,
}

/// Something that happened in one run on one day.
#[derive(Message, Clone, Copy, Debug, PartialEq)]
pub struct Occurred {
    pub run: u32,
    pub day: u32,
    pub kind: usize,
    pub source: usize,
    pub target: Option<usize>,
    pub magnitude: f64,
    /// Stable identity within the run: (origin, process index or counter, day).
    pub uid: u64,
}

impl Occurred {
    pub fn uid(origin: Origin, a: u32, day: u32) -> u64 {
        ((origin as u64) << 56) ^ (u64::from(a) << 24) ^ u64::from(day)
    }

    pub fn involves(&self, actor: usize) -> bool {
        self.source == actor || self.target == Some(actor)
    }
}

/// One run's random streams (Pcg64, one stream constant per process).
#[derive(Clone, Debug)]
pub struct Rngs {
    pub seed: u64,
    pub negotiation: Pcg64,
    pub overture: Pcg64,
    pub background: Pcg64,
    pub courtship: Pcg64,
    /// An observer's proposals of talks (`mechanisms.initiative`).
    pub initiative: Pcg64,
    /// An observer's own weapons tests (`mechanisms.own_moves`).
    pub own_moves: Pcg64,
    /// The error of an observer's answers to overtures (`mechanisms.quantal`).
    pub answers: Pcg64,
}

impl Rngs {
    pub fn new(seed: u64) -> Rngs {
        let state = u128::from(splitmix64(seed)) << 64 | u128::from(splitmix64(seed ^ 0x5EED));
        Rngs {
            seed,
            negotiation: Pcg64::new(state, 1),
            overture: Pcg64::new(state, 2),
            background: Pcg64::new(state, 3),
            courtship: Pcg64::new(state, 4),
            // Streams far from the perception streams (5 + observer index).
            initiative: Pcg64::new(state, 1 << 64),
            own_moves: Pcg64::new(state, (1 << 64) + 1),
            answers: Pcg64::new(state, (1 << 64) + 2),
        }
    }

    /// A generator for one (event, observer) pair, independent of everything else that
    /// happened in the run.
    pub fn perception(&self, uid: u64, observer: usize) -> Pcg64 {
        let a = splitmix64(self.seed ^ splitmix64(uid));
        let b = splitmix64(a ^ observer as u64);
        Pcg64::new(u128::from(a) << 64 | u128::from(b), 5 + observer as u128)
    }
}

/// A uniform draw in [0, 1); exactly one draw from the stream.
pub fn uniform(rng: &mut Pcg64) -> f64 {
    rng.random::<f64>()
}

/// A draw of a logistic error of scale `spread` (`spread × ln(u / (1 - u))`); no draw at all,
/// and 0, when `spread` is 0, so a model without the error keeps its streams as they were.
pub fn logistic_error(rng: &mut Pcg64, spread: f64) -> f64 {
    if spread <= 0.0 {
        return 0.0;
    }
    // u in (0, 1): the generator gives [0, 1), and 0 would be an infinite error.
    let u = uniform(rng).max(f64::MIN_POSITIVE);
    spread * (u / (1.0 - u)).ln()
}

/// Whether an event with daily probability `p` happens today; always one draw.
pub fn happens(rng: &mut Pcg64, p: f64) -> bool {
    uniform(rng) < p
}

/// SplitMix64's finaliser: a bijective mix of 64 bits (Steele, Lea and Flood 2014).
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The fraction of a quantity left after one day, given its half-life in days.
pub fn daily_retention(half_life_days: f64) -> f64 {
    0.5f64.powf(1.0 / half_life_days)
}
