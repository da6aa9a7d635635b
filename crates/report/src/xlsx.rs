//! results.xlsx: the folder's tables as one workbook, for Excel and LibreOffice users.
//!
//! A README sheet first (what each sheet holds, the command, scenario, seed, version, date),
//! then one sheet per table present (`TABLES`: every table any folder kind writes: a batch's,
//! a sweep's, a replay's record check, a calibration's posterior and generations, claims,
//! PRIM's box, an evaluation's scores, a model choice's). Each is read from its CSV, so every value equals the CSV's: numbers are
//! stored as numbers (the CSV's shortest round-trip text parses back to the same double),
//! `date` columns as dates, everything else as text; empty cells stay empty. Header rows are
//! bold and frozen, every table has an autofilter and column widths fitted to a sample of its
//! values. A table longer than a sheet continues on `runs_2`, `runs_3`, ... and the README sheet
//! says so. Sheets are written in constant-memory mode, row by row, so a million-run batch does
//! not need its runs in memory.

use std::path::Path;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use crate::error::{At, Error, Result};

/// Excel's rows per sheet.
pub const EXCEL_MAX_ROWS: u32 = 1_048_576;

/// Tables in sheet order: (CSV file, sheet name, what it holds).
const TABLES: [(&str, &str, &str); 27] = [
    (
        "summary.csv",
        "summary",
        "per design point and numeric outcome: n, mean, sd, 95% CI of the mean, p05..p95",
    ),
    (
        "outcomes.csv",
        "outcomes",
        "per design point and categorical outcome value: count, share, Wilson 95% interval",
    ),
    (
        "timeseries.csv",
        "timeseries",
        "per day, actor and variable: mean and p05, p25, p50, p75, p95 across runs",
    ),
    ("points.csv", "points", "the parameter values of each design point"),
    (
        "sensitivity.csv",
        "sensitivity",
        "Sobol S1/ST or Morris mu, mu*, sigma per outcome and parameter",
    ),
    ("sensitivity_s2.csv", "sensitivity_s2", "Sobol second-order indices per pair of parameters"),
    (
        "record_check.csv",
        "record_check",
        "a replay's record checked: per observation, the share of runs as observed with its \
         Wilson 95% interval, and for a level its runs' mean and 90% range",
    ),
    ("record.csv", "record", "a replay's record: the dated events it scripted, with sources"),
    (
        "posterior.csv",
        "posterior",
        "a calibration's posterior per assumption: prior range, mean, sd, quantiles, how much \
         narrower than a flat posterior its 90% interval is",
    ),
    (
        "generations.csv",
        "generations",
        "a calibration's ABC-SMC generations: tolerance, particles, proposals, acceptance, \
         effective sample size, runs",
    ),
    (
        "observations.csv",
        "observations",
        "a calibration's observations: per generation, the share of its particles' runs that \
         reproduce each",
    ),
    (
        "particles.csv",
        "particles",
        "a calibration's particles: per generation, each particle's weight, values and misses",
    ),
    (
        "claims.csv",
        "claims",
        "per claim and assumption set: its wording, where it holds, is reversed or unclear, \
         with a Wilson 95% interval",
    ),
    (
        "claim_points.csv",
        "claim_points",
        "per assumption point: its set, each claim's verdict, every assumption's value",
    ),
    (
        "prim_box.csv",
        "prim_box",
        "PRIM's chosen box: per input its bounds, the data's range, and a restriction's \
         quasi-p-value",
    ),
    (
        "prim_trajectory.csv",
        "prim_trajectory",
        "PRIM's peeling trajectory: per step its points, support, coverage, density and bounds",
    ),
    ("observed.csv", "observed", "what was observed, as the folder's record read it"),
    ("runs.csv", "runs", "one row per run: run, point, replicate, seed, parameters, every outcome"),
    (
        "branches.csv",
        "branches",
        "per branch and headline outcome: share or mean with its 95% interval, the paired \
         difference from the baseline with its 95% interval, the median date of a day",
    ),
    (
        "skill.csv",
        "skill",
        "per episode (and all episodes) and forecaster: mean Brier and log scores with \
         bootstrap 95% intervals, and the model's Brier skill against the forecaster",
    ),
    (
        "scores.csv",
        "scores",
        "per observation: each forecaster's probability of what happened and its Brier, log \
         and ranked probability scores",
    ),
    (
        "cv.csv",
        "cross_validation",
        "leave one episode out: per episode and over all, the Brier and log scores of the model \
         as shipped and as calibrated on the other episodes, and the calibration's Brier skill",
    ),
    (
        "models.csv",
        "models",
        "model choice: per model, its posterior probability given the record with its Monte \
         Carlo error, the records kept, its draws, and the share of its own synthetic records it won",
    ),
    (
        "groups.csv",
        "groups",
        "model choice: the groups of models the records can tell apart, with their probability \
         and the share of their synthetic records won inside the group",
    ),
    (
        "confusion.csv",
        "confusion",
        "model choice: per model simulated from and model chosen (or a tie), its synthetic records",
    ),
    (
        "parameters.csv",
        "model_parameters",
        "model choice: per model and assumption, the kept draws' weighted mean and quantiles",
    ),
    (
        "reliability.csv",
        "reliability",
        "per forecaster and tenth of probability: forecasts in it, their mean, the share that \
         happened with its Wilson 95% interval",
    ),
];

