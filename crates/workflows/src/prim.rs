//! `sidelines analyze prim DIR --outcome NAME --where CONDITION`: scenario discovery on a
//! finished sweep, calibration or claims folder (`sidelines_experiment::prim`).

use std::path::{Path, PathBuf};

use sidelines_experiment::prim::{Points, Step, peel, quasi_p, restricts};
use sidelines_report::parse_flag;

use sidelines_report::manifest::{Kind, Manifest};

use crate::error::{Result, input};

/// A condition on one column: `= v`, `!= v`, `> x`, `>= x`, `< x`, `<= x` (a bare value is `=`).
#[derive(Clone, Debug, PartialEq)]
enum Condition {
    Is(String),
    IsNot(String),
    Above(f64, bool),
    Below(f64, bool),
}

impl Condition {
    fn parse(outcome: &str, text: &str) -> Result<Condition, String> {
        let t = text.trim();
        // "NAME OP VALUE" is accepted when NAME is the outcome.
        let t = t.strip_prefix(outcome).map_or(t, str::trim_start);
        let (op, value) = ["!=", ">=", "<=", "=", ">", "<"]
            .iter()
            .find_map(|op| t.strip_prefix(op).map(|v| (*op, v.trim())))
            .unwrap_or(("=", t));
        if value.is_empty() {
            return Err(format!("--where `{text}`: no value to compare with"));
        }
        let number = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("--where `{text}`: `{value}` is not a number"))
        };
        Ok(match op {
            "=" => Condition::Is(value.to_string()),
            "!=" => Condition::IsNot(value.to_string()),
            ">" => Condition::Above(number()?, false),
            ">=" => Condition::Above(number()?, true),
            "<" => Condition::Below(number()?, false),
            _ => Condition::Below(number()?, true),
        })
    }

    /// Whether a cell meets it (an empty cell meets only `!=`). Flags compare as flags, so
    /// `= true` meets a `TRUE` cell.
    fn holds(&self, cell: &str) -> bool {
        let x = cell.parse::<f64>().ok();
        let same = |v: &str| {
            cell == v
                || x.zip(v.parse::<f64>().ok()).is_some_and(|(a, b)| a == b)
                || parse_flag(cell)
                    .zip(parse_flag(&v.to_ascii_lowercase()))
                    .is_some_and(|(a, b)| a == b)
        };
        match self {
            Condition::Is(v) => same(v),
            Condition::IsNot(v) => !same(v),
            Condition::Above(t, eq) => x.is_some_and(|x| x > *t || (*eq && x == *t)),
            Condition::Below(t, eq) => x.is_some_and(|x| x < *t || (*eq && x == *t)),
        }
    }
}

/// What an analysis wrote, and its result as text (PRIM's table; empty for the indices, which
/// are in the file).
#[derive(Clone, Debug)]
pub struct Analyzed {
    pub text: String,
    pub written: Vec<PathBuf>,
}

/// What `analyze prim` is asked: the folder, the outcome and condition, the peeling's
/// settings, the box to report, the assumption set of a claims folder, and where to write.
#[derive(Clone, Debug)]
pub struct PrimSpec {
    pub dir: Option<PathBuf>,
    pub outcome: Option<String>,
    pub condition: Option<String>,
    pub alpha: f64,
    pub min_support: f64,
    pub min_coverage: f64,
    pub out: Option<PathBuf>,
    /// The step of the trajectory to report (None: the densest with the minimum coverage).
    pub chosen: Option<usize>,
    /// A claims folder's assumption set (`prior`, `posterior`, ...).
    pub assumptions: Option<String>,
    pub force: bool,
}

/// The points PRIM peels: per point its inputs, the share of its runs where the condition
/// holds, and its weight; with what a point is, for the text.
struct Sample {
    params: Vec<String>,
    x: Vec<Vec<f64>>,
    y: Vec<f64>,
    w: Vec<f64>,
    /// Runs behind each point's share (their mean): 1 for a particle or a claims point.
    runs: f64,
    /// "200 design points of 20 runs each", "the 1,000 particles of generation 4", ...
    what: String,
}

