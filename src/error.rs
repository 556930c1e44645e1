//! Errors, and the exit codes they map to.

use thiserror::Error;

/// Exit code when every check passed (or a report was printed).
pub const EXIT_OK: i32 = 0;
/// Exit code when the image is over budget (`check`): a result, not an error.
pub const EXIT_OVER_BUDGET: i32 = 1;
/// Exit code for bad input or usage: unreadable file, not an ELF, malformed linker
/// script or budget file, unknown chip.
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for an internal inconsistency (totals that fail to add up): our bug.
pub const EXIT_INTERNAL: i32 = 3;

/// Everything that can go wrong, each with a one-line message that names the file,
/// region or symbol.
#[derive(Debug, Error)]
pub enum Error {
    /// A file could not be read; every input option says it the same way.
    #[error("cannot read {path}: {}", os_reason(source))]
    Io {
        /// The path as given.
        path: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {}", os_reason(source))]
    Write {
        /// The path as given.
        path: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not an ELF file.
    #[error("{path}: not an ELF file")]
    NotElf {
        /// The path as given.
        path: String,
    },
    /// The input is something recognisably else: a directory, a device, an ld map file,
    /// a core dump.
    #[error("{path}: {what}, not a firmware ELF")]
    WrongInput {
        /// The path as given.
        path: String,
        /// What it is.
        what: &'static str,
    },
    /// The ELF is truncated or corrupt.
    #[error("{path}: {msg}")]
    BadElf {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        msg: String,
    },
    /// A linker script could not be read or understood.
    #[error(transparent)]
    LinkerScript(#[from] crate::memory::linker::LinkerScriptError),
    /// A malformed GNU ld map file (`file:line: message`).
    #[error(transparent)]
    Map(#[from] crate::mapfile::MapError),
    /// No chip preset of that name.
    #[error("unknown chip '{0}' (see membudget chips)")]
    UnknownChip(String),
    /// A malformed budget file (`file:line:column: message`).
    #[error("{0}")]
    Budget(String),
    /// Bad command-line usage or an input of the wrong kind.
    #[error("{0}")]
    Usage(String),
    /// Writing the output failed (a closed pipe is not an error: see `main`).
    #[error("writing output: {0}")]
    Output(#[source] std::io::Error),
    /// Totals that fail to add up: a bug in membudget.
    #[error("internal error, please report: {0}")]
    Internal(String),
}

/// The OS's sentence without Rust's ` (os error N)` suffix.
fn os_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl Error {
    /// The documented exit code: 3 for internal errors, 2 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Internal(_) => EXIT_INTERNAL,
            _ => EXIT_BAD_INPUT,
        }
    }

    /// Replace the file label of an ELF error by the path the user gave.
    pub(crate) fn with_path(self, path: &str) -> Error {
        match self {
            Error::NotElf { .. } => Error::NotElf {
                path: path.to_string(),
            },
            Error::BadElf { msg, .. } => Error::BadElf {
                path: path.to_string(),
                msg,
            },
            Error::WrongInput { what, .. } => Error::WrongInput {
                path: path.to_string(),
                what,
            },
            other => other,
        }
    }
}
