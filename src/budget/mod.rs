//! Memory budgets: a golden budget file per firmware image (what people write: regions,
//! reservations, limits, group budgets, growth tolerances; and the baseline that `bless`
//! records), and checking a report against it.
//!
//! No file I/O, no environment, no output here: the caller reads the text, and renderers
//! turn the [`CheckResult`] into sentences.

pub mod eval;
pub mod file;
pub mod finding;
pub mod init;
pub mod matching;
pub mod model;
pub mod position;

pub use eval::{evaluate, CheckResult, Status};
pub use finding::Finding;
pub use model::{BudgetFile, BUDGET_SCHEMA};
