//! Reading a sweep's tables back: the per-point means for sensitivity analysis, any design
//! table an analyst brings, and a partial runs.csv on resume.

use std::path::Path;

use sidelines_model::{OutcomeKind, Value};

use crate::error::{At, Error, Result};

/// A design table: parameter columns (per row) and named outcome columns (per row).
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub parameters: Vec<String>,
    pub x: Vec<Vec<f64>>,
    pub outcomes: Vec<(String, Vec<f64>)>,
}

/// Where `name` is in a table's header.
fn column(header: &[String], path: &Path, name: &str) -> Result<usize> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| Error::NoColumn { path: path.to_path_buf(), column: name.to_string() })
}

/// The per-point means of every numeric outcome of a finished sweep folder, with its points.
pub fn sweep_table(dir: &Path) -> Result<Table> {
    let path = dir.join("points.csv");
    let mut points = csv::Reader::from_path(&path).at(&path)?;
    let parameters: Vec<String> =
        points.headers().at(&path)?.iter().skip(1).map(String::from).collect();
    let mut x = Vec::new();
    for rec in points.records() {
        let rec = rec.at(&path)?;
        x.push(rec.iter().skip(1).map(|v| v.parse::<f64>().unwrap_or(f64::NAN)).collect());
    }
    let path = dir.join("summary.csv");
    let mut summary = csv::Reader::from_path(&path).at(&path)?;
    let header: Vec<String> = summary.headers().at(&path)?.iter().map(String::from).collect();
    let col = |name: &str| column(&header, &path, name);
    let (point_col, outcome_col, mean_col) = (col("point")?, col("outcome")?, col("mean")?);
    let mut means: Vec<(String, Vec<f64>)> = Vec::new();
    for (i, rec) in summary.records().enumerate() {
        let rec = rec.at(&path)?;
        let cell = |c: usize| rec.get(c).unwrap_or("");
        let (point, outcome, mean) = (cell(point_col), cell(outcome_col), cell(mean_col));
        let point: usize = point.parse().map_err(|_| Error::NotANumber {
            path: path.clone(),
            line: i as u64 + 2,
            column: String::from("point"),
        })?;
        let mean = mean.parse::<f64>().unwrap_or(f64::NAN);
        let col = match means.iter().position(|(n, _)| n == outcome) {
            Some(c) => c,
            None => {
                means.push((outcome.to_string(), vec![f64::NAN; x.len()]));
                means.len() - 1
            }
        };
        if let Some(slot) = means[col].1.get_mut(point) {
            *slot = mean;
        }
    }
    let path = dir.join("outcomes.csv");
    if path.is_file() {
        means.extend(share_columns(&path, x.len())?);
    }
    Ok(Table { parameters, x, outcomes: means })
}

/// The share of each point's runs in each category of outcomes.csv, as outcome columns named
/// `OUTCOME=VALUE`: the yes/no flags and categories get indices like any number (a share is the
/// mean of an indicator). A flag's `false` share is one minus its `true` share, with the same
/// indices, so only `=true` is kept.
fn share_columns(path: &Path, points: usize) -> Result<Vec<(String, Vec<f64>)>> {
    let mut r = csv::Reader::from_path(path).at(path)?;
    let header: Vec<String> = r.headers().at(path)?.iter().map(String::from).collect();
    let col = |name: &str| column(&header, path, name);
    let (point_col, outcome_col, value_col, share_col) =
        (col("point")?, col("outcome")?, col("value")?, col("share")?);
    let mut shares: Vec<(String, Vec<f64>)> = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.at(path)?;
        let cell = |c: usize| rec.get(c).unwrap_or("");
        if cell(value_col) == sidelines_model::FLAG_VALUES[0] {
            continue;
        }
        let point: usize = cell(point_col).parse().map_err(|_| Error::NotANumber {
            path: path.to_path_buf(),
            line: i as u64 + 2,
            column: String::from("point"),
        })?;
        let name = crate::share_column(cell(outcome_col), cell(value_col));
        let share = cell(share_col).parse::<f64>().unwrap_or(f64::NAN);
        let c = match shares.iter().position(|(n, _)| *n == name) {
            Some(c) => c,
            None => {
                shares.push((name, vec![f64::NAN; points]));
                shares.len() - 1
            }
        };
        if let Some(slot) = shares[c].1.get_mut(point) {
            *slot = share;
        }
    }
    Ok(shares)
}

