//! Scenario files for `sidelines`: schema, validation, parameter paths, the embedded library.
//!
//! A scenario is one TOML file that holds every assumption of the model. A *variant* is a small
//! file that names a base scenario (`base = "ukraine-watch"`) and overrides a few numbers by
//! parameter path (`[set]`) or adds scripted events (`[[timeline]]`). Loading turns either into
//! a validated [`Scenario`], or into an [`Error`] that lists every problem found with its file,
//! line, column and field path.
//!
//! This crate does no I/O: the caller passes bytes, and a resolver for the base a variant names.

mod basic;
#[macro_use]
mod declare;
pub mod calibration;
mod error;
mod library;
pub mod params;
mod record;
mod resolved;
mod schema;
mod source;
pub mod sweep;
mod validate;

pub use declare::ActorRef;
pub use error::{Diagnostic, Error, did_you_mean};
pub use library::{
    DEFAULT_SCENARIO, EMBEDDED, EPISODES, KEY_ASSUMPTIONS, RECORD_2025, embedded_source,
    variants_of,
};
pub use record::{Input, Replay, ReplaySpec, Row, load_replay};
pub use resolved::*;
pub use source::Place;
pub use validate::SUM_TOLERANCE;

use source::{SourceMap, parse};

/// Fetches the bytes of the base a variant names: `(reference, referring file) -> (display name,
/// bytes)`. The binary resolves embedded names first, then paths relative to the referring file.
pub type Resolver<'a> = &'a dyn Fn(&str, &str) -> Result<(String, Vec<u8>), String>;

/// How deep variants may stack on one another before we suspect a cycle.
const MAX_VARIANT_DEPTH: usize = 8;

/// Keys a variant file may have.
const VARIANT_KEYS: [&str; 5] = ["base", "name", "description", "set", "timeline"];

/// Loads and validates a scenario or variant.
pub fn load(file: &str, bytes: &[u8], resolve: Resolver<'_>) -> Result<Scenario, Error> {
    let (doc, map) = document(file, bytes, resolve, 0)?;
    let mut scenario = validate::validate(&doc).map_err(|problems| {
        let mut e = to_error(&map, problems);
        // Problems that sit in a variant's base: say which variant brought them in.
        let in_base = e.diagnostics.iter().any(|d| d.file != file);
        if let Some(place) = map.locate(VARIANT_BASE_KEY).filter(|p| in_base && p.file == file) {
            e.diagnostics.push(Diagnostic {
                file: place.file.clone(),
                line: place.line,
                column: place.column,
                field: String::from("base"),
                message: String::from("its base has the problems above"),
            });
        }
        e
    })?;
    record::attach_places(&mut scenario, &map);
    Ok(scenario)
}

/// Where the merged map remembers a variant's `base` key.
const VARIANT_BASE_KEY: &str = "<variant base>";

/// Loads one of the embedded scenarios by name.
pub fn load_embedded(name: &str) -> Option<Result<Scenario, Error>> {
    let text = embedded_source(name)?;
    let file = format!("{name}.toml (embedded)");
    Some(load(&file, text.as_bytes(), &embedded_only))
}

/// A variant's `base`: an embedded name, else a path relative to the variant's folder, read by
/// `read` (the caller's I/O; this crate does none).
pub fn resolve_base(
    reference: &str,
    from: &str,
    read: &dyn Fn(&std::path::Path) -> Result<Vec<u8>, String>,
) -> Result<(String, Vec<u8>), String> {
    if let Ok(found) = embedded_only(reference, from) {
        return Ok(found);
    }
    let dir = std::path::Path::new(from).parent().unwrap_or(std::path::Path::new("."));
    let path = dir.join(reference);
    read(&path).map(|b| (path.display().to_string(), b)).map_err(|e| {
        format!("no embedded scenario `{reference}` and cannot read {}: {e}", path.display())
    })
}

/// A resolver that knows only the embedded library.
pub fn embedded_only(reference: &str, _from: &str) -> Result<(String, Vec<u8>), String> {
    match embedded_source(reference) {
        Some(t) => Ok((format!("{reference}.toml (embedded)"), t.as_bytes().to_vec())),
        None => Err(format!("no embedded scenario named `{reference}`")),
    }
}

/// A scenario from a resolved document (a scenario's own, edited in memory), validated as a
/// whole without writing it out and parsing it again. Problems have no file place: the
/// document has no file.
pub fn from_document(doc: &toml::Table) -> Result<Scenario, Error> {
    from_owned(doc.clone())
}

/// `from_document`, the document becoming the scenario's own.
fn from_owned(mut doc: toml::Table) -> Result<Scenario, Error> {
    params::fill_defaults(&mut doc);
    validate::validate_owned(doc).map_err(|problems| {
        let diagnostics = problems
            .into_iter()
            .map(|(field, message)| Error::plain(field, message).diagnostics.remove(0))
            .collect();
        Error { diagnostics }
    })
}

