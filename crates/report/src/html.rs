//! report.html: one self-contained page per results folder.
//!
//! The charts are inlined as SVG markup, the styles sit in the page, and nothing is loaded
//! from anywhere: no scripts, no fonts, no images by address. The page holds the headline
//! tables (how the talks ended; final beliefs; sensitivity when present), the assumptions that
//! were varied, and the command that reproduces the folder. The page is a minijinja template
//! (`templates/report.html`), which escapes every value it is given.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{At, Error, Result};
use crate::manifest::{Kind, Manifest, Replicates, Sampler};
use crate::write_atomic;

/// The page, with minijinja's HTML auto-escaping of every value it is given; only the charts'
/// SVG markup (drawn by us) goes in unescaped.
const TEMPLATE: &str = include_str!("../templates/report.html");

fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let Ok(mut r) = csv::Reader::from_path(path) else { return Vec::new() };
    let Ok(header) = r.headers().map(|h| h.iter().map(String::from).collect::<Vec<_>>()) else {
        return Vec::new();
    };
    r.records()
        .filter_map(std::result::Result::ok)
        .map(|rec| header.iter().cloned().zip(rec.iter().map(String::from)).collect())
        .collect()
}

fn fmt3(v: &str) -> String {
    v.parse::<f64>().map(|x| format!("{x:.3}")).unwrap_or_else(|_| v.to_string())
}

/// The command that reproduces the folder, with no path of this machine: `--out` is the
/// folder's own name, and any other absolute path is reduced to its file name.
pub(crate) fn reproduce(manifest: &Manifest, dir: &Path) -> String {
    let args = &manifest.command;
    let folder = dir
        .file_name()
        .map_or_else(|| String::from("FOLDER"), |n| n.to_string_lossy().into_owned());
    let mut out = Vec::new();
    let mut after_out = false;
    for (i, a) in args.iter().enumerate() {
        let shown = if i == 0 {
            String::from("sidelines")
        } else if after_out {
            folder.clone()
        } else if a.starts_with('/') {
            Path::new(a)
                .file_name()
                .map_or_else(|| a.to_string(), |n| n.to_string_lossy().into_owned())
        } else {
            a.to_string()
        };
        after_out = *a == "--out";
        out.push(shown);
    }
    out.join(" ")
}

/// A sweep's design in words: "A Sobol' design of 8 base samples: 48 points, 2 replicates each."
fn design_words(manifest: &Manifest) -> String {
    let kind = match &manifest.sampler {
        Some(Sampler::Grid) => String::from("A full grid"),
        Some(Sampler::Lhs { samples }) => format!("A Latin hypercube of {samples} samples"),
        Some(Sampler::Random { samples }) => format!("{samples} random samples"),
        Some(Sampler::Sobol { samples, .. }) => {
            format!("A Saltelli (Sobol') design of {samples} base samples")
        }
        Some(Sampler::Morris { trajectories, levels }) => {
            format!("A Morris design of {trajectories} trajectories on {levels} levels")
        }
        None => return String::new(),
    };
    let reps = match &manifest.replicates {
        Some(Replicates::Fixed(r)) => format!("{r} replicates each"),
        Some(Replicates::Adaptive { target_half_width, outcome, min, max }) => format!(
            "replicates until the 95% half-width of {outcome} is {target_half_width} (from {min} to {max})"
        ),
        None => String::new(),
    };
    format!("{kind}: {} points, {reps}.", manifest.points.unwrap_or(0))
}

