//! [`Str`]: a string scalar's text in 15 bytes, so that a [`Value`](crate::Value) is 16.
//!
//! Texts of up to 14 bytes (most of a resource's values: names, labels, ports, image
//! tags) sit inline; longer ones live in a [`ThinVec<u8>`](crate::ThinVec) made at exactly
//! their length (8 bytes of header; [`Str::set`] keeps a block that is large enough). `Str`
//! has alignment 1, which lets the value enum put its tag in the first byte and the text
//! in the other fifteen.
//!
//! A `Str` always copies its text, even from a `String`: granit's scanner reserves a
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
/// The first byte's bit that says the text is on the heap (else its low bits are the
/// inline length).
const HEAP: u8 = 0x80;
/// The first byte's bit of [`Str::is_untagged`].
const UNTAGGED: u8 = 0x40;
/// The first byte's bit of [`Str::is_styled`].
const STYLED: u8 = 0x20;
/// The first byte's bit of [`Str::is_known_plain`].
const KNOWN_PLAIN: u8 = 0x10;
/// The first byte's bits that are marks, not length.
const MARKS: u8 = UNTAGGED | STYLED | KNOWN_PLAIN;

/// An immutable string, inline up to 14 bytes, 15 bytes wide.
///
/// It also carries two marks of the scalar node it came from, which upstream keeps on its
/// nodes and a transformer may later look at ([`Str::is_untagged`], [`Str::is_styled`]).
/// Marks are not part of the text: equal texts compare equal whatever their marks.
pub struct Str {
    /// `[marks | len, text...]` inline, or `[marks | HEAP, pointer (unaligned)...]`; every byte is
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

    /// Whether the scalar has no tag: kustomize wrote it from text (an image, a prefixed
    /// name, a field a replacement created) with kyaml's `NewScalarRNode`, so go-yaml
    /// resolves its text only when the resource is printed, and kyaml's field setter
    /// quotes it when a later strategic-merge patch walks it and its text reads as a
    /// YAML 1.1 non-string.
    pub fn is_untagged(&self) -> bool {
        self.first() & UNTAGGED != 0
    }

    /// Whether the scalar was written quoted or as a block (`"x"`, `'x'`, `|`, `>`): kyaml
    /// keeps an overwritten field's style, so text set over it later stays a string.
    pub fn is_styled(&self) -> bool {
        self.first() & STYLED != 0
    }

    /// Whether the string is known to be plain although YAML 1.1 reads its text as a
    /// non-string: read from a file (`yes`, `on`, `y` are plain `!!str` nodes to go-yaml
    /// v3), or set over a plain field by a patch.
    pub fn is_known_plain(&self) -> bool {
        self.first() & KNOWN_PLAIN != 0
    }

    /// Whether the node prints quoted by its style, so that a value set over it stays a
    /// string: it is [styled](Str::is_styled), or it is a tagged string whose text YAML 1.1
    /// reads as a non-string that was not [known plain](Str::is_known_plain) (kyaml's field
    /// setter quotes such a string when it creates a field: generated data `"12"`, a
    /// label `"yes"`).
    pub fn has_quotes(&self) -> bool {
        self.is_styled()
            || (!self.is_untagged()
                && !self.is_known_plain()
                && crate::resolve::is_yaml11_non_string(self.as_str()))
    }

    /// This text marked known plain (or not).
    pub fn known_plain(mut self, on: bool) -> Str {
        self.mark(KNOWN_PLAIN, on);
        self
    }

    /// This text marked untagged (or not).
    pub fn untagged(mut self, on: bool) -> Str {
        self.mark(UNTAGGED, on);
        self
    }

    /// This text marked styled (or not).
    pub fn styled(mut self, on: bool) -> Str {
        self.mark(STYLED, on);
        self
    }

    /// Marks this text untagged (or not) in place.
    pub fn mark_untagged(&mut self, on: bool) {
        self.mark(UNTAGGED, on);
    }

    /// Marks this text styled (or not) in place; either way its style is then known.
    pub fn mark_styled(&mut self, on: bool) {
        self.mark(STYLED, on);
        self.mark(KNOWN_PLAIN, !on);
    }

    fn mark(&mut self, bit: u8, on: bool) {
        let first = if on {
            self.first() | bit
        } else {
            self.first() & !bit
        };
        self.bytes[0] = MaybeUninit::new(first);
    }

    /// Replaces the text, keeping the marks. A longer text than fits inline reuses (or reallocates) the
    /// heap block this one has: a transformer rewriting every resource's name or image
    /// then leaves no freed block behind among the parsed tree.
    pub fn set(&mut self, text: &str) {
        let marks = self.first() & MARKS;
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
        self.bytes[0] = MaybeUninit::new(self.first() | marks);
    }

    /// The first byte: marks, and the inline length or `HEAP`.
    fn first(&self) -> u8 {
        // SAFETY: every byte is initialised; the first is always a plain byte.
        unsafe { self.bytes[0].assume_init() }
    }

    /// The heap text's pointer, if the text is on the heap.
    fn heap(&self) -> Option<NonNull<u8>> {
        // SAFETY: a HEAP first byte means bytes 1..9 hold the pointer `new` wrote.
        (self.first() & HEAP != 0).then(|| unsafe {
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
                    (self.first() & !MARKS).into(),
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
            Some(_) => {
                let mut copy = Str::new(self.as_str());
                copy.bytes[0] = MaybeUninit::new(copy.first() | (self.first() & MARKS));
                copy
            }
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

        /// Marks survive clones and new texts, and never show in the text or equality.
        #[test]
        fn keeps_its_marks(text in ".{0,40}", other in ".{0,40}", u: bool, st: bool) {
            let s = Str::new(&text).untagged(u).styled(st);
            proptest::prop_assert_eq!(s.as_str(), text.as_str());
            proptest::prop_assert_eq!((s.is_untagged(), s.is_styled()), (u, st));
            let mut c = s.clone();
            proptest::prop_assert_eq!((c.is_untagged(), c.is_styled()), (u, st));
            proptest::prop_assert!(c == Str::new(&text));
            c.set(&other);
            proptest::prop_assert_eq!(c.as_str(), other.as_str());
            proptest::prop_assert_eq!((c.is_untagged(), c.is_styled()), (u, st));
            let plain = c.untagged(false).styled(false);
            proptest::prop_assert_eq!((plain.is_untagged(), plain.is_styled()), (false, false));
            proptest::prop_assert_eq!(plain.as_str(), other.as_str());
        }
    }

    #[test]
    fn sent_between_threads() {
        let s = Str::new("a text longer than fourteen bytes");
        let t = std::thread::spawn(move || s.len()).join().unwrap();
        assert_eq!(t, 33);
    }
}
