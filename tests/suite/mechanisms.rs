//! The mechanisms added for episodes beyond 2025, each against its switch: on, it does what it
//! says; at 0, the world behaves as the 2025 model did. And every shipped episode replays.

use sidelines_model::{Record, Value};

use crate::cli::sidelines;
use crate::common::*;

use sidelines_scenario::EPISODES;
#[test]
fn every_shipped_episode_replays_with_every_observation_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (scenario, timeline) in EPISODES {
        let out = dir.path().join(scenario.replace('/', "_"));
        let o = sidelines(&[
            "replay",
            scenario,
            "--timeline",
            timeline,
            "--runs",
            "50",
            "--seed",
            "1",
            "--out",
            out.to_str().expect("utf8"),
            "--quiet",
        ]);
        assert!(o.status.success(), "{scenario}: {}", String::from_utf8_lossy(&o.stderr));
        let observed = timeline.replace(".csv", "-observed.csv");
        let want = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&observed),
        )
        .expect("observed file");
        let checks = std::fs::read_to_string(out.join("record_check.csv")).expect("check");
        let rows = |t: &str| csv::Reader::from_reader(t.as_bytes()).records().count();
        assert_eq!(rows(&checks), rows(&want), "{scenario}: one check per observation");
        assert!(rows(&want) >= 8, "{observed}: at least 8 observations");
    }
}

/// A text or flag outcome of every run, by name.
fn labels(s: &sidelines_scenario::Scenario, n: u64, name: &str) -> Vec<String> {
    let (sim, outs) = runs(s, n, Record::default());
    let i = sim.outcome_names().iter().position(|x| x == name).expect("outcome");
    outs.iter()
        .map(|o| match &o.outcomes[i] {
            Value::Text(t) => t.to_string(),
            Value::Flag(b) => b.to_string(),
            v => panic!("{name}: {v:?}"),
        })
        .collect()
}

/// The Iran episode with the mediator's own processes off, so that only the script and the
/// mechanism under test act; `resumption` is the mechanism's weight.
fn quiet_iran(script: &str, sets: &[(&str, f64)]) -> sidelines_scenario::Scenario {
    let mut all: Vec<(&str, f64)> = vec![
        ("mediator.overture_rate_per_day", 0.0),
        ("mediator.talks_round_rate_per_day", 0.0),
        ("mediator.disengage_below", 0.0),
        ("mediator.initial_attention", 0.8),
    ];
    all.extend_from_slice(sets);
    let s = embedded("iran-talks-2025").with_parameters(&all).expect("valid");
    let text = format!("{}\n{script}", toml::to_string(&s.document).expect("toml"));
    from_toml("quiet-iran", &text)
}

const COLLAPSE: &str = r#"
[[timeline]]
day = 3
kind = "talks_collapse"
source = "IR"
target = "US"
"#;

/// A breakdown with the mediator still attentive (0.8, above `resume_above` 0.5): with
/// resumption the talks are going again at the end in every run; without it they stay ended.
#[test]
fn talks_that_break_down_resume_when_the_mediator_is_still_interested() {
    let on = quiet_iran(COLLAPSE, &[]);
    assert!(labels(&on, 20, "talks_outcome").iter().all(|l| l == "ongoing"));
    let off = quiet_iran(COLLAPSE, &[("mechanisms.resumption", 0.0)]);
    assert!(labels(&off, 20, "talks_outcome").iter().all(|l| l == "talks_collapse"));
    // Attention that has run out does not bring them back.
    let low = quiet_iran(COLLAPSE, &[("mediator.initial_attention", 0.3)]);
    assert!(labels(&low, 20, "talks_outcome").iter().all(|l| l == "talks_collapse"));
}

/// An observer leaning toward Washington (US lane 0.5, above 0.12 + 0.05) proposes talks
/// itself with a daily chance of 0.02: within 365 days in all but 0.98^365 = 0.06% of runs,
/// so 200 runs all see it with probability 0.88 and at least 195 see it with probability
/// above 0.999999. Without the mechanism it never does (no overture reaches it either).
#[test]
fn an_observer_inclined_enough_proposes_talks_itself() {
    let lean = [
        ("actors.IR.alignment.weights.us_engagement", 0.5),
        ("actors.IR.alignment.weights.russia", 0.15),
        ("actors.IR.alignment.weights.china", 0.15),
        ("actors.IR.alignment.weights.self_reliance", 0.2),
    ];
    let on = quiet_iran("", &lean);
    let got = labels(&on, 200, "ir_initiates_talks");
    assert!(got.iter().filter(|l| *l == "true").count() >= 195, "{got:?}");
    let mut off_sets = lean.to_vec();
    off_sets.push(("mechanisms.initiative", 0.0));
    let off = quiet_iran("", &off_sets);
    assert!(labels(&off, 200, "ir_initiates_talks").iter().all(|l| l == "false"));
}

