//! Parameter paths: every number in a scenario, named by a dotted path and given a range.
//!
//! `actors.KP.prior.reliable` names the same field as the index path `actors[3].prior.reliable`:
//! elements of an array of tables are named by their `code` (actors) or `actor` (channels) key
//! when they have one, by their position otherwise (`events.aid_suspended.effects.0.delta`).
//! Sweeps and variants address parameters this way; `sidelines describe` lists them all.
//! The declared ranges below are the single source of truth for what a value may be.

use toml::{Table, Value};

/// The declared domain of a numeric field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Domain {
    pub min: f64,
    pub max: f64,
    /// Whole numbers only (days, counts).
    pub integer: bool,
}

const UNIT: Domain = Domain { min: 0.0, max: 1.0, integer: false };
const fn real(min: f64, max: f64) -> Domain {
    Domain { min, max, integer: false }
}
const fn whole(min: f64, max: f64) -> Domain {
    Domain { min, max, integer: true }
}

/// Pattern (segments, `*` matches one) -> domain. A numeric field with no pattern is a bug that
/// a unit test catches.
const DOMAINS: &[(&str, Domain)] = &[
    ("horizon_days", whole(1.0, 36_500.0)),
    ("hypotheses.*.trust", UNIT),
    ("hypotheses.*.coercion", UNIT),
    ("hypotheses.*.abandonment", UNIT),
    ("hypotheses.*.engagement_payoff", UNIT),
    ("actors.*.resolve", UNIT),
    ("actors.*.aid_dependence", UNIT),
    ("actors.*.stalling", UNIT),
    ("actors.*.sanctions_relief_demand", UNIT),
    ("actors.*.munitions_need", UNIT),
    ("actors.*.transfer", UNIT),
    ("actors.*.prior.*", UNIT),
    ("actors.*.watches.*.attention", UNIT),
    ("actors.*.watches.*.delay_min_days", whole(0.0, 365.0)),
    ("actors.*.watches.*.delay_max_days", whole(0.0, 365.0)),
    ("actors.*.watches.*.noise", real(0.0, 3.0)),
    ("actors.*.alignment.weights.*", UNIT),
    ("actors.*.alignment.leverage", UNIT),
    ("actors.*.courtship.base_per_day", UNIT),
    ("actors.*.courtship.per_tilt_per_day", real(0.0, 10.0)),
    ("actors.*.courtship.tilt_reference", UNIT),
    ("actors.*.courtship.adjust_days", real(1.0, 3650.0)),
    ("mediator.pressure_on_partner", UNIT),
    ("mediator.pressure_on_adversary", UNIT),
    ("mediator.deal_urgency", UNIT),
    ("mediator.attention_half_life_days", real(1.0, 3650.0)),
    ("mediator.maximalism", UNIT),
    ("mediator.overture_rate_per_day", UNIT),
    ("mediator.initial_attention", UNIT),
    ("mediator.disengage_below", UNIT),
    ("mediator.talks_round_rate_per_day", UNIT),
    ("mediator.pressure_rate_per_day", UNIT),
    ("mediator.escalate_after", whole(0.0, 100.0)),
    ("mediator.relief_rate_per_day", UNIT),
    ("negotiation.initial_progress", UNIT),
    ("negotiation.progress_per_concession", real(0.001, 1.0)),
    ("negotiation.black_sea_at", UNIT),
    ("negotiation.comprehensive_at", UNIT),
    ("negotiation.relief_required_above", UNIT),
    ("negotiation.russian_terms_share", UNIT),
    ("negotiation.collapse_hazard_per_round", UNIT),
    ("negotiation.base_concession_rate_per_day", UNIT),
    ("negotiation.aid_cut_concession_rate_per_day", UNIT),
    ("negotiation.sanctions_concession_rate_per_day", UNIT),
    ("negotiation.relief_concession_rate_per_day", UNIT),
    ("negotiation.resolve_recovery_days", real(1.0, 3650.0)),
    ("war.intensity", UNIT),
    ("war.intensity_fighting", UNIT),
    ("war.intensity_ceasefire", UNIT),
    ("war.intensity_settled", UNIT),
    ("war.relaxation_days", real(1.0, 3650.0)),
    ("war.munitions_per_intensity", real(0.0, 2.0)),
    ("war.leverage_adjust_days", real(1.0, 3650.0)),
    ("beliefs.statement_weight", UNIT),
    ("beliefs.forgetting_per_day", UNIT),
    ("alignment.inertia_per_day", UNIT),
    ("alignment.temperature", real(0.01, 100.0)),
    ("alignment.russia_utility", real(-10.0, 10.0)),
    ("alignment.russia_per_leverage", real(-10.0, 10.0)),
    ("alignment.china_utility", real(-10.0, 10.0)),
    ("alignment.us_engagement_utility", real(-10.0, 10.0)),
    ("alignment.china_per_courtship", real(-10.0, 10.0)),
    ("alignment.us_per_engagement_payoff", real(-10.0, 10.0)),
    ("alignment.self_reliance_utility", real(-10.0, 10.0)),
    ("alignment.shock_half_life_days", real(0.1, 3650.0)),
    ("alignment.accept_talks_above", UNIT),
    ("events.*.visibility", UNIT),
    // A likelihood is relative within one event kind; 0 would make a hypothesis impossible
    // forever after one observation, so it is excluded.
    ("events.*.likelihood.*", real(1e-6, 1.0)),
    ("events.*.effects.*.delta", real(-10.0, 10.0)),
    ("background.*.rate_per_day", UNIT),
    ("timeline.*.day", whole(0.0, 36_500.0)),
    ("timeline.*.magnitude", real(0.0, 10.0)),
];

