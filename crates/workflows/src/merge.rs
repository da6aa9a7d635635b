//! `--shard` and `sidelines merge`: a job split across machines, and its folder put back
//! together byte for byte.
//!
//! A shard is a contiguous slice of a job's units ([`Shard::slice`]): runs of a batch or
//! replay, whole design points of a sweep. It runs like the whole job and writes its slice of
//! the tables with the same writers, plus its manifest with a `shard` object (index, count,
//! units, slice, rows, and a hash of everything the shards must share). A batch shard also
//! keeps its integer aggregators (`shard.state`) in place of summary tables. `merge` checks the
//! set (one design, every index once, every shard finished) before it writes anything, then
//! concatenates the tables in shard order, merges the aggregators exactly, and writes the
//! tables, sensitivity indices and manifest the whole job would have written.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sidelines_experiment::{Plan, empty_aggregators};
use sidelines_model::Simulation;
use sidelines_report::batch::{BATCH_FILES, add_shard_state, write_tables};
use sidelines_report::checkpoint::CHECKPOINT;
use sidelines_report::parquet::{csv_to_parquet, kinds_of, parquet_to_csv};
use sidelines_report::shard::{Key, Part, concat, copy_identical};
use sidelines_report::sweep::{SWEEP_FILES, write_folder_sensitivity};

use crate::error::{Context, Result, input};
use crate::exec::Hooks;
use crate::inputs::guard_out_dir;
use crate::shard::{design_hash, design_of};
use sidelines_report::TableFormat;
use sidelines_report::manifest::{self, Kind, Manifest};

#[derive(Clone, Debug)]
pub struct MergeSpec {
    /// The command recorded in the manifest.
    pub command_line: Vec<String>,
    /// The shard folders (written with --shard), in any order.
    pub dirs: Vec<PathBuf>,
    /// The folder to write: what the unsplit job would have written.
    pub out: PathBuf,
    /// Write into --out even if it already holds results.
    pub force: bool,
}

/// A finished merge: the folder, and what to show on stdout and stderr.
#[derive(Clone, Debug)]
pub struct Merged {
    pub dir: PathBuf,
    pub text: String,
    pub status: String,
}

/// One shard folder, read and checked.
struct Found {
    dir: PathBuf,
    manifest: Manifest,
    index: u64,
    count: u64,
    rows: u64,
    /// The runs (batch, replay) or points (sweep) this shard covers.
    slice: std::ops::Range<u64>,
}

/// Reads a shard folder's manifest; an unfinished or foreign folder is refused by name.
fn read_shard(dir: &Path) -> Result<Found> {
    if !dir.is_dir() {
        return Err(input(format!("{} is not a folder", dir.display())));
    }
    let path = dir.join("manifest.json");
    if !path.is_file() {
        let checkpoint = dir.join(CHECKPOINT);
        if checkpoint.is_file() {
            let (which, task) = match sidelines_report::checkpoint::shard_of(dir) {
                Some((i, n)) => (format!(" (shard {i} of {n})"), i.to_string()),
                None => (String::new(), String::from("I")),
            };
            return Err(input(format!(
                "{} is an unfinished shard{which}: it holds a checkpoint and no manifest. \
Finish it by running its command again with --resume (in Slurm: `sbatch --array={task} \
JOB_SCRIPT`, whose tasks resume), then merge",
                dir.display()
            )));
        }
        return Err(input(format!(
            "{} is not a shard folder: it has no manifest.json",
            dir.display()
        )));
    }
    let manifest = manifest::read_file(&path)?;
    let Some(shard) = &manifest.shard else {
        return Err(input(format!(
            "{} is a finished {} folder, not a shard (its manifest has no `shard`): merge takes \
folders written with --shard",
            dir.display(),
            manifest.kind.name()
        )));
    };
    let (index, count, rows) = (shard.index, shard.count, shard.rows);
    if shard.design != design_hash(&manifest) {
        return Err(input(format!(
            "{}: the manifest does not match its own design hash (shard.design): it was edited \
after the shard finished",
            path.display()
        )));
    }
    if shard.first > shard.end {
        return Err(input(format!(
            "{}: shard.first and shard.end are not a range",
            path.display()
        )));
    }
    let slice = shard.first..shard.end;
    // Every file the shard's kind implies, named with the shard, before anything is read or
    // written (a removed file was an I/O error, exit 1, found halfway through the merge).
    let table = |stem: &str| format!("{stem}.{}", manifest.table_format().name());
    let mut needed: Vec<String> = Vec::new();
    match manifest.kind {
        Kind::Sweep => {
            needed.push(table("runs"));
            needed.extend(["points.csv", "summary.csv", "outcomes.csv"].map(String::from));
        }
        Kind::CalibrateWave => needed.push(String::from("scores.json")),
        _ => {
            needed.push(table("runs"));
            needed.push(String::from(sidelines_report::batch::SHARD_STATE));
            if manifest.trajectories.unwrap_or(0) > 0 {
                needed.push(table("trajectories"));
            }
            needed.extend(manifest.files.iter().flatten().cloned());
        }
    }
    if let Some(missing) = needed.iter().find(|f| !dir.join(f).is_file()) {
        return Err(input(format!(
            "{}: shard {index} of {count} has no {missing} (a finished shard holds it): copy it \
             again or re-run the shard",
            dir.display()
        )));
    }
    Ok(Found { dir: dir.to_path_buf(), manifest, index, count, rows, slice })
}

