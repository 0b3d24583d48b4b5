//! Process-wide allocator settings for programs that prove, and the process's peak memory.

use std::alloc::{GlobalAlloc, Layout, System};

#[cfg(target_os = "linux")]
mod mappings;

/// Has glibc serve large allocations from its heap rather than mapping a fresh block for each.
///
/// A proof allocates and frees buffers of hundreds of MiB many times over: LDEs, DFT scratch,
/// quotient-domain evaluations, and more of them at blowup 4, where droste-pcs recomputes LDEs
/// from coefficients instead of keeping them. glibc maps every block above its mmap threshold
/// when it is allocated and unmaps it when it is freed, so each reuse faults the pages in again
/// and the kernel zeroes them: on a sha256 proof of 2^20 cycles at the default preset that was
/// 3.9 million page faults and 14.7 s of system time out of 49 s of CPU (prove time 26 s). With
/// the threshold raised, freed blocks stay in the heap for the next allocation (0.6 million
/// faults, 1.9 s of system time, prove time 19 s; BENCHMARKS.md).
///
/// It also keeps every thread on glibc's main heap (one arena) and that heap from being trimmed:
/// rayon's worker threads allocate blocks of hundreds of MiB, which their own arenas (at most 64
/// MiB each) cannot hold, so glibc mapped each afresh and unmapped it when freed, and the kernel
/// faulted in and zeroed its pages again at every reuse. On a VM where that zeroing is slow, a
/// sha256 proof of 2^22 cycles took 1.08 million page faults and 33.2 s of system time (81.1 s
/// of proving); from one untrimmed heap, 28 thousand and 22.7 s (72.0 s), and a level-1
/// aggregation of two shard proofs 190.5 s instead of 215.3 s, at the same peak memory
/// (BENCHMARKS.md). The heap then keeps the process's peak size until it exits, ready for the
/// next proof.
///
/// It is never trimmed, not even between the jobs of a continuation, because memory given back
/// can be far dearer to take again than to keep: on a VM whose balloon driver reports free pages
/// to the host (this one's `virtio_balloon`), the host reclaims them within seconds, and the
/// next touch pays the host's fault on top of the kernel's zeroing. 2 GiB freed and touched
/// again at once took 0.29 s, after 5 s 8.66 s, after 20 s 18.0 s (`scripts/first-touch.py`);
/// a shard job holds about 14 GiB.
///
/// With [`ProvingAllocator`] as the global allocator, blocks of 4 MiB and more do not reach
/// glibc at all (see there): these settings then govern the smaller ones, and programs that
/// prove without that allocator.
///
/// Call it once at the start of a program that proves (the `droste` CLI does). It only changes
/// where glibc takes large blocks from; elsewhere than glibc it does nothing.
pub fn tune_allocator_for_proving() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets an allocator parameter; any value is valid (glibc refuses
    // values it does not support by returning 0, which leaves the default in place).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}

/// The peak resident memory of this process so far (`VmHWM`), in KiB: what benchmarks report as
/// a prove's peak memory. `None` where `/proc/self/status` does not say (outside Linux).
pub fn peak_resident_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

/// The resident memory of this process now (`VmRSS`), in KiB. `None` where `/proc/self/status`
/// does not say (outside Linux).
pub fn resident_kib() -> Option<u64> {
    status_kib("VmRSS:")
}

/// A field of `/proc/self/status` given in kB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix(field))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

/// What [`ProvingAllocator`] holds in large blocks (its own mappings), in bytes: all zero
/// elsewhere than Linux, or where it is not the global allocator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LargeBlocks {
    /// Mapped: live blocks and freed ones kept for reuse (resident once touched).
    pub mapped: usize,
    /// Live: allocated and not yet freed.
    pub live: usize,
    /// The most ever live at once, which `mapped` never exceeds.
    pub peak_live: usize,
}