/// How a column's cells are stored.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Column {
    Text,
    Date,
    Integer,
    Real,
    Flag,
}

fn date(s: &str) -> Option<ExcelDateTime> {
    let mut parts = s.split('-');
    let (y, m, d) =
        (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    if parts.next().is_some() {
        return None;
    }
    ExcelDateTime::from_ymd(y, m, d).ok()
}

/// A table's header, and per column how it is stored and how wide it is shown.
struct Survey {
    header: Vec<String>,
    kinds: Vec<Column>,
    widths: Vec<f64>,
}

/// Decides each column's type and width from the header and the first rows.
fn survey(path: &Path) -> Result<Survey> {
    let mut r = csv::Reader::from_path(path).at(path)?;
    let header: Vec<String> = r.headers().at(path)?.iter().map(String::from).collect();
    let mut kind = vec![None::<Column>; header.len()];
    let mut width: Vec<f64> = header.iter().map(|h| h.len() as f64 + 2.0).collect();
    for rec in r.records().take(2000) {
        let rec = rec.at(path)?;
        for (i, v) in rec.iter().enumerate().take(header.len()) {
            if v.is_empty() {
                continue;
            }
            let this = if header[i] == "date" && date(v).is_some() {
                Column::Date
            } else if crate::parse_flag(v).is_some() {
                Column::Flag
            } else if let Ok(x) = v.parse::<f64>() {
                if x.fract() == 0.0 && !v.contains(['.', 'e', 'E']) {
                    Column::Integer
                } else {
                    Column::Real
                }
            } else {
                Column::Text
            };
            kind[i] = Some(match (kind[i], this) {
                (None, t) => t,
                (Some(a), b) if a == b => a,
                (Some(Column::Integer), Column::Real) | (Some(Column::Real), Column::Integer) => {
                    Column::Real
                }
                _ => Column::Text,
            });
            let shown = match this {
                Column::Real => 10.0,
                Column::Date => 12.0,
                _ => v.len() as f64 + 2.0,
            };
            width[i] = width[i].max(shown).min(50.0);
        }
    }
    let kinds = kind.into_iter().map(|k| k.unwrap_or(Column::Text)).collect();
    Ok(Survey { header, kinds, widths: width })
}

/// Writes one CSV as one or more sheets; returns the sheet names used.
fn add_table(
    book: &mut Workbook,
    path: &Path,
    name: &str,
    max_rows: u32,
    book_path: &Path,
) -> Result<Vec<String>> {
    let Survey { header, kinds, widths } = survey(path)?;
    let bold = Format::new().set_bold();
    let real = Format::new().set_num_format("0.0000");
    let integer = Format::new().set_num_format("0");
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let per_sheet = max_rows.max(2) - 1;
    let mut reader = csv::Reader::from_path(path).at(path)?;
    let mut names = Vec::new();
    let mut records = reader.records().peekable();
    loop {
        let sheet_name =
            if names.is_empty() { name.to_string() } else { format!("{name}_{}", names.len() + 1) };
        let sheet: &mut Worksheet = book.add_worksheet_with_constant_memory().at(book_path)?;
        sheet.set_name(&sheet_name).at(book_path)?;
        for (c, w) in widths.iter().enumerate() {
            sheet.set_column_width(c as u16, *w).at(book_path)?;
        }
        for (c, h) in header.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold).at(book_path)?;
        }
        let mut row = 0u32;
        while row < per_sheet {
            let Some(rec) = records.next() else { break };
            let rec = rec.at(path)?;
            row += 1;
            for (c, v) in rec.iter().enumerate().take(header.len()) {
                if v.is_empty() {
                    continue;
                }
                let col = c as u16;
                match (kinds[c], v.parse::<f64>(), date(v)) {
                    (Column::Date, _, Some(d)) => {
                        sheet.write_date_with_format(row, col, &d, &day).at(book_path)?;
                    }
                    (Column::Integer, Ok(x), _) => {
                        sheet.write_number_with_format(row, col, x, &integer).at(book_path)?;
                    }
                    (Column::Real, Ok(x), _) => {
                        sheet.write_number_with_format(row, col, x, &real).at(book_path)?;
                    }
                    (Column::Flag, _, _) if crate::parse_flag(v).is_some() => {
                        let b = crate::parse_flag(v).unwrap_or_default();
                        sheet.write_boolean(row, col, b).at(book_path)?;
                    }
                    _ => {
                        sheet.write_string(row, col, v).at(book_path)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0).at(book_path)?;
        let last_col = header.len().saturating_sub(1) as u16;
        sheet.autofilter(0, 0, row, last_col).at(book_path)?;
        names.push(sheet_name);
        if records.peek().is_none() {
            break;
        }
    }
    Ok(names)
}

/// Writes `dir/results.xlsx` from the tables in `dir`. `generated` is the date shown on the
/// README sheet; `max_rows` is Excel's limit except in tests.
pub fn write_workbook(dir: &Path, generated: &str, max_rows: u32) -> Result<()> {
    let manifest = crate::folder::check(dir)?.manifest;
    let book_path = dir.join("results.xlsx");
    let xlsx_err = |e| Error::Workbook { path: book_path.clone(), source: e };
    let mut book = Workbook::new();
    let readme_rows = {
        // The README sheet must come first; its text is known only after the tables, so the
        // tables are surveyed first and written after.
        let mut rows: Vec<(String, String)> = vec![
            ("sidelines results".into(), String::new()),
            ("command".into(), crate::html::reproduce(&manifest, dir)),
            ("kind".into(), manifest.kind.name().into()),
            ("scenario".into(), manifest.scenario_name().into()),
            ("seed".into(), manifest.seed.map_or_else(String::new, |s| s.to_string())),
            ("version".into(), manifest.version.clone()),
            ("generated".into(), generated.into()),
            (String::new(), String::new()),
            ("sheet".into(), "what it holds".into()),
        ];
        for (file, sheet, what) in TABLES {
            let path = dir.join(file);
            let parquet = file.replace(".csv", ".parquet");
            if !path.is_file() && dir.join(&parquet).is_file() {
                rows.push((
                    sheet.to_string(),
                    format!("{what}: not in this workbook, in {parquet} (read it with pandas, polars, R's arrow or DuckDB)"),
                ));
                continue;
            }
            if !path.is_file() {
                continue;
            }
            let data_rows = csv::Reader::from_path(&path).at(&path)?.records().count() as u64;
            let per_sheet = u64::from(max_rows.max(2) - 1);
            let sheets = data_rows.div_ceil(per_sheet).max(1);
            let note = if sheets > 1 {
                format!(
                    "{what} ({data_rows} rows, continued on {sheet}_2 to {sheet}_{sheets}: a sheet holds {per_sheet} rows)"
                )
            } else {
                what.to_string()
            };
            rows.push((sheet.to_string(), note));
        }
        // The column dictionary the manifest holds, for the sheets in this workbook.
        for (file, sheet, _) in TABLES {
            let columns = manifest.columns_of(file);
            if columns.is_empty() || !dir.join(file).is_file() {
                continue;
            }
            rows.push((String::new(), String::new()));
            rows.push((format!("{sheet} column"), "type, unit or range: meaning".into()));
            for c in columns {
                let unit = if c.unit.is_empty() { String::new() } else { format!(", {}", c.unit) };
                rows.push((c.name.clone(), format!("{}{unit}: {}", c.kind, c.meaning)));
            }
        }
        rows
    };
    let bold = Format::new().set_bold();
    let readme = book.add_worksheet().set_name("README").map_err(xlsx_err)?;
    readme.set_column_width(0, 34).map_err(xlsx_err)?;
    readme.set_column_width(1, 110).map_err(xlsx_err)?;
    for (r, (a, b)) in readme_rows.iter().enumerate() {
        let r = r as u32;
        if r == 0 || a == "sheet" || (a.ends_with(" column") && b.starts_with("type,")) {
            readme.write_string_with_format(r, 0, a, &bold).map_err(xlsx_err)?;
            readme.write_string_with_format(r, 1, b, &bold).map_err(xlsx_err)?;
        } else {
            readme.write_string(r, 0, a).map_err(xlsx_err)?;
            readme.write_string(r, 1, b).map_err(xlsx_err)?;
        }
    }
    for (file, sheet, _) in TABLES {
        let path = dir.join(file);
        if path.is_file() {
            add_table(&mut book, &path, sheet, max_rows, &book_path)?;
        }
    }
    // Zipped in memory and written by `write_atomic`: a full disk is then reported once, by
    // the writer that names the path, and the zip library has no half-written file to
    // complain about.
    let bytes = book.save_to_buffer().map_err(xlsx_err)?;
    crate::write_atomic(&book_path, &bytes)
}
