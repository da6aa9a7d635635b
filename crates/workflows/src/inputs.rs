//! What every workflow reads and where it writes: scenarios (embedded or files), input files of
//! bounded size, output folders (fresh, guarded, resumable) and the worker pool.

use std::path::{Path, PathBuf};

use sidelines_report::checkpoint::CHECKPOINT;
use sidelines_scenario::{EMBEDDED, Scenario};

use crate::error::{Context, Error, Result, input};

/// Resolves a scenario argument: an embedded name, else a file.
pub fn load_scenario(arg: &str) -> Result<Scenario> {
    if let Some(loaded) = sidelines_scenario::load_embedded(arg) {
        return Ok(loaded?);
    }
    load_file(Path::new(arg))
}

/// Scenario files are tens of kilobytes; anything past this is not one.
const MAX_INPUT_BYTES: u64 = 16 << 20;

/// Reads an input file: a regular file of at most `MAX_INPUT_BYTES` (so a FIFO or /dev/zero
/// cannot hang or exhaust the tool).
pub fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| sidelines_report::in_words(&e))?;
    if !meta.is_file() {
        return Err(String::from("not a regular file"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| sidelines_report::in_words(&e))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(format!("larger than {} MiB, too large for a scenario", MAX_INPUT_BYTES >> 20));
    }
    Ok(bytes)
}

/// A scenario file (or a variant of one).
pub fn load_file(path: &Path) -> Result<Scenario> {
    let bytes = read_input(path).map_err(|e| {
        let hint = if path.extension().is_none() {
            let names = EMBEDDED.iter().map(|(n, _, _)| *n);
            let close = sidelines_scenario::did_you_mean(&path.display().to_string(), names);
            format!(" (not an embedded scenario either: `sidelines scenarios` lists them){close}")
        } else {
            String::new()
        };
        input(format!("cannot read {}: {e}{hint}", path.display()))
    })?;
    let name = path.display().to_string();
    Ok(sidelines_scenario::load(&name, &bytes, &resolve_base)?)
}

/// Validates any input file the tool reads (a scenario or a variant, a sweep, a calibration, a
/// model choice), told apart by its keys; what it is, in words (`scenario NAME`, `sweep NAME
/// (K parameters)`), or every problem with its place.
pub fn validate_file(path: &Path) -> Result<String> {
    let bytes = match read_input(path) {
        Ok(b) => b,
        // The scenario loader's message (with its hint at embedded names).
        Err(_) => return load_file(path).map(|s| format!("scenario {}", s.name)),
    };
    let name = path.display().to_string();
    let keys: Vec<String> = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default();
    let has = |k: &str| keys.iter().any(|x| x == k);
    if has("sampler") {
        let sweep = sidelines_scenario::sweep::load_sweep(&name, &bytes, &resolve_base)?;
        return Ok(format!("sweep {} ({} parameters)", sweep.name, sweep.parameters.len()));
    }
    if has("models") || has("tolerances") || has("particles") || has("episodes") {
        let cal = sidelines_scenario::calibration::load_calibration(&name, &bytes, &resolve_base)?;
        return Ok(match &cal.choice {
            Some(c) => format!("model choice {} ({} models)", cal.name, c.models.len()),
            None => format!("calibration {} ({} numbers fitted)", cal.name, cal.parameters.len()),
        });
    }
    let scenario = sidelines_scenario::load(&name, &bytes, &resolve_base)?;
    Ok(format!("scenario {}", scenario.name))
}

/// A variant's `base`: an embedded name, else a file relative to the variant's folder.
pub fn resolve_base(reference: &str, from: &str) -> Result<(String, Vec<u8>), String> {
    sidelines_scenario::resolve_base(reference, from, &read_input)
}

/// Creates an output folder. A failure is the machine's (a read-only or full disk, a folder this
/// user may not write in), with the cause in words.
pub fn create_out(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|source| sidelines_report::Error::Io { path: dir.to_path_buf(), source })
        .context(|| String::from("cannot create the output folder"))
}

/// Refuses an output path whose folder does not exist.
pub fn out_parent_exists(out: &Path) -> Result<()> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent.filter(|p| !p.is_dir()) {
        return Err(input(format!(
            "--out {}: the folder {} does not exist",
            out.display(),
            parent.display()
        )));
    }
    Ok(())
}

/// Refuses an output folder that is not a folder, or that holds any of `files`, unless `force`.
pub fn guard_out_dir(dir: &Path, files: &[&str], force: bool) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(input(format!("--out {} exists and is not a folder", dir.display())));
    }
    let taken: Vec<&str> = files.iter().copied().filter(|f| dir.join(f).exists()).collect();
    if !taken.is_empty() && !force {
        let hint = if taken.contains(&CHECKPOINT) { "; to continue it, pass --resume" } else { "" };
        return Err(input(format!(
            "{} already holds results ({}); choose another --out or pass --force{hint}",
            dir.display(),
            taken.join(", ")
        )));
    }
    Ok(())
}