/// Writes `dir/report.html` from the folder's tables, manifest and `charts/*.svg`. A sweep's
/// page leads with what drives the headline outcomes and the charts of each outcome against
/// each assumption; a batch's with its shares and final values.
pub fn write_report(dir: &Path) -> Result<()> {
    let manifest = crate::folder::check(dir)?.manifest;
    let kind = manifest.kind.name();
    let sweep = manifest.kind == Kind::Sweep;
    let headline = manifest.headline_numeric();
    let labels = crate::charts::Labels::of_manifest(&manifest);
    let title = format!(
        "sidelines: {kind} {}",
        manifest.sweep.as_deref().unwrap_or(manifest.scenario_name())
    )
    .trim_end()
    .to_string();
    let parameters: Vec<serde_json::Value> = manifest
        .parameters()
        .iter()
        .map(|p| {
            serde_json::json!({
                "words": labels.of(&p.path), "path": p.path, "low": p.low, "high": p.high,
            })
        })
        .collect();
    // A replay's record, checked: each observation with the share of runs as observed. The
    // outcomes it adds (`kp_answer_2025_06_30`, `..._as_observed`) are shown here, not among
    // the model's own outcomes.
    let checks = rows(&dir.join("record_check.csv"));
    let observation_columns: Vec<String> = checks
        .iter()
        .map(|r| format!("{}_{}", r["outcome"], r["date"].replace('-', "_")))
        .collect();
    let of_record = |name: &str| observation_columns.iter().any(|c| name.starts_with(c.as_str()));
    let record: Vec<serde_json::Value> = checks
        .iter()
        .map(|r| {
            let level = r.get("inside_90").is_some_and(|v| !v.is_empty());
            serde_json::json!({
                "date": r["date"], "outcome": crate::charts::outcome_words(&r["outcome"]),
                "observed": r["observed"], "share": fmt3(&r["share_as_observed"]),
                "low": fmt3(&r["share_ci95_low"]), "high": fmt3(&r["share_ci95_high"]),
                "range": if level {
                    format!("{} to {}", fmt3(&r["p05"]), fmt3(&r["p95"]))
                } else {
                    String::new()
                },
                "note": r.get("note").cloned().unwrap_or_default(),
            })
        })
        .collect();
    // A batch's own tables; a sweep has them per point, and its charts show them by parameter.
    let (shares, finals) = if sweep {
        (Vec::new(), Vec::new())
    } else {
        let shares: Vec<serde_json::Value> = rows(&dir.join("outcomes.csv"))
            .iter()
            .filter(|r| r["point"] == "0" && !of_record(&r["outcome"]))
            .map(|r| {
                serde_json::json!({
                    "outcome": crate::charts::outcome_words(&r["outcome"]),
                    "value": crate::charts::value_words(&r["outcome"], &r["value"]),
                    "share": fmt3(&r["share"]),
                    "low": fmt3(&r["ci95_low"]), "high": fmt3(&r["ci95_high"]),
                })
            })
            .collect();
        let finals: Vec<serde_json::Value> = rows(&dir.join("summary.csv"))
            .iter()
            .filter(|r| {
                r["point"] == "0"
                    && ["_belief_", "_trust_", "_fear_"].iter().any(|k| r["outcome"].contains(k))
            })
            .map(|r| {
                serde_json::json!({
                    "outcome": crate::charts::outcome_words(&r["outcome"]),
                    "mean": fmt3(&r["mean"]), "low": fmt3(&r["ci95_low"]),
                    "high": fmt3(&r["ci95_high"]), "p05": fmt3(&r["p05"]), "p50": fmt3(&r["p50"]),
                    "p95": fmt3(&r["p95"]),
                })
            })
            .collect();
        (shares, finals)
    };
    let sens = rows(&dir.join("sensitivity.csv"));
    let sensitivity = sens.first().map(|first| {
        let sobol = first.contains_key("ST");
        let columns: Vec<&str> = if sobol {
            vec!["ST", "ST_conf", "S1", "S1_conf"]
        } else {
            vec!["mu_star", "mu_star_conf", "mu", "sigma"]
        };
        let key = if sobol { "ST" } else { "mu_star" };
        let mut picked: Vec<&BTreeMap<String, String>> =
            sens.iter().filter(|r| headline.contains(&r["outcome"])).collect();
        // Headline order, the largest effect first within each outcome.
        picked.sort_by(|a, b| {
            let at = |r: &BTreeMap<String, String>| headline.iter().position(|h| *h == r["outcome"]);
            let v = |r: &BTreeMap<String, String>| r[key].parse::<f64>().unwrap_or(0.0);
            at(a).cmp(&at(b)).then(v(b).total_cmp(&v(a)))
        });
        let rows: Vec<serde_json::Value> = picked
            .iter()
            .map(|r| {
                serde_json::json!({
                    "outcome": crate::charts::outcome_words(&r["outcome"]),
                    "parameter": labels.of(&r["parameter"]),
                    "values": columns.iter().map(|c| fmt3(&r[*c])).collect::<Vec<_>>(),
                })
            })
            .collect();
        let about = if sobol {
            "Sobol' indices: ST, the share of the outcome's variance that involves the assumption (alone or with others); S1, its share alone; each with the half-width of its 95% bootstrap interval. Largest first."
        } else {
            "Morris elementary effects: mu*, the mean absolute effect of a step in the assumption, with the half-width of its 95% bootstrap interval; mu, the mean signed effect; sigma, their spread (interactions or non-linearity). Largest first."
        };
        serde_json::json!({ "about": about, "columns": columns, "rows": rows })
    });
    let branches = branches_table(&rows(&dir.join("branches.csv")));
    let claims: Vec<serde_json::Value> = rows(&dir.join("claims.csv"))
        .iter()
        .map(|r| {
            serde_json::json!({
                "claim": r["claim"], "wording": r.get("wording").cloned().unwrap_or_default(),
                "when": r["when"], "then": r["then"],
                "assumptions": r["assumptions"], "holds": r["holds"], "points": r["points"],
                "share": fmt3(&r["share"]), "low": fmt3(&r["ci95_low"]), "high": fmt3(&r["ci95_high"]),
                "reversed": r["reversed"], "unclear": r["unclear"],
            })
        })
        .collect();
    let posterior: Vec<serde_json::Value> = rows(&dir.join("posterior.csv"))
        .iter()
        .map(|r| {
            serde_json::json!({
                "parameter": r["parameter"], "prior_low": r["prior_low"], "prior_high": r["prior_high"],
                "mean": fmt3(&r["mean"]), "p05": fmt3(&r["p05"]), "p95": fmt3(&r["p95"]),
                "narrowed": r.get("narrowing_vs_flat").map(|x| fmt3(x)).unwrap_or_default(),
            })
        })
        .collect();
    let generations: Vec<serde_json::Value> = rows(&dir.join("generations.csv"))
        .iter()
        .map(|r| {
            serde_json::json!({
                "generation": r["generation"], "tolerance": r["tolerance"],
                "particles": r["particles"], "proposals": r["proposals"],
                "acceptance": fmt3(&r["acceptance"]), "ess": fmt1(&r["ess"]), "runs": r["runs"],
            })
        })
        .collect();
    let prim = prim_table(dir, &labels);
    let evaluation =
        evaluation_table(&manifest, &rows(&dir.join("skill.csv")), &rows(&dir.join("cv.csv")));
    let choice = choice_tables(&manifest, dir);
    let charts = inline_charts(dir, &headline)?;
    let context = serde_json::json!({
        "title": title,
        "scenario": manifest.scenario,
        "seed": manifest.seed,
        "runs": manifest.runs,
        "version": manifest.version,
        "design": if sweep { design_words(&manifest) } else { String::new() },
        "command": reproduce(&manifest, dir),
        "parameters": parameters,
        "sensitivity": sensitivity,
        "shares": shares,
        "finals": finals,
        "branches": branches,
        "claims": claims,
        "posterior": posterior,
        "generations": generations,
        "record": record,
        "prim": prim,
        "horizon": horizon(&manifest),
        "evaluation": evaluation,
        "choice": choice,
        "charts": charts,
    });
    let path = dir.join("report.html");
    let failed = |e: minijinja::Error| Error::Chart { path: path.clone(), message: e.to_string() };
    let mut env = minijinja::Environment::new();
    env.add_template("report.html", TEMPLATE).map_err(failed)?;
    let page = env
        .get_template("report.html")
        .and_then(|t| t.render(minijinja::value::Serde(&context)))
        .map_err(failed)?;
    write_atomic(&path, page.as_bytes())
}

