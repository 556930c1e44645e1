//! Budget files (the human part and the blessed baseline) → load and validate → `check`'s
//! evaluation of a real firmware image (the P2 fixture) → every check format, and what
//! `bless` would write. Any text must give findings or an error, never a panic.
#![no_main]

use std::io;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use membudget::budget::render::{render_check, OutFormat};
use membudget::budget::snapshot::Snapshot;
use membudget::budget::{self, eval, file};
use membudget::elf::{self, Image};
use membudget::error::Error;
use membudget::memory::{source, Region};
use membudget::report;

fn image() -> &'static Image {
    static IMAGE: OnceLock<Image> = OnceLock::new();
    IMAGE.get_or_init(|| {
        elf::load_bytes(include_bytes!("../../fixtures/p2.elf"), "p2.elf").expect("fixture loads")
    })
}

/// The budget is read from a file (as `check` does): one per process, in a private directory.
fn budget_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("membudget-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir.join("fuzz.budget.json")
    })
}

fuzz_target!(|data: &[u8]| {
    let path = budget_path();
    std::fs::write(path, data).expect("write budget");
    let Ok(budget) = file::load(path) else {
        return;
    };
    let Ok(regions) = budget::load_regions(path) else {
        return;
    };
    let Ok(opts) = source::resolve(None, Some(&regions), None) else {
        return;
    };
    let report = match report::analyze(image(), &opts) {
        Ok(r) => r,
        Err(Error::Internal(m)) => panic!("internal error: {m}"),
        Err(_) => return,
    };
    let analysed: Vec<Region> = report
        .regions
        .iter()
        .map(|r| Region::new(r.name.clone(), r.origin, r.length))
        .collect();
    if file::check_region_refs(&budget, &analysed).is_err() {
        return;
    }
    let result = eval::evaluate(&budget, &report);
    for format in [OutFormat::Table, OutFormat::Markdown, OutFormat::Json] {
        render_check(&result, format, 3, &mut io::sink()).expect("sink");
    }
    let _ = result.exit_code(true);
    let snap = Snapshot::from_report(&report, budget.symbol_threshold());
    let _ = file::splice_baseline(&budget.text, &snap.to_json_text());
});
