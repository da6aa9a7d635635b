//! Putting shards back together: tables concatenated in shard order, checked as they go.
//!
//! A shard writes its slice of a job's tables with the same writers, the same header and the
//! same number formatting as the unsplit job, so the unsplit table is the shards' rows in
//! shard order under one header. `concat` streams them into one atomic file and checks each
//! shard's header and row count on the way; the aggregates of a batch come from the shards'
//! integer states (`batch::add_shard_state`), never from re-reading rounded text.

use std::path::{Path, PathBuf};

use crate::atomic::AtomicFile;
use crate::error::{At, Error, Result};

/// Manifest fields that describe how a folder was produced rather than what it holds: they
/// may differ between shards and between a merged folder and an unsplit one.
pub const CIRCUMSTANCES: [&str; 7] = [
    "command",
    "threads",
    "elapsed_seconds",
    "runs_per_second",
    "resumed_from_run",
    "shard",
    "merged_from",
];

/// One shard's table, how many rows it must hold (`None`: any number), and which runs or
/// points it may hold.
#[derive(Clone, Debug)]
pub struct Part {
    pub path: PathBuf,
    pub rows: Option<u64>,
    pub key: Option<Key>,
}

/// What a shard's rows must carry in one column: an index inside its slice of the job, never
/// going back, and (`consecutive`) every index of the slice in order: a batch's `run` column.
/// A part copied from another shard holds another slice's indices and is refused.
#[derive(Clone, Debug)]
pub struct Key {
    pub column: usize,
    pub slice: std::ops::Range<u64>,
    pub consecutive: bool,
}

impl Key {
    fn check(
        &self,
        path: &Path,
        row: u64,
        field: Option<&[u8]>,
        last: &mut Option<u64>,
    ) -> Result<()> {
        let value =
            field.and_then(|f| std::str::from_utf8(f).ok()).and_then(|t| t.parse::<u64>().ok());
        let want = self.slice.start + row;
        let fine = match value {
            Some(v) if self.consecutive => v == want,
            Some(v) => self.slice.contains(&v) && last.is_none_or(|l| v >= l),
            None => false,
        };
        if !fine {
            let shown = value.map_or_else(|| String::from("no index"), |v| v.to_string());
            return Err(Error::damaged(
                path,
                format!(
                    "row {} holds {shown} where this shard holds {} {} to {}: copied from another \
                     shard? Re-run this shard",
                    row + 1,
                    if self.consecutive { "runs" } else { "indices" },
                    self.slice.start,
                    self.slice.end.saturating_sub(1)
                ),
            ));
        }
        *last = value;
        Ok(())
    }
}

/// Writes `out` as the rows of `parts` in order under their common header. With `renumber`,
/// the first column becomes the row's index in the whole table (a sweep with adaptive
/// replication cannot know, shard by shard, how many runs came before). Refuses a part whose
/// header differs from the first's or whose row count is not the one its shard recorded; on
/// any failure `out` is not written.
pub fn concat(out: &Path, parts: &[Part], renumber: bool) -> Result<u64> {
    let mut file = AtomicFile::create(out)?;
    let mut total = 0u64;
    {
        let mut w = csv::Writer::from_writer(file.writer());
        let mut header: Option<csv::ByteRecord> = None;
        for part in parts {
            let path = &part.path;
            let mut r = csv::ReaderBuilder::new().from_path(path).at(path)?;
            let h = r.byte_headers().at(path)?.clone();
            match &header {
                None => {
                    w.write_byte_record(&h).at(out)?;
                    header = Some(h);
                }
                Some(first) if *first != h => {
                    return Err(Error::damaged(
                        path,
                        format!("its header differs from {}'s", parts[0].path.display()),
                    ));
                }
                Some(_) => {}
            }
            let mut rows = 0u64;
            let mut last = None;
            let mut rec = csv::ByteRecord::new();
            while r.read_byte_record(&mut rec).at(path)? {
                if let Some(k) = &part.key {
                    k.check(path, rows, rec.get(k.column), &mut last)?;
                }
                if renumber {
                    let index = total.to_string();
                    let mut fixed = csv::ByteRecord::with_capacity(rec.as_slice().len(), rec.len());
                    fixed.push_field(index.as_bytes());
                    for f in rec.iter().skip(1) {
                        fixed.push_field(f);
                    }
                    w.write_byte_record(&fixed).at(out)?;
                } else {
                    w.write_byte_record(&rec).at(out)?;
                }
                rows += 1;
                total += 1;
            }
            if let Some(want) = part.rows.filter(|w| *w != rows) {
                return Err(Error::damaged(
                    path,
                    format!("holds {rows} rows where its shard's manifest records {want}"),
                ));
            }
        }
        w.flush().at(out)?;
    }
    file.finish()?;
    Ok(total)
}

/// Copies `from` to `out` after checking that every file of `same` holds the same bytes (a
/// table every shard writes whole, such as a sweep's points.csv).
pub fn copy_identical(out: &Path, from: &Path, same: &[PathBuf]) -> Result<()> {
    let bytes = std::fs::read(from).at(from)?;
    for other in same {
        if std::fs::read(other).at(other)? != bytes {
            return Err(Error::damaged(
                other,
                format!("differs from {}, which every shard writes alike", from.display()),
            ));
        }
    }
    crate::write_atomic(out, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concatenates_checks_and_renumbers() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let d = tmp.path();
        std::fs::write(d.join("a.csv"), "run,x\n0,\"a,b\"\n1,2\n").expect("write");
        std::fs::write(d.join("b.csv"), "run,x\n0,3\n").expect("write");
        let parts = |rows_b: u64| {
            vec![
                Part { path: d.join("a.csv"), rows: Some(2), key: None },
                Part { path: d.join("b.csv"), rows: Some(rows_b), key: None },
            ]
        };
        assert_eq!(concat(&d.join("out.csv"), &parts(1), true).expect("concat"), 3);
        let text = std::fs::read_to_string(d.join("out.csv")).expect("read");
        assert_eq!(text, "run,x\n0,\"a,b\"\n1,2\n2,3\n");
        let e = concat(&d.join("bad.csv"), &parts(5), false).expect_err("short");
        assert!(e.to_string().contains("holds 1 rows where its shard's manifest records 5"), "{e}");
        assert!(!d.join("bad.csv").exists(), "nothing written");
        std::fs::write(d.join("b.csv"), "run,y\n0,3\n").expect("write");
        let e = concat(&d.join("bad.csv"), &parts(1), false).expect_err("header");
        assert!(e.to_string().contains("header differs"), "{e}");
        let leftovers = std::fs::read_dir(d).expect("dir").count();
        assert_eq!(leftovers, 3, "no temporary file left");
    }
}
