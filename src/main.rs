//! The `membudget` command: parse arguments, run, map the outcome to an exit code.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use membudget::error::{Error, EXIT_OK};
use membudget::memory::{chips, source};
use membudget::render::{self, Format, View};
use membudget::rollup::By;
use membudget::{budget, dashboard, elf, report};

/// Where every byte of a firmware ELF goes, per memory region; and a CI gate for memory
/// budgets.
///
/// Exit codes: 0 success / within budget, 1 over budget (check), 2 bad input or usage,
/// 3 internal error (a bug: please report).
#[derive(Parser)]
#[command(name = "membudget", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Per-region usage, sections, symbols, stack and heap of an ELF.
    Report(ReportArgs),
    /// Compare an ELF against a budget file; exit 1 when anything is over.
    Check(budget::CheckArgs),
    /// Rewrite the baseline part of a budget file from an ELF.
    Bless(budget::BlessArgs),
    /// What changed between two builds (ELF or report JSON).
    Diff(budget::DiffArgs),
    /// A static HTML page over builds from their JSON reports (`report --format json --label ...`).
    Dashboard(DashboardArgs),
}

#[derive(Args)]
struct DashboardArgs {
    /// JSON reports, oldest first, or directories of them (`*.json`, in file-name order);
    /// sorted by their `date` labels when every report has one.
    #[arg(required = true, value_name = "REPORT.json|DIR")]
    reports: Vec<PathBuf>,
    /// Output directory; the page is written to DIR/index.html.
    #[arg(short, long, value_name = "DIR")]
    out: PathBuf,
    /// Draw this budget file's region limits.
    #[arg(long, value_name = "FILE")]
    budget: Option<PathBuf>,
    /// Growers listed per pair of consecutive builds; 0 for all.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

#[derive(Args)]
struct ReportArgs {
    /// The firmware ELF (not needed with `--chip list`).
    #[arg(required_unless_present = "chip")]
    elf: Option<PathBuf>,
    /// GNU ld linker script whose MEMORY command declares the regions.
    #[arg(long, value_name = "FILE")]
    memory: Option<PathBuf>,
    /// Chip preset for the regions (`--chip list` shows them).
    #[arg(long, value_name = "NAME")]
    chip: Option<String>,
    /// Take regions and reservations from a budget file.
    #[arg(long, value_name = "FILE")]
    budget: Option<PathBuf>,
    /// Largest symbols shown per region; 0 for all.
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Add a rollup of the bytes by this key.
    #[arg(long, value_enum)]
    by: Option<By>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Record provenance in the report: commit=abc123, branch=main, date=2026-01-31,
    /// build=42 (repeatable; for `dashboard`).
    #[arg(long, value_name = "KEY=VALUE")]
    label: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = match cli.command {
        Command::Report(args) => run_report(&args, &mut out),
        Command::Check(args) => budget::check(&args, &mut out),
        Command::Bless(args) => budget::bless(&args, &mut out),
        Command::Diff(args) => budget::diff(&args, &mut out),
        Command::Dashboard(args) => run_dashboard(&args),
    };
    let flushed = out.flush();
    match result {
        Ok(code) => {
            if let Err(e) = flushed {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    eprintln!("membudget: writing output: {e}");
                    return ExitCode::from(2);
                }
            }
            ExitCode::from(code as u8)
        }
        // A reader that stops early (`| head`) is not an error.
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("membudget: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn run_report(args: &ReportArgs, out: &mut dyn Write) -> Result<i32, Error> {
    if args.chip.as_deref() == Some("list") {
        for p in chips::presets() {
            writeln!(out, "{:<12} {}", p.name, p.description).map_err(output_error)?;
            for (name, origin, length) in p.regions {
                writeln!(
                    out,
                    "    {name:<12} {origin:#010x} {:>10}",
                    render::human(*length)
                )
                .map_err(output_error)?;
            }
            for r in p.reservations {
                writeln!(
                    out,
                    "    reserved: {} in {} {:#010x} {:>10} ({})",
                    r.name,
                    r.region,
                    r.origin,
                    render::human(r.length),
                    r.note
                )
                .map_err(output_error)?;
            }
        }
        return Ok(EXIT_OK);
    }
    let budget_regions = match &args.budget {
        Some(path) => Some(budget::load_regions(path)?),
        None => None,
    };
    let opts = source::resolve(
        args.memory.as_deref(),
        budget_regions.as_ref(),
        args.chip.as_deref(),
    )?;
    let Some(path) = &args.elf else {
        return Err(Error::Usage("report needs an ELF file".into()));
    };
    let image = elf::load_path(path)?;
    let mut report = report::analyze(&image, &opts)?;
    report.labels = report::parse_labels(&args.label)?;
    let view = View {
        top: args.top,
        by: args.by,
    };
    render::render_report(&report, &view, args.format, out).map_err(output_error)?;
    // Freeing tens of thousands of strings just before exit is wasted time.
    std::mem::forget(report);
    std::mem::forget(image);
    Ok(EXIT_OK)
}

fn run_dashboard(args: &DashboardArgs) -> Result<i32, Error> {
    let budget = match &args.budget {
        Some(path) => Some(budget::file::load(path)?),
        None => None,
    };
    let reports = dashboard::input_files(&args.reports)?
        .into_iter()
        .map(|p| dashboard::read_report(&p).map(|v| (p, v)))
        .collect::<Result<Vec<_>, _>>()?;
    let dash = dashboard::build(reports, budget.as_ref(), args.top)?;
    let io_err = |source| Error::Io {
        path: args.out.display().to_string(),
        source,
    };
    std::fs::create_dir_all(&args.out).map_err(io_err)?;
    let mut page = Vec::new();
    render::html::write_page(
        render::html::Page::Dashboard,
        &[render::html::block("dashboard", &dash)],
        &mut page,
    )
    .map_err(output_error)?;
    std::fs::write(args.out.join("index.html"), page).map_err(io_err)?;
    Ok(EXIT_OK)
}

fn output_error(e: io::Error) -> Error {
    Error::Output(e)
}