/// The allocator for programs that prove: on Linux, large blocks as mappings kept for reuse and
/// advised transparent huge pages (2 MiB); everything else the system allocator's.
///
/// Huge pages, why: a proof's buffers are hundreds of MiB each (traces, LDEs, DFT scratch),
/// allocated and freed many times, and glibc maps a fresh block for each one a worker thread
/// allocates (its per-thread arenas cannot hold them, whatever [`tune_allocator_for_proving`]
/// sets). Each such block is faulted in and zeroed by the kernel 4 KiB at a time: on a sha256
/// proof of 2^22 cycles at the default preset that was 7.0 million page faults and 53.6 s of
/// system time out of 145 s of CPU. Where the kernel's transparent huge pages are enabled
/// (`always` or `madvise` in `/sys/kernel/mm/transparent_hugepage/enabled`, the usual default),
/// advising them for these blocks makes each fault map 2 MiB: 1.1 million faults, 13.0 s of
/// system time, and 77.6 s of proving became 56.4 s with the same peak memory (BENCHMARKS.md).
/// (glibc's own `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`, which also advises its main heap as it
/// grows, takes trace generation from 5.0 s to 1.2 s more: 53.3 s; it can only be set before the
/// process starts.)
///
/// Kept mappings, why: on Linux, blocks of at least [`ProvingAllocator::ADVISED_FROM`] bytes (4
/// MiB) are mappings of their own, kept mapped for reuse when freed but never more of them than
/// the most bytes live at once (`mappings` module docs): the memory of a process that proves job
/// after job then stays at the peak of its largest job, where glibc's untrimmed heap grew job by
/// job with fragmentation (and, its mmap threshold being at most `i32::MAX`, mapped each 2 GiB
/// block of LDE afresh anyway). A large block that needs more than page alignment, and every
/// block elsewhere than Linux, is the system allocator's, advised only in the 2 MiB-aligned part
/// inside it so that memory next to it is as the system allocator leaves it.
///
/// Declare it in a program that proves (the `droste` CLI, the SDK's examples and tests do):
///
/// ```
/// #[global_allocator]
/// static ALLOCATOR: droste_sdk::ProvingAllocator = droste_sdk::ProvingAllocator;
/// ```
pub struct ProvingAllocator;

impl ProvingAllocator {
    /// The size of a transparent huge page on x86-64 and on arm64 with 4 KiB pages.
    const HUGE_PAGE: usize = 2 << 20;

    /// The smallest page size of the targets droste runs on: the alignment every mapping has.
    #[cfg(target_os = "linux")]
    const PAGE: usize = 4096;

    /// Whether a block of `layout` is served by [`mappings`] (large, page alignment enough).
    #[cfg(target_os = "linux")]
    fn is_mapped(layout: Layout) -> bool {
        layout.size() >= mappings::LARGE && layout.align() <= Self::PAGE
    }

    /// The process's large blocks so far: with the resident memory, it tells the memory held by
    /// these blocks from that of glibc's heap (the `continuation_bench` example prints both).
    pub fn large_blocks() -> LargeBlocks {
        #[cfg(target_os = "linux")]
        return mappings::lock().counts();
        #[cfg(not(target_os = "linux"))]
        LargeBlocks::default()
    }

    /// The smallest block advised: two huge pages, so that at least one aligned huge page lies
    /// inside it wherever it starts.
    pub const ADVISED_FROM: usize = 2 * Self::HUGE_PAGE;

