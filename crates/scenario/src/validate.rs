//! `RawScenario` -> `Scenario`: every semantic check, each problem reported with its field path.
//!
//! The checks run in one pass and collect problems instead of stopping at the first, so a user
//! fixing a file sees everything at once. Numeric domains come from the declarations (`params::GROUPS`); the rest
//! (references, distributions, role-specific fields) is here.

use serde::Deserialize;

use crate::params::{self, Domain};
use crate::resolved::*;
use crate::schema::*;

/// Problems as (index path, message).
pub type Problems = Vec<(String, String)>;

/// Tolerance for distributions that must sum to one.
pub const SUM_TOLERANCE: f64 = 1e-9;

/// Deserializes and checks a resolved document.
/// Actors in one scenario. Each observer carries about 15 MB of a batch's day-by-day
/// aggregators and its share of every run's time (measured with copies of South Korea on a
/// 200-run batch: 64 actors peaked at 984 MB and took 17 ms a run, 207 actors 3.2 GB and 78 ms;
/// the default's 7 take 1.5 ms).
pub const MAX_ACTORS: usize = 64;
/// Hypotheses about the mediator: each is a belief variable of every observer, tracked like an
/// actor's variables.
pub const MAX_HYPOTHESES: usize = 32;
/// Event kinds, and background processes.
pub const MAX_EVENT_KINDS: usize = 1_000;
/// Scripted (`timeline`) and `observed` entries. Each scripted event costs about 1.1 µs a run and
/// 3 kB while loaded (measured: 100,000 events took 484 MB and 0.11 s a run).
pub const MAX_DATED: usize = 100_000;

pub fn validate(doc: &toml::Table) -> Result<Scenario, Problems> {
    validate_owned(doc.clone())
}

/// `validate`, keeping `doc` as the scenario's document: a calibration builds a scenario for
/// every proposal, and the document's clones were most of that cost.
pub fn validate_owned(doc: toml::Table) -> Result<Scenario, Problems> {
    // serde takes its input by value; `doc` itself becomes `Scenario::document`. Read without
    // tracking the path first (tracking allocates a string per key: a fifth of the reading of a
    // calibration's proposal), and again with it only to say where a problem is.
    let read = RawScenario::deserialize(toml::Value::Table(doc.clone()));
    let mut raw: RawScenario = match read {
        Ok(r) => r,
        Err(_) => match serde_path_to_error::deserialize(toml::Value::Table(doc.clone())) {
            Ok(r) => r,
            Err(e) => return Err(vec![(serde_path(e.path(), ""), serde_message(e.inner()))]),
        },
    };
    let mut v = Checker { problems: Vec::new() };
    v.counts(&raw);
    if !v.problems.is_empty() {
        return Err(v.problems);
    }
    // An actor's fields are read by its role; type errors there come first, as above.
    let heads = v.actor_tables(std::mem::take(&mut raw.actors));
    if !v.problems.is_empty() {
        return Err(v.problems);
    }
    v.numbers(&doc);
    let scenario = heads.and_then(|heads| v.scenario(raw, heads, doc));
    if v.problems.is_empty() {
        // `scenario` is Some whenever no problem was recorded.
        scenario.ok_or_else(|| vec![(String::new(), String::from("invalid scenario"))])
    } else {
        Err(v.problems)
    }
}

/// serde_path_to_error's path (`actors[3].prior`), under `prefix`; "." means the root.
fn serde_path(path: &serde_path_to_error::Path, prefix: &str) -> String {
    let path = path.to_string();
    let path = if path == "." { String::new() } else { path };
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path,
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}.{path}"),
    }
}

