//! The command line: the only user of clap, and the only reader of environment variables.
//! Each subcommand is an `Args` struct here and a function in [`commands`].
//!
//! To add a subcommand: a variant of [`Command`] with its `Args` struct below, a function
//! in `commands.rs`, and one line in [`run`]. To add an output format: a variant of
//! [`membudget::render::Format`], and its name in the `FORMATS` list of the commands
//! that support it.

use std::io::Write;
use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use membudget::analyze::rollup::By;
use membudget::error::Error;
use membudget::memory::linker::{Defsym, ScriptOptions};
use membudget::render::Format;

mod commands;
mod files;

/// Environment variable that makes `check` bless the baseline first.
const UPDATE_ENV: &str = "UPDATE_GOLDENS";

/// Where every byte of a firmware ELF goes, per memory region; and a CI gate for memory
/// budgets.
///
/// Exit codes: 0 success / within budget, 1 over budget (check), 2 bad input or usage,
/// 3 internal error (a bug: please report).
#[derive(Parser)]
#[command(name = "membudget", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colour and bold in terminal tables: `auto` when stdout is a terminal, unless
    /// `NO_COLOR` is set (to anything) or `TERM=dumb`.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    color: ColorWhen,
}

/// `--color`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// Whether to colour, and how wide the terminal tables may be: the terminal's width when
/// stdout is one, else `COLUMNS`, else no limit (a file or a CI log).
fn terminal(color: ColorWhen) -> (Option<usize>, bool) {
    use std::io::IsTerminal;
    let tty = std::io::stdout().is_terminal();
    let color = match color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        // `NO_COLOR`: any non-empty value (no-color.org); `TERM=dumb`: no escapes at all.
        ColorWhen::Auto => {
            tty && !anstyle_query::no_color()
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    };
    let from_tty = tty
        .then(|| crossterm::terminal::size().ok())
        .flatten()
        .map(|(w, _)| w as usize)
        .filter(|&w| w > 0);
    let from_env = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&w| w > 0)
    };
    (from_tty.or_else(from_env), color)
}

#[derive(Subcommand)]
enum Command {
    /// Per-region usage, sections, symbols, stack and heap of an ELF.
    Report(ReportArgs),
    /// Compare an ELF against a budget file; exit 1 when anything is over.
    Check(CheckArgs),
    /// Rewrite the baseline part of a budget file from an ELF.
    Bless(BlessArgs),
    /// What changed between two builds (ELF or report JSON).
    Diff(DiffArgs),
    /// List the chip presets of `--chip`.
    Chips,
    /// A static HTML page over builds, from their JSON reports (`report --format json --label ...`).
    Dashboard(DashboardArgs),
    /// Worst-case stack per root (reset, exceptions, interrupts) from the machine code.
    Stack(StackArgs),
    /// Write a starting budget (and its baseline) for an ELF that `check` then passes.
    Init(InitArgs),
}

/// A parser of the names in `table` (or of `names`, a subset of them).
fn named<T: Copy + Send + Sync + 'static>(
    table: &'static [(&'static str, T)],
    names: impl IntoIterator<Item = &'static str>,
) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(names).try_map(move |s| {
        table
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("unknown value '{s}'"))
    })
}

/// A `--format` parser accepting `names` (a subset of [`Format::ALL`]).
fn formats(names: &'static [&'static str]) -> impl TypedValueParser<Value = Format> {
    named(&Format::ALL, names.iter().copied())
}

/// Formats of `diff` (CSV holds the `--by` rows).
const DIFF_FORMATS: &[&str] = &["table", "markdown", "json", "csv"];
/// Formats of the check view.
const CHECK_FORMATS: &[&str] = &["table", "markdown", "json", "html"];
/// Formats of the report view.
const REPORT_FORMATS: &[&str] = &["table", "json", "csv", "markdown", "html"];
/// Formats of the stack view.
const STACK_FORMATS: &[&str] = &["table", "json", "csv", "markdown"];

/// A `--label KEY=VALUE`: the key is not empty.
fn label(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err("expected KEY=VALUE, e.g. commit=abc123".into()),
    }
}

/// How linker scripts are read (`--memory`, a budget's `linker_script`).
#[derive(Args)]
pub(crate) struct ScriptArgs {
    /// Define a linker-script symbol as GNU ld's `--defsym NAME=EXPR` does (repeatable;
    /// applied before the script, as if given before `-T`).
    #[arg(long, value_name = "NAME=EXPR")]
    pub defsym: Vec<Defsym>,
}

impl ScriptArgs {
    /// The options for the linker-script reader.
    pub fn options(&self) -> ScriptOptions {
        ScriptOptions {
            search_dirs: Vec::new(),
            defsyms: self.defsym.clone(),
        }
    }
}

