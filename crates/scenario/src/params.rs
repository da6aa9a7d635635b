//! Parameter paths: every number in a scenario, named by a dotted path and given a range.
//!
//! `actors.KP.prior.reliable` names the same field as the index path `actors[3].prior.reliable`:
//! elements of an array of tables are named by their `code` (actors) or `actor` (channels) key
//! when they have one, by their position otherwise (`events.aid_suspended.effects.0.delta`).
//! Sweeps and variants address parameters this way; `sidelines describe` lists them all.
//! What a value may be is declared once, beside its field (`parameters!`); `GROUPS` says
//! where each declared struct sits in the document.

use std::fmt::Write;

use toml::{Table, Value};

pub use crate::declare::{Domain, Param};
use crate::resolved::*;
use crate::schema::{
    RawBackground, RawEffect, RawEventKind, RawObserved, RawScenario, RawScripted,
};

/// Where each declared struct sits in a scenario document (`*` matches one segment: a table
/// key or an array element's name). Every numeric field's domain and doc line come from the
/// `PARAMS` of the struct declared at its table; a numeric field with none is refused.
pub const GROUPS: &[Group] = &[
    Group { at: "", role: None, params: RawScenario::PARAMS },
    Group { at: "hypotheses.*", role: None, params: Hypothesis::PARAMS },
    Group { at: "actors.*", role: Some("belligerent"), params: BelligerentParams::PARAMS },
    Group { at: "actors.*", role: Some("observer"), params: ObserverParams::PARAMS },
    Group { at: "actors.*.watches.*", role: None, params: Channel::PARAMS },
    Group { at: "actors.*.alignment", role: None, params: ActorAlignment::PARAMS },
    Group { at: "actors.*.courtship", role: None, params: Courtship::PARAMS },
    Group { at: "mediator", role: None, params: Mediator::PARAMS },
    Group { at: "negotiation", role: None, params: Negotiation::PARAMS },
    Group { at: "war", role: None, params: War::PARAMS },
    Group { at: "beliefs", role: None, params: Beliefs::PARAMS },
    Group { at: "mechanisms", role: None, params: Mechanisms::PARAMS },
    Group { at: "alignment", role: None, params: Alignment::PARAMS },
    Group { at: "events.*", role: None, params: RawEventKind::PARAMS },
    Group { at: "events.*.effects.*", role: None, params: RawEffect::PARAMS },
    Group { at: "background.*", role: None, params: RawBackground::PARAMS },
    Group { at: "timeline.*", role: None, params: RawScripted::PARAMS },
    Group { at: "observed.*", role: None, params: RawObserved::PARAMS },
];

/// The parameters of one declared struct and the tables that hold it.
#[derive(Clone, Copy, Debug)]
pub struct Group {
    /// The tables' path pattern.
    pub at: &'static str,
    /// Only tables whose `role` is this (an actor's role-specific fields).
    pub role: Option<&'static str>,
    pub params: &'static [Param],
}

impl Group {
    /// The path pattern of one of its parameters (`actors.*.prior.*` for a table of numbers).
    fn pattern(&self, p: &Param) -> String {
        let path = join(self.at, p.name);
        if p.entries { format!("{path}.*") } else { path }
    }
}

/// Every declared parameter's path pattern, split into segments, in declaration order: built
/// once, because validating a scenario looks up every numeric field (a calibration builds a
/// scenario per proposal, and building the patterns on each lookup was half its time).
static PATTERNS: std::sync::LazyLock<Vec<(Vec<String>, &'static Param)>> =
    std::sync::LazyLock::new(|| {
        GROUPS
            .iter()
            .flat_map(|g| g.params.iter().map(move |p| (g, p)))
            .map(|(g, p)| (g.pattern(p).split('.').map(String::from).collect(), p))
            .collect()
    });

thread_local! {
    /// Paths already looked up (a scenario has a few hundred; a calibration validates one per
    /// proposal, each with the same paths).
    static FOUND: std::cell::RefCell<std::collections::HashMap<String, Option<&'static Param>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Paths remembered per thread at most: a hostile file cannot grow the memo without bound.
const FOUND_MAX: usize = 100_000;

/// The declaration behind a parameter path, if any: the first pattern it matches.
pub fn declaration(param_path: &str) -> Option<&'static Param> {
    if let Some(found) = FOUND.with_borrow(|m| m.get(param_path).copied()) {
        return found;
    }
    let found = find_declaration(param_path);
    FOUND.with_borrow_mut(|m| {
        if m.len() < FOUND_MAX {
            m.insert(param_path.to_string(), found);
        }
    });
    found
}

fn find_declaration(param_path: &str) -> Option<&'static Param> {
    let len = param_path.split('.').count();
    PATTERNS
        .iter()
        .find(|(pat, _)| {
            pat.len() == len
                && pat.iter().zip(param_path.split('.')).all(|(p, s)| p == "*" || p == s)
        })
        .map(|(_, p)| *p)
}

/// The declared domain of a parameter path, if any.
pub fn domain(param_path: &str) -> Option<Domain> {
    declaration(param_path).map(|p| p.domain)
}