    /// Advises huge pages for the aligned interior of the `size` bytes at `ptr`, if large enough.
    fn advise(ptr: *mut u8, size: usize) {
        #[cfg(target_os = "linux")]
        if !ptr.is_null() && size >= Self::ADVISED_FROM {
            let start = (ptr as usize).next_multiple_of(Self::HUGE_PAGE);
            let end = (ptr as usize + size) & !(Self::HUGE_PAGE - 1);
            // SAFETY: the range lies inside the block just allocated, which this process owns;
            // `MADV_HUGEPAGE` is advice that changes no contents, and a refusal (transparent huge
            // pages disabled) leaves the block as it was, so its result is not needed.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (ptr, size);
    }
}

// SAFETY: blocks of at least `LARGE` bytes (with an alignment a page provides) come from
// `Mappings`, which hands out page-aligned runs of mapped memory that no other block overlaps,
// keeps the contents up to the smaller size when it resizes one, and zeroes what may be dirty
// for `alloc_zeroed`; a layout's size and alignment decide its path the same way in every method,
// so a block is freed or resized where it was allocated. Every other call forwards to `System`.
// The advice on a returned block changes nothing `GlobalAlloc` promises about it.
unsafe impl GlobalAlloc for ProvingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        #[cfg(target_os = "linux")]
        if Self::is_mapped(layout) {
            return mappings::lock().alloc(layout.size()).ptr;
        }
        // SAFETY: the caller's contract for `alloc`, passed on.
        let ptr = unsafe { System.alloc(layout) };
        Self::advise(ptr, layout.size());
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        #[cfg(target_os = "linux")]
        if Self::is_mapped(layout) {
            let block = mappings::lock().alloc(layout.size());
            if !block.ptr.is_null() {
                // SAFETY: the block holds at least `layout.size()` bytes, all of them its own.
                unsafe { block.ptr.write_bytes(0, block.dirty_len.min(layout.size())) };
            }
            return block.ptr;
        }
        // SAFETY: the caller's contract for `alloc_zeroed`, passed on.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        Self::advise(ptr, layout.size());
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        #[cfg(target_os = "linux")]
        if Self::is_mapped(layout) {
            return mappings::lock().dealloc(ptr, layout.size());
        }
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller promises `new_size`, rounded up to the alignment, fits an `isize`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        #[cfg(target_os = "linux")]
        match (Self::is_mapped(layout), Self::is_mapped(new_layout)) {
            (true, true) => return mappings::lock().realloc(ptr, layout.size(), new_size),
            (false, false) => {}
            _ => {
                // From one path to the other: a new block, the contents copied, the old freed.
                // SAFETY: `new_layout` has a nonzero size (the caller's contract); the copy
                // stays inside both blocks, which do not overlap; `ptr` was allocated with
                // `layout` and is freed once.
                unsafe {
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        new.copy_from_nonoverlapping(ptr, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    return new;
                }
            }
        }
        // SAFETY: the caller's contract for `realloc`, passed on.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        Self::advise(new, new_size);
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `VmFlags` of the mapping that holds `addr` (`/proc/self/smaps`).
    #[cfg(target_os = "linux")]
    fn vm_flags(addr: usize) -> Vec<String> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut holds = false;
        for line in smaps.lines() {
            let range = line
                .split_once(' ')
                .and_then(|(range, _)| range.split_once('-'));
            if let Some((Ok(lo), Ok(hi))) =
                range.map(|(lo, hi)| (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16)))
            {
                holds = (lo..hi).contains(&addr);
            } else if let Some(flags) = line.strip_prefix("VmFlags:").filter(|_| holds) {
                return flags.split_whitespace().map(str::to_owned).collect();
            }
        }
        panic!("no mapping holds {addr:#x}");
    }

    /// Whether this kernel has transparent huge pages to advise.
    #[cfg(target_os = "linux")]
    fn huge_pages_available() -> bool {
        std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .is_ok_and(|setting| !setting.contains("[never]"))
    }

    #[test]
    fn large_blocks_keep_their_contents_and_are_advised_huge_pages() {
        let allocator = ProvingAllocator;
        let layout = Layout::from_size_align(3 * ProvingAllocator::ADVISED_FROM, 8).unwrap();
        let grown = Layout::from_size_align(2 * layout.size(), 8).unwrap();
        // SAFETY: the layouts have a nonzero size; each block is read and written within its
        // size and freed once with the layout it was allocated (or reallocated) with.
        unsafe {
            let block = allocator.alloc_zeroed(layout);
            assert!(!block.is_null());
            let bytes = std::slice::from_raw_parts_mut(block, layout.size());
            assert!(bytes.iter().all(|&b| b == 0));
            bytes.fill(7);
            #[cfg(target_os = "linux")]
            if huge_pages_available() {
                let inside = (block as usize).next_multiple_of(ProvingAllocator::HUGE_PAGE);
                assert!(vm_flags(inside).iter().any(|f| f == "hg"));
            }
            let block = allocator.realloc(block, layout, grown.size());
            assert!(!block.is_null());
            let bytes = std::slice::from_raw_parts(block, layout.size());
            assert!(bytes.iter().all(|&b| b == 7));
            #[cfg(target_os = "linux")]
            if huge_pages_available() {
                let last = (block as usize + grown.size() - 1) & !(ProvingAllocator::HUGE_PAGE - 1);
                assert!(vm_flags(last - ProvingAllocator::HUGE_PAGE)
                    .iter()
                    .any(|f| f == "hg"));
            }
            allocator.dealloc(block, grown);
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn mapped_blocks_are_zeroed_when_reused_and_keep_contents_across_paths() {
        let allocator = ProvingAllocator;
        let layout = Layout::from_size_align(mappings::LARGE + 12345, 8).unwrap();
        let small = Layout::from_size_align(1000, 8).unwrap();
        assert!(ProvingAllocator::is_mapped(layout) && !ProvingAllocator::is_mapped(small));
        // SAFETY: each block is read and written within its size and freed (or resized) once,
        // with the layout it has.
        unsafe {
            let dirty = allocator.alloc(layout);
            std::slice::from_raw_parts_mut(dirty, layout.size()).fill(5);
            allocator.dealloc(dirty, layout);
            let zeroed = allocator.alloc_zeroed(layout);
            let blocks = ProvingAllocator::large_blocks();
            assert!(blocks.live >= layout.size() && blocks.mapped <= blocks.peak_live);
            let bytes = std::slice::from_raw_parts_mut(zeroed, layout.size());
            assert!(bytes.iter().all(|&b| b == 0));
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = i as u8;
            }
            let shrunk = allocator.realloc(zeroed, layout, small.size());
            let grown = allocator.realloc(shrunk, small, layout.size());
            let bytes = std::slice::from_raw_parts(grown, small.size());
            assert!(bytes.iter().enumerate().all(|(i, &b)| b == i as u8));
            allocator.dealloc(grown, layout);
        }
    }

    #[test]
    fn small_blocks_are_aligned_and_writable() {
        let allocator = ProvingAllocator;
        let layout = Layout::from_size_align(4096, 64).unwrap();
        // SAFETY: as above, for one small block.
        unsafe {
            let block = allocator.alloc(layout);
            assert!(!block.is_null());
            assert_eq!(block as usize % 64, 0);
            std::slice::from_raw_parts_mut(block, layout.size()).fill(1);
            allocator.dealloc(block, layout);
        }
    }
}
