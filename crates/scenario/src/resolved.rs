//! The validated scenario: what the model reads, every reference checked.
//!
//! Tables the model reads as written are declared here once, with `parameters!`, and serde
//! reads them straight from the file; validation then fills in what only the whole file can
//! tell (actor indices behind `ActorRef`s, distributions in hypothesis or lane order). Once a
//! `Scenario` exists nothing about it can be wrong: every actor code, event kind and hypothesis
//! has been resolved to an index, every number is finite and inside its declared domain, and
//! every distribution sums to one.

pub use crate::basic::{Class, OrderedMap, Role, Side};
pub use crate::declare::ActorRef;

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
    /// The war the mediator brokers and the talks over it, when the scenario has belligerents
    /// (`ukraine-watch`); none in an episode where the mediator talks directly to an observer.
    pub conflict: Option<Conflict>,
    pub beliefs: Beliefs,
    pub mechanisms: Mechanisms,
    /// Present when an observer hedges (has `[actors.alignment]`).
    pub alignment: Option<Alignment>,
    pub events: Vec<EventKind>,
    pub kinds: ModelKinds,
    pub background: Vec<Background>,
    pub timeline: Vec<Scripted>,
    /// In a replay, the last day of the record: through it, the events the record holds come
    /// from the record, and the model's own processes that it replaces (the mediator's moves,
    /// concessions and milestones, background rates, overtures) are off.
    pub record_until: Option<u32>,
    /// What was observed, to be compared with the runs (`replay`'s record check).
    pub observed: Vec<Observation>,
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

    /// Whether the record, not the model, drives the talks and background on `day`.
    pub fn replayed(&self, day: u32) -> bool {
        self.record_until.is_some_and(|last| day <= last)
    }

    pub fn actor_index(&self, code: &str) -> Option<usize> {
        self.actors.iter().position(|a| a.code == code)
    }

    pub fn event_index(&self, name: &str) -> Option<usize> {
        self.events.iter().position(|e| e.name == name)
    }

    /// Whether `other` has the same actors (codes and roles), event kinds and horizon, so that
    /// the two differ only in numbers (design points of one sweep) and their runs can share a
    /// world.
    pub fn same_shape(&self, other: &Scenario) -> bool {
        self.horizon_days == other.horizon_days
            && self.actors.len() == other.actors.len()
            && self
                .actors
                .iter()
                .zip(&other.actors)
                .all(|(a, b)| a.code == b.code && a.role == b.role)
            && self.events.len() == other.events.len()
            && self.events.iter().zip(&other.events).all(|(a, b)| a.name == b.name)
            && self.observed.len() == other.observed.len()
            && self.observed.iter().zip(&other.observed).all(|(a, b)| {
                // Where an observation was written does not change what the runs record.
                (a.day, &a.outcome, &a.expect) == (b.day, &b.outcome, &b.expect)
            })
    }

    /// Observers, in file order.
    pub fn observers(&self) -> impl Iterator<Item = (usize, &Actor, &ObserverParams)> {
        self.actors.iter().enumerate().filter_map(|(i, a)| match &a.kind {
            ActorKind::Observer(o) => Some((i, a, o)),
            _ => None,
        })
    }
}

