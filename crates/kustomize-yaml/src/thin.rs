//! [`ThinVec`]: a vector one pointer wide, its length and room stored in front of its
//! elements.
//!
//! A build holds every node of every resource at once, and most sequences and mappings
//! in a Kubernetes resource hold one to four entries. A `Vec` keeps its pointer, length
//! and room in the node (24 bytes), which made every node 32 bytes; a `ThinVec` keeps
//! one pointer in the node and 8 bytes (two `u32`s) in front of the elements, so a
//! [`Value`](crate::Value) is 16 bytes and a mapping entry 24. An empty `ThinVec` points
//! at a shared static header and allocates nothing.
//!
//! Why not the `thin-vec` crate: its header is two `usize`s (16 bytes) unless built with
//! Gecko's layout, and a mapping also needs one optional side slot (its key index, kept
//! only by large mappings) that the crate has no room for. Here that slot is the `A` of
//! `ThinVec<T, A>`: a `Box<A>` stored after the elements, present only once set.

use std::alloc::{self, Layout};
use std::fmt;
use std::marker::PhantomData;
use std::mem::{align_of, size_of};
use std::ptr::{self, NonNull};

/// The length and room, in front of the elements. The room's top bit says whether an
/// aux slot (a `*mut A`) follows the elements.
#[repr(C, align(8))]
struct Header {
    len: u32,
    cap: u32,
}

/// The room's flag: an aux slot follows the elements.
const AUX_BIT: u32 = 1 << 31;
/// The most elements a `ThinVec` holds.
const MAX_CAP: usize = (AUX_BIT - 1) as usize;
/// Bytes in front of the first element.
const HEADER: usize = size_of::<Header>();

/// The header of every empty, unallocated `ThinVec`; never written.
static EMPTY: Header = Header { len: 0, cap: 0 };

/// A vector of `T` one pointer wide, with an optional boxed `A` beside its elements.
pub struct ThinVec<T, A = ()> {
    ptr: NonNull<Header>,
    _owns: PhantomData<(T, Box<A>)>,
}

// SAFETY: a ThinVec owns its elements and aux value as a Vec<T> and a Box<A> do.
unsafe impl<T: Send, A: Send> Send for ThinVec<T, A> {}
// SAFETY: shared access only reads, as for Vec<T> and Box<A>.
unsafe impl<T: Sync, A: Sync> Sync for ThinVec<T, A> {}

impl<T, A> ThinVec<T, A> {
    const FITS: () = assert!(align_of::<T>() <= HEADER && size_of::<T>() > 0);

    /// An empty vector; allocates nothing.
    pub fn new() -> Self {
        let () = Self::FITS;
        ThinVec {
            ptr: NonNull::from(&EMPTY),
            _owns: PhantomData,
        }
    }

    /// An empty vector with room for `n` elements.
    pub fn with_capacity(n: usize) -> Self {
        let mut v = Self::new();
        if n > 0 {
            v.set_capacity(n);
        }
        v
    }

    fn header(&self) -> &Header {
        // SAFETY: ptr is EMPTY or a live allocation starting with a Header.
        unsafe { self.ptr.as_ref() }
    }

