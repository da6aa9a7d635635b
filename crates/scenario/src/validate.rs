//! `RawScenario` -> `Scenario`: every semantic check, each problem reported with its field path.
//!
//! The checks run in one pass and collect problems instead of stopping at the first, so a user
//! fixing a file sees everything at once. Numeric domains come from `params::DOMAINS`; the rest
//! (references, distributions, role-specific fields) is here.

use crate::params::{self, Domain};
use crate::resolved::*;
use crate::schema::*;

/// Problems as (index path, message).
pub type Problems = Vec<(String, String)>;

/// Tolerance for distributions that must sum to one.
pub const SUM_TOLERANCE: f64 = 1e-9;

/// Deserializes and checks a resolved document.
pub fn validate(doc: &toml::Table) -> Result<Scenario, Problems> {
    let value = toml::Value::Table(doc.clone());
    let raw: RawScenario = match serde_path_to_error::deserialize(value) {
        Ok(r) => r,
        Err(e) => {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            return Err(vec![(path, serde_message(e.inner()))]);
        }
    };
    let mut v = Checker { problems: Vec::new() };
    v.numbers(doc);
    let scenario = v.scenario(&raw, doc);
    if v.problems.is_empty() {
        // `scenario` is Some whenever no problem was recorded.
        scenario.ok_or_else(|| vec![(String::new(), String::from("invalid scenario"))])
    } else {
        Err(v.problems)
    }
}

fn serde_message(e: &toml::de::Error) -> String {
    let m = e.message().trim_end().to_string();
    // serde says "invalid type: string \"x\", expected f64"; keep it, it is precise.
    m.replace("f64", "a number").replace("i64", "a whole number")
}

struct Checker {
    problems: Problems,
}

