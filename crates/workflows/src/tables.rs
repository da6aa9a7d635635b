//! A finished folder's tables as typed Arrow record batches: what the Python package hands to
//! polars and pandas (no CSV text on the way), typed by the folder's own column dictionary.

use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use sidelines_report::parquet::{Kind, kind_of_type, read_arrow};

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

/// The names of the tables a finished folder holds (`runs`, `summary`, `outcomes`, ...), in
/// the order its column dictionary lists them, for the files that exist.
pub fn names(dir: &Path) -> Result<Vec<String>> {
    let manifest = sidelines_report::folder::check(dir)?.manifest;
    let Some(columns) = manifest.get("columns").and_then(|c| c.as_object()) else {
        return Ok(Vec::new());
    };
    Ok(columns
        .keys()
        .filter(|file| dir.join(file).is_file())
        .filter_map(|file| file.rsplit_once('.').map(|(stem, _)| stem.to_string()))
        .collect())
}

/// The table `name` (`runs`, `summary`, `timeseries`, `record_check`, ...) of the finished
/// folder `dir`, typed by its column dictionary: integers as uint64, days as int32, numbers as
/// float64, flags as booleans, labels as dictionary strings, dates as date32.
pub fn read(dir: &Path, name: &str) -> Result<Table> {
    let manifest = sidelines_report::folder::check(dir)?.manifest;
    let columns = manifest.get("columns").and_then(|c| c.as_object());
    let found = columns.and_then(|c| {
        ["csv", "parquet"].iter().find_map(|ext| {
            let file = format!("{name}.{ext}");
            c.get(&file).and_then(|cols| cols.as_array()).map(|cols| (file, cols.clone()))
        })
    });
    let Some((file, cols)) = found.filter(|(file, _)| dir.join(file).is_file()) else {
        let known = names(dir)?.join(", ");
        return Err(input(format!("{} has no table `{name}` (it has: {known})", dir.display())));
    };
    let kinds: Vec<Kind> = cols
        .iter()
        .map(|c| c.get("type").and_then(|t| t.as_str()).and_then(kind_of_type))
        .collect::<Option<_>>()
        .ok_or_else(|| {
            input(format!(
                "{}: the column dictionary of {file} names a type sidelines does not write",
                dir.display()
            ))
        })?;
    let (schema, batches) = read_arrow(&dir.join(&file), &kinds)?;
    Ok(Table { schema, batches })
}
