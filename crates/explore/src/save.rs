//! "Save as scenario": a page's values as a variant file that `sidelines validate` accepts, each
//! changed value commented as changed, with the value it replaced.

use std::path::{Path, PathBuf};

use sidelines_scenario::Scenario;

use crate::engine::Values;
use crate::model::Explored;

/// A saved scenario: where, and its text.
#[derive(Debug, serde::Serialize)]
pub struct Saved {
    pub path: String,
    pub text: String,
    pub changed: usize,
}

/// The variant of the explored scenario with `values`, named `name`, as TOML. `base` is how the
/// file names the scenario it changes (an embedded name or an absolute path). Simplex
/// components (a prior, lane weights) are written with the components rescaled with them.
pub fn variant_text(
    ex: &Explored,
    base: &str,
    name: &str,
    values: &Values,
    today: &str,
) -> Result<String, String> {
    let changed = changes(&ex.plain, &*ex.scenario(values, false)?);
    let from = &ex.plain.name;
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut t = format!(
        "# {name}: {from} with {} changed in `sidelines explore` on {today}.\n\
         # Every value under [set] was changed there; its comment gives the value it replaced.\n\
         # They are assumptions of whoever saved the file, not facts of the record.\n",
        count(changed.len()),
    );
    t.push_str(&format!("base = {}\n", quote(base)));
    t.push_str(&format!("name = {}\n", quote(name)));
    t.push_str(&format!(
        "description = {}\n\n[set]\n",
        quote(&format!("{from} with {} changed in sidelines explore", count(changed.len())))
    ));
    for (path, old, new, integer) in &changed {
        let value = if *integer {
            toml::Value::Integer(new.round() as i64)
        } else {
            toml::Value::Float(*new)
        };
        t.push_str(&format!(
            "{} = {value}   # changed in explore (assumption): was {} in {from}\n",
            quote(path),
            sidelines_scenario::params::show(*old)
        ));
    }
    Ok(t)
}

fn count(n: usize) -> String {
    if n == 1 { String::from("1 assumption") } else { format!("{n} assumptions") }
}

/// (path, old, new, integer) for every number that differs.
fn changes(old: &Scenario, new: &Scenario) -> Vec<(String, f64, f64, bool)> {
    let before = old.parameters();
    new.parameters()
        .into_iter()
        .filter_map(|(path, value, decl)| {
            let (_, was, _) = before.iter().find(|(p, _, _)| *p == path)?;
            (*was != value).then(|| (path, *was, value, decl.is_some_and(|d| d.domain.integer)))
        })
        .collect()
}

/// Writes the variant into `dir` as NAME.toml (refusing to replace a file unless `overwrite`),
/// after checking that it loads as the scenario the page showed.
pub fn save(
    ex: &Explored,
    base: &str,
    dir: &Path,
    name: &str,
    values: &Values,
    overwrite: bool,
) -> Result<Saved, SaveError> {
    if !sidelines_scenario::is_slug(name) {
        return Err(SaveError::Bad(format!(
            "a scenario's name is 1 to 64 letters, digits, `-` or `_`, not `{name}`"
        )));
    }
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let text = variant_text(ex, base, name, values, &today).map_err(SaveError::Bad)?;
    let path: PathBuf = dir.join(format!("{name}.toml"));
    if path.exists() && !overwrite {
        return Err(SaveError::Exists(format!(
            "{} exists: pick another name, or replace it",
            path.display()
        )));
    }
    let shown = path.display().to_string();
    let loaded = sidelines_scenario::load(
        &shown,
        text.as_bytes(),
        &sidelines_workflows::inputs::resolve_base,
    )
    .map_err(|e| SaveError::Machine(format!("the saved scenario does not load: {e}")))?;
    let wanted = ex.scenario(values, false).map_err(SaveError::Bad)?;
    if !changes(&loaded, &wanted).is_empty() {
        return Err(SaveError::Machine(String::from(
            "the saved scenario does not hold the page's values",
        )));
    }
    sidelines_report::write_atomic(&path, text.as_bytes())
        .map_err(|e| SaveError::Machine(e.to_string()))?;
    let changed = changes(&ex.plain, &wanted).len();
    Ok(Saved { path: shown, text, changed })
}

#[derive(Debug)]
pub enum SaveError {
    /// The request's fault (a name, a value).
    Bad(String),
    /// The file exists.
    Exists(String),
    /// The machine's (a write) or a bug.
    Machine(String),
}