parameters! {
    /// One answer to "what kind of actor is the US?", and what it would mean for an observer.
    pub struct Hypothesis {
        /// The key of its table, filled in by validation.
        #[serde(skip)]
        pub name: String,
        pub description: String,
        pub trust: f64 => "how far an observer can rely on a US of this type" [0.0, 1.0],
        pub coercion: f64 =>
            "how likely a US of this type is to coerce an ally into a deal it finds too weak"
            [0.0, 1.0],
        pub abandonment: f64 =>
            "how likely a US of this type is to walk away from an ally" [0.0, 1.0],
        pub engagement_payoff: f64 =>
            "what engaging a US of this type pays a small adversary" [0.0, 1.0],
    }
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

parameters! {
    /// A belligerent's fields (an actor with `role = "belligerent"`).
    pub struct BelligerentParams {
        pub side: Side,
        pub resolve: f64 => "willingness to hold out rather than concede" [0.0, 1.0],
        pub aid_dependence: f64 =>
            "how much a cut in the mediator's aid moves it to concede" [0.0, 1.0],
        pub stalling: f64 => "room to slow-walk the talks" [0.0, 1.0],
        pub sanctions_relief_demand: f64 =>
            "how firmly it ties progress to sanctions relief" [0.0, 1.0],
        /// The adversary's only.
        #[serde(default)]
        pub munitions_need: Option<f64> =>
            "the adversary's need for the observers' munitions at full-scale war" [0.0, 1.0],
    }
}

parameters! {
    /// An observer's fields (an actor with `role = "observer"`).
    pub struct ObserverParams {
        pub transfer: f64 =>
            "how far it reads the mediator's treatment of others as a precedent for itself"
            [0.0, 1.0],
        /// After validation: one probability per hypothesis, in hypothesis order, summing to 1.
        pub prior: OrderedMap<f64> => "day-0 probability of each hypothesis" [0.0, 1.0],
        #[serde(default)]
        pub watches: Vec<Channel>,
        #[serde(default)]
        pub alignment: Option<ActorAlignment>,
        #[serde(default)]
        pub courtship: Option<Courtship>,
    }
}

parameters! {
    /// How an observer hears of one actor's conduct.
    pub struct Channel {
        pub actor: ActorRef,
        pub attention: f64 => "chance it notices a visible event of this actor" [0.0, 1.0],
        pub delay_min_days: u32 => "shortest delay before it hears of an event" [0, 365],
        pub delay_max_days: u32 => "longest delay before it hears of an event" [0, 365],
        pub noise: f64 =>
            "how much one event's significance is misread (s.d. on the log-likelihood scale)"
            [0.0, 3.0],
    }
}

parameters! {
    /// A small power hedging between lanes (`LANES`).
    pub struct ActorAlignment {
        /// After validation: one weight per lane of `LANES`, in that order, summing to 1.
        pub weights: OrderedMap<f64> => "day-0 weight of each hedging lane" [0.0, 1.0],
        pub leverage: f64 => "day-0 bargaining leverage" [0.0, 1.0],
        /// The belligerent whose need for munitions is its leverage; without one, leverage
        /// stays at its day-0 value.
        #[serde(default)]
        pub leverage_from: Option<ActorRef>,
        /// The observer that courts it, if any.
        #[serde(default)]
        pub courted_by: Option<ActorRef>,
    }
}

impl ActorAlignment {
    /// The lane weights as an array in `LANES` order.
    pub fn lane_weights(&self) -> [f64; 4] {
        let mut w = [0.0; 4];
        for (slot, (_, v)) in w.iter_mut().zip(self.weights.iter()) {
            *slot = *v;
        }
        w
    }
}

parameters! {
    /// A power courting a small one (Beijing courting Pyongyang).
    pub struct Courtship {
        pub target: ActorRef,
        pub base_per_day: f64 => "courting gestures per day in ordinary times" [0.0, 1.0],
        pub per_tilt_per_day: f64 =>
            "extra gestures per day per unit of the target's tilt toward the mediator"
            [0.0, 10.0],
        pub tilt_reference: f64 =>
            "the target's weight on engagement with the mediator that counts as no tilt"
            [0.0, 1.0],
        pub per_russia_tilt_per_day: f64 =>
            "extra gestures per day per unit of the target's tilt toward its Russia lane"
            [0.0, 10.0],
        pub russia_reference: f64 =>
            "the target's weight on its Russia lane that counts as no tilt" [0.0, 1.0],
        pub adjust_days: f64 => "time constant of the courtship's response, in days" [1.0, 3650.0],
    }
}

parameters! {
    /// The mediator's disposition. The fields marked "with belligerents" are read only when the
    /// scenario has a war to broker, and are then required; without belligerents they are
    /// refused rather than ignored.
    pub struct Mediator {
        pub actor: ActorRef,
        #[serde(default)]
        pub pressure_on_partner: Option<f64> =>
            "with belligerents: how hard it leans on its partner in the war to concede"
            [0.0, 1.0],
        #[serde(default)]
        pub pressure_on_adversary: Option<f64> =>
            "with belligerents: how hard it leans on the adversary to concede" [0.0, 1.0],
        #[serde(default)]
        pub deal_urgency: Option<f64> =>
            "with belligerents: how much it wants a deal soon" [0.0, 1.0],
        pub attention_half_life_days: f64 =>
            "days for its attention to halve without progress" [1.0, 3650.0],
        #[serde(default)]
        pub maximalism: Option<f64> =>
            "with belligerents: how far it holds out for maximal terms" [0.0, 1.0],
        pub overture_rate_per_day: f64 =>
            "daily chance of a public overture to overture_target" [0.0, 1.0],
        pub overture_target: ActorRef,
        /// The observer it negotiates with directly, when there is one: its rounds and its
        /// walk-out are aimed at it, so that observer is party to them.
        #[serde(default)]
        pub counterpart: Option<ActorRef>,
        pub initial_attention: f64 => "day-0 attention to the talks" [0.0, 1.0],
        pub disengage_below: f64 => "attention below which it walks away" [0.0, 1.0],
        pub talks_round_rate_per_day: f64 =>
            "daily chance of a talks round at full attention" [0.0, 1.0],
        #[serde(default)]
        pub pressure_rate_per_day: Option<f64> =>
            "with belligerents: daily chance of a pressure move at full attention and urgency"
            [0.0, 1.0],
        #[serde(default)]
        pub escalate_after: Option<u32> =>
            "with belligerents: rhetorical warnings before a pressure move becomes an action"
            [0, 100],
        #[serde(default)]
        pub relief_rate_per_day: Option<f64> =>
            "with belligerents: daily chance of offering the adversary sanctions relief"
            [0.0, 1.0],
        // Default, an assumption: halfway between walking away (0.25 in the shipped files)
        // and a fresh start (0.8-0.9), so talks come back only when interest clearly returns.
        pub resume_above: f64 =>
            "attention at or above which ended talks resume (mechanisms.resumption; and at or above disengage_below)"
            [0.0, 1.0] default 0.5,
    }
}

/// The fields of `Mediator` that only a war gives meaning to.
pub const MEDIATOR_CONFLICT_FIELDS: [&str; 7] = [
    "pressure_on_partner",
    "pressure_on_adversary",
    "deal_urgency",
    "maximalism",
    "pressure_rate_per_day",
    "escalate_after",
    "relief_rate_per_day",
];

/// The war the mediator brokers: its two sides, how the mediator leans on them, the talks
/// between them and the war's course. Validation builds it when the scenario has belligerents.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// The belligerent on the mediator's side.
    pub partner: usize,
    /// The belligerent across the table.
    pub adversary: usize,
    pub pressure_on_partner: f64,
    pub pressure_on_adversary: f64,
    pub deal_urgency: f64,
    pub maximalism: f64,
    pub pressure_rate_per_day: f64,
    pub escalate_after: u32,
    pub relief_rate_per_day: f64,
    pub negotiation: Negotiation,
    pub war: War,
}

