//! Runs and trajectories as Parquet (`--format parquet`): the CSV tables' columns, each with
//! its type, zstd-compressed, for tables too large for CSV.
//!
//! A batch streams its rows to the hidden partial CSV file whatever the format, because that
//! file is what checkpoints measure and resume truncates. When the batch finishes, the partial
//! file is converted in one streaming pass (`csv_to_parquet`): batches of `BATCH_ROWS` rows, row
//! groups of `ROW_GROUP_ROWS`, so memory stays flat (one row group) however many runs there
//! are. Numbers are read back from their shortest round-trip text, so the Parquet values are the
//! simulation's bits. `parquet_to_csv` writes the same CSV back, byte for byte (that is how
//! `merge` joins Parquet shards: back to CSV, concatenated, converted once more, so the merged
//! file is the unsplit one).
//!
//! Column types: run, point, replicate and seed are `uint64`; parameters and numeric outcomes
//! `float64`; flags `bool`; days `int32`; dates `date32`; categories (talks outcome, actor,
//! variable) dictionary-encoded strings, which pyarrow and pandas read as categoricals and
//! polars as `Categorical`; an ordinal outcome (an observer's answer to an overture) carries
//! every label in its order and the dictionary is marked ordered, so pandas reads an ordered
//! categorical (`refused < conditional_offer`). A missing value is a null.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, StringDictionaryBuilder,
    UInt64Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch, RecordBatchReader};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use sidelines_model::OutcomeKind;

use crate::atomic::AtomicFile;
use crate::error::{At, Error, Result};
use crate::format_number;

/// Rows converted at a time.
const BATCH_ROWS: usize = 8192;
/// Rows per row group: about 20 MB in memory for the default scenario's 40 columns, and the
/// unit a reader can skip by its statistics.
const ROW_GROUP_ROWS: usize = 65_536;

/// The type of one column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A whole number that is never missing: run, point, replicate, seed.
    Count,
    /// A day number.
    Day,
    /// A real number.
    Number,
    /// `true` or `false`.
    Flag,
    /// One of a few labels.
    Category,
    /// One of these labels, in this order (an ordinal scale): every label is in the
    /// dictionary, in order, whether or not it occurs, and the dictionary is marked ordered.
    Ordered(&'static [&'static str]),
    /// A calendar date, `YYYY-MM-DD`.
    Date,
}

impl Kind {
    /// The column type of an outcome: flags (the labels `false`, `true`) are booleans.
    pub fn of_outcome(kind: &OutcomeKind) -> Kind {
        match kind {
            OutcomeKind::Unit => Kind::Number,
            OutcomeKind::Day => Kind::Day,
            OutcomeKind::Category(labels) if *labels == ["false", "true"] => Kind::Flag,
            OutcomeKind::Category(_) => kind.ordinal().map_or(Kind::Category, Kind::Ordered),
        }
    }

    fn data_type(self) -> DataType {
        match self {
            Kind::Count => DataType::UInt64,
            Kind::Day => DataType::Int32,
            Kind::Number => DataType::Float64,
            Kind::Flag => DataType::Boolean,
            Kind::Category | Kind::Ordered(_) => {
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
            }
            Kind::Date => DataType::Date32,
        }
    }

    /// The column's field, unordered: a file is written so (see `in_order`).
    fn field(self, name: &str) -> Field {
        Field::new(name, self.data_type(), self != Kind::Count)
    }

    fn of_data_type(t: &DataType) -> Option<Kind> {
        Some(match t {
            DataType::UInt64 => Kind::Count,
            DataType::Int32 => Kind::Day,
            DataType::Float64 => Kind::Number,
            DataType::Boolean => Kind::Flag,
            DataType::Dictionary(_, v) if **v == DataType::Utf8 => Kind::Category,
            DataType::Date32 => Kind::Date,
            _ => return None,
        })
    }
}

