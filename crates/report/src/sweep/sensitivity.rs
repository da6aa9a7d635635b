//! sensitivity.csv (and sensitivity_s2.csv): Sobol' or Morris indices of a design table.

use std::path::Path;

use sidelines_experiment::sensitivity::{morris, sobol};

use crate::error::{Error, Result};
use crate::format_optional as opt;
use crate::sweep::{Table, chooses};
use crate::write_csv;

/// Which sensitivity analysis a design supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Sobol { second_order: bool },
    Morris { levels: usize },
}

/// Writes sensitivity.csv (and sensitivity_s2.csv for second-order Sobol) for the chosen
/// outcomes of `table` to `out`.
pub fn write_sensitivity(
    out: &Path,
    table: &Table,
    method: Method,
    only: Option<&str>,
    resamples: usize,
    seed: u64,
) -> Result<()> {
    let k = table.parameters.len();
    let chosen: Vec<&(String, Vec<f64>)> =
        table.outcomes.iter().filter(|(n, _)| only.is_none_or(|o| chooses(o, n))).collect();
    if chosen.is_empty() {
        return Err(Error::NoOutcome(only.unwrap_or("").to_string()));
    }
    // An outcome undefined at some point (e.g. a day that never came) is left out when several
    // are analysed; asked for alone, it is an error that says so.
    let several = only.is_none() || chosen.len() > 1;
    let failed = |outcome: &str| {
        let outcome = outcome.to_string();
        move |source| Error::Sensitivity { outcome, source }
    };
    let mut s2rows: Vec<Vec<String>> = Vec::new();
    write_csv(out, |w| {
        let header: &[&str] = match method {
            Method::Sobol { .. } => &["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"],
            Method::Morris { .. } => {
                &["outcome", "parameter", "mu", "mu_star", "sigma", "mu_star_conf"]
            }
        };
        w.row(header)?;
        for (name, y) in chosen {
            if several && y.iter().any(|v| !v.is_finite()) {
                continue;
            }
            match method {
                Method::Sobol { second_order } => {
                    let s = sobol(y, k, second_order, resamples, seed).map_err(failed(name))?;
                    for (i, p) in table.parameters.iter().enumerate() {
                        w.row([
                            name.clone(),
                            p.clone(),
                            opt(s.s1[i]),
                            opt(s.s1_conf[i]),
                            opt(s.st[i]),
                            opt(s.st_conf[i]),
                        ])?;
                    }
                    if let (Some(s2), Some(c2)) = (&s.s2, &s.s2_conf) {
                        for i in 0..k {
                            for j in i + 1..k {
                                s2rows.push(vec![
                                    name.clone(),
                                    table.parameters[i].clone(),
                                    table.parameters[j].clone(),
                                    opt(s2[i][j]),
                                    opt(c2[i][j]),
                                ]);
                            }
                        }
                    }
                }
                Method::Morris { levels } => {
                    let m = morris(&table.x, y, levels, resamples, seed).map_err(failed(name))?;
                    for (i, p) in table.parameters.iter().enumerate() {
                        w.row([
                            name.clone(),
                            p.clone(),
                            opt(m.mu[i]),
                            opt(m.mu_star[i]),
                            opt(m.sigma[i]),
                            opt(m.mu_star_conf[i]),
                        ])?;
                    }
                }
            }
        }
        Ok(())
    })?;
    if !s2rows.is_empty() {
        write_csv(&second_order_path(out), |w| {
            w.row(["outcome", "parameter_1", "parameter_2", "S2", "S2_conf"])?;
            for r in &s2rows {
                w.row(r)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// Where the second-order indices of `out` go: sensitivity.csv -> sensitivity_s2.csv.
pub fn second_order_path(out: &Path) -> std::path::PathBuf {
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    out.with_file_name(format!("{stem}_s2.csv"))
}
