//! One function per subcommand: load, analyse, evaluate, render. Output errors are
//! [`Error::Output`], so that `main` treats a closed pipe the same for every command.

use std::io::{self, Write};
use std::path::Path;

use membudget::analyze::{self, Options};
use membudget::budget::matching::GroupMatcher;
use membudget::budget::{self, BudgetFile};
use membudget::diff::{self, Snapshot};
use membudget::elf;
use membudget::error::{Error, EXIT_OK};
use membudget::memory::chips;
use membudget::memory::linker::ScriptOptions;
use membudget::memory::source::{self, MemoryMap};
use membudget::render::{self, Format, View};
use membudget::report::Report;

use super::files::{self, budget_regions, load_budget, load_budget_for, write_baseline};
use super::{BlessArgs, CheckArgs, DashboardArgs, DiffArgs, InitArgs, ReportArgs, StackArgs};

fn output(e: io::Error) -> Error {
    Error::Output(e)
}

/// `membudget chips` (and `report --chip list`).
pub fn chips(out: &mut dyn Write) -> Result<i32, Error> {
    render::chips::render_chips(chips::presets(), out).map_err(output)?;
    Ok(EXIT_OK)
}

/// The memory map of `--memory`, `--budget` and `--chip`.
fn memory_map(
    memory: Option<&Path>,
    script: &ScriptOptions,
    budget: Option<&Path>,
    chip: Option<&str>,
) -> Result<MemoryMap, Error> {
    let budget = match budget {
        Some(path) => Some(budget_regions(&load_budget_for(path, script, memory)?)),
        None => None,
    };
    source::resolve(memory, script, budget.as_ref(), chip)
}

/// `membudget report`.
pub fn report(args: &ReportArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let script = args.script.options();
    let memory = args.memory.as_deref();
    let budget = match &args.budget {
        Some(path) => Some(load_budget_for(path, &script, memory)?),
        None => None,
    };
    let map = source::resolve(
        memory,
        &script,
        budget.as_ref().map(budget_regions).as_ref(),
        args.chip.as_deref(),
    )?;
    let Some(path) = &args.elf else {
        return Err(Error::Usage("report needs an ELF file".into()));
    };
    let want_dwarf = args.sources.dwarf || args.by.is_some_and(|b| b.wants_dwarf());
    let (image, sources) = files::load_with_sources(path, &args.sources, want_dwarf)?;
    let mut opts = Options::from(map);
    files::map_regions(
        &mut opts,
        sources.map.as_deref(),
        args.sources.map.as_deref(),
    );
    opts.sources = sources;
    let mut report = analyze::analyze(&image, &opts)?;
    for (key, value) in &args.label {
        if report.labels.insert(key.clone(), value.clone()).is_some() {
            return Err(Error::Usage(format!("--label {key}: given twice")));
        }
    }
    // The stack need is a bonus in a report: images the analysis does not support have none.
    if membudget::stack::may_apply(&image) {
        report.stack_need = membudget::stack::analyze_path(path).ok().map(|s| s.need());
    }
    let view = View {
        top: args.top,
        by: args.by,
        depth: args.sources.depth,
    };
    match &budget {
        // The page draws the budget's limits on the region bars, as the check page does.
        Some(b) if args.format == Format::Html => {
            let limits = membudget::dashboard::region_limits(b, &report);
            render::render_report_html(&report, &view, &limits, out)
        }
        _ => render::render_report(&report, &view, args.format, out),
    }
    .map_err(output)?;
    // Freeing tens of thousands of strings just before exit is wasted time.
    std::mem::forget(report);
    std::mem::forget(image);
    Ok(EXIT_OK)
}

