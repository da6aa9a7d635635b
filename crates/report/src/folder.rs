//! A results folder, checked whole before any command reads it.
//!
//! `export xlsx`, `chart`, `report`, `analyze` and the commands that read a calibration's
//! posterior all start here, so a folder with a table missing, cut short or edited is refused
//! with the file, the line and what is wrong, before anything is written from it, instead of
//! giving a workbook without a sheet or a report without a section. What each kind of folder
//! holds is in `expected`, from its manifest: the tables, their headers and, where the manifest
//! says, their row counts.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::checkpoint::CHECKPOINT;
use crate::error::{At, Error, Result};
use crate::{OUTCOMES_HEADER, SUMMARY_HEADER, keyed_header};

/// A checked folder: its manifest and kind.
#[derive(Clone, Debug)]
pub struct Folder {
    pub dir: PathBuf,
    pub manifest: serde_json::Value,
    pub kind: String,
}

/// The header of timeseries.csv.
pub const TIMESERIES_HEADER: [&str; 11] =
    ["point", "day", "date", "actor", "variable", "mean", "p05", "p25", "p50", "p75", "p95"];
/// The header of trajectories.csv.
pub const TRAJECTORIES_HEADER: [&str; 6] = ["run", "day", "date", "actor", "variable", "value"];

#[derive(Clone, Debug)]
enum Header {
    Exact(&'static [&'static str]),
    /// A header built from the manifest (summary.csv's keys name a sweep's parameters).
    Built(Vec<String>),
    Starts(&'static [&'static str]),
    Any,
}

#[derive(Clone, Copy, Debug)]
enum Rows {
    Exactly(u64),
    AtLeast(u64),
}

/// A table the folder must hold. `large` tables (runs, trajectories) are checked by their
/// header and line count only, not parsed whole.
#[derive(Clone, Debug)]
struct Expected {
    name: String,
    header: Header,
    rows: Rows,
    large: bool,
}

fn table(name: &str, header: Header, rows: Rows) -> Expected {
    Expected { name: name.to_string(), header, rows, large: false }
}

/// Reads and checks `dir`.
pub fn check(dir: &Path) -> Result<Folder> {
    if !dir.is_dir() {
        return Err(Error::damaged(dir, "is not a folder"));
    }
    let path = dir.join("manifest.json");
    if !path.is_file() {
        if dir.join(CHECKPOINT).is_file() {
            return Err(Error::damaged(
                dir,
                "is unfinished (it holds a checkpoint and no manifest.json): finish it with --resume",
            ));
        }
        return Err(Error::NotResults(dir.to_path_buf()));
    }
    let bytes = std::fs::read(&path).at(&path)?;
    let manifest: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        Error::damaged(
            &path,
            format!("line {}, column {}: not valid JSON: {}", e.line(), e.column(), json_words(&e)),
        )
    })?;
    if !manifest.is_object() {
        return Err(Error::damaged(&path, "is not a JSON object"));
    }
    let kind = manifest["kind"].as_str().unwrap_or("").to_string();
    if manifest["shard"].is_object() {
        return Err(Error::damaged(
            dir,
            "is one shard of a job, not a finished folder: put the shards together with `sidelines merge`",
        ));
    }
    if dir.join(CHECKPOINT).is_file() {
        return Err(Error::damaged(
            dir,
            "holds a checkpoint: it was resumed and not finished; finish it with --resume",
        ));
    }
    for t in expected(&kind, &manifest, &path)? {
        check_table(dir, &t)?;
    }
    Ok(Folder { dir: dir.to_path_buf(), manifest, kind })
}

