//! The files the commands read and write: budget files (with their linker scripts), the
//! blessed baseline, and the inputs of `diff`.

use std::io::Write;
use std::path::{Path, PathBuf};

use membudget::analyze::{self, Options};
use membudget::budget::file::{self as budget_file, Script};
use membudget::budget::BudgetFile;
use membudget::diff::Snapshot;
use membudget::error::Error;
use membudget::memory::linker;
use membudget::memory::source::BudgetRegions;
use membudget::report::Report;
use membudget::{budget, elf};

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Read and validate a budget file; its `linker_script` is read relative to it.
pub fn load_budget(path: &Path) -> Result<BudgetFile, Error> {
    let text = std::fs::read_to_string(path).map_err(io_error(path))?;
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let read_script = |script: &str| -> Result<Script, Error> {
        let script_path = dir.join(script);
        if !script_path.is_file() {
            return Ok(Script::NotFound(script_path.display().to_string()));
        }
        Ok(Script::Regions(linker::parse_memory_file(&script_path)?))
    };
    budget_file::parse(path, text, &read_script)
}

/// The regions and reservations a budget declares, for the memory map.
pub fn budget_regions(budget: &BudgetFile) -> BudgetRegions {
    BudgetRegions {
        regions: budget.regions.clone(),
        reservations: budget.reservations(),
        label: budget.label.clone(),
    }
}

/// Replace the baseline part of the budget file, atomically (temporary file in the same
/// directory, then rename). Returns false when the file already held this baseline.
pub fn write_baseline(budget: &BudgetFile, snap: &Snapshot) -> Result<bool, Error> {
    let new_text = budget::position::splice_baseline(&budget.text, &snap.to_json_text());
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
    write_atomically(&budget.path, new_text.as_bytes())?;
    Ok(true)
}

/// Write `bytes` to `path` through a temporary file in the same directory and a rename,
/// so that a reader never sees half a file; the file keeps its permissions.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io_err = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(io_err)?;
    tmp.write_all(bytes).map_err(io_err)?;
    tmp.as_file().sync_all().map_err(io_err)?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// `serde_json` errors carry the position; say it the way compilers do.
fn json_error(path: &Path, e: &serde_json::Error) -> Error {
    let msg = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    Error::Usage(format!(
        "{}:{}:{}: {}",
        path.display(),
        e.line(),
        e.column(),
        msg.strip_suffix(&suffix).unwrap_or(&msg)
    ))
}

/// A snapshot of one side of a diff: an ELF, a JSON report, or a budget file's baseline.
pub fn load_side(path: &Path, opts: &Options, threshold: u64) -> Result<Snapshot, Error> {
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    if bytes.starts_with(b"\x7fELF") {
        let image = elf::load_path(path)?;
        let report = analyze::analyze(&image, opts)?;
        return Ok(Snapshot::from_report(&report, threshold));
    }
    let not_ours = || {
        Error::Usage(format!(
            "{}: not an ELF file, a membudget JSON report or a budget file",
            path.display()
        ))
    };
    let text = String::from_utf8(bytes).map_err(|_| not_ours())?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| json_error(path, &e))?;
    let schema = value
        .get("schema")
        .and_then(|s| s.as_str())
        .unwrap_or("")
        .to_string();
    if schema.starts_with("membudget.report/") {
        let report: Report = serde_json::from_value(value).map_err(|e| {
            Error::Usage(format!(
                "{}: not a usable membudget report: {e}",
                path.display()
            ))
        })?;
        return Ok(Snapshot::from_report(&report, threshold));
    }
    if schema.starts_with("membudget.budget/") {
        let budget = load_budget(path)?;
        return budget.baseline.ok_or_else(|| {
            Error::Budget(format!(
                "{}: has no baseline (run membudget bless)",
                path.display()
            ))
        });
    }
    Err(not_ours())
}