/// The columns of a batch's runs table: the four keys, the parameters (a sweep's), the outcomes.
pub fn runs_kinds(parameters: usize, outcomes: &[OutcomeKind]) -> Vec<Kind> {
    let mut k = vec![Kind::Count; 4];
    k.extend(std::iter::repeat_n(Kind::Number, parameters));
    k.extend(outcomes.iter().map(Kind::of_outcome));
    k
}

/// The columns of trajectories.csv: run, day, date, actor, variable, value.
pub const TRAJECTORY_KINDS: [Kind; 6] =
    [Kind::Count, Kind::Day, Kind::Date, Kind::Category, Kind::Category, Kind::Number];

enum Builder {
    Count(UInt64Builder),
    Day(Int32Builder),
    Number(Float64Builder),
    Flag(BooleanBuilder),
    Category(StringDictionaryBuilder<Int32Type>),
    /// A builder seeded with the labels, and the labels to seed the next batch's.
    Ordered(StringDictionaryBuilder<Int32Type>, &'static [&'static str]),
    Date(Date32Builder),
}

/// A dictionary builder whose keys 0.. are `labels`, in order.
fn seeded(labels: &[&str]) -> StringDictionaryBuilder<Int32Type> {
    let values = arrow_array::StringArray::from(labels.to_vec());
    // Fails only on duplicate labels or more than i32::MAX of them: never for the model's.
    StringDictionaryBuilder::new_with_dictionary(0, &values)
        .unwrap_or_else(|_| StringDictionaryBuilder::new())
}

impl Builder {
    fn new(kind: Kind) -> Builder {
        match kind {
            Kind::Count => Builder::Count(UInt64Builder::new()),
            Kind::Day => Builder::Day(Int32Builder::new()),
            Kind::Number => Builder::Number(Float64Builder::new()),
            Kind::Flag => Builder::Flag(BooleanBuilder::new()),
            Kind::Category => Builder::Category(StringDictionaryBuilder::new()),
            Kind::Ordered(labels) => Builder::Ordered(seeded(labels), labels),
            Kind::Date => Builder::Date(Date32Builder::new()),
        }
    }