#[derive(Args)]
pub(crate) struct ReportArgs {
    /// The firmware ELF (not needed with `--chip list`).
    #[arg(required_unless_present = "chip")]
    pub elf: Option<PathBuf>,
    /// GNU ld linker script whose MEMORY command declares the regions; it replaces the
    /// regions of --budget (whose linker_script is then not read) and of --chip.
    #[arg(long, value_name = "FILE")]
    pub memory: Option<PathBuf>,
    #[command(flatten)]
    pub script: ScriptArgs,
    /// Chip preset for the regions (`membudget chips` lists them); its reservations add to
    /// the budget's.
    #[arg(long, value_name = "NAME")]
    pub chip: Option<String>,
    /// Take regions (unless --memory is given), reservations and, for --format html, the
    /// region limits from a budget file.
    #[arg(long, value_name = "FILE")]
    pub budget: Option<PathBuf>,
    /// Largest symbols shown per region; 0 for all.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Add a rollup of the bytes by this key (file, dir, cu and crate read the DWARF;
    /// archive and object need --map).
    #[arg(long, value_parser = named(&By::ALL, By::ALL.map(|(n, _)| n)))]
    pub by: Option<By>,
    #[arg(long, default_value = "table", value_parser = formats(REPORT_FORMATS))]
    pub format: Format,
    /// Record provenance in the report: commit=abc123, branch=main, date=2026-01-31,
    /// build=42 (repeatable; for `dashboard`).
    #[arg(long, value_name = "KEY=VALUE", value_parser = label)]
    pub label: Vec<(String, String)>,
    #[command(flatten)]
    pub sources: SourceArgs,
}

/// Where source attribution comes from (`report`, `check`, `bless`, `diff`).
#[derive(Args, Clone, Default)]
pub(crate) struct SourceArgs {
    /// Attribute symbols to source file, line, compile unit and crate from the ELF's DWARF
    /// (automatic with `--by file|dir|cu|crate`).
    #[arg(long)]
    pub dwarf: bool,
    /// GNU ld map file of the image: archive and object per symbol and per gap, and the
    /// regions when nothing else gives them.
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// Directory components kept by `--by dir` (0: the whole directory).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub depth: usize,
    /// Remove this build-machine path prefix from source paths (repeatable).
    #[arg(long, value_name = "PREFIX")]
    pub strip_prefix: Vec<String>,
    /// Rewrite source paths starting with FROM to start with TO (repeatable).
    #[arg(long, value_name = "FROM=TO", value_parser = parse_path_map)]
    pub path_map: Vec<(String, String)>,
}

fn parse_path_map(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| format!("expected FROM=TO, got '{s}'"))
}

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// The firmware ELF.
    pub elf: PathBuf,
    /// The budget file (e.g. golden/NAME.budget.json).
    #[arg(long, value_name = "FILE")]
    pub budget: PathBuf,
    /// GNU ld linker script whose MEMORY command replaces the budget's regions (the
    /// budget's linker_script is then not read); its reservations and limits still apply.
    #[arg(long, value_name = "FILE")]
    pub memory: Option<PathBuf>,
    #[command(flatten)]
    pub script: ScriptArgs,
    #[arg(long, default_value = "table", value_parser = formats(CHECK_FORMATS))]
    pub format: Format,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Symbol changes shown per kind (moved, grown, new...); 0 for all.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    #[command(flatten)]
    pub sources: SourceArgs,
}

