//! What a finished sweep found, in a few lines: for each headline outcome (and the share of
//! runs where each headline yes/no holds), the range of its per-point values across the design
//! and, where the design has indices, the assumption that drives it most.

use std::path::Path;

use serde::Serialize;

use crate::error::Result;
use crate::manifest::Manifest;
use crate::sweep::sweep_table;

/// One headline outcome across a sweep's design points.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The column (`kp_trust_us`, or `kp_accepts_talks=true` for a share).
    pub outcome: String,
    pub words: String,
    /// The lowest and highest per-point mean (or share) over the design.
    pub lowest: f64,
    pub highest: f64,
    /// The assumption with the largest total-order index (Sobol) or mu* (Morris), its value and
    /// the index's name.
    pub driver: Option<Driver>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Driver {
    pub parameter: String,
    pub words: String,
    pub index: &'static str,
    pub value: f64,
}

/// The headline outcomes of a finished sweep folder.
pub fn findings(dir: &Path, manifest: &Manifest) -> Result<Vec<Finding>> {
    let table = sweep_table(dir)?;
    let labels = crate::charts::Labels::of_manifest(manifest);
    let wanted = manifest
        .headline_numeric()
        .into_iter()
        .map(|o| (o.clone(), crate::charts::outcome_words(&o)))
        .chain(manifest.headline_flags().into_iter().map(|name| {
            (
                crate::flag_share_column(&name),
                format!("share of runs: {}", crate::charts::outcome_words(&name)),
            )
        }));
    let sensitivity = read_rows(&dir.join("sensitivity.csv"));
    let sobol = sensitivity_is_sobol(dir);
    let mut out = Vec::new();
    for (column, words) in wanted {
        let Some((_, values)) = table.outcomes.iter().find(|(n, _)| *n == column) else {
            continue;
        };
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let (lowest, highest) =
            finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if lowest > highest {
            continue;
        }
        let driver = sensitivity
            .iter()
            .filter(|r| r.first().is_some_and(|o| *o == column))
            .filter_map(|r| {
                let (index, value) = match r.len() {
                    // outcome, parameter, S1, S1_conf, ST, ST_conf
                    6 if sobol => ("ST", r[4].parse::<f64>().ok()?),
                    // outcome, parameter, mu, mu_star, sigma, mu_star_conf
                    6 => ("mu*", r[3].parse::<f64>().ok()?),
                    _ => return None,
                };
                Some(Driver { words: labels.of(&r[1]), parameter: r[1].clone(), index, value })
            })
            .max_by(|a, b| a.value.total_cmp(&b.value));
        out.push(Finding { outcome: column, words, lowest, highest, driver });
    }
    Ok(out)
}

fn sensitivity_is_sobol(dir: &Path) -> bool {
    csv::Reader::from_path(dir.join("sensitivity.csv"))
        .ok()
        .and_then(|mut r| r.headers().ok().map(|h| h.iter().any(|c| c == "ST")))
        .unwrap_or(false)
}

fn read_rows(path: &Path) -> Vec<Vec<String>> {
    let Ok(mut r) = csv::Reader::from_path(path) else { return Vec::new() };
    r.records().filter_map(|x| x.ok()).map(|x| x.iter().map(String::from).collect()).collect()
}

/// The findings as a few lines for a terminal.
pub fn findings_text(points: usize, replicates: Option<u64>, found: &[Finding]) -> String {
    if found.is_empty() {
        return String::new();
    }
    let each = replicates.map_or(String::new(), |n| format!(" (each the mean of {n} runs)"));
    let width = found.iter().map(|f| f.words.chars().count()).max().unwrap_or(0);
    let mut t = format!("across the {points} design points{each}:\n");
    t.push_str(&format!(
        "  {:<width$}  {:>7}  {:>7}  what drives it most\n",
        "", "lowest", "highest"
    ));
    for f in found {
        let driver = f
            .driver
            .as_ref()
            .map_or(String::new(), |d| format!("{} ({} {:.2})", d.words, d.index, d.value));
        t.push_str(&format!(
            "  {:<width$}  {:>7.3}  {:>7.3}  {driver}\n",
            f.words, f.lowest, f.highest
        ));
    }
    t
}
