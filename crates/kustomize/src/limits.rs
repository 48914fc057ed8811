//! Bounds on what one build may consume ([`Limits`]), and what a build has left of them
//! ([`Allowance`]).
//!
//! Input can multiply itself: an alias bomb, a base included through sixteen levels of
//! diamonds, JSON patch `copy` operations that each double a document, a replacement that
//! copies a large value into every resource. Each is charged where it happens, against one
//! allowance per build (not per file or per document), and a build that would go over
//! fails with [`Error::Limit`] before it has made what it may not.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use kustomize_yaml::{Budget, Value};

use crate::Error;

/// Bounds on one build. The defaults are generous: every tree of the conformance and
/// real-world suites, and the generated 100,000-resource tree, builds far within them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Tree cost the build may make, in nodes: each scalar, collection and mapping key,
    /// plus one per 64 bytes of text. Charged for every document parsed (alias expansions
    /// as they happen) and for every copy the build makes of a tree (patches applied to
    /// each target, JSON patch values, replacements, vars). Default 32,000,000: about
    /// 1.3 GB of trees, eight times what the generated 100,000-resource tree makes
    /// (4,041,660).
    pub max_nodes: usize,
    /// Bytes of files the build may read, each read counted (a base included twice is
    /// read twice). Default 1 GiB.
    pub max_bytes_read: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_nodes: 32_000_000,
            max_bytes_read: 1 << 30,
        }
    }
}

/// What one build has left of its [`Limits`], shared by every loader of the build and by
/// the threads that parse for it.
#[derive(Debug)]
pub struct Allowance {
    limits: Limits,
    nodes: Budget,
    read: AtomicU64,
}

impl Allowance {
    /// The whole of `limits`.
    pub fn new(limits: Limits) -> Arc<Allowance> {
        Arc::new(Allowance {
            limits,
            nodes: Budget::new(limits.max_nodes),
            read: AtomicU64::new(0),
        })
    }

    /// The node budget, for the parser.
    pub fn budget(&self) -> &Budget {
        &self.nodes
    }

    /// Charges `bytes` read from a file.
    pub fn read(&self, bytes: usize) -> Result<(), Error> {
        let bytes = bytes as u64;
        let before = self.read.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) > self.limits.max_bytes_read {
            return Err(Error::Limit {
                what: "bytes read",
                field: "max_bytes_read",
                limit: self.limits.max_bytes_read,
            });
        }
        Ok(())
    }

    /// Bytes the build may still read.
    pub fn read_left(&self) -> u64 {
        self.limits
            .max_bytes_read
            .saturating_sub(self.read.load(Ordering::Relaxed))
    }

    /// Charges `cost` nodes.
    pub fn charge(&self, cost: usize) -> Result<(), Error> {
        self.nodes.charge(cost).map_err(Error::from)
    }

    /// Parses `text` as [`kustomize_yaml::parse_documents`] does, charging the build.
    pub fn parse(
        &self,
        text: &str,
        schema: kustomize_yaml::Schema,
    ) -> Result<Vec<Value>, kustomize_yaml::Error> {
        let cx = kustomize_yaml::Context {
            keys: None,
            budget: Some(&self.nodes),
            first_key_wins: false,
        };
        kustomize_yaml::parse_documents_in(text, schema, cx)
    }

    /// Charges a copy of `value`.
    pub fn copy(&self, value: &Value) -> Result<(), Error> {
        self.charge(value.size().cost)
    }
}

impl From<kustomize_yaml::Exhausted> for Error {
    fn from(e: kustomize_yaml::Exhausted) -> Error {
        Error::Limit {
            what: "nodes",
            field: "max_nodes",
            limit: e.limit as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_nodes_are_bounded() {
        let a = Allowance::new(Limits {
            max_nodes: 10,
            max_bytes_read: 100,
        });
        assert!(a.read(60).is_ok());
        assert!(matches!(
            a.read(41),
            Err(Error::Limit {
                field: "max_bytes_read",
                ..
            })
        ));
        assert!(a.charge(10).is_ok());
        let err = a.copy(&Value::from("x")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the build exceeds its limit of 10 nodes (Limits::max_nodes)"
        );
    }
}