    fn is_unallocated(&self) -> bool {
        ptr::eq(self.ptr.as_ptr(), &EMPTY)
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.header().len as usize
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of elements it holds without reallocating.
    pub fn capacity(&self) -> usize {
        (self.header().cap & !AUX_BIT) as usize
    }

    fn has_aux_slot(&self) -> bool {
        self.header().cap & AUX_BIT != 0
    }

    fn data(&self) -> *mut T {
        // SAFETY: the elements start HEADER bytes in (one past EMPTY for the empty
        // header, which is aligned and never read through for zero elements).
        unsafe { self.ptr.as_ptr().cast::<u8>().add(HEADER).cast::<T>() }
    }

    /// Where the aux slot of an allocation of `cap` elements is (just past the elements,
    /// aligned); `None` past any allocation's size.
    fn aux_offset(cap: usize) -> Option<usize> {
        size_of::<T>()
            .checked_mul(cap)
            .filter(|_| cap <= MAX_CAP)
            .and_then(|elements| HEADER.checked_add(elements))
            .and_then(|end| end.checked_next_multiple_of(HEADER))
    }

    /// The allocation of `cap` elements, with or without an aux slot.
    fn layout(cap: usize, aux: bool) -> Layout {
        let size = if aux {
            Self::aux_offset(cap).and_then(|at| at.checked_add(size_of::<*mut A>()))
        } else {
            Self::aux_offset(cap).map(|_| HEADER + size_of::<T>() * cap)
        };
        size.and_then(|size| Layout::from_size_align(size, HEADER).ok())
            .expect("ThinVec capacity overflow")
    }

    /// Where the aux slot of an allocation of `cap` elements is.
    fn aux_slot_at(&self, cap: usize) -> *mut *mut A {
        let offset = Self::aux_offset(cap).expect("checked when the block was allocated");
        // SAFETY: only called when the allocation has an aux slot for `cap`.
        unsafe { self.ptr.as_ptr().cast::<u8>().add(offset).cast::<*mut A>() }
    }

    /// Sets the length. The caller makes sure the first `len` elements are initialised
    /// and that a nonzero `len` fits an allocation.
    unsafe fn set_len(&mut self, len: usize) {
        if !self.is_unallocated() {
            // SAFETY: an allocated header is ours to write; len <= cap <= MAX_CAP.
            unsafe { (*self.ptr.as_ptr()).len = len as u32 };
        }
    }

    /// Reallocates to room for exactly `cap` (>= len, > 0) elements, keeping the aux slot.
    fn set_capacity(&mut self, cap: usize) {
        debug_assert!(cap >= self.len() && cap > 0);
        self.reallocate(cap, self.has_aux_slot());
    }

    /// Reallocates to room for `cap` elements, with an aux slot if `aux` (a slot once
    /// added stays).
    fn reallocate(&mut self, cap: usize, aux: bool) {
        debug_assert!(aux || !self.has_aux_slot());
        let new_layout = Self::layout(cap, aux);
        let flag = if aux { AUX_BIT } else { 0 };
        if self.is_unallocated() {
            // SAFETY: the layout has a nonzero size (it holds the header).
            let p = unsafe { alloc::alloc(new_layout) }.cast::<Header>();
            let Some(p) = NonNull::new(p) else {
                alloc::handle_alloc_error(new_layout)
            };
            // SAFETY: p is a fresh allocation large enough for the header.
            unsafe {
                p.as_ptr().write(Header {
                    len: 0,
                    cap: cap as u32 | flag,
                })
            };
            self.ptr = p;
            if aux {
                // SAFETY: the allocation has the slot.
                unsafe { self.aux_slot_at(cap).write(ptr::null_mut()) };
            }
            return;
        }
        let old_cap = self.capacity();
        let had_aux = self.has_aux_slot();
        let old_layout = Self::layout(old_cap, had_aux);
        // SAFETY: the slot exists when had_aux.
        let aux_value = had_aux.then(|| unsafe { self.aux_slot_at(old_cap).read() });
        // SAFETY: ptr was allocated with old_layout; the new size is nonzero.
        let p = unsafe { alloc::realloc(self.ptr.as_ptr().cast(), old_layout, new_layout.size()) };
        let Some(p) = NonNull::new(p.cast::<Header>()) else {
            alloc::handle_alloc_error(new_layout)
        };
        self.ptr = p;
        // SAFETY: the header survived the reallocation; the new slot, if any, is inside it.
        unsafe {
            (*p.as_ptr()).cap = cap as u32 | flag;
            if aux {
                self.aux_slot_at(cap)
                    .write(aux_value.unwrap_or(ptr::null_mut()));
            }
        }
    }

    /// The length after `additional` more elements.
    fn len_plus(&self, additional: usize) -> usize {
        self.len()
            .checked_add(additional)
            .expect("ThinVec capacity overflow")
    }

    /// Makes room for at least `additional` more elements, growing by half.
    pub fn reserve(&mut self, additional: usize) {
        let need = self.len_plus(additional);
        if need > self.capacity() {
            let grown = (self.capacity() + self.capacity() / 2).min(MAX_CAP);
            self.set_capacity(need.max(grown).max(4));
        }
    }

    /// Makes room for exactly `additional` more elements.
    pub fn reserve_exact(&mut self, additional: usize) {
        let need = self.len_plus(additional);
        if need > self.capacity() {
            self.set_capacity(need);
        }
    }

    /// Appends an element.
    pub fn push(&mut self, value: T) {
        let len = self.len();
        if len == self.capacity() {
            self.reserve(1);
        }
        // SAFETY: len < cap after reserving.
        unsafe {
            self.data().add(len).write(value);
            self.set_len(len + 1);
        }
    }

    /// Removes and returns the last element.
    pub fn pop(&mut self) -> Option<T> {
        let len = self.len().checked_sub(1)?;
        // SAFETY: the element at len is initialised and no longer counted.
        unsafe {
            self.set_len(len);
            Some(self.data().add(len).read())
        }
    }

    /// Inserts `value` at `at`, shifting the rest up.
    ///
    /// # Panics
    /// If `at > len`.
    pub fn insert(&mut self, at: usize, value: T) {
        let len = self.len();
        assert!(at <= len, "insertion index {at} past length {len}");
        self.reserve(1);
        // SAFETY: room for len + 1; the shifted range is initialised.
        unsafe {
            let p = self.data().add(at);
            ptr::copy(p, p.add(1), len - at);
            p.write(value);
            self.set_len(len + 1);
        }
    }

    /// Removes and returns the element at `at`, shifting the rest down.
    ///
    /// # Panics
    /// If `at >= len`.
    pub fn remove(&mut self, at: usize) -> T {
        let len = self.len();
        assert!(at < len, "removal index {at} past length {len}");
        // SAFETY: at < len; the element is read out before the rest moves over it.
        unsafe {
            let p = self.data().add(at);
            let value = p.read();
            ptr::copy(p.add(1), p, len - at - 1);
            self.set_len(len - 1);
            value
        }
    }

    /// Drops the elements from `len` on.
    pub fn truncate(&mut self, len: usize) {
        let old = self.len();
        if len >= old {
            return;
        }
        // SAFETY: the dropped range is initialised and no longer counted.
        unsafe {
            self.set_len(len);
            let tail = ptr::slice_from_raw_parts_mut(self.data().add(len), old - len);
            ptr::drop_in_place(tail);
        }
    }

    /// Drops every element, keeping the room.
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Keeps only the elements `keep` accepts, in order.
    pub fn retain_mut(&mut self, mut keep: impl FnMut(&mut T) -> bool) {
        let len = self.len();
        // A panic in `keep` leaks the elements rather than dropping any twice.
        // SAFETY: length 0 is always valid.
        unsafe { self.set_len(0) };
        let data = self.data();
        let mut kept = 0;
        for i in 0..len {
            // SAFETY: i < len: initialised and not yet moved; kept <= i.
            unsafe {
                let p = data.add(i);
                if keep(&mut *p) {
                    if i != kept {
                        ptr::copy_nonoverlapping(p, data.add(kept), 1);
                    }
                    kept += 1;
                } else {
                    ptr::drop_in_place(p);
                }
            }
        }
        // SAFETY: the first `kept` elements are the ones kept, moved down.
        unsafe { self.set_len(kept) };
    }

    /// Keeps only the elements `keep` accepts, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.retain_mut(|x| keep(x));
    }