    /// Appends one CSV cell; an empty cell is a null. `Err` says what the cell is not.
    fn push(&mut self, cell: &str) -> std::result::Result<(), &'static str> {
        let empty = cell.is_empty();
        match self {
            Builder::Count(b) => b.append_value(cell.parse().map_err(|_| "a whole number")?),
            Builder::Day(b) if empty => b.append_null(),
            Builder::Day(b) => b.append_value(cell.parse().map_err(|_| "a day number")?),
            Builder::Number(b) if empty => b.append_null(),
            Builder::Number(b) => b.append_value(cell.parse().map_err(|_| "a number")?),
            Builder::Flag(b) if empty => b.append_null(),
            Builder::Flag(b) => b.append_value(crate::parse_flag(cell).ok_or("TRUE or FALSE")?),
            Builder::Category(b) if empty => b.append_null(),
            Builder::Category(b) => {
                b.append(cell).map_err(|_| "a label")?;
            }
            Builder::Ordered(b, _) if empty => b.append_null(),
            Builder::Ordered(b, labels) => {
                if !labels.contains(&cell) {
                    return Err("one of its labels");
                }
                b.append(cell).map_err(|_| "a label")?;
            }
            Builder::Date(b) if empty => b.append_null(),
            Builder::Date(b) => b.append_value(days_from_date(cell).ok_or("a date YYYY-MM-DD")?),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Count(b) => Arc::new(b.finish()),
            Builder::Day(b) => Arc::new(b.finish()),
            Builder::Number(b) => Arc::new(b.finish()),
            Builder::Flag(b) => Arc::new(b.finish()),
            Builder::Category(b) => Arc::new(b.finish()),
            Builder::Ordered(b, labels) => {
                let array = Arc::new(b.finish());
                *b = seeded(labels);
                array
            }
            Builder::Date(b) => Arc::new(b.finish()),
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian `YYYY-MM-DD` (Hinnant's `days_from_civil`).
fn days_from_date(text: &str) -> Option<i32> {
    let mut parts = text.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || text.len() != 10 {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146_097 + doe - 719_468).ok()
}

/// `YYYY-MM-DD` of a day count since 1970-01-01 (Hinnant's `civil_from_days`).
fn date_from_days(days: i32) -> String {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn properties() -> Result<WriterProperties> {
    let level =
        ZstdLevel::try_new(3).map_err(|e| Error::damaged(Path::new("zstd"), e.to_string()))?;
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build())
}

/// A CSV table (a header, then rows) read as Arrow record batches of `BATCH_ROWS` rows, one
/// column of `kinds` per CSV column. A cell that is not of its column's kind is reported with
/// its file, line and column name.
struct CsvBatches<'a, R: std::io::Read = File> {
    path: &'a Path,
    reader: csv::Reader<R>,
    header: Vec<String>,
    kinds: &'a [Kind],
    schema: Arc<Schema>,
    builders: Vec<Builder>,
    rows: u64,
    done: bool,
}

impl<'a> CsvBatches<'a> {
    fn open(path: &'a Path, kinds: &'a [Kind]) -> Result<CsvBatches<'a>> {
        let reader = csv::ReaderBuilder::new().from_path(path).at(path)?;
        CsvBatches::new(path, reader, kinds)
    }
}

impl<'a, R: std::io::Read> CsvBatches<'a, R> {
    fn new(
        path: &'a Path,
        mut reader: csv::Reader<R>,
        kinds: &'a [Kind],
    ) -> Result<CsvBatches<'a, R>> {
        let header: Vec<String> = reader.headers().at(path)?.iter().map(String::from).collect();
        if header.len() != kinds.len() {
            return Err(Error::damaged(
                path,
                format!("{} columns where {} were expected", header.len(), kinds.len()),
            ));
        }
        let schema = Arc::new(Schema::new(
            header.iter().zip(kinds).map(|(name, k)| k.field(name)).collect::<Vec<_>>(),
        ));
        let builders = kinds.iter().map(|k| Builder::new(*k)).collect();
        Ok(CsvBatches { path, reader, header, kinds, schema, builders, rows: 0, done: false })
    }

    /// The next batch; an empty table gives one empty batch, so the schema always arrives.
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.done {
            return Ok(None);
        }
        let path = self.path;
        let mut pending = 0usize;
        let mut rec = csv::StringRecord::new();
        while pending < BATCH_ROWS {
            if !self.reader.read_record(&mut rec).at(path)? {
                self.done = true;
                break;
            }
            self.rows += 1;
            let line = self.rows + 1;
            for ((cell, b), name) in rec.iter().zip(self.builders.iter_mut()).zip(&self.header) {
                b.push(cell).map_err(|what| {
                    Error::damaged(
                        path,
                        format!("line {line}, column {name}: `{cell}` is not {what}"),
                    )
                })?;
            }
            if rec.len() != self.kinds.len() {
                return Err(Error::damaged(
                    path,
                    format!("line {line} has {} cells, not {}", rec.len(), self.kinds.len()),
                ));
            }
            pending += 1;
        }
        if pending == 0 && self.rows > 0 {
            return Ok(None);
        }
        let columns: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        RecordBatch::try_new(self.schema.clone(), columns)
            .map(Some)
            .map_err(|e| Error::damaged(path, e.to_string()))
    }
}

/// Converts the CSV table `csv` (a header, then rows) to the Parquet file `out`, one column of
/// `kinds` per CSV column; returns the number of rows. A cell that is not of its column's kind
/// is reported with its file, line and column name.
pub fn csv_to_parquet(csv_path: &Path, out: &Path, kinds: &[Kind]) -> Result<u64> {
    let mut batches = CsvBatches::open(csv_path, kinds)?;
    let mut file = AtomicFile::create(out)?;
    let parquet_error = |e: parquet::errors::ParquetError| Error::damaged(out, e.to_string());
    {
        let mut w =
            ArrowWriter::try_new(file.writer(), batches.schema.clone(), Some(properties()?))
                .map_err(parquet_error)?;
        while let Some(batch) = batches.next_batch()? {
            w.write(&batch).map_err(parquet_error)?;
        }
        w.close().map_err(parquet_error)?;
    }
    file.finish()?;
    Ok(batches.rows)
}