/// How to produce a missing shard: its Slurm task, or the command of a sibling.
fn rerun_hint(index: u64, count: u64, sibling: &Manifest) -> String {
    let name = sibling.shard.as_ref().and_then(|s| s.slurm.as_ref()?.job_name.as_deref());
    let job = match name {
        Some(name) => format!("JOB_SCRIPT` (the script of job {name})"),
        None => String::from("JOB_SCRIPT`"),
    };
    let mut args = sibling.command.clone();
    if let Some(first) = args.first_mut() {
        *first = String::from("sidelines");
    }
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--shard" if i + 1 < args.len() => args[i + 1] = format!("{index}/{count}"),
            "--out" if i + 1 < args.len() => args[i + 1] = String::from("SHARD_FOLDER"),
            a if a.starts_with("--shard=") => args[i] = format!("--shard={index}/{count}"),
            a if a.starts_with("--out=") => args[i] = String::from("--out=SHARD_FOLDER"),
            _ => {}
        }
        i += 1;
    }
    format!(
        "re-run just that task with `sbatch --array={index} {job}, or anywhere with `{}`",
        args.join(" ")
    )
}

/// "A and B are shards of different jobs: scenario ukraine-watch vs coerced-settlement (also
/// differ: resolved_scenario_toml, columns)", at most a few hundred characters: the facts that
/// tell two jobs apart, in the order a reader looks for them, with words for each; any other
/// field that differs is only named (its value can be kilobytes of JSON).
fn different_jobs(
    first: &Found,
    f: &Found,
    a: &serde_json::Value,
    b: &serde_json::Value,
) -> String {
    let short = |x: String| -> String {
        if x.chars().count() > 40 { String::from("(a different text)") } else { x }
    };
    let shown = |x: Option<String>| short(x.unwrap_or_else(|| String::from("nothing")));
    let (m, n) = (&first.manifest, &f.manifest);
    let num = |x: Option<u64>| x.map(|x| x.to_string());
    let facts: [(&str, &str, Option<String>, Option<String>); 7] = [
        ("kind", "kind", Some(m.kind.name().into()), Some(n.kind.name().into())),
        ("scenario", "scenario", m.scenario.clone(), n.scenario.clone()),
        (
            "format",
            "table format",
            m.format.map(|x| x.name().into()),
            n.format.map(|x| x.name().into()),
        ),
        ("runs", "runs", num(m.runs), num(n.runs)),
        ("seed", "master seed", num(m.seed), num(n.seed)),
        ("trajectories", "trajectories kept", num(m.trajectories), num(n.trajectories)),
        ("sweep_toml", "sweep file", m.sweep_toml.clone(), n.sweep_toml.clone()),
    ];
    // Each fact as the design compares it (a sweep's runs are its shard's own, not compared).
    let differs = |k: &str| a.get(k) != b.get(k);
    let main: Vec<String> = facts
        .iter()
        .filter(|(k, ..)| differs(k))
        .map(|(_, words, x, y)| format!("{words} {} vs {}", shown(x.clone()), shown(y.clone())))
        .collect();
    let mut others: Vec<&str> = a
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .chain(b.as_object().into_iter().flatten().map(|(k, _)| k.as_str()))
        .filter(|k| differs(k) && !facts.iter().any(|(key, ..)| key == k))
        .collect();
    others.sort_unstable();
    others.dedup();
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(" (also differ: {})", others.join(", "))
    };
    let head =
        if main.is_empty() { String::from("their settings differ") } else { main.join("; ") };
    format!(
        "{} and {} are shards of different jobs: {head}{also}",
        first.dir.display(),
        f.dir.display()
    )
}