/// The last simulated day of the folder's scenario in words ("2026-04-09, day 380"), for the
/// final values' heading; None when the manifest keeps no scenario.
fn horizon(manifest: &Manifest) -> Option<String> {
    let text = manifest.resolved_scenario_toml.as_deref()?;
    let doc: toml::Table = toml::from_str(text).ok()?;
    let s = sidelines_scenario::from_document(&doc).ok()?;
    let last = s.horizon_days.saturating_sub(1);
    Some(format!("{}, day {last}", s.date(last)))
}

/// PRIM's chosen box, when the folder holds one: the restricted inputs with their bounds and
/// quasi-p-values, and the box's statistics from the trajectory.
fn prim_table(dir: &Path, labels: &crate::charts::Labels) -> Option<serde_json::Value> {
    let boxes = rows(&dir.join("prim_box.csv"));
    let steps = rows(&dir.join("prim_trajectory.csv"));
    let chosen = steps.iter().find(|r| crate::parse_flag(&r["chosen"]) == Some(true))?;
    let restricted: Vec<serde_json::Value> = boxes
        .iter()
        .filter(|r| crate::parse_flag(&r["restricted"]) == Some(true))
        .map(|r| {
            let q = r.get("quasi_p").and_then(|q| q.parse::<f64>().ok());
            serde_json::json!({
                "input": labels.of(&r["parameter"]), "path": r["parameter"],
                "bounds": format!("{} to {}", fmt3(&r["low"]), fmt3(&r["high"])),
                "range": format!("{} to {}", fmt3(&r["data_low"]), fmt3(&r["data_high"])),
                "quasi_p": q.map_or_else(String::new, |q| if q < 1e-4 { String::from("< 0.0001") } else { format!("{q:.4}") }),
                "significant": q.is_some_and(|q| q < 0.05),
            })
        })
        .collect();
    Some(serde_json::json!({
        "step": chosen["step"], "points": chosen.get("points").cloned().unwrap_or_default(),
        "coverage": fmt3(&chosen["coverage"]), "density": fmt3(&chosen["density"]),
        "restricted": restricted,
    }))
}

