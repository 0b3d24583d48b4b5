//! Large blocks as mappings of their own, kept for reuse when freed, within the peak of what is
//! live.
//!
//! Why not glibc's heap: a proof's largest buffers (LDE blocks, traces, their coefficients,
//! quotient evaluations) are MiB to GiB each, allocated and freed many times. Given back to the
//! kernel when freed, each reuse faults its pages in again and has them zeroed, which on a VM that
//! reports free pages to its host costs seconds per GiB (see
//! [`super::tune_allocator_for_proving`]). Kept in glibc's untrimmed heap instead, they fragment
//! it: over the four shard jobs of a continuation (2^24 cycles each), the memory still resident
//! between jobs grew from 3.8 to 5.7 GiB, and the jobs' peaks from 15.7 to 17.1 GiB
//! (`continuation_bench`, BENCHMARKS.md). And glibc's mmap threshold is at most `i32::MAX`, so
//! it mapped and unmapped each 2 GiB block of LDE afresh anyway.
//!
//! Here a block of at least [`LARGE`] bytes is a run of whole pages of an anonymous mapping.
//! Freed, it stays mapped (resident, its pages already faulted in) in a list of free blocks, and
//! an allocation takes the smallest free block that holds it, splitting off the rest as another
//! free block. When none holds it, the largest free block is grown with `mremap` (its pages move
//! without being copied or faulted again) or, with none free, a block is mapped. Free blocks are
//! unmapped only to keep one promise, which is what makes the peak independent of a process's
//! history: **the bytes mapped never exceed the most bytes ever live at once** (both counted in
//! whole pages). Growing makes room first: it unmaps free blocks, smallest first, until the
//! mapped bytes after the growth are within that bound. A process that proves job after job
//! then holds, between jobs and at its peak, what its largest job needs, plus glibc's heap of
//! small blocks.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// The smallest block served here: [`super::ProvingAllocator::ADVISED_FROM`] (4 MiB, two huge
/// pages). Smaller ones stay in glibc's heap, where they fragment little. From 32 MiB, blocks of
/// a few MiB still grew it: an aggregation job left a heap of 1,048 MiB with 80 MiB in use, and
/// the run's resident memory grew by as much again after its shard jobs (`continuation_bench`,
/// BENCHMARKS.md).
pub(super) const LARGE: usize = super::ProvingAllocator::ADVISED_FROM;

/// Most free blocks listed; past it, the smallest is unmapped. Each is a kernel mapping (or part
/// of one), of which a process may have about 65 thousand.
const SLOTS: usize = 256;

/// A run of mapped memory: `len` bytes from `addr`, both multiples of the page size.
#[derive(Clone, Copy, Debug)]
struct Block {
    addr: usize,
    len: usize,
    /// Whether it may hold nonzero bytes (it was handed out before); a fresh mapping is zero.
    dirty: bool,
}

/// What [`Mappings::alloc`] hands out: the block's address and how many of its first bytes may
/// be nonzero (the rest are fresh, zero pages).
pub(super) struct Allocation {
    pub ptr: *mut u8,
    pub dirty_len: usize,
}

/// The free blocks and the counts behind the bound on mapped bytes (module docs).
pub(super) struct Mappings {
    free: [Block; SLOTS],
    free_count: usize,
    /// Bytes mapped: live blocks and free ones.
    mapped: usize,
    /// Bytes of live blocks (allocated and not yet freed).
    live: usize,
    /// The most bytes live at once so far, which `mapped` never exceeds.
    peak_live: usize,
}

/// The process's large blocks ([`super::ProvingAllocator`]).
static MAPPINGS: Mutex<Mappings> = Mutex::new(Mappings::new());

/// The process's large blocks, locked. Nothing panics while holding them, but a poisoned lock
/// would still guard consistent counts, so it is taken all the same.
pub(super) fn lock() -> MutexGuard<'static, Mappings> {
    MAPPINGS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `size` rounded up to whole pages (`None` if that overflows): the unit the kernel maps and the
/// bytes counted.
fn page_rounded(size: usize) -> Option<usize> {
    size.checked_next_multiple_of(page_size())
}

