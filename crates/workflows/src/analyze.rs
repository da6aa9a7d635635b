//! `analyze`: sensitivity indices (Sobol', Morris) of a finished sweep or of any table in the
//! design's row order, and scenario discovery (PRIM).

use std::path::PathBuf;

use sidelines_report::sweep::{Method, csv_table, sweep_table, write_sensitivity};

use crate::error::{Result, input};
use crate::sweep::method_of;

/// What to analyse: the method (`sobol`, `morris` or `prim`), a finished folder or a table
/// with its parameter columns, the outcome, and each method's settings.
#[derive(Clone, Debug)]
pub struct AnalyzeSpec {
    pub method: String,
    pub dir: Option<PathBuf>,
    pub outcome: Option<String>,
    pub out: Option<PathBuf>,
    pub table: Option<PathBuf>,
    pub params: Vec<String>,
    pub second_order: bool,
    pub levels: u64,
    pub resamples: u64,
    pub seed: u64,
    pub condition: Option<String>,
    pub alpha: f64,
    pub min_support: f64,
    pub min_coverage: f64,
    /// PRIM: the step to report, and a claims folder's assumption set.
    pub chosen: Option<usize>,
    pub assumptions: Option<String>,
    /// Replace tables that exist (and redraw the folder's charts, report and workbook).
    pub force: bool,
}

pub use crate::prim::Analyzed;

/// Sensitivity indices (Sobol', Morris) of a finished sweep or of any table, or PRIM's box.
pub fn analyze(args: &AnalyzeSpec) -> Result<Analyzed> {
    if args.method == "prim" {
        return crate::prim::prim(&crate::prim::PrimSpec {
            dir: args.dir.clone(),
            outcome: args.outcome.clone(),
            condition: args.condition.clone(),
            alpha: args.alpha,
            min_support: args.min_support,
            min_coverage: args.min_coverage,
            out: args.out.clone(),
            chosen: args.chosen,
            assumptions: args.assumptions.clone(),
            force: args.force,
        });
    }
    if args.chosen.is_some() || args.assumptions.is_some() {
        return Err(input("--box and --assumptions are PRIM's (analyze prim)"));
    }
    if let Some(out) = &args.out {
        if out.is_dir() {
            return Err(input(format!(
                "--out {} is a folder: name the file to write (e.g. {})",
                out.display(),
                out.join("sensitivity.csv").display()
            )));
        }
        crate::inputs::out_parent_exists(out)?;
    }
    let (table, method, out) = match (&args.table, &args.dir) {
        (Some(path), _) => {
            if let Some((i, p)) =
                args.params.iter().enumerate().find(|(i, p)| args.params[..*i].contains(p))
            {
                return Err(input(format!(
                    "--params names `{p}` twice (at positions {} and {}): each column is one parameter",
                    args.params.iter().position(|q| q == p).unwrap_or(0) + 1,
                    i + 1
                )));
            }
            // The user's own file: missing or not a file is their input (exit 2), not the
            // machine's.
            if !path.is_file() {
                return Err(input(format!(
                    "--table {}: {}",
                    path.display(),
                    if path.exists() { "is not a file" } else { "no such file" }
                )));
            }
            let outcome = args.outcome.clone().unwrap_or_default();
            let t = csv_table(path, &args.params, &outcome)?;
            let method = if args.method == "sobol" {
                Method::Sobol { second_order: args.second_order }
            } else {
                Method::Morris { levels: args.levels as usize }
            };
            (t, method, args.out.clone().unwrap_or_else(|| PathBuf::from("sensitivity.csv")))
        }
        (None, Some(dir)) => {
            let manifest = sidelines_report::folder::check(dir)?.manifest;
            let kind = manifest.sampler.as_ref().map_or(manifest.kind.name(), |s| s.name());
            let method = method_of(&manifest).filter(|_| kind == args.method).ok_or_else(|| {
                input(format!("{} holds a {kind} design, not a {} one", dir.display(), args.method))
            })?;
            let t = sweep_table(dir)?;
            (t, method, args.out.clone().unwrap_or_else(|| dir.join("sensitivity.csv")))
        }
        (None, None) => return Err(input("name a sweep folder or a --table")),
    };
    let mut written = vec![out.clone()];
    if method == (Method::Sobol { second_order: true }) {
        written.push(sidelines_report::sweep::second_order_path(&out));
    }
    crate::inputs::refuse_overwrite(&written, args.force)?;
    // Replacing: an earlier second-order table this analysis may not rewrite goes too, so no
    // stale table is left beside the new one.
    let s2 = sidelines_report::sweep::second_order_path(&out);
    if s2.is_file() {
        std::fs::remove_file(&s2)
            .map_err(|e| crate::error::Error::Machine(format!("removing {}: {e}", s2.display())))?;
    }
    write_sensitivity(
        &out,
        &table,
        method,
        args.outcome.as_deref(),
        args.resamples as usize,
        args.seed,
    )?;
    written.retain(|p| p.is_file());
    if let Some(dir) = args.dir.as_deref().filter(|d| out.parent() == Some(*d)) {
        crate::inputs::refresh(dir)?;
    }
    Ok(Analyzed { text: String::new(), written })
}
