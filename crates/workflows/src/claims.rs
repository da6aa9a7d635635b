//! Claims: the article's claims (BRIEF.md's table) as findings. Each claim is
//! checked at many points of the assumption space, with paired seeds at each point, and the
//! share of points where it holds is reported with its interval.
//!
//! The assumption space: every event likelihood, effect size and rate of the scenario, each
//! drawn by a Latin hypercube within a factor `--spread` of its value (inside its declared
//! range); with `--posterior DIR`, the points of a calibration's posterior instead (its
//! parameters set, everything else as written). At a point, each claim compares arms (the
//! point's scenario, a branch variant applied on top of it, a scripted probe) over the same
//! `--runs` seeds. It holds when every one of its checks does (the 99% interval of the mean
//! paired difference lies on the claimed side of zero; claim 5: the 99% Wilson interval of the
//! share conceding within 14 days lies above one half), is reversed when any check's interval
//! lies on the other side, and is unclear otherwise (the runs at that point cannot tell).

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;
use sidelines_experiment::design::{Sampler, unit_points};
use sidelines_experiment::run_seed;
use sidelines_experiment::stats::{Z99, mean_ci, wilson, wilson_at};
use sidelines_model::{Record, RunOutput, Simulation};
use sidelines_scenario::sweep::set_rescaled;
use sidelines_scenario::{DEFAULT_SCENARIO, Scenario, params};

use sidelines_report::manifest::{Kind, Manifest};

use crate::error::{Error, Result, input};
use crate::inputs::{fresh_dir, guard_out_dir};

#[derive(Clone, Debug)]
pub struct ClaimsSpec {
    /// The command recorded in the manifest.
    pub command_line: Vec<String>,
    /// Points of the assumption space (a Latin hypercube).
    pub points: u64,
    /// Paired seeds per arm at each point.
    pub runs: u64,
    /// Each likelihood, effect size and rate varies within this factor of its value.
    pub spread: f64,
    /// A finished `sidelines calibrate` folder: check the claims at its posterior's points too.
    pub posterior: Option<PathBuf>,
    /// Master seed (design and runs).
    pub seed: u64,
    /// Worker threads [default: all cores; at most 4 per core]; results do not depend on it.
    pub threads: Option<u64>,
    /// Output folder [default: outputs/claims/<date>T<time>Z/].
    pub out: Option<PathBuf>,
    /// Write into --out even if it already holds results.
    pub force: bool,
}

/// A finished claims folder: where, and the table as text.
#[derive(Debug)]
pub struct Checked {
    pub dir: PathBuf,
    pub text: String,
}

const FILES: [&str; 3] = ["claims.csv", "claim_points.csv", "manifest.json"];

/// The arms a claim compares: the baseline, a branch variant, or the baseline with a script
/// on top (an aid cut on day 0, two probes alike but for their class, more exercises).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arm {
    Base,
    Coerced,
    Balanced,
    Collapse,
    Disengages,
    WarContinues,
    AidCut,
    ProbeAction,
    ProbeStatement,
    Exercises,
    Tilted,
}

const ARMS: [Arm; 11] = [
    Arm::Base,
    Arm::Coerced,
    Arm::Balanced,
    Arm::Collapse,
    Arm::Disengages,
    Arm::WarContinues,
    Arm::AidCut,
    Arm::ProbeAction,
    Arm::ProbeStatement,
    Arm::Exercises,
    Arm::Tilted,
];

/// One check: treatment minus control of an outcome, with the claimed sign.
struct Check {
    treatment: Arm,
    control: Arm,
    outcome: &'static str,
    up: bool,
}

const fn up(treatment: Arm, control: Arm, outcome: &'static str) -> Check {
    Check { treatment, control, outcome, up: true }
}

const fn down(treatment: Arm, control: Arm, outcome: &'static str) -> Check {
    Check { treatment, control, outcome, up: false }
}

/// The claims of BRIEF.md's table, as checks on arms.
struct Claim {
    id: &'static str,
    /// A few words for tables and charts.
    short: &'static str,
    when: &'static str,
    then: &'static str,
    checks: &'static [Check],
    /// Claim 5's own test (the share conceding within 14 days).
    concession: bool,
}