/// Checks that `found` is one whole job: one design, every index once.
fn check_set(found: &mut [Found]) -> Result<()> {
    found.sort_by_key(|f| f.index);
    let first = &found[0];
    let count = first.count;
    for f in found.iter().skip(1) {
        if f.count != count {
            return Err(input(format!(
                "{} is shard {} of {}, but {} is shard {} of {}: shards of different splits",
                f.dir.display(),
                f.index,
                f.count,
                first.dir.display(),
                first.index,
                count
            )));
        }
        let (a, b) = (design_of(&first.manifest), design_of(&f.manifest));
        if a != b {
            return Err(input(different_jobs(first, f, &a, &b)));
        }
    }
    for w in found.windows(2) {
        if w[0].index == w[1].index {
            return Err(input(format!(
                "shard {} of {count} is given twice: {} and {}",
                w[0].index,
                w[0].dir.display(),
                w[1].dir.display()
            )));
        }
    }
    let missing: Vec<u64> =
        (0..count).filter(|i| found.binary_search_by_key(i, |f| f.index).is_err()).collect();
    if let Some(&m) = missing.first() {
        let list: Vec<String> = missing.iter().map(u64::to_string).collect();
        return Err(input(format!(
            "{} of {count} shards missing (index {}); for shard {m}: {}",
            missing.len(),
            list.join(", "),
            rerun_hint(m, count, &found[0].manifest)
        )));
    }
    Ok(())
}

