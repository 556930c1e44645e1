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

#[derive(Debug, Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not an ELF file")]
    NotElf { path: String },
    #[error("{path}: {msg}")]
    BadElf { path: String, msg: String },
    #[error(transparent)]
    LinkerScript(#[from] crate::memory::linker::LinkerScriptError),
    #[error("unknown chip '{0}' (see --chip list)")]
    UnknownChip(String),
    #[error("{0}")]
    Budget(String),
    #[error("{0}")]
    Usage(String),
    #[error("writing output: {0}")]
    Output(#[source] std::io::Error),
    #[error("internal error, please report: {0}")]
    Internal(String),
}

impl Error {
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
            other => other,
        }
    }
}