/// The domain declared for a parameter path, if any.
pub fn domain(param_path: &str) -> Option<Domain> {
    let segs: Vec<&str> = param_path.split('.').collect();
    DOMAINS.iter().find(|(pat, _)| matches(pat, &segs)).map(|(_, d)| *d)
}

fn matches(pattern: &str, segs: &[&str]) -> bool {
    let pat: Vec<&str> = pattern.split('.').collect();
    pat.len() == segs.len() && pat.iter().zip(segs).all(|(p, s)| *p == "*" || p == s)
}

/// One numeric field of a scenario document.
#[derive(Clone, Debug, PartialEq)]
pub struct Leaf {
    /// `actors.KP.prior.reliable`
    pub param: String,
    /// `actors[3].prior.reliable`
    pub index: String,
    pub value: f64,
}

/// Every numeric field, in document order.
pub fn leaves(doc: &Table) -> Vec<Leaf> {
    let mut out = Vec::new();
    walk_table(doc, "", "", &mut out);
    out
}

fn join(prefix: &str, seg: &str) -> String {
    if prefix.is_empty() { seg.to_string() } else { format!("{prefix}.{seg}") }
}

fn walk_table(t: &Table, param: &str, index: &str, out: &mut Vec<Leaf>) {
    for (k, v) in t {
        walk_value(v, &join(param, k), &join(index, k), out);
    }
}

fn walk_value(v: &Value, param: &str, index: &str, out: &mut Vec<Leaf>) {
    match v {
        Value::Integer(i) => {
            out.push(Leaf { param: param.into(), index: index.into(), value: *i as f64 })
        }
        Value::Float(f) => out.push(Leaf { param: param.into(), index: index.into(), value: *f }),
        Value::Table(t) => walk_table(t, param, index, out),
        Value::Array(items) => {
            let key = element_key_field(param);
            for (i, item) in items.iter().enumerate() {
                let name = element_key(item, key).unwrap_or_else(|| i.to_string());
                walk_value(item, &join(param, &name), &format!("{index}[{i}]"), out);
            }
        }
        Value::String(_) | Value::Boolean(_) | Value::Datetime(_) => {}
    }
}

/// Which field names the elements of an array: `code` for actors, `actor` for channels; the
/// others (effects, timeline) are named by position.
fn element_key_field(array_param: &str) -> Option<&'static str> {
    match array_param.rsplit('.').next() {
        Some("actors") if !array_param.contains('.') => Some("code"),
        Some("watches") => Some("actor"),
        _ => None,
    }
}

/// The name an array element goes by in a parameter path.
fn element_key(item: &Value, field: Option<&str>) -> Option<String> {
    item.as_table()?.get(field?)?.as_str().map(str::to_string)
}

