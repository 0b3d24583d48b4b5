//! The guest heap: bump allocation over `[_end, abi::HEAP_END)`.
//!
//! A guest runs once and then halts, so never reusing freed memory costs nothing but address
//! space, while every instruction the allocator executes is proven. A bump allocator is the
//! cheapest correct choice. Two cheap refinements matter for ordinary Rust code: the most recent
//! allocation can grow or shrink in place (a `Vec` being pushed to is usually the newest block)
//! and freeing it gives its space back (temporary buffers).
//!
//! Memory the heap has never handed out is still zero (the ABI starts all non-ELF memory at zero),
//! so `alloc_zeroed` only clears the part of a block below the heap's high-water mark: a large
//! `vec![0; n]` costs no `memset`.
//!
//! [`BumpHeap`] is only bookkeeping on addresses, so its rules are tested on the host; the guest
//! wraps it in its `#[global_allocator]` and in std's `sys_alloc_aligned`.

use core::alloc::Layout;
use core::cell::Cell;

/// The heap has no room for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("out of memory: cannot allocate {requested} bytes (align {align}), {free} of {capacity} heap bytes free")]
pub struct OutOfMemory {
    /// Bytes requested.
    pub requested: usize,
    /// Alignment requested.
    pub align: usize,
    /// Bytes still free (before alignment padding).
    pub free: usize,
    /// Size of the whole heap.
    pub capacity: usize,
}

/// Bump allocator bookkeeping over one address range. Not thread-safe (guests have one thread).
#[derive(Debug, Default)]
pub struct BumpHeap {
    start: Cell<usize>,
    top: Cell<usize>,
    /// Highest `top` ever: memory from here up has never been handed out.
    high_water: Cell<usize>,
    end: Cell<usize>,
}

impl BumpHeap {
    /// A heap with no space; [`BumpHeap::init`] gives it its range.
    pub const fn empty() -> Self {
        Self {
            start: Cell::new(0),
            top: Cell::new(0),
            high_water: Cell::new(0),
            end: Cell::new(0),
        }
    }

    /// Hands the heap the range `[start, end)`, forgetting every earlier allocation.
    pub fn init(&self, start: usize, end: usize) {
        let end = end.max(start);
        self.start.set(start);
        self.top.set(start);
        self.high_water.set(start);
        self.end.set(end);
    }

    /// Reserves a block for `layout` and returns its address.
    pub fn alloc(&self, layout: Layout) -> Result<usize, OutOfMemory> {
        let top = self.top.get();
        let block = top
            .checked_next_multiple_of(layout.align())
            .and_then(|block| Some((block, block.checked_add(layout.size())?)))
            .filter(|&(_, block_end)| block_end <= self.end.get());
        match block {
            Some((block, block_end)) => {
                self.set_top(block_end);
                Ok(block)
            }
            None => Err(self.out_of_memory(layout.size(), layout.align())),
        }
    }

    /// Releases a block. Only the most recent block's space is reused; others are leaked.
    pub fn dealloc(&self, addr: usize, layout: Layout) {
        if self.is_newest(addr, layout.size()) {
            self.top.set(addr);
        }
    }

    /// Resizes the block at `addr` without moving it, when possible: always when shrinking, and
    /// when growing the most recent block within the heap. Returns whether it did.
    pub fn resize_in_place(&self, addr: usize, old_size: usize, new_size: usize) -> bool {
        if self.is_newest(addr, old_size) {
            match addr.checked_add(new_size) {
                Some(new_end) if new_end <= self.end.get() => {
                    self.set_top(new_end);
                    true
                }
                _ => false,
            }
        } else {
            new_size <= old_size
        }
    }

    /// Like [`BumpHeap::alloc`], and also returns how many leading bytes of the block may hold
    /// old data (they lie below the high-water mark); the rest has never been handed out and is
    /// still zero, so zeroing the block only needs that prefix.
    pub fn alloc_with_dirty_prefix(&self, layout: Layout) -> Result<(usize, usize), OutOfMemory> {
        let high_water = self.high_water.get();
        let block = self.alloc(layout)?;
        Ok((block, high_water.saturating_sub(block).min(layout.size())))
    }

    /// Bytes between the allocation pointer and the end of the heap.
    pub fn free_bytes(&self) -> usize {
        self.end.get() - self.top.get()
    }

    /// The error describing a failed request of `requested` bytes.
    pub fn out_of_memory(&self, requested: usize, align: usize) -> OutOfMemory {
        OutOfMemory {
            requested,
            align,
            free: self.free_bytes(),
            capacity: self.end.get() - self.start.get(),
        }
    }