/// Peels boxes of inputs where the condition holds; writes prim_trajectory.csv and
/// prim_box.csv (with each restriction's quasi-p-value).
pub fn prim(args: &PrimSpec) -> Result<Analyzed> {
    let Some(dir) = &args.dir else {
        return Err(input("analyze prim needs a finished sweep, calibration or claims folder"));
    };
    let (Some(outcome), Some(text)) = (&args.outcome, &args.condition) else {
        return Err(input("analyze prim needs --outcome NAME and --where CONDITION"));
    };
    let condition = Condition::parse(outcome, text).map_err(input)?;
    if !(args.alpha > 0.0 && args.alpha < 0.5) {
        return Err(input("--alpha takes a share between 0 and 0.5"));
    }
    if !(0.0..1.0).contains(&args.min_support) || !(0.0..=1.0).contains(&args.min_coverage) {
        return Err(input("--min-support and --min-coverage take shares from 0 to 1"));
    }
    // `--out` names the folder for the two tables.
    let to = match &args.out {
        Some(out) if out.exists() && !out.is_dir() => {
            return Err(input(format!(
                "--out {} is a file: with prim, --out names the folder for prim_box.csv and \
                 prim_trajectory.csv",
                out.display()
            )));
        }
        Some(out) => {
            crate::inputs::out_parent_exists(out)?;
            out.clone()
        }
        None => dir.to_path_buf(),
    };
    let written = vec![to.join("prim_trajectory.csv"), to.join("prim_box.csv")];
    crate::inputs::refuse_overwrite(&written, args.force)?;
    let manifest = sidelines_report::folder::check(dir)?.manifest;
    let sample = sample(dir, &manifest, outcome, &condition, args.assumptions.as_deref())?;
    let total: f64 = sample.y.iter().zip(&sample.w).map(|(y, w)| y * w).sum();
    if total <= 0.0 {
        return Err(input(format!(
            "{}: `{outcome}` {text} holds in none of {}: there is nothing to find",
            dir.display(),
            sample.what
        )));
    }
    let points = Points { x: &sample.x, y: &sample.y, w: &sample.w };
    let steps = peel(points, args.alpha, args.min_support);
    let chosen = match args.chosen {
        Some(n) if n < steps.len() => n,
        Some(n) => {
            return Err(input(format!(
                "--box {n}: the trajectory has steps 0 to {} (see prim_trajectory.csv)",
                steps.len() - 1
            )));
        }
        None => steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.coverage >= args.min_coverage)
            .max_by(|a, b| a.1.density.total_cmp(&b.1.density))
            .map_or(0, |(i, _)| i),
    };
    let quasi: Vec<Option<f64>> = (0..sample.params.len())
        .map(|j| {
            restricts(&steps[chosen], &steps[0], j)
                .then(|| quasi_p(points, &steps[chosen], j, sample.runs))
        })
        .collect();
    if args.out.is_some() {
        crate::inputs::create_out(&to)?;
    }
    write(&to, &sample.params, &steps, chosen, &quasi)?;
    if to == *dir {
        crate::inputs::refresh(dir)?;
    }
    Ok(Analyzed {
        text: table(&sample, &steps, chosen, &quasi, &format!("`{outcome}` {text}")),
        written,
    })
}