/// The kernel's page size.
fn page_size() -> usize {
    // SAFETY: `sysconf` only reads a system constant.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

impl Mappings {
    const EMPTY: Block = Block {
        addr: 0,
        len: 0,
        dirty: false,
    };

    pub(super) const fn new() -> Self {
        Self {
            free: [Self::EMPTY; SLOTS],
            free_count: 0,
            mapped: 0,
            live: 0,
            peak_live: 0,
        }
    }

    /// The bytes mapped, live and most ever live.
    pub(super) fn counts(&self) -> super::LargeBlocks {
        super::LargeBlocks {
            mapped: self.mapped,
            live: self.live,
            peak_live: self.peak_live,
        }
    }

    /// A block of at least `size` bytes, aligned to the page size; null if the kernel refuses
    /// the memory.
    pub(super) fn alloc(&mut self, size: usize) -> Allocation {
        let failed = Allocation {
            ptr: std::ptr::null_mut(),
            dirty_len: 0,
        };
        let Some(len) = page_rounded(size) else {
            return failed;
        };
        if let Some(i) = self.best_fit(len) {
            let block = self.take(i);
            if block.len > len {
                self.release(Block {
                    addr: block.addr + len,
                    len: block.len - len,
                    dirty: block.dirty,
                });
            }
            self.live += len;
            self.peak_live = self.peak_live.max(self.live);
            return Allocation {
                ptr: block.addr as *mut u8,
                dirty_len: if block.dirty { len } else { 0 },
            };
        }
        let base = self.largest_free().map(|i| self.take(i));
        match self.grow(base.map(|b| (b.addr, b.len)), len, false) {
            Some((ptr, kept)) => Allocation {
                ptr,
                dirty_len: base.filter(|b| b.dirty && kept).map_or(0, |b| b.len),
            },
            None => {
                if let Some(block) = base {
                    self.release(block);
                }
                failed
            }
        }
    }

    /// Frees the block of `size` bytes at `ptr` (from [`Self::alloc`] or [`Self::realloc`] with
    /// that size): it stays mapped, listed as free.
    pub(super) fn dealloc(&mut self, ptr: *mut u8, size: usize) {
        let len = page_rounded(size).expect("a live block's size was rounded before");
        self.live -= len;
        self.release(Block {
            addr: ptr as usize,
            len,
            dirty: true,
        });
    }

    /// Resizes the block of `old_size` bytes at `ptr` to hold `new_size` bytes, keeping its
    /// contents up to the smaller size: in place when it shrinks (the rest becomes a free block)
    /// or fits the same pages, moved by `mremap` when it grows. Null (the block untouched) if
    /// the kernel refuses the memory.
    pub(super) fn realloc(&mut self, ptr: *mut u8, old_size: usize, new_size: usize) -> *mut u8 {
        let old_len = page_rounded(old_size).expect("a live block's size was rounded before");
        let Some(new_len) = page_rounded(new_size) else {
            return std::ptr::null_mut();
        };
        if new_len <= old_len {
            if new_len < old_len {
                self.live -= old_len - new_len;
                self.release(Block {
                    addr: ptr as usize + new_len,
                    len: old_len - new_len,
                    dirty: true,
                });
            }
            return ptr;
        }
        self.live -= old_len;
        match self.grow(Some((ptr as usize, old_len)), new_len, true) {
            Some((moved, _)) => moved,
            None => {
                self.live += old_len;
                std::ptr::null_mut()
            }
        }
    }

    /// A live block of `len` bytes (whole pages) made from `base` (a block no longer listed
    /// nor counted live) or mapped afresh, after unmapping free blocks so that the bytes mapped
    /// stay within the peak of live bytes; with whether `base`'s bytes begin it. `base` is grown
    /// with `mremap`, its pages moved rather than copied or faulted in again; should the kernel
    /// refuse that (a block spanning two of its mappings), it is unmapped and a fresh block
    /// mapped, holding a copy of its bytes if `keep`. `None` if the kernel refuses the memory:
    /// then `base` is still mapped at its address, and only the free blocks unmapped to make
    /// room are gone.
    fn grow(
        &mut self,
        base: Option<(usize, usize)>,
        len: usize,
        keep: bool,
    ) -> Option<(*mut u8, bool)> {
        let base_len = base.map_or(0, |(_, l)| l);
        let growth = len - base_len;
        let peak_live = self.peak_live.max(self.live + len);
        while self.mapped + growth > peak_live {
            let Some(i) = self.smallest_free() else { break };
            let block = self.take(i);
            self.discard(block);
        }
        let grown = base.and_then(|(addr, old)| remap(addr, old, len));
        let (ptr, kept) = match grown {
            Some(ptr) => (ptr, true),
            None => {
                let fresh = map(len)?;
                if let Some((addr, old)) = base {
                    if keep {
                        // SAFETY: `base` holds `old` bytes, the fresh block `len > old`, and
                        // they do not overlap (both mapped at once).
                        unsafe { fresh.copy_from_nonoverlapping(addr as *const u8, old) };
                    }
                    unmap(addr, old);
                }
                (fresh, keep && base.is_some())
            }
        };
        self.mapped += growth;
        self.live += len;
        self.peak_live = peak_live;
        advise_huge_pages(ptr, len);
        Some((ptr, kept))
    }

    /// Lists `block` as free, unmapping the smallest free block if the list is full.
    fn release(&mut self, block: Block) {
        if self.free_count == SLOTS {
            let i = self.smallest_free().expect("the list is full");
            if self.free[i].len >= block.len {
                return self.discard(block);
            }
            let smallest = self.take(i);
            self.discard(smallest);
        }
        self.free[self.free_count] = block;
        self.free_count += 1;
    }

    /// Unmaps a free block that is no longer listed.
    fn discard(&mut self, block: Block) {
        unmap(block.addr, block.len);
        self.mapped -= block.len;
    }

    /// Removes free block `i` from the list.
    fn take(&mut self, i: usize) -> Block {
        let block = self.free[i];
        self.free_count -= 1;
        self.free[i] = self.free[self.free_count];
        block
    }

    fn listed(&self) -> impl Iterator<Item = (usize, &Block)> {
        self.free[..self.free_count].iter().enumerate()
    }

    /// The smallest free block of at least `len` bytes.
    fn best_fit(&self, len: usize) -> Option<usize> {
        self.listed()
            .filter(|(_, b)| b.len >= len)
            .min_by_key(|(_, b)| b.len)
            .map(|(i, _)| i)
    }

    fn largest_free(&self) -> Option<usize> {
        self.listed().max_by_key(|(_, b)| b.len).map(|(i, _)| i)
    }

    fn smallest_free(&self) -> Option<usize> {
        self.listed().min_by_key(|(_, b)| b.len).map(|(i, _)| i)
    }
}

impl Drop for Mappings {
    /// Unmaps the free blocks (live ones belong to their owners).
    fn drop(&mut self) {
        while let Some(i) = self.smallest_free() {
            let block = self.take(i);
            self.discard(block);
        }
    }
}

/// A fresh anonymous mapping of `len` bytes (zero pages).
fn map(len: usize) -> Option<*mut u8> {
    // SAFETY: a private anonymous mapping at an address of the kernel's choosing touches no
    // existing memory.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    (ptr != libc::MAP_FAILED).then_some(ptr.cast())
}

/// The `old` mapped bytes at `addr` grown to `len` (moved if need be, contents kept, the new
/// part zero pages), or `None` with the old ones untouched.
fn remap(addr: usize, old: usize, len: usize) -> Option<*mut u8> {
    // SAFETY: `addr..addr + old` is mapped and owned by the caller, who gives it up: the kernel
    // either moves it whole to the returned address or leaves it as it was.
    let ptr = unsafe { libc::mremap(addr as *mut libc::c_void, old, len, libc::MREMAP_MAYMOVE) };
    (ptr != libc::MAP_FAILED).then_some(ptr.cast())
}

/// Asks for transparent huge pages over the whole block (the kernel uses them where 2 MiB-aligned
/// runs fit). Advising the whole block, not only its aligned interior as
/// [`super::ProvingAllocator`] does inside glibc's blocks, leaves it one kernel mapping, which
/// `mremap` needs.
fn advise_huge_pages(ptr: *mut u8, len: usize) {
    // SAFETY: the range is a block this module just mapped; `MADV_HUGEPAGE` changes no contents,
    // and a refusal (transparent huge pages disabled) leaves it as it was.
    unsafe { libc::madvise(ptr.cast(), len, libc::MADV_HUGEPAGE) };
}

fn unmap(addr: usize, len: usize) {
    // SAFETY: the range is a free block (or the unused part of one), which nothing refers to.
    let result = unsafe { libc::munmap(addr as *mut libc::c_void, len) };
    debug_assert_eq!(result, 0, "unmapping a free block");
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const MIB: usize = 1 << 20;

    /// The `len` bytes at `ptr` (a grown block): `tag` in the first `kept`, zeros after.
    fn assert_kept_then_zero(ptr: *mut u8, kept: usize, len: usize, tag: u8) {
        // SAFETY: the caller's block holds `len` bytes.
        let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
        assert!(bytes[..kept].iter().all(|&x| x == tag));
        assert!(bytes[kept..].iter().all(|&x| x == 0));
    }

    #[test]
    fn a_freed_block_is_reused_in_place_and_split() {
        let mut m = Mappings::new();
        let first = m.alloc(100 * MIB);
        assert!(!first.ptr.is_null());
        assert_eq!(first.dirty_len, 0, "a fresh mapping is zero");
        assert_eq!(first.ptr as usize % super::super::ProvingAllocator::PAGE, 0);
        m.dealloc(first.ptr, 100 * MIB);
        let head = m.alloc(40 * MIB - 1);
        assert_eq!(head.ptr, first.ptr);
        assert_eq!(head.dirty_len, 40 * MIB);
        let tail = m.alloc(60 * MIB);
        assert_eq!(tail.ptr as usize, first.ptr as usize + 40 * MIB);
        assert_eq!(
            (m.mapped, m.live, m.peak_live),
            (100 * MIB, 100 * MIB, 100 * MIB)
        );
        m.dealloc(head.ptr, 40 * MIB - 1);
        m.dealloc(tail.ptr, 60 * MIB);
    }

    #[test]
    fn growing_a_block_keeps_its_contents_and_maps_within_the_peak() {
        let mut m = Mappings::new();
        let a = m.alloc(64 * MIB);
        let b = m.alloc(64 * MIB);
        // SAFETY: both blocks hold 64 MiB of this test's own memory.
        unsafe {
            a.ptr.write_bytes(7, 64 * MIB);
            b.ptr.write_bytes(9, 64 * MIB);
        }
        m.dealloc(b.ptr, 64 * MIB);
        // 96 MiB: no free block holds it, so the free 64 MiB one is unmapped first, keeping the
        // mapped bytes at the peak of live ones (128 MiB) rather than 64 + 64 + 96.
        let grown = m.realloc(a.ptr, 64 * MIB, 96 * MIB);
        assert!(!grown.is_null());
        assert_eq!(
            (m.mapped, m.live, m.peak_live),
            (96 * MIB, 96 * MIB, 128 * MIB)
        );
        assert_kept_then_zero(grown, 64 * MIB, 96 * MIB, 7);
        let shrunk = m.realloc(grown, 96 * MIB, 10 * MIB);
        assert_eq!(shrunk, grown);
        assert_eq!(m.live, 10 * MIB);
        m.dealloc(shrunk, 10 * MIB);
        assert_eq!(m.live, 0);
    }

    #[test]
    fn a_block_the_kernel_will_not_move_whole_is_copied() {
        let mut m = Mappings::new();
        let block = m.alloc(8 * MIB);
        // SAFETY: the block holds 8 MiB of this test's own memory; write protection on its second
        // half splits its kernel mapping in two, which `mremap` refuses to move as one.
        unsafe {
            block.ptr.write_bytes(3, 8 * MIB);
            let half = block.ptr.add(4 * MIB).cast();
            assert_eq!(libc::mprotect(half, 4 * MIB, libc::PROT_READ), 0);
            assert!(remap(block.ptr as usize, 8 * MIB, 16 * MIB).is_none());
        }
        let grown = m.realloc(block.ptr, 8 * MIB, 16 * MIB);
        assert!(!grown.is_null());
        assert_eq!(
            (m.mapped, m.live, m.peak_live),
            (16 * MIB, 16 * MIB, 16 * MIB)
        );
        assert_kept_then_zero(grown, 8 * MIB, 16 * MIB, 3);
        // SAFETY: the grown block holds 16 MiB, all of it writable again.
        unsafe { grown.write_bytes(4, 16 * MIB) };
        m.dealloc(grown, 16 * MIB);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Alloc(usize),
        Free(usize),
        Resize(usize, usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        let size = 1usize..300 * MIB;
        prop_oneof![
            size.clone().prop_map(Op::Alloc),
            any::<usize>().prop_map(Op::Free),
            (any::<usize>(), size).prop_map(|(i, s)| Op::Resize(i, s)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any sequence of allocations, frees and resizes: live blocks never overlap, keep their
        /// contents (a marker byte at each end), the dirty length covers every nonzero byte, and
        /// the bytes mapped stay within the most bytes ever live at once.
        #[test]
        fn blocks_stay_apart_keep_contents_and_map_within_the_peak(
            ops in proptest::collection::vec(op(), 1..40),
        ) {
            let mut m = Mappings::new();
            let mut live: Vec<(*mut u8, usize, u8)> = Vec::new();
            let mut peak = 0usize;
            let mark = |ptr: *mut u8, size: usize, tag: u8| {
                // SAFETY: `ptr` holds `size` bytes of this test's own memory.
                unsafe {
                    *ptr = tag;
                    *ptr.add(size - 1) = tag;
                }
            };
            let read = |ptr: *mut u8, size: usize| {
                // SAFETY: as for `mark`.
                unsafe { (*ptr, *ptr.add(size - 1)) }
            };
            for (n, op) in ops.into_iter().enumerate() {
                let tag = (n % 250 + 1) as u8;
                match op {
                    Op::Alloc(size) => {
                        let block = m.alloc(size);
                        prop_assert!(!block.ptr.is_null());
                        if block.dirty_len < size {
                            prop_assert_eq!(read(block.ptr, size).1, 0);
                        }
                        mark(block.ptr, size, tag);
                        live.push((block.ptr, size, tag));
                    }
                    Op::Free(i) if !live.is_empty() => {
                        let (ptr, size, tag) = live.swap_remove(i % live.len());
                        prop_assert_eq!(read(ptr, size), (tag, tag));
                        m.dealloc(ptr, size);
                    }
                    Op::Resize(i, new_size) if !live.is_empty() => {
                        let i = i % live.len();
                        let (ptr, size, old_tag) = live[i];
                        let moved = m.realloc(ptr, size, new_size);
                        prop_assert!(!moved.is_null());
                        prop_assert_eq!(read(moved, 1).0, old_tag);
                        if new_size >= size {
                            prop_assert_eq!(read(moved, size).1, old_tag);
                        }
                        mark(moved, new_size, tag);
                        live[i] = (moved, new_size, tag);
                    }
                    Op::Free(_) | Op::Resize(..) => {}
                }
                let live_bytes: usize = live.iter().map(|&(_, s, _)| page_rounded(s).unwrap()).sum();
                peak = peak.max(live_bytes);
                prop_assert_eq!(m.live, live_bytes);
                prop_assert_eq!(m.peak_live, peak);
                prop_assert!(m.mapped <= peak);
                let mut spans: Vec<(usize, usize)> =
                    live.iter().map(|&(p, s, _)| (p as usize, p as usize + s)).collect();
                spans.sort_unstable();
                prop_assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0));
            }
            for (ptr, size, tag) in live {
                prop_assert_eq!(read(ptr, size), (tag, tag));
                m.dealloc(ptr, size);
            }
        }
    }
}
