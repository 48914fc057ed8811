//! Bounds on what one build may consume ([`Limits`]), what a build has left of them
//! ([`Allowance`]), and a way to stop a build from another thread ([`Cancel`]).
//!
//! Input can multiply itself: an alias bomb, a base included through sixteen levels of
//! diamonds, JSON patch `copy` operations that each double a document, a replacement that
//! copies a large value into every resource. Each is charged where it happens, against one
//! allowance per build (not per file or per document), and a build that would go over
//! fails with [`Error::Limit`] before it has made what it may not.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kustomize_yaml::{Budget, Value};

use crate::Error;

/// Bounds on one build. The defaults are generous: every tree of the conformance and
/// real-world suites, and the generated 100,000-resource tree, builds far within them.
/// A build that would go over one fails with [`Error::Limit`] naming it.
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
    /// Bytes of one file (or one remote file). Default 256 MiB.
    pub max_file_bytes: u64,
    /// Resources one kustomization may hold once its bases, generators and components are
    /// in. Default 1,000,000.
    pub max_resources: usize,
    /// How deep bases and components may nest below the kustomization built (a base is
    /// depth 1). Default 100; upstream has no bound, and the deepest real-world tree in
    /// the suites nests 7.
    pub max_depth: usize,
    /// Wall time the build may take, from its start; `None` (the default) for no bound.
    /// Checked between files and between transformer steps, and a git fetch's own
    /// timeout never outlasts it.
    pub max_duration: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_nodes: 32_000_000,
            max_bytes_read: 1 << 30,
            max_file_bytes: 256 << 20,
            max_resources: 1_000_000,
            max_depth: 100,
            max_duration: None,
        }
    }
}

/// A handle that stops builds from another thread: give a clone to
/// [`Options::cancel`](crate::Options::cancel), and [`Cancel::cancel`] makes every build
/// holding it end promptly (between files and between transformer steps) with
/// [`Error::Cancelled`].
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A handle not yet triggered.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Stops every build that holds this handle (or a clone of it).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A build's stop signal as a step that loops over every resource sees it: the build's
/// [`Allowance`], if the resources belong to a build ([`crate::ResMap::stop`]).
#[derive(Debug, Clone, Default)]
pub struct Stop(Option<Arc<Allowance>>);

impl Stop {
    /// The stop signal of the build `allowance` belongs to.
    pub fn of(allowance: &Arc<Allowance>) -> Stop {
        Stop(Some(Arc::clone(allowance)))
    }

    /// Whether the build has been stopped (cancelled or out of time).
    pub fn is_stopped(&self) -> bool {
        self.0.as_ref().is_some_and(|a| a.checkpoint().is_err())
    }

    /// [`Allowance::poll`]: whether the build may go on, checked every 256th `i`.
    #[inline]
    pub fn poll(&self, i: usize) -> Result<(), Error> {
        match &self.0 {
            Some(a) => a.poll(i),
            None => Ok(()),
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
    deadline: Option<Instant>,
    cancel: Option<Cancel>,
}

impl Allowance {
    /// The whole of `limits`, from now.
    pub fn new(limits: Limits) -> Arc<Allowance> {
        Allowance::with_cancel(limits, None)
    }

    /// The whole of `limits`, from now, stopped early by `cancel`.
    pub fn with_cancel(limits: Limits, cancel: Option<Cancel>) -> Arc<Allowance> {
        Arc::new(Allowance {
            limits,
            nodes: Budget::new(limits.max_nodes),
            read: AtomicU64::new(0),
            deadline: limits.max_duration.map(|d| Instant::now() + d),
            cancel,
        })
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether the build may go on: not cancelled, not past its time.
    pub fn checkpoint(&self) -> Result<(), Error> {
        if self.cancel.as_ref().is_some_and(Cancel::is_cancelled) {
            return Err(Error::Cancelled);
        }
        if let (Some(deadline), Some(limit)) = (self.deadline, self.limits.max_duration) {
            if Instant::now() >= deadline {
                return Err(Error::TimedOut { limit });
            }
        }
        Ok(())
    }

    /// [`Allowance::checkpoint`] once every 256th `i`: for loops over every resource,
    /// so that a cancelled build stops within a step, not only between steps.
    pub fn poll(&self, i: usize) -> Result<(), Error> {
        if i % 256 == 255 {
            self.checkpoint()
        } else {
            Ok(())
        }
    }

    /// How long the build may still run, if it is bounded.
    pub fn time_left(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Checks that a kustomization holds no more than [`Limits::max_resources`].
    pub fn resources(&self, count: usize) -> Result<(), Error> {
        within(
            count as u64,
            self.limits.max_resources as u64,
            "resources",
            "max_resources",
        )
    }

    /// Checks a base or component `depth` levels below the kustomization built.
    pub fn depth(&self, depth: usize) -> Result<(), Error> {
        let what = "levels of nested kustomizations";
        within(
            depth as u64,
            self.limits.max_depth as u64,
            what,
            "max_depth",
        )
    }

    /// Checks the size of one file (what was read of it).
    pub fn file(&self, bytes: u64) -> Result<(), Error> {
        let what = "bytes in one file";
        within(bytes, self.limits.max_file_bytes, what, "max_file_bytes")
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
            defer_key_errors: false,
        };
        kustomize_yaml::parse_documents_in(text, schema, cx)
    }

    /// Charges a copy of `value`.
    pub fn copy(&self, value: &Value) -> Result<(), Error> {
        self.charge(value.size().cost)
    }
}

/// `value` against `limit`: over it is [`Error::Limit`] naming `what` was counted and the
/// [`Limits`] `field`.
fn within(value: u64, limit: u64, what: &'static str, field: &'static str) -> Result<(), Error> {
    if value > limit {
        return Err(Error::Limit { what, field, limit });
    }
    Ok(())
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
            ..Limits::default()
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

    #[test]
    fn a_cancelled_or_late_build_stops_at_its_next_checkpoint() {
        let cancel = Cancel::new();
        let a = Allowance::with_cancel(Limits::default(), Some(cancel.clone()));
        assert!(a.checkpoint().is_ok());
        cancel.cancel();
        assert!(matches!(a.checkpoint(), Err(Error::Cancelled)));
        let late = Allowance::new(Limits {
            max_duration: Some(Duration::ZERO),
            ..Limits::default()
        });
        assert!(matches!(late.checkpoint(), Err(Error::TimedOut { .. })));
        assert!(Allowance::new(Limits::default()).checkpoint().is_ok());
    }
}
