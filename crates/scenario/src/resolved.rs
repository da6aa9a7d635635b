//! The validated scenario: indices instead of names, every reference checked.
//!
//! The model reads only these types. Once a `Scenario` exists nothing about it can be wrong:
//! every actor code, event kind and hypothesis has been resolved to an index, every number is
//! finite and inside its declared domain, and every distribution sums to one.

pub use crate::schema::{Class, Role, Side};

/// The hedging lanes a small power weighs (Snyder 1984 for the ally's dilemma; the article's
/// "if one lane is blocked, look for another").
pub const LANES: [&str; 4] = ["russia", "china", "us_engagement", "self_reliance"];
pub const LANE_RUSSIA: usize = 0;
pub const LANE_CHINA: usize = 1;
pub const LANE_US: usize = 2;
pub const LANE_SELF: usize = 3;

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub start_date: jiff::civil::Date,
    pub horizon_days: u32,
    pub hypotheses: Vec<Hypothesis>,
    pub actors: Vec<Actor>,
    pub mediator: Mediator,
    pub negotiation: Negotiation,
    pub war: War,
    pub beliefs: Beliefs,
    pub alignment: Alignment,
    pub events: Vec<EventKind>,
    pub kinds: ModelKinds,
    pub background: Vec<Background>,
    pub timeline: Vec<Scripted>,
    /// The resolved document (variants applied): what the manifest records and what parameter
    /// paths address.
    pub document: toml::Table,
}

impl Scenario {
    /// The calendar date of a simulated day, as `YYYY-MM-DD`.
    pub fn date(&self, day: u32) -> String {
        let span = jiff::Span::new().days(i64::from(day));
        match self.start_date.checked_add(span) {
            Ok(d) => d.to_string(),
            // Only reachable past year 9999, which the horizon's domain excludes.
            Err(_) => String::new(),
        }
    }

    pub fn actor_index(&self, code: &str) -> Option<usize> {
        self.actors.iter().position(|a| a.code == code)
    }

    pub fn event_index(&self, name: &str) -> Option<usize> {
        self.events.iter().position(|e| e.name == name)
    }