/// The kind of a column from its type in the column dictionary (`integer`, `day`, `number`,
/// `flag`, `text`, `date`) and its unit: a text column whose unit lists the labels of an ordinal
/// outcome (`sidelines_model::ORDINAL_LABELS`, comma-separated as the dictionary writes them) is
/// ordered.
pub fn kind_of_column(kind: &str, unit: &str) -> Option<Kind> {
    Some(match kind {
        "integer" => Kind::Count,
        "day" => Kind::Day,
        "number" => Kind::Number,
        "flag" => Kind::Flag,
        "text" => sidelines_model::ORDINAL_LABELS
            .iter()
            .find(|labels| labels.join(", ") == unit)
            .map_or(Kind::Category, |labels| Kind::Ordered(labels)),
        "date" => Kind::Date,
        _ => return None,
    })
}

/// A CSV table held in memory (`name` for messages) as Arrow record batches typed by `kinds`.
pub fn csv_bytes_to_arrow(
    name: &Path,
    bytes: &[u8],
    kinds: &[Kind],
) -> Result<(Arc<Schema>, Vec<RecordBatch>)> {
    let reader = csv::ReaderBuilder::new().from_reader(bytes);
    let mut csv = CsvBatches::new(name, reader, kinds)?;
    let mut batches = Vec::new();
    while let Some(b) = csv.next_batch()? {
        batches.push(b);
    }
    Ok((csv.schema.clone(), batches))
}

/// The narrowest kind of each column of a CSV table that every cell fits (an empty cell fits
/// any kind but `Count`): for the tables of folders without a column dictionary.
pub fn infer_kinds(path: &Path) -> Result<Vec<Kind>> {
    let mut r = csv::ReaderBuilder::new().from_path(path).at(path)?;
    let width = r.headers().at(path)?.len();
    // Per column: could it still be a count, a day, a number, a flag, a date?
    let mut fits = vec![[true; 5]; width];
    let mut rec = csv::StringRecord::new();
    while r.read_record(&mut rec).at(path)? {
        for (cell, f) in rec.iter().zip(fits.iter_mut()) {
            if cell.is_empty() {
                f[0] = false;
                continue;
            }
            f[0] &= cell.parse::<u64>().is_ok();
            f[1] &= cell.parse::<i32>().is_ok();
            f[2] &= cell.parse::<f64>().is_ok();
            f[3] &= crate::parse_flag(cell).is_some();
            f[4] &= days_from_date(cell).is_some();
        }
    }
    Ok(fits
        .iter()
        .map(|f| match f {
            [true, ..] => Kind::Count,
            [_, true, ..] => Kind::Day,
            [_, _, true, ..] => Kind::Number,
            [_, _, _, true, _] => Kind::Flag,
            [_, _, _, _, true] => Kind::Date,
            _ => Kind::Category,
        })
        .collect())
}

/// A table of a results folder as Arrow record batches, typed: a Parquet file as written, a
/// CSV table with `kinds` (one per column, from the folder's column dictionary).
pub fn read_arrow(path: &Path, kinds: &[Kind]) -> Result<(Arc<Schema>, Vec<RecordBatch>)> {
    if path.extension().is_some_and(|e| e == "parquet") {
        let damaged = |m: String| Error::damaged(path, m);
        let reader = open(path)?
            .with_batch_size(ROW_GROUP_ROWS)
            .build()
            .map_err(|e| damaged(format!("not a readable Parquet file: {e}")))?;
        let schema = reader.schema();
        let batches = reader
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| damaged(e.to_string()))?;
        return in_order(path, schema, batches, kinds, true);
    }
    let mut csv = CsvBatches::open(path, kinds)?;
    let mut batches = Vec::new();
    while let Some(b) = csv.next_batch()? {
        batches.push(b);
    }
    // The builders were seeded with the labels: only the schema says ordered.
    in_order(path, csv.schema.clone(), batches, kinds, false)
}

