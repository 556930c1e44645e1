//! The files the commands read and write: budget files (with their linker scripts), the
//! blessed baseline, and the inputs of `diff`.

use std::io::Write;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use membudget::analyze::attribution::{PathStyle, Sources};
use membudget::analyze::{self, Options};
use membudget::budget::file::{self as budget_file, Script};
use membudget::budget::model::{baseline_path, BaselineFile, BASELINE_SCHEMA, BUDGET_SCHEMA};
use membudget::budget::BudgetFile;
use membudget::diff::Snapshot;
use membudget::dwarf;
use membudget::elf;
use membudget::error::Error;
use membudget::mapfile::{self, MapFile};
use membudget::memory::linker;
use membudget::memory::source::BudgetRegions;
use membudget::memory::source::RegionSource;
use membudget::memory::Region;
use membudget::report::{Report, REPORT_SCHEMA};

/// Load the ELF and, as asked, its DWARF (in parallel) and linker map.
pub fn load_with_sources(
    path: &Path,
    args: &super::SourceArgs,
    dwarf: bool,
) -> Result<(elf::Image, Sources), Error> {
    let (image, debug) = rayon::join(
        || elf::load_path(path),
        || dwarf.then(|| read_dwarf(path)).transpose(),
    );
    let map = match &args.map {
        Some(m) => Some(Arc::new(mapfile::load_path(m)?)),
        None => None,
    };
    let sources = Sources {
        dwarf: debug?.map(Arc::new),
        map,
        paths: PathStyle {
            path_map: args.path_map.clone(),
            strip_prefix: args.strip_prefix.clone(),
        },
    };
    Ok((image?, sources))
}

fn read_dwarf(path: &Path) -> Result<dwarf::Dwarf, Error> {
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    // SAFETY: read-only private map, as in `elf::load_path`.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_error(path))?;
    Ok(dwarf::read(&map))
}

/// The map file's "Memory Configuration" as the regions, when nothing else gave any.
pub fn map_regions(opts: &mut Options, map: Option<&MapFile>, path: Option<&Path>) {
    let (Some(map), Some(path)) = (map, path) else {
        return;
    };
    if !opts.regions.is_empty() || map.regions.is_empty() {
        return;
    }
    opts.regions = map
        .regions
        .iter()
        .map(|r| Region {
            name: r.name.clone(),
            origin: r.origin,
            length: r.length,
            attributes: (!r.attributes.is_empty()).then(|| r.attributes.clone()),
        })
        .collect();
    opts.region_source = Some(RegionSource {
        kind: "linker-map".into(),
        name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
    });
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Read and validate a budget file; its `linker_script` is read relative to it, with
/// `script`'s `--defsym`s.
pub fn load_budget(path: &Path, options: &linker::ScriptOptions) -> Result<BudgetFile, Error> {
    load_budget_for(path, options, None)
}

/// [`load_budget`] for a command given `--memory`: that script's regions replace the
/// budget's, so the budget's own `linker_script` is not read (it may not even exist where
/// the command runs); its region references are checked against the regions in use.
pub fn load_budget_for(
    path: &Path,
    options: &linker::ScriptOptions,
    memory: Option<&Path>,
) -> Result<BudgetFile, Error> {
    let text = std::fs::read_to_string(path).map_err(io_error(path))?;
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let read_script = |script: &str| -> Result<Script, Error> {
        if memory.is_some() {
            return Ok(Script::Regions(Vec::new()));
        }
        let script_path = dir.join(script);
        if !script_path.is_file() {
            return Ok(Script::NotFound(script_path.display().to_string()));
        }
        Ok(Script::Regions(
            linker::read_memory_file(&script_path, options)?.regions,
        ))
    };
    let mut budget = budget_file::parse(path, text, &read_script)?;
    if budget.version >= 2 {
        budget.baseline = load_baseline(path)?;
    }
    Ok(budget)
}

/// The regions and reservations a budget declares, for the memory map.
pub fn budget_regions(budget: &BudgetFile) -> BudgetRegions {
    BudgetRegions {
        regions: budget.regions.clone(),
        reservations: budget.reservations(),
        label: budget.label.clone(),
    }
}

/// What [`write_baseline`] did.
pub struct BaselineWritten {
    /// The baseline file.
    pub path: std::path::PathBuf,
    /// Whether its contents changed.
    pub changed: bool,
    /// Whether the budget file was migrated from version 1 (its baseline moved out).
    pub migrated: bool,
}

/// Write the baseline beside the budget file (plain serde, atomically); a version-1 budget
/// file is migrated to version 2 (its embedded baseline dropped), and only then rewritten.
pub fn write_baseline(budget: &BudgetFile, snap: &Snapshot) -> Result<BaselineWritten, Error> {
    let path = baseline_path(&budget.path);
    let doc = BaselineFile {
        schema: BASELINE_SCHEMA.to_string(),
        baseline: snap.clone(),
    };
    let text = pretty_json(&doc)?;
    let same = std::fs::read(&path).is_ok_and(|old| old == text.as_bytes());
    if !same {
        write_atomically(&path, text.as_bytes())?;
    }
    let migrate = budget.version == 1;
    if migrate {
        write_atomically(&budget.path, migrated(budget)?.as_bytes())?;
    }
    Ok(BaselineWritten {
        path,
        changed: !same,
        migrated: migrate,
    })
}

/// A version-1 budget file as version 2: `schema` bumped and `baseline` dropped, edited in
/// the concrete syntax tree so that the rest of the file (its layout, order and comments)
/// stays the user's.
fn migrated(budget: &BudgetFile) -> Result<String, Error> {
    use jsonc_parser::cst::{CstInputValue, CstRootNode};
    let internal = |e: String| Error::Internal(format!("{}: {e}", budget.path.display()));
    let root = CstRootNode::parse(&budget.text, &jsonc_parser::ParseOptions::default())
        .map_err(|e| internal(e.to_string()))?;
    let obj = root
        .object_value()
        .ok_or_else(|| internal("not a JSON object".into()))?;
    if let Some(schema) = obj.get("schema") {
        schema.set_value(CstInputValue::String(BUDGET_SCHEMA.into()));
    }
    if let Some(baseline) = obj.get("baseline") {
        baseline.remove();
    }
    Ok(root.to_string())
}

/// Write `value` as pretty JSON, atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), Error> {
    write_atomically(path, pretty_json(value)?.as_bytes())
}

