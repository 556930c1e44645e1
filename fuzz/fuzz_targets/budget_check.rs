//! Budget files and their baselines → parse and validate (as `check` reads them) → `check`'s
//! evaluation of a real firmware image (the P2 fixture) → every check format, and the
//! snapshot `bless` would write. The input is the budget text, optionally followed by a NUL
//! byte and the baseline file's text. Any input must give findings or an error, never a
//! panic.
#![no_main]

use std::io;
use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use membudget::analyze::{self, Options};
use membudget::budget::file::{self, Script};
use membudget::budget::model::{BaselineFile, BASELINE_SCHEMA};
use membudget::budget::{self, BudgetFile};
use membudget::diff::Snapshot;
use membudget::elf::{self, Image};
use membudget::error::Error;
use membudget::memory::source::{self, BudgetRegions};
use membudget::render::{self, Format};

fn image() -> &'static Image {
    static IMAGE: OnceLock<Image> = OnceLock::new();
    IMAGE.get_or_init(|| {
        elf::load_bytes(include_bytes!("../../fixtures/p2.elf"), "p2.elf").expect("fixture loads")
    })
}

/// The budget as the CLI loads it, without touching the file system: a `linker_script` is
/// never found.
fn load(budget: &[u8], baseline: Option<&[u8]>) -> Option<BudgetFile> {
    let text = String::from_utf8(budget.to_vec()).ok()?;
    let not_found = |s: &str| -> Result<Script, Error> { Ok(Script::NotFound(s.to_string())) };
    let mut b = file::parse(Path::new("fuzz.budget.json"), text, &not_found).ok()?;
    if let Some(bytes) = baseline {
        let doc: BaselineFile = serde_json::from_slice(bytes).ok()?;
        if doc.schema != BASELINE_SCHEMA {
            return None;
        }
        b.baseline = Some(doc.baseline);
    }
    Some(b)
}

fuzz_target!(|data: &[u8]| {
    let (budget_text, baseline) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Some(budget) = load(budget_text, baseline) else {
        return;
    };
    let regions = BudgetRegions {
        regions: budget.regions.clone(),
        reservations: budget.reservations(),
        label: budget.label.clone(),
    };
    let Ok(map) = source::resolve(None, &Default::default(), Some(&regions), None) else {
        return;
    };
    let report = match analyze::analyze(image(), &Options::from(map)) {
        Ok(r) => r,
        Err(Error::Internal(m)) => panic!("internal error: {m}"),
        Err(_) => return,
    };
    if file::check_region_refs(&budget, &report.regions).is_err() {
        return;
    }
    let result = budget::evaluate(&budget, &report);
    for format in [Format::Table, Format::Markdown, Format::Json] {
        render::render_check(&result, format, 3, &mut io::sink()).expect("sink");
    }
    let _ = result.exit_code(true);
    let snap = Snapshot::from_report(&report, budget.symbol_threshold());
    serde_json::to_vec(&snap).expect("snapshot serializes");
});
