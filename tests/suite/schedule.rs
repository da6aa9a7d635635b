//! The day's systems are totally ordered wherever they conflict, and the check can fail.

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::LogLevel;
use std::sync::Arc;

use crate::common::*;

#[test]
fn schedule_has_no_ambiguities() {
    // Simulation::new builds with ambiguity detection at error level.
    let s = Arc::new(embedded("ukraine-watch"));
    sidelines_model::Simulation::new(s).expect("no ambiguous systems");
}

#[test]
fn an_unordered_conflict_is_detected() {
    #[derive(Resource, Default)]
    struct Counter(u32);
    fn bump(mut c: ResMut<Counter>) {
        c.0 += 1;
    }
    fn bump_again(mut c: ResMut<Counter>) {
        c.0 += 2;
    }
    let mut world = World::new();
    world.init_resource::<Counter>();
    let mut schedule = sidelines_model::build_schedule(LogLevel::Error);
    schedule.add_systems((bump, bump_again).in_set(sidelines_model::Phase::Beliefs));
    assert!(schedule.initialize(&mut world).is_err(), "two unordered writers must be an error");
}

#[test]
fn model_reads_no_clock_and_no_global_rng() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/model/src");
    for entry in std::fs::read_dir(dir).expect("model sources") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        for banned in
            ["rand::rng(", "thread_rng", "SystemTime", "Instant::now", "std::fs", "std::env"]
        {
            assert!(!text.contains(banned), "{} uses {banned}", path.display());
        }
    }
}