    /// Observers, in file order.
    pub fn observers(&self) -> impl Iterator<Item = (usize, &Actor, &ObserverParams)> {
        self.actors.iter().enumerate().filter_map(|(i, a)| match &a.kind {
            ActorKind::Observer(o) => Some((i, a, o)),
            _ => None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Hypothesis {
    pub name: String,
    pub description: String,
    /// How far an observer can rely on a US of this type, in [0, 1].
    pub trust: f64,
    /// How likely a US of this type is to coerce an ally into a deal it finds too weak.
    pub coercion: f64,
    /// How likely a US of this type is to walk away from an ally.
    pub abandonment: f64,
    /// What engaging a US of this type pays a small adversary, in [0, 1].
    pub engagement_payoff: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Actor {
    pub code: String,
    pub name: String,
    pub role: Role,
    pub kind: ActorKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ActorKind {
    Mediator,
    Belligerent(BelligerentParams),
    Observer(ObserverParams),
}

#[derive(Clone, Debug, PartialEq)]
pub struct BelligerentParams {
    pub side: Side,
    pub resolve: f64,
    pub aid_dependence: f64,
    pub stalling: f64,
    pub sanctions_relief_demand: f64,
    /// The need for the observers' munitions; the adversary's only.
    pub munitions_need: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ObserverParams {
    pub transfer: f64,
    /// One probability per hypothesis, in hypothesis order; sums to 1.
    pub prior: Vec<f64>,
    pub watches: Vec<Channel>,
    pub alignment: Option<ActorAlignment>,
    pub courtship: Option<Courtship>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Channel {
    pub actor: usize,
    pub attention: f64,
    pub delay_min_days: u32,
    pub delay_max_days: u32,
    pub noise: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActorAlignment {
    /// One weight per lane of `LANES`; sums to 1.
    pub weights: [f64; 4],
    pub leverage: f64,
    pub leverage_from: usize,
    pub courted_by: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Courtship {
    pub target: usize,
    pub base_per_day: f64,
    pub per_tilt_per_day: f64,
    pub tilt_reference: f64,
    pub adjust_days: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mediator {
    pub actor: usize,
    pub pressure_on_partner: f64,
    pub pressure_on_adversary: f64,
    pub deal_urgency: f64,
    pub attention_half_life_days: f64,
    pub maximalism: f64,
    pub overture_rate_per_day: f64,
    pub overture_target: usize,
    pub initial_attention: f64,
    pub disengage_below: f64,
    pub talks_round_rate_per_day: f64,
    pub pressure_rate_per_day: f64,
    pub escalate_after: u32,
    pub relief_rate_per_day: f64,
    /// The belligerent on the mediator's side and the one across the table.
    pub partner: usize,
    pub adversary: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Negotiation {
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

#[derive(Clone, Debug, PartialEq)]
pub struct War {
    pub intensity: f64,
    pub intensity_fighting: f64,
    pub intensity_ceasefire: f64,
    pub intensity_settled: f64,
    pub relaxation_days: f64,
    pub munitions_per_intensity: f64,
    pub leverage_adjust_days: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Beliefs {
    pub statement_weight: f64,
    pub forgetting_per_day: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alignment {
    pub inertia_per_day: f64,
    pub temperature: f64,
    /// Each lane's utility is a base plus a slope times its driver.
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

#[derive(Clone, Debug, PartialEq)]
pub struct EventKind {
    pub name: String,
    pub class: Class,
    pub visibility: f64,
    /// One likelihood per hypothesis, in hypothesis order.
    pub likelihood: Vec<f64>,
    pub effects: Vec<Effect>,
}

/// A direct consequence of an event on one variable of some actors.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    /// The actors it applies to (one named actor, or every actor of a role that carries the
    /// variable).
    pub actors: Vec<usize>,
    pub variable: Variable,
    pub delta: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variable {
    /// A belligerent's resolve.
    Resolve,
    /// A belligerent's stalling.
    Stalling,
    /// The mediator's attention to the talks.
    Attention,
    /// A transient shock to the utility of one hedging lane (index into `LANES`).
    Utility(usize),
    /// An observer's bargaining leverage.
    Leverage,
    /// A courting observer's courtship rate.
    Courtship,
}

impl Variable {
    pub fn parse(s: &str) -> Option<Variable> {
        Some(match s {
            "resolve" => Variable::Resolve,
            "stalling" => Variable::Stalling,
            "attention" => Variable::Attention,
            "leverage" => Variable::Leverage,
            "courtship" => Variable::Courtship,
            _ => {
                let lane = s.strip_prefix("utility.")?;
                Variable::Utility(LANES.iter().position(|l| *l == lane)?)
            }
        })
    }

    /// Whether an actor carries this variable.
    pub fn carried_by(self, actor: &Actor) -> bool {
        match (self, &actor.kind) {
            (Variable::Resolve | Variable::Stalling, ActorKind::Belligerent(_)) => true,
            (Variable::Attention, ActorKind::Mediator) => true,
            (Variable::Utility(_) | Variable::Leverage, ActorKind::Observer(o)) => {
                o.alignment.is_some()
            }
            (Variable::Courtship, ActorKind::Observer(o)) => o.courtship.is_some(),
            _ => false,
        }
    }
}

pub const VARIABLES: &str = "resolve, stalling, attention, leverage, courtship, \
utility.russia, utility.china, utility.us_engagement, utility.self_reliance";

/// The event kinds the model itself emits; each must be declared in the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelKinds {
    pub talks_round: usize,
    pub black_sea_deal: usize,
    pub comprehensive_ceasefire: usize,
    pub settlement_russian_terms: usize,
    pub settlement_balanced: usize,
    pub talks_collapse: usize,
    pub us_disengages: usize,
    pub aid_suspended: usize,
    pub aid_restored: usize,
    pub public_rebuke: usize,
    pub sanctions_threat: usize,
    pub sanctions_imposed: usize,
    pub sanctions_relief: usize,
    pub concession: usize,
    pub summit_overture: usize,
    pub china_courtship: usize,
    pub talks_accepted: usize,
}

/// Names of `ModelKinds`' fields, in declaration order.
pub const MODEL_KINDS: [&str; 17] = [
    "talks_round",
    "black_sea_deal",
    "comprehensive_ceasefire",
    "settlement_russian_terms",
    "settlement_balanced",
    "talks_collapse",
    "us_disengages",
    "aid_suspended",
    "aid_restored",
    "public_rebuke",
    "sanctions_threat",
    "sanctions_imposed",
    "sanctions_relief",
    "concession",
    "summit_overture",
    "china_courtship",
    "talks_accepted",
];

impl ModelKinds {
    pub fn from_indices(i: [usize; 17]) -> ModelKinds {
        ModelKinds {
            talks_round: i[0],
            black_sea_deal: i[1],
            comprehensive_ceasefire: i[2],
            settlement_russian_terms: i[3],
            settlement_balanced: i[4],
            talks_collapse: i[5],
            us_disengages: i[6],
            aid_suspended: i[7],
            aid_restored: i[8],
            public_rebuke: i[9],
            sanctions_threat: i[10],
            sanctions_imposed: i[11],
            sanctions_relief: i[12],
            concession: i[13],
            summit_overture: i[14],
            china_courtship: i[15],
            talks_accepted: i[16],
        }
    }
}

/// An exogenous process: an event of one kind between two actors, at a constant daily rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Background {
    pub name: String,
    pub kind: usize,
    pub source: usize,
    pub target: Option<usize>,
    pub rate_per_day: f64,
}

/// An event fixed in advance (a scripted what-if).
#[derive(Clone, Debug, PartialEq)]
pub struct Scripted {
    pub day: u32,
    pub kind: usize,
    pub source: usize,
    pub target: Option<usize>,
    pub magnitude: f64,
}
