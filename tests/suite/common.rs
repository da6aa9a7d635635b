//! Helpers shared by the test modules.

use std::sync::Arc;

use sidelines_experiment::stats;
use sidelines_model::{Record, RunOutput, Simulation};
use sidelines_scenario::Scenario;

pub fn embedded(name: &str) -> Scenario {
    match sidelines_scenario::load_embedded(name) {
        Some(Ok(s)) => s,
        Some(Err(e)) => panic!("{name}: {e}"),
        None => panic!("no embedded scenario {name}"),
    }
}

/// A scenario from TOML text (a variant may name an embedded base).
pub fn from_toml(name: &str, text: &str) -> Scenario {
    sidelines_scenario::load(name, text.as_bytes(), &sidelines_scenario::embedded_only)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs seeds `0..n` and returns every output.
pub fn runs(s: &Scenario, n: u64, record: Record) -> (Simulation, Vec<RunOutput>) {
    let mut sim = Simulation::new(Arc::new(s.clone())).expect("schedule builds");
    let outs = (0..n).map(|seed| sim.run(seed, record)).collect();
    (sim, outs)
}

/// A numeric outcome by name from each run (flags count as 0/1).
pub fn column(sim: &Simulation, outs: &[RunOutput], name: &str) -> Vec<f64> {
    let i = sim
        .outcome_names()
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no outcome {name}"));
    outs.iter()
        .map(|o| {
            let v = &o.outcomes[i];
            v.as_number().unwrap_or_else(|| panic!("{name} is not numeric: {v:?}"))
        })
        .collect()
}

/// Mean and the half-width of its two-sided 99% normal-theory confidence interval.
pub fn mean_ci99(xs: &[f64]) -> (f64, f64) {
    stats::mean_ci(xs, stats::Z99)
}

/// Paired differences `a_i - b_i` (same seed in both arms: common random numbers).
pub fn paired(a: &[f64], b: &[f64]) -> Vec<f64> {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

/// Asserts the 99% interval of the mean of `diffs` lies strictly above zero.
#[track_caller]
pub fn assert_positive(what: &str, diffs: &[f64]) {
    let (m, h) = mean_ci99(diffs);
    eprintln!("{what}: {m:+.4} ± {h:.4} (99% CI, n = {})", diffs.len());
    assert!(
        m - h > 0.0,
        "{what}: mean difference {m:.4} ± {h:.4} (99% CI) does not exclude zero from above"
    );
}

/// Asserts the 99% interval of the mean of `diffs` lies strictly below zero.
#[track_caller]
pub fn assert_negative(what: &str, diffs: &[f64]) {
    let (m, h) = mean_ci99(diffs);
    eprintln!("{what}: {m:+.4} ± {h:.4} (99% CI, n = {})", diffs.len());
    assert!(
        m + h < 0.0,
        "{what}: mean difference {m:.4} ± {h:.4} (99% CI) does not exclude zero from below"
    );
}
