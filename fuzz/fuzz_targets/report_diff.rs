//! `diff` with a JSON report or a baseline file on one side: JSON text → report or
//! baseline (as the CLI reads them) → snapshot → delta against a real firmware image's
//! snapshot, both ways and with itself → every diff format. Any text must give a diff or an
//! error, never a panic.
#![no_main]

use std::io;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use membudget::analyze;
use membudget::budget::model::BaselineFile;
use membudget::diff::{delta, Snapshot};
use membudget::elf;
use membudget::render::{self, Format};
use membudget::report::Report;

fn reference() -> &'static Snapshot {
    static SNAP: OnceLock<Snapshot> = OnceLock::new();
    SNAP.get_or_init(|| {
        let image = elf::load_bytes(include_bytes!("../../fixtures/p2.elf"), "p2.elf")
            .expect("fixture loads");
        let report = analyze::analyze(&image, &Default::default()).expect("fixture analyses");
        Snapshot::from_report(&report, 0)
    })
}

fn snapshot(data: &[u8]) -> Option<Snapshot> {
    let value: serde_json::Value = serde_json::from_slice(data).ok()?;
    let schema = value.get("schema")?.as_str()?.to_string();
    if schema.starts_with("membudget.report/") {
        let report: Report = serde_json::from_value(value).ok()?;
        Some(Snapshot::from_report(&report, 0))
    } else if schema.starts_with("membudget.baseline/") {
        let doc: BaselineFile = serde_json::from_value(value).ok()?;
        Some(doc.baseline)
    } else {
        None
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(snap) = snapshot(data) else {
        return;
    };
    for d in [
        delta(reference(), &snap),
        delta(&snap, reference()),
        delta(&snap, &snap),
    ] {
        for format in [Format::Table, Format::Markdown, Format::Json] {
            render::render_diff(&d, format, 3, &mut io::sink()).expect("sink");
        }
    }
});
