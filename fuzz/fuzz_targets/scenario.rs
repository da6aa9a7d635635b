//! Any bytes as a scenario file: parsed and validated, and when valid, run for 30 days.
#![no_main]
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use sidelines_model::{Record, Simulation};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = sidelines_scenario::load("fuzz.toml", data, &sidelines_scenario::embedded_only)
    else {
        return;
    };
    // A short run: the scenario as validated, with its horizon cut to 30 days.
    let Ok(short) = s.with_values([("horizon_days", 30.0)]) else { return };
    if let Ok(mut sim) = Simulation::new(Arc::new(short)) {
        let _ = sim.run(7, Record { trajectory: true, events: true });
    }
});
