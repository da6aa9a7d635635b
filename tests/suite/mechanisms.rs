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
