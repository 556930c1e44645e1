//! `diff` with a JSON report on one side: JSON text → snapshot → delta against a real
//! firmware image's snapshot (both ways) → every diff format. Any text must give a diff or
//! an error, never a panic.
#![no_main]

use std::io;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use membudget::budget::render::{render_diff, OutFormat};
use membudget::budget::snapshot::{delta, Snapshot};
use membudget::{elf, report};

fn reference() -> &'static Snapshot {
    static SNAP: OnceLock<Snapshot> = OnceLock::new();
    SNAP.get_or_init(|| {
        let image = elf::load_bytes(include_bytes!("../../fixtures/p2.elf"), "p2.elf")
            .expect("fixture loads");
        let report = report::analyze(&image, &Default::default()).expect("fixture analyses");
        Snapshot::from_report(&report, 0)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(snap) = Snapshot::from_report_json(value, 0) else {
        return;
    };
    for d in [
        delta(reference(), &snap),
        delta(&snap, reference()),
        delta(&snap, &snap),
    ] {
        for format in [OutFormat::Table, OutFormat::Markdown, OutFormat::Json] {
            render_diff(&d, format, 3, &mut io::sink()).expect("sink");
        }
    }
});