/// The columns of ordinal `kinds` marked ordered, and with `rekey` (a Parquet file's) re-keyed
/// to every label in order. Parquet keeps a dictionary's labels in order of appearance and
/// only those that occur (the writer interns them afresh), so a file cannot carry an ordinal
/// scale: it is written unordered, and a reader that knows the column, as this one does from
/// the folder's column dictionary, puts the order back.
fn in_order(
    path: &Path,
    schema: Arc<Schema>,
    batches: Vec<RecordBatch>,
    kinds: &[Kind],
    rekey: bool,
) -> Result<(Arc<Schema>, Vec<RecordBatch>)> {
    let ordinal = |c: usize| match kinds.get(c) {
        Some(Kind::Ordered(labels)) => Some(*labels),
        _ => None,
    };
    if kinds.len() != schema.fields().len() || !(0..kinds.len()).any(|c| ordinal(c).is_some()) {
        return Ok((schema, batches));
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .zip(kinds)
        .map(|(f, k)| f.as_ref().clone().with_dict_is_ordered(matches!(k, Kind::Ordered(_))))
        .collect();
    let ordered = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let mut out = Vec::with_capacity(batches.len());
    for batch in batches {
        let mut columns = batch.columns().to_vec();
        for (c, column) in columns.iter_mut().enumerate() {
            let Some(labels) = ordinal(c).filter(|_| rekey) else { continue };
            let name = schema.field(c).name();
            let mut b = seeded(labels);
            for row in 0..column.len() {
                let text = cell(column.as_ref(), Kind::Category, row);
                if text.is_empty() {
                    b.append_null();
                } else if labels.contains(&text.as_str()) {
                    b.append_value(&text);
                } else {
                    return Err(Error::damaged(
                        path,
                        format!("column {name}: `{text}` is not one of {}", labels.join(", ")),
                    ));
                }
            }
            *column = Arc::new(b.finish());
        }
        out.push(
            RecordBatch::try_new(ordered.clone(), columns)
                .map_err(|e| Error::damaged(path, e.to_string()))?,
        );
    }
    Ok((ordered, out))
}

/// Opens a Parquet file for reading; a file that is not one is damaged input.
fn open(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let f = File::open(path).at(path)?;
    ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(|e| Error::damaged(path, format!("not a readable Parquet file: {e}")))
}

/// The column kinds of `schema`, read from `path`; a type sidelines does not write is damage.
fn kinds_in(path: &Path, schema: &Schema) -> Result<Vec<Kind>> {
    schema
        .fields()
        .iter()
        .map(|f| {
            Kind::of_data_type(f.data_type()).ok_or_else(|| {
                Error::damaged(
                    path,
                    format!(
                        "column {} has type {}, which sidelines does not write",
                        f.name(),
                        f.data_type()
                    ),
                )
            })
        })
        .collect()
}

/// The number of rows of a Parquet file, from its footer.
pub fn row_count(parquet_path: &Path) -> Result<u64> {
    Ok(open(parquet_path)?.metadata().file_metadata().num_rows().max(0) as u64)
}

/// The column kinds of a Parquet file written by `csv_to_parquet`.
pub fn kinds_of(parquet_path: &Path) -> Result<Vec<Kind>> {
    kinds_in(parquet_path, open(parquet_path)?.schema())
}

/// A folder's table to read as CSV: `DIR/NAME.csv`, or, when only `DIR/NAME.parquet` is there
/// (a folder written with `--format parquet`), that file written back as the CSV it came from
/// into a temporary file that lives as long as this. `named` is the file the folder holds, for
/// messages; with neither file, `path` is the CSV, whose reading then names what is missing.
#[derive(Debug)]
pub struct CsvOf {
    pub path: std::path::PathBuf,
    pub named: std::path::PathBuf,
    _tmp: Option<tempfile::NamedTempFile>,
}

/// `DIR/NAME.csv`, or its Parquet twin as CSV (see `CsvOf`).
pub fn csv_of(dir: &Path, name: &str) -> Result<CsvOf> {
    let csv = dir.join(format!("{name}.csv"));
    let parquet = dir.join(format!("{name}.parquet"));
    if csv.is_file() || !parquet.is_file() {
        return Ok(CsvOf { path: csv.clone(), named: csv, _tmp: None });
    }
    let tmp = tempfile::NamedTempFile::new().at(dir)?;
    parquet_to_csv(&parquet, tmp.path())?;
    Ok(CsvOf { path: tmp.path().to_path_buf(), named: parquet, _tmp: Some(tmp) })
}

/// Writes the Parquet file `parquet` (one written by `csv_to_parquet`) back as the CSV table
/// it came from, byte for byte; returns the number of rows.
pub fn parquet_to_csv(parquet_path: &Path, out: &Path) -> Result<u64> {
    let damaged = |m: String| Error::damaged(parquet_path, m);
    let reader = open(parquet_path)?
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| damaged(format!("not a readable Parquet file: {e}")))?;
    let schema = reader.schema();
    let kinds = kinds_in(parquet_path, &schema)?;
    let mut file = AtomicFile::create(out)?;
    let mut rows = 0u64;
    {
        let mut w = csv::Writer::from_writer(file.writer());
        w.write_record(schema.fields().iter().map(|f| f.name().as_str())).at(out)?;
        let mut cells: Vec<String> = vec![String::new(); kinds.len()];
        for batch in reader {
            let batch = batch.map_err(|e| damaged(e.to_string()))?;
            for row in 0..batch.num_rows() {
                for (c, kind) in kinds.iter().enumerate() {
                    cells[c] = cell(batch.column(c).as_ref(), *kind, row);
                }
                w.write_record(&cells).at(out)?;
                rows += 1;
            }
        }
        w.flush().at(out)?;
    }
    file.finish()?;
    Ok(rows)
}