/// What a folder of `kind` holds, from its manifest.
fn expected(kind: &str, m: &serde_json::Value, path: &Path) -> Result<Vec<Expected>> {
    let count = |field: &str| -> Result<u64> {
        m[field].as_u64().ok_or_else(|| {
            Error::damaged(path, format!("`{field}` is missing or not a whole number"))
        })
    };
    let outcomes = m["outcomes"].as_array();
    let numeric = outcomes.map_or(0, |a| a.iter().filter(|o| o["kind"] != "category").count());
    let labels: usize =
        outcomes.map_or(0, |a| a.iter().filter_map(|o| o["labels"].as_array()).map(Vec::len).sum());
    let parquet = m["format"] == "parquet";
    let parameters: Vec<String> = m["parameters"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["path"].as_str().map(String::from)).collect())
        .unwrap_or_default();
    let keyed = |rest: &[&str]| Header::Built(keyed_header(&parameters, rest));
    let runs = |n: u64| Expected {
        name: String::from(if parquet { "runs.parquet" } else { "runs.csv" }),
        header: Header::Starts(&["run", "point", "replicate", "seed"]),
        rows: Rows::Exactly(n),
        large: true,
    };
    let some = Rows::AtLeast(1);
    Ok(match kind {
        "batch" | "replay" => {
            if outcomes.is_none() {
                return Err(Error::damaged(path, "`outcomes` is missing"));
            }
            let mut v = vec![
                runs(count("runs")?),
                table("summary.csv", keyed(&SUMMARY_HEADER), Rows::Exactly(numeric as u64)),
                table("outcomes.csv", keyed(&OUTCOMES_HEADER), Rows::Exactly(labels as u64)),
                table("timeseries.csv", Header::Exact(&TIMESERIES_HEADER), some),
            ];
            if count("trajectories").unwrap_or(0) > 0 {
                v.push(Expected {
                    name: String::from(if parquet {
                        "trajectories.parquet"
                    } else {
                        "trajectories.csv"
                    }),
                    header: Header::Exact(&TRAJECTORIES_HEADER),
                    rows: some,
                    large: true,
                });
            }
            if kind == "replay" {
                v.push(table(
                    "record.csv",
                    Header::Starts(&["date", "day", "kind"]),
                    Rows::AtLeast(0),
                ));
                v.push(table("record_check.csv", Header::Any, Rows::AtLeast(0)));
            }
            v
        }
        "sweep" => {
            if outcomes.is_none() {
                return Err(Error::damaged(path, "`outcomes` is missing"));
            }
            let points = count("points")?;
            let mut v = vec![
                table("points.csv", Header::Starts(&["point"]), Rows::Exactly(points)),
                runs(count("runs")?),
                table(
                    "summary.csv",
                    keyed(&SUMMARY_HEADER),
                    Rows::Exactly(points * numeric as u64),
                ),
                table(
                    "outcomes.csv",
                    keyed(&OUTCOMES_HEADER),
                    Rows::Exactly(points * labels as u64),
                ),
            ];
            if matches!(m["sampler"]["kind"].as_str(), Some("sobol" | "morris")) {
                v.push(table("sensitivity.csv", Header::Starts(&["outcome", "parameter"]), some));
            }
            v
        }
        "calibrate" => ["generations.csv", "particles.csv", "posterior.csv", "observations.csv"]
            .iter()
            .map(|n| table(n, Header::Any, some))
            .collect(),
        "claims" => {
            ["claims.csv", "claim_points.csv"].iter().map(|n| table(n, Header::Any, some)).collect()
        }
        "branches" => vec![table("branches.csv", Header::Any, some)],
        "run" => vec![
            table(
                "run.csv",
                Header::Starts(&["run", "point", "replicate", "seed"]),
                Rows::Exactly(1),
            ),
            table("trajectory.csv", Header::Starts(&["day", "date"]), some),
            table("events.csv", Header::Any, Rows::AtLeast(0)),
        ],
        other => {
            return Err(Error::damaged(
                path,
                format!(
                    "`kind` is {}, which sidelines does not write",
                    if other.is_empty() { String::from("missing") } else { format!("`{other}`") }
                ),
            ));
        }
    })
}

fn check_table(dir: &Path, t: &Expected) -> Result<()> {
    let path = dir.join(&t.name);
    if !path.is_file() {
        return Err(Error::damaged(&path, "is missing (the manifest says this folder holds it)"));
    }
    if t.name.ends_with(".parquet") {
        let rows = crate::parquet::row_count(&path)?;
        return check_rows(&path, t.rows, rows);
    }
    let mut r = csv::ReaderBuilder::new().from_path(&path).at(&path)?;
    let header: Vec<String> = r.headers().at(&path)?.iter().map(String::from).collect();
    let fits = match &t.header {
        Header::Exact(h) => header == *h,
        Header::Built(h) => header == *h,
        Header::Starts(h) => header.len() >= h.len() && header[..h.len()] == **h,
        Header::Any => !header.is_empty(),
    };
    if !fits {
        let want = match &t.header {
            Header::Exact(h) | Header::Starts(h) => h.join(","),
            Header::Built(h) => h.join(","),
            Header::Any => String::from("a header"),
        };
        return Err(Error::damaged(&path, format!("line 1: the header is not `{want}`")));
    }
    let rows = if t.large {
        lines_after_header(&path)?
    } else {
        let mut n = 0u64;
        let mut rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut rec).at(&path)? {
            n += 1;
        }
        n
    };
    check_rows(&path, t.rows, rows)
}

fn check_rows(path: &Path, want: Rows, rows: u64) -> Result<()> {
    match want {
        Rows::Exactly(n) if rows != n => Err(Error::damaged(
            path,
            format!("holds {rows} rows where the manifest says {n}: it was cut short or edited"),
        )),
        Rows::AtLeast(n) if rows < n => Err(Error::damaged(path, "holds no rows")),
        _ => Ok(()),
    }
}

/// Lines after the first, counted without parsing (sidelines writes no line breaks inside
/// cells), and the file must end with one: a table cut mid-row is damaged.
fn lines_after_header(path: &Path) -> Result<u64> {
    let mut f = File::open(path).at(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut lines, mut last) = (0u64, b'\n');
    loop {
        let n = f.read(&mut buf).at(path)?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        last = buf[n - 1];
    }
    if last != b'\n' {
        return Err(Error::damaged(
            path,
            format!("line {}: ends in the middle of a row", lines + 1),
        ));
    }
    Ok(lines.saturating_sub(1))
}

/// serde_json's message without its own " at line L column C" (the place is given first).
pub fn json_words(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_catches_a_cut_row() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let p = tmp.path().join("runs.csv");
        std::fs::write(&p, "run,x\n0,1\n1,2\n").expect("write");
        assert_eq!(lines_after_header(&p).expect("whole"), 2);
        std::fs::write(&p, "run,x\n0,1\n1,").expect("write");
        let e = lines_after_header(&p).expect_err("cut");
        assert!(e.to_string().contains("line 3: ends in the middle of a row"), "{e}");
    }
}
