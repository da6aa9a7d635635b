//! report.html: one self-contained page per results folder.
//!
//! The charts are inlined as SVG markup, the styles sit in the page, and nothing is loaded
//! from anywhere: no scripts, no fonts, no images by address. The page holds the headline
//! tables (how the talks ended; final beliefs; sensitivity when present), the assumptions that
//! were varied, and the command that reproduces the folder.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use crate::error::{At, Result};
use crate::write_atomic;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

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
    v.parse::<f64>().map(|x| format!("{x:.3}")).unwrap_or_else(|_| esc(v))
}

/// Writes `dir/report.html` from the folder's tables, manifest and `charts/*.svg`.
pub fn write_report(dir: &Path) -> Result<()> {
    let manifest = crate::folder::check(dir)?.manifest;
    let command = manifest["command"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let mut h = String::new();
    let title = format!(
        "sidelines: {} {}",
        manifest["kind"].as_str().unwrap_or(""),
        manifest["sweep"].as_str().or(manifest["scenario"].as_str()).unwrap_or("")
    );
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
         body{{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}\
         th{{background:#eee}}td:first-child,th:first-child{{text-align:left}}code{{background:#f4f4f4;padding:2px 4px}}\
         figure{{margin:1.5em 0}}svg{{max-width:100%;height:auto}}</style></head><body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    let _ = write!(
        h,
        "<p>Scenario <b>{}</b>, master seed {}, {} runs, version {}.</p>\n<p>Reproduce this folder with:<br><code>{}</code></p>\n",
        esc(manifest["scenario"].as_str().unwrap_or("")),
        manifest["seed"],
        manifest["runs"],
        esc(manifest["version"].as_str().unwrap_or("")),
        esc(&command)
    );
    if let Some(params) = manifest["parameters"].as_array() {
        h.push_str("<h2>Assumptions varied</h2>\n<table><tr><th>parameter</th><th>low</th><th>high</th></tr>\n");
        for p in params {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(p["path"].as_str().unwrap_or("")),
                p["low"],
                p["high"]
            );
        }
        let _ = writeln!(
            h,
            "</table><p>Sampler: <code>{}</code></p>",
            esc(&manifest["sampler"].to_string())
        );
    }
    let shares: Vec<_> =
        rows(&dir.join("outcomes.csv")).into_iter().filter(|r| r["point"] == "0").collect();
    if !shares.is_empty() {
        h.push_str("<h2>How the talks ended (design point 0)</h2>\n<table><tr><th>outcome</th><th>value</th><th>share</th><th>95% interval</th></tr>\n");
        for r in &shares {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} to {}</td></tr>",
                esc(&r["outcome"]),
                esc(&r["value"]),
                fmt3(&r["share"]),
                fmt3(&r["ci95_low"]),
                fmt3(&r["ci95_high"])
            );
        }
        h.push_str("</table>\n");
    }
    let summary: Vec<_> = rows(&dir.join("summary.csv"))
        .into_iter()
        .filter(|r| {
            r["point"] == "0"
                && (r["outcome"].contains("_belief_")
                    || r["outcome"].contains("_trust_")
                    || r["outcome"].contains("_fear_"))
        })
        .collect();
    if !summary.is_empty() {
        h.push_str("<h2>Final beliefs, trust and fears (design point 0)</h2>\n<table><tr><th>outcome</th><th>mean</th><th>95% CI of the mean</th><th>p05</th><th>p50</th><th>p95</th></tr>\n");
        for r in &summary {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{} to {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r["outcome"]),
                fmt3(&r["mean"]),
                fmt3(&r["ci95_low"]),
                fmt3(&r["ci95_high"]),
                fmt3(&r["p05"]),
                fmt3(&r["p50"]),
                fmt3(&r["p95"])
            );
        }
        h.push_str("</table>\n");
    }
    let branches = rows(&dir.join("branches.csv"));
    if !branches.is_empty() {
        let mut names: Vec<&str> = Vec::new();
        let mut measures: Vec<(&str, &str)> = Vec::new();
        for r in &branches {
            if !names.contains(&r["branch"].as_str()) {
                names.push(&r["branch"]);
            }
            let m = (r["outcome"].as_str(), r["value"].as_str());
            let m = if m.0.ends_with("_day") { (m.0, "") } else { m };
            if !measures.contains(&m) {
                measures.push(m);
            }
        }
        h.push_str(
            "<h2>The branches, with the same seeds</h2>\n<p>Shares of runs and means at each \
             row's last date; below each, the paired difference from the first row with its 95% \
             interval; for a day, the date of the median.</p>\n<table><tr><th>outcome</th>",
        );
        for n in &names {
            let _ = write!(h, "<th>{}</th>", esc(n));
        }
        h.push_str("</tr>\n");
        for (outcome, value) in &measures {
            let label = if value.is_empty() || *value == "true" {
                (*outcome).to_string()
            } else {
                format!("{outcome} = {value}")
            };
            let _ = write!(h, "<tr><td>{}</td>", esc(&label));
            for n in &names {
                let cell = branches.iter().find(|r| {
                    r["branch"] == *n
                        && r["outcome"] == *outcome
                        && (outcome.ends_with("_day") || r["value"] == *value)
                });
                let text = match cell {
                    Some(r) if outcome.ends_with("_day") => esc(&r["value"]),
                    Some(r) if r["diff"].is_empty() => fmt3(&r["estimate"]),
                    Some(r) => format!(
                        "{}<br><small>{} [{}, {}]</small>",
                        fmt3(&r["estimate"]),
                        fmt3(&r["diff"]),
                        fmt3(&r["diff_ci95_low"]),
                        fmt3(&r["diff_ci95_high"])
                    ),
                    None => String::new(),
                };
                let _ = write!(h, "<td>{text}</td>");
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
    let claims = rows(&dir.join("claims.csv"));
    if !claims.is_empty() {
        h.push_str(
            "<h2>Claims as findings</h2>\n<p>The share of assumption points where each claim \
             holds (every check's 99% interval of the paired difference on the claimed side of \
             zero), is reversed, or cannot be told.</p>\n<table><tr><th>claim</th><th>when</th>\
             <th>then</th><th>assumptions</th><th>holds</th><th>share</th><th>95% interval</th>\
             <th>reversed</th><th>unclear</th></tr>\n",
        );
        for r in &claims {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} of {}</td><td>{}</td>\
                 <td>{} to {}</td><td>{}</td><td>{}</td></tr>",
                esc(&r["claim"]),
                esc(&r["when"]),
                esc(&r["then"]),
                esc(&r["assumptions"]),
                esc(&r["holds"]),
                esc(&r["points"]),
                fmt3(&r["share"]),
                fmt3(&r["ci95_low"]),
                fmt3(&r["ci95_high"]),
                esc(&r["reversed"]),
                esc(&r["unclear"])
            );
        }
        h.push_str("</table>\n");
    }
    let posterior = rows(&dir.join("posterior.csv"));
    if !posterior.is_empty() {
        h.push_str(
            "<h2>Posterior</h2>\n<table><tr><th>parameter</th><th>prior</th><th>mean</th>\
             <th>90% interval</th><th>prior range ruled out</th></tr>\n",
        );
        for r in &posterior {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{} to {}</td><td>{}</td><td>{} to {}</td><td>{}</td></tr>",
                esc(&r["parameter"]),
                esc(&r["prior_low"]),
                esc(&r["prior_high"]),
                fmt3(&r["mean"]),
                fmt3(&r["p05"]),
                fmt3(&r["p95"]),
                fmt3(&r["share_of_prior_range_outside_90"])
            );
        }
        h.push_str("</table>\n");
    }
    let sens = rows(&dir.join("sensitivity.csv"));
    if let Some(first) = sens.first() {
        let cols: Vec<String> =
            first.keys().filter(|k| *k != "outcome" && *k != "parameter").cloned().collect();
        h.push_str("<h2>Sensitivity</h2>\n<table><tr><th>outcome</th><th>parameter</th>");
        for c in &cols {
            let _ = write!(h, "<th>{}</th>", esc(c));
        }
        h.push_str("</tr>\n");
        let headline = crate::headline_numeric(&manifest);
        for r in sens.iter().filter(|r| headline.contains(&r["outcome"])) {
            let _ =
                write!(h, "<tr><td>{}</td><td>{}</td>", esc(&r["outcome"]), esc(&r["parameter"]));
            for c in &cols {
                let _ = write!(h, "<td>{}</td>", fmt3(&r[c]));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
    let mut charts: Vec<_> = std::fs::read_dir(dir.join("charts"))
        .map(|rd| {
            rd.filter_map(std::result::Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "svg"))
                .collect()
        })
        .unwrap_or_else(|_| Vec::new());
    // The overview first, then the fans of the actors whose outcomes are headlines (in the
    // default scenario Pyongyang and Seoul, whose views the analysis is about), then the rest.
    let headline = crate::headline_numeric(&manifest);
    let rank = |p: &std::path::PathBuf| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let order = ["outcome_shares", "branches_talks", "branches_", "tornado_", "grid_"];
        let group = order.iter().position(|o| name.starts_with(o)).unwrap_or_else(|| {
            let actor = name.strip_prefix("fan_").and_then(|r| r.split_once('_')).map(|x| x.0);
            let leading =
                actor.is_some_and(|a| headline.iter().any(|h| h.starts_with(&format!("{a}_"))));
            if leading { order.len() } else { order.len() + 1 }
        });
        (group, name)
    };
    charts.sort_by_key(rank);
    if !charts.is_empty() {
        h.push_str("<h2>Charts</h2>\n");
    }
    for c in charts {
        let svg = std::fs::read_to_string(&c).at(&c)?;
        // Inline the markup, without the XML prolog; HTML needs no namespace declaration on
        // an inline <svg>, so the page carries no address at all.
        let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
        let body = body.replace(" xmlns=\"http://www.w3.org/2000/svg\"", "");
        let _ = writeln!(h, "<figure>{body}</figure>");
    }
    h.push_str("</body></html>\n");
    write_atomic(&dir.join("report.html"), h.as_bytes())
}
