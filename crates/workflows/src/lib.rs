//! The sidelines workflows as a library: each one a function from a typed specification to a
//! typed result. Progress goes to a `Progress`, a stop flag ends a job at its next checkpoint,
//! and errors say whether the input, the machine or a stop request ended it (`Error`). Nothing
//! here prints, parses arguments or exits: the command line (`src/`) and the Python package
//! (`python/`) do that around these calls.

pub mod analyze;
pub mod batch;
pub mod branches;
pub mod calibrate;
pub mod choose;
pub mod claims;
pub mod cv;
pub mod error;
pub mod evaluate;
pub mod exec;
pub mod inputs;
pub mod merge;
pub mod posterior;
pub mod prim;
pub mod replay;
pub mod rerun;
pub mod shard;
pub mod sweep;
pub mod tables;

pub use batch::{Batch, BatchSpec, Job, batch};
pub use error::{Error, Result};
pub use exec::{Exec, Hooks, Progress, Silent};
pub use replay::{ReplaySpec, Replayed, replay};
pub use sidelines_experiment::MAX_SEED;
