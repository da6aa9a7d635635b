//! Same seed, same bytes; a reused Simulation gives what a fresh one gives.

use std::sync::Arc;

use sidelines_model::{Record, Simulation};

use crate::cli::sidelines;
use crate::common::*;

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = |seed: &str, name: &str| {
        let dir = tmp.path().join(name);
        let out = sidelines(&["run", "--seed", seed, "--out", dir.to_str().expect("utf8")]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        dir
    };
    let (a, b, c) = (run("7", "a"), run("7", "b"), run("8", "c"));
    for file in ["trajectory.csv", "events.csv", "run.csv"] {
        let read = |d: &std::path::Path| std::fs::read(d.join(file)).expect("read");
        assert_eq!(read(&a), read(&b), "{file} differs for the same seed");
        assert_ne!(read(&a), read(&c), "{file} is the same for another seed");
    }
}

#[test]
fn reused_simulation_equals_fresh() {
    let s = Arc::new(embedded("ukraine-watch"));
    let record = Record { trajectory: true, events: true };
    let mut reused = Simulation::new(s.clone()).expect("builds");
    for seed in [3, 1, 4, 1, 5, 9, 2, 6] {
        let again = reused.run(seed, record);
        let fresh = Simulation::new(s.clone()).expect("builds").run(seed, record);
        assert_eq!(again, fresh, "seed {seed}");
        assert!(!fresh.events.is_empty() && !fresh.trajectory.is_empty());
    }
}

/// The outcome table declares each column's kind and headline from the scenario's structure:
/// the hedging observer's beliefs, lanes and leverage; the allies' trust and fears.
#[test]
fn the_outcome_table_declares_kinds_and_headlines() {
    use sidelines_model::{FLAG_VALUES, OutcomeKind, TALKS_OUTCOMES};
    let sim = sidelines_model::Simulation::new(std::sync::Arc::new(crate::common::embedded(
        "ukraine-watch",
    )))
    .expect("builds");
    let headline: Vec<&str> =
        sim.outcomes().iter().filter(|o| o.headline).map(|o| o.name.as_str()).collect();
    assert_eq!(
        headline,
        [
            "talks_outcome",
            "kp_accepts_talks",
            "kp_belief_deal_seeker",
            "kp_belief_hard_bargainer",
            "kp_belief_unserious",
            "kp_belief_reliable",
            "kp_leverage",
            "kp_alliance_russia",
            "kp_alliance_us_engagement",
            "kr_trust_us",
            "kr_fear_coercion",
            "kr_fear_abandonment",
            "jp_trust_us",
            "jp_fear_coercion",
            "jp_fear_abandonment",
        ]
    );
    let kind = |n: &str| sim.outcomes().iter().find(|o| o.name == n).map(|o| o.kind);
    assert_eq!(kind("talks_outcome"), Some(OutcomeKind::Category(TALKS_OUTCOMES)));
    assert_eq!(kind("kp_accepts_talks"), Some(OutcomeKind::Category(FLAG_VALUES)));
    assert_eq!(kind("kp_accepts_talks_day"), Some(OutcomeKind::Day));
    assert_eq!(kind("talks_end_day"), Some(OutcomeKind::Day));
    assert_eq!(kind("cn_courtship"), Some(OutcomeKind::Unit));
    assert_eq!(kind("ru_munitions_need"), Some(OutcomeKind::Unit));
    assert_eq!(sim.outcome_names().len(), sim.outcomes().len());
}
