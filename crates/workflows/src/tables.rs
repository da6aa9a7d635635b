//! A finished folder's tables as typed Arrow record batches: what the Python package hands to
//! polars and pandas (no CSV text on the way), typed by the folder's own column dictionary.

use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use sidelines_report::parquet::{Kind, infer_kinds, kind_of_column, read_arrow};

use crate::error::{Result, input};

/// One table: its schema and its rows in batches.
#[derive(Clone, Debug)]
pub struct Table {
    pub schema: Arc<Schema>,
    pub batches: Vec<RecordBatch>,
}

impl Table {
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// The names of the tables a finished folder holds (`runs`, `summary`, `outcomes`, ...): its
/// CSV and Parquet files, sorted.
pub fn names(dir: &Path) -> Result<Vec<String>> {
    sidelines_report::folder::check(dir)?;
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .map_err(|source| sidelines_report::Error::Io { path: dir.to_path_buf(), source })?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .filter(|n| !n.starts_with('.'))
        .filter_map(|n| {
            n.strip_suffix(".csv").or_else(|| n.strip_suffix(".parquet")).map(String::from)
        })
        .collect();
    found.sort();
    found.dedup();
    Ok(found)
}

/// The table `name` (`runs`, `summary`, `timeseries`, `record_check`, ...) of the finished
/// folder `dir`, typed by its column dictionary: integers as uint64, days as int32, numbers as
/// float64, flags as booleans, labels as dictionary strings, dates as date32. A folder without
/// a dictionary (claims, branches, a calibration) has each column typed by the narrowest kind
/// all its cells fit.
pub fn read(dir: &Path, name: &str) -> Result<Table> {
    let manifest = sidelines_report::folder::check(dir)?.manifest;
    let found = ["csv", "parquet"].iter().find_map(|ext| {
        let file = format!("{name}.{ext}");
        let cols = manifest.columns_of(&file);
        (!cols.is_empty()).then(|| (file, cols.to_vec()))
    });
    let found = found.filter(|(file, _)| dir.join(file).is_file());
    let plain = dir.join(format!("{name}.csv"));
    if found.is_none() && plain.is_file() {
        let kinds = infer_kinds(&plain)?;
        let (schema, batches) = read_arrow(&plain, &kinds)?;
        return Ok(Table { schema, batches });
    }
    let Some((file, cols)) = found else {
        let known = names(dir)?.join(", ");
        return Err(input(format!("{} has no table `{name}` (it has: {known})", dir.display())));
    };
    let kinds: Vec<Kind> =
        cols.iter().map(|c| kind_of_column(&c.kind, &c.unit)).collect::<Option<_>>().ok_or_else(
            || {
                input(format!(
                    "{}: the column dictionary of {file} names a type sidelines does not write",
                    dir.display()
                ))
            },
        )?;
    let (schema, batches) = read_arrow(&dir.join(&file), &kinds)?;
    Ok(Table { schema, batches })
}

/// A CSV table made in memory (`name` for messages), typed by the narrowest kind each column's
/// cells fit, or by `kinds`.
pub fn from_csv(name: &str, bytes: &[u8], kinds: &[Kind]) -> Result<Table> {
    let (schema, batches) =
        sidelines_report::parquet::csv_bytes_to_arrow(Path::new(name), bytes, kinds)?;
    Ok(Table { schema, batches })
}

/// Any CSV table the tool wrote outside a results folder (`analyze --out FILE`), typed by the
/// narrowest kind each column's cells fit.
pub fn read_csv(path: &Path) -> Result<Table> {
    let kinds = infer_kinds(path)?;
    let (schema, batches) = read_arrow(path, &kinds)?;
    Ok(Table { schema, batches })
}

/// A CSV table as JSON: one object per row, column by column; empty cells null, flags booleans,
/// numbers numbers (integers as integers), anything else (dates, labels, notes) strings.
/// What `--json` prints of a folder's result tables.
pub fn csv_json(path: &Path) -> Result<serde_json::Value> {
    let bad = |e: csv::Error| input(format!("{}: {e}", path.display()));
    let mut r = csv::Reader::from_path(path).map_err(bad)?;
    let header: Vec<String> = r.headers().map_err(bad)?.iter().map(String::from).collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(bad)?;
        let row: serde_json::Map<String, serde_json::Value> =
            header.iter().cloned().zip(rec.iter().map(json_cell)).collect();
        rows.push(serde_json::Value::Object(row));
    }
    Ok(serde_json::Value::Array(rows))
}

/// One CSV cell as JSON (see `csv_json`).
pub fn json_cell(cell: &str) -> serde_json::Value {
    use serde_json::Value;
    if cell.is_empty() {
        return Value::Null;
    }
    if let Some(b) = sidelines_report::parse_flag(cell) {
        return Value::Bool(b);
    }
    if !cell.contains(['.', 'e', 'E'])
        && let Ok(i) = cell.parse::<i64>()
    {
        return Value::from(i);
    }
    match cell.parse::<f64>() {
        Ok(x) if x.is_finite() => Value::from(x),
        _ => Value::String(cell.to_string()),
    }
}

/// `{"folder": DIR, "tables": {name: rows}}` for the tables of `dir` named (those present).
pub fn folder_json(dir: &Path, tables: &[&str]) -> Result<serde_json::Value> {
    let mut out = serde_json::Map::new();
    for name in tables {
        let path = dir.join(format!("{name}.csv"));
        if path.is_file() {
            out.insert((*name).to_string(), csv_json(&path)?);
        }
    }
    Ok(serde_json::json!({ "folder": dir.display().to_string(), "tables": out }))
}