parameters! {
    /// The talks as a process: concessions move progress toward a settlement.
    pub struct Negotiation {
        pub initial_progress: f64 => "day-0 progress toward a settlement" [0.0, 1.0],
        pub progress_per_concession: f64 => "progress one concession makes" [0.001, 1.0],
        pub black_sea_at: f64 => "progress at which the Black Sea pause is agreed" [0.0, 1.0],
        pub comprehensive_at: f64 =>
            "progress at which a comprehensive ceasefire is agreed" [0.0, 1.0],
        pub relief_required_above: f64 =>
            "progress beyond which the adversary requires sanctions relief" [0.0, 1.0],
        pub russian_terms_share: f64 =>
            "share of concessions by the partner above which a deal is on the adversary's terms"
            [0.0, 1.0],
        pub collapse_hazard_per_round: f64 =>
            "chance a round breaks down, before scaling by maximalism and stalling" [0.0, 1.0],
        pub base_concession_rate_per_day: f64 =>
            "daily concession rate without special pressure, before scaling by 1 - resolve"
            [0.0, 1.0],
        pub aid_cut_concession_rate_per_day: f64 =>
            "daily concession rate of a partner whose aid is cut" [0.0, 1.0],
        pub sanctions_concession_rate_per_day: f64 =>
            "daily concession rate of an adversary under sanctions" [0.0, 1.0],
        pub relief_concession_rate_per_day: f64 =>
            "daily concession rate of an adversary offered relief" [0.0, 1.0],
        pub resolve_recovery_days: f64 =>
            "time constant of resolve's return to its baseline, in days" [1.0, 3650.0],
    }
}