/// outputs/<name>/<date>T<time>Z/, with a suffix if that name is taken, and
/// outputs/<name>/latest pointing at it.
pub fn fresh_dir(name: &str) -> Result<PathBuf> {
    let stamp = jiff::Timestamp::now().strftime("%Y-%m-%dT%H%M%SZ").to_string();
    let base = Path::new("outputs").join(name);
    let mut dir = base.join(&stamp);
    let mut n = 1;
    while dir.exists() {
        n += 1;
        dir = base.join(format!("{stamp}-{n}"));
    }
    std::fs::create_dir_all(&dir)
        .map_err(|source| sidelines_report::Error::Io { path: dir.clone(), source })
        .context(|| format!("creating {}", dir.display()))?;
    point_latest(&base, &dir);
    Ok(dir)
}

/// outputs/<name>/latest -> the newest folder (a symbolic link, replaced atomically). A failure
/// here costs nothing but the convenience, so it is not an error.
fn point_latest(base: &Path, dir: &Path) {
    #[cfg(unix)]
    if let Some(name) = dir.file_name() {
        let tmp = base.join(".latest.tmp");
        let _ = std::fs::remove_file(&tmp);
        if std::os::unix::fs::symlink(name, &tmp).is_ok() {
            let _ = std::fs::rename(&tmp, base.join("latest"));
        }
    }
}

/// The newest folder under outputs/<name>/ that holds a checkpoint.
pub fn latest_unfinished(name: &str) -> Result<PathBuf> {
    let base = Path::new("outputs").join(name);
    let mut found: Vec<PathBuf> = std::fs::read_dir(&base)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join(CHECKPOINT).is_file() && !p.ends_with("latest"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().ok_or_else(|| {
        input(format!("no unfinished run of {name} under {}; name one with --out", base.display()))
    })
}

/// The worker threads: `asked`, else `RAYON_NUM_THREADS` (as rayon reads it: a positive whole
/// number), else one per core; at most `OVERSUBSCRIBE` per core. The work is CPU-bound, so
/// workers beyond the cores add no speed, only memory (each holds its own aggregators, some
/// 16 MB for the default scenario): `RAYON_NUM_THREADS=1000` aborted on a failed allocation.
/// Results do not depend on the number of workers, so the cap changes no byte.
pub fn threads(asked: Option<u64>) -> usize {
    let env = std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.trim().parse::<usize>().ok());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let asked = match (asked, env) {
        (Some(t), _) => usize::try_from(t).unwrap_or(usize::MAX),
        (None, Some(t)) if t >= 1 => t,
        _ => cores,
    };
    asked.clamp(1, cores * OVERSUBSCRIBE)
}

/// Workers per core at most (see `threads`).
const OVERSUBSCRIBE: usize = 4;

/// A rayon pool of `threads(asked)` workers.
pub fn worker_pool(asked: Option<u64>) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads(asked))
        .build()
        .map_err(|e| Error::Machine(format!("starting the worker threads: {e}")))
}

/// A folder kind with its article: "a sweep", "an evaluate".
pub fn a_kind(kind: sidelines_report::manifest::Kind) -> String {
    let name = kind.name();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {name}")
}

/// Refuses to replace tables that exist unless `force`: a sweep's sensitivity.csv holds every
/// outcome's indices, and an analysis of one outcome must not silently take its place.
pub fn refuse_overwrite(paths: &[PathBuf], force: bool) -> Result<()> {
    match paths.iter().find(|p| p.exists()) {
        Some(p) if !force => Err(input(format!(
            "{} exists: write this analysis elsewhere with --out, or replace it with --force \
             (a folder's charts, report and workbook are then redrawn from the new tables)",
            p.display()
        ))),
        _ => Ok(()),
    }
}

/// Redraws what a folder already shows from its tables (charts/, report.html, results.xlsx),
/// so that none of them holds numbers the tables no longer have.
pub fn refresh(dir: &Path) -> Result<()> {
    if dir.join("charts").is_dir() || dir.join("report.html").is_file() {
        // At the size they were last drawn at (`chart`/`report --size --dpi`).
        let size = sidelines_report::charts::ChartSize::of_folder(dir);
        sidelines_report::charts::write_charts(dir, size)?;
    }
    if dir.join("report.html").is_file() {
        sidelines_report::html::write_report(dir)?;
    }
    if dir.join("results.xlsx").is_file() {
        let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
        sidelines_report::xlsx::write_workbook(
            dir,
            &today,
            sidelines_report::xlsx::EXCEL_MAX_ROWS,
        )?;
    }
    Ok(())
}