#[derive(Args)]
pub(crate) struct InitArgs {
    /// The firmware ELF.
    pub elf: PathBuf,
    /// GNU ld linker script whose MEMORY command declares the regions.
    #[arg(long, value_name = "FILE", conflicts_with = "chip")]
    pub memory: Option<PathBuf>,
    #[command(flatten)]
    pub script: ScriptArgs,
    /// Chip preset for the regions (`membudget chips` lists them).
    #[arg(long, value_name = "NAME")]
    pub chip: Option<String>,
    /// The budget file to write; its baseline goes next to it.
    #[arg(long, value_name = "FILE", default_value = "membudget.budget.json")]
    pub budget: PathBuf,
    /// Limits are today's use plus this many percent (warnings at half of it).
    #[arg(long, value_name = "PERCENT", default_value_t = 10)]
    pub margin: u64,
    /// Overwrite an existing budget or baseline file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args)]
pub(crate) struct StackArgs {
    /// The firmware ELF.
    pub elf: PathBuf,
    /// Budget file whose `budget.stack.analysis` annotates the analysis (indirect-call
    /// targets, recursion depths, frames, priority groups, threads).
    #[arg(long, value_name = "FILE")]
    pub budget: Option<PathBuf>,
    #[arg(long, default_value = "table", value_parser = formats(STACK_FORMATS))]
    pub format: Format,
    #[command(flatten)]
    pub script: ScriptArgs,
    /// Resolve unannotated indirect calls to the address-taken functions (narrowed to a
    /// vtable slot when the call loads one): an assumption, listed as such. Same as
    /// `budget.stack.analysis.resolve_indirect`.
    #[arg(long)]
    pub resolve_indirect: bool,
}

#[derive(Args)]
pub(crate) struct BlessArgs {
    /// The firmware ELF.
    pub elf: PathBuf,
    /// The budget file whose baseline part is rewritten.
    #[arg(long, value_name = "FILE")]
    pub budget: PathBuf,
    /// GNU ld linker script whose MEMORY command replaces the budget's regions (the
    /// budget's linker_script is then not read); its reservations and limits still apply.
    #[arg(long, value_name = "FILE")]
    pub memory: Option<PathBuf>,
    #[command(flatten)]
    pub script: ScriptArgs,
    #[command(flatten)]
    pub sources: SourceArgs,
}

#[derive(Args)]
pub(crate) struct DiffArgs {
    /// Before: an ELF, a JSON report (`report --format json`) or a budget file's baseline.
    pub old: PathBuf,
    /// After: an ELF, a JSON report or a budget file's baseline.
    pub new: PathBuf,
    /// GNU ld linker script declaring the regions of ELF inputs.
    #[arg(long, value_name = "FILE")]
    pub memory: Option<PathBuf>,
    #[command(flatten)]
    pub script: ScriptArgs,
    /// Take the regions (and reservations) of ELF inputs from this budget file.
    #[arg(long, value_name = "FILE")]
    pub budget: Option<PathBuf>,
    /// Chip preset for the regions of ELF inputs.
    #[arg(long, value_name = "NAME")]
    pub chip: Option<String>,
    /// Ignore symbols smaller than this many bytes.
    #[arg(long, default_value_t = 0, value_name = "BYTES")]
    pub threshold: u64,
    /// Output format (csv: the `--by` rows, exact bytes).
    #[arg(long, default_value = "table", value_parser = formats(DIFF_FORMATS))]
    pub format: Format,
    /// Symbol changes shown per kind; 0 for all.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Also show the bytes per component (crate, file, dir... of ELF or JSON report
    /// sides; file, dir, cu and crate read the DWARF of ELF sides) before and after.
    #[arg(long, value_parser = named(&By::ALL, By::ALL.map(|(n, _)| n)))]
    pub by: Option<By>,
    /// Directory components kept by `--by dir` (0: the whole directory).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub depth: usize,
}

#[derive(Args)]
pub(crate) struct DashboardArgs {
    /// JSON reports, oldest first, or directories of them (`*.json`, in file-name order);
    /// sorted by their `date` labels when every report has one.
    #[arg(required = true, value_name = "REPORT.json|DIR")]
    pub reports: Vec<PathBuf>,
    /// Output directory; the page is written to DIR/index.html.
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
    /// Draw this budget file's region limits.
    #[arg(long, value_name = "FILE")]
    pub budget: Option<PathBuf>,
    #[command(flatten)]
    pub script: ScriptArgs,
    /// Growers listed per pair of consecutive builds; 0 for all.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Chart reports of different firmware (ELF file names or region names differ) together
    /// instead of refusing; the page then says so at the top.
    #[arg(long)]
    pub allow_mixed: bool,
}

/// Run the parsed command, writing its output to `out`; returns the exit code.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<i32, Error> {
    let (width, color) = terminal(cli.color);
    membudget::render::table::set_terminal(width, color);
    match cli.command {
        Command::Report(args) if args.chip.as_deref() == Some("list") => {
            if args.format != Format::Table {
                return Err(Error::Usage(
                    "`report --chip list` prints a table only: drop --format".into(),
                ));
            }
            commands::chips(out)
        }
        Command::Report(args) => commands::report(&args, out),
        Command::Check(args) => {
            let update = std::env::var_os(UPDATE_ENV).is_some_and(|v| !v.is_empty() && v != "0");
            commands::check(&args, update, out)
        }
        Command::Bless(args) => commands::bless(&args, out),
        Command::Diff(args) => commands::diff(&args, out),
        Command::Chips => commands::chips(out),
        Command::Dashboard(args) => commands::dashboard(&args),
        Command::Stack(args) => commands::stack(&args, out),
        Command::Init(args) => commands::init(&args, out),
    }
}
