//! The integration test suite: one binary, one module per concern.
//!
//! - `cli`: the binary as a user drives it (exit codes, files, broken inputs).
//! - `determinism`: same seed, same bytes; reused simulations equal fresh ones.
//! - `analytic`: the belief update against its closed form.
//! - `validity`: the article's causal claims, in Monte Carlo expectation with confidence
//!   intervals.
//! - `schedule`: the day's systems are totally ordered where they conflict.

mod analytic;
mod cli;
mod common;
mod determinism;
mod schedule;
mod validity;
