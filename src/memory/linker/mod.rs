//! Reading memory regions out of GNU ld linker scripts, as GNU ld reads them.
//!
//! What is read: every `MEMORY` command (`ORIGIN`/`org`/`o`, `LENGTH`/`len`/`l`,
//! attributes, full expressions with `ORIGIN()`, `LENGTH()`, `DEFINED()`, `MIN`,
//! `MAX`, `ALIGN(a, b)`, `LOG2CEIL`, `ABSOLUTE`, `SEGMENT_START`), symbol assignments
//! anywhere in the script (`X = ...;`, `X += ...;`, `PROVIDE(X = ...)`, the
//! `X = DEFINED(X) ? X : default;` idiom), `--defsym NAME=EXPR`, `INCLUDE` (at top
//! level, in `MEMORY`, `SECTIONS` and output sections), `SEARCH_DIR` and
//! `REGION_ALIAS`. Everything else is skipped, in the lexer state ld reads it in.
//!
//! The work is split as in ld: [`lexer`] (ldlex.l's states and longest-match rules),
//! [`parser`] (the statements that matter, as trees) and [`eval`] (the order in which
//! ld evaluates assignments and regions, checked against ld's own map files).
//!
//! `INCLUDE` files are searched for relative to the directory of the including
//! script, then the current directory, then any `SEARCH_DIR`/extra search
//! directories. (GNU ld itself searches the current directory and `-L` paths only;
//! looking next to the including script first is what makes the tool usable from any
//! working directory.) Nesting is limited to 10 levels, as in ld, and a file that
//! (transitively) includes itself is reported as a cycle.

mod eval;
mod lexer;
mod parser;

use std::path::{Path, PathBuf};

use crate::memory::Region;

/// GNU ld's `MAX_INCLUDE_DEPTH`.
const MAX_INCLUDE_DEPTH: usize = 10;

/// Why a linker script could not be read. Positions are 1-based; `file` is the path of
/// the script (or included file) as given or found.
#[derive(Debug, thiserror::Error)]
pub enum LinkerScriptError {
    /// The top-level script could not be read.
    #[error("cannot read {}: {reason}", path.display())]
    Read {
        /// The script's path.
        path: PathBuf,
        /// The I/O error's message without its OS error number.
        reason: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An `INCLUDE`d file could not be found or read.
    #[error("{file}:{line}:{column}: cannot read included file '{name}': {reason}")]
    Include {
        /// The including file.
        file: String,
        /// Line of the `INCLUDE`.
        line: usize,
        /// Column of the `INCLUDE`.
        column: usize,
        /// The file name as written.
        name: String,
        /// The I/O error's message without its OS error number.
        reason: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Any lexical, syntax or evaluation error, at a 1-based line and column.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The file (`--defsym` for a `--defsym` argument).
        file: String,
        /// Line.
        line: usize,
        /// Column, in characters.
        column: usize,
        /// What is wrong, lowercase.
        message: String,
    },
    /// The script (and everything it includes) has no `MEMORY` command.
    #[error("no MEMORY command in {file}")]
    NoMemory {
        /// The top-level script.
        file: String,
    },
}

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

/// Something GNU ld accepts but that is probably a mistake. Data, not sentences:
/// renderers word them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScriptWarning {
    /// Two regions share the bytes `[start, end)`.
    OverlappingRegions {
        /// The region declared first.
        first: String,
        /// The region declared later.
        second: String,
        /// First shared address.
        start: u64,
        /// One past the last shared address.
        end: u64,
    },
}

/// The regions of a script's `MEMORY` commands, in the order written, and warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptRegions {
    /// Every region of every `MEMORY` command, in declaration order.
    pub regions: Vec<Region>,
    /// What GNU ld accepts but is probably a mistake.
    pub warnings: Vec<ScriptWarning>,
}

/// `--defsym NAME=EXPR`, parsed (GNU ld's syntax: a full expression, no `;`).
#[derive(Debug, Clone)]
pub struct Defsym {
    assign: parser::Assign,
}