/// Writes each declared default into the tables that leave it out, so that everything
/// downstream (validation, `describe`, variants, sweeps, the manifest) sees one document.
pub fn fill_defaults(doc: &mut Table) {
    // Every switch of `[mechanisms]` has a default, so a file may leave the table out; it is
    // written into the document so that its values have paths a variant or sweep can set.
    if !doc.contains_key("mechanisms") {
        doc.insert(String::from("mechanisms"), Value::Table(Table::new()));
    }
    for g in GROUPS {
        if g.params.iter().all(|p| p.default.is_none()) {
            continue;
        }
        let segs: Vec<&str> = if g.at.is_empty() { Vec::new() } else { g.at.split('.').collect() };
        each_table(doc, &segs, &mut |t| {
            let role_ok = g.role.is_none_or(|r| t.get("role").and_then(Value::as_str) == Some(r));
            if !role_ok {
                return;
            }
            for p in g.params {
                if let Some(d) = p.default.filter(|_| !t.contains_key(p.name)) {
                    let v =
                        if p.domain.integer { Value::Integer(d as i64) } else { Value::Float(d) };
                    t.insert(p.name.to_string(), v);
                }
            }
        });
    }
}

/// Calls `f` on every table the pattern `segs` reaches (`*` is every key or array element).
fn each_table(t: &mut Table, segs: &[&str], f: &mut dyn FnMut(&mut Table)) {
    let Some((first, rest)) = segs.split_first() else {
        f(t);
        return;
    };
    let values: Vec<&mut Value> = if *first == "*" {
        t.iter_mut().map(|(_, v)| v).collect()
    } else {
        t.get_mut(*first).into_iter().collect()
    };
    for v in values {
        each_value(v, rest, f);
    }
}

fn each_value(v: &mut Value, segs: &[&str], f: &mut dyn FnMut(&mut Table)) {
    match v {
        Value::Table(t) => each_table(t, segs, f),
        // An array of tables: each element is one more segment (its key or position).
        Value::Array(items) => {
            let Some((first, rest)) = segs.split_first() else { return };
            if *first != "*" {
                return;
            }
            for item in items {
                if let Value::Table(t) = item {
                    each_table(t, rest, f);
                }
            }
        }
        _ => {}
    }
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
    each_leaf(doc, &mut |param, index, value| {
        out.push(Leaf { param: param.into(), index: index.into(), value })
    });
    out
}

/// Visits every numeric field in document order: `visit(param, index, value)`, the paths
/// borrowed from two buffers grown and cut back along the walk, so that validating a scenario
/// allocates nothing per field (a calibration validates one per proposal).
pub fn each_leaf(doc: &Table, visit: &mut impl FnMut(&str, &str, f64)) {
    let (mut param, mut index) = (String::new(), String::new());
    walk_table(doc, &mut param, &mut index, visit);
}

fn join(prefix: &str, seg: &str) -> String {
    if prefix.is_empty() { seg.to_string() } else { format!("{prefix}.{seg}") }
}

/// Appends `.seg` (or `seg` to an empty path).
fn push_segment(path: &mut String, seg: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(seg);
}

fn walk_table(
    t: &Table,
    param: &mut String,
    index: &mut String,
    visit: &mut impl FnMut(&str, &str, f64),
) {
    for (k, v) in t {
        let (p, i) = (param.len(), index.len());
        push_segment(param, k);
        push_segment(index, k);
        walk_value(v, param, index, visit);
        param.truncate(p);
        index.truncate(i);
    }
}

fn walk_value(
    v: &Value,
    param: &mut String,
    index: &mut String,
    visit: &mut impl FnMut(&str, &str, f64),
) {
    match v {
        Value::Integer(i) => visit(param, index, *i as f64),
        Value::Float(f) => visit(param, index, *f),
        Value::Table(t) => walk_table(t, param, index, visit),
        Value::Array(items) => {
            let key = element_key_field(param);
            for (i, item) in items.iter().enumerate() {
                let (p, x) = (param.len(), index.len());
                match element_key(item, key) {
                    Some(name) => push_segment(param, name),
                    None => push_segment(param, &i.to_string()),
                }
                // Writing to a String cannot fail.
                let _ = write!(index, "[{i}]");
                walk_value(item, param, index, visit);
                param.truncate(p);
                index.truncate(x);
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
fn element_key<'a>(item: &'a Value, field: Option<&str>) -> Option<&'a str> {
    item.as_table()?.get(field?)?.as_str()
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
                let pos = items.iter().position(|it| element_key(it, key) == Some(seg));
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
    fn declarations_are_found_by_pattern_and_never_twice() {
        let p = declaration("actors.KP.prior.reliable").unwrap();
        assert_eq!((p.name, p.entries), ("prior", true));
        assert!(declaration("actors.KP.watches.US.delay_max_days").unwrap().domain.integer);
        assert_eq!(declaration("beliefs.statement_weight").unwrap().name, "statement_weight");
        assert!(declaration("beliefs.nonsense").is_none());
        let mut seen = std::collections::HashSet::new();
        for g in GROUPS {
            for p in g.params {
                assert!(seen.insert(g.pattern(p)), "{} is declared twice", g.pattern(p));
                assert!(p.domain.min <= p.domain.max && !p.doc.is_empty(), "{}", p.name);
            }
        }
    }

    #[test]
    fn each_table_reaches_tables_and_array_elements() {
        let mut d = doc();
        for (pattern, want) in
            [("actors.*.watches.*", 1), ("actors.*", 1), ("events.*", 1), ("", 1)]
        {
            let segs: Vec<&str> =
                if pattern.is_empty() { Vec::new() } else { pattern.split('.').collect() };
            let mut n = 0;
            each_table(&mut d, &segs, &mut |t| {
                t.insert("seen".into(), Value::Boolean(true));
                n += 1;
            });
            assert_eq!(n, want, "{pattern}");
        }
        assert!(d["actors"][0]["watches"][0].get("seen").is_some());
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
