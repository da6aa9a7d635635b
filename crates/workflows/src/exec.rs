//! The scaffolding every workflow that fills a results folder shares: where it writes, how many
//! workers, how often it checkpoints, how it reports progress and how it is stopped.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use sidelines_report::TableFormat;

/// How a job runs: its folder, workers, checkpoints and table format. Results do not depend on
/// `threads`, `checkpoint_every` or `runs_per_world`.
#[derive(Clone, Debug)]
pub struct Exec {
    /// Worker threads (None: `RAYON_NUM_THREADS`, else one per core); see `inputs::threads`.
    pub threads: Option<u64>,
    /// The results folder (None: outputs/<name>/<date>T<time>Z/).
    pub out: Option<PathBuf>,
    /// Continue an interrupted job in `out` (None: the latest unfinished one).
    pub resume: bool,
    /// Write into `out` even if it holds results.
    pub force: bool,
    /// How the runs and trajectories tables are written.
    pub format: TableFormat,
    /// `I/N`, `slurm` or `slurm/N`: run only that shard (see `shard::parse`).
    pub shard: Option<String>,
    /// Time between checkpoints (zero: after every block).
    pub checkpoint_every: Duration,
    /// Runs simulated side by side in one world.
    pub runs_per_world: u64,
    /// The command recorded in the manifest (the program named `sidelines`).
    pub command_line: Vec<String>,
}

impl Default for Exec {
    fn default() -> Exec {
        Exec {
            threads: None,
            out: None,
            resume: false,
            force: false,
            format: TableFormat::Csv,
            shard: None,
            checkpoint_every: Duration::from_secs(5),
            runs_per_world: sidelines_experiment::RUNS_PER_WORLD,
            command_line: vec![String::from("sidelines")],
        }
    }
}

impl Exec {
    /// The flags that must be given again to continue an interrupted job (besides --out and
    /// --resume).
    pub fn continue_flags(&self) -> String {
        let mut f = String::new();
        if let Some(s) = &self.shard {
            f.push_str(&format!(" --shard {s}"));
        }
        if self.format == TableFormat::Parquet {
            f.push_str(" --format parquet");
        }
        f
    }
}

/// Told how far a job has got. The command line draws a bar; Python updates tqdm.
pub trait Progress: Send {
    /// The job starts (or resumes) at `done` of `total` units.
    fn begin(&mut self, _done: u64, _total: u64) {}
    /// `done` units are finished.
    fn update(&mut self, done: u64);
    /// The job has stopped, finished or not.
    fn end(&mut self) {}
    /// Something the person running the job should know (a resume that starts over).
    fn note(&mut self, _message: &str) {}
}

/// No progress reports.
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn update(&mut self, _done: u64) {}
}

/// What a running job listens to: its progress and its stop flag (set it and the job stops at
/// the end of the current block, after a checkpoint, with `Error::Interrupted`).
pub struct Hooks<'a> {
    pub progress: &'a mut dyn Progress,
    pub stop: &'a AtomicBool,
}

impl std::fmt::Debug for Hooks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks").finish_non_exhaustive()
    }
}