parameters! {
    /// The war: its intensity drives the adversary's need for munitions.
    pub struct War {
        pub intensity: f64 => "day-0 intensity of the fighting" [0.0, 1.0],
        pub intensity_fighting: f64 => "intensity the war tends to while it goes on" [0.0, 1.0],
        pub intensity_ceasefire: f64 => "intensity under a comprehensive ceasefire" [0.0, 1.0],
        pub intensity_settled: f64 => "intensity after a settlement" [0.0, 1.0],
        pub relaxation_days: f64 =>
            "time constant of intensity's move to its target, in days" [1.0, 3650.0],
        pub munitions_per_intensity: f64 =>
            "the adversary's munitions need per unit of intensity" [0.0, 2.0],
        pub leverage_adjust_days: f64 =>
            "time constant of an observer's leverage following that need, in days"
            [1.0, 3650.0],
    }
}

parameters! {
    /// How observers weigh and forget evidence.
    pub struct Beliefs {
        pub statement_weight: f64 =>
            "weight of a statement's evidence relative to an action's (an exponent)" [0.0, 1.0],
        pub forgetting_per_day: f64 =>
            "daily pull of beliefs back toward the prior" [0.0, 1.0],
        // Leader-level credibility (`mechanisms.leader`): observers keep one belief about the
        // leader's own line and one about the state's policy (Wolford 2007; Renshon, Dafoe and
        // Huth 2018: reputations attach to leaders as well as to states). Defaults are
        // assumptions: an even split, and half of what one level shows read into the other.
        pub leader_weight: f64 =>
            "share of the leader's own line in what observers expect of the mediator (mechanisms.leader)"
            [0.0, 1.0] default 0.5,
        pub level_spillover: f64 =>
            "evidence weight one level's conduct carries for the other level's belief (mechanisms.leader)"
            [0.0, 1.0] default 0.5,
    }
}

parameters! {
    /// Which of the mechanisms added for episodes beyond 2025 act, each a weight in [0, 1]:
    /// 0 switches it off (the model of the 2025 release is every weight at 0, the embedded
    /// variant `model-2025`), 1 is the mechanism in full. A file that leaves the table out gets
    /// every mechanism in full.
    pub struct Mechanisms {
        pub initiative: f64 =>
            "a hedging observer proposes talks itself when its US lane is high enough" [0.0, 1.0]
            default 1.0,
        pub resumption: f64 =>
            "ended talks resume when the mediator's attention recovers; engagement ends with them"
            [0.0, 1.0] default 1.0,
        pub standing: f64 =>
            "lasting shifts of a lane's utility (standing.LANE effects) act" [0.0, 1.0]
            default 1.0,
        pub own_moves: f64 =>
            "a hedging observer's own weapons tests and moratoria" [0.0, 1.0] default 1.0,
        pub offers: f64 =>
            "offers on the table (offer effects) pull the US lane, weighed by trust" [0.0, 1.0]
            default 1.0,
        pub leader: f64 =>
            "separate beliefs about the leader's line and the state's policy" [0.0, 1.0]
            default 1.0,
        pub rest: f64 =>
            "hedging lanes start at rest whatever the prior (day-0 utilities from the weights)"
            [0.0, 1.0] default 1.0,
        pub quantal: f64 =>
            "answers and proposals are noisy choices: a logistic error of scale answer_spread on the US weight"
            [0.0, 1.0] default 1.0,
    }
}

impl Default for Mechanisms {
    fn default() -> Mechanisms {
        Mechanisms {
            initiative: 1.0,
            resumption: 1.0,
            standing: 1.0,
            own_moves: 1.0,
            offers: 1.0,
            leader: 1.0,
            rest: 1.0,
            quantal: 1.0,
        }
    }
}

/// Whose conduct an event shows: the leader's own line, or the state's policy (the default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    #[default]
    State,
    Leader,
}

