//! The estimators against functions whose indices are known in closed form.
//!
//! Sample sizes: Ishigami and the G-function at N = 2^13 base samples (as the issue asks) with
//! 200 bootstrap resamples; the analytic values must lie inside the 95% bootstrap intervals. A
//! small slack of 0.002 is added to each interval for the 4-digit rounding of the published
//! Ishigami values, nothing more.

use sidelines_experiment::design::{Sampler, unit_points};
use sidelines_experiment::sensitivity::{morris, sobol};
use std::f64::consts::PI;

const N: usize = 1 << 13;

fn ishigami(x: &[f64]) -> f64 {
    let (a, b) = (7.0, 0.1);
    let v: Vec<f64> = x.iter().map(|u| -PI + 2.0 * PI * u).collect();
    v[0].sin() + a * v[1].sin().powi(2) + b * v[2].powi(4) * v[0].sin()
}

#[test]
fn ishigami_indices_are_inside_their_intervals() {
    let rows = unit_points(&Sampler::Sobol { base_samples: N, second_order: false }, 3, 1).unwrap();
    let y: Vec<f64> = rows.iter().map(|r| ishigami(r)).collect();
    let s = sobol(&y, 3, false, 200, 42).unwrap();
    let s1 = [0.3139, 0.4424, 0.0];
    let st = [0.5576, 0.4424, 0.2437];
    for i in 0..3 {
        assert!(
            (s.s1[i] - s1[i]).abs() <= s.s1_conf[i] + 0.002,
            "S1[{i}] = {} ± {}",
            s.s1[i],
            s.s1_conf[i]
        );
        assert!(
            (s.st[i] - st[i]).abs() <= s.st_conf[i] + 0.002,
            "ST[{i}] = {} ± {}",
            s.st[i],
            s.st_conf[i]
        );
    }
}

#[test]
fn ishigami_second_order_finds_the_x1_x3_interaction() {
    let rows = unit_points(&Sampler::Sobol { base_samples: N, second_order: true }, 3, 1).unwrap();
    let y: Vec<f64> = rows.iter().map(|r| ishigami(r)).collect();
    let s = sobol(&y, 3, true, 200, 42).unwrap();
    let (s2, c2) = (s.s2.unwrap(), s.s2_conf.unwrap());
    // Analytic: S13 = ST1 - S1 = 0.2437; S12 = S23 = 0.
    for (i, j, want) in [(0, 2, 0.2437), (0, 1, 0.0), (1, 2, 0.0)] {
        assert!(
            (s2[i][j] - want).abs() <= c2[i][j] + 0.002,
            "S2[{i}][{j}] = {} ± {}",
            s2[i][j],
            c2[i][j]
        );
    }
}

#[test]
fn g_function_indices_are_inside_their_intervals() {
    let a = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0];
    let g = |x: &[f64]| {
        x.iter().zip(&a).map(|(u, ai)| ((4.0 * u - 2.0).abs() + ai) / (1.0 + ai)).product::<f64>()
    };
    let vi: Vec<f64> = a.iter().map(|ai| 1.0 / (3.0 * (1.0 + ai) * (1.0 + ai))).collect();
    let v = vi.iter().map(|x| 1.0 + x).product::<f64>() - 1.0;
    let rows =
        unit_points(&Sampler::Sobol { base_samples: N, second_order: false }, a.len(), 3).unwrap();
    let y: Vec<f64> = rows.iter().map(|r| g(r)).collect();
    let s = sobol(&y, a.len(), false, 200, 7).unwrap();
    for i in 0..a.len() {
        let s1 = vi[i] / v;
        let st = vi[i]
            * vi.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, x)| 1.0 + x).product::<f64>()
            / v;
        assert!(
            (s.s1[i] - s1).abs() <= s.s1_conf[i],
            "S1[{i}] = {} ± {} vs {s1}",
            s.s1[i],
            s.s1_conf[i]
        );
        assert!(
            (s.st[i] - st).abs() <= s.st_conf[i],
            "ST[{i}] = {} ± {} vs {st}",
            s.st[i],
            s.st_conf[i]
        );
    }
}

/// For y = Σ c_i x_i every elementary effect is exactly c_i: mu = c, mu* = |c|, sigma = 0.
#[test]
fn morris_recovers_a_linear_function_exactly() {
    let c = [2.0, -3.0, 0.0, 0.5];
    let rows = unit_points(&Sampler::Morris { trajectories: 25, levels: 4 }, c.len(), 9).unwrap();
    let y: Vec<f64> = rows.iter().map(|r| r.iter().zip(&c).map(|(x, ci)| x * ci).sum()).collect();
    let m = morris(&rows, &y, 4, 100, 1).unwrap();
    for (i, ci) in c.iter().enumerate() {
        assert!((m.mu[i] - ci).abs() < 1e-12, "mu[{i}] = {}", m.mu[i]);
        assert!((m.mu_star[i] - ci.abs()).abs() < 1e-12);
        assert!(m.sigma[i].abs() < 1e-12);
    }
}

/// y = x_0 x_1: the effect of x_0 is x_1, so mu* of x_0 is the mean |x_1| at its steps, which
/// on a 4-level grid with Δ = 2/3 lies in [0, 1]; and x_2 has no effect at all.
#[test]
fn morris_separates_an_inert_parameter() {
    let rows = unit_points(&Sampler::Morris { trajectories: 40, levels: 4 }, 3, 2).unwrap();
    let y: Vec<f64> = rows.iter().map(|r| r[0] * r[1]).collect();
    let m = morris(&rows, &y, 4, 100, 1).unwrap();
    assert!(m.mu_star[0] > 0.1 && m.mu_star[1] > 0.1);
    assert_eq!(m.mu_star[2], 0.0);
    assert_eq!(m.sigma[2], 0.0);
}
