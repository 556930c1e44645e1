//! membudget: where every byte of a firmware ELF goes, per memory region.
//!
//! Data flows one way, each module using only those above it in this list:
//!
//! 1. [`elf`]: [`elf::load_path`] memory-maps an ELF and reads it into an [`elf::Image`]
//!    (sections as `size -A` lists them, symbols as `nm -S` does); [`demangle`] names them.
//!    Optional inputs beside it: [`dwarf`] reads source file, line, compile unit and crate
//!    per symbol from the DWARF, [`mapfile`] a GNU ld `-Map` file (input sections with
//!    their object and archive, and the memory regions).
//! 2. [`memory`]: the [`memory::Region`]s to account against and the
//!    [`memory::Reservation`]s inside them, from a GNU ld script ([`memory::linker`]), a chip
//!    preset ([`memory::chips`]), a budget file, or none (the analysis infers them);
//!    [`memory::source::resolve`] picks one.
//! 3. [`analyze`]: [`analyze::analyze`] attributes every byte of the image to a region, a
//!    section and a symbol, finds stack and heap, checks that the totals add up, and
//!    returns a [`report::Report`]; [`analyze::rollup`] groups it by a key.
//! 4. [`report`]: the report types, plain data (Serialize + Deserialize).
//! 5. [`diff`]: a report reduced to a [`diff::Snapshot`] (the baseline of a budget), and
//!    the [`diff::Delta`] between two snapshots.
//! 6. [`budget`]: the budget file model and its validation, and [`budget::evaluate`],
//!    which checks a report against it: one function per rule, findings as data.
//! 7. [`dashboard`]: a series of reports (one per build) reduced to region totals over time
//!    and the largest growers between consecutive builds.
//! 8. [`render`]: one [`render::Format`] enum; table, Markdown, CSV, JSON and HTML views of a
//!    report, a check result and a diff ([`render::html`] also draws the dashboard). Renderers
//!    compute nothing; they make the sentences.
//! 9. [`schema`]: the JSON Schemas of report, check, diff, budget and baseline documents,
//!    generated from these types.
//!
//! Beside this pipeline, [`stack`] bounds the worst-case stack from the machine code
//! (Thumb decoder, call graph, vector-table roots, DWARF CFI cross-check); its summary
//! ([`stack::StackNeed`]) joins the report and the budget check.
//!
//! The `membudget` binary (`src/cli/`) is the only place that parses arguments, reads
//! environment variables and files, writes output, and maps outcomes to exit codes.

#![deny(missing_docs)]

pub mod analyze;
pub mod budget;
pub mod dashboard;
pub mod demangle;
pub mod diff;
pub mod dwarf;
pub mod elf;
pub mod error;
pub mod mapfile;
pub mod memory;
pub mod render;
pub mod report;
pub mod schema;
pub mod stack;

pub use error::Error;