impl Defsym {
    /// Parses `NAME=EXPR` (errors are positioned in the file `--defsym`).
    pub fn parse(text: &str) -> Result<Defsym, LinkerScriptError> {
        parser::parse_defsym(text).map(|assign| Defsym { assign })
    }

    /// The symbol it defines.
    pub fn name(&self) -> &str {
        &self.assign.name
    }
}

impl std::str::FromStr for Defsym {
    type Err = LinkerScriptError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Defsym::parse(s)
    }
}

/// How to read a script: what ld's command line would add.
#[derive(Debug, Clone, Default)]
pub struct ScriptOptions {
    /// Directories searched for `INCLUDE`d files after the including script's
    /// directory and the current directory (ld's `-L`).
    pub search_dirs: Vec<PathBuf>,
    /// `--defsym`s, in command-line order, evaluated before the script (as if they
    /// came before `-T` on ld's command line).
    pub defsyms: Vec<Defsym>,
}

/// Parses the linker script at `path` (following `INCLUDE`s) and returns every
/// region of every `MEMORY` command, in the order written.
pub fn parse_memory_file(path: &Path) -> Result<Vec<Region>, LinkerScriptError> {
    read_memory_file(path, &ScriptOptions::default()).map(|m| m.regions)
}

/// Like [`parse_memory_file`], with extra directories to search for `INCLUDE`d files
/// after the including script's directory and the current directory (the
/// equivalent of ld's `-L` options).
pub fn parse_memory_file_with_search_dirs(
    path: &Path,
    search_dirs: &[PathBuf],
) -> Result<Vec<Region>, LinkerScriptError> {
    let options = ScriptOptions {
        search_dirs: search_dirs.to_vec(),
        defsyms: Vec::new(),
    };
    read_memory_file(path, &options).map(|m| m.regions)
}

/// Reads the script at `path` with `options`: regions and warnings.
pub fn read_memory_file(
    path: &Path,
    options: &ScriptOptions,
) -> Result<ScriptRegions, LinkerScriptError> {
    let text = read_text(path).map_err(|source| LinkerScriptError::Read {
        path: path.to_path_buf(),
        reason: io_reason(&source),
        source,
    })?;
    let canonical = std::fs::canonicalize(path).ok();
    read(
        &text,
        &path.display().to_string(),
        path.parent(),
        canonical,
        options,
    )
}

/// Parses linker script text. `file_label` is used in error messages; relative
/// `INCLUDE`s are resolved against `base_dir` (when given), then the current directory.
pub fn parse_memory_str(
    text: &str,
    file_label: &str,
    base_dir: Option<&Path>,
) -> Result<Vec<Region>, LinkerScriptError> {
    read_memory_str(text, file_label, base_dir, &ScriptOptions::default()).map(|m| m.regions)
}

/// [`parse_memory_str`] with options, returning warnings too.
pub fn read_memory_str(
    text: &str,
    file_label: &str,
    base_dir: Option<&Path>,
    options: &ScriptOptions,
) -> Result<ScriptRegions, LinkerScriptError> {
    read(text, file_label, base_dir, None, options)
}

fn read(
    text: &str,
    label: &str,
    base_dir: Option<&Path>,
    canonical: Option<PathBuf>,
    options: &ScriptOptions,
) -> Result<ScriptRegions, LinkerScriptError> {
    let mut p = parser::Parser::new(&options.search_dirs);
    p.parse_file(text, label, base_dir, canonical, parser::Mode::Script)?;
    if !p.script.found_memory {
        return Err(LinkerScriptError::NoMemory {
            file: label.to_string(),
        });
    }
    let defsyms: Vec<&parser::Assign> = options.defsyms.iter().map(|d| &d.assign).collect();
    eval::evaluate(&p.script, &defsyms)
}

fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// `io::Error`'s message without the " (os error N)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s,
    }
}

#[cfg(test)]
mod tests;
