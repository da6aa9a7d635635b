//! The floor (`sidelines_model::floor`) is the model without the ECS; it is only worth measuring
//! against if it is the same model. Every scenario the project ships (embedded, the episodes,
//! the episodes replayed from their records: every mechanism and the replay's switches) is run
//! through both, seed by seed, and every outcome and every daily value must be equal bit for
//! bit.
//!
//! 256 seeds a scenario: four worlds of 64 runs, so that the ECS side also runs blocks after the
//! first (a world reset in place), and enough runs that every talks outcome and answer the
//! default scenario produces occurs (checked below, so the comparison is not of idle runs).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use sidelines_model::floor::Floor;
use sidelines_model::{Record, RunOutput, Simulation, Value, splitmix64};
use sidelines_scenario::{
    DEFAULT_SCENARIO, EMBEDDED, EPISODES, Expect, Input, Observation, ReplaySpec, Scenario,
    load_replay,
};

const SEEDS: u64 = 256;
const PER_WORLD: usize = 64;

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// Every scenario the project ships: the embedded ones, the sourced episodes' files, and each
/// episode replayed from its record (timeline only) with 60 days after it.
fn scenarios() -> Vec<(String, Scenario)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let resolve = &sidelines_scenario::embedded_only;
    let mut all = Vec::new();
    for (name, _, _) in EMBEDDED {
        match sidelines_scenario::load_embedded(name) {
            Some(Ok(s)) => all.push((name.to_string(), s)),
            other => panic!("{name} does not load: {other:?}"),
        }
    }
    for (file, timeline) in EPISODES {
        let bytes = std::fs::read(root.join(file)).expect("reads");
        let s = sidelines_scenario::load(file, &bytes, resolve).expect("loads");
        all.push((file.to_string(), s));
        let record = std::fs::read(root.join(timeline)).expect("reads");
        let spec = ReplaySpec {
            timeline: Input { name: timeline, bytes: &record },
            observed: None,
            then_days: 60,
        };
        let replay = load_replay(file, &bytes, resolve, spec).expect("replays");
        all.push((format!("{timeline} replayed"), replay.scenario));
    }
    all
}

#[test]
fn floor_agrees_with_the_model() {
    let mut compared = 0;
    for (name, scenario) in scenarios() {
        assert!(scenario.observed.is_empty(), "{name}");
        let mut with_observations = scenario.clone();
        with_observations.observed.push(Observation {
            day: 0,
            outcome: String::from("talks_outcome"),
            expect: Expect::Label(String::from("ongoing")),
            note: String::new(),
            place: None,
        });
        assert!(Floor::new(Arc::new(with_observations)).is_err(), "observations are refused");
        let scenario = Arc::new(scenario);
        let mut floor = Floor::new(scenario.clone()).expect("builds");
        let mut sim = Simulation::with_capacity(scenario.clone(), PER_WORLD).expect("builds");
        assert_eq!(floor.outcomes(), sim.outcomes(), "{name}: the same outcome table");
        let record = Record { trajectory: true, events: false };
        let seeds: Vec<u64> = (0..SEEDS).map(splitmix64).collect();
        let mut talks = BTreeSet::new();
        let mut plain = RunOutput::default();
        for block in seeds.chunks(PER_WORLD) {
            let mut outs = vec![RunOutput::default(); block.len()];
            sim.run_block(block, record, &mut outs);
            for (seed, ecs) in block.iter().zip(&outs) {
                floor.run(*seed, true, &mut plain);
                assert_eq!(plain.outcomes.len(), ecs.outcomes.len());
                for ((a, b), o) in plain.outcomes.iter().zip(&ecs.outcomes).zip(sim.outcomes()) {
                    assert!(same_value(a, b), "{name} seed {seed} {}: {a:?} vs {b:?}", o.name);
                }
                assert_eq!(plain.trajectory.len(), ecs.trajectory.len(), "{name}");
                let width = sim.series().len();
                for (i, (a, b)) in plain.trajectory.iter().zip(&ecs.trajectory).enumerate() {
                    assert!(
                        a.to_bits() == b.to_bits(),
                        "{name} seed {seed} day {} {:?}: {a} vs {b}",
                        i / width,
                        sim.series()[i % width]
                    );
                }
                if let Value::Text(t) = &ecs.outcomes[0] {
                    talks.insert(*t);
                }
            }
        }
        if name == DEFAULT_SCENARIO {
            // The default scenario's runs end in every way its talks can end but an agreement
            // (it has no counterpart to sign one), so every branch of the negotiation was compared.
            assert!(talks.len() >= 4, "{name}: only {talks:?}");
        }
        compared += 1;
    }
    assert_eq!(compared, EMBEDDED.len() + 2 * EPISODES.len());
}