/// Deserializes one table found at `path`, or the problem with its full path.
fn read<T: serde::de::DeserializeOwned>(t: toml::Table, path: &str) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(toml::Value::Table(t))
        .map_err(|e| (serde_path(e.path(), path), serde_message(e.inner())))
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

    /// How many actors, hypotheses, event kinds and dated entries a scenario may have (docs/model.md,
    /// "Limits"), checked before anything is built from them.
    fn counts(&mut self, raw: &RawScenario) {
        let counts = [
            ("actors", raw.actors.len(), MAX_ACTORS),
            ("hypotheses", raw.hypotheses.0.len(), MAX_HYPOTHESES),
            ("events", raw.events.0.len(), MAX_EVENT_KINDS),
            ("background", raw.background.0.len(), MAX_EVENT_KINDS),
            ("timeline", raw.timeline.len(), MAX_DATED),
            ("observed", raw.observed.len(), MAX_DATED),
        ];
        for (what, n, most) in counts {
            if n > most {
                self.problem(what, format!("has {n} entries, more than the limit of {most}"));
            }
        }
    }

    /// Finite, inside the declared domain, whole where it must be.
    fn numbers(&mut self, doc: &toml::Table) {
        params::each_leaf(doc, &mut |param, index, x| {
            let Some(Domain { min, max, integer }) = params::domain(param) else {
                self.problem(index, "is not a parameter this model knows");
                return;
            };
            if !x.is_finite() {
                self.problem(index, format!("must be a finite number, not {x}"));
            } else if x < min || x > max {
                let x = params::show(x);
                self.problem(index, format!("{x} is outside its range [{min}, {max}]"));
            } else if integer && x.fract() != 0.0 {
                self.problem(index, format!("must be a whole number, not {}", params::show(x)));
            }
        });
    }

    fn scenario(
        &mut self,
        raw: RawScenario,
        mut actors: Vec<Actor>,
        doc: toml::Table,
    ) -> Option<Scenario> {
        // The name becomes a folder under outputs/: keep it a plain file name.
        if !crate::is_slug(&raw.name) {
            self.problem(
                "name",
                "must be 1 to 64 letters, digits, `-` or `_` (it names the output folder)",
            );
        }
        let start_date = self.date(&raw.start_date);
        let hypotheses = self.hypotheses(raw.hypotheses);
        let hyp_names: Vec<&str> = hypotheses.iter().map(|h| h.name.as_str()).collect();
        let actors_ok = self.actors(&mut actors, &hyp_names);
        let events = self.events(&raw.events, &hyp_names, actors_ok.then_some(&actors[..]));
        if !actors_ok {
            return None;
        }
        let events = events?;
        let kinds = self.model_kinds(&events, &actors);
        let mediator = self.mediator(raw.mediator, &actors);
        let conflict = match &mediator {
            Some(m) => self.conflict(m, raw.negotiation, raw.war, &actors, &doc),
            None => None,
        };
        let hedging = actors
            .iter()
            .position(|a| matches!(&a.kind, ActorKind::Observer(o) if o.alignment.is_some()));
        match (&raw.alignment, hedging) {
            (None, Some(i)) => self.problem(
                format!("actors[{i}].alignment"),
                "a hedging observer needs the scenario's `[alignment]` table",
            ),
            (Some(_), None) => {
                self.problem("alignment", "means nothing without an observer with [alignment]")
            }
            _ => {}
        }
        let background = self.background(&raw.background, &actors, &events);
        let timeline = self.timeline(&raw.timeline, raw.horizon_days, &actors, &events);
        let observed = self.observed(&raw.observed, raw.horizon_days);
        if raw.record_until_day.is_some_and(|d| d >= raw.horizon_days) {
            self.problem("record_until_day", "must be a day before horizon_days");
        }
        self.favoured(&hypotheses, &events);
        if let Some(a) = &raw.alignment
            && a.offer_talks_above > a.accept_talks_above
        {
            self.problem(
                "alignment.offer_talks_above",
                "must not be above alignment.accept_talks_above (an offer is a weaker yes)",
            );
        }
        if !self.problems.is_empty() {
            return None;
        }
        Some(Scenario {
            name: raw.name,
            description: raw.description,
            start_date: start_date?,
            // The domain check has already refused a horizon outside [1, 36500].
            horizon_days: raw.horizon_days,
            hypotheses,
            actors,
            mediator: mediator?,
            conflict: conflict?,
            beliefs: raw.beliefs,
            mechanisms: raw.mechanisms,
            alignment: raw.alignment,
            events,
            kinds: kinds?,
            background: background?,
            timeline: timeline?,
            record_until: raw.record_until_day,
            observed: observed?,
            document: doc,
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

    fn hypotheses(&mut self, raw: OrderedMap<Hypothesis>) -> Vec<Hypothesis> {
        if raw.0.len() < 2 {
            self.problem("hypotheses", "needs at least two hypotheses to weigh");
        }
        let mut out = Vec::new();
        for (name, mut h) in raw.0 {
            self.snake_case(&format!("hypotheses.{name}"), &name);
            h.name = name;
            out.push(h);
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

    /// A distribution keyed by `names`, exactly those keys, summing to one; on success its
    /// entries are put in the order of `names`.
    fn distribution(
        &mut self,
        path: &str,
        map: &mut OrderedMap<f64>,
        names: &[&str],
        what: &str,
    ) -> bool {
        let mut ok = true;
        for key in map.keys() {
            if !names.contains(&key) {
                let msg = format!("unknown {what} `{key}` (known: {})", names.join(", "));
                self.problem(format!("{path}.{key}"), msg);
                ok = false;
            }
        }
        let mut ordered = Vec::with_capacity(names.len());
        for name in names {
            match map.get(name) {
                Some(v) => ordered.push((name.to_string(), *v)),
                None => {
                    self.problem(path, format!("is missing `{name}`"));
                    ok = false;
                }
            }
        }
        if !ok {
            return false;
        }
        let sum: f64 = ordered.iter().map(|(_, v)| v).sum();
        if (sum - 1.0).abs() > SUM_TOLERANCE || !sum.is_finite() {
            self.problem(path, format!("must sum to 1 (within {SUM_TOLERANCE:e}), sums to {sum}"));
            return false;
        }
        map.0 = ordered;
        true
    }

    /// Reads each actor's table: the fields every actor has, then the rest into the struct of
    /// its role. A field that belongs to another role is named as such.
    fn actor_tables(&mut self, tables: Vec<toml::Table>) -> Option<Vec<Actor>> {
        let mut out = Vec::new();
        let count = tables.len();
        for (i, mut rest) in tables.into_iter().enumerate() {
            let p = format!("actors[{i}]");
            let mut head = toml::Table::new();
            for key in ["code", "name", "role"] {
                if let Some(value) = rest.remove(key) {
                    head.insert(key.to_string(), value);
                }
            }
            let head: ActorHead = match read(head, &p) {
                Ok(h) => h,
                Err(problem) => {
                    self.problems.push(problem);
                    continue;
                }
            };
            let own: &[&str] = match head.role {
                Role::Mediator => &[],
                Role::Belligerent => BelligerentParams::FIELDS,
                Role::Observer => ObserverParams::FIELDS,
            };
            let foreign: Vec<String> = rest
                .keys()
                .filter(|k| !own.contains(&k.as_str()))
                .filter_map(|k| {
                    let owner = if BelligerentParams::FIELDS.contains(&k.as_str()) {
                        "belligerents"
                    } else if ObserverParams::FIELDS.contains(&k.as_str()) {
                        "observers"
                    } else {
                        return None;
                    };
                    self.problem(format!("{p}.{k}"), format!("is only for {owner}"));
                    Some(k.clone())
                })
                .collect();
            for k in &foreign {
                rest.remove(k);
            }
            let kind = match head.role {
                Role::Mediator => match rest.keys().next() {
                    Some(k) => Err((
                        format!("{p}.{k}"),
                        format!(
                            "unknown field `{k}` (a mediator has only code, name and role; its \
                             disposition goes under [mediator])"
                        ),
                    )),
                    None => Ok(ActorKind::Mediator),
                },
                Role::Belligerent => read(rest, &p).map(ActorKind::Belligerent),
                Role::Observer => read(rest, &p).map(ActorKind::Observer),
            };
            match kind {
                Ok(kind) => {
                    out.push(Actor { code: head.code, name: head.name, role: head.role, kind })
                }
                Err(problem) => self.problems.push(problem),
            }
        }
        (out.len() == count).then_some(out)
    }

    /// Codes, roles and cross-references of the actors; distributions put in order.
    fn actors(&mut self, actors: &mut [Actor], hyps: &[&str]) -> bool {
        let codes: Vec<String> = actors.iter().map(|a| a.code.clone()).collect();
        let mut ok = true;
        for (i, a) in actors.iter_mut().enumerate() {
            let p = format!("actors[{i}]");
            let code_ok = !a.code.is_empty()
                && a.code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if !code_ok {
                self.problem(format!("{p}.code"), "must be upper-case letters or digits");
            }
            if codes.iter().position(|c| *c == a.code) != Some(i) {
                self.problem(format!("{p}.code"), format!("`{}` is used twice", a.code));
            }
            ok &= match &mut a.kind {
                ActorKind::Mediator => true,
                ActorKind::Belligerent(b) => self.belligerent(&p, b),
                ActorKind::Observer(o) => self.observer(&p, i, o, hyps, &codes),
            };
        }
        let mediators = actors.iter().filter(|a| a.role == Role::Mediator).count();
        if mediators != 1 {
            self.problem("actors", format!("needs exactly one mediator, has {mediators}"));
            ok = false;
        }
        // A war has two sides or there is none (an episode in which the mediator talks
        // directly to an observer).
        let count = |side: Side| {
            actors
                .iter()
                .filter(|a| matches!(&a.kind, ActorKind::Belligerent(b) if b.side == side))
                .count()
        };
        let (partners, adversaries) = (count(Side::Partner), count(Side::Adversary));
        if (partners, adversaries) != (1, 1) && (partners, adversaries) != (0, 0) {
            self.problem(
                "actors",
                format!(
                    "needs one belligerent `side = \"partner\"` and one `side = \"adversary\"`, \
                     or no belligerents; has {partners} and {adversaries}"
                ),
            );
            ok = false;
        }
        if !ok {
            return false;
        }
        // Cross-references that need every actor resolved.
        for (i, a) in actors.iter().enumerate() {
            let ActorKind::Observer(o) = &a.kind else { continue };
            if let Some(al) = &o.alignment {
                let p = format!("actors[{i}].alignment");
                if let Some(from) = &al.leverage_from
                    && !matches!(&actors[from.index].kind, ActorKind::Belligerent(_))
                {
                    self.problem(format!("{p}.leverage_from"), "must name a belligerent");
                    ok = false;
                }
                if let Some(by) = &al.courted_by {
                    match &actors[by.index].kind {
                        ActorKind::Observer(c)
                            if c.courtship.as_ref().map(|c| c.target.index) == Some(i) => {}
                        _ => {
                            self.problem(
                                format!("{p}.courted_by"),
                                format!("must name an observer whose courtship targets {}", a.code),
                            );
                            ok = false;
                        }
                    }
                }
            }
            if let Some(c) = &o.courtship {
                let target_aligned = matches!(&actors[c.target.index].kind,
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
        ok
    }

    fn belligerent(&mut self, p: &str, b: &BelligerentParams) -> bool {
        // Only the adversary buys munitions from the observers; on the partner it would mean
        // nothing, so it is refused rather than ignored.
        match (b.side, b.munitions_need) {
            (Side::Adversary, None) => {
                self.problem(format!("{p}.munitions_need"), "is required for the adversary");
                false
            }
            (Side::Partner, Some(_)) => {
                self.problem(format!("{p}.munitions_need"), "is only for the adversary");
                false
            }
            _ => true,
        }
    }

    fn observer(
        &mut self,
        p: &str,
        me: usize,
        o: &mut ObserverParams,
        hyps: &[&str],
        codes: &[String],
    ) -> bool {
        let mut ok = self.distribution(&format!("{p}.prior"), &mut o.prior, hyps, "hypothesis");
        for j in 0..o.watches.len() {
            let wp = format!("{p}.watches[{j}]");
            let seen_before =
                o.watches[..j].iter().any(|x| x.actor.code == o.watches[j].actor.code);
            let w = &mut o.watches[j];
            let resolved = self.reference(&format!("{wp}.actor"), &mut w.actor, codes);
            if resolved && w.actor.index == me {
                self.problem(format!("{wp}.actor"), "an observer sees its own events directly");
                ok = false;
            }
            if seen_before {
                self.problem(format!("{wp}.actor"), format!("`{}` is watched twice", w.actor.code));
                ok = false;
            }
            if w.delay_min_days > w.delay_max_days {
                self.problem(format!("{wp}.delay_min_days"), "must not exceed delay_max_days");
                ok = false;
            }
            ok &= resolved;
        }
        if let Some(al) = &mut o.alignment {
            let ap = format!("{p}.alignment");
            ok &= self.distribution(&format!("{ap}.weights"), &mut al.weights, &LANES, "lane");
            if let Some(r) = &mut al.leverage_from {
                ok &= self.reference(&format!("{ap}.leverage_from"), r, codes);
            }
            if let Some(r) = &mut al.courted_by {
                ok &= self.reference(&format!("{ap}.courted_by"), r, codes);
            }
        }
        if let Some(c) = &mut o.courtship {
            ok &= self.reference(&format!("{p}.courtship.target"), &mut c.target, codes);
        }
        ok
    }

    /// Resolves an actor reference to its index; false (and a problem) for an unknown code.
    fn reference(&mut self, path: &str, r: &mut ActorRef, codes: &[String]) -> bool {
        match self.find(|| path.to_string(), &r.code, codes.iter().map(String::as_str)) {
            Some(i) => {
                r.index = i;
                true
            }
            None => false,
        }
    }

    /// The index of an actor named by code; None (and a problem) for an unknown code.
    /// The path is built only for a problem: a replay's timeline names two actors a row, and a
    /// calibration validates it for every proposal.
    fn find<'a>(
        &mut self,
        path: impl FnOnce() -> String,
        code: &str,
        codes: impl Iterator<Item = &'a str> + Clone,
    ) -> Option<usize> {
        let r = codes.clone().position(|c| c == code);
        if r.is_none() {
            let hint = crate::error::did_you_mean(code, codes);
            self.problem(path(), format!("unknown actor code `{code}`{hint}"));
        }
        r
    }

    fn events(
        &mut self,
        raw: &OrderedMap<RawEventKind>,
        hyps: &[&str],
        actors: Option<&[Actor]>,
    ) -> Option<Vec<EventKind>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (name, e) in &raw.0 {
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
                    level: e.level,
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

    /// Where each kind the model emits sits among `events`. A kind is required when the
    /// process that emits it exists in this scenario (`ModelKind::emitted_by`); one that is
    /// not is `ModelKinds::ABSENT` unless declared, and nothing emits it.
    fn model_kinds(&mut self, events: &[EventKind], actors: &[Actor]) -> Option<ModelKinds> {
        let has = |p: Process| match p {
            Process::Mediator => true,
            Process::Conflict => actors.iter().any(|a| matches!(a.kind, ActorKind::Belligerent(_))),
            Process::Hedging => actors
                .iter()
                .any(|a| matches!(&a.kind, ActorKind::Observer(o) if o.alignment.is_some())),
            Process::Courting => actors
                .iter()
                .any(|a| matches!(&a.kind, ActorKind::Observer(o) if o.courtship.is_some())),
            Process::Optional => false,
        };
        let mut idx = Vec::with_capacity(ModelKind::ALL.len());
        let mut ok = true;
        for kind in ModelKind::ALL {
            match events.iter().position(|e| e.name == kind.name()) {
                Some(i) => idx.push(i),
                None if !has(kind.emitted_by()) => idx.push(ModelKinds::ABSENT),
                None => {
                    ok = false;
                    self.problem(
                        "events",
                        format!("is missing `{}`, which the model emits", kind.name()),
                    );
                }
            }
        }
        ok.then_some(ModelKinds(idx))
    }

    fn mediator(&mut self, mut m: Mediator, actors: &[Actor]) -> Option<Mediator> {
        let codes: Vec<String> = actors.iter().map(|a| a.code.clone()).collect();
        let mut ok = self.reference("mediator.actor", &mut m.actor, &codes);
        if ok && actors[m.actor.index].role != Role::Mediator {
            self.problem("mediator.actor", "must name the actor whose role is mediator");
            ok = false;
        }
        let target = self.reference("mediator.overture_target", &mut m.overture_target, &codes);
        if target && actors[m.overture_target.index].role != Role::Observer {
            self.problem("mediator.overture_target", "must name an observer");
            ok = false;
        }
        if let Some(c) = &mut m.counterpart {
            let found = self.reference("mediator.counterpart", c, &codes);
            if found && actors[c.index].role != Role::Observer {
                self.problem("mediator.counterpart", "must name an observer");
                ok = false;
            }
            ok &= found;
        }
        (ok && target).then_some(m)
    }

    /// The war and the talks over it: with both belligerents, `[negotiation]`, `[war]` and the
    /// mediator's pressure fields are required; without, each of them is refused.
    fn conflict(
        &mut self,
        m: &Mediator,
        negotiation: Option<Negotiation>,
        war: Option<War>,
        actors: &[Actor],
        doc: &toml::Table,
    ) -> Option<Option<Conflict>> {
        let side = |s: Side| {
            actors.iter().position(|a| matches!(&a.kind, ActorKind::Belligerent(b) if b.side == s))
        };
        let given: Vec<&str> = doc
            .get("mediator")
            .and_then(toml::Value::as_table)
            .map(|t| {
                MEDIATOR_CONFLICT_FIELDS.iter().copied().filter(|f| t.contains_key(*f)).collect()
            })
            .unwrap_or_default();
        let (Some(partner), Some(adversary)) = (side(Side::Partner), side(Side::Adversary)) else {
            let mut ok = true;
            for f in given {
                self.problem(format!("mediator.{f}"), "means nothing without belligerents");
                ok = false;
            }
            for (table, present) in [("negotiation", negotiation.is_some()), ("war", war.is_some())]
            {
                if present {
                    self.problem(table, "means nothing without belligerents");
                    ok = false;
                }
            }
            return ok.then_some(None);
        };
        let mut ok = true;
        for f in MEDIATOR_CONFLICT_FIELDS {
            if !given.contains(&f) {
                self.problem(
                    "mediator",
                    format!("missing field `{f}` (required with belligerents)"),
                );
                ok = false;
            }
        }
        for (table, present) in [("negotiation", negotiation.is_some()), ("war", war.is_some())] {
            if !present {
                self.problem(
                    format!("actors[{partner}].side"),
                    format!("a scenario with belligerents needs a `[{table}]` table"),
                );
                ok = false;
            }
        }
        if let Some(n) = &negotiation
            && n.black_sea_at > n.comprehensive_at
        {
            self.problem(
                "negotiation.black_sea_at",
                "must not be above negotiation.comprehensive_at (the Black Sea pause comes first)",
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        Some(Some(Conflict {
            partner,
            adversary,
            pressure_on_partner: m.pressure_on_partner?,
            pressure_on_adversary: m.pressure_on_adversary?,
            deal_urgency: m.deal_urgency?,
            maximalism: m.maximalism?,
            pressure_rate_per_day: m.pressure_rate_per_day?,
            escalate_after: m.escalate_after?,
            relief_rate_per_day: m.relief_rate_per_day?,
            negotiation: negotiation?,
            war: war?,
        }))
    }

    fn endpoints(
        &mut self,
        p: &str,
        source: &str,
        target: Option<&str>,
        actors: &[Actor],
    ) -> Option<(usize, Option<usize>)> {
        let codes = || actors.iter().map(|a| a.code.as_str());
        let s = self.find(|| format!("{p}.source"), source, codes());
        let t = match target {
            None => Some(None),
            Some(t) => self.find(|| format!("{p}.target"), t, codes()).map(Some),
        };
        Some((s?, t?))
    }

    fn kind(&mut self, p: &str, name: &str, events: &[EventKind]) -> Option<usize> {
        let k = events.iter().position(|e| e.name == name);
        if k.is_none() {
            let hint = crate::error::did_you_mean(name, events.iter().map(|e| e.name.as_str()));
            self.problem(format!("{p}.kind"), format!("unknown event kind `{name}`{hint}"));
        }
        k
    }

    fn background(
        &mut self,
        raw: &OrderedMap<RawBackground>,
        actors: &[Actor],
        events: &[EventKind],
    ) -> Option<Vec<Background>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (name, b) in &raw.0 {
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
        raw: &[RawScripted],
        horizon_days: u32,
        actors: &[Actor],
        events: &[EventKind],
    ) -> Option<Vec<Scripted>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (i, s) in raw.iter().enumerate() {
            let p = format!("timeline[{i}]");
            let kind = self.kind(&p, &s.kind, events);
            let ends = self.endpoints(&p, &s.source, s.target.as_deref(), actors);
            if s.target.as_deref() == Some(s.source.as_str()) {
                self.problem(format!("{p}.target"), "must differ from the source");
            }
            let day = Some(s.day).filter(|d| *d < horizon_days);
            if day.is_none() {
                self.problem(format!("{p}.day"), format!("must be a day in [0, {horizon_days})"));
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

    fn observed(&mut self, raw: &[RawObserved], horizon_days: u32) -> Option<Vec<Observation>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (i, o) in raw.iter().enumerate() {
            let p = format!("observed[{i}]");
            if o.day >= horizon_days {
                self.problem(format!("{p}.day"), format!("must be a day in [0, {horizon_days})"));
                ok = false;
            }
            let valid_name = !o.outcome.is_empty()
                && o.outcome
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid_name {
                self.problem(
                    format!("{p}.outcome"),
                    "must be an outcome column name such as kr_trust_us",
                );
                ok = false;
            }
            match Expect::parse(&o.observed) {
                Ok(expect) => out.push(Observation {
                    day: o.day,
                    outcome: o.outcome.clone(),
                    expect,
                    note: o.note.clone(),
                    place: None,
                }),
                Err(m) => {
                    self.problem(format!("{p}.observed"), m);
                    ok = false;
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts beyond the limits are refused by name before anything is built from them.
    #[test]
    fn too_many_actors_or_dated_entries_are_refused() {
        let s = crate::load_embedded(crate::DEFAULT_SCENARIO).unwrap().unwrap();
        let mut doc = s.document.clone();
        let actors = doc["actors"].as_array_mut().unwrap();
        let observer = actors.last().unwrap().clone();
        while actors.len() <= MAX_ACTORS {
            actors.push(observer.clone());
        }
        let entry = toml::Value::Table(
            toml::toml! { day = 1 kind = "aid_suspended" source = "US" target = "UA" },
        );
        doc.insert("timeline".into(), toml::Value::Array(vec![entry; MAX_DATED + 1]));
        let problems = validate(&doc).unwrap_err();
        let said: Vec<String> = problems.iter().map(|(p, m)| format!("{p}: {m}")).collect();
        assert_eq!(
            said,
            [
                format!("actors: has {} entries, more than the limit of 64", MAX_ACTORS + 1),
                String::from("timeline: has 100001 entries, more than the limit of 100000"),
            ]
        );
    }
}
