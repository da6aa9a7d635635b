//! Checkpoints and the partial files they describe, for batch and sweep folders alike.
//!
//! While a batch or sweep runs, its tables grow as hidden partial files (`.runs.csv.partial`)
//! and, every few seconds, a checkpoint records how long each was and whatever state the
//! writer needs: a magic line naming the format, one line of JSON, then an optional binary
//! body. The checkpoint is written atomically, so it is always whole. Resuming truncates each
//! partial file to its recorded length; finishing renames the partial files to their names and
//! removes the checkpoint last, so a folder with a checkpoint is unfinished and one without is
//! complete.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::atomic::{AtomicFile, remove_stale};
use crate::error::{At, Error, Result};

/// The checkpoint's file name, in batch and sweep folders.
pub const CHECKPOINT: &str = ".checkpoint";

/// A table written while the run goes: its hidden partial name and its final name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partial {
    pub tmp: &'static str,
    pub name: &'static str,
}

/// Files a finishing job writes besides its tables, whose temporary copies
/// (`.<name>.XXXXXX.partial`) a kill during finalisation can leave behind.
pub const FINISHING: [&str; 7] = [
    "manifest.json",
    "shard.state",
    CHECKPOINT,
    "record.csv",
    "record_check.csv",
    "points.csv",
    "sensitivity.csv",
];

/// Prepares `dir` for a new run: creates it and removes `files` and what a killed writer of
/// them left behind.
pub fn start(dir: &Path, files: &[&str]) -> Result<()> {
    fs::create_dir_all(dir).at(dir)?;
    for f in files {
        let p = dir.join(f);
        if p.exists() {
            fs::remove_file(&p).at(&p)?;
        }
    }
    remove_leftovers(dir, files)
}

/// Removes the temporary copies a killed finalisation left of `files` and of `FINISHING`:
/// only names with a writer's random suffix, never the resume state (`.runs.csv.partial`,
/// the checkpoint), so it is safe on resume too (a kill between two renames left up to
/// 1.7 MB that `--resume` kept).
pub fn remove_leftovers(dir: &Path, files: &[&str]) -> Result<()> {
    let names: Vec<&str> = files.iter().copied().chain(FINISHING).collect();
    remove_stale(dir, &names).at(dir)
}

/// Opens a partial file for appending, first cut to `truncate_to` bytes when resuming.
pub fn open_append(path: &Path, truncate_to: Option<u64>) -> Result<BufWriter<File>> {
    let file = OpenOptions::new().create(true).append(true).open(path).at(path)?;
    if let Some(len) = truncate_to {
        file.set_len(len).at(path)?;
    }
    Ok(BufWriter::new(file))
}

/// Flushes a partial table to disk, so the length a checkpoint records is really there.
pub fn sync(path: &Path, w: &mut csv::Writer<BufWriter<File>>) -> Result<()> {
    w.flush().at(path)?;
    w.get_ref().get_ref().sync_all().at(path)
}

/// The length of a file in bytes (0 when it does not exist).
pub fn len(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Writes the checkpoint: `magic`, `meta` as one line of JSON, then `body`.
pub fn write<T: Serialize>(dir: &Path, magic: &str, meta: &T, body: &[Vec<u8>]) -> Result<()> {
    write_to(&dir.join(CHECKPOINT), magic, meta, body)
}

/// Writes a file in the checkpoint's format at `path` (a shard's final state).
pub fn write_to<T: Serialize>(path: &Path, magic: &str, meta: &T, body: &[Vec<u8>]) -> Result<()> {
    let path = path.to_path_buf();
    let line = serde_json::to_string(meta).map_err(|e| Error::damaged(&path, e.to_string()))?;
    let mut f = AtomicFile::create(&path)?;
    let w = f.writer();
    writeln!(w, "{magic}").at(&path)?;
    writeln!(w, "{line}").at(&path)?;
    for b in body {
        w.write_all(b).at(&path)?;
    }
    f.finish()
}

/// Reads a checkpoint written by `write`: (meta, body). `what` names the kind of run ("batch")
/// for the message when there is none.
pub fn read<T: DeserializeOwned>(
    dir: &Path,
    magic: &str,
    what: &'static str,
) -> Result<(T, Vec<u8>)> {
    let path = dir.join(CHECKPOINT);
    if !path.is_file() {
        return Err(Error::NothingToResume { dir: dir.to_path_buf(), what });
    }
    read_from(&path, magic, what)
}

/// Reads a file written by `write_to`: (meta, body). A header that is not a `T` is damaged,
/// with the field named.
pub fn read_from<T: DeserializeOwned>(
    path: &Path,
    magic: &str,
    what: &'static str,
) -> Result<(T, Vec<u8>)> {
    let path = path.to_path_buf();
    let mut bytes = Vec::new();
    File::open(&path).and_then(|mut f| f.read_to_end(&mut bytes)).at(&path)?;
    let mut lines = bytes.splitn(3, |b| *b == b'\n');
    let first = lines.next().unwrap_or_default();
    if first != magic.as_bytes() {
        // The same format's name with another version number: written by another build.
        let format =
            |l: &str| l.rsplit_once(' ').map(|(name, v)| (name.to_string(), v.to_string()));
        let theirs = std::str::from_utf8(first).ok().and_then(format);
        let message = match (theirs, format(magic)) {
            (Some((name, v)), Some((ours, _))) if name == ours && v.parse::<u32>().is_ok() => {
                format!(
                    "was written by another version of sidelines (`{name} {v}`; this one reads \
                     `{magic}`): start the {what} again with --force, or in another folder"
                )
            }
            _ => format!("not a sidelines {what} checkpoint"),
        };
        return Err(Error::damaged(&path, message));
    }
    let mut de = serde_json::Deserializer::from_slice(lines.next().unwrap_or_default());
    let meta = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        if field.is_empty() || field == "." {
            Error::damaged(&path, "unreadable header")
        } else {
            Error::damaged(&path, format!("unreadable header: field `{field}`"))
        }
    })?;
    Ok((meta, lines.next().unwrap_or_default().to_vec()))
}

