//! Stack for recursion on data whose depth the input controls.
//!
//! A parsed document nests at most [`crate::MAX_DEPTH`] collections (upstream's limit), and
//! the engine checks the same bound wherever it makes a tree deeper after parsing. Every
//! walk that recurses into a tree (clone, drop, equality, the emitter, the JSON writer,
//! merges, patches, field paths) calls [`deeper`] as it descends: when less than
//! [`RED_ZONE`] of the thread's stack is left, the rest of the walk runs on a new segment of
//! [`SEGMENT`] allocated on the heap (the `stacker` crate, which rustc uses for the same
//! purpose). So no tree, however deep, overflows the stack of the thread that walks it,
//! whatever that stack's size: a controller's 2 MiB worker thread included.

use std::cell::Cell;

/// Stack that must be left before a walk descends one more level: room for the deepest
/// chain of frames between two calls of [`deeper`].
pub const RED_ZONE: usize = 64 * 1024;

/// The size of each stack segment allocated when the stack runs low.
pub const SEGMENT: usize = 1024 * 1024;

thread_local! {
    /// Levels of [`deeper`] the thread is in.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Levels [`deeper`] descends before it looks at the stack at all: most trees are shallower,
/// and finding a thread's stack (once per thread) reads `/proc/self/maps` on Linux, which
/// costs about 150 KiB of memory. The frames of a walk's first levels fit in far less
/// than any thread's stack (a few KiB each).
const UNCHECKED_LEVELS: usize = 32;

/// Runs `f`, on a new stack segment if the current one has less than [`RED_ZONE`] left.
#[inline]
pub fn deeper<R>(f: impl FnOnce() -> R) -> R {
    let depth = DEPTH.get();
    if depth >= UNCHECKED_LEVELS && !enough_stack() {
        return on_new_segment(f);
    }
    DEPTH.set(depth + 1);
    let _restore = Restore(depth);
    f()
}

/// Puts the thread's depth back when a level ends (also by unwinding).
struct Restore(usize);

impl Drop for Restore {
    fn drop(&mut self) {
        DEPTH.set(self.0);
    }
}

/// Whether [`RED_ZONE`] of the stack is left. One function for every caller: the check is
/// a call, not code repeated at each of the many places a tree is walked (or dropped).
#[inline(never)]
fn enough_stack() -> bool {
    stacker::remaining_stack().is_some_and(|left| left >= RED_ZONE)
}

/// Runs `f` on a new segment: rare, so kept out of the callers' hot code.
#[cold]
#[inline(never)]
fn on_new_segment<R>(f: impl FnOnce() -> R) -> R {
    let depth = DEPTH.get();
    stacker::grow(SEGMENT, || {
        DEPTH.set(depth + 1);
        let _restore = Restore(depth);
        f()
    })
}

/// Levels a walk that counts its depth may descend between two checks ([`deeper_at`]); a
/// power of two.
pub const CHECK_EVERY: usize = 16;

/// [`deeper`] for a walk that counts its own `depth` and is hot: past the first levels the
/// stack is checked at every [`CHECK_EVERY`]th level only, so such a walk's frames between
/// two checks must fit in [`RED_ZONE`] (4 KiB a level).
#[inline]
pub fn deeper_at<R>(depth: usize, f: impl FnOnce() -> R) -> R {
    if depth >= UNCHECKED_LEVELS && depth & (CHECK_EVERY - 1) == 0 && !enough_stack() {
        on_new_segment(f)
    } else {
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // A frame that a plain recursion of this depth could not fit in 256 KiB.
        let pad = std::hint::black_box([0u8; 512]);
        deeper(|| depth(n - 1)) + usize::from(pad[0] == 0)
    }

    #[test]
    fn deep_recursion_fits_a_small_thread_stack() {
        let out = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| depth(20_000))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(out, 20_000);
    }
}
