//! The library's one error type. Errors are for input tollgate cannot read or
//! usage it cannot honour (exit code 2); problems *in* the evidence are
//! [`crate::finding::Finding`]s instead.

use std::path::{Path, PathBuf};

/// Everything that stops a command before it can judge the evidence.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file was read but its content is not what the reader needs.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// `tollgate.toml` is invalid, at `line` when known.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Policy {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// The command was asked for something it will not do (e.g. overwrite).
    #[error("{}: {message}", path.display())]
    Refused { path: PathBuf, message: String },
    /// A shared service (the ledger database, a registry) could not be
    /// reached or failed; `at` names it, never with a password.
    #[error("{at}: {message}")]
    Remote { at: String, message: String },
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// A parse error in `path`, at `line` when known.
    pub fn parse(path: impl AsRef<Path>, line: Option<usize>, message: impl Into<String>) -> Self {
        Error::Parse {
            path: path.as_ref().to_path_buf(),
            line,
            message: message.into(),
        }
    }

    /// A failure of the service at `at`.
    pub fn remote(at: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Remote {
            at: at.into(),
            message: message.into(),
        }
    }

    /// A refusal concerning `path`.
    pub fn refused(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error::Refused {
            path: path.as_ref().to_path_buf(),
            message: message.into(),
        }
    }
}

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