    /// Moves every element of `other` to the end of this one.
    pub fn append(&mut self, other: &mut Self) {
        let n = other.len();
        if n == 0 {
            return;
        }
        self.reserve(n);
        let len = self.len();
        // SAFETY: room for len + n; other's elements move out and it forgets them.
        unsafe {
            ptr::copy_nonoverlapping(other.data(), self.data().add(len), n);
            other.set_len(0);
            self.set_len(len + n);
        }
    }

    /// Appends a copy of every element of `items`.
    pub fn extend_from_slice(&mut self, items: &[T])
    where
        T: Copy,
    {
        self.reserve(items.len());
        let len = self.len();
        // SAFETY: room for len + items.len(); Copy elements need no drop.
        unsafe {
            ptr::copy_nonoverlapping(items.as_ptr(), self.data().add(len), items.len());
            self.set_len(len + items.len());
        }
    }

    /// The aux value, if one is set.
    pub fn aux(&self) -> Option<&A> {
        if !self.has_aux_slot() {
            return None;
        }
        // SAFETY: the slot holds null or a pointer from Box::into_raw that we own.
        unsafe { self.aux_slot_at(self.capacity()).read().as_ref() }
    }

    /// Sets (or clears) the aux value and returns the old one. The slot is added the
    /// first time a value is set.
    pub fn set_aux(&mut self, value: Option<Box<A>>) -> Option<Box<A>> {
        if !self.has_aux_slot() {
            value.as_ref()?;
            self.reallocate(self.capacity(), true);
        }
        let slot = self.aux_slot_at(self.capacity());
        let new = value.map_or(ptr::null_mut(), Box::into_raw);
        // SAFETY: the slot exists; what it held came from Box::into_raw (or is null).
        unsafe {
            let old = slot.read();
            slot.write(new);
            (!old.is_null()).then(|| Box::from_raw(old))
        }
    }

