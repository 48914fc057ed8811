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

/// Stack that must be left before a walk descends one more level: room for the deepest
/// chain of frames between two calls of [`deeper`].
pub const RED_ZONE: usize = 64 * 1024;

/// The size of each stack segment allocated when the stack runs low.
pub const SEGMENT: usize = 1024 * 1024;

/// Runs `f`, on a new stack segment if the current one has less than [`RED_ZONE`] left.
#[inline]
pub fn deeper<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}

/// Levels a walk that counts its depth may descend between two checks ([`deeper_at`]); a
/// power of two.
pub const CHECK_EVERY: usize = 16;

/// [`deeper`] for a walk that counts its depth and is hot: the stack is checked at every
/// [`CHECK_EVERY`]th level only, so such a walk's frames between two checks must fit in
/// [`RED_ZONE`] (4 KiB a level).
#[inline]
pub fn deeper_at<R>(depth: usize, f: impl FnOnce() -> R) -> R {
    if depth & (CHECK_EVERY - 1) == 0 {
        deeper(f)
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