const CLAIMS: &[Claim] = &[
    Claim {
        id: "1",
        short: "coerced settlement: Pyongyang sees a deal seeker",
        when: "the US forces Kyiv into a settlement on Russia's terms",
        then: "Pyongyang's deal_seeker belief rises; Seoul's fear of coercion rises, its trust falls",
        checks: &[
            up(Arm::Coerced, Arm::Base, "kp_belief_deal_seeker"),
            up(Arm::Coerced, Arm::Base, "kr_fear_coercion"),
            down(Arm::Coerced, Arm::Base, "kr_trust_us"),
        ],
        concession: false,
    },
    Claim {
        id: "2",
        short: "collapse: Pyongyang sees a hard bargainer",
        when: "the talks collapse",
        then: "Pyongyang's hard_bargainer belief rises; its us_engagement weight falls",
        checks: &[
            up(Arm::Collapse, Arm::Base, "kp_belief_hard_bargainer"),
            down(Arm::Collapse, Arm::Base, "kp_alliance_us_engagement"),
        ],
        concession: false,
    },
    Claim {
        id: "3",
        short: "walk-away: Pyongyang sees an unserious US",
        when: "the US loses interest and walks away",
        then: "Pyongyang's unserious belief rises",
        checks: &[up(Arm::Disengages, Arm::Base, "kp_belief_unserious")],
        concession: false,
    },
    Claim {
        id: "3b",
        short: "walk-away hurts Seoul's trust less than coercion",
        when: "the US walks away rather than coercing Kyiv",
        then: "Seoul's trust falls less than after a coerced settlement",
        checks: &[up(Arm::Disengages, Arm::Coerced, "kr_trust_us")],
        concession: false,
    },
    Claim {
        id: "4",
        short: "war's end cuts Pyongyang's leverage",
        when: "the war ends (a settlement, against a war that goes on)",
        then: "Russia's need for munitions, Pyongyang's leverage and its Russia weight fall",
        checks: &[
            down(Arm::Coerced, Arm::WarContinues, "ru_munitions_need"),
            down(Arm::Coerced, Arm::WarContinues, "kp_leverage"),
            down(Arm::Coerced, Arm::WarContinues, "kp_alliance_russia"),
            down(Arm::Balanced, Arm::WarContinues, "ru_munitions_need"),
            down(Arm::Balanced, Arm::WarContinues, "kp_leverage"),
            down(Arm::Balanced, Arm::WarContinues, "kp_alliance_russia"),
        ],
        concession: false,
    },
    Claim {
        id: "5",
        short: "aid suspended: Kyiv concedes within 14 days",
        when: "US aid to Kyiv is suspended (day 0)",
        then: "Kyiv concedes within 14 days in most runs",
        checks: &[],
        concession: true,
    },
    Claim {
        id: "6",
        short: "actions outweigh statements",
        when: "a statement and an action point the same way",
        then: "the action moves Pyongyang's and Seoul's beliefs more",
        checks: &[
            up(Arm::ProbeAction, Arm::ProbeStatement, "kp_belief_deal_seeker"),
            up(Arm::ProbeAction, Arm::ProbeStatement, "kr_belief_deal_seeker"),
        ],
        concession: false,
    },
    Claim {
        id: "7",
        short: "exercises do not invite engagement",
        when: "more joint exercises and reaffirmed denuclearisation goals",
        then: "Pyongyang's us_engagement weight does not rise (it falls)",
        checks: &[down(Arm::Exercises, Arm::Base, "kp_alliance_us_engagement")],
        concession: false,
    },
    Claim {
        id: "8",
        short: "a tilt to Washington brings Beijing's courtship",
        when: "Pyongyang tilts toward Washington (engagement made to pay more)",
        then: "Beijing's courtship rises",
        checks: &[
            up(Arm::Tilted, Arm::Base, "kp_alliance_us_engagement"),
            up(Arm::Tilted, Arm::Base, "cn_courtship"),
        ],
        concession: false,
    },
];

