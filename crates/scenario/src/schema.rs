//! The scenario file as written: serde structs that mirror the TOML one to one.
//!
//! Every struct denies unknown fields, so a misspelt key is an error rather than a silently
//! ignored assumption. Nothing here is checked beyond its type; `validate.rs` turns a
//! `RawScenario` into a `Scenario` and reports every semantic problem with its field path.
//! Optional fields are optional because they belong to one role only (a belligerent's resolve),
//! never to supply a silent default for a scientific parameter.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

/// A map that keeps the order its keys have in the file (hypotheses, priors, lanes).
#[derive(Clone, Debug, PartialEq)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<V> OrderedMap<V> {
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for PairsVisitor<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    pairs.push((k, v));
                }
                Ok(OrderedMap(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor(PhantomData))
    }
}

/// A whole number, written as an integer or as a float with no fractional part (`365.0`), so
/// files and parameter paths (which carry floats) agree.
fn whole<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct WholeVisitor;
    impl Visitor<'_> for WholeVisitor {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom("integer out of range"))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i64, E> {
            if v.fract() == 0.0 && v.abs() < 9.0e15 {
                Ok(v as i64)
            } else {
                Err(E::invalid_type(serde::de::Unexpected::Float(v), &self))
            }
        }
    }
    d.deserialize_any(WholeVisitor)
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    pub description: String,
    pub start_date: toml::value::Datetime,
    #[serde(deserialize_with = "whole")]
    pub horizon_days: i64,
    pub hypotheses: OrderedMap<RawHypothesis>,
    pub actors: Vec<RawActor>,
    pub mediator: RawMediator,
    pub negotiation: RawNegotiation,
    pub war: RawWar,
    pub beliefs: RawBeliefs,
    pub alignment: RawAlignment,
    pub events: OrderedMap<RawEventKind>,
    #[serde(default)]
    pub background: OrderedMap<RawBackground>,
    #[serde(default)]
    pub timeline: Vec<RawScripted>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHypothesis {
    pub description: String,
    pub trust: f64,
    pub coercion: f64,
    pub abandonment: f64,
    pub engagement_payoff: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Mediator,
    Belligerent,
    Observer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Partner,
    Adversary,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActor {
    pub code: String,
    pub name: String,
    pub role: Role,
    // belligerents
    pub side: Option<Side>,
    pub resolve: Option<f64>,
    pub aid_dependence: Option<f64>,
    pub stalling: Option<f64>,
    pub sanctions_relief_demand: Option<f64>,
    pub munitions_need: Option<f64>,
    // observers
    pub transfer: Option<f64>,
    pub prior: Option<OrderedMap<f64>>,
    #[serde(default)]
    pub watches: Vec<RawChannel>,
    pub alignment: Option<RawActorAlignment>,
    pub courtship: Option<RawCourtship>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    pub actor: String,
    pub attention: f64,
    #[serde(deserialize_with = "whole")]
    pub delay_min_days: i64,
    #[serde(deserialize_with = "whole")]
    pub delay_max_days: i64,
    pub noise: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActorAlignment {
    pub weights: OrderedMap<f64>,
    pub leverage: f64,
    pub leverage_from: String,
    pub courted_by: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCourtship {
    pub target: String,
    pub base_per_day: f64,
    pub per_tilt_per_day: f64,
    pub tilt_reference: f64,
    pub adjust_days: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMediator {
    pub actor: String,
    pub pressure_on_partner: f64,
    pub pressure_on_adversary: f64,
    pub deal_urgency: f64,
    pub attention_half_life_days: f64,
    pub maximalism: f64,
    pub overture_rate_per_day: f64,
    pub initial_attention: f64,
    pub disengage_below: f64,
    pub talks_round_rate_per_day: f64,
    pub pressure_rate_per_day: f64,
    #[serde(deserialize_with = "whole")]
    pub escalate_after: i64,
    pub relief_rate_per_day: f64,
    pub overture_target: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNegotiation {
    pub initial_progress: f64,
    pub progress_per_concession: f64,
    pub black_sea_at: f64,
    pub comprehensive_at: f64,
    pub relief_required_above: f64,
    pub russian_terms_share: f64,
    pub collapse_hazard_per_round: f64,
    pub base_concession_rate_per_day: f64,
    pub aid_cut_concession_rate_per_day: f64,
    pub sanctions_concession_rate_per_day: f64,
    pub relief_concession_rate_per_day: f64,
    pub resolve_recovery_days: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWar {
    pub intensity: f64,
    pub intensity_fighting: f64,
    pub intensity_ceasefire: f64,
    pub intensity_settled: f64,
    pub relaxation_days: f64,
    pub munitions_per_intensity: f64,
    pub leverage_adjust_days: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBeliefs {
    pub statement_weight: f64,
    pub forgetting_per_day: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlignment {
    pub inertia_per_day: f64,
    pub temperature: f64,
    pub russia_utility: f64,
    pub russia_per_leverage: f64,
    pub china_utility: f64,
    pub china_per_courtship: f64,
    pub us_engagement_utility: f64,
    pub us_per_engagement_payoff: f64,
    pub self_reliance_utility: f64,
    pub shock_half_life_days: f64,
    pub accept_talks_above: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Action,
    Statement,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEventKind {
    pub class: Class,
    pub visibility: f64,
    pub likelihood: OrderedMap<f64>,
    #[serde(default)]
    pub effects: Vec<RawEffect>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEffect {
    pub actor: Option<String>,
    pub role: Option<Role>,
    pub variable: String,
    pub delta: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBackground {
    pub kind: String,
    pub source: String,
    pub target: Option<String>,
    pub rate_per_day: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScripted {
    #[serde(deserialize_with = "whole")]
    pub day: i64,
    pub kind: String,
    pub source: String,
    pub target: Option<String>,
    pub magnitude: Option<f64>,
}
