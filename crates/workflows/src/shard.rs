//! `--shard`: which slice of a job this process runs, and what a shard records about itself
//! (the `shard` object of its manifest) so that `merge` can check the set and put it back
//! together. Every workflow that runs a job reads its `--shard` here; `merge` reads the
//! shards' folders.

use sidelines_experiment::Shard;

use sidelines_report::manifest::{self, Kind, Manifest, Slurm};
use sidelines_report::shard::CIRCUMSTANCES;

use crate::error::{Result, input};

/// `--shard I/N`, `--shard slurm` (SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT) or
/// `--shard slurm/N` (the task's index of N: a task re-submitted alone, `sbatch --array=3`,
/// sees a count of 1).
pub fn parse(spec: Option<&str>) -> Result<Option<Shard>> {
    let Some(spec) = spec else { return Ok(None) };
    let env = |name: &str| -> Result<u64> {
        let v = std::env::var(name).map_err(|_| {
            input(format!(
                "--shard {spec}: {name} is not set (is this a Slurm array task? Outside Slurm give --shard I/N)"
            ))
        })?;
        v.trim()
            .parse()
            .map_err(|_| input(format!("--shard {spec}: {name} is `{v}`, not a whole number")))
    };
    let number = |text: &str, what: &str| -> Result<u64> {
        text.trim().parse().map_err(|_| {
            input(format!(
                "--shard {spec}: the {what} `{text}` is not a whole number (write I/N, e.g. 0/8, or slurm)"
            ))
        })
    };
    let (index, count) = match spec.split_once('/') {
        None if spec == "slurm" => {
            // Every integer from the environment is checked: a minimum that is set must be a
            // whole number, and the task's id cannot be below it (no unsigned underflow).
            let min = match std::env::var("SLURM_ARRAY_TASK_MIN") {
                Ok(_) => env("SLURM_ARRAY_TASK_MIN")?,
                Err(_) => 0,
            };
            let id = env("SLURM_ARRAY_TASK_ID")?;
            let index = id.checked_sub(min).ok_or_else(|| {
                input(format!(
                    "--shard {spec}: SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}"
                ))
            })?;
            (index, env("SLURM_ARRAY_TASK_COUNT")?)
        }
        Some(("slurm", n)) => (env("SLURM_ARRAY_TASK_ID")?, number(n, "count")?),
        Some((i, n)) => (number(i, "index")?, number(n, "count")?),
        None => {
            return Err(input(format!(
                "--shard {spec}: write I/N (shard I of N, from 0), e.g. 0/8, or slurm"
            )));
        }
    };
    if count == 0 || count > 1_000_000 {
        return Err(input(format!("--shard {spec}: the count must be between 1 and 1,000,000")));
    }
    if index >= count {
        return Err(input(format!(
            "--shard {spec}: index {index} is not below the count {count} (shards are numbered 0 to {})",
            count - 1
        )));
    }
    Ok(Some(Shard { index, count }))
}

/// The manifest without the fields that may differ between shards (and `runs` of a sweep,
/// which counts the shard's own rows): what every shard of one job shares.
pub fn design_of(manifest: &Manifest) -> serde_json::Value {
    let mut m = manifest.to_json();
    if let Some(o) = m.as_object_mut() {
        for k in CIRCUMSTANCES {
            o.remove(k);
        }
        if manifest.kind == Kind::Sweep {
            o.remove("runs");
        }
    }
    m
}

/// FNV-1a (64 bits) of the design's JSON, in hex: a short name for "the same job".
pub fn design_hash(manifest: &Manifest) -> String {
    let text = design_of(manifest).to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Sets the `shard` of a shard's manifest.
pub fn mark_shard(
    manifest: &mut Manifest,
    shard: Shard,
    units: &str,
    slice: std::ops::Range<u64>,
    rows: u64,
) {
    let var = |k: &str| std::env::var(k).ok();
    let slurm = var("SLURM_JOB_ID").map(|job_id| Slurm {
        job_id,
        array_job_id: var("SLURM_ARRAY_JOB_ID"),
        array_task_id: var("SLURM_ARRAY_TASK_ID"),
        job_name: var("SLURM_JOB_NAME"),
        node: var("SLURMD_NODENAME"),
    });
    let design = design_hash(manifest);
    manifest.shard = Some(manifest::Shard {
        index: shard.index,
        count: shard.count,
        units: units.to_string(),
        first: slice.start,
        end: slice.end,
        rows,
        design,
        slurm,
    });
}