/// Analyse an ELF with the budget's regions (or `--memory`), and check that every region
/// the budget names exists.
fn analyze_for(
    elf_path: &Path,
    budget: &BudgetFile,
    memory: Option<&Path>,
    script: &ScriptOptions,
    sources: &super::SourceArgs,
) -> Result<Report, Error> {
    let map = source::resolve(memory, script, Some(&budget_regions(budget)), None)?;
    // Groups that match on file, directory or unit need the DWARF.
    let want_dwarf = sources.dwarf
        || budget
            .human
            .groups
            .iter()
            .any(|g| GroupMatcher::needs_dwarf(&g.matcher));
    let (image, sources_in) = files::load_with_sources(elf_path, sources, want_dwarf)?;
    let mut opts = Options::from(map);
    files::map_regions(&mut opts, sources_in.map.as_deref(), sources.map.as_deref());
    opts.sources = sources_in;
    let mut report = analyze::analyze(&image, &opts)?;
    budget::file::check_region_refs(budget, &report.regions)?;
    // A budget that turns the stack analysis on needs it to work on this image.
    let analysis = budget
        .human
        .stack
        .as_ref()
        .and_then(|s| s.analysis.as_ref());
    if let Some(annotations) = analysis {
        let stack = membudget::stack::analyze_path_with(elf_path, annotations)?;
        report.stack_need = Some(stack.need());
    }
    Ok(report)
}

/// `membudget check`; with `update`, bless the baseline first.
pub fn check(args: &CheckArgs, update: bool, out: &mut dyn Write) -> Result<i32, Error> {
    let script = args.script.options();
    let memory = args.memory.as_deref();
    let mut budget = load_budget_for(&args.budget, &script, memory)?;
    let report = analyze_for(
        &args.elf,
        &budget,
        args.memory.as_deref(),
        &script,
        &args.sources,
    )?;
    if update {
        let mut snap = Snapshot::from_report(&report, budget.symbol_threshold());
        snap.groups = budget::eval::group_totals(&budget, &report);
        let written = write_baseline(&budget, &snap)?;
        eprintln!(
            "membudget: {} set: {} {}{}",
            super::UPDATE_ENV,
            written.path.display(),
            if written.changed {
                "updated"
            } else {
                "unchanged"
            },
            if written.migrated {
                format!(", {} migrated to version 2", args.budget.display())
            } else {
                String::new()
            }
        );
        budget = load_budget_for(&args.budget, &script, memory)?;
    }
    let result = budget::evaluate(&budget, &report);
    let verdict = result.exit_code(args.deny_warnings);
    let rendered = if args.format == Format::Html {
        render::html::write_check(&result, &report, out)
    } else {
        render::render_check(&result, args.format, args.top, out)
    };
    match rendered {
        // The reader left (`| head`): the verdict is still the exit code, never a pass.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(verdict),
        r => r.map(|()| verdict).map_err(output),
    }
}

/// `membudget bless`: nothing is written unless the budget parses and the analysis
/// succeeds.
pub fn bless(args: &BlessArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let script = args.script.options();
    let memory = args.memory.as_deref();
    let budget = load_budget_for(&args.budget, &script, memory)?;
    let report = analyze_for(
        &args.elf,
        &budget,
        args.memory.as_deref(),
        &script,
        &args.sources,
    )?;
    let mut snap = Snapshot::from_report(&report, budget.symbol_threshold());
    snap.groups = budget::eval::group_totals(&budget, &report);
    let written = write_baseline(&budget, &snap)?;
    writeln!(
        out,
        "{} {}: {}, {}, {} of {} bytes or more, from {}",
        if written.changed {
            "wrote"
        } else {
            "unchanged"
        },
        written.path.display(),
        render::table::count(snap.regions.len(), "region"),
        render::table::count(snap.sections.len(), "section"),
        render::table::count(snap.symbols.len(), "symbol"),
        snap.symbol_threshold,
        snap.file
    )
    .map_err(output)?;
    if written.migrated {
        writeln!(
            out,
            "migrated {} to version 2: `schema` updated and its `baseline` moved to {}; the rest of the file is as it was",
            args.budget.display(),
            written.path.display()
        )
        .map_err(output)?;
    }
    let result = budget::evaluate(&load_budget_for(&args.budget, &script, memory)?, &report);
    if !result.failures.is_empty() {
        writeln!(
            out,
            "note: the image is over budget ({} failure{}): see membudget check",
            result.failures.len(),
            render::table::plural(result.failures.len())
        )
        .map_err(output)?;
    }
    Ok(EXIT_OK)
}