/// Checks every claim over the assumption space (and a posterior) and writes claims.csv,
/// claim_points.csv and the manifest.
pub fn claims(args: &ClaimsSpec) -> Result<Checked> {
    if !(args.spread.is_finite() && args.spread >= 1.0 && args.spread <= 100.0) {
        return Err(input("--spread takes a factor from 1 to 100"));
    }
    let base = crate::inputs::load_scenario(DEFAULT_SCENARIO)?;
    let space = assumption_space(&base, args.spread);
    let dir = match &args.out {
        Some(d) => {
            guard_out_dir(d, &FILES, args.force)?;
            crate::inputs::create_out(d)?;
            d.clone()
        }
        None => fresh_dir("claims")?,
    };
    let pool = crate::inputs::worker_pool(args.threads)?;

    // The points: (label, parameter values to set on the baseline).
    let mut sets: Vec<(String, Vec<(String, f64)>)> = Vec::new();
    let design =
        unit_points(&Sampler::Lhs { samples: args.points as usize }, space.len(), args.seed)
            .map_err(|e| Error::Machine(format!("{e:?}")))?;
    for u in &design {
        let values =
            space.iter().zip(u).map(|((path, lo, hi), x)| (path.clone(), lo + x * (hi - lo)));
        sets.push((String::from("prior"), values.collect()));
    }
    if let Some(dir) = &args.posterior {
        let post = crate::posterior::read_posterior(dir)?;
        let draws = crate::posterior::resample(&post.points, args.points as usize);
        for k in draws {
            // What the point sets in the baseline: a joint fit's shared numbers, its groups of
            // likelihoods as the numbers they shift, the baseline episode's own numbers.
            let values = crate::posterior::settings(&post.targets, &post.points[k].0, &base)
                .map_err(|path| {
                    input(format!(
                        "--posterior {}: the calibration sets `{path}`, which `{}` does not have",
                        dir.display(),
                        base.name
                    ))
                })?;
            sets.push((String::from("posterior"), values));
        }
    }
    let seeds: Vec<u64> = (0..args.runs).map(|r| run_seed(args.seed, 0, r)).collect();
    let results: Vec<Result<Vec<Verdict>>> = pool
        .install(|| sets.par_iter().map(|(_, values)| claims_at(&base, values, &seeds)).collect());
    let results: Vec<Vec<Verdict>> = results.into_iter().collect::<Result<_>>()?;

    // claim_points.csv: every point's values and verdicts.
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![String::from("point"), String::from("assumptions")];
    header.extend(CLAIMS.iter().map(|c| format!("claim_{}", c.id)));
    // Every assumption any point sets; a point that leaves one alone has the scenario's value.
    let mut columns: Vec<String> = space.iter().map(|(p, _, _)| p.clone()).collect();
    for (_, values) in &sets {
        for (p, _) in values {
            if !columns.contains(p) {
                columns.push(p.clone());
            }
        }
    }
    header.extend(columns.iter().cloned());
    w.write_record(&header)?;
    for (i, ((label, values), verdicts)) in sets.iter().zip(&results).enumerate() {
        let mut row = vec![i.to_string(), label.clone()];
        row.extend(verdicts.iter().map(|v| v.name().to_string()));
        for p in &columns {
            let v = values
                .iter()
                .find(|(q, _)| q == p)
                .map(|(_, x)| *x)
                .or_else(|| params::get(&base.document, p));
            row.push(v.map_or_else(String::new, sidelines_report::format_number));
        }
        w.write_record(&row)?;
    }
    let bytes = crate::error::csv_bytes(w)?;
    sidelines_report::write_atomic(&dir.join("claim_points.csv"), &bytes)?;

    // claims.csv: per claim and assumption set, the share of points where it holds.
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "claim",
        "wording",
        "when",
        "then",
        "assumptions",
        "points",
        "holds",
        "share",
        "ci95_low",
        "ci95_high",
        "reversed",
        "unclear",
    ])?;
    let mut table = format!(
        "claim  {:<50} assumptions  holds at          share   95% interval   reversed  unclear\n",
        "in words"
    );
    for label in ["prior", "posterior"] {
        let idx: Vec<usize> = (0..sets.len()).filter(|&i| sets[i].0 == label).collect();
        if idx.is_empty() {
            continue;
        }
        for (k, c) in CLAIMS.iter().enumerate() {
            let count = |v: Verdict| idx.iter().filter(|&&i| results[i][k] == v).count() as u64;
            let (holds, reversed, unclear) =
                (count(Verdict::Holds), count(Verdict::Reversed), count(Verdict::Unclear));
            let (share, lo, hi) = wilson(holds, idx.len() as u64);
            let f = sidelines_report::format_number;
            w.write_record([
                c.id.to_string(),
                c.short.to_string(),
                c.when.to_string(),
                c.then.to_string(),
                label.to_string(),
                idx.len().to_string(),
                holds.to_string(),
                f(share),
                f(lo),
                f(hi),
                reversed.to_string(),
                unclear.to_string(),
            ])?;
            table.push_str(&format!(
                "{:<6} {:<50} {label:<12} {holds:>4} of {:<6} {share:>8.3}   [{lo:.3}, {hi:.3}]  {reversed:>8}  {unclear:>7}\n",
                c.id,
                c.short,
                idx.len()
            ));
        }
    }
    let bytes = crate::error::csv_bytes(w)?;
    sidelines_report::write_atomic(&dir.join("claims.csv"), &bytes)?;
    let manifest = Manifest {
        scenario: Some(base.name.clone()),
        seed: Some(args.seed),
        runs: Some(args.runs),
        points: Some(args.points),
        spread: Some(args.spread),
        posterior: args.posterior.as_ref().map(|p| p.display().to_string()),
        assumptions_varied: Some(space.len() as u64),
        ..Manifest::new(Kind::Claims, &args.command_line)
    };
    manifest.write(&dir)?;
    let text = format!(
        "{table}{} assumptions varied within a factor {} of their values ({} points, {} paired runs per arm)\n",
        space.len(),
        args.spread,
        args.points,
        args.runs
    );
    Ok(Checked { dir, text })
}