/// The points of a folder: a sweep's design points (the share of each point's runs where the
/// condition holds: its replicate runs are not points of their own), a calibration's last
/// generation of particles (weighted: earlier generations are other distributions), or one
/// assumption set of a claims folder (pooling two sets would find the box that separates them).
fn sample(
    dir: &Path,
    manifest: &Manifest,
    outcome: &str,
    condition: &Condition,
    assumptions: Option<&str>,
) -> Result<Sample> {
    let file = match manifest.kind {
        Kind::Sweep => "runs.csv",
        Kind::Calibrate => "particles.csv",
        Kind::Claims => "claim_points.csv",
        other => {
            return Err(input(format!(
                "{}: {} folder has no inputs to find boxes in (a sweep, calibration or claims \
                 folder has)",
                dir.display(),
                crate::inputs::a_kind(other)
            )));
        }
    };
    if assumptions.is_some() && manifest.kind != Kind::Claims {
        return Err(input("--assumptions chooses a claims folder's assumption set"));
    }
    // A sweep written with --format parquet: its runs, read back as the CSV they were made from.
    let table = sidelines_report::parquet::csv_of(dir, file.trim_end_matches(".csv"))?;
    let path = &table.named;
    let bad = |e: csv::Error| input(format!("{}: {e}", path.display()));
    let mut r = csv::Reader::from_path(&table.path).map_err(bad)?;
    let header: Vec<String> = r.headers().map_err(bad)?.iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().map_err(bad)?;
    let col = |name: &str| header.iter().position(|h| h == name);
    let Some(y_col) = col(outcome) else {
        let hint = sidelines_scenario::did_you_mean(outcome, header.iter().map(String::as_str));
        return Err(input(format!("{}: no column `{outcome}`{hint}", path.display())));
    };
    let params: Vec<String> = match manifest.kind {
        Kind::Claims => header
            .iter()
            .filter(|h| !matches!(h.as_str(), "point" | "assumptions") && !h.starts_with("claim_"))
            .cloned()
            .collect(),
        _ => manifest.parameter_paths(),
    };
    let x_cols: Vec<usize> = params
        .iter()
        .map(|p| col(p).ok_or_else(|| input(format!("{}: no column `{p}`", path.display()))))
        .collect::<Result<_>>()?;
    let number = |line: usize, rec: &csv::StringRecord, k: usize| {
        rec.get(k).and_then(|c| c.parse::<f64>().ok()).filter(|v| v.is_finite()).ok_or_else(|| {
            input(format!(
                "{}:{}: column `{}` is not a number",
                path.display(),
                line + 2,
                header[k]
            ))
        })
    };
    let inputs = |line: usize, rec: &csv::StringRecord| -> Result<Vec<f64>> {
        x_cols.iter().map(|&k| number(line, rec, k)).collect()
    };
    let holds = |rec: &csv::StringRecord| {
        f64::from(u8::from(condition.holds(rec.get(y_col).unwrap_or(""))))
    };
    let mut s = Sample {
        params,
        x: Vec::new(),
        y: Vec::new(),
        w: Vec::new(),
        runs: 1.0,
        what: String::new(),
    };
    match manifest.kind {
        Kind::Sweep => {
            let point_col = col("point")
                .ok_or_else(|| input(format!("{}: no column `point`", path.display())))?;
            // Runs of one point are contiguous in runs.csv; a point's share is its hits / runs.
            let mut runs: Vec<f64> = Vec::new();
            let mut last: Option<u64> = None;
            for (line, rec) in rows.iter().enumerate() {
                let point = number(line, rec, point_col)? as u64;
                if last != Some(point) {
                    s.x.push(inputs(line, rec)?);
                    s.y.push(0.0);
                    runs.push(0.0);
                    last = Some(point);
                }
                let i = s.y.len() - 1;
                s.y[i] += holds(rec);
                runs[i] += 1.0;
            }
            for (y, n) in s.y.iter_mut().zip(&runs) {
                *y /= n;
            }
            s.w = vec![1.0; s.y.len()];
            s.runs = runs.iter().sum::<f64>() / runs.len().max(1) as f64;
            let per = runs.first().copied().unwrap_or(0.0);
            s.what = if runs.iter().all(|n| *n == per) {
                format!("{} design points of {per} runs each", s.y.len())
            } else {
                format!("{} design points", s.y.len())
            };
        }
        Kind::Calibrate => {
            let (g_col, w_col) = (col("generation"), col("weight"));
            let (Some(g_col), Some(w_col)) = (g_col, w_col) else {
                return Err(input(format!(
                    "{}: no columns `generation` and `weight`",
                    path.display()
                )));
            };
            let mut generation = Vec::with_capacity(rows.len());
            for (line, rec) in rows.iter().enumerate() {
                generation.push(number(line, rec, g_col)?);
            }
            let final_ = generation.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for (line, rec) in rows.iter().enumerate().filter(|(i, _)| generation[*i] == final_) {
                s.x.push(inputs(line, rec)?);
                s.y.push(holds(rec));
                s.w.push(number(line, rec, w_col)?);
            }
            s.what =
                format!("the {} weighted particles of the last generation ({final_})", s.y.len());
        }
        _ => {
            let a_col = col("assumptions")
                .ok_or_else(|| input(format!("{}: no column `assumptions`", path.display())))?;
            let mut sets: Vec<(String, usize)> = Vec::new();
            for rec in &rows {
                let a = rec.get(a_col).unwrap_or("");
                match sets.iter_mut().find(|(n, _)| n == a) {
                    Some((_, c)) => *c += 1,
                    None => sets.push((a.to_string(), 1)),
                }
            }
            let listed = || {
                sets.iter().map(|(n, c)| format!("{n} ({c} points)")).collect::<Vec<_>>().join(", ")
            };
            let chosen = match assumptions {
                Some(a) if sets.iter().any(|(n, _)| n == a) => a.to_string(),
                Some(a) => {
                    return Err(input(format!(
                        "--assumptions {a}: {} holds the sets {}",
                        path.display(),
                        listed()
                    )));
                }
                None if sets.len() == 1 => sets[0].0.clone(),
                None => {
                    return Err(input(format!(
                        "{} holds {} assumption sets: {}. Pooled, PRIM finds the box that \
                         separates the sets, not where the condition holds: choose one with \
                         --assumptions NAME",
                        path.display(),
                        sets.len(),
                        listed()
                    )));
                }
            };
            for (line, rec) in rows.iter().enumerate() {
                if rec.get(a_col) == Some(chosen.as_str()) {
                    s.x.push(inputs(line, rec)?);
                    s.y.push(holds(rec));
                    s.w.push(1.0);
                }
            }
            s.what = format!("the {} points of the `{chosen}` assumptions", s.y.len());
        }
    }
    if s.y.is_empty() {
        return Err(input(format!("{}: no rows to peel", path.display())));
    }
    Ok(s)
}

