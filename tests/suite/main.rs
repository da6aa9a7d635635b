//! The integration test suite: one binary, one module per concern.
//!
//! - `cli`: the binary as a user drives it (exit codes, files, folders).
//! - `bad`: bad input as data: the cases under `tests/bad/` and their expected diagnostics.
//! - `batch`: Monte Carlo batches: thread counts, kill and resume, re-runs, statistics.
//! - `determinism`: same seed, same bytes; reused simulations equal fresh ones.
//! - `analytic`: the belief update against its closed form.
//! - `validity`: the article's causal claims, in Monte Carlo expectation with confidence
//!   intervals.
//! - `schedule`: the day's systems are totally ordered where they conflict.
//! - `disk`: a full disk (a small tmpfs where mounting is allowed) or a refused write: words,
//!   exit 1, nothing half-written, a resume that finishes.
//! - `folders`: damaged results folders refused by name before anything reads them.
//! - `shards`: jobs split with --shard and put back together by `merge`, byte for byte.
//! - `sweep`: parameter sweeps and sensitivity analysis from the command line.
//! - `charts`: charts are valid PNG and SVG; the report is self-contained.
//! - `explore`: the explorer over HTTP: its page and model, runs equal to the batch's, bad
//!   requests, one explorer per port, saved scenarios.
//! - `xlsx`: the workbook read back by an independent reader.
//! - `same_results`: the 2025 model gives each scenario's recorded rows for 200 seeds.
//! - `hardening`: hostile inputs and faults of the second round (issue 28).
//! - `mechanisms`: each mechanism added after 2025 against its switch; every episode replays.
//! - `rest`: day 0 is at rest for any prior: no events, nothing moves.
//! - `robustness`: no input reachable from a file or a parameter path makes the tool panic,
//!   and the model's invariants hold for any valid scenario.

mod analytic;
mod bad;
mod bad_commands;
mod bad_timelines;
mod batch;
mod branches;
mod calibrate;
mod charts;
mod choose;
mod claims;
mod cli;
mod common;
mod determinism;
mod disk;
mod episode;
mod explore;
mod folders;
mod hardening;
mod json;
mod mechanisms;
mod prim;
mod replay;
mod rerun;
mod rest;
mod robustness;
mod same_results;
mod sbc;
mod schedule;
mod shards;
mod sweep;
mod validity;
mod xlsx;
