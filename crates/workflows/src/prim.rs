//! `sidelines analyze prim DIR --outcome NAME --where CONDITION`: scenario discovery on a
//! finished sweep, calibration or claims folder (`sidelines_experiment::prim`).

use std::path::{Path, PathBuf};

use sidelines_experiment::prim::{Step, peel};
use sidelines_report::parse_flag;

use sidelines_report::manifest::{Kind, Manifest};

use crate::error::{Error, Result, input};

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
/// settings and where to write.
#[derive(Clone, Debug)]
pub struct PrimSpec {
    pub dir: Option<PathBuf>,
    pub outcome: Option<String>,
    pub condition: Option<String>,
    pub alpha: f64,
    pub min_support: f64,
    pub min_coverage: f64,
    pub out: Option<PathBuf>,
}

/// Peels a box of inputs where the condition holds; writes prim_trajectory.csv and
/// prim_box.csv.
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
    let manifest = sidelines_report::folder::check(dir)?.manifest;
    let (file, params) = inputs(dir, &manifest)?;
    let mut path = dir.join(file);
    // A sweep written with --format parquet: its runs, read back as the CSV they were made from.
    let parquet = dir.join(file.replace(".csv", ".parquet"));
    let _text = if !path.exists() && parquet.is_file() {
        let tmp = tempfile::NamedTempFile::new()
            .map_err(|e| Error::Machine(format!("a temporary file for the runs: {e}")))?;
        sidelines_report::parquet::parquet_to_csv(&parquet, tmp.path())?;
        path = tmp.path().to_path_buf();
        Some(tmp)
    } else {
        None
    };
    let mut r =
        csv::Reader::from_path(&path).map_err(|e| input(format!("{}: {e}", path.display())))?;
    let header: Vec<String> = r
        .headers()
        .map_err(|e| input(format!("{}: {e}", path.display())))?
        .iter()
        .map(String::from)
        .collect();
    let params: Vec<String> = match params {
        Some(p) => p,
        None => header
            .iter()
            .filter(|h| !matches!(h.as_str(), "point" | "assumptions") && !h.starts_with("claim_"))
            .cloned()
            .collect(),
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let Some(y_col) = col(outcome) else {
        let names = header.iter().map(String::as_str);
        let hint = sidelines_scenario::did_you_mean(outcome, names);
        return Err(input(format!("{}: no column `{outcome}`{hint}", path.display())));
    };
    let x_cols: Vec<usize> = params
        .iter()
        .map(|p| col(p).ok_or_else(|| input(format!("{}: no column `{p}`", path.display()))))
        .collect::<Result<_>>()?;
    let mut x = Vec::new();
    let mut y = Vec::new();
    for (line, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| input(format!("{}: {e}", path.display())))?;
        let mut row = Vec::with_capacity(x_cols.len());
        for &k in &x_cols {
            let v = rec.get(k).and_then(|c| c.parse::<f64>().ok()).filter(|v| v.is_finite());
            let Some(v) = v else {
                return Err(input(format!(
                    "{}:{}: column `{}` is not a number",
                    path.display(),
                    line + 2,
                    header[k]
                )));
            };
            row.push(v);
        }
        x.push(row);
        y.push(condition.holds(rec.get(y_col).unwrap_or("")));
    }
    if !y.iter().any(|h| *h) {
        return Err(input(format!(
            "{}: `{outcome}` {text} holds in none of its {} rows: there is nothing to find",
            path.display(),
            y.len()
        )));
    }
    let steps = peel(&x, &y, args.alpha, args.min_support);
    let chosen = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.coverage >= args.min_coverage)
        .max_by(|a, b| a.1.density.total_cmp(&b.1.density))
        .map_or(0, |(i, _)| i);
    // `--out` names the folder for the two tables (it was ignored: they went into DIR).
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
            crate::inputs::create_out(out)?;
            out.clone()
        }
        None => dir.to_path_buf(),
    };
    write(&to, &params, &steps, chosen)?;
    Ok(Analyzed {
        text: table(&params, &steps, chosen, outcome, text, y.len()),
        written: vec![to.join("prim_trajectory.csv"), to.join("prim_box.csv")],
    })
}

/// The table a folder's rows come from, and its input columns (None: every column but the
/// point, its label and the claims).
fn inputs(dir: &Path, manifest: &Manifest) -> Result<(&'static str, Option<Vec<String>>)> {
    let params = || manifest.parameters.is_some().then(|| manifest.parameter_paths());
    match manifest.kind {
        Kind::Sweep => Ok(("runs.csv", params())),
        Kind::Calibrate => Ok(("particles.csv", params())),
        Kind::Claims => Ok(("claim_points.csv", None)),
        other => Err(input(format!(
            "{}: a {} folder has no inputs to find boxes in (a sweep, calibration or claims folder has)",
            dir.display(),
            other.name()
        ))),
    }
}

fn write(dir: &Path, params: &[String], steps: &[Step], chosen: usize) -> Result<()> {
    let f = sidelines_report::format_number;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> =
        ["step", "chosen", "support", "coverage", "density", "inside", "hits"]
            .map(String::from)
            .to_vec();
    for p in params {
        header.push(format!("{p}_low"));
        header.push(format!("{p}_high"));
    }
    w.write_record(&header)?;
    for (i, s) in steps.iter().enumerate() {
        let mut row = vec![
            i.to_string(),
            sidelines_report::flag_text(i == chosen).to_string(),
            f(s.support),
            f(s.coverage),
            f(s.density),
            s.inside.to_string(),
            s.hits.to_string(),
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
    w.write_record(["parameter", "low", "high", "data_low", "data_high", "restricted"])?;
    let (box_, all) = (&steps[chosen], &steps[0]);
    for (j, p) in params.iter().enumerate() {
        let restricted = box_.lower[j] > all.lower[j] || box_.upper[j] < all.upper[j];
        w.write_record([
            p.clone(),
            f(box_.lower[j]),
            f(box_.upper[j]),
            f(all.lower[j]),
            f(all.upper[j]),
            sidelines_report::flag_text(restricted).to_string(),
        ])?;
    }
    let bytes = crate::error::csv_bytes(w)?;
    sidelines_report::write_atomic(&dir.join("prim_box.csv"), &bytes)?;
    Ok(())
}

fn table(
    params: &[String],
    steps: &[Step],
    chosen: usize,
    outcome: &str,
    text: &str,
    n: usize,
) -> String {
    let all = &steps[0];
    let mut t = format!(
        "`{outcome}` {text}: {} of {n} rows ({:.3})\nstep  support  coverage  density\n",
        all.hits, all.density
    );
    for (i, s) in steps.iter().enumerate() {
        let mark = if i == chosen { "  <- chosen" } else { "" };
        t.push_str(&format!(
            "{i:>4}  {:>7.3}  {:>8.3}  {:>7.3}{mark}\n",
            s.support, s.coverage, s.density
        ));
    }
    let b = &steps[chosen];
    t.push_str(&format!(
        "the chosen box (step {chosen}: coverage {:.3}, density {:.3}) restricts:\n",
        b.coverage, b.density
    ));
    for (j, p) in params.iter().enumerate() {
        if b.lower[j] > all.lower[j] || b.upper[j] < all.upper[j] {
            t.push_str(&format!(
                "  {p:<50} [{}, {}] of [{}, {}]\n",
                sidelines_report::format_number(b.lower[j]),
                sidelines_report::format_number(b.upper[j]),
                sidelines_report::format_number(all.lower[j]),
                sidelines_report::format_number(all.upper[j])
            ));
        }
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