/// `membudget diff`.
pub fn diff(args: &DiffArgs, out: &mut dyn Write) -> Result<i32, Error> {
    // `diff BUDGET ELF`: the ELF is measured with the budget's regions and reservations,
    // as its baseline was, unless the command line names a memory map.
    let implicit = (args.memory.is_none() && args.budget.is_none() && args.chip.is_none())
        .then(|| {
            [&args.old, &args.new]
                .into_iter()
                .find(|p| files::is_budget_file(p))
        })
        .flatten();
    let script = args.script.options();
    let map = memory_map(
        args.memory.as_deref(),
        &script,
        args.budget.as_deref().or(implicit.map(|p| p.as_path())),
        args.chip.as_deref(),
    )?;
    let opts = Options::from(map);
    // The budget's stack annotations apply to ELF sides, as they did when it was blessed.
    let budget = match args.budget.as_deref().or(implicit.map(|p| p.as_path())) {
        Some(path) => Some(load_budget(path, &script)?),
        None => None,
    };
    let stack = budget
        .as_ref()
        .and_then(|b| b.human.stack.as_ref())
        .and_then(|s| s.analysis.as_ref());
    if args.format == Format::Csv && args.by.is_none() {
        return Err(Error::Usage(
            "diff --format csv: the CSV holds the per-component rows; give --by".into(),
        ));
    }
    let dwarf = args.by.is_some_and(|b| b.wants_dwarf());
    let load = |p: &std::path::Path| {
        files::load_side_report(p, &opts, &script, args.threshold, stack, dwarf)
    };
    let (old, old_report) = load(&args.old)?;
    let (new, new_report) = load(&args.new)?;
    let mut d = diff::delta(&old, &new);
    if let Some(by) = args.by {
        let (Some(a), Some(b)) = (&old_report, &new_report) else {
            let baseline = if old_report.is_none() {
                &args.old
            } else {
                &args.new
            };
            return Err(Error::Usage(format!(
                "diff --by: {} is a baseline, which keeps no per-symbol attribution (give \
                 an ELF or a JSON report)",
                baseline.display()
            )));
        };
        d.components = Some(diff::component_deltas(a, b, by, args.depth));
    }
    d.old = files::side_label(&args.old, &old);
    d.new = files::side_label(&args.new, &new);
    render::render_diff(&d, args.format, args.top, out).map_err(output)?;
    Ok(EXIT_OK)
}