    /// The elements as a slice.
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: the first len elements are initialised; data is aligned and non-null.
        unsafe { std::slice::from_raw_parts(self.data(), self.len()) }
    }

    /// The elements as a mutable slice.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in as_slice, with unique access.
        unsafe { std::slice::from_raw_parts_mut(self.data(), self.len()) }
    }
}

impl<T> ThinVec<T> {
    /// Gives up ownership: the pointer [`ThinVec::from_raw`] takes back.
    pub(crate) fn into_raw(self) -> NonNull<u8> {
        std::mem::ManuallyDrop::new(self).ptr.cast()
    }

    /// Takes back a vector given up with [`ThinVec::into_raw`].
    ///
    /// # Safety
    /// `raw` came from `into_raw` of a `ThinVec<T>` and is taken back once.
    pub(crate) unsafe fn from_raw(raw: NonNull<u8>) -> Self {
        ThinVec {
            ptr: raw.cast(),
            _owns: PhantomData,
        }
    }

    /// The elements of a vector given up with [`ThinVec::into_raw`], not taking it back.
    ///
    /// # Safety
    /// `raw` came from `into_raw` of a `ThinVec<T>` that lives, unchanged, for `'a`.
    pub(crate) unsafe fn raw_slice<'a>(raw: NonNull<u8>) -> &'a [T] {
        // SAFETY: the caller keeps the vector alive and unchanged for 'a.
        unsafe {
            let len = raw.cast::<Header>().as_ref().len as usize;
            std::slice::from_raw_parts(raw.as_ptr().add(HEADER).cast::<T>(), len)
        }
    }
}

impl<T, A> Drop for ThinVec<T, A> {
    fn drop(&mut self) {
        drop(self.set_aux(None));
        if self.is_unallocated() {
            return;
        }
        // SAFETY: the elements are initialised and dropped once; the allocation was made
        // with this layout.
        unsafe {
            if std::mem::needs_drop::<T>() {
                // Elements that own vectors may own a deep tree.
                crate::stack::deeper(|| ptr::drop_in_place(self.as_mut_slice()));
            }
            let layout = Self::layout(self.capacity(), self.has_aux_slot());
            alloc::dealloc(self.ptr.as_ptr().cast(), layout);
        }
    }
}

impl<T, A> Default for ThinVec<T, A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, A> std::ops::Deref for ThinVec<T, A> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T, A> std::ops::DerefMut for ThinVec<T, A> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<T: Clone, A: Clone> Clone for ThinVec<T, A> {
    fn clone(&self) -> Self {
        let mut v = Self::with_capacity(self.len());
        if std::mem::needs_drop::<T>() {
            // Elements that own vectors may own a deep tree.
            crate::stack::deeper(|| v.extend(self.iter().cloned()));
        } else {
            v.extend(self.iter().cloned());
        }
        if let Some(aux) = self.aux() {
            v.set_aux(Some(Box::new(aux.clone())));
        }
        v
    }
}

impl<T: PartialEq, A> PartialEq for ThinVec<T, A> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: fmt::Debug, A> fmt::Debug for ThinVec<T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::stack::deeper(|| self.as_slice().fmt(f))
    }
}

impl<T, A> Extend<T> for ThinVec<T, A> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        self.reserve(iter.size_hint().0);
        for x in iter {
            self.push(x);
        }
    }
}

impl<T, A> FromIterator<T> for ThinVec<T, A> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut v = Self::with_capacity(iter.size_hint().0);
        for x in iter {
            v.push(x);
        }
        v
    }
}

impl<T, A> From<Vec<T>> for ThinVec<T, A> {
    fn from(items: Vec<T>) -> Self {
        items.into_iter().collect()
    }
}

impl<T, A, const N: usize> From<[T; N]> for ThinVec<T, A> {
    fn from(items: [T; N]) -> Self {
        items.into_iter().collect()
    }
}

impl<'a, T, A> IntoIterator for &'a ThinVec<T, A> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T, A> IntoIterator for &'a mut ThinVec<T, A> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<T, A> IntoIterator for ThinVec<T, A> {
    type Item = T;
    type IntoIter = IntoIter<T, A>;
    fn into_iter(mut self) -> IntoIter<T, A> {
        let end = self.len();
        // The iterator moves the elements out; the vector no longer counts them.
        // SAFETY: length 0 is always valid.
        unsafe { self.set_len(0) };
        IntoIter {
            vec: self,
            start: 0,
            end,
        }
    }
}

