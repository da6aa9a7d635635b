//! The parts of the scenario file whose resolved shape differs from the written one.
//!
//! Tables that the model reads as written (the mediator, the talks, the war, beliefs,
//! alignment, hypotheses, an actor's role-specific fields) are declared once in `resolved.rs`
//! and read by serde directly. What is left here is the file's outline and the tables that
//! resolve into another shape: event kinds (likelihoods become a vector in hypothesis order,
//! effects a list of actor indices), background processes and scripted events (names become
//! indices), and an actor's head (its role picks the struct its other fields are read into).
//! Every struct denies unknown fields, so a misspelt key is an error rather than a silently
//! ignored assumption.

use serde::Deserialize;

use crate::basic::{Class, OrderedMap, Role};
use crate::resolved::{
    Alignment, Beliefs, Hypothesis, Level, Mechanisms, Mediator, Negotiation, War,
};

parameters! {
    /// The file's outline. Actors are read in two steps (`ActorHead`, then the struct of the
    /// actor's role), so that a field of the wrong role gets its own message.
    pub struct RawScenario {
        pub name: String,
        pub description: String,
        pub start_date: toml::value::Datetime,
        pub horizon_days: u32 => "days simulated from start_date" [1, 36_500],
        pub hypotheses: OrderedMap<Hypothesis>,
        pub actors: Vec<toml::Table>,
        pub mediator: Mediator,
        /// With belligerents only.
        #[serde(default)]
        pub negotiation: Option<Negotiation>,
        /// With belligerents only.
        #[serde(default)]
        pub war: Option<War>,
        pub beliefs: Beliefs,
        /// Filled in whole by `params::fill_defaults` when the file leaves it out.
        #[serde(default)]
        pub mechanisms: Mechanisms,
        /// When an observer hedges.
        #[serde(default)]
        pub alignment: Option<Alignment>,
        pub events: OrderedMap<RawEventKind>,
        #[serde(default)]
        pub background: OrderedMap<RawBackground>,
        #[serde(default)]
        pub timeline: Vec<RawScripted>,
        #[serde(default)]
        pub record_until_day: Option<u32> => "a replay's last day of the record: the model's own processes that the record replaces are off through it" [0, 36_500],
        #[serde(default)]
        pub observed: Vec<RawObserved>,
    }
}

parameters! {
    /// What was observed on a day, to compare with the model's outcome there (`[[observed]]`).
    pub struct RawObserved {
        pub day: u32 => "the day of an observation of the record" [0, 36_500],
        pub outcome: String,
        pub observed: String,
        #[serde(default)]
        pub note: String,
    }
}

/// The fields every actor has; the rest of its table is read by its role.
#[derive(Clone, Debug, Deserialize)]
pub struct ActorHead {
    pub code: String,
    pub name: String,
    pub role: Role,
}

parameters! {
    pub struct RawEventKind {
        pub class: Class,
        /// Whose conduct it shows: `leader` or `state` (the default).
        #[serde(default)]
        pub level: Level,
        pub visibility: f64 => "chance an attentive observer hears of an event of this kind" [0.0, 1.0],
        // A likelihood is relative within one event kind; 0 would make a hypothesis impossible
        // forever after one observation, so it is excluded.
        pub likelihood: OrderedMap<f64> =>
            "how probable this event is under each hypothesis (only ratios matter)" [1e-6, 1.0],
        #[serde(default)]
        pub effects: Vec<RawEffect>,
    }
}

parameters! {
    pub struct RawEffect {
        #[serde(default)]
        pub actor: Option<String>,
        #[serde(default)]
        pub role: Option<Role>,
        pub variable: String,
        pub delta: f64 => "change of the variable each time the event happens" [-10.0, 10.0],
    }
}

parameters! {
    pub struct RawBackground {
        pub kind: String,
        pub source: String,
        #[serde(default)]
        pub target: Option<String>,
        pub rate_per_day: f64 => "daily probability of one such event" [0.0, 1.0],
    }
}

parameters! {
    pub struct RawScripted {
        pub day: u32 => "the day the scripted event happens" [0, 36_500],
        pub kind: String,
        pub source: String,
        #[serde(default)]
        pub target: Option<String>,
        #[serde(default)]
        pub magnitude: Option<f64> => "the event's strength (1 when left out)" [0.0, 10.0],
    }
}