parameters! {
    /// Hedging: lanes re-weighed toward a softmax of their utilities, with inertia. Each
    /// lane's utility is a base plus a slope times its driver.
    pub struct Alignment {
        pub inertia_per_day: f64 =>
            "share of yesterday's weights kept each day" [0.0, 1.0],
        pub temperature: f64 => "softmax temperature: how sharply the best lane wins" [0.01, 100.0],
        pub russia_utility: f64 => "utility of the Russia lane without leverage" [-10.0, 10.0],
        pub russia_per_leverage: f64 =>
            "utility of the Russia lane per unit of leverage" [-10.0, 10.0],
        pub china_utility: f64 => "utility of the China lane without courtship" [-10.0, 10.0],
        pub china_per_courtship: f64 =>
            "utility of the China lane per courting gesture per day" [-10.0, 10.0],
        pub us_engagement_utility: f64 =>
            "utility of the US-engagement lane at zero expected payoff" [-10.0, 10.0],
        pub us_per_engagement_payoff: f64 =>
            "utility of the US-engagement lane per unit of expected payoff" [-10.0, 10.0],
        pub self_reliance_utility: f64 => "utility of the self-reliance lane" [-10.0, 10.0],
        pub shock_half_life_days: f64 =>
            "days for one event's pull on a lane to halve" [0.1, 3650.0],
        pub accept_talks_above: f64 =>
            "US-engagement weight at or above which an overture is accepted" [0.0, 1.0],
        pub offer_talks_above: f64 =>
            "US-engagement weight at or above which a refused overture gets a conditional offer"
            [0.0, 1.0],
        // The defaults below are assumptions, used where a file leaves them out:
        // - initiate_margin 0.05: proposing risks a public refusal (audience costs, Fearon
        //   1994), so it takes a little more inclination than accepting; the size is assumed;
        // - initiative_rate_per_day 0.02: once inclined, a proposal within about 50 days, the
        //   lanes' own time constant (inertia 0.98);
        // - standing_half_life_days 365: a treaty or a partner's vote for sanctions shapes a
        //   lane for about a year;
        // - us_per_offer 1.0: a fully credible offer is worth less than the full swing of the
        //   expected engagement payoff (us_per_engagement_payoff 1.6 in the shipped files);
        // - offer_half_life_days 180: terms on the table go stale in about half a year unless
        //   a round renews them;
        // - test_rate_per_day 0: no tests of its own unless a scenario declares a rate;
        // - answer_spread 0.02: the scale of the logistic error on the US weight when an
        //   observer answers an overture or weighs a proposal (mechanisms.quantal). A choice
        //   depends on things the model does not see (a leader's reading of the day, domestic
        //   rivals), and a strategic-choice model without such an error gives every outcome
        //   off its deterministic path probability 0, so it cannot be scored (Signorino 1999;
        //   the quantal response of McKelvey and Palfrey 1995; the answer is an ordered logit
        //   with the two thresholds as cut-points, McKelvey and Zavoina 1975). The size is
        //   assumed: the shipped files put the offer and accept thresholds 0.04 to 0.08 apart,
        //   so at the offer threshold a yes has probability 1/(1 + e^2) to 1/(1 + e^4), 12% to
        //   2%, and 0.1 below the accept threshold 0.7%.
        pub initiate_margin: f64 =>
            "US weight above accept_talks_above at which it proposes talks itself (mechanisms.initiative; proposing costs more than accepting)"
            [0.0, 1.0] default 0.05,
        pub initiative_rate_per_day: f64 =>
            "daily chance of proposing talks while inclined enough (mechanisms.initiative)"
            [0.0, 1.0] default 0.02,
        pub standing_half_life_days: f64 =>
            "days for a lasting shift of a lane (standing.LANE) to halve (mechanisms.standing)"
            [1.0, 36_500.0] default 365.0,
        pub us_per_offer: f64 =>
            "utility of the US lane per unit of offer on the table, at full trust (mechanisms.offers)"
            [0.0, 10.0] default 1.0,
        pub offer_half_life_days: f64 =>
            "days for an offer on the table to halve without being renewed (mechanisms.offers)"
            [1.0, 36_500.0] default 180.0,
        pub test_rate_per_day: f64 =>
            "daily chance of a weapons test at day-0 self-reliance, outside a moratorium (mechanisms.own_moves)"
            [0.0, 1.0] default 0.0,
        pub answer_spread: f64 =>
            "scale of the logistic error on the US weight in answers and proposals (mechanisms.quantal)"
            [0.0, 1.0] default 0.02,
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct EventKind {
    pub name: String,
    pub class: Class,
    pub level: Level,
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
    /// A lasting shift of one hedging lane's utility (index into `LANES`).
    Standing(usize),
    /// The offer on the table from the mediator, in [0, 1].
    Offer,
}

impl Variable {
    pub fn parse(s: &str) -> Option<Variable> {
        Some(match s {
            "resolve" => Variable::Resolve,
            "stalling" => Variable::Stalling,
            "attention" => Variable::Attention,
            "leverage" => Variable::Leverage,
            "courtship" => Variable::Courtship,
            "offer" => Variable::Offer,
            _ => {
                let lane_of = |l: &str| LANES.iter().position(|x| *x == l);
                if let Some(lane) = s.strip_prefix("standing.") {
                    return Some(Variable::Standing(lane_of(lane)?));
                }
                Variable::Utility(lane_of(s.strip_prefix("utility.")?)?)
            }
        })
    }

    /// Whether an actor carries this variable.
    pub fn carried_by(self, actor: &Actor) -> bool {
        match (self, &actor.kind) {
            (Variable::Resolve | Variable::Stalling, ActorKind::Belligerent(_)) => true,
            (Variable::Attention, ActorKind::Mediator) => true,
            (
                Variable::Utility(_) | Variable::Leverage | Variable::Standing(_) | Variable::Offer,
                ActorKind::Observer(o),
            ) => o.alignment.is_some(),
            (Variable::Courtship, ActorKind::Observer(o)) => o.courtship.is_some(),
            _ => false,
        }
    }
}

pub const VARIABLES: &str = "resolve, stalling, attention, leverage, courtship, offer, \
utility.russia, utility.china, utility.us_engagement, utility.self_reliance, standing.russia, \
standing.china, standing.us_engagement, standing.self_reliance";

/// Declares `ModelKind`, one variant per event kind the model itself emits, with its name in
/// the scenario file. Adding one is one line here; validation then requires the scenario to
/// declare it, and the system that emits it writes `kinds[ModelKind::X]`.
macro_rules! model_kinds {
    ($($variant:ident = $name:literal),* $(,)?) => {
        /// An event kind the model itself emits; each must be declared in the scenario.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ModelKind {
            $($variant),*
        }

        impl ModelKind {
            pub const ALL: &'static [ModelKind] = &[$(ModelKind::$variant),*];

            /// Its name under `[events]`.
            pub fn name(self) -> &'static str {
                match self {
                    $(ModelKind::$variant => $name),*
                }
            }
        }
    };
}