fn write(
    dir: &Path,
    params: &[String],
    steps: &[Step],
    chosen: usize,
    quasi: &[Option<f64>],
) -> Result<()> {
    let f = sidelines_report::format_number;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> =
        ["step", "chosen", "points", "support", "coverage", "density", "restricted"]
            .map(String::from)
            .to_vec();
    for p in params {
        header.push(format!("{p}_low"));
        header.push(format!("{p}_high"));
    }
    w.write_record(&header)?;
    for (i, s) in steps.iter().enumerate() {
        let restricted = (0..params.len()).filter(|&j| restricts(s, &steps[0], j)).count();
        let mut row = vec![
            i.to_string(),
            sidelines_report::flag_text(i == chosen).to_string(),
            s.inside.to_string(),
            f(s.support),
            f(s.coverage),
            f(s.density),
            restricted.to_string(),
        ];
        for (lo, hi) in s.lower.iter().zip(&s.upper) {
            row.push(f(*lo));
            row.push(f(*hi));
        }
        w.write_record(&row)?;
    }
    let bytes = crate::error::csv_bytes(w)?;
    sidelines_report::write_atomic(&dir.join("prim_trajectory.csv"), &bytes)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["parameter", "low", "high", "data_low", "data_high", "restricted", "quasi_p"])?;
    let (box_, all) = (&steps[chosen], &steps[0]);
    for (j, p) in params.iter().enumerate() {
        w.write_record([
            p.clone(),
            f(box_.lower[j]),
            f(box_.upper[j]),
            f(all.lower[j]),
            f(all.upper[j]),
            sidelines_report::flag_text(quasi[j].is_some()).to_string(),
            quasi[j].map_or_else(String::new, f),
        ])?;
    }
    let bytes = crate::error::csv_bytes(w)?;
    sidelines_report::write_atomic(&dir.join("prim_box.csv"), &bytes)?;
    Ok(())
}

/// A bound or a share to four significant figures, for reading (the tables keep every digit).
fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (3 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
    format!("{x:.decimals$}")
}

fn table(
    sample: &Sample,
    steps: &[Step],
    chosen: usize,
    quasi: &[Option<f64>],
    condition: &str,
) -> String {
    let all = &steps[0];
    let mut t = format!(
        "{condition} in {}: density {} over the whole space\n\
         step  points  support  coverage  density  restricted\n",
        sample.what,
        short(all.density)
    );
    for (i, s) in steps.iter().enumerate() {
        let mark = if i == chosen { "  <- chosen" } else { "" };
        let restricted = (0..sample.params.len()).filter(|&j| restricts(s, all, j)).count();
        t.push_str(&format!(
            "{i:>4}  {:>6}  {:>7.3}  {:>8.3}  {:>7.3}  {restricted:>10}{mark}\n",
            s.inside, s.support, s.coverage, s.density
        ));
    }
    let b = &steps[chosen];
    t.push_str(&format!(
        "the chosen box (step {chosen}: coverage {:.3}, density {:.3}; another with --box N) \
         restricts:\n",
        b.coverage, b.density
    ));
    let width = sample.params.iter().map(String::len).max().unwrap_or(0);
    for (j, p) in sample.params.iter().enumerate() {
        let Some(q) = quasi[j] else { continue };
        let verdict = if q < 0.05 { "" } else { "  (not significant: could be noise)" };
        t.push_str(&format!(
            "  {p:<width$}  [{}, {}] of [{}, {}]  quasi-p {}{verdict}\n",
            short(b.lower[j]),
            short(b.upper[j]),
            short(all.lower[j]),
            short(all.upper[j]),
            if q < 1e-4 { String::from("< 0.0001") } else { format!("{q:.4}") }
        ));
    }
    if quasi.iter().all(Option::is_none) {
        t.push_str("  nothing: the whole space\n");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse_and_hold() {
        let c = |t: &str| Condition::parse("kp_accepts_talks", t).expect("parses");
        assert!(c("true").holds("true") && !c("true").holds("false"));
        assert!(c("kp_accepts_talks = true").holds("true"));
        assert!(
            c("= true").holds("TRUE") && c("= TRUE").holds("TRUE") && !c("= true").holds("FALSE")
        );
        assert!(c("!= true").holds("FALSE") && !c("!= true").holds("TRUE"));
        assert!(c("> 0.5").holds("0.6") && !c("> 0.5").holds("0.5") && c(">= 0.5").holds("0.5"));
        assert!(c("<= 3").holds("3") && !c("<3").holds("3") && !c("<3").holds(""));
        assert!(c("!= holds").holds("unclear") && c("= 1").holds("1.0"));
        assert!(Condition::parse("x", "> abc").is_err() && Condition::parse("x", "=").is_err());
    }
}