fn fmt1(v: &str) -> String {
    v.parse::<f64>().map(|x| format!("{x:.1}")).unwrap_or_else(|_| v.to_string())
}

/// A model choice's tables: each model's probability and recovery, and the groups the
/// records can decide between.
fn choice_tables(manifest: &Manifest, dir: &Path) -> Option<serde_json::Value> {
    if manifest.kind != Kind::Choose {
        return None;
    }
    // A cell, empty where the table lacks the column.
    let at = |r: &BTreeMap<String, String>, key: &str| r.get(key).cloned().unwrap_or_default();
    let recovered = |r: &BTreeMap<String, String>| {
        let share = at(r, "recovered_share");
        if share.is_empty() {
            return String::from("not checked");
        }
        let (lo, hi) = (at(r, "recovered_ci95_low"), at(r, "recovered_ci95_high"));
        format!("{} [{}, {}]", fmt3(&share), fmt3(&lo), fmt3(&hi))
    };
    let probability = |r: &BTreeMap<String, String>| {
        format!("{} ± {}", fmt3(&at(r, "probability")), fmt3(&at(r, "mc_se")))
    };
    let models: Vec<serde_json::Value> = rows(&dir.join("models.csv"))
        .iter()
        .map(|r| {
            serde_json::json!({
                "model": at(r, "model"), "description": at(r, "description"),
                "probability": probability(r), "kept": at(r, "kept_records"),
                "recovered": recovered(r),
            })
        })
        .collect();
    let groups: Vec<serde_json::Value> = rows(&dir.join("groups.csv"))
        .iter()
        .map(|r| {
            serde_json::json!({
                "models": at(r, "models").replace('+', ", "),
                "probability": probability(r), "recovered": recovered(r),
            })
        })
        .collect();
    Some(serde_json::json!({ "models": models, "groups": groups }))
}

/// An evaluation's table: per episode (and all episodes) a row of mean Brier scores with the
/// model's interval, and the model's skill against each baseline with its interval.
fn evaluation_table(
    manifest: &Manifest,
    skill: &[BTreeMap<String, String>],
    cv: &[BTreeMap<String, String>],
) -> Option<serde_json::Value> {
    if manifest.kind != Kind::Evaluate {
        return None;
    }
    let mut episodes: Vec<&str> = Vec::new();
    for r in skill {
        if !episodes.contains(&r["episode"].as_str()) {
            episodes.push(&r["episode"]);
        }
    }
    let cell = |r: Option<&&BTreeMap<String, String>>, key: &str, interval: bool| {
        r.map_or_else(String::new, |r| {
            let v = fmt3(&r[key]);
            if interval {
                format!(
                    "{v} [{}, {}]",
                    fmt3(&r[&format!("{key}_ci95_low")]),
                    fmt3(&r[&format!("{key}_ci95_high")])
                )
            } else {
                v
            }
        })
    };
    let rows: Vec<serde_json::Value> = episodes
        .iter()
        .map(|e| {
            let of: Vec<&BTreeMap<String, String>> =
                skill.iter().filter(|r| r["episode"] == *e).collect();
            let who = |w: &str| of.iter().find(|r| r["forecaster"] == w);
            serde_json::json!({
                "episode": e,
                "observations": who("model").map_or_else(String::new, |r| r["observations"].clone()),
                "model": cell(who("model"), "brier", true),
                "coin": cell(who("coin flip"), "brier", false),
                "base": cell(who("base rate"), "brier", false),
                "persistence": cell(who("persistence"), "brier", false),
                "skill_coin": cell(who("coin flip"), "model_brier_skill", true),
                "skill_base": cell(who("base rate"), "model_brier_skill", true),
                "skill_persistence": cell(who("persistence"), "model_brier_skill", true),
            })
        })
        .collect();
    let episodes: Vec<String> = manifest
        .episodes
        .iter()
        .flatten()
        .map(|e| {
            let scenario = e.split_once('=').map_or(e.as_str(), |x| x.0);
            let stem = Path::new(scenario).file_stem().map(|s| s.to_string_lossy().into_owned());
            stem.unwrap_or_else(|| scenario.to_string())
        })
        .collect();
    let interval = |r: &BTreeMap<String, String>, key: &str| {
        format!(
            "{} [{}, {}]",
            fmt3(&r[key]),
            fmt3(&r[&format!("{key}_ci95_low")]),
            fmt3(&r[&format!("{key}_ci95_high")])
        )
    };
    let cv: Vec<serde_json::Value> = cv
        .iter()
        .map(|r| {
            serde_json::json!({
                "episode": r["episode"], "observations": r["observations"],
                "shipped": interval(r, "brier_shipped"),
                "calibrated": interval(r, "brier_calibrated"),
                "difference": interval(r, "brier_difference"),
                "skill": fmt3(&r["calibration_brier_skill"]),
            })
        })
        .collect();
    Some(serde_json::json!({
        "episodes": episodes.join(", "),
        "posterior": manifest.posterior,
        "calibration": manifest.calibration,
        "rows": rows,
        "cv": cv,
    }))
}