/// Puts the shard folders of one job back together in `out`: the folder the unsplit job would
/// have written (or, for a calibration's wave, takes the wave in).
pub fn merge(args: &MergeSpec, hooks: Hooks<'_>) -> Result<Merged> {
    let mut found = args.dirs.iter().map(|d| read_shard(d)).collect::<Result<Vec<_>>>()?;
    check_set(&mut found)?;
    let out = &args.out;
    if found[0].manifest.kind == Kind::CalibrateWave {
        for f in &found {
            let listed = f.manifest.shard.as_ref().map(|s| s.rows);
            let scores: Option<u64> = std::fs::read(f.dir.join("scores.json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| v["scores"].as_array().map(|a| a.len() as u64));
            if scores != listed {
                return Err(input(format!(
                    "{}: scores.json is missing or does not hold the {} scores its manifest records",
                    f.dir.display(),
                    listed.unwrap_or(0)
                )));
            }
        }
        let shards: Vec<(PathBuf, Manifest)> =
            found.into_iter().map(|f| (f.dir, f.manifest)).collect();
        let text = crate::calibrate::absorb_wave(&shards, out, &args.command_line, hooks)?;
        return Ok(Merged { dir: out.clone(), text, status: format!("wrote {}\n", out.display()) });
    }
    if found.iter().any(|f| same_folder(&f.dir, out)) {
        return Err(input(format!("--out {} is one of the shards", out.display())));
    }
    let kind = found[0].manifest.kind;
    let files: &[&str] = if kind == Kind::Sweep { &SWEEP_FILES } else { &BATCH_FILES };
    guard_out_dir(out, files, args.force)?;
    let created = !out.exists();
    crate::inputs::create_out(out)?;
    // The merge is written into a hidden folder inside --out and moved in only when whole: a
    // damaged shard found halfway leaves --out as it was (with --force, its earlier results
    // were lost before).
    let stage = out.join(STAGE);
    let _ = std::fs::remove_dir_all(&stage);
    let written = crate::inputs::create_out(&stage)
        .and_then(|()| write_merged(&found, &stage, kind, &args.command_line));
    let rows = match written {
        Ok(rows) => {
            publish(&stage, out, files)?;
            rows
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&stage);
            if created {
                let _ = std::fs::remove_dir(out);
            }
            return Err(e);
        }
    };
    Ok(Merged {
        dir: out.clone(),
        text: String::new(),
        status: format!(
            "merged {} shards ({rows} runs) of a {}\nwrote {}\n",
            found.len(),
            kind.name(),
            out.display()
        ),
    })
}

/// Where a merge is written before it replaces what --out held.
const STAGE: &str = ".merge.partial";

/// Moves a finished merge from `stage` into `out`: the earlier results of its kind go first,
/// then each table, the manifest last (a folder with a manifest is a finished folder).
fn publish(stage: &Path, out: &Path, files: &[&str]) -> Result<()> {
    for f in files.iter().chain(["record.csv", "record_check.csv"].iter()) {
        if !stage.join(f).exists() {
            let _ = std::fs::remove_file(out.join(f));
        }
    }
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(stage)
        .context(|| format!("reading {}", stage.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    names.sort_by_key(|n| n == "manifest.json");
    for n in names {
        std::fs::rename(stage.join(&n), out.join(&n)).context(|| {
            format!("moving the merged {} into {}", n.to_string_lossy(), out.display())
        })?;
    }
    std::fs::remove_dir(stage).context(|| format!("removing {}", stage.display()))?;
    Ok(())
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Concatenates the shards' table `stem` (`runs`) into `out`: CSV directly, Parquet through
/// CSV (each shard's file written back as the CSV it was made from, the whole converted once,
/// so the row groups fall where the unsplit file has them). With `rows`, each shard's part must
/// hold the rows its manifest records; with `renumber`, the first column is renumbered.
fn merge_table(
    found: &[Found],
    out: &Path,
    stem: &str,
    rows: bool,
    renumber: bool,
    parquet: bool,
) -> Result<u64> {
    let csv = format!("{stem}.csv");
    // A batch's runs carry every run of the shard's slice in order (column `run`); a sweep's
    // carry its points (column `point`, renumbered runs); trajectories the runs kept.
    let key = |f: &Found| -> Option<Key> {
        let (column, consecutive) = match (stem, renumber) {
            ("runs", false) => (0, true),
            ("runs", true) => (1, false),
            _ => (0, false),
        };
        Some(Key { column, slice: f.slice.clone(), consecutive })
    };
    let part = |f: &Found, path: PathBuf| Part { path, rows: rows.then_some(f.rows), key: key(f) };
    if !parquet {
        let parts: Vec<Part> = found.iter().map(|f| part(f, f.dir.join(&csv))).collect();
        return Ok(concat(&out.join(&csv), &parts, renumber)?);
    }
    let name = format!("{stem}.parquet");
    let temporary: Vec<PathBuf> =
        (0..=found.len()).map(|i| out.join(format!(".{stem}.merge-{i}.csv.partial"))).collect();
    let result = (|| -> Result<u64> {
        let mut parts = Vec::new();
        for (f, tmp) in found.iter().zip(&temporary) {
            parquet_to_csv(&f.dir.join(&name), tmp)?;
            parts.push(part(f, tmp.clone()));
        }
        let whole = &temporary[found.len()];
        let n = concat(whole, &parts, renumber)?;
        let kinds = kinds_of(&found[0].dir.join(&name))?;
        csv_to_parquet(whole, &out.join(&name), &kinds)?;
        Ok(n)
    })();
    for t in &temporary {
        let _ = std::fs::remove_file(t);
    }
    result
}

/// Writes the merged folder; returns the number of runs.
fn write_merged(found: &[Found], out: &Path, kind: Kind, command_line: &[String]) -> Result<u64> {
    let first = &found[0].manifest;
    let parquet = first.table_format() == TableFormat::Parquet;
    // A sweep's summary and outcomes rows carry their point (column 1) inside the shard's slice.
    let table = |name: &str, rows: bool| -> Vec<Part> {
        found
            .iter()
            .map(|f| Part {
                path: f.dir.join(name),
                rows: rows.then_some(f.rows),
                key: Some(Key { column: 1, slice: f.slice.clone(), consecutive: false }),
            })
            .collect()
    };
    let others =
        |name: &str| -> Vec<PathBuf> { found[1..].iter().map(|f| f.dir.join(name)).collect() };
    let rows = if kind == Kind::Sweep {
        copy_identical(
            &out.join("points.csv"),
            &found[0].dir.join("points.csv"),
            &others("points.csv"),
        )?;
        // An adaptive shard numbers its runs from 0; renumbering gives every shard's rows
        // their place in the whole table (for fixed replication it rewrites the same numbers).
        let rows = merge_table(found, out, "runs", true, true, parquet)?;
        concat(&out.join("summary.csv"), &table("summary.csv", false), false)?;
        concat(&out.join("outcomes.csv"), &table("outcomes.csv", false), false)?;
        if let Some(method) = crate::sweep::method_of(first) {
            write_folder_sensitivity(out, method, first.seed.unwrap_or(0))?;
        }
        rows
    } else {
        let text = first.resolved_scenario_toml.as_deref().unwrap_or("");
        let document: toml::Table = toml::from_str(text).map_err(|e| {
            input(format!(
                "{}: resolved_scenario_toml does not parse: {e}",
                found[0].dir.join("manifest.json").display()
            ))
        })?;
        let scenario = Arc::new(sidelines_scenario::from_document(&document)?);
        let sim = Simulation::new(scenario.clone())?;
        let plan = Plan {
            points: vec![scenario],
            replicates: 1,
            master_seed: 0,
            trajectories: 0,
            timeseries: true,
            common_random_numbers: false,
            first_point: 0,
            per_run: None,
        };
        let mut aggregators = empty_aggregators(&plan)?;
        for f in found {
            add_shard_state(&f.dir, (f.index, f.count, f.rows), &mut aggregators)?;
        }
        let rows = merge_table(found, out, "runs", true, false, parquet)?;
        if first.trajectories.unwrap_or(0) > 0 {
            merge_table(found, out, "trajectories", false, false, parquet)?;
        }
        for name in first.files.iter().flatten() {
            copy_identical(&out.join(name), &found[0].dir.join(name), &others(name))?;
        }
        if kind == Kind::Replay {
            let check = crate::replay::record_check(&sim, &aggregators[0]);
            sidelines_report::write_atomic(
                &out.join("record_check.csv"),
                &crate::replay::check_csv(&check)?,
            )?;
        }
        write_tables(out, &sim, &aggregators)?;
        rows
    };
    let elapsed: f64 = found.iter().filter_map(|f| f.manifest.elapsed_seconds).sum();
    let manifest = Manifest {
        shard: None,
        command: command_line.to_vec(),
        elapsed_seconds: Some(elapsed),
        runs_per_second: Some(if elapsed > 0.0 { rows as f64 / elapsed } else { 0.0 }),
        resumed_from_run: first.resumed_from_run.map(|_| 0),
        runs: if kind == Kind::Sweep { Some(rows) } else { first.runs },
        merged_from: Some(
            found
                .iter()
                .map(|f| manifest::Merged {
                    folder: f.dir.display().to_string(),
                    index: f.index,
                    threads: f.manifest.threads,
                    elapsed_seconds: f.manifest.elapsed_seconds,
                    slurm: f.manifest.shard.as_ref().and_then(|s| s.slurm.clone()),
                })
                .collect(),
        ),
        ..first.clone()
    };
    manifest.write(out)?;
    Ok(rows)
}
