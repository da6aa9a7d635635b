//! Any bytes as a sweep file: parsed and validated (sizes included), its design built, and
//! its first point's scenario set.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sidelines_experiment::design::{Sampler, unit_points};
use sidelines_scenario::sweep::SweepSampler;

fuzz_target!(|data: &[u8]| {
    let Ok(sweep) = sidelines_scenario::sweep::load_sweep(
        "fuzz.toml",
        data,
        &sidelines_scenario::embedded_only,
    ) else {
        return;
    };
    let k = sweep.parameters.len();
    let sampler = match &sweep.sampler {
        SweepSampler::Grid => {
            Sampler::Grid(sweep.parameters.iter().map(|p| p.values.clone()).collect())
        }
        SweepSampler::Random { samples } => Sampler::Random { samples: *samples },
        SweepSampler::Lhs { samples } => Sampler::Lhs { samples: *samples },
        SweepSampler::Sobol { base_samples, second_order } => {
            Sampler::Sobol { base_samples: *base_samples, second_order: *second_order }
        }
        SweepSampler::Morris { trajectories, levels } => {
            Sampler::Morris { trajectories: *trajectories, levels: *levels }
        }
    };
    let Ok(points) = unit_points(&sampler, k, sweep.seed) else { return };
    if let Some(first) = points.first() {
        let values: Vec<f64> = match sweep.sampler {
            SweepSampler::Grid => first.clone(),
            _ => first.iter().zip(&sweep.parameters).map(|(u, p)| p.scale(*u)).collect(),
        };
        let _ = sweep.point_scenario(&values);
    }
});