    fn set_top(&self, top: usize) {
        self.top.set(top);
        self.high_water.set(self.high_water.get().max(top));
    }

    fn is_newest(&self, addr: usize, size: usize) -> bool {
        addr.checked_add(size) == Some(self.top.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    fn heap(start: usize, end: usize) -> BumpHeap {
        let heap = BumpHeap::empty();
        heap.init(start, end);
        heap
    }

    #[test]
    fn blocks_are_aligned_disjoint_and_in_range() {
        let heap = heap(0x1001, 0x2000);
        let a = heap.alloc(layout(3, 1)).unwrap();
        let b = heap.alloc(layout(16, 16)).unwrap();
        let c = heap.alloc(layout(8, 8)).unwrap();
        assert_eq!(a, 0x1001);
        assert_eq!(b, 0x1010);
        assert_eq!(c, 0x1020);
        assert_eq!(heap.free_bytes(), 0x2000 - 0x1028);
    }

    #[test]
    fn exhausted_heap_reports_out_of_memory() {
        let heap = heap(0x1000, 0x1100);
        heap.alloc(layout(0xf0, 8)).unwrap();
        let err = heap.alloc(layout(0x20, 8)).unwrap_err();
        assert_eq!(
            err,
            OutOfMemory {
                requested: 0x20,
                align: 8,
                free: 0x10,
                capacity: 0x100
            }
        );
        assert!(err
            .to_string()
            .starts_with("out of memory: cannot allocate 32 bytes"));
        // The failed request took nothing.
        assert_eq!(heap.free_bytes(), 0x10);
    }

    #[test]
    fn requests_near_the_address_space_end_fail_instead_of_wrapping() {
        let heap = heap(usize::MAX - 0x10, usize::MAX);
        assert!(heap.alloc(layout(0x20, 1)).is_err());
        assert!(heap.alloc(layout(1, 1 << 20)).is_err());
    }

    #[test]
    fn uninitialised_heap_has_no_space() {
        assert!(BumpHeap::empty().alloc(layout(1, 1)).is_err());
    }

    #[test]
    fn freeing_the_newest_block_reuses_it_older_blocks_leak() {
        let heap = heap(0x1000, 0x2000);
        let a = heap.alloc(layout(0x10, 8)).unwrap();
        let b = heap.alloc(layout(0x10, 8)).unwrap();
        heap.dealloc(a, layout(0x10, 8));
        assert_eq!(heap.free_bytes(), 0x1000 - 0x20, "older block is leaked");
        heap.dealloc(b, layout(0x10, 8));
        assert_eq!(heap.alloc(layout(0x10, 8)).unwrap(), b);
    }

    #[test]
    fn only_memory_handed_out_before_is_dirty() {
        let heap = heap(0x1000, 0x2000);
        assert_eq!(
            heap.alloc_with_dirty_prefix(layout(0x100, 8)).unwrap(),
            (0x1000, 0),
            "fresh heap is clean"
        );
        heap.dealloc(0x1000, layout(0x100, 8));
        // The freed block is reused: its 0x100 bytes are dirty, what lies beyond is clean.
        assert_eq!(
            heap.alloc_with_dirty_prefix(layout(0x180, 8)).unwrap(),
            (0x1000, 0x100)
        );
        assert!(heap.resize_in_place(0x1000, 0x180, 0x40), "shrink");
        assert_eq!(
            heap.alloc_with_dirty_prefix(layout(0x200, 1)).unwrap(),
            (0x1040, 0x140),
            "shrinking keeps the high-water mark"
        );
        assert_eq!(
            heap.alloc_with_dirty_prefix(layout(0x10, 1)).unwrap(),
            (0x1240, 0),
            "above the high-water mark"
        );
    }

    #[test]
    fn newest_block_grows_in_place_others_only_shrink() {
        let heap = heap(0x1000, 0x1100);
        let a = heap.alloc(layout(0x10, 8)).unwrap();
        let b = heap.alloc(layout(0x10, 8)).unwrap();
        assert!(
            !heap.resize_in_place(a, 0x10, 0x20),
            "growing a would overwrite b"
        );
        assert!(heap.resize_in_place(a, 0x10, 0x8));
        assert!(heap.resize_in_place(b, 0x10, 0xf0));
        assert_eq!(heap.free_bytes(), 0);
        assert!(!heap.resize_in_place(b, 0xf0, 0xf1), "past the heap end");
        assert!(heap.resize_in_place(b, 0xf0, 0x10));
        assert_eq!(heap.alloc(layout(1, 1)).unwrap(), b + 0x10);
    }
}