/// One value as the CSV writers format it (a null is an empty cell).
fn cell(column: &dyn Array, kind: Kind, row: usize) -> String {
    if column.is_null(row) {
        return String::new();
    }
    match kind {
        Kind::Count => column.as_primitive::<UInt64Type>().value(row).to_string(),
        Kind::Day => column.as_primitive::<Int32Type>().value(row).to_string(),
        Kind::Number => format_number(column.as_primitive::<Float64Type>().value(row)),
        Kind::Flag => crate::flag_text(column.as_boolean().value(row)).to_string(),
        Kind::Date => date_from_days(column.as_primitive::<Date32Type>().value(row)),
        Kind::Category | Kind::Ordered(_) => {
            let dict = column.as_dictionary::<Int32Type>();
            let key = dict.keys().value(row);
            dict.values().as_string::<i32>().value(key as usize).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(days_from_date("1970-01-01"), Some(0));
        assert_eq!(days_from_date("2025-03-25"), Some(20172));
        for d in [-719_468, -1, 0, 59, 60, 20172, 20_454, 2_932_896] {
            assert_eq!(days_from_date(&date_from_days(d)), Some(d), "{d}");
        }
        assert_eq!(days_from_date("2025-13-01"), None);
        assert_eq!(days_from_date("2025-3-1"), None);
    }

    /// Every kind, nulls, a quoted cell, more rows than a batch: CSV to Parquet and back gives
    /// the same bytes.
    #[test]
    fn csv_parquet_csv_is_the_identity() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let d = tmp.path();
        let mut text = String::from("run,day,x,flag,label,date\n");
        for i in 0..(BATCH_ROWS as u64 * 2 + 17) {
            let x = if i % 7 == 0 { String::new() } else { format_number(i as f64 / 3.0 - 1e-9) };
            let flag = ["TRUE", "FALSE", ""][(i % 3) as usize];
            let label = ["a,b", "ongoing", ""][(i % 3) as usize];
            let label =
                if label.contains(',') { format!("\"{label}\"") } else { label.to_string() };
            let day = if i % 5 == 0 { String::new() } else { (i % 300).to_string() };
            let date = date_from_days(20172 + (i % 400) as i32);
            text.push_str(&format!("{i},{day},{x},{flag},{label},{date}\n"));
        }
        std::fs::write(d.join("a.csv"), &text).expect("write");
        let kinds = [Kind::Count, Kind::Day, Kind::Number, Kind::Flag, Kind::Category, Kind::Date];
        let n = csv_to_parquet(&d.join("a.csv"), &d.join("a.parquet"), &kinds).expect("to parquet");
        assert_eq!(n, BATCH_ROWS as u64 * 2 + 17);
        parquet_to_csv(&d.join("a.parquet"), &d.join("b.csv")).expect("to csv");
        assert!(std::fs::read(d.join("b.csv")).expect("read") == text.as_bytes());
        std::fs::write(d.join("bad.csv"), "run,day,x,flag,label,date\n1,2,x,true,a,2025-01-01\n")
            .expect("write");
        let e =
            csv_to_parquet(&d.join("bad.csv"), &d.join("bad.parquet"), &kinds).expect_err("bad");
        assert!(
            e.to_string().contains("line 2") && e.to_string().contains("`x` is not a number"),
            "{e}"
        );
        assert!(!d.join("bad.parquet").exists());
    }
}

