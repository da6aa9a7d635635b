//! Any bytes as a sweep file: parsed and validated (sizes included), its design built, and
//! its first point's scenario set.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sweep) = sidelines_scenario::sweep::load_sweep(
        "fuzz.toml",
        data,
        &sidelines_scenario::embedded_only,
    ) else {
        return;
    };
    // The design exactly as `sidelines sweep` builds it.
    let Ok(points) = sidelines_workflows::sweep::design(&sweep) else { return };
    if let Some(first) = points.first() {
        let _ = sweep.point_scenario(first);
    }
});