/// Every likelihood, effect size and rate of `s` with its range: within a factor `spread` of
/// its value, inside its declared domain (a zero stays zero).
fn assumption_space(s: &Scenario, spread: f64) -> Vec<(String, f64, f64)> {
    params::leaves(&s.document)
        .into_iter()
        .filter(|l| {
            let p = &l.param;
            (p.starts_with("events.") && (p.contains(".likelihood.") || p.ends_with(".delta")))
                || p.ends_with("rate_per_day")
        })
        .filter(|l| l.value != 0.0)
        .filter_map(|l| {
            let d = params::domain(&l.param)?;
            let (a, b) = (l.value / spread, l.value * spread);
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            Some((l.param, lo.max(d.min), hi.min(d.max)))
        })
        .collect()
}

/// A claim at one point: every check's 99% interval on the claimed side of zero (holds), any
/// on the other side (reversed), or neither (unclear: the runs cannot tell).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Holds,
    Reversed,
    Unclear,
}

impl Verdict {
    fn name(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Reversed => "reversed",
            Verdict::Unclear => "unclear",
        }
    }

    /// All of `parts` must hold; any reversed reverses.
    fn all(parts: &[Verdict]) -> Verdict {
        if parts.contains(&Verdict::Reversed) {
            Verdict::Reversed
        } else if parts.iter().all(|v| *v == Verdict::Holds) {
            Verdict::Holds
        } else {
            Verdict::Unclear
        }
    }

    /// A mean with its half-width against the claimed sign.
    fn of(m: f64, h: f64, up: bool) -> Verdict {
        let (lo, hi) = (m - h, m + h);
        if !(lo.is_finite() && hi.is_finite()) {
            Verdict::Unclear
        } else if (up && lo > 0.0) || (!up && hi < 0.0) {
            Verdict::Holds
        } else if (up && hi < 0.0) || (!up && lo > 0.0) {
            Verdict::Reversed
        } else {
            Verdict::Unclear
        }
    }
}