impl Checker {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push((path.into(), message.into()));
    }

    /// Finite, inside the declared domain, whole where it must be.
    fn numbers(&mut self, doc: &toml::Table) {
        for leaf in params::leaves(doc) {
            let Some(Domain { min, max, integer }) = params::domain(&leaf.param) else {
                self.problem(&leaf.index, "is not a parameter this model knows");
                continue;
            };
            let x = leaf.value;
            if !x.is_finite() {
                self.problem(&leaf.index, format!("must be a finite number, not {x}"));
            } else if x < min || x > max {
                let x = params::show(x);
                self.problem(&leaf.index, format!("{x} is outside its range [{min}, {max}]"));
            } else if integer && x.fract() != 0.0 {
                self.problem(
                    &leaf.index,
                    format!("must be a whole number, not {}", params::show(x)),
                );
            }
        }
    }

    fn scenario(&mut self, raw: &RawScenario, doc: &toml::Table) -> Option<Scenario> {
        // The name becomes a folder under outputs/: keep it a plain file name.
        let slug = !raw.name.is_empty()
            && raw.name.len() <= 64
            && raw.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !slug {
            self.problem(
                "name",
                "must be 1 to 64 letters, digits, `-` or `_` (it names the output folder)",
            );
        }
        let start_date = self.date(&raw.start_date);
        let hypotheses = self.hypotheses(raw);
        let hyp_names: Vec<&str> = raw.hypotheses.keys().collect();
        let actors = self.actors(raw, &hyp_names);
        let events = self.events(raw, &hyp_names, actors.as_deref());
        let actors = actors?;
        let events = events?;
        let kinds = self.model_kinds(&events);
        let mediator = self.mediator(raw, &actors);
        let background = self.background(raw, &actors, &events);
        let timeline = self.timeline(raw, &actors, &events);
        self.favoured(&hypotheses, &events);
        if raw.negotiation.black_sea_at > raw.negotiation.comprehensive_at {
            self.problem(
                "negotiation.black_sea_at",
                "must not be above negotiation.comprehensive_at (the Black Sea pause comes first)",
            );
        }
        // The domain check has already reported a horizon outside [1, 36500].
        let horizon_days = u32::try_from(raw.horizon_days).ok().filter(|h| *h > 0);
        if !self.problems.is_empty() {
            return None;
        }
        let n = &raw.negotiation;
        let w = &raw.war;
        let b = &raw.beliefs;
        let a = &raw.alignment;
        Some(Scenario {
            name: raw.name.clone(),
            description: raw.description.clone(),
            start_date: start_date?,
            horizon_days: horizon_days?,
            hypotheses,
            actors,
            mediator: mediator?,
            negotiation: Negotiation {
                initial_progress: n.initial_progress,
                progress_per_concession: n.progress_per_concession,
                black_sea_at: n.black_sea_at,
                comprehensive_at: n.comprehensive_at,
                relief_required_above: n.relief_required_above,
                russian_terms_share: n.russian_terms_share,
                collapse_hazard_per_round: n.collapse_hazard_per_round,
                base_concession_rate_per_day: n.base_concession_rate_per_day,
                aid_cut_concession_rate_per_day: n.aid_cut_concession_rate_per_day,
                sanctions_concession_rate_per_day: n.sanctions_concession_rate_per_day,
                relief_concession_rate_per_day: n.relief_concession_rate_per_day,
                resolve_recovery_days: n.resolve_recovery_days,
            },
            war: War {
                intensity: w.intensity,
                intensity_fighting: w.intensity_fighting,
                intensity_ceasefire: w.intensity_ceasefire,
                intensity_settled: w.intensity_settled,
                relaxation_days: w.relaxation_days,
                munitions_per_intensity: w.munitions_per_intensity,
                leverage_adjust_days: w.leverage_adjust_days,
            },
            beliefs: Beliefs {
                statement_weight: b.statement_weight,
                forgetting_per_day: b.forgetting_per_day,
            },
            alignment: Alignment {
                inertia_per_day: a.inertia_per_day,
                temperature: a.temperature,
                russia_utility: a.russia_utility,
                russia_per_leverage: a.russia_per_leverage,
                china_utility: a.china_utility,
                china_per_courtship: a.china_per_courtship,
                us_engagement_utility: a.us_engagement_utility,
                us_per_engagement_payoff: a.us_per_engagement_payoff,
                self_reliance_utility: a.self_reliance_utility,
                shock_half_life_days: a.shock_half_life_days,
                accept_talks_above: a.accept_talks_above,
            },
            events,
            kinds: kinds?,
            background: background?,
            timeline: timeline?,
            document: doc.clone(),
        })
    }

    fn date(&mut self, d: &toml::value::Datetime) -> Option<jiff::civil::Date> {
        let date = match (d.date, d.time, d.offset) {
            (Some(date), None, None) => date,
            _ => {
                self.problem("start_date", "must be a plain date such as 2025-03-25");
                return None;
            }
        };
        let parts = (i16::try_from(date.year), i8::try_from(date.month), i8::try_from(date.day));
        match parts {
            (Ok(y), Ok(m), Ok(dd)) => match jiff::civil::Date::new(y, m, dd) {
                Ok(x) => Some(x),
                Err(e) => {
                    self.problem("start_date", format!("is not a valid date: {e}"));
                    None
                }
            },
            _ => {
                self.problem("start_date", "is not a valid date");
                None
            }
        }
    }

    fn hypotheses(&mut self, raw: &RawScenario) -> Vec<Hypothesis> {
        if raw.hypotheses.0.len() < 2 {
            self.problem("hypotheses", "needs at least two hypotheses to weigh");
        }
        let mut out = Vec::new();
        for (name, h) in &raw.hypotheses.0 {
            self.snake_case(&format!("hypotheses.{name}"), name);
            out.push(Hypothesis {
                name: name.clone(),
                description: h.description.clone(),
                trust: h.trust,
                coercion: h.coercion,
                abandonment: h.abandonment,
                engagement_payoff: h.engagement_payoff,
            });
        }
        out
    }

    fn snake_case(&mut self, path: &str, name: &str) {
        let ok = !name.is_empty()
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            self.problem(path, format!("`{name}` must be snake_case (a-z, 0-9, _)"));
        }
    }

    /// A distribution keyed by `names`, exactly those keys, summing to one.
    fn distribution(
        &mut self,
        path: &str,
        map: &OrderedMap<f64>,
        names: &[&str],
        what: &str,
    ) -> Option<Vec<f64>> {
        let mut ok = true;
        for key in map.keys() {
            if !names.contains(&key) {
                let msg = format!("unknown {what} `{key}` (known: {})", names.join(", "));
                self.problem(format!("{path}.{key}"), msg);
                ok = false;
            }
        }
        let mut values = Vec::with_capacity(names.len());
        for name in names {
            match map.get(name) {
                Some(v) => values.push(*v),
                None => {
                    self.problem(path, format!("is missing `{name}`"));
                    ok = false;
                }
            }
        }
        if !ok {
            return None;
        }
        let sum: f64 = values.iter().sum();
        if (sum - 1.0).abs() > SUM_TOLERANCE || !sum.is_finite() {
            self.problem(path, format!("must sum to 1 (within {SUM_TOLERANCE:e}), sums to {sum}"));
            return None;
        }
        Some(values)
    }

    fn actors(&mut self, raw: &RawScenario, hyps: &[&str]) -> Option<Vec<Actor>> {
        let codes: Vec<&str> = raw.actors.iter().map(|a| a.code.as_str()).collect();
        let find = |c: &str| codes.iter().position(|x| *x == c);
        let mut out = Vec::new();
        let mut ok = true;
        for (i, a) in raw.actors.iter().enumerate() {
            let p = format!("actors[{i}]");
            let code_ok = !a.code.is_empty()
                && a.code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if !code_ok {
                self.problem(format!("{p}.code"), "must be upper-case letters or digits");
            }
            if find(&a.code) != Some(i) {
                self.problem(format!("{p}.code"), format!("`{}` is used twice", a.code));
            }
            let kind = match a.role {
                Role::Mediator => {
                    self.only_for(&p, a, Role::Mediator);
                    Some(ActorKind::Mediator)
                }
                Role::Belligerent => {
                    self.only_for(&p, a, Role::Belligerent);
                    self.belligerent(&p, a).map(ActorKind::Belligerent)
                }
                Role::Observer => {
                    self.only_for(&p, a, Role::Observer);
                    self.observer(&p, i, a, hyps, &find).map(ActorKind::Observer)
                }
            };
            match kind {
                Some(kind) => out.push(Actor {
                    code: a.code.clone(),
                    name: a.name.clone(),
                    role: a.role,
                    kind,
                }),
                None => ok = false,
            }
        }
        let mediators = raw.actors.iter().filter(|a| a.role == Role::Mediator).count();
        if mediators != 1 {
            self.problem("actors", format!("needs exactly one mediator, has {mediators}"));
            ok = false;
        }
        for side in [Side::Partner, Side::Adversary] {
            let n = raw.actors.iter().filter(|a| a.side == Some(side)).count();
            if n != 1 {
                let s = if side == Side::Partner { "partner" } else { "adversary" };
                self.problem(
                    "actors",
                    format!("needs exactly one belligerent `side = \"{s}\"`, has {n}"),
                );
                ok = false;
            }
        }
        // Cross-references that need every actor resolved.
        if ok {
            for (i, a) in out.iter().enumerate() {
                let ActorKind::Observer(o) = &a.kind else { continue };
                if let Some(al) = &o.alignment {
                    let p = format!("actors[{i}].alignment");
                    if !matches!(&out[al.leverage_from].kind, ActorKind::Belligerent(_)) {
                        self.problem(format!("{p}.leverage_from"), "must name a belligerent");
                        ok = false;
                    }
                    match &out[al.courted_by].kind {
                        ActorKind::Observer(c)
                            if c.courtship.as_ref().map(|c| c.target) == Some(i) => {}
                        _ => {
                            self.problem(
                                format!("{p}.courted_by"),
                                format!("must name an observer whose courtship targets {}", a.code),
                            );
                            ok = false;
                        }
                    }
                }
                if let Some(c) = &o.courtship {
                    let target_aligned = matches!(&out[c.target].kind,
                        ActorKind::Observer(t) if t.alignment.is_some());
                    if !target_aligned {
                        self.problem(
                            format!("actors[{i}].courtship.target"),
                            "must name an observer with an [alignment] table",
                        );
                        ok = false;
                    }
                }
            }
        }
        ok.then_some(out)
    }

    /// Role-specific fields set on an actor of another role.
    fn only_for(&mut self, p: &str, a: &RawActor, role: Role) {
        let belligerent = [
            ("side", a.side.is_some()),
            ("resolve", a.resolve.is_some()),
            ("aid_dependence", a.aid_dependence.is_some()),
            ("stalling", a.stalling.is_some()),
            ("sanctions_relief_demand", a.sanctions_relief_demand.is_some()),
            ("munitions_need", a.munitions_need.is_some()),
        ];
        let observer = [
            ("transfer", a.transfer.is_some()),
            ("prior", a.prior.is_some()),
            ("watches", !a.watches.is_empty()),
            ("alignment", a.alignment.is_some()),
            ("courtship", a.courtship.is_some()),
        ];
        let mut foreign: Vec<(&str, bool, &str)> = Vec::new();
        if role != Role::Belligerent {
            foreign.extend(belligerent.iter().map(|(f, s)| (*f, *s, "belligerents")));
        }
        if role != Role::Observer {
            foreign.extend(observer.iter().map(|(f, s)| (*f, *s, "observers")));
        }
        for (field, set, owner) in foreign {
            if set {
                self.problem(format!("{p}.{field}"), format!("is only for {owner}"));
            }
        }
    }

    fn required<T: Copy>(&mut self, p: &str, field: &str, v: Option<T>, role: &str) -> Option<T> {
        if v.is_none() {
            self.problem(format!("{p}.{field}"), format!("is required for {role}"));
        }
        v
    }

    fn belligerent(&mut self, p: &str, a: &RawActor) -> Option<BelligerentParams> {
        let r = "a belligerent";
        let side = self.required(p, "side", a.side, r);
        let resolve = self.required(p, "resolve", a.resolve, r);
        let aid = self.required(p, "aid_dependence", a.aid_dependence, r);
        let stalling = self.required(p, "stalling", a.stalling, r);
        let relief = self.required(p, "sanctions_relief_demand", a.sanctions_relief_demand, r);
        // Only the adversary buys munitions from the observers; on the partner it would mean
        // nothing, so it is refused rather than ignored.
        let need = match (a.side, a.munitions_need) {
            (Some(Side::Adversary), None) => {
                self.problem(format!("{p}.munitions_need"), "is required for the adversary");
                None
            }
            (Some(Side::Partner), Some(_)) => {
                self.problem(format!("{p}.munitions_need"), "is only for the adversary");
                None
            }
            (_, n) => Some(n),
        };
        Some(BelligerentParams {
            side: side?,
            resolve: resolve?,
            aid_dependence: aid?,
            stalling: stalling?,
            sanctions_relief_demand: relief?,
            munitions_need: need?,
        })
    }

    fn observer(
        &mut self,
        p: &str,
        me: usize,
        a: &RawActor,
        hyps: &[&str],
        find: &dyn Fn(&str) -> Option<usize>,
    ) -> Option<ObserverParams> {
        let transfer = self.required(p, "transfer", a.transfer, "an observer");
        let prior = match &a.prior {
            Some(map) => self.distribution(&format!("{p}.prior"), map, hyps, "hypothesis"),
            None => {
                self.problem(format!("{p}.prior"), "is required for an observer");
                None
            }
        };
        let mut watches = Vec::new();
        let mut ok = true;
        for (j, w) in a.watches.iter().enumerate() {
            let wp = format!("{p}.watches[{j}]");
            let actor = self.reference(&format!("{wp}.actor"), &w.actor, find);
            if actor == Some(me) {
                self.problem(format!("{wp}.actor"), "an observer sees its own events directly");
                ok = false;
            }
            if a.watches[..j].iter().any(|x| x.actor == w.actor) {
                self.problem(format!("{wp}.actor"), format!("`{}` is watched twice", w.actor));
                ok = false;
            }
            if w.delay_min_days > w.delay_max_days {
                self.problem(format!("{wp}.delay_min_days"), "must not exceed delay_max_days");
                ok = false;
            }
            match (actor, u32::try_from(w.delay_min_days), u32::try_from(w.delay_max_days)) {
                (Some(actor), Ok(lo), Ok(hi)) => watches.push(Channel {
                    actor,
                    attention: w.attention,
                    delay_min_days: lo,
                    delay_max_days: hi,
                    noise: w.noise,
                }),
                _ => ok = false,
            }
        }
        let alignment = match &a.alignment {
            None => Some(None),
            Some(al) => {
                let ap = format!("{p}.alignment");
                let weights =
                    self.distribution(&format!("{ap}.weights"), &al.weights, &LANES, "lane");
                let from = self.reference(&format!("{ap}.leverage_from"), &al.leverage_from, find);
                let by = self.reference(&format!("{ap}.courted_by"), &al.courted_by, find);
                match (weights, from, by) {
                    (Some(w), Some(from), Some(by)) => Some(Some(ActorAlignment {
                        weights: [w[0], w[1], w[2], w[3]],
                        leverage: al.leverage,
                        leverage_from: from,
                        courted_by: by,
                    })),
                    _ => None,
                }
            }
        };
        let courtship = match &a.courtship {
            None => Some(None),
            Some(c) => self.reference(&format!("{p}.courtship.target"), &c.target, find).map(|t| {
                Some(Courtship {
                    target: t,
                    base_per_day: c.base_per_day,
                    per_tilt_per_day: c.per_tilt_per_day,
                    tilt_reference: c.tilt_reference,
                    adjust_days: c.adjust_days,
                })
            }),
        };
        if !ok {
            return None;
        }
        Some(ObserverParams {
            transfer: transfer?,
            prior: prior?,
            watches,
            alignment: alignment?,
            courtship: courtship?,
        })
    }

    fn reference(
        &mut self,
        path: &str,
        code: &str,
        find: &dyn Fn(&str) -> Option<usize>,
    ) -> Option<usize> {
        let r = find(code);
        if r.is_none() {
            self.problem(path, format!("unknown actor code `{code}`"));
        }
        r
    }

    fn events(
        &mut self,
        raw: &RawScenario,
        hyps: &[&str],
        actors: Option<&[Actor]>,
    ) -> Option<Vec<EventKind>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (name, e) in &raw.events.0 {
            let p = format!("events.{name}");
            self.snake_case(&p, name);
            let likelihood = self.likelihood(&format!("{p}.likelihood"), &e.likelihood, hyps);
            let mut effects = Vec::new();
            for (j, fx) in e.effects.iter().enumerate() {
                let fp = format!("{p}.effects[{j}]");
                match actors.and_then(|actors| self.effect(&fp, fx, actors)) {
                    Some(f) => effects.push(f),
                    None => ok = false,
                }
            }
            match likelihood {
                Some(likelihood) => out.push(EventKind {
                    name: name.clone(),
                    class: e.class,
                    visibility: e.visibility,
                    likelihood,
                    effects,
                }),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn likelihood(&mut self, p: &str, map: &OrderedMap<f64>, hyps: &[&str]) -> Option<Vec<f64>> {
        let mut ok = true;
        for key in map.keys() {
            if !hyps.contains(&key) {
                self.problem(format!("{p}.{key}"), format!("unknown hypothesis `{key}`"));
                ok = false;
            }
        }
        let mut values = Vec::new();
        for h in hyps {
            match map.get(h) {
                Some(v) => values.push(*v),
                None => {
                    self.problem(p, format!("is missing hypothesis `{h}`"));
                    ok = false;
                }
            }
        }
        ok.then_some(values)
    }

    fn effect(&mut self, p: &str, fx: &RawEffect, actors: &[Actor]) -> Option<Effect> {
        let Some(variable) = Variable::parse(&fx.variable) else {
            let msg = format!("unknown variable `{}` (known: {VARIABLES})", fx.variable);
            self.problem(format!("{p}.variable"), msg);
            return None;
        };
        let targets: Vec<usize> = match (&fx.actor, fx.role) {
            (Some(code), None) => match actors.iter().position(|a| &a.code == code) {
                Some(i) => vec![i],
                None => {
                    self.problem(format!("{p}.actor"), format!("unknown actor code `{code}`"));
                    return None;
                }
            },
            (None, Some(role)) => (0..actors.len()).filter(|i| actors[*i].role == role).collect(),
            _ => {
                self.problem(p, "needs exactly one of `actor` or `role`");
                return None;
            }
        };
        let carried: Vec<usize> =
            targets.into_iter().filter(|i| variable.carried_by(&actors[*i])).collect();
        if carried.is_empty() {
            self.problem(
                format!("{p}.variable"),
                format!("no targeted actor carries `{}`", fx.variable),
            );
            return None;
        }
        Some(Effect { actors: carried, variable, delta: fx.delta })
    }

    fn model_kinds(&mut self, events: &[EventKind]) -> Option<ModelKinds> {
        let mut idx = [0usize; 17];
        let mut ok = true;
        for (slot, name) in idx.iter_mut().zip(MODEL_KINDS) {
            match events.iter().position(|e| e.name == name) {
                Some(i) => *slot = i,
                None => {
                    self.problem("events", format!("is missing `{name}`, which the model emits"));
                    ok = false;
                }
            }
        }
        ok.then(|| ModelKinds::from_indices(idx))
    }

    fn mediator(&mut self, raw: &RawScenario, actors: &[Actor]) -> Option<Mediator> {
        let m = &raw.mediator;
        let find = |c: &str| actors.iter().position(|a| a.code == c);
        let actor = find(&m.actor);
        match actor {
            None => self.problem("mediator.actor", format!("unknown actor code `{}`", m.actor)),
            Some(i) if actors[i].role != Role::Mediator => {
                self.problem("mediator.actor", "must name the actor whose role is mediator")
            }
            _ => {}
        }
        let target = find(&m.overture_target);
        match target {
            None => self.problem(
                "mediator.overture_target",
                format!("unknown actor code `{}`", m.overture_target),
            ),
            Some(i) if actors[i].role != Role::Observer => {
                self.problem("mediator.overture_target", "must name an observer")
            }
            _ => {}
        }
        let side = |s: Side| {
            actors.iter().position(|a| matches!(&a.kind, ActorKind::Belligerent(b) if b.side == s))
        };
        Some(Mediator {
            actor: actor?,
            pressure_on_partner: m.pressure_on_partner,
            pressure_on_adversary: m.pressure_on_adversary,
            deal_urgency: m.deal_urgency,
            attention_half_life_days: m.attention_half_life_days,
            maximalism: m.maximalism,
            overture_rate_per_day: m.overture_rate_per_day,
            overture_target: target?,
            initial_attention: m.initial_attention,
            disengage_below: m.disengage_below,
            talks_round_rate_per_day: m.talks_round_rate_per_day,
            pressure_rate_per_day: m.pressure_rate_per_day,
            escalate_after: u32::try_from(m.escalate_after).ok()?,
            relief_rate_per_day: m.relief_rate_per_day,
            partner: side(Side::Partner)?,
            adversary: side(Side::Adversary)?,
        })
    }

    fn endpoints(
        &mut self,
        p: &str,
        source: &str,
        target: Option<&str>,
        actors: &[Actor],
    ) -> Option<(usize, Option<usize>)> {
        let find = |c: &str| actors.iter().position(|a| a.code == c);
        let s = self.reference(&format!("{p}.source"), source, &find);
        let t = match target {
            None => Some(None),
            Some(t) => self.reference(&format!("{p}.target"), t, &find).map(Some),
        };
        Some((s?, t?))
    }

    fn kind(&mut self, p: &str, name: &str, events: &[EventKind]) -> Option<usize> {
        let k = events.iter().position(|e| e.name == name);
        if k.is_none() {
            self.problem(format!("{p}.kind"), format!("unknown event kind `{name}`"));
        }
        k
    }

    fn background(
        &mut self,
        raw: &RawScenario,
        actors: &[Actor],
        events: &[EventKind],
    ) -> Option<Vec<Background>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (name, b) in &raw.background.0 {
            let p = format!("background.{name}");
            let kind = self.kind(&p, &b.kind, events);
            let ends = self.endpoints(&p, &b.source, b.target.as_deref(), actors);
            if b.target.as_deref() == Some(b.source.as_str()) {
                self.problem(format!("{p}.target"), "must differ from the source");
            }
            match (kind, ends) {
                (Some(kind), Some((source, target))) => out.push(Background {
                    name: name.clone(),
                    kind,
                    source,
                    target,
                    rate_per_day: b.rate_per_day,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn timeline(
        &mut self,
        raw: &RawScenario,
        actors: &[Actor],
        events: &[EventKind],
    ) -> Option<Vec<Scripted>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (i, s) in raw.timeline.iter().enumerate() {
            let p = format!("timeline[{i}]");
            let kind = self.kind(&p, &s.kind, events);
            let ends = self.endpoints(&p, &s.source, s.target.as_deref(), actors);
            if s.target.as_deref() == Some(s.source.as_str()) {
                self.problem(format!("{p}.target"), "must differ from the source");
            }
            let day = u32::try_from(s.day).ok().filter(|d| i64::from(*d) < raw.horizon_days);
            if day.is_none() {
                self.problem(
                    format!("{p}.day"),
                    format!("must be a day in [0, {})", raw.horizon_days),
                );
            }
            match (kind, ends, day) {
                (Some(kind), Some((source, target)), Some(day)) => out.push(Scripted {
                    day,
                    kind,
                    source,
                    target,
                    magnitude: s.magnitude.unwrap_or(1.0),
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// Every hypothesis must be raised, from a uniform prior, by at least one event kind;
    /// otherwise no evidence could ever make it more credible and it is dead weight.
    fn favoured(&mut self, hyps: &[Hypothesis], events: &[EventKind]) {
        for (h, hyp) in hyps.iter().enumerate() {
            let raised = events.iter().any(|e| {
                let mean = e.likelihood.iter().sum::<f64>() / e.likelihood.len() as f64;
                e.likelihood[h] > mean * (1.0 + 1e-12)
            });
            if !raised {
                self.problem(
                    format!("hypotheses.{}", hyp.name),
                    "no event kind favours this hypothesis (its likelihood is never above the \
                     mean of the others), so no evidence could ever raise it",
                );
            }
        }
    }
}
