//! Errors of the YAML layer.

/// A YAML syntax or resolution error, or a value the emitter cannot print.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed YAML, or a document upstream refuses to decode (duplicate keys, bad tags,
    /// alias bombs, ...).
    #[error("yaml: line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// A value upstream's output path (`json.Marshal` then go-yaml v2) rejects, with
    /// upstream's message: `json: unsupported value: NaN`,
    /// `yaml: control characters are not allowed`.
    #[error("{0}")]
    Emit(String),
    /// The build's [`crate::Budget`] is spent.
    #[error("{0}")]
    Budget(#[from] crate::Exhausted),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// Where in its file a syntax error is: 1-based line and column.
    pub fn location(&self) -> Option<(usize, usize)> {
        match self {
            Error::Syntax { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }

    pub(crate) fn syntax(line: usize, column: usize, message: impl Into<String>) -> Self {
        Error::Syntax {
            line,
            column,
            message: message.into(),
        }
    }
}
