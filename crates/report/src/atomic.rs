//! Files that appear whole or not at all.
//!
//! An `AtomicFile` is written under a hidden temporary name in its destination folder
//! (`.summary.csv.XXXXXX.partial`, from `tempfile`) and renamed into place by `finish` after a
//! flush and an fsync, so a reader never sees a truncated file under a final name. If writing
//! fails or the writer is dropped unfinished, `tempfile` removes the temporary file, so a
//! failure (a full disk) leaves nothing behind. A process killed outright (SIGKILL) cannot
//! clean up: its temporary file keeps its recognisable `.<name>.*.partial` name, and
//! `remove_stale` clears such leftovers when a folder is started again.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::{At, Result};

/// A file being written: a temporary file until `finish` renames it to its name.
#[derive(Debug)]
pub struct AtomicFile {
    dest: PathBuf,
    writer: BufWriter<NamedTempFile>,
}

impl AtomicFile {
    pub fn create(dest: &Path) -> Result<AtomicFile> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = temporary(dir, &format!(".{}.", file_name(dest)), ".partial").at(dest)?;
        Ok(AtomicFile { dest: dest.to_path_buf(), writer: BufWriter::new(tmp) })
    }

    pub fn writer(&mut self) -> &mut BufWriter<NamedTempFile> {
        &mut self.writer
    }

    /// Flushes, syncs and renames into place.
    pub fn finish(self) -> Result<()> {
        let dest = self.dest;
        let tmp = self.writer.into_inner().map_err(|e| e.into_error()).at(&dest)?;
        tmp.as_file().sync_all().at(&dest)?;
        tmp.persist(&dest).map_err(|e| e.error).at(&dest)?;
        Ok(())
    }
}

/// A temporary file in `dir`, removed when dropped unless persisted. Created like any file the
/// tool writes (mode 0666 less the umask), not with `tempfile`'s private 0600: results folders
/// are shared.
pub(crate) fn temporary(dir: &Path, prefix: &str, suffix: &str) -> io::Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix(prefix)
        .suffix(suffix)
        .make_in(dir, |p| fs::OpenOptions::new().write(true).create_new(true).open(p))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Writes a whole file atomically.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(dest)?;
    f.writer().write_all(bytes).at(dest)?;
    f.finish()
}

/// Removes what a killed writer of any of `names` left in `dir`: `.<name>.*.partial`.
pub fn remove_stale(dir: &Path, names: &[&str]) -> io::Result<()> {
    let Ok(entries) = fs::read_dir(dir) else { return Ok(()) };
    for entry in entries {
        let entry = entry?;
        let file = entry.file_name().to_string_lossy().into_owned();
        let stale = file.ends_with(".partial")
            && names.iter().any(|n| {
                file.strip_prefix(&format!(".{n}."))
                    .is_some_and(|rest| rest.len() > ".partial".len())
            });
        if stale {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn appears_only_when_finished() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dest = tmp.path().join("a.csv");
        let mut f = AtomicFile::create(&dest).expect("create");
        f.writer().write_all(b"x,y\n").expect("write");
        assert!(!dest.exists());
        let hidden = names(tmp.path());
        assert!(
            hidden.len() == 1
                && hidden[0].starts_with(".a.csv.")
                && hidden[0].ends_with(".partial")
        );
        f.finish().expect("finish");
        assert_eq!(fs::read(&dest).expect("read"), b"x,y\n");
        assert_eq!(names(tmp.path()), ["a.csv"]);
    }

    #[test]
    fn finished_files_get_the_usual_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tempdir");
        let plain = tmp.path().join("plain");
        fs::File::create(&plain).expect("create");
        write_atomic(&tmp.path().join("atomic"), b"x").expect("write");
        let mode = |p: &Path| fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&tmp.path().join("atomic")), mode(&plain));
    }

    #[test]
    fn dropped_unfinished_leaves_nothing() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dest = tmp.path().join("b.csv");
        fs::write(&dest, "old").expect("write");
        {
            let mut f = AtomicFile::create(&dest).expect("create");
            f.writer().write_all(b"new").expect("write");
        }
        assert_eq!(names(tmp.path()), ["b.csv"]);
        assert_eq!(fs::read_to_string(&dest).expect("read"), "old");
    }

    #[test]
    fn stale_partials_of_named_files_go() {
        let tmp = tempfile::tempdir().expect("tempdir");
        for f in
            [".runs.csv.a1B2c3.partial", ".other.csv.x.partial", "runs.csv", ".runs.csv.partial"]
        {
            fs::write(tmp.path().join(f), "").expect("write");
        }
        remove_stale(tmp.path(), &["runs.csv"]).expect("remove");
        assert_eq!(names(tmp.path()), [".other.csv.x.partial", ".runs.csv.partial", "runs.csv"]);
    }

    #[test]
    fn a_missing_folder_is_named() {
        let e = AtomicFile::create(Path::new("/nonexistent-sidelines/x.csv")).expect_err("fails");
        assert!(e.to_string().starts_with("/nonexistent-sidelines/x.csv: "), "{e}");
    }
}
