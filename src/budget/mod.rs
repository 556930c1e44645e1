//! Memory budgets: a golden budget file per firmware image (a human part: regions,
//! reservations, limits, group budgets, growth tolerances; and a baseline part written by
//! `bless`), `check` against it, `bless` it, and `diff` two builds.
//!
//! The format is described by `schema/budget.schema.json` and `schema/budget.md`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::elf;
use crate::error::{Error, EXIT_OK};
use crate::memory::source::{self, BudgetRegions};
use crate::memory::Region;
use crate::report::{self, Report, Reservation};

pub mod eval;
pub mod file;
pub mod render;
pub mod snapshot;

pub use eval::{evaluate, CheckResult, Finding, Status};
pub use file::{BudgetFile, BUDGET_SCHEMA};
pub use render::OutFormat;
pub use snapshot::{delta, Delta, Snapshot};

/// Environment variable that makes `check` bless the baseline first.
pub const UPDATE_ENV: &str = "UPDATE_GOLDENS";

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The firmware ELF.
    pub elf: PathBuf,
    /// The budget file (e.g. golden/NAME.budget.json).
    #[arg(long, value_name = "FILE")]
    pub budget: PathBuf,
    /// GNU ld linker script whose MEMORY command replaces the budget's regions.
    #[arg(long, value_name = "FILE")]
    pub memory: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutFormat::Table)]
    pub format: OutFormat,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Symbol changes shown per kind (moved, grown, new...); 0 for all.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

