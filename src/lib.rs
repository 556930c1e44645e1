//! membudget: where every byte of a firmware ELF goes, per memory region.
//!
//! Data flows one way: [`elf::load_path`] reads the ELF into an [`elf::Image`], regions
//! come from a linker script ([`memory::linker`]), a chip preset ([`memory::chips`]), a budget file
//! or inference, [`report::analyze`] attributes every byte, and the renderers format the
//! resulting [`report::Report`].

pub mod attribution;
pub mod budget;
pub mod demangle;
pub mod dwarf;
pub mod elf;
pub mod error;
pub mod mapfile;
pub mod memory;
pub mod render;
pub mod report;
pub mod rollup;

pub use error::Error;
