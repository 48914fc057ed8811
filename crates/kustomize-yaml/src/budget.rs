//! A build's allowance of tree cost, shared by everything the build parses and copies.

use std::sync::atomic::{AtomicUsize, Ordering};

/// What one build may still create, in [`crate::Size::cost`] units: one per node (scalar,
/// collection, mapping key) plus one per 64 bytes of text. The parser charges each
/// document it makes (alias expansions as they happen, so an alias bomb stops at the
/// limit, not after it), and the engine charges every copy it makes after parsing. Shared
/// between the threads of one build.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    left: AtomicUsize,
}

/// The error of a charge that did not fit: the budget's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    /// The limit the budget started with.
    pub limit: usize,
}

impl Budget {
    /// A budget of `limit` cost units.
    pub fn new(limit: usize) -> Budget {
        Budget {
            limit,
            left: AtomicUsize::new(limit),
        }
    }

    /// The limit the budget started with.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Takes `cost` from what is left; takes nothing and fails when that is less.
    pub fn charge(&self, cost: usize) -> Result<(), Exhausted> {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(cost)
            })
            .map(|_| ())
            .map_err(|_| Exhausted { limit: self.limit })
    }

    /// Gives back `cost` charged for work that was thrown away (a parse that is retried).
    pub fn refund(&self, cost: usize) {
        let _ = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                Some(left.saturating_add(cost).min(self.limit))
            });
    }
}

impl std::fmt::Display for Exhausted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the build would make more than its limit of {} nodes",
            self.limit
        )
    }
}

impl std::error::Error for Exhausted {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_until_spent_and_refunds() {
        let b = Budget::new(10);
        assert!(b.charge(6).is_ok());
        assert_eq!(b.charge(5), Err(Exhausted { limit: 10 }));
        assert!(b.charge(4).is_ok());
        b.refund(3);
        assert!(b.charge(3).is_ok());
        assert!(b.charge(1).is_err());
    }
}
