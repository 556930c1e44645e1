//! The memory map: regions, reservations, and where they come from (a GNU ld linker
//! script, a chip preset, a budget file, or inference from the ELF).

pub mod chips;
pub mod linker;
pub mod region;
pub mod size;
pub mod source;

pub use region::{Region, Reservation};