/// `membudget dashboard`: read the reports, write DIR/index.html.
pub fn dashboard(args: &DashboardArgs) -> Result<i32, Error> {
    let budget = match &args.budget {
        Some(path) => Some(load_budget(path, &args.script.options())?),
        None => None,
    };
    let paths = files::report_files(&args.reports)?;
    let reports = paths
        .iter()
        .map(|p| files::read_report(p))
        .collect::<Result<Vec<_>, _>>()?;
    let dash =
        membudget::dashboard::build(reports, budget.as_ref(), args.top).ok_or_else(|| {
            Error::Usage(
                "dashboard: no report files (give REPORT.json files or a directory of them)".into(),
            )
        })?;
    if dash.firmware.len() > 1 {
        let kinds = dash
            .firmware
            .iter()
            .map(|f| {
                format!(
                    "{} [{}] in {} build{}",
                    f.file,
                    f.regions.join(", "),
                    f.builds.len(),
                    render::table::plural(f.builds.len())
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        if !args.allow_mixed {
            return Err(Error::Usage(format!(
                "dashboard: the reports are of {} different firmware ({kinds}): give one \
                 firmware's reports, or --allow-mixed to chart them together",
                dash.firmware.len()
            )));
        }
        eprintln!(
            "membudget: warning: dashboard of {} different firmware ({kinds}): --allow-mixed \
             charts them on one axis",
            dash.firmware.len()
        );
    }
    let mut page = Vec::new();
    render::html::write_dashboard(&dash, &mut page).map_err(output)?;
    files::write_page(&args.out, &page)?;
    Ok(EXIT_OK)
}

/// `membudget stack`.
pub fn stack(args: &StackArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let script = args.script.options();
    let budget = match &args.budget {
        Some(path) => Some(load_budget(path, &script)?),
        None => None,
    };
    let mut annotations = budget
        .as_ref()
        .and_then(|b| b.human.stack.as_ref())
        .and_then(|s| s.analysis.clone())
        .unwrap_or_default();
    annotations.resolve_indirect |= args.resolve_indirect;
    let report = membudget::stack::analyze_path_with(&args.elf, &annotations)?;
    render::stack::render(&report, args.format, out).map_err(output)?;
    Ok(EXIT_OK)
}

/// `membudget init`: nothing is written unless the analysis succeeds, and neither file
/// is overwritten without `--force`.
/// `init` promises that `check` passes on the image it was made from. An image that does
/// not fit the regions it was given (a section outside every region, an overflow: a preset
/// for another layout, e.g. ESP-IDF v3's iram0_2_seg) gets no budget that would hide it.
fn refuse_unless_it_fits(
    args: &InitArgs,
    doc: &serde_json::Value,
    report: &Report,
) -> Result<(), Error> {
    let text = serde_json::to_string(doc)
        .map_err(|e| Error::Internal(format!("serialising the starting budget: {e}")))?;
    let mut budget = budget::file::parse(&args.budget, text, &|_| {
        Ok(budget::file::Script::Regions(Vec::new()))
    })?;
    budget.baseline = Some(Snapshot::from_report(report, budget.symbol_threshold()));
    let result = budget::evaluate(&budget, report);
    let Some(first) = result.failures.first() else {
        return Ok(());
    };
    let more = result.failures.len() - 1;
    Err(Error::Usage(format!(
        "{}: does not fit the regions it was given, so no budget was written: {}{} \
         (give the linker script it was linked with, --memory)",
        args.elf.display(),
        render::check::sentence(first),
        if more > 0 {
            format!(" (and {more} more failure{})", render::table::plural(more))
        } else {
            String::new()
        }
    )))
}

pub fn init(args: &InitArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let script = args.script.options();
    let map = memory_map(args.memory.as_deref(), &script, None, args.chip.as_deref())?;
    let reservations = map.reservations.clone();
    let image = elf::load_path(&args.elf)?;
    let report = analyze::analyze(&image, &Options::from(map))?;
    let baseline = budget::model::baseline_path(&args.budget);
    if !args.force {
        if let Some(p) = [&args.budget, &baseline].into_iter().find(|p| p.exists()) {
            return Err(Error::Usage(format!(
                "{}: already exists (--force overwrites it)",
                p.display()
            )));
        }
    }
    let doc = budget::init::starting_budget(&report, &reservations, args.margin);
    refuse_unless_it_fits(args, &doc, &report)?;
    files::write_json(&args.budget, &doc)?;
    let budget = load_budget(&args.budget, &script)?;
    let snap = Snapshot::from_report(&report, budget.symbol_threshold());
    write_baseline(&budget, &snap)?;
    writeln!(
        out,
        "wrote {} and {}: {} region{}, limits at today's use + {}%{}",
        args.budget.display(),
        baseline.display(),
        report.regions.len(),
        render::table::plural(report.regions.len()),
        args.margin,
        if report.regions.iter().any(|r| r.inferred) {
            " (regions inferred from the ELF: set their real lengths)"
        } else {
            ""
        }
    )
    .map_err(output)?;
    Ok(EXIT_OK)
}