/// Pretty JSON with a trailing newline: byte-identical for equal values.
fn pretty_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Internal(format!("serialising JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// The baseline file of a version-2 budget, if it has been blessed.
fn load_baseline(budget: &Path) -> Result<Option<Snapshot>, Error> {
    let path = baseline_path(budget);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(&path)(e)),
    };
    let doc: BaselineFile =
        serde_json::from_str(&text).map_err(|e| Error::Budget(json_message(&path, &e)))?;
    if doc.schema != BASELINE_SCHEMA {
        return Err(Error::Budget(format!(
            "{}: unsupported schema '{}' (expected '{BASELINE_SCHEMA}')",
            path.display(),
            doc.schema
        )));
    }
    Ok(Some(doc.baseline))
}

/// Write `bytes` to `path` through a temporary file in the same directory and a rename,
/// so that a reader never sees half a file; the file keeps its permissions.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io_err = |source| Error::Write {
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
fn json_message(path: &Path, e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    format!(
        "{}:{}:{}: {}",
        path.display(),
        e.line(),
        e.column(),
        msg.strip_suffix(&suffix).unwrap_or(&msg)
    )
}

/// Whether a diff input is a budget file (its regions then apply to the other side).
pub fn is_budget_file(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| {
            v.get("schema")?
                .as_str()
                .map(|s| s.starts_with("membudget.budget/"))
        })
        .unwrap_or(false)
}

/// How the diff header names an input: its file name, and for a budget or baseline file
/// the ELF it was measured from.
pub fn side_label(path: &Path, snap: &Snapshot) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    if name == snap.file {
        name
    } else {
        format!("{name} ({})", snap.file)
    }
}

