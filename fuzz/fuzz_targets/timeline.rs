//! Any bytes as a replay's record: a timeline CSV and, after the first NUL byte, an
//! observations CSV, read into the default scenario and validated.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sidelines_scenario::{Input, ReplaySpec};

fuzz_target!(|data: &[u8]| {
    let (timeline, observed) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Some(base) = sidelines_scenario::embedded_source("ukraine-watch") else { return };
    let spec = ReplaySpec {
        timeline: Input { name: "timeline.csv", bytes: timeline },
        observed: observed.map(|bytes| Input { name: "observed.csv", bytes }),
        then_days: 10,
    };
    let _ = sidelines_scenario::load_replay(
        "ukraine-watch",
        base.as_bytes(),
        &sidelines_scenario::embedded_only,
        spec,
    );
});