impl Scenario {
    /// A copy with parameters changed by path, re-validated as a whole.
    pub fn with_parameters(&self, sets: &[(&str, f64)]) -> Result<Scenario, Error> {
        let mut doc = self.document.clone();
        for (path, value) in sets {
            params::set(&mut doc, path, *value).map_err(|m| Error::plain(*path, m))?;
        }
        from_owned(doc)
    }

    /// Like `with_parameters`, but a component of a simplex (a prior, lane weights) is set by
    /// rescaling the others, as sweeps, calibrations and posteriors set them.
    pub fn with_values<'a>(
        &self,
        sets: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Scenario, Error> {
        let mut doc = self.document.clone();
        for (path, value) in sets {
            sweep::set_rescaled(&mut doc, path, value).map_err(|m| Error::plain(path, m))?;
        }
        from_owned(doc)
    }

    /// Every numeric parameter: (path, value, declaration).
    pub fn parameters(&self) -> Vec<(String, f64, Option<&'static params::Param>)> {
        params::leaves(&self.document)
            .into_iter()
            .map(|l| {
                let d = params::declaration(&l.param);
                (l.param, l.value, d)
            })
            .collect()
    }
}

/// Whether `name` is 1 to 64 ASCII letters, digits, `-` or `_`: a name that becomes a folder
/// or a column prefix (a scenario's, a sweep's, a calibration's, an episode's, a group's).
pub fn is_slug(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn to_error(map: &SourceMap, problems: Vec<(String, String)>) -> Error {
    let mut diagnostics: Vec<Diagnostic> =
        problems.into_iter().map(|(path, msg)| map.diagnostic(&path, msg)).collect();
    diagnostics.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    diagnostics.dedup();
    Error { diagnostics }
}

/// Parses a file and, for a variant, applies it to its base. Returns the resolved document and
/// where each of its fields was written.
fn document(
    file: &str,
    bytes: &[u8],
    resolve: Resolver<'_>,
    depth: usize,
) -> Result<(toml::Table, SourceMap), Error> {
    let mut parsed = parse(file, bytes)?;
    let Some(base_ref) = parsed.table.get("base") else {
        params::fill_defaults(&mut parsed.table);
        return Ok((parsed.table, parsed.map));
    };
    let vmap = parsed.map;
    let fail = |path: &str, msg: String| Error::single(vmap.diagnostic(path, msg));
    for key in parsed.table.keys() {
        if !VARIANT_KEYS.contains(&key.as_str()) {
            let msg = format!(
                "a variant may only have {}; change other values under [set]",
                VARIANT_KEYS.join(", ")
            );
            return Err(fail(key, msg));
        }
    }
    let Some(base_ref) = base_ref.as_str() else {
        return Err(fail("base", String::from("must be a scenario name or a path")));
    };
    if depth >= MAX_VARIANT_DEPTH {
        return Err(fail(
            "base",
            format!("variants nest deeper than {MAX_VARIANT_DEPTH}: a cycle?"),
        ));
    }
    if !parsed.table.contains_key("name") {
        return Err(fail(
            "base",
            String::from(
                "a variant needs its own `name`, so that its results do not mix with its base's",
            ),
        ));
    }
    let (base_file, base_bytes) = resolve(base_ref, file).map_err(|m| fail("base", m))?;
    if base_file == file {
        return Err(fail(
            "base",
            format!("`{base_ref}` is this file itself: a variant cannot be its own base"),
        ));
    }
    let (mut doc, mut map) =
        document(&base_file, &base_bytes, resolve, depth + 1).map_err(|mut e| {
            let note =
                vmap.diagnostic("base", format!("the base `{base_ref}` has the problems above"));
            // A cycle through several files repeats the same note at each turn: say it once.
            if !e.diagnostics.contains(&note) {
                e.diagnostics.push(note);
            }
            e
        })?;

    if let Some(place) = vmap.locate("base") {
        map.insert(VARIANT_BASE_KEY.to_string(), place.clone());
    }
    for key in ["name", "description"] {
        if let Some(v) = parsed.table.get(key) {
            doc.insert(key.to_string(), v.clone());
            if let Some(place) = vmap.locate(key) {
                map.insert(key.to_string(), place.clone());
            }
        }
    }
    if let Some(set) = parsed.table.get("set") {
        let Some(set) = set.as_table() else {
            return Err(fail("set", String::from("must be a table of parameter path = number")));
        };
        let mut problems = Vec::new();
        // Components of a simplex (a prior, lane weights) are set together at the end, the
        // components not named rescaled as sweeps rescale them.
        let mut on_simplex: Vec<(&str, f64)> = Vec::new();
        for (path, value) in set {
            let here = format!("set.{path}");
            let number = match value {
                toml::Value::Integer(i) => Some(*i as f64),
                toml::Value::Float(f) => Some(*f),
                _ => None,
            };
            let Some(number) = number else {
                let hint = if value.is_table() {
                    format!(" (quote a dotted path: \"{path}.…\" = 0.5)")
                } else {
                    String::new()
                };
                problems.push(vmap.diagnostic(&here, format!("must be a number{hint}")));
                continue;
            };
            if sweep::simplex_of(path).is_some() && params::get(&doc, path).is_some() {
                on_simplex.push((path, number));
                continue;
            }
            match params::set(&mut doc, path, number) {
                Ok(()) => {
                    if let (Some(index), Some(place)) =
                        (params::index_path(&doc, path), vmap.locate(&here))
                    {
                        map.insert_override(index, place.clone());
                    }
                }
                Err(m) => problems.push(vmap.diagnostic(&here, m)),
            }
        }
        if let Err(m) = sweep::set_many_rescaled(&mut doc, &on_simplex) {
            let named = on_simplex.iter().find(|(p, _)| m.contains(p));
            let here = named.map_or(String::from("set"), |(p, _)| format!("set.{p}"));
            problems.push(vmap.diagnostic(&here, m));
        }
        for (path, _) in &on_simplex {
            if let (Some(index), Some(place)) =
                (params::index_path(&doc, path), vmap.locate(&format!("set.{path}")))
            {
                map.insert_override(index, place.clone());
            }
        }
        if !problems.is_empty() {
            return Err(Error { diagnostics: problems });
        }
    }
    if let Some(extra) = parsed.table.get("timeline") {
        let Some(extra) = extra.as_array() else {
            return Err(fail("timeline", String::from("must be an array of [[timeline]] tables")));
        };
        let entry = doc.entry("timeline").or_insert_with(|| toml::Value::Array(Vec::new()));
        let Some(timeline) = entry.as_array_mut() else {
            return Err(fail("timeline", String::from("the base's timeline is not an array")));
        };
        let offset = timeline.len();
        timeline.extend(extra.iter().cloned());
        for (path, place) in vmap.entries() {
            let shifted = path
                .strip_prefix("timeline[")
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(i, tail)| Some((i.parse::<usize>().ok()?, tail)));
            if let Some((i, tail)) = shifted {
                map.insert(format!("timeline[{}]{tail}", i + offset), place.clone());
            }
        }
    }
    Ok((doc, map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_scenario_loads() {
        for (name, _, _) in EMBEDDED {
            let s = load_embedded(name).unwrap();
            if let Err(e) = &s {
                panic!("{name}: {e}");
            }
        }
    }

    /// The project's rule: every number in a scenario file says where it comes from, on its
    /// own line (a fact with its date, or an assumption named as one).
    #[test]
    fn every_number_in_the_library_carries_a_comment() {
        for (name, _, text) in EMBEDDED {
            for (i, line) in text.lines().enumerate() {
                let code = line.split('#').next().unwrap_or("");
                let Some((_, value)) = code.split_once('=') else { continue };
                let value = value.trim();
                let quoted = value.starts_with('"') && value.ends_with('"');
                if !quoted && value.chars().any(|c| c.is_ascii_digit()) {
                    assert!(
                        line.contains('#'),
                        "{name}.toml line {}: a number without a comment",
                        i + 1
                    );
                }
            }
        }
    }

    #[test]
    fn every_numeric_field_has_a_domain() {
        let s = load_embedded(DEFAULT_SCENARIO).unwrap().unwrap();
        for (path, _, declared) in s.parameters() {
            assert!(declared.is_some(), "{path} has no declaration");
        }
    }

    #[test]
    fn set_revalidates() {
        let s = load_embedded(DEFAULT_SCENARIO).unwrap().unwrap();
        let t = s.with_parameters(&[("mediator.attention_half_life_days", 30.0)]).unwrap();
        assert_eq!(t.mediator.attention_half_life_days, 30.0);
        let e = s.with_parameters(&[("actors.KP.prior.reliable", 0.9)]).unwrap_err();
        assert!(e.to_string().contains("actors[3].prior: must sum to 1"), "{e}");
        let e = s.with_parameters(&[("mediator.maximalism", 1.5)]).unwrap_err();
        assert!(e.to_string().contains("outside its range"), "{e}");
    }

    /// A variant that sets one component of a prior gets the others rescaled, as a sweep would
    /// set it; the same value through a sweep and through a variant gives the same scenario.
    #[test]
    fn a_variant_rescales_a_simplex_as_a_sweep_does() {
        let text = "base = \"ukraine-watch\"\nname = \"v\"\ndescription = \"d\"\n[set]\n\"actors.KP.prior.reliable\" = 0.4\n";
        let v = load("v.toml", text.as_bytes(), &embedded_only).unwrap();
        let base = load_embedded(DEFAULT_SCENARIO).unwrap().unwrap();
        let swept = base.with_values([("actors.KP.prior.reliable", 0.4)]).unwrap();
        let prior = |s: &Scenario| params::get(&s.document, "actors.KP.prior.deal_seeker");
        assert_eq!(prior(&v), prior(&swept));
        assert_eq!(params::get(&v.document, "actors.KP.prior.reliable"), Some(0.4));
        // Two named components that leave nothing for the rest to share are refused at the line.
        let text = text.replace("= 0.4\n", "= 0.7\n\"actors.KP.prior.unserious\" = 0.6\n");
        let e = load("v.toml", text.as_bytes(), &embedded_only).unwrap_err();
        assert!(e.to_string().contains("v.toml:5:"), "{e}");
        assert!(e.to_string().contains("more than the 1"), "{e}");
    }
}
