//! Errors of the YAML layer.

/// A YAML syntax or resolution error, or a value the emitter cannot print.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed YAML.
    #[error("yaml: line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// Anything else.
    #[error("{0}")]
    Other(String),
}
