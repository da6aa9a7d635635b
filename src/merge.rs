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
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use sidelines_experiment::{Plan, Shard, empty_aggregators};
use sidelines_model::Simulation;
use sidelines_report::batch::{BATCH_FILES, add_shard_state, write_tables};
use sidelines_report::checkpoint::CHECKPOINT;
use sidelines_report::parquet::{csv_to_parquet, kinds_of, parquet_to_csv};
use sidelines_report::shard::{Part, concat, copy_identical};
use sidelines_report::sweep::{SWEEP_FILES, write_folder_sensitivity};

use crate::{guard_out_dir, input_error};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines batch --runs 100000 --shard 0/3 --out shards/0   (and 1/3, 2/3 elsewhere)
  sidelines merge shards/0 shards/1 shards/2 --out merged
  sidelines merge shards/* --out merged      (the order of the folders does not matter)")]
pub struct Args {
    /// The shard folders (written with --shard), in any order.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// The folder to write: what the unsplit job would have written.
    #[arg(long)]
    pub out: PathBuf,
    /// Write into --out even if it already holds results.
    #[arg(long)]
    pub force: bool,
}

/// Manifest fields that describe how a folder was produced rather than what it holds: they
/// may differ between shards and between a merged folder and an unsplit one.
pub(crate) const CIRCUMSTANCES: [&str; 7] = [
    "command",
    "threads",
    "elapsed_seconds",
    "runs_per_second",
    "resumed_from_run",
    "shard",
    "merged_from",
];

/// `--shard I/N`, `--shard slurm` (SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT) or
/// `--shard slurm/N` (the task's index of N: a task re-submitted alone, `sbatch --array=3`,
/// sees a count of 1).
pub(crate) fn shard(spec: Option<&str>) -> Result<Option<Shard>> {
    let Some(spec) = spec else { return Ok(None) };
    let env = |name: &str| -> Result<u64> {
        let v = std::env::var(name).map_err(|_| {
            input_error(format!(
                "--shard {spec}: {name} is not set (is this a Slurm array task? Outside Slurm give --shard I/N)"
            ))
        })?;
        v.trim().parse().map_err(|_| {
            input_error(format!("--shard {spec}: {name} is `{v}`, not a whole number"))
        })
    };
    let number = |text: &str, what: &str| -> Result<u64> {
        text.trim().parse().map_err(|_| {
            input_error(format!(
                "--shard {spec}: the {what} `{text}` is not a whole number (write I/N, e.g. 0/8, or slurm)"
            ))
        })
    };
    let (index, count) = match spec.split_once('/') {
        None if spec == "slurm" => {
            let min = std::env::var("SLURM_ARRAY_TASK_MIN").ok().and_then(|v| v.parse().ok());
            (env("SLURM_ARRAY_TASK_ID")? - min.unwrap_or(0), env("SLURM_ARRAY_TASK_COUNT")?)
        }
        Some(("slurm", n)) => (env("SLURM_ARRAY_TASK_ID")?, number(n, "count")?),
        Some((i, n)) => (number(i, "index")?, number(n, "count")?),
        None => {
            return Err(input_error(format!(
                "--shard {spec}: write I/N (shard I of N, from 0), e.g. 0/8, or slurm"
            )));
        }
    };
    if count == 0 || count > 1_000_000 {
        return Err(input_error(format!(
            "--shard {spec}: the count must be between 1 and 1,000,000"
        )));
    }
    if index >= count {
        return Err(input_error(format!(
            "--shard {spec}: index {index} is not below the count {count} (shards are numbered 0 to {})",
            count - 1
        )));
    }
    Ok(Some(Shard { index, count }))
}

/// The manifest without the fields that may differ between shards (and `runs` of a sweep,
/// which counts the shard's own rows): what every shard of one job shares.
fn design_of(manifest: &serde_json::Value) -> serde_json::Value {
    let mut m = manifest.clone();
    if let Some(o) = m.as_object_mut() {
        for k in CIRCUMSTANCES {
            o.remove(k);
        }
        if o.get("kind").and_then(|k| k.as_str()) == Some("sweep") {
            o.remove("runs");
        }
    }
    m
}

/// FNV-1a (64 bits) of the design's JSON, in hex: a short name for "the same job".
fn design_hash(manifest: &serde_json::Value) -> String {
    let text = design_of(manifest).to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Adds the `shard` object to a shard's manifest.
pub(crate) fn mark_shard(
    manifest: &mut serde_json::Value,
    shard: Shard,
    units: &str,
    slice: std::ops::Range<u64>,
    rows: u64,
) {
    let var = |k: &str| std::env::var(k).ok();
    let slurm = var("SLURM_JOB_ID").map(|job| {
        serde_json::json!({
            "job_id": job,
            "array_job_id": var("SLURM_ARRAY_JOB_ID"),
            "array_task_id": var("SLURM_ARRAY_TASK_ID"),
            "job_name": var("SLURM_JOB_NAME"),
            "node": var("SLURMD_NODENAME"),
        })
    });
    let design = design_hash(manifest);
    if let Some(m) = manifest.as_object_mut() {
        m.insert(
            String::from("shard"),
            serde_json::json!({
                "index": shard.index,
                "count": shard.count,
                "units": units,
                "first": slice.start,
                "end": slice.end,
                "rows": rows,
                "design": design,
                "slurm": slurm,
            }),
        );
    }
}

/// What a finished shard prints.
pub(crate) fn shard_done(
    shard: Shard,
    units: &str,
    slice: std::ops::Range<u64>,
    dir: &Path,
    elapsed: f64,
) -> Result<ExitCode> {
    crate::status(&format!(
        "shard {} of {}: {units} {} to {} ({} {units}) in {elapsed:.1} s\nwrote {}\n",
        shard.index,
        shard.count,
        slice.start,
        slice.end,
        slice.end - slice.start,
        dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// One shard folder, read and checked.
struct Found {
    dir: PathBuf,
    manifest: serde_json::Value,
    index: u64,
    count: u64,
    rows: u64,
}

/// Reads a shard folder's manifest; an unfinished or foreign folder is refused by name.
fn read_shard(dir: &Path) -> Result<Found> {
    if !dir.is_dir() {
        return Err(input_error(format!("{} is not a folder", dir.display())));
    }
    let path = dir.join("manifest.json");
    if !path.is_file() {
        let checkpoint = dir.join(CHECKPOINT);
        if checkpoint.is_file() {
            let shard = std::fs::read(&checkpoint)
                .ok()
                .and_then(|b| {
                    let line = b.split(|c| *c == b'\n').nth(1)?.to_vec();
                    serde_json::from_slice::<serde_json::Value>(&line).ok()
                })
                .and_then(|m| {
                    let s = m["identity"]["shard"].as_array()?.clone();
                    Some((s.first()?.as_u64()?, s.get(1)?.as_u64()?))
                });
            let (which, task) = match shard {
                Some((i, n)) => (format!(" (shard {i} of {n})"), i.to_string()),
                None => (String::new(), String::from("I")),
            };
            return Err(input_error(format!(
                "{} is an unfinished shard{which}: it holds a checkpoint and no manifest. \
Finish it by running its command again with --resume (in Slurm: `sbatch --array={task} \
JOB_SCRIPT`, whose tasks resume), then merge",
                dir.display()
            )));
        }
        return Err(input_error(format!(
            "{} is not a shard folder: it has no manifest.json",
            dir.display()
        )));
    }
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let manifest: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        input_error(format!(
            "{}:{}:{}: not valid JSON: {}",
            path.display(),
            e.line(),
            e.column(),
            sidelines_report::folder::json_words(&e)
        ))
    })?;
    let shard = &manifest["shard"];
    if !shard.is_object() {
        return Err(input_error(format!(
            "{} is a finished {} folder, not a shard (its manifest has no `shard`): merge takes \
folders written with --shard",
            dir.display(),
            manifest["kind"].as_str().unwrap_or("results")
        )));
    }
    let field = |k: &str| {
        shard[k].as_u64().ok_or_else(|| {
            input_error(format!("{}: shard.{k} is missing or not a whole number", path.display()))
        })
    };
    let (index, count, rows) = (field("index")?, field("count")?, field("rows")?);
    if shard["design"].as_str() != Some(design_hash(&manifest).as_str()) {
        return Err(input_error(format!(
            "{}: the manifest does not match its own design hash (shard.design): it was edited \
after the shard finished",
            path.display()
        )));
    }
    Ok(Found { dir: dir.to_path_buf(), manifest, index, count, rows })
}

/// How to produce a missing shard: its Slurm task, or the command of a sibling.
fn rerun_hint(index: u64, count: u64, sibling: &serde_json::Value) -> String {
    let job = match sibling["shard"]["slurm"]["job_name"].as_str() {
        Some(name) => format!("JOB_SCRIPT` (the script of job {name})"),
        None => String::from("JOB_SCRIPT`"),
    };
    let mut args: Vec<String> = sibling["command"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default();
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

/// Checks that `found` is one whole job: one design, every index once.
fn check_set(found: &mut [Found]) -> Result<()> {
    found.sort_by_key(|f| f.index);
    let first = &found[0];
    let count = first.count;
    for f in found.iter().skip(1) {
        if f.count != count {
            return Err(input_error(format!(
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
            let fields: Vec<String> = a
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, v)| b.get(k.as_str()) != Some(*v))
                .map(|(k, v)| {
                    let shown = |x: Option<&serde_json::Value>| match x {
                        Some(serde_json::Value::String(s)) if s.len() > 40 => {
                            String::from("(a different text)")
                        }
                        Some(x) => x.to_string(),
                        None => String::from("nothing"),
                    };
                    format!(
                        "{k} ({} has {}, {} has {})",
                        first.dir.display(),
                        shown(Some(v)),
                        f.dir.display(),
                        shown(b.get(k.as_str()))
                    )
                })
                .collect();
            return Err(input_error(format!(
                "{} and {} are shards of different jobs; they differ in {}",
                first.dir.display(),
                f.dir.display(),
                if fields.is_empty() {
                    String::from("fields only one of them has")
                } else {
                    fields.join("; ")
                }
            )));
        }
    }
    for w in found.windows(2) {
        if w[0].index == w[1].index {
            return Err(input_error(format!(
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
        return Err(input_error(format!(
            "{} of {count} shards missing (index {}); for shard {m}: {}",
            missing.len(),
            list.join(", "),
            rerun_hint(m, count, &found[0].manifest)
        )));
    }
    Ok(())
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut found = args.dirs.iter().map(|d| read_shard(d)).collect::<Result<Vec<_>>>()?;
    check_set(&mut found)?;
    let out = &args.out;
    if found[0].manifest["kind"] == "calibrate-wave" {
        for f in &found {
            let listed = f.manifest["shard"]["rows"].as_u64();
            let scores: Option<u64> = std::fs::read(f.dir.join("scores.json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| v["scores"].as_array().map(|a| a.len() as u64));
            if scores != listed {
                return Err(input_error(format!(
                    "{}: scores.json is missing or does not hold the {} scores its manifest records",
                    f.dir.display(),
                    listed.unwrap_or(0)
                )));
            }
        }
        let shards: Vec<(PathBuf, serde_json::Value)> =
            found.into_iter().map(|f| (f.dir, f.manifest)).collect();
        crate::calibrate::absorb_wave(&shards, out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if found.iter().any(|f| same_folder(&f.dir, out)) {
        return Err(input_error(format!("--out {} is one of the shards", out.display())));
    }
    let kind = found[0].manifest["kind"].as_str().unwrap_or("").to_string();
    let files: &[&str] = if kind == "sweep" { &SWEEP_FILES } else { &BATCH_FILES };
    guard_out_dir(out, files, args.force)?;
    let created = !out.exists();
    crate::create_out(out)?;
    let written = write_merged(&found, out, &kind);
    if written.is_err() {
        // Nothing half-merged stays behind: the tables written so far go, and the folder if
        // this command made it.
        for f in files.iter().chain(["record.csv", "record_check.csv"].iter()) {
            let _ = std::fs::remove_file(out.join(f));
        }
        if created {
            let _ = std::fs::remove_dir(out);
        }
    }
    let rows = written?;
    crate::status(&format!(
        "merged {} shards ({rows} runs) of a {kind}\nwrote {}\n",
        found.len(),
        out.display()
    ));
    Ok(ExitCode::SUCCESS)
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
    let part = |f: &Found, path: PathBuf| Part { path, rows: rows.then_some(f.rows) };
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
fn write_merged(found: &[Found], out: &Path, kind: &str) -> Result<u64> {
    let first = &found[0].manifest;
    let parquet = first["format"].as_str() == Some("parquet");
    let table = |name: &str, rows: bool| -> Vec<Part> {
        found
            .iter()
            .map(|f| Part { path: f.dir.join(name), rows: rows.then_some(f.rows) })
            .collect()
    };
    let others =
        |name: &str| -> Vec<PathBuf> { found[1..].iter().map(|f| f.dir.join(name)).collect() };
    let rows = if kind == "sweep" {
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
            let seed = first["seed"].as_u64().unwrap_or(0);
            write_folder_sensitivity(out, method, seed)?;
        }
        rows
    } else {
        let text = first["resolved_scenario_toml"].as_str().unwrap_or("");
        let document: toml::Table = toml::from_str(text).map_err(|e| {
            input_error(format!(
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
            add_shard_state(&f.dir, &mut aggregators)?;
        }
        let rows = merge_table(found, out, "runs", true, false, parquet)?;
        if first["trajectories"].as_u64().unwrap_or(0) > 0 {
            merge_table(found, out, "trajectories", false, false, parquet)?;
        }
        for name in first["files"].as_array().into_iter().flatten().filter_map(|n| n.as_str()) {
            copy_identical(&out.join(name), &found[0].dir.join(name), &others(name))?;
        }
        if kind == "replay" {
            let check = crate::replay::record_check(&sim, &aggregators[0]);
            sidelines_report::write_atomic(
                &out.join("record_check.csv"),
                &crate::replay::check_csv(&check)?,
            )?;
        }
        write_tables(out, &sim, &aggregators)?;
        rows
    };
    let mut manifest = first.clone();
    let elapsed: f64 = found.iter().filter_map(|f| f.manifest["elapsed_seconds"].as_f64()).sum();
    if let Some(m) = manifest.as_object_mut() {
        m.remove("shard");
        m.insert(String::from("command"), crate::command_line().into());
        m.insert(String::from("elapsed_seconds"), elapsed.into());
        let rate = if elapsed > 0.0 { rows as f64 / elapsed } else { 0.0 };
        m.insert(String::from("runs_per_second"), rate.into());
        if m.contains_key("resumed_from_run") {
            m.insert(String::from("resumed_from_run"), 0.into());
        }
        if kind == "sweep" {
            m.insert(String::from("runs"), rows.into());
        }
        let from: Vec<serde_json::Value> = found
            .iter()
            .map(|f| {
                serde_json::json!({
                    "folder": f.dir.display().to_string(),
                    "index": f.index,
                    "threads": f.manifest["threads"],
                    "elapsed_seconds": f.manifest["elapsed_seconds"],
                    "slurm": f.manifest["shard"]["slurm"],
                })
            })
            .collect();
        m.insert(String::from("merged_from"), from.into());
    }
    sidelines_report::write_json(&out.join("manifest.json"), &manifest)?;
    Ok(rows)
}
