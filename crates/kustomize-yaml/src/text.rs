//! [`Str`]: a string scalar's text in 15 bytes, so that a [`Value`](crate::Value) is 16.
//!
//! Texts of up to 14 bytes (most of a resource's values: names, labels, ports, image
//! tags) sit inline; longer ones live in a [`ThinVec<u8>`](crate::ThinVec) made at exactly
//! their length (8 bytes of header; [`Str::set`] keeps a block that is large enough). `Str`
//! has alignment 1, which lets the value enum put its tag in the first byte and the text
//! in the other fifteen.
//!
//! A `Str` always copies its text, even from a `String`: saphyr's scanner reserves a
//! whole look-ahead buffer (128 bytes) for every plain scalar, and the tree keeps every
//! value, so adopting the parser's strings would keep their slack.
//!
//! Long texts are not shared between equal strings: on the generated 10,000-resource tree
//! most long texts are made by transformers (prefixed names, rewritten images), each one
//! distinct, and a shared block's count and length cost more than sharing saved
//! (measured with a key cache: the same final heap, 0.2 MB more at its peak).

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use crate::ThinVec;

/// The longest text kept inline.
const INLINE: usize = 14;
/// The first byte of a `Str` whose text is on the heap.
const HEAP: u8 = u8::MAX;

/// An immutable string, inline up to 14 bytes, 15 bytes wide.
pub struct Str {
    /// `[len, text...]` inline, or `[HEAP, pointer (unaligned)...]`; every byte is
    /// initialised. `MaybeUninit` bytes, unlike `u8`s, keep the pointer's provenance when
    /// a `Str` is moved or copied.
    bytes: [MaybeUninit<u8>; INLINE + 1],
}

// 15 bytes, alignment 1: the value enum's tag takes the 16th byte.
const _: () = assert!(std::mem::size_of::<Str>() == 15 && std::mem::align_of::<Str>() == 1);

// SAFETY: a heap text is owned by its Str alone, as a String's is.
unsafe impl Send for Str {}
// SAFETY: `&Str` only reads.
unsafe impl Sync for Str {}

impl Str {
    /// A copy of `text`.
    pub fn new(text: &str) -> Str {
        if text.len() > INLINE {
            let mut heap: ThinVec<u8> = ThinVec::with_capacity(text.len());
            heap.extend_from_slice(text.as_bytes());
            return Str::on_heap(heap);
        }
        let mut bytes = [MaybeUninit::new(0u8); INLINE + 1];
        bytes[0] = MaybeUninit::new(text.len() as u8);
        for (to, &b) in bytes[1..].iter_mut().zip(text.as_bytes()) {
            *to = MaybeUninit::new(b);
        }
        Str { bytes }
    }

    /// The `Str` whose text is `heap`'s bytes (more than fit inline).
    fn on_heap(heap: ThinVec<u8>) -> Str {
        let mut bytes = [MaybeUninit::new(0u8); INLINE + 1];
        bytes[0] = MaybeUninit::new(HEAP);
        // SAFETY: bytes 1..9 hold the pointer, written unaligned.
        unsafe {
            bytes
                .as_mut_ptr()
                .add(1)
                .cast::<NonNull<u8>>()
                .write_unaligned(heap.into_raw())
        };
        Str { bytes }
    }

    /// Replaces the text. A longer text than fits inline reuses (or reallocates) the
    /// heap block this one has: a transformer rewriting every resource's name or image
    /// then leaves no freed block behind among the parsed tree.
    pub fn set(&mut self, text: &str) {
        match self.heap() {
            Some(raw) if text.len() > INLINE => {
                // The block moves out: self is the empty text until it is given back.
                std::mem::forget(std::mem::take(self));
                // SAFETY: taken back once, from the into_raw that made self.
                let mut heap = unsafe { ThinVec::<u8>::from_raw(raw) };
                heap.clear();
                heap.reserve_exact(text.len());
                heap.extend_from_slice(text.as_bytes());
                *self = Str::on_heap(heap);
            }
            _ => *self = Str::new(text),
        }
    }

    /// The first byte: the inline length, or `HEAP`.
    fn tag(&self) -> u8 {
        // SAFETY: every byte is initialised; the first is always a plain byte.
        unsafe { self.bytes[0].assume_init() }
    }

    /// The heap text's pointer, if the text is on the heap.
    fn heap(&self) -> Option<NonNull<u8>> {
        // SAFETY: a HEAP first byte means bytes 1..9 hold the pointer `new` wrote.
        (self.tag() == HEAP).then(|| unsafe {
            self.bytes
                .as_ptr()
                .add(1)
                .cast::<NonNull<u8>>()
                .read_unaligned()
        })
    }

    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        let bytes = match self.heap() {
            // SAFETY: the pointer came from ThinVec::into_raw in `new` and lives as long
            // as self, unchanged.
            Some(raw) => unsafe { ThinVec::<u8>::raw_slice(raw) },
            // SAFETY: the inline text's bytes are initialised plain bytes.
            None => unsafe {
                std::slice::from_raw_parts(
                    self.bytes.as_ptr().add(1).cast::<u8>(),
                    self.tag().into(),
                )
            },
        };
        // SAFETY: both forms hold a copy of a &str's bytes.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }
}

impl Drop for Str {
    fn drop(&mut self) {
        if let Some(raw) = self.heap() {
            // SAFETY: taken back once, here.
            drop(unsafe { ThinVec::<u8>::from_raw(raw) });
        }
    }
}

impl Clone for Str {
    fn clone(&self) -> Self {
        match self.heap() {
            Some(_) => Str::new(self.as_str()),
            None => Str { bytes: self.bytes },
        }
    }
}

impl Default for Str {
    fn default() -> Self {
        Str::new("")
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self.as_str() == other.as_str()
    }
}

text_traits!(Str);

impl From<&str> for Str {
    fn from(text: &str) -> Self {
        Str::new(text)
    }
}

impl From<&String> for Str {
    fn from(text: &String) -> Self {
        Str::new(text)
    }
}

impl From<String> for Str {
    fn from(text: String) -> Self {
        Str::new(&text)
    }
}

impl From<std::borrow::Cow<'_, str>> for Str {
    fn from(text: std::borrow::Cow<'_, str>) -> Self {
        Str::new(&text)
    }
}

impl From<compact_str::CompactString> for Str {
    fn from(text: compact_str::CompactString) -> Self {
        Str::new(&text)
    }
}

impl From<Str> for String {
    fn from(text: Str) -> Self {
        text.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Every text reads back, clones and compares as itself, inline or not.
        #[test]
        fn keeps_its_text(text in ".{0,40}", other in ".{0,20}") {
            let s = Str::new(&text);
            proptest::prop_assert_eq!(s.as_str(), text.as_str());
            let c = s.clone();
            drop(s);
            proptest::prop_assert_eq!(c.as_str(), text.as_str());
            proptest::prop_assert_eq!(c.cmp(&Str::new(&other)), text.as_str().cmp(other.as_str()));
            proptest::prop_assert_eq!(c == Str::new(&other), text == other);
            let mut d = c.clone();
            d.set(&other);
            proptest::prop_assert_eq!(d.as_str(), other.as_str());
            d.set(&text);
            proptest::prop_assert_eq!(d.as_str(), text.as_str());
        }
    }

    #[test]
    fn sent_between_threads() {
        let s = Str::new("a text longer than fourteen bytes");
        let t = std::thread::spawn(move || s.len()).join().unwrap();
        assert_eq!(t, 33);
    }
}