#[derive(clap::Args, Debug)]
pub struct BlessArgs {
    /// The firmware ELF.
    pub elf: PathBuf,
    /// The budget file whose baseline part is rewritten.
    #[arg(long, value_name = "FILE")]
    pub budget: PathBuf,
    /// GNU ld linker script whose MEMORY command replaces the budget's regions.
    #[arg(long, value_name = "FILE")]
    pub memory: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// Before: an ELF, a JSON report (`report --format json`) or a budget file's baseline.
    pub old: PathBuf,
    /// After: an ELF, a JSON report or a budget file's baseline.
    pub new: PathBuf,
    /// GNU ld linker script declaring the regions of ELF inputs.
    #[arg(long, value_name = "FILE")]
    pub memory: Option<PathBuf>,
    /// Take the regions (and reservations) of ELF inputs from this budget file.
    #[arg(long, value_name = "FILE")]
    pub budget: Option<PathBuf>,
    /// Chip preset for the regions of ELF inputs.
    #[arg(long, value_name = "NAME")]
    pub chip: Option<String>,
    /// Ignore symbols smaller than this many bytes.
    #[arg(long, default_value_t = 0, value_name = "BYTES")]
    pub threshold: u64,
    #[arg(long, value_enum, default_value_t = OutFormat::Table)]
    pub format: OutFormat,
    /// Symbol changes shown per kind; 0 for all.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

fn output_error(e: io::Error) -> Error {
    Error::Usage(format!("writing output: {e}"))
}

/// The regions and reservations a budget file declares, for `report --budget`.
pub fn load_regions(path: &Path) -> Result<BudgetRegions, Error> {
    let budget = file::load(path)?;
    Ok(budget_regions(&budget))
}

fn budget_regions(budget: &BudgetFile) -> BudgetRegions {
    BudgetRegions {
        regions: budget.regions.clone(),
        reservations: budget
            .human
            .reservations
            .iter()
            .map(|r| Reservation {
                name: r.name.clone(),
                origin: r.origin.0,
                length: r.length.0,
            })
            .collect(),
        label: budget.label.clone(),
    }
}

/// Analyse an ELF with the budget's regions (or `--memory`), and check that every region
/// the budget names exists.
fn analyze(elf_path: &Path, budget: &BudgetFile, memory: Option<&Path>) -> Result<Report, Error> {
    let regions = budget_regions(budget);
    let opts = source::resolve(memory, Some(&regions), None)?;
    let image = elf::load_path(elf_path)?;
    let report = report::analyze(&image, &opts)?;
    let analysed: Vec<Region> = report
        .regions
        .iter()
        .map(|r| Region::new(r.name.clone(), r.origin, r.length))
        .collect();
    file::check_region_refs(budget, &analysed)?;
    Ok(report)
}

pub fn check(args: &CheckArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let mut budget = file::load(&args.budget)?;
    let report = analyze(&args.elf, &budget, args.memory.as_deref())?;
    if std::env::var_os(UPDATE_ENV).is_some_and(|v| !v.is_empty() && v != "0") {
        let snap = Snapshot::from_report(&report, budget.symbol_threshold());
        let written = write_baseline(&budget, &snap)?;
        eprintln!(
            "membudget: {UPDATE_ENV} set: baseline of {} {}",
            args.budget.display(),
            if written { "updated" } else { "unchanged" }
        );
        budget = file::load(&args.budget)?;
    }
    let result = evaluate(&budget, &report);
    if args.format == OutFormat::Html {
        use crate::render::html;
        let blocks = [
            html::block("check", &result),
            html::block("report", &report),
        ];
        html::write_page(html::Page::Check, &blocks, out).map_err(output_error)?;
        return Ok(result.exit_code(args.deny_warnings));
    }
    render::render_check(&result, args.format, args.top, out).map_err(output_error)?;
    Ok(result.exit_code(args.deny_warnings))
}

pub fn bless(args: &BlessArgs, out: &mut dyn Write) -> Result<i32, Error> {
    // Nothing is written unless the budget parses and the analysis succeeds.
    let budget = file::load(&args.budget)?;
    let report = analyze(&args.elf, &budget, args.memory.as_deref())?;
    let snap = Snapshot::from_report(&report, budget.symbol_threshold());
    let written = write_baseline(&budget, &snap)?;
    writeln!(
        out,
        "{} {}: {} regions, {} sections, {} symbols of {} bytes or more, from {}",
        if written { "blessed" } else { "unchanged" },
        args.budget.display(),
        snap.regions.len(),
        snap.sections.len(),
        snap.symbols.len(),
        snap.symbol_threshold,
        snap.file
    )
    .map_err(output_error)?;
    let result = evaluate(&file::load(&args.budget)?, &report);
    if !result.failures.is_empty() {
        writeln!(
            out,
            "note: the image is over budget ({} failure{}): see membudget check",
            result.failures.len(),
            if result.failures.len() == 1 { "" } else { "s" }
        )
        .map_err(output_error)?;
    }
    Ok(EXIT_OK)
}

/// Replace the baseline part of the budget file, atomically (temporary file in the same
/// directory, then rename). Returns false when the file already held this baseline.
fn write_baseline(budget: &BudgetFile, snap: &Snapshot) -> Result<bool, Error> {
    let new_text = file::splice_baseline(&budget.text, &snap.to_json_text());
    if new_text == budget.text {
        return Ok(false);
    }
    // The human part must come out exactly as it went in.
    let human = |t: &str| {
        serde_json::from_str::<serde_json::Value>(t)
            .ok()
            .and_then(|v| v.get("budget").cloned())
    };
    let reparsed: Option<Snapshot> = serde_json::from_str::<serde_json::Value>(&new_text)
        .ok()
        .and_then(|v| v.get("baseline").cloned())
        .and_then(|b| serde_json::from_value(b).ok());
    if human(&budget.text) != human(&new_text) || reparsed.as_ref() != Some(snap) {
        return Err(Error::Internal(format!(
            "{}: rewriting the baseline would change the file's meaning",
            budget.path.display()
        )));
    }
    let io_err = |source| Error::Io {
        path: budget.path.display().to_string(),
        source,
    };
    let dir = match budget.path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(io_err)?;
    tmp.write_all(new_text.as_bytes()).map_err(io_err)?;
    tmp.as_file().sync_all().map_err(io_err)?;
    if let Ok(meta) = std::fs::metadata(&budget.path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(&budget.path).map_err(|e| io_err(e.error))?;
    Ok(true)
}

pub fn diff(args: &DiffArgs, out: &mut dyn Write) -> Result<i32, Error> {
    if args.format == OutFormat::Html {
        return Err(Error::Usage(
            "--format html is available for report and check, not diff".into(),
        ));
    }
    let regions = match &args.budget {
        Some(p) => Some(load_regions(p)?),
        None => None,
    };
    let opts = source::resolve(
        args.memory.as_deref(),
        regions.as_ref(),
        args.chip.as_deref(),
    )?;
    let old = load_side(&args.old, &opts, args.threshold)?;
    let new = load_side(&args.new, &opts, args.threshold)?;
    let d = delta(&old, &new);
    render::render_diff(&d, args.format, args.top, out).map_err(output_error)?;
    Ok(EXIT_OK)
}

/// A snapshot of one side of a diff: an ELF, a JSON report, or a budget file's baseline.
fn load_side(path: &Path, opts: &report::Options, threshold: u64) -> Result<Snapshot, Error> {
    let io_err = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io_err)?;
    if bytes.starts_with(b"\x7fELF") {
        let image = elf::load_path(path)?;
        let report = report::analyze(&image, opts)?;
        return Ok(Snapshot::from_report(&report, threshold));
    }
    let not_ours = || {
        Error::Usage(format!(
            "{}: not an ELF file, a membudget JSON report or a budget file",
            path.display()
        ))
    };
    let text = String::from_utf8(bytes).map_err(|_| not_ours())?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        let msg = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        Error::Usage(format!(
            "{}:{}:{}: {}",
            path.display(),
            e.line(),
            e.column(),
            msg.strip_suffix(&suffix).unwrap_or(&msg)
        ))
    })?;
    let schema = value
        .get("schema")
        .and_then(|s| s.as_str())
        .unwrap_or("")
        .to_string();
    if schema.starts_with("membudget.report/") {
        return Snapshot::from_report_json(value, threshold).map_err(|e| {
            Error::Usage(format!(
                "{}: not a usable membudget report: {e}",
                path.display()
            ))
        });
    }
    if schema.starts_with("membudget.budget/") {
        let budget = file::load(path)?;
        return budget.baseline.ok_or_else(|| {
            Error::Budget(format!(
                "{}: has no baseline (run membudget bless)",
                path.display()
            ))
        });
    }
    Err(not_ours())
}
