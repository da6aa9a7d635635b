//! Any bytes as the body of a variant of the default scenario: its `[set]`, `[[timeline]]`
//! and the rest, resolved against the embedded base and validated, then run for 30 days.
#![no_main]
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use sidelines_model::{Record, Simulation};

fuzz_target!(|data: &[u8]| {
    let mut text = b"base = \"ukraine-watch\"\n".to_vec();
    text.extend_from_slice(data);
    let Ok(s) = sidelines_scenario::load("variant.toml", &text, &sidelines_scenario::embedded_only)
    else {
        return;
    };
    let Ok(short) = s.with_values([("horizon_days", 30.0)]) else { return };
    if let Ok(mut sim) = Simulation::new(Arc::new(short)) {
        let _ = sim.run(3, Record::default());
    }
});