#[cfg(test)]
mod ordered {
    use super::*;

    /// An ordinal column keeps every label, in order, in each batch's dictionary, marked
    /// ordered in the schema a reader sees; a label outside the scale is refused with its line.
    #[test]
    fn an_ordinal_column_is_an_ordered_dictionary_of_every_label() {
        let labels: &'static [&'static str] = &["none", "refused", "conditional_offer", "accepted"];
        let kind = Kind::of_outcome(&OutcomeKind::Category(sidelines_model::ORDINAL_LABELS[0]));
        assert_eq!(kind, Kind::Ordered(labels));
        assert_eq!(kind_of_column("text", &labels.join(", ")), Some(Kind::Ordered(labels)));
        assert_eq!(kind_of_column("text", "a, b"), Some(Kind::Category));
        let tmp = tempfile::tempdir().expect("tempdir");
        let d = tmp.path();
        // Only two labels occur, the later one first, across two batches.
        let mut text = String::from("run,answer\n");
        for i in 0..BATCH_ROWS + 3 {
            text.push_str(&format!("{i},{}\n", ["accepted", "", "refused"][i % 3]));
        }
        std::fs::write(d.join("a.csv"), &text).expect("write");
        let kinds = [Kind::Count, kind];
        csv_to_parquet(&d.join("a.csv"), &d.join("a.parquet"), &kinds).expect("to parquet");
        let file = open(&d.join("a.parquet")).expect("open");
        assert_eq!(file.schema().field(1).dict_is_ordered(), Some(false), "written unordered");
        let (schema, batches) = read_arrow(&d.join("a.parquet"), &kinds).expect("read");
        assert_eq!(schema.field(1).dict_is_ordered(), Some(true));
        assert_eq!(batches.len(), 1);
        let dict = batches[0].column(1).as_dictionary::<Int32Type>();
        let values: Vec<&str> = dict.values().as_string::<i32>().iter().flatten().collect();
        assert_eq!(values, labels);
        assert_eq!(dict.keys().value(0), 3);
        assert_eq!(dict.keys().value(2), 1);
        parquet_to_csv(&d.join("a.parquet"), &d.join("b.csv")).expect("to csv");
        assert!(std::fs::read(d.join("b.csv")).expect("read") == text.as_bytes());
        std::fs::write(d.join("bad.csv"), "run,answer\n1,maybe\n").expect("write");
        let e =
            csv_to_parquet(&d.join("bad.csv"), &d.join("bad.parquet"), &kinds).expect_err("bad");
        assert!(e.to_string().contains("line 2, column answer"), "{e}");
    }
}