/// The owning iterator of a [`ThinVec`].
pub struct IntoIter<T, A = ()> {
    /// Holds the allocation; its length is 0 while the elements in `start..end` wait.
    vec: ThinVec<T, A>,
    start: usize,
    end: usize,
}

impl<T, A> Iterator for IntoIter<T, A> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        (self.start < self.end).then(|| {
            self.start += 1;
            // SAFETY: start - 1 is in the waiting range and read once.
            unsafe { self.vec.data().add(self.start - 1).read() }
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.start;
        (n, Some(n))
    }
}

impl<T, A> DoubleEndedIterator for IntoIter<T, A> {
    fn next_back(&mut self) -> Option<T> {
        (self.start < self.end).then(|| {
            self.end -= 1;
            // SAFETY: end is in the waiting range and read once.
            unsafe { self.vec.data().add(self.end).read() }
        })
    }
}

impl<T, A> ExactSizeIterator for IntoIter<T, A> {}

impl<T, A> Drop for IntoIter<T, A> {
    fn drop(&mut self) {
        // SAFETY: the waiting elements are initialised and dropped once.
        unsafe {
            let rest = ptr::slice_from_raw_parts_mut(
                self.vec.data().add(self.start),
                self.end - self.start,
            );
            ptr::drop_in_place(rest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pointer_wide() {
        assert_eq!(size_of::<ThinVec<String>>(), size_of::<usize>());
        assert_eq!(size_of::<Option<ThinVec<String>>>(), size_of::<usize>());
    }

    #[test]
    fn aux_survives_growth_and_clone() {
        let mut v: ThinVec<String, String> = ThinVec::new();
        assert!(v.aux().is_none());
        assert!(v.set_aux(None).is_none());
        v.push("a".into());
        assert!(v.set_aux(Some(Box::new("index".into()))).is_none());
        for i in 0..100 {
            v.push(i.to_string());
        }
        assert_eq!(v.aux().map(String::as_str), Some("index"));
        let w = v.clone();
        assert_eq!(w.aux().map(String::as_str), Some("index"));
        assert_eq!(w, v);
        let old = v.set_aux(Some(Box::new("index!".into())));
        assert_eq!(old.as_deref().map(String::as_str), Some("index"));
        assert_eq!(
            v.set_aux(None).as_deref().map(String::as_str),
            Some("index!")
        );
        assert!(v.aux().is_none());
        let mut empty: ThinVec<u8, u8> = ThinVec::new();
        empty.set_aux(Some(Box::new(7)));
        assert_eq!(empty.aux(), Some(&7));
    }

    proptest::proptest! {
        /// A ThinVec of owned strings behaves as a Vec under every operation.
        #[test]
        fn behaves_as_vec(ops in proptest::collection::vec((0u8..9, 0usize..40), 0..120)) {
            let mut ours: ThinVec<String, u32> = ThinVec::new();
            let mut theirs: Vec<String> = Vec::new();
            for (n, (op, x)) in ops.into_iter().enumerate() {
                let s = format!("s{n}");
                match op {
                    0 | 1 => { ours.push(s.clone()); theirs.push(s); }
                    2 => proptest::prop_assert_eq!(ours.pop(), theirs.pop()),
                    3 => { let at = x.min(theirs.len()); ours.insert(at, s.clone()); theirs.insert(at, s); }
                    4 if !theirs.is_empty() => {
                        let at = x % theirs.len();
                        proptest::prop_assert_eq!(ours.remove(at), theirs.remove(at));
                    }
                    5 => { ours.truncate(x); theirs.truncate(x); }
                    6 => { ours.retain(|s| s.len() % 2 == 0); theirs.retain(|s| s.len() % 2 == 0); }
                    7 => { ours.reserve_exact(x); ours.set_aux(Some(Box::new(x as u32))); }
                    _ => {
                        let mut more: ThinVec<String, u32> = (0..x % 3).map(|i| format!("m{i}")).collect();
                        theirs.extend(more.iter().cloned());
                        ours.append(&mut more);
                        proptest::prop_assert!(more.is_empty());
                    }
                }
                proptest::prop_assert_eq!(ours.as_slice(), theirs.as_slice());
                proptest::prop_assert!(ours.capacity() >= ours.len());
            }
            let back: Vec<String> = ours.clone().into_iter().rev().collect();
            proptest::prop_assert!(back.into_iter().rev().eq(theirs.into_iter()));
            let mut it = ours.into_iter();
            it.next();
            drop(it);
        }
    }
}
