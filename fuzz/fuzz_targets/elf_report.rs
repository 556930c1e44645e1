//! ELF bytes → load → analyze (regions inferred, and from a memory map with a reservation)
//! → every output format with every rollup, and the snapshot a baseline is made of. Bad
//! input must be an error; an internal error (totals that fail to add up) is a bug and
//! fails the target like a panic.
#![no_main]

use std::io;

use libfuzzer_sys::fuzz_target;
use membudget::budget::snapshot::Snapshot;
use membudget::error::Error;
use membudget::memory::Region;
use membudget::render::{self, Format, View};
use membudget::report::{self, Options, Reservation};
use membudget::rollup::By;
use membudget::{elf, memory};

fn option_sets() -> Vec<Options> {
    let map = Options {
        regions: vec![
            Region::new("FLASH", 0x0800_0000, 0x10_0000),
            Region::new("RAM", 0x2000_0000, 0x2_0000),
            Region::new("LOW", 0, 0x1000),
            // Nested in RAM, as linker scripts may declare.
            Region::new("RAM_TAIL", 0x2001_0000, 0x1_0000),
        ],
        reservations: vec![Reservation {
            name: "bootloader".into(),
            origin: 0x0800_0000,
            length: 0x4000,
        }],
        ..Default::default()
    };
    let chip = memory::source::resolve(None, None, Some("p2")).expect("p2 preset exists");
    vec![Options::default(), map, chip]
}

fuzz_target!(|data: &[u8]| {
    let Ok(image) = elf::load_bytes(data, "fuzz.elf") else {
        return;
    };
    for opts in option_sets() {
        let report = match report::analyze(&image, &opts) {
            Ok(r) => r,
            Err(Error::Internal(m)) => panic!("internal error: {m}"),
            Err(_) => continue,
        };
        for format in [Format::Table, Format::Json, Format::Csv, Format::Markdown] {
            for by in [
                None,
                Some(By::Region),
                Some(By::Section),
                Some(By::Symbol),
                Some(By::Crate),
                Some(By::File),
            ] {
                let view = View { top: 3, by };
                render::render_report(&report, &view, format, &mut io::sink()).expect("sink");
            }
        }
        let snap = Snapshot::from_report(&report, 0);
        let _ = snap.to_json_text();
    }
});