/// Whether `--outcome NAME` chooses the table's outcome `column`: the column itself, or one of
/// its shares (`kp_accepts_talks` chooses `kp_accepts_talks=true`; `talks_outcome` every
/// category's share).
pub fn chooses(name: &str, column: &str) -> bool {
    column == name || column.strip_prefix(name).is_some_and(|rest| rest.starts_with('='))
}

/// A table produced by any model, in the design's row order: named parameter columns and one
/// outcome column.
pub fn csv_table(path: &Path, params: &[String], outcome: &str) -> Result<Table> {
    let mut r = csv::Reader::from_path(path).at(path)?;
    let header: Vec<String> = r.headers().at(path)?.iter().map(String::from).collect();
    let col = |name: &str| column(&header, path, name);
    let pcols: Vec<usize> = params.iter().map(|p| col(p)).collect::<Result<_>>()?;
    let ycol = col(outcome)?;
    let mut t = Table {
        parameters: params.to_vec(),
        x: Vec::new(),
        outcomes: vec![(outcome.to_string(), Vec::new())],
    };
    for (i, rec) in r.records().enumerate() {
        let rec = rec.at(path)?;
        let num = |c: usize| {
            rec.get(c).and_then(|v| v.trim().parse::<f64>().ok()).ok_or_else(|| Error::NotANumber {
                path: path.to_path_buf(),
                line: i as u64 + 2,
                column: header[c].clone(),
            })
        };
        t.x.push(pcols.iter().map(|c| num(*c)).collect::<Result<_>>()?);
        t.outcomes[0].1.push(num(ycol)?);
    }
    Ok(t)
}

/// One cell of runs.csv back as the value that was written (numbers round-trip exactly).
pub(crate) fn parse_value(s: &str, kind: OutcomeKind) -> Value {
    match kind {
        _ if s.is_empty() => Value::Missing,
        OutcomeKind::Category(labels) => match crate::parse_flag(s) {
            Some(b) => Value::Flag(b),
            None => labels.iter().find(|l| **l == s).map_or(Value::Missing, |l| Value::Text(l)),
        },
        OutcomeKind::Unit => s.parse().map_or(Value::Missing, Value::Number),
        OutcomeKind::Day => s.parse().map_or(Value::Missing, Value::Day),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format_value;

    #[test]
    fn written_values_read_back_equal() {
        let kinds = [
            (Value::Text("settled"), OutcomeKind::Category(&["ongoing", "settled"])),
            (Value::Flag(false), OutcomeKind::Category(&["true", "false"])),
            (Value::Number(0.1 + 0.2), OutcomeKind::Unit),
            (Value::Day(364), OutcomeKind::Day),
            (Value::Missing, OutcomeKind::Day),
        ];
        for (v, k) in kinds {
            assert_eq!(parse_value(&format_value(&v), k), v);
        }
    }

    #[test]
    fn a_design_table_names_its_faults() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("t.csv");
        std::fs::write(&path, "a,b,y\n0.1,0.2,1\n0.3,0.4,2\n").expect("write");
        let t = csv_table(&path, &["b".into(), "a".into()], "y").expect("table");
        assert_eq!(t.x, [[0.2, 0.1], [0.4, 0.3]]);
        assert_eq!(t.outcomes[0].1, [1.0, 2.0]);
        let e = csv_table(&path, &["c".into()], "y").expect_err("no column");
        assert_eq!(e.to_string(), format!("{}: no column `c`", path.display()));
        std::fs::write(&path, "a,y\n0.1,1\n0.3,x\n").expect("write");
        let e = csv_table(&path, &["a".into()], "y").expect_err("not a number");
        assert_eq!(e.to_string(), format!("{}: line 3: `y` is not a number", path.display()));
        std::fs::write(&path, "a,y\n0.1,1,7\n").expect("write");
        let e = csv_table(&path, &["a".into()], "y").expect_err("ragged");
        assert!(e.to_string().starts_with(&path.display().to_string()) && e.is_input(), "{e}");
    }
}
