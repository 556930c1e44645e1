//! GNU ld map files (`--map`): any text must parse or give an error. A map that parses is
//! used as `--map` is, on the C++ fixture the seeds' map belongs to: its Memory
//! Configuration as the regions (when it has one), and its archive, object and fill per
//! symbol and per gap; every rollup must still add up to each region's `used + reserved`.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use membudget::analyze::attribution::Sources;
use membudget::analyze::rollup::By;
use membudget::analyze::{self, Options};
use membudget::elf::{self, Image};
use membudget::error::Error;
use membudget::mapfile;
use membudget::memory::Region;

#[path = "common.rs"]
mod common;

fn image() -> &'static Image {
    static IMAGE: OnceLock<Image> = OnceLock::new();
    IMAGE.get_or_init(|| {
        elf::load_bytes(include_bytes!("../../fixtures/cpp-m4.elf"), "cpp-m4.elf")
            .expect("fixture loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(map) = mapfile::parse(&text, "fuzz.map") else {
        return;
    };
    let regions: Vec<Region> = map
        .regions
        .iter()
        .map(|r| Region::new(r.name.clone(), r.origin, r.length))
        .collect();
    let opts = Options {
        regions,
        sources: Sources {
            map: Some(Arc::new(map)),
            ..Default::default()
        },
        ..Default::default()
    };
    let report = match analyze::analyze(image(), &opts) {
        Ok(r) => r,
        Err(Error::Internal(m)) => panic!("internal error: {m}"),
        Err(_) => return,
    };
    common::check_and_render(&report, &[By::Section, By::Archive, By::Object, By::Symbol]);
});