model_kinds! {
    TalksRound = "talks_round",
    BlackSeaDeal = "black_sea_deal",
    ComprehensiveCeasefire = "comprehensive_ceasefire",
    SettlementRussianTerms = "settlement_russian_terms",
    SettlementBalanced = "settlement_balanced",
    TalksCollapse = "talks_collapse",
    UsDisengages = "us_disengages",
    AidSuspended = "aid_suspended",
    AidRestored = "aid_restored",
    PublicRebuke = "public_rebuke",
    SanctionsThreat = "sanctions_threat",
    SanctionsImposed = "sanctions_imposed",
    SanctionsRelief = "sanctions_relief",
    Concession = "concession",
    SummitOverture = "summit_overture",
    ChinaCourtship = "china_courtship",
    TalksAccepted = "talks_accepted",
    ConditionalOffer = "conditional_offer",
    OvertureRefused = "overture_refused",
    TalksProposed = "talks_proposed",
    TalksResumed = "talks_resumed",
    WeaponsTest = "weapons_test",
    TestMoratorium = "test_moratorium",
    MoratoriumEnded = "moratorium_ended",
    Agreement = "agreement",
}

/// The process of the model that emits a `ModelKind`: a scenario must declare the kind when
/// it has the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Process {
    /// Every scenario: the mediator's rounds, walk-out and overtures.
    Mediator,
    /// A scenario with belligerents: pressure, concessions, milestones and settlements.
    Conflict,
    /// A scenario with a hedging observer: its answers to overtures.
    Hedging,
    /// A scenario with a courting observer: its gestures.
    Courting,
    /// A mechanism added for other episodes (initiative, resumption, own moves) or a kind only
    /// a record scripts (an agreement): emitted when the scenario declares the kind, never
    /// required, so that files written before the mechanisms still load.
    Optional,
}

