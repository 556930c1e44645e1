//! The memory map: regions, reservations, and where they come from (a GNU ld linker
//! script, a chip preset, a budget file, or inference from the ELF).

pub mod chips;
// The `linker` helper is splitting this module (lexer, parser, evaluator) and documents
// its error fields there; until then they are exempt.
#[allow(missing_docs)]
pub mod linker;
pub mod region;
pub mod size;
pub mod source;

pub use region::{Region, RegionBounds, Reservation};