/// The shard (index, count) an unfinished folder's checkpoint (a batch's or a sweep's) belongs
/// to, when it names one.
pub fn shard_of(dir: &Path) -> Option<(u64, u64)> {
    #[derive(serde::Deserialize)]
    struct Header {
        identity: Identity,
    }
    #[derive(serde::Deserialize)]
    struct Identity {
        shard: Option<(u64, u64)>,
    }
    let bytes = fs::read(dir.join(CHECKPOINT)).ok()?;
    let line = bytes.split(|c| *c == b'\n').nth(1)?;
    serde_json::from_slice::<Header>(line).ok()?.identity.shard
}

/// The fields in which the interrupted run's identity `theirs` differs from `mine`, each as
/// "field: interrupted <what> had X, this command has Y". `theirs` stays JSON: it may come from
/// another version, whose identity had other fields, and is compared field by field.
pub fn differences<T: Serialize>(mine: &T, theirs: &serde_json::Value, what: &str) -> Vec<String> {
    let mine = serde_json::to_value(mine).unwrap_or_default();
    let shown = |x: Option<&serde_json::Value>| match x {
        Some(serde_json::Value::String(s)) if s.len() > 40 => String::from("(a different text)"),
        Some(x) => x.to_string(),
        None => String::from("nothing"),
    };
    let (Some(a), Some(b)) = (mine.as_object(), theirs.as_object()) else {
        return vec![String::from("the checkpoint records no identity")];
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| {
            format!(
                "{k}: interrupted {what} had {}, this command has {}",
                shown(b.get(k)),
                shown(Some(v))
            )
        })
        .collect()
}

/// Interrupted while finishing, a run may have renamed some partial files already: take them
/// back, so that resuming finds nothing left to do and finishes again.
pub fn take_back(dir: &Path, partials: &[Partial]) -> Result<()> {
    for p in partials {
        let (tmp, name) = (dir.join(p.tmp), dir.join(p.name));
        if !tmp.exists() && name.exists() {
            fs::rename(&name, &tmp).at(&tmp)?;
        }
    }
    Ok(())
}

/// Refuses partial files shorter than the checkpoint recorded.
pub fn check_lengths(dir: &Path, partials: &[Partial], lengths: &[u64]) -> Result<()> {
    for (p, want) in partials.iter().zip(lengths) {
        let path = dir.join(p.tmp);
        if len(&path) < *want {
            return Err(Error::damaged(&path, "shorter than the checkpoint says"));
        }
    }
    Ok(())
}

/// Renames every partial file to its final name.
pub fn rename_all(dir: &Path, partials: &[Partial]) -> Result<()> {
    for p in partials {
        let tmp = dir.join(p.tmp);
        fs::rename(&tmp, dir.join(p.name)).at(&tmp)?;
    }
    Ok(())
}