/// The verdict of every claim at one point.
fn claims_at(base: &Scenario, values: &[(String, f64)], seeds: &[u64]) -> Result<Vec<Verdict>> {
    let mut doc = base.document.clone();
    for (p, v) in values {
        set_rescaled(&mut doc, p, *v).map_err(|m| Error::Machine(format!("{p}: {m}")))?;
    }
    let mut outs: Vec<(Arm, Simulation, Vec<RunOutput>)> = Vec::new();
    for arm in ARMS {
        let s = arm_scenario(&doc, arm)?;
        let events = arm == Arm::AidCut || arm == Arm::Base;
        let mut sim = Simulation::with_capacity(Arc::new(s), seeds.len().min(64))?;
        let mut all = Vec::with_capacity(seeds.len());
        for block in seeds.chunks(64) {
            let mut o = vec![RunOutput::default(); block.len()];
            sim.run_block(block, Record { trajectory: false, events }, &mut o);
            all.extend(o);
        }
        outs.push((arm, sim, all));
    }
    let col = |arm: Arm, name: &str| -> Vec<f64> {
        let Some((_, sim, o)) = outs.iter().find(|(a, _, _)| *a == arm) else { return Vec::new() };
        let Some(k) = sim.outcome_names().iter().position(|n| n == name) else {
            return Vec::new();
        };
        o.iter().map(|r| r.outcomes[k].as_number().unwrap_or(f64::NAN)).collect()
    };
    let mut verdicts = Vec::new();
    for c in CLAIMS {
        let mut parts = Vec::new();
        for ch in c.checks {
            let (t, k) = (col(ch.treatment, ch.outcome), col(ch.control, ch.outcome));
            let d: Vec<f64> = t.iter().zip(&k).map(|(a, b)| a - b).collect();
            let (m, h) = if d.is_empty() { (f64::NAN, f64::NAN) } else { mean_ci(&d, Z99) };
            parts.push(Verdict::of(m, h, ch.up));
        }
        if c.concession {
            let within = |arm: Arm| -> Vec<f64> {
                let Some((_, sim, o)) = outs.iter().find(|(a, _, _)| *a == arm) else {
                    return Vec::new();
                };
                let s = sim.scenario();
                let (Some(ua), Some(kind)) = (s.actor_index("UA"), s.event_index("concession"))
                else {
                    return Vec::new();
                };
                o.iter()
                    .map(|r| {
                        let first = r.events.iter().find(|e| e.kind == kind && e.source == ua);
                        f64::from(u8::from(first.is_some_and(|e| e.day <= 14)))
                    })
                    .collect()
            };
            let cut = within(Arm::AidCut);
            let none = within(Arm::Base);
            let count = cut.iter().filter(|x| **x > 0.0).count() as u64;
            let (_, low, high) = wilson_at(count, cut.len() as u64, Z99);
            // "Most runs": the share's 99% interval above one half, or below it.
            parts.push(if low > 0.5 {
                Verdict::Holds
            } else if high < 0.5 {
                Verdict::Reversed
            } else {
                Verdict::Unclear
            });
            let d: Vec<f64> = cut.iter().zip(&none).map(|(a, b)| a - b).collect();
            let (m, h) = mean_ci(&d, Z99);
            parts.push(Verdict::of(m, h, true));
        }
        verdicts.push(Verdict::all(&parts));
    }
    Ok(verdicts)
}