/// A snapshot of one side of a diff: an ELF, a JSON report, or a budget file's baseline.
/// An ELF's worst-case stack per root comes from the stack analysis, with the budget's
/// annotations when `stack` is given (then the analysis must succeed, as in `check`).
/// With the full report of an ELF or JSON report side (a baseline has none), with DWARF
/// attribution read from an ELF when `dwarf` is set.
pub fn load_side_report(
    path: &Path,
    opts: &Options,
    script: &linker::ScriptOptions,
    threshold: u64,
    stack: Option<&membudget::stack::annotate::Annotations>,
    dwarf: bool,
) -> Result<(Snapshot, Option<Report>), Error> {
    const WANT: &str = "not an ELF file, a membudget JSON report or a budget file";
    if path.is_dir() {
        return Err(Error::Usage(format!(
            "{}: a directory, {WANT}",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    if bytes.starts_with(b"\x7fELF") {
        let (image, sources) = load_with_sources(path, &super::SourceArgs::default(), dwarf)?;
        let mut opts = opts.clone();
        opts.sources = sources;
        let mut report = analyze::analyze(&image, &opts)?;
        report.stack_need = match stack {
            Some(ann) => {
                Some(membudget::stack::analyze_bytes_with(&bytes, &image.file_name, ann)?.need())
            }
            // Images the analysis does not support have no stack rows, as in `report`.
            None => membudget::stack::analyze_bytes(&bytes, &image.file_name)
                .ok()
                .map(|s| s.need()),
        };
        return Ok((Snapshot::from_report(&report, threshold), Some(report)));
    }
    let not_ours = || Error::Usage(format!("{}: {WANT}", path.display()));
    let value = json_value(path, &bytes).ok_or_else(not_ours)??;
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
        return Ok((Snapshot::from_report(&report, threshold), Some(report)));
    }
    if schema.starts_with("membudget.baseline/") {
        let doc: BaselineFile = serde_json::from_value(value)
            .map_err(|e| Error::Usage(format!("{}: not a usable baseline: {e}", path.display())))?;
        return Ok((doc.baseline, None));
    }
    if schema.starts_with("membudget.budget/") {
        let budget = load_budget(path, script)?;
        return budget.baseline.map(|b| (b, None)).ok_or_else(|| {
            Error::Budget(format!(
                "{}: has no baseline (run membudget bless)",
                path.display()
            ))
        });
    }
    Err(not_ours())
}

/// The report files of `dashboard`: a directory stands for its `*.json` files in file-name
/// order.
pub fn report_files(args: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for arg in args {
        if !arg.is_dir() {
            files.push(arg.clone());
            continue;
        }
        let mut found = Vec::new();
        for entry in std::fs::read_dir(arg).map_err(io_error(arg))? {
            let path = entry.map_err(io_error(arg))?.path();
            if path.extension().is_some_and(|e| e == "json") && path.is_file() {
                found.push(path);
            }
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// A file's JSON value: `None` when it does not look like JSON at all (binary, text, an
/// empty file), so that the caller can say what it wanted instead of a parser position;
/// a parse error with its position for what starts like a JSON object.
fn json_value(path: &Path, bytes: &[u8]) -> Option<Result<serde_json::Value, Error>> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    Some(serde_json::from_slice(bytes).map_err(|e| {
        let msg = json_message(path, &e);
        let at = format!("{}:{}:{}: ", path.display(), e.line(), e.column());
        Error::Usage(format!(
            "{at}invalid JSON: {}",
            msg.strip_prefix(&at).unwrap_or(&msg)
        ))
    }))
}

/// A JSON report (`report --format json`), read back through the report types.
pub fn read_report(path: &Path) -> Result<Report, Error> {
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    if bytes.starts_with(b"\x7fELF") {
        return Err(Error::Usage(format!(
            "{0}: an ELF file, not a membudget JSON report (make one with: membudget report \
             {0} --format json --label date=... > build.json)",
            path.display()
        )));
    }
    let value = json_value(path, &bytes).ok_or_else(|| {
        Error::Usage(format!(
            "{}: not a membudget JSON report (membudget report ELF --format json writes one)",
            path.display()
        ))
    })??;
    if value.get("schema").and_then(|s| s.as_str()) != Some(REPORT_SCHEMA) {
        return Err(Error::Usage(format!(
            "{}: not a membudget report (expected \"schema\": \"{REPORT_SCHEMA}\")",
            path.display()
        )));
    }
    serde_json::from_value(value)
        .map_err(|e| Error::Usage(format!("{}: malformed report: {e}", path.display())))
}

/// Write `DIR/index.html`, creating DIR; a DIR that is a file is left alone.
pub fn write_page(dir: &Path, page: &[u8]) -> Result<(), Error> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Usage(format!(
            "-o {}: not a directory (the dashboard writes DIR/index.html; it will not \
             overwrite a file)",
            dir.display()
        )));
    }
    let write_err = |path: &Path| {
        let path = path.display().to_string();
        move |source| Error::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
    let path = dir.join("index.html");
    std::fs::write(&path, page).map_err(write_err(&path))
}