/// After a failure: cuts each partial file to its length at the last checkpoint (`Some`), or
/// removes it (`None`: there is no checkpoint to resume from), so that a full disk is not kept
/// full by rows a resume would cut anyway. Best effort: the failure is what gets reported.
/// Returns the bytes kept in these files and the checkpoint.
pub fn trim(dir: &Path, partials: &[Partial], lengths: &[Option<u64>]) -> u64 {
    let mut kept = 0;
    for (p, want) in partials.iter().zip(lengths) {
        let path = dir.join(p.tmp);
        match want {
            Some(n) => {
                if let Ok(f) = OpenOptions::new().write(true).open(&path) {
                    let _ = f.set_len(*n);
                }
                kept += len(&path);
            }
            None => {
                let _ = fs::remove_file(&path);
            }
        }
    }
    if lengths.iter().all(Option::is_none) {
        let _ = fs::remove_file(dir.join(CHECKPOINT));
    }
    kept + len(&dir.join(CHECKPOINT))
}

/// Removes partial files once their contents are elsewhere (converted to Parquet).
pub fn remove_partials(dir: &Path, partials: &[Partial]) -> Result<()> {
    for p in partials {
        let path = dir.join(p.tmp);
        fs::remove_file(&path).at(&path)?;
    }
    Ok(())
}

/// Removes the checkpoint: the folder is complete.
pub fn remove(dir: &Path) -> Result<()> {
    let path = dir.join(CHECKPOINT);
    fs::remove_file(&path).at(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a kill between two renames of the finalisation leaves (a table's or the manifest's
    /// temporary copy) goes on resume; the resume state stays.
    #[test]
    fn leftovers_go_and_the_resume_state_stays() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let d = tmp.path();
        let keep = [".runs.csv.partial", ".checkpoint", "notes.txt", ".summary.csv.partial"];
        let gone = [
            ".timeseries.csv.Ab12Cd.partial",
            "..checkpoint.Xy12Ab.partial",
            ".manifest.json.q1w2e3.partial",
            ".record_check.csv.zz99zz.partial",
        ];
        for f in keep.iter().chain(&gone) {
            fs::write(d.join(f), b"x").expect("write");
        }
        let tables = ["runs.csv", "summary.csv", "outcomes.csv", "timeseries.csv"];
        remove_leftovers(d, &tables).expect("clean");
        let mut left: Vec<String> = fs::read_dir(d)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut want: Vec<String> = keep.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(left, want);
    }

    #[test]
    fn round_trip_and_damage() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        let e = read::<serde_json::Value>(dir, "magic 1", "batch").expect_err("none yet");
        assert!(e.to_string().ends_with("holds no unfinished batch to resume"), "{e}");
        let meta = serde_json::json!({"next_run": 3});
        write(dir, "magic 1", &meta, &[vec![1, 2], vec![10, 0, 255]]).expect("write");
        let (m, body): (serde_json::Value, _) = read(dir, "magic 1", "batch").expect("read");
        assert_eq!((m, body), (meta, vec![1, 2, 10, 0, 255]));
        let e = read::<serde_json::Value>(dir, "other 1", "sweep").expect_err("other format");
        assert!(e.to_string().contains("not a sidelines sweep checkpoint"), "{e}");
        let e = read::<serde_json::Value>(dir, "magic 2", "batch").expect_err("other version");
        let text = e.to_string();
        assert!(text.contains("another version of sidelines (`magic 1`") && e.is_input(), "{e}");
        fs::write(dir.join(CHECKPOINT), "magic 1\n{broken").expect("write");
        let e = read::<serde_json::Value>(dir, "magic 1", "batch").expect_err("damaged");
        assert!(e.to_string().contains("unreadable header") && e.is_input(), "{e}");
    }

    #[test]
    fn differences_name_each_field() {
        let mine = serde_json::json!({"seed": 2, "runs": 10, "toml": "x".repeat(50)});
        let theirs = serde_json::json!({"seed": 1, "runs": 10, "toml": "y".repeat(50)});
        assert_eq!(
            differences(&mine, &theirs, "batch"),
            [
                "seed: interrupted batch had 1, this command has 2",
                "toml: interrupted batch had (a different text), this command has (a different text)"
            ]
        );
        assert!(differences(&mine, &mine, "batch").is_empty());
    }

    #[test]
    fn partials_are_checked_renamed_and_taken_back() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        let parts = [Partial { tmp: ".a.partial", name: "a.csv" }];
        fs::write(dir.join(".a.partial"), "12345").expect("write");
        check_lengths(dir, &parts, &[5]).expect("long enough");
        assert!(check_lengths(dir, &parts, &[6]).is_err());
        rename_all(dir, &parts).expect("rename");
        assert!(dir.join("a.csv").exists() && !dir.join(".a.partial").exists());
        take_back(dir, &parts).expect("take back");
        assert!(!dir.join("a.csv").exists() && dir.join(".a.partial").exists());
        let mut w = open_append(&dir.join(".a.partial"), Some(2)).expect("open");
        w.write_all(b"x").expect("write");
        drop(w);
        assert_eq!(fs::read_to_string(dir.join(".a.partial")).expect("read"), "12x");
    }
}
