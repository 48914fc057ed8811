//! The errors a build can end with. Each names the file or directory at fault.
//!
//! An error's `Display` says what went wrong at its own level and leaves its cause to
//! [`std::error::Error::source`], so that a chain printed link by link (anyhow's `{:#}`,
//! or [`Error::chain`]) says each thing once.

use std::path::PathBuf;

use crate::resid::ResId;

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("reading '{path}'")]
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
    /// The build was stopped through its [`crate::Cancel`] handle.
    #[error("the build was cancelled")]
    Cancelled,
    /// The build ran past [`crate::Limits::max_duration`].
    #[error("the build exceeds its time limit of {limit:?} (Limits::max_duration)")]
    TimedOut {
        /// The limit.
        limit: std::time::Duration,
    },
    /// The kustomization needs a capability the build's options do not grant.
    #[error("{what} needs {capability}, which this build's options do not grant ({})", capability.option())]
    Denied {
        /// What asked for it: `'URL'`, `helm chart 'NAME'`, `external plugin 'KIND' (...)`.
        what: String,
        /// The capability.
        capability: Capability,
    },
    /// The rendered output could not be written.
    #[error("writing the output")]
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
    #[error("malformed YAML in '{path}'")]
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
    #[error("accumulating resources from '{entry}' in '{root}': {}; as a directory: {}", file_error.chain(), dir_error.chain())]
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
    #[error("in '{dir}'")]
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

/// What a build may do beyond reading its file system, each granted by an option and none
/// by [`crate::Options::default`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Capability {
    /// Fetching remote content: http(s) files and git repositories (`Options::remote`).
    Remote,
    /// Running helm to inflate `helmCharts` (`Options::helm.enabled`).
    Helm,
    /// Running plugins: `transformers:`, `generators:` and `validators:` that are not
    /// builtin (`Options::plugins.alpha`; exec functions also need `plugins.exec`, without
    /// which they are skipped, as upstream skips them).
    Plugins,
}

impl Capability {
    /// The option that grants it.
    pub fn option(self) -> &'static str {
        match self {
            Capability::Remote => "Options::remote",
            Capability::Helm => "Options::helm.enabled",
            Capability::Plugins => "Options::plugins.alpha",
        }
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Capability::Remote => "remote content",
            Capability::Helm => "helm",
            Capability::Plugins => "plugins",
        })
    }
}

/// What kind of failure an [`Error`] is, for callers that branch on it (retry, report to
/// the tenant, alert). [`Error::kind`] looks through the kustomizations it happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file or directory could not be read, or is missing.
    Io,
    /// The load restrictor refused a file, or a path cannot be a kustomization root.
    Restricted,
    /// A kustomization file is missing, doubled, invalid, or in a cycle.
    Kustomization,
    /// A file is not valid YAML.
    Yaml,
    /// A resource is invalid or collides with another.
    Resource,
    /// A generator, patch or transformer could not apply.
    Transform,
    /// A remote fetch failed.
    Remote,
    /// The build needs a capability its options do not grant.
    Denied,
    /// The build went over one of its limits.
    Limit,
    /// The build was cancelled or ran out of time.
    Stopped,
    /// The output could not be printed or written.
    Output,
    /// Anything else, including features kustomize-rs does not have.
    Other,
}

impl Error {
    /// The innermost error: the one this error's kustomization wrappers ([`Error::In`])
    /// hold.
    pub fn root(&self) -> &Error {
        let mut e = self;
        while let Error::In { source, .. } = e {
            e = source;
        }
        e
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self.root() {
            Error::Io { .. } | Error::MissingResource { .. } | Error::Accumulation { .. } => {
                ErrorKind::Io
            }
            Error::OutsideRoot { .. } | Error::BadRoot { .. } => ErrorKind::Restricted,
            Error::MissingKustomization { .. }
            | Error::MultipleKustomizations { .. }
            | Error::InvalidKustomization { .. }
            | Error::Cycle { .. }
            | Error::WrongKind { .. } => ErrorKind::Kustomization,
            Error::Yaml { .. } => ErrorKind::Yaml,
            Error::InvalidResource { .. } | Error::DuplicateId { .. } => ErrorKind::Resource,
            Error::Generator { .. } | Error::Patch { .. } | Error::Transform { .. } => {
                ErrorKind::Transform
            }
            Error::Http { .. } => ErrorKind::Remote,
            Error::Denied { .. } => ErrorKind::Denied,
            Error::Limit { .. } => ErrorKind::Limit,
            Error::Cancelled | Error::TimedOut { .. } => ErrorKind::Stopped,
            Error::Write { .. } | Error::Emit(_) => ErrorKind::Output,
            Error::Unsupported { .. } | Error::Other(_) | Error::In { .. } => ErrorKind::Other,
        }
    }

    /// The file or directory the error is about: the innermost one named, else the
    /// kustomization directory it happened in.
    pub fn path(&self) -> Option<&std::path::Path> {
        let own = match self.root() {
            Error::Io { path, .. }
            | Error::InvalidKustomization { path, .. }
            | Error::Unsupported { path, .. }
            | Error::Yaml { path, .. }
            | Error::InvalidResource { path, .. }
            | Error::OutsideRoot { path, .. }
            | Error::MissingResource { path, .. }
            | Error::BadRoot { path, .. }
            | Error::WrongKind { path, .. } => Some(path.as_path()),
            Error::MissingKustomization { dir } | Error::MultipleKustomizations { dir } => {
                Some(dir.as_path())
            }
            Error::Cycle { candidate, .. } => Some(candidate.as_path()),
            Error::Accumulation { root, .. } => Some(root.as_path()),
            _ => None,
        };
        own.or_else(|| {
            let mut dir = None;
            let mut e = self;
            while let Error::In { dir: d, source } = e {
                dir = Some(d.as_path());
                e = source;
            }
            dir
        })
    }

    /// The whole chain, each link's message joined by `": "`: this error and its sources.
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(e) = next {
            out.push_str(": ");
            out.push_str(&e.to_string());
            next = e.source();
        }
        out
    }

    /// Whether this error ends the build wherever it happens: a limit, a stop, or a
    /// denied capability is no reason to try an entry another way (as a directory, say).
    pub(crate) fn ends_build(&self) -> bool {
        matches!(
            self,
            Error::Limit { .. } | Error::Cancelled | Error::TimedOut { .. } | Error::Denied { .. }
        )
    }

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
