//! membudget: where every byte of a firmware ELF goes, per memory region.
//!
//! Data flows one way: [`elf::load_path`] reads the ELF into an [`elf::Image`], regions
//! come from a linker script ([`linker_script`]), a chip preset ([`chips`]), a budget file
//! or inference, [`report::analyze`] attributes every byte, and the renderers format the
//! resulting [`report::Report`].

pub mod budget;
pub mod chips;
pub mod demangle;
pub mod elf;
pub mod error;
pub mod linker_script;
pub mod region;
pub mod render;
pub mod report;
pub mod rollup;
pub mod source;

pub use error::Error;
