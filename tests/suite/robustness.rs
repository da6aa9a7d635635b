//! No input reachable from a file or a parameter path makes the tool panic, and the model's
//! invariants (distributions sum to one, values stay in their ranges, everything finite) hold
//! for any scenario that validates.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use sidelines_model::{Record, Simulation, Value};

use crate::common::*;

const DEFAULT: &str = include_str!("../../configs/scenarios/ukraine-watch.toml");

proptest! {
    // A fixed seed: CI explores the same 256 cases every time, so a failure is reproducible.
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_seed: RngSeed::Fixed(20250325),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// A file cut short anywhere loads or fails with located errors; it never panics.
    #[test]
    fn truncated_files_never_panic(cut in 0usize..DEFAULT.len()) {
        let bytes = &DEFAULT.as_bytes()[..cut];
        if let Err(e) = sidelines_scenario::load("cut.toml", bytes, &sidelines_scenario::embedded_only) {
            prop_assert!(!e.diagnostics.is_empty());
        }
    }

    /// One byte overwritten anywhere: never a panic.
    #[test]
    fn corrupted_bytes_never_panic(at in 0usize..DEFAULT.len(), byte in any::<u8>()) {
        let mut bytes = DEFAULT.as_bytes().to_vec();
        bytes[at] = byte;
        let _ = sidelines_scenario::load("bad.toml", &bytes, &sidelines_scenario::embedded_only);
    }

    /// Any parameter set to any value either fails validation or gives a run whose beliefs
    /// and weights are distributions and whose outcomes are finite.
    #[test]
    fn any_parameter_value_runs_or_is_refused(pick in 0usize..10_000, x in prop_oneof![
        -2.0f64..2.0, 0.0f64..1.0, 0.0f64..400.0, Just(f64::NAN), Just(f64::INFINITY), Just(0.0), Just(1.0)
    ], seed in 0u64..1000) {
        let base = embedded("ukraine-watch");
        let params = base.parameters();
        let (path, _, _) = &params[pick % params.len()];
        let Ok(s) = base.with_parameters(&[(path.as_str(), x)]) else { return Ok(()) };
        let mut sim = Simulation::new(Arc::new(s)).expect("builds");
        let out = sim.run(seed, Record { trajectory: true, events: true });
        for (name, v) in sim.outcome_names().iter().zip(&out.outcomes) {
            if let Value::Number(v) = v {
                prop_assert!(v.is_finite(), "{path} = {x}: {name} = {v}");
            }
        }
        prop_assert!(out.trajectory.iter().all(|v| v.is_finite()));
        let series = sim.series();
        let last = &out.trajectory[out.trajectory.len() - series.len()..];
        for prefix in ["belief_", "alliance_"] {
            for actor in ["KP", "KR", "CN", "JP"] {
                let total: f64 = series.iter().zip(last)
                    .filter(|(s, _)| s.actor == actor && s.variable.starts_with(prefix))
                    .map(|(_, v)| *v).sum();
                if total != 0.0 {
                    prop_assert!((total - 1.0).abs() < 1e-9, "{path} = {x}: {actor} {prefix}* sums to {total}");
                }
            }
        }
        for (s, v) in series.iter().zip(last) {
            if s.variable != "courtship" {
                prop_assert!((0.0..=1.0).contains(v), "{path} = {x}: {}.{} = {v}", s.actor, s.variable);
            }
        }
    }
}