/// The branches table: per measure a row, per branch a cell with its estimate and, below it,
/// the paired difference from the first row.
fn branches_table(branches: &[BTreeMap<String, String>]) -> Option<serde_json::Value> {
    if branches.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = Vec::new();
    let mut measures: Vec<(&str, &str)> = Vec::new();
    for r in branches {
        if !names.contains(&r["branch"].as_str()) {
            names.push(&r["branch"]);
        }
        let m = (r["outcome"].as_str(), r["value"].as_str());
        let m = if m.0.ends_with("_day") { (m.0, "") } else { m };
        if !measures.contains(&m) {
            measures.push(m);
        }
    }
    let rows: Vec<serde_json::Value> = measures
        .iter()
        .map(|(outcome, value)| {
            let label = if value.is_empty() || *value == sidelines_model::FLAG_VALUES[1] {
                (*outcome).to_string()
            } else {
                format!("{outcome} = {value}")
            };
            let cells: Vec<serde_json::Value> = names
                .iter()
                .map(|n| {
                    let cell = branches.iter().find(|r| {
                        r["branch"] == *n
                            && r["outcome"] == *outcome
                            && (outcome.ends_with("_day") || r["value"] == *value)
                    });
                    match cell {
                        Some(r) if outcome.ends_with("_day") => {
                            serde_json::json!({ "estimate": r["value"], "diff": "" })
                        }
                        Some(r) if r["diff"].is_empty() => {
                            serde_json::json!({ "estimate": fmt3(&r["estimate"]), "diff": "" })
                        }
                        Some(r) => serde_json::json!({
                            "estimate": fmt3(&r["estimate"]),
                            "diff": format!("{} [{}, {}]", fmt3(&r["diff"]), fmt3(&r["diff_ci95_low"]), fmt3(&r["diff_ci95_high"])),
                        }),
                        None => serde_json::json!({ "estimate": "", "diff": "" }),
                    }
                })
                .collect();
            serde_json::json!({ "label": label, "cells": cells })
        })
        .collect();
    Some(serde_json::json!({ "names": names, "rows": rows }))
}

/// The folder's SVG charts as inline markup, in reading order: the overview first (a batch's
/// shares, a sweep's dependence on each assumption, then its tornados and grids), then the fans
/// of the actors whose outcomes are headlines, then the rest.
fn inline_charts(dir: &Path, headline: &[String]) -> Result<Vec<String>> {
    let mut charts: Vec<_> = std::fs::read_dir(dir.join("charts"))
        .map(|rd| {
            rd.filter_map(std::result::Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "svg"))
                .collect()
        })
        .unwrap_or_else(|_| Vec::new());
    let rank = |p: &std::path::PathBuf| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let order = [
            "outcome_shares",
            "accepts_talks",
            "branches_talks",
            "branches_",
            "depends_talks_outcome",
            "depends_",
            "tornado_",
            "grid_",
        ];
        let group = order.iter().position(|o| name.starts_with(o)).unwrap_or_else(|| {
            let actor = name.strip_prefix("fan_").and_then(|r| r.split_once('_')).map(|x| x.0);
            let leading =
                actor.is_some_and(|a| headline.iter().any(|h| h.starts_with(&format!("{a}_"))));
            if leading { order.len() } else { order.len() + 1 }
        });
        (group, name)
    };
    charts.sort_by_key(rank);
    charts
        .iter()
        .map(|c| {
            let svg = std::fs::read_to_string(c).at(c)?;
            // Inline the markup, without the XML prolog; HTML needs no namespace declaration
            // on an inline <svg>, so the page carries no address at all.
            let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
            Ok(body.replace(" xmlns=\"http://www.w3.org/2000/svg\"", ""))
        })
        .collect()
}