/// A number as people read it: plain, or in exponent form when very large or very small.
pub fn show(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-6..1e9).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Finds the numeric value a parameter path names.
fn lookup_mut<'a>(doc: &'a mut Table, param: &str) -> Option<&'a mut Value> {
    let mut segs = param.split('.');
    let first = segs.next()?;
    let mut cur = doc.get_mut(first)?;
    let mut walked = first.to_string();
    for seg in segs {
        let key = element_key_field(&walked);
        walked = join(&walked, seg);
        cur = match cur {
            Value::Table(t) => t.get_mut(seg)?,
            Value::Array(items) => {
                let pos = items.iter().position(|it| element_key(it, key).as_deref() == Some(seg));
                let pos = match pos {
                    Some(p) => p,
                    None => seg.parse::<usize>().ok().filter(|i| *i < items.len())?,
                };
                &mut items[pos]
            }
            _ => return None,
        };
    }
    Some(cur)
}

/// Reads one parameter.
pub fn get(doc: &Table, param: &str) -> Option<f64> {
    leaves(doc).into_iter().find(|l| l.param == param).map(|l| l.value)
}

/// Sets one numeric parameter in place. The caller re-validates the document.
pub fn set(doc: &mut Table, param: &str, value: f64) -> Result<(), String> {
    let Some(slot) = lookup_mut(doc, param) else {
        return Err(unknown_path_message(doc, param));
    };
    match slot {
        // A real-valued parameter written as `45` in the file takes any real value.
        Value::Integer(_) if domain(param).is_some_and(|d| !d.integer) => {
            *slot = Value::Float(value)
        }
        Value::Integer(_) => {
            if !value.is_finite() || value.fract() != 0.0 {
                return Err(format!("{param} takes a whole number, not {}", show(value)));
            }
            if value.abs() > 9.0e15 {
                let range =
                    domain(param).map_or(String::new(), |d| format!(" [{}, {}]", d.min, d.max));
                return Err(format!("{param} = {} is outside its range{range}", show(value)));
            }
            *slot = Value::Integer(value as i64);
        }
        Value::Float(_) => *slot = Value::Float(value),
        _ => return Err(format!("{param} is not a number")),
    }
    Ok(())
}

/// "no parameter X; did you mean Y?" using the closest existing path.
pub fn unknown_path_message(doc: &Table, param: &str) -> String {
    let best = leaves(doc)
        .into_iter()
        .map(|l| (strsim::jaro_winkler(&l.param, param), l.param))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, p)) if score > 0.8 => format!("no parameter `{param}`; did you mean `{p}`?"),
        _ => format!("no parameter `{param}` (`sidelines describe` lists them)"),
    }
}

/// The index path (`actors[3].prior.reliable`) of a parameter path, for error locations.
pub fn index_path(doc: &Table, param: &str) -> Option<String> {
    leaves(doc).into_iter().find(|l| l.param == param).map(|l| l.index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Table {
        toml::from_str(
            r#"
            horizon_days = 10
            [[actors]]
            code = "KP"
            prior = { a = 0.25, b = 0.75 }
            [[actors.watches]]
            actor = "US"
            attention = 0.5
            [events.x]
            effects = [{ delta = 0.5 }]
            "#,
        )
        .unwrap()
    }

    #[test]
    fn names_elements_by_key_or_position() {
        let names: Vec<_> = leaves(&doc()).into_iter().map(|l| (l.param, l.index)).collect();
        let expect = [
            ("horizon_days", "horizon_days"),
            ("actors.KP.prior.a", "actors[0].prior.a"),
            ("actors.KP.prior.b", "actors[0].prior.b"),
            ("actors.KP.watches.US.attention", "actors[0].watches[0].attention"),
            ("events.x.effects.0.delta", "events.x.effects[0].delta"),
        ];
        let expect: Vec<_> = expect.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(names, expect);
    }

    #[test]
    fn set_then_get() {
        let mut d = doc();
        set(&mut d, "actors.KP.watches.US.attention", 0.75).unwrap();
        assert_eq!(get(&d, "actors.KP.watches.US.attention"), Some(0.75));
        set(&mut d, "horizon_days", 20.0).unwrap();
        assert_eq!(get(&d, "horizon_days"), Some(20.0));
        assert!(set(&mut d, "horizon_days", 2.5).unwrap_err().contains("whole number"));
    }

    #[test]
    fn unknown_path_suggests_nearest() {
        let mut d = doc();
        let e = set(&mut d, "actors.KP.prior.c", 0.1).unwrap_err();
        assert!(e.contains("did you mean `actors.KP.prior."), "{e}");
        let e = set(&mut d, "zzz", 0.1).unwrap_err();
        assert!(e.contains("sidelines describe"), "{e}");
    }
}
