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
use crate::manifest::{Kind, Manifest, Sampler};
use crate::{OUTCOMES_HEADER, SUMMARY_HEADER, TableFormat, keyed_header};

/// A checked folder: its manifest.
#[derive(Clone, Debug)]
pub struct Folder {
    pub dir: PathBuf,
    pub manifest: Manifest,
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
    let manifest = crate::manifest::read_file(&path)?;
    if manifest.shard.is_some() {
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
    for t in expected(&manifest, &path)? {
        check_table(dir, &t)?;
    }
    Ok(Folder { dir: dir.to_path_buf(), manifest })
}

/// What a folder of `kind` holds, from its manifest.
fn expected(m: &Manifest, path: &Path) -> Result<Vec<Expected>> {
    let count = |field: &str, value: Option<u64>| -> Result<u64> {
        value.ok_or_else(|| Error::damaged(path, format!("`{field}` is missing")))
    };
    let outcomes = m.outcomes.as_deref();
    let numeric = m.outcomes().iter().filter(|o| o.kind != "category").count();
    let labels: usize = m.outcomes().iter().map(|o| o.labels.len()).sum();
    let parquet = m.table_format() == TableFormat::Parquet;
    let parameters = m.parameter_paths();
    let keyed = |rest: &[&str]| Header::Built(keyed_header(&parameters, rest));
    let runs = |n: u64| Expected {
        name: String::from(if parquet { "runs.parquet" } else { "runs.csv" }),
        header: Header::Starts(&["run", "point", "replicate", "seed"]),
        rows: Rows::Exactly(n),
        large: true,
    };
    let some = Rows::AtLeast(1);
    Ok(match m.kind {
        Kind::Batch | Kind::Replay => {
            if outcomes.is_none() {
                return Err(Error::damaged(path, "`outcomes` is missing"));
            }
            let mut v = vec![
                runs(count("runs", m.runs)?),
                table("summary.csv", keyed(&SUMMARY_HEADER), Rows::Exactly(numeric as u64)),
                table("outcomes.csv", keyed(&OUTCOMES_HEADER), Rows::Exactly(labels as u64)),
                table("timeseries.csv", Header::Exact(&TIMESERIES_HEADER), some),
            ];
            if m.trajectories.unwrap_or(0) > 0 {
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
            if m.kind == Kind::Replay {
                v.push(table(
                    "record.csv",
                    Header::Starts(&["date", "day", "kind"]),
                    Rows::AtLeast(0),
                ));
                v.push(table("record_check.csv", Header::Any, Rows::AtLeast(0)));
            }
            v
        }
        Kind::Sweep => {
            if outcomes.is_none() {
                return Err(Error::damaged(path, "`outcomes` is missing"));
            }
            let points = count("points", m.points)?;
            let mut v = vec![
                table("points.csv", Header::Starts(&["point"]), Rows::Exactly(points)),
                runs(count("runs", m.runs)?),
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
            if matches!(m.sampler, Some(Sampler::Sobol { .. } | Sampler::Morris { .. })) {
                v.push(table("sensitivity.csv", Header::Starts(&["outcome", "parameter"]), some));
            }
            v
        }
        Kind::Calibrate => {
            ["generations.csv", "particles.csv", "posterior.csv", "observations.csv"]
                .iter()
                .map(|n| table(n, Header::Any, some))
                .collect()
        }
        Kind::Claims => {
            ["claims.csv", "claim_points.csv"].iter().map(|n| table(n, Header::Any, some)).collect()
        }
        Kind::Branches => vec![table("branches.csv", Header::Any, some)],
        Kind::Choose => ["models.csv", "confusion.csv", "groups.csv", "parameters.csv"]
            .iter()
            .map(|n| table(n, Header::Any, some))
            .collect(),
        Kind::Evaluate => ["scores.csv", "skill.csv", "reliability.csv"]
            .iter()
            .map(|n| table(n, Header::Any, some))
            .collect(),
        Kind::Run => vec![
            table(
                "run.csv",
                Header::Starts(&["run", "point", "replicate", "seed"]),
                Rows::Exactly(1),
            ),
            table("trajectory.csv", Header::Starts(&["day", "date"]), some),
            table("events.csv", Header::Any, Rows::AtLeast(0)),
        ],
        Kind::CalibrateWave => {
            return Err(Error::damaged(
                path,
                "is one wave of a calibration, not a finished folder: take it in with `sidelines merge`",
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
