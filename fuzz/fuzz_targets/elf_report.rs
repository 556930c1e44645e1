//! ELF bytes → load → analyze (regions inferred, from a memory map with nested regions and
//! a reservation, and from a chip preset) → every output format, every rollup, and the
//! snapshot a baseline is made of. Bad input must be an error. An internal error (totals
//! that fail to add up) is a bug and fails the target like a panic, and so does a rollup
//! whose rows do not add up to its region's `used + reserved`.
#![no_main]

use std::collections::BTreeMap;
use std::io;

use libfuzzer_sys::fuzz_target;
use membudget::analyze::rollup::{self, By};
use membudget::analyze::{self, Options};
use membudget::diff::Snapshot;
use membudget::error::Error;
use membudget::memory::{source, Region, Reservation};
use membudget::render::{self, Format, View};
use membudget::report::Report;

fn option_sets() -> Vec<Options> {
    let map = Options {
        regions: vec![
            Region::new("LOW", 0, 0x1000),
            Region::new("FLASH", 0x0800_0000, 0x10_0000),
            Region::new("RAM", 0x2000_0000, 0x2_0000),
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
    let chip = source::resolve(None, &Default::default(), None, Some("p2")).expect("p2 preset exists");
    vec![Options::default(), map, Options::from(chip)]
}

/// Every region's rollup rows add up to its `used + reserved` (README, `--by`).
fn check_rollup(report: &Report, by: By) {
    let r = rollup::rollup(report, by);
    let mut sums: BTreeMap<&str, u128> = BTreeMap::new();
    for row in &r.rows {
        if let Some(region) = &row.region {
            *sums.entry(region.as_str()).or_default() += u128::from(row.bytes);
        }
    }
    for reg in &report.regions {
        let want = u128::from(reg.used) + u128::from(reg.reserved);
        let got = sums.get(reg.name.as_str()).copied().unwrap_or(0);
        assert_eq!(
            got, want,
            "--by {by:?}: rows of {} add up to {got}, not {want}",
            reg.name
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(image) = membudget::elf::load_bytes(data, "fuzz.elf") else {
        return;
    };
    for opts in option_sets() {
        let report = match analyze::analyze(&image, &opts) {
            Ok(r) => r,
            Err(Error::Internal(m)) => panic!("internal error: {m}"),
            Err(_) => continue,
        };
        for format in [Format::Table, Format::Json, Format::Csv, Format::Markdown] {
            let view = View { top: 3, by: None, depth: 0 };
            render::render_report(&report, &view, format, &mut io::sink()).expect("sink");
        }
        for (_, by) in By::ALL {
            check_rollup(&report, by);
            let view = View {
                top: 3,
                by: Some(by),
                depth: 0,
            };
            render::render_report(&report, &view, Format::Table, &mut io::sink()).expect("sink");
        }
        let snap = Snapshot::from_report(&report, 0);
        serde_json::to_vec(&snap).expect("snapshot serializes");
    }
});