/// One arm at a point: the point's document (a scenario's `document`), with a branch's `[set]`
/// or a probe on top. The wiring tests build their arms here too.
pub fn arm_scenario(doc: &toml::Table, arm: Arm) -> Result<Scenario> {
    let mut doc = doc.clone();
    let variant = match arm {
        Arm::Coerced => Some("coerced-settlement"),
        Arm::Balanced => Some("balanced-settlement"),
        Arm::Collapse => Some("talks-collapse"),
        Arm::Disengages => Some("us-disengages"),
        Arm::WarContinues => Some("war-continues"),
        _ => None,
    };
    if let Some(v) = variant {
        // The branch's own settings win over the point's: they define the branch.
        let text = sidelines_scenario::embedded_source(v).ok_or_else(|| {
            Error::Machine(String::from("the claims\' arms: no embedded variant"))
        })?;
        let table: toml::Table =
            toml::from_str(text).map_err(|e| Error::Machine(format!("{v}: {e}")))?;
        if let Some(set) = table.get("set").and_then(toml::Value::as_table) {
            for (path, value) in set {
                let x = value
                    .as_float()
                    .or_else(|| value.as_integer().map(|i| i as f64))
                    .ok_or_else(|| {
                        Error::Machine(String::from(
                            "the claims\' arms: no a variant's [set] value",
                        ))
                    })?;
                set_rescaled(&mut doc, path, x).map_err(|m| Error::Machine(format!("{v}: {m}")))?;
            }
        }
        if let Some(t) = table.get("timeline") {
            doc.insert("timeline".into(), t.clone());
        }
    }
    let timeline = |doc: &mut toml::Table, entries: Vec<(u32, &str, &str, &str)>| {
        let arr: Vec<toml::Value> = entries
            .into_iter()
            .map(|(day, kind, source, target)| {
                let mut t = toml::Table::new();
                t.insert("day".into(), i64::from(day).into());
                t.insert("kind".into(), kind.into());
                t.insert("source".into(), source.into());
                t.insert("target".into(), target.into());
                t.into()
            })
            .collect();
        doc.insert("timeline".into(), toml::Value::Array(arr));
    };
    match arm {
        Arm::AidCut => timeline(&mut doc, vec![(0, "aid_suspended", "US", "UA")]),
        Arm::ProbeAction | Arm::ProbeStatement => {
            // Two kinds alike but for their class (claim 6), scripted on day 300.
            let events =
                doc.get_mut("events").and_then(toml::Value::as_table_mut).ok_or_else(|| {
                    Error::Machine(String::from("the claims\' arms: no events table"))
                })?;
            let mut kind = toml::Table::new();
            let class = if arm == Arm::ProbeAction { "action" } else { "statement" };
            kind.insert("class".into(), class.into());
            kind.insert("visibility".into(), 1.0.into());
            let mut l = toml::Table::new();
            for (h, x) in [
                ("deal_seeker", 0.8),
                ("hard_bargainer", 0.3),
                ("unserious", 0.4),
                ("reliable", 0.2),
            ] {
                l.insert(h.into(), x.into());
            }
            kind.insert("likelihood".into(), l.into());
            events.insert("probe".into(), kind.into());
            timeline(&mut doc, vec![(300, "probe", "US", "UA")]);
        }
        Arm::Exercises => {
            let mut entries = Vec::new();
            for k in 0..12 {
                entries.push((20 + 25 * k, "joint_exercise", "US", "KR"));
                entries.push((20 + 25 * k, "cvid_reaffirmed", "US", "KP"));
            }
            timeline(&mut doc, entries);
        }
        Arm::Tilted => {
            // Engagement made to pay more, from day 1 on: a lasting shift of Pyongyang's US lane
            // by a kind that says nothing about the US (flat likelihoods). Until 2026-12 the arm
            // raised `us_per_engagement_payoff` to 3.0 and the tilt came from the day-0
            // utilities no longer matching the weights; with day 0 at rest
            // (`mechanisms.rest`) that tilt is gone, and a steeper slope alone tilts nothing.
            let events =
                doc.get_mut("events").and_then(toml::Value::as_table_mut).ok_or_else(|| {
                    Error::Machine(String::from("the claims\' arms: no events table"))
                })?;
            let mut kind = toml::Table::new();
            kind.insert("class".into(), "action".into());
            kind.insert("visibility".into(), 1.0.into());
            let mut l = toml::Table::new();
            for h in ["deal_seeker", "hard_bargainer", "unserious", "reliable"] {
                l.insert(h.into(), 0.5.into());
            }
            kind.insert("likelihood".into(), l.into());
            let mut fx = toml::Table::new();
            fx.insert("actor".into(), "KP".into());
            fx.insert("variable".into(), "standing.us_engagement".into());
            // Worth what the steeper slope added at day 0: (3.0 - 1.6) x the expected payoff
            // under Pyongyang's prior (0.305, ukraine-watch's calibration note).
            fx.insert("delta".into(), 0.43.into());
            kind.insert("effects".into(), toml::Value::Array(vec![fx.into()]));
            events.insert("tilt".into(), kind.into());
            timeline(&mut doc, vec![(1, "tilt", "KP", "US")]);
        }
        _ => {}
    }
    Ok(sidelines_scenario::from_document(&doc)?)
}
