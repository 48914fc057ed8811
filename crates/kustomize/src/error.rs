//! The errors a build can end with. Each names the file or directory at fault.

use std::path::PathBuf;

use crate::resid::ResId;

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("reading '{path}': {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The build went over one of its [`crate::Limits`].
    #[error("the build exceeds its limit of {limit} {what} (Limits::{field})")]
    Limit {
        /// What was counted.
        what: &'static str,
        /// The field of [`crate::Limits`].
        field: &'static str,
        /// The limit.
        limit: u64,
    },
    /// The rendered output could not be written.
    #[error("writing the output: {source}")]
    Write {
        /// The OS error.
        source: std::io::Error,
    },
    /// A directory holds no kustomization file.
    #[error("unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{dir}'")]
    MissingKustomization {
        /// The directory.
        dir: PathBuf,
    },
    /// A directory holds more than one kustomization file.
    #[error("found multiple kustomization files under: {dir}")]
    MultipleKustomizations {
        /// The directory.
        dir: PathBuf,
    },
    /// A remote file that could not be fetched.
    #[error("fetching '{url}': {message}")]
    Http {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A kustomization file that does not decode or is not valid.
    #[error("invalid kustomization '{path}': {message}")]
    InvalidKustomization {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// A kustomization uses a field kustomize-rs does not implement yet.
    #[error("'{path}': not supported yet: {field}")]
    Unsupported {
        /// The kustomization file (or the feature's source).
        path: PathBuf,
        /// The field or feature.
        field: String,
    },
    /// Malformed YAML in a resource file.
    #[error("malformed YAML in '{path}': {source}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: kustomize_yaml::Error,
    },
    /// A document that is not a valid resource (no kind, no name, not a map).
    #[error("invalid resource in '{path}': {message}")]
    InvalidResource {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// The load restrictor refused a file outside the kustomization root.
    #[error("security; file '{path}' is not in or below '{root}'")]
    OutsideRoot {
        /// The file asked for.
        path: PathBuf,
        /// The kustomization root.
        root: PathBuf,
    },
    /// A resource entry that is neither a file nor a kustomization directory.
    #[error("accumulating resources from '{entry}' in '{root}': {file_error}; as a directory: {dir_error}")]
    Accumulation {
        /// The entry as written.
        entry: String,
        /// The kustomization root it is relative to.
        root: PathBuf,
        /// Why it is not a file.
        file_error: Box<Error>,
        /// Why it is not a kustomization directory.
        dir_error: Box<Error>,
    },
    /// A `resources` entry that names nothing.
    #[error("resource '{entry}': no such file or directory: {path}")]
    MissingResource {
        /// The entry as written.
        entry: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A path that cannot be used as a kustomization root.
    #[error("'{path}': {message}")]
    BadRoot {
        /// The path.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// A base that refers back to a directory already being built.
    #[error("cycle detected: candidate root '{candidate}' contains visited root '{visited}'")]
    Cycle {
        /// The directory asked for.
        candidate: PathBuf,
        /// The directory it contains, already on the way.
        visited: PathBuf,
    },
    /// Two resources with the same id.
    #[error("may not add resource with an already registered id: {id}")]
    DuplicateId {
        /// The id.
        id: ResId,
    },
    /// A component listed under `resources`, or a kustomization under `components`.
    #[error("'{path}': {message}")]
    WrongKind {
        /// The directory.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// A generator could not generate.
    #[error("{generator}: {message}")]
    Generator {
        /// The generator (kind and name).
        generator: String,
        /// What went wrong.
        message: String,
    },
    /// A patch that cannot be read or applied.
    #[error("{patch}: {message}")]
    Patch {
        /// The patch (its path, or the resource patched).
        patch: String,
        /// What went wrong.
        message: String,
    },
    /// A transformer could not apply.
    #[error("{transformer}: {message}")]
    Transform {
        /// The transformer.
        transformer: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A value the YAML emitter cannot print (NaN or infinity).
    #[error("{0}")]
    Emit(kustomize_yaml::Error),
    /// An error inside a base, component or other kustomization the build reached.
    #[error("in '{dir}': {source}")]
    In {
        /// The kustomization directory.
        dir: PathBuf,
        /// The error.
        source: Box<Error>,
    },
    /// Anything else, with its context.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// A YAML error in `path`; the parser's budget running out is the build's limit, not a
    /// fault of the file.
    pub(crate) fn yaml(path: impl Into<PathBuf>, source: kustomize_yaml::Error) -> Error {
        match source {
            kustomize_yaml::Error::Budget(e) => e.into(),
            source => Error::Yaml {
                path: path.into(),
                source,
            },
        }
    }

    /// Wraps this error with the kustomization directory it happened in.
    pub fn within(self, dir: impl Into<PathBuf>) -> Error {
        Error::In {
            dir: dir.into(),
            source: Box::new(self),
        }
    }
}