impl ModelKind {
    pub fn emitted_by(self) -> Process {
        use ModelKind::*;
        match self {
            TalksRound | UsDisengages | SummitOverture => Process::Mediator,
            TalksAccepted | ConditionalOffer | OvertureRefused => Process::Hedging,
            ChinaCourtship => Process::Courting,
            TalksProposed | TalksResumed | WeaponsTest | TestMoratorium | MoratoriumEnded
            | Agreement => Process::Optional,
            BlackSeaDeal
            | ComprehensiveCeasefire
            | SettlementRussianTerms
            | SettlementBalanced
            | TalksCollapse
            | AidSuspended
            | AidRestored
            | PublicRebuke
            | SanctionsThreat
            | SanctionsImposed
            | SanctionsRelief
            | Concession => Process::Conflict,
        }
    }
}

/// Where each `ModelKind` sits in `Scenario::events`; `ABSENT` for a kind the scenario does not
/// declare, which only happens when it lacks the process that emits it (validation), so no
/// system ever emits an absent kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelKinds(pub Vec<usize>);

impl ModelKinds {
    pub const ABSENT: usize = usize::MAX;
}

impl std::ops::Index<ModelKind> for ModelKinds {
    type Output = usize;
    fn index(&self, kind: ModelKind) -> &usize {
        // Validation fills one index per variant of `ModelKind::ALL`, in that order.
        &self.0[kind as usize]
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

/// One observation of the record: on `day`, `outcome` (an outcome column of the runs) was
/// seen to be `expect`.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    pub day: u32,
    pub outcome: String,
    pub expect: Expect,
    pub note: String,
    /// Where the observation was written (for errors the model finds: an unknown outcome).
    pub place: Option<crate::Place>,
}

/// What an observation says of its outcome.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// A label of a category or flag outcome (`ongoing`, `false`).
    Label(String),
    /// Higher than at the start of the run.
    Up,
    /// Lower than at the start of the run.
    Down,
    /// The highest of the actor's beliefs (for a `belief_*` outcome).
    Highest,
    /// Inside [low, high].
    Range(f64, f64),
}

impl Expect {
    /// Reads `up`, `down`, `highest`, `LOW..HIGH`, a number (`X`, as `X..X`), or a label.
    pub fn parse(text: &str) -> Result<Expect, String> {
        let t = text.trim();
        Ok(match t {
            "" => {
                return Err(String::from(
                    "is empty: say what was observed (up, down, highest, LOW..HIGH or a label)",
                ));
            }
            "up" => Expect::Up,
            "down" => Expect::Down,
            "highest" => Expect::Highest,
            _ => match t.split_once("..") {
                Some((lo, hi)) => {
                    let num = |x: &str| x.trim().parse::<f64>().ok().filter(|v| v.is_finite());
                    match (num(lo), num(hi)) {
                        (Some(lo), Some(hi)) if lo <= hi => Expect::Range(lo, hi),
                        _ => {
                            return Err(format!(
                                "`{t}` is not a range LOW..HIGH of two numbers with LOW <= HIGH"
                            ));
                        }
                    }
                }
                // runs.csv writes flags as TRUE/FALSE; the label of a flag is `true`/`false`.
                None if t == "TRUE" || t == "FALSE" => Expect::Label(t.to_ascii_lowercase()),
                None => match t.parse::<f64>() {
                    // A number observed exactly: the range of one point.
                    Ok(x) if x.is_finite() => Expect::Range(x, x),
                    _ => Expect::Label(t.to_string()),
                },
            },
        })
    }
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expect::Label(l) => f.write_str(l),
            Expect::Up => f.write_str("up"),
            Expect::Down => f.write_str("down"),
            Expect::Highest => f.write_str("highest"),
            Expect::Range(lo, hi) => write!(f, "{lo}..{hi}"),
        }
    }
}
