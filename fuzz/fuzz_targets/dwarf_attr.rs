//! DWARF attribution (`--dwarf`, `--by file|dir|cu|crate`): ELF bytes with debug sections
//! → DWARF read (never fails: problems are a note) → analysis with source attribution →
//! every source rollup, whose rows must add up to each region's `used + reserved`, in
//! every format.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use membudget::analyze::attribution::Sources;
use membudget::analyze::rollup::By;
use membudget::analyze::{self, Options};
use membudget::dwarf;
use membudget::error::Error;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(image) = membudget::elf::load_bytes(data, "fuzz.elf") else {
        return;
    };
    let debug = dwarf::read(data);
    let opts = Options {
        sources: Sources {
            dwarf: Some(Arc::new(debug)),
            ..Default::default()
        },
        ..Default::default()
    };
    let report = match analyze::analyze(&image, &opts) {
        Ok(r) => r,
        Err(Error::Internal(m)) => panic!("internal error: {m}"),
        Err(_) => return,
    };
    common::check_and_render(
        &report,
        &[By::File, By::Dir, By::Cu, By::Crate, By::Section],
    );
});