/// `evaluate` scores every shipped episode against the three baselines; the base rate of an
/// episode scored alone comes from no other episode (never from its own record), so it is the
/// coin flip; a malformed --episode is the user's input.
#[test]
fn evaluate_scores_episodes_and_never_learns_a_base_rate_from_the_one_scored() {
    let o = sidelines(&["evaluate", "--runs", "40", "--resamples", "100", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let groups = v["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), EPISODES.len() + 1, "one group per episode and one for all");
    for g in groups {
        for who in ["model", "coin flip", "base rate", "persistence"] {
            assert!(g["brier"][who]["mean"].as_f64().is_some_and(f64::is_finite), "{who}: {g}");
        }
    }
    let observations = v["observations"].as_array().expect("rows");
    assert!(observations.iter().any(|r| r["base_rate_from"].as_u64() > Some(0)));

    let (scenario, timeline) = EPISODES[1];
    let alone = format!("{scenario}={timeline}");
    let o = sidelines(&["evaluate", "--episode", &alone, "--runs", "20", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    for r in v["observations"].as_array().expect("rows") {
        assert_eq!(r["base_rate_from"], 0, "{r}");
        assert_eq!(r["forecasts"]["base rate"]["p"], r["forecasts"]["coin flip"]["p"], "{r}");
    }
    let o = sidelines(&["evaluate", "--episode", "no-equals-sign"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A numeric observation (a number, or a range scored at its midpoint) gets the CRPS of the
/// runs' values, which the JSON lets anyone recompute: the empirical distribution's CRPS from
/// the runs it lists, and persistence's from the day-0 value. (scripts/scoring_crosscheck.py
/// checks the same against scoringrules in CI.)
#[test]
fn a_numeric_observation_is_scored_by_its_crps() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let timeline = tmp.path().join("numbers.csv");
    std::fs::copy(root.join("configs/timelines/2025.csv"), &timeline).expect("copy");
    std::fs::write(
        tmp.path().join("numbers-observed.csv"),
        "date,outcome,observed,note,source_url\n\
         2025-12-31,kr_trust_us,0.42,a point,\n\
         2025-06-30,kp_belief_hard_bargainer,0.3..0.5,an interval,\n\
         2025-12-31,talks_outcome,ongoing,a label,\n",
    )
    .expect("write");
    let episode = format!("ukraine-watch={}", timeline.display());
    let o = sidelines(&[
        "evaluate",
        "--episode",
        &episode,
        "--runs",
        "50",
        "--resamples",
        "100",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let rows = v["observations"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    for (r, y) in rows.iter().zip([Some(0.42), Some(0.4), None]) {
        let Some(y) = y else {
            assert!(r["number"].is_null(), "a label has no CRPS: {r}");
            continue;
        };
        let n = &r["number"];
        assert_eq!(n["observed"].as_f64(), Some(y), "{r}");
        let xs: Vec<f64> =
            n["runs"].as_array().expect("runs").iter().map(|x| x.as_f64().expect("x")).collect();
        assert_eq!(xs.len(), 50);
        let m = xs.len() as f64;
        let to_y = xs.iter().map(|x| (x - y).abs()).sum::<f64>() / m;
        let pairs = xs.iter().flat_map(|a| xs.iter().map(move |b| (a - b).abs())).sum::<f64>();
        let crps = to_y - pairs / (2.0 * m * m);
        assert!((n["model_crps"].as_f64().expect("crps") - crps).abs() < 1e-12, "{r}");
        let day0 = n["day0"].as_f64().expect("day 0");
        assert!((n["persistence_crps"].as_f64().expect("p") - (day0 - y).abs()).abs() < 1e-15);
    }
    assert_eq!(v["crps"]["observations"], 2);
    assert!(v["crps"]["model"]["mean"].as_f64().is_some_and(|x| x >= 0.0));
}

const OVERTURE: &str = r#"
[[timeline]]
day = 3
kind = "summit_overture"
source = "US"
target = "IR"
"#;

/// Answers are noisy choices (`mechanisms.quantal`): an ordered logit on the US weight with
/// the offer and accept thresholds as cut-points. Tehran's day-0 weight (0.1) lies between
/// them (0.08 and 0.12), so with a spread of 0.02 each of the three answers has a probability
/// of at least about 0.2 there (0.27, 0.46, 0.27 at exactly 0.1; the overture's own pull moves
/// the weight by a few hundredths at most): in 400 runs an answer is missing with probability
/// below 3 × 0.8^400 = 1e-38. Without the error every run gives the same answer; far above
/// the accept threshold (0.5, 19 spreads) every run says yes with the error too.
#[test]
fn answers_are_noisy_choices_between_the_thresholds() {
    let quiet = [("mechanisms.initiative", 0.0)];
    let answers = |sets: &[(&str, f64)]| {
        let mut all = quiet.to_vec();
        all.extend_from_slice(sets);
        labels(&quiet_iran(OVERTURE, &all), 400, "ir_answer")
    };
    let count = |got: &[String], what: &str| got.iter().filter(|l| *l == what).count();
    let on = answers(&[]);
    for what in ["refused", "conditional_offer", "accepted"] {
        assert!(count(&on, what) > 0, "{what} never given: {:?}", &on[..10]);
    }
    let off = answers(&[("mechanisms.quantal", 0.0)]);
    assert!(off.iter().all(|l| *l == off[0]), "{:?}", &off[..10]);
    assert_eq!(off, answers(&[("alignment.answer_spread", 0.0)]), "spread 0 is the switch off");
    let keen = answers(&[
        ("actors.IR.alignment.weights.us_engagement", 0.5),
        ("actors.IR.alignment.weights.russia", 0.15),
        ("actors.IR.alignment.weights.china", 0.2),
        ("actors.IR.alignment.weights.self_reliance", 0.15),
    ]);
    assert_eq!(count(&keen, "accepted"), 400);
}

/// `evaluate --out` writes a folder like any other (scores, skill, the reliability diagram,
/// a workbook and a report) and will not overwrite it without --force; `--posterior` scores
/// the calibrated model on another episode, integrating out the calibrated numbers of actors
/// the episode does not have (Pyongyang's transfer in the JCPOA episode).
#[test]
fn evaluate_writes_a_folder_and_scores_a_posterior_on_another_episode() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cal = tmp.path().join("cal");
    let file = crate::calibrate::write_small(tmp.path());
    let o = sidelines(&["calibrate", &file, "--out", cal.to_str().expect("utf8"), "--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (scenario, timeline) =
        EPISODES.iter().find(|(s, _)| s.contains("jcpoa")).expect("the JCPOA episode is shipped");
    let episode = format!("{scenario}={timeline}");
    let out = tmp.path().join("ev");
    let evaluate = |posterior: bool, out: Option<&std::path::Path>| {
        let mut args =
            vec!["evaluate", "--episode", &episode, "--runs", "60", "--resamples", "100", "--json"];
        if posterior {
            args.extend(["--posterior", cal.to_str().expect("utf8")]);
        }
        if let Some(o) = out {
            args.extend(["--out", o.to_str().expect("utf8")]);
        }
        sidelines(&args)
    };
    let o = evaluate(true, Some(&out));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(
        v["posterior_paths_integrated_out"]["jcpoa-2015"],
        serde_json::json!(["actors.KP.transfer"])
    );
    let observations = v["observations"].as_array().expect("rows");
    let rows = |name: &str| -> Vec<csv::StringRecord> {
        let mut r = csv::Reader::from_path(out.join(name)).expect(name);
        r.records().map(|x| x.expect("row")).collect()
    };
    assert_eq!(rows("scores.csv").len(), observations.len());
    assert_eq!(rows("skill.csv").len(), 2 * 4, "the episode and all episodes, four forecasters");
    // Every category of every observation is in one bin of each forecaster's diagram.
    let categories: u64 =
        observations.iter().map(|r| r["categories"].as_array().expect("list").len() as u64).sum();
    let model: u64 = rows("reliability.csv")
        .iter()
        .filter(|r| &r[0] == "model")
        .map(|r| r[3].parse::<u64>().expect("count"))
        .sum();
    assert_eq!(model, categories);
    for f in ["charts/reliability.png", "charts/reliability.svg", "results.xlsx", "report.html"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let report = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(report.contains("forecasts of the record, scored"), "no scores in the report");
    let before = std::fs::read(out.join("scores.csv")).expect("scores");
    let o = evaluate(true, Some(&out));
    assert_eq!(o.status.code(), Some(2), "overwrote without --force");
    assert_eq!(std::fs::read(out.join("scores.csv")).expect("scores"), before);
    // The posterior's statement weight moves the forecasts from the scenario's own.
    let own: serde_json::Value =
        serde_json::from_slice(&evaluate(false, None).stdout).expect("json");
    let p = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        v["observations"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["forecasts"]["model"]["p"].clone())
            .collect()
    };
    assert_ne!(p(&v), p(&own));
}
