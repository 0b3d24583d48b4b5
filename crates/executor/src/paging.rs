//! Guest memory as fixed-size pages: the unit a continuation shard pages in and out.
//!
//! A shard's snapshot holds only the pages its instructions and system calls touch, and the
//! memory commitment ([`crate::memory_root`]) hashes one leaf per page, so the page is the
//! granularity of both. [`PageTracker`] records, during a run, which pages were touched and their
//! contents at their first touch (before any store to them), which is exactly the content a
//! shard starts from.
//!
//! Why 1 KiB pages (as RISC Zero): each touched page costs its hash twice per shard (page-in and
//! page-out, 512 field elements = 64 Poseidon2 permutations each) plus a Merkle path of
//! [`TREE_DEPTH`] compressions. Smaller pages waste fewer hashed bytes on a sparse access but
//! deepen the tree and multiply the paths; larger ones make a stack frame or a hash state touch
//! far more bytes than it uses. `docs/continuations.md` has the measured page counts.

use droste_isa::abi::{INPUT_HEADER_LEN, INPUT_START, MEMORY_END, PROGRAM_START, STACK_TOP};

/// log2 of [`PAGE_BYTES`] (fixed by the ABI, which the machine's page table shares).
pub use droste_isa::abi::PAGE_SHIFT;
/// Bytes per page.
pub const PAGE_BYTES: usize = 1 << PAGE_SHIFT;
/// Depth of the page tree: its 2^20 leaves cover the addresses `[0, 2^30)`, all of droste's
/// mapped memory (see [`droste_isa::abi`]).
pub const TREE_DEPTH: u32 = droste_isa::abi::MEMORY_TREE_DEPTH;
/// Number of pages in the index space.
pub const PAGE_COUNT: u32 = 1 << TREE_DEPTH;
/// The page holding the 32 registers (x0..x31, 8 bytes each, little-endian, then zeros). Page 0
/// covers addresses below `PROGRAM_START`, which no guest access reaches, so the registers can
/// live there without colliding with memory.
pub const REGISTER_PAGE: u32 = 0;
/// First page of the private input region. `INPUT_START` is 2^29, so the input region is exactly
/// the right half of the page tree: the root's right child commits the (read-only) input and its
/// left child the registers and RAM.
pub const FIRST_INPUT_PAGE: u32 = (INPUT_START >> PAGE_SHIFT) as u32;

const _: () = {
    assert!(MEMORY_END <= 1 << 30);
    assert!(INPUT_START == 1 << 29 && STACK_TOP == INPUT_START);
    assert!(PROGRAM_START >= PAGE_BYTES as u64 && PROGRAM_START % PAGE_BYTES as u64 == 0);
};

/// The page containing byte `addr`.
pub fn page_of(addr: u64) -> u32 {
    (addr >> PAGE_SHIFT) as u32
}

/// First address of `page`.
pub fn page_address(page: u32) -> u64 {
    u64::from(page) << PAGE_SHIFT
}

/// Whether `page` holds guest-accessible bytes for a private input of `input_len` payload bytes:
/// a RAM page, or an input page overlapping the header and payload.
pub fn is_memory_page(page: u32, input_len: u64) -> bool {
    let start = page_address(page);
    let input_end = INPUT_START + INPUT_HEADER_LEN + input_len;
    (PROGRAM_START..STACK_TOP).contains(&start) || (INPUT_START..input_end).contains(&start)
}

/// The register page's contents for `registers`.
pub fn register_page(registers: &[u64; 32]) -> [u8; PAGE_BYTES] {
    let mut bytes = [0u8; PAGE_BYTES];
    for (chunk, reg) in bytes.chunks_exact_mut(8).zip(registers) {
        chunk.copy_from_slice(&reg.to_le_bytes());
    }
    bytes
}

/// One page of guest memory.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct Page {
    /// Page index: the page covers `[index * PAGE_BYTES, (index + 1) * PAGE_BYTES)`.
    pub index: u32,
    pub bytes: [u8; PAGE_BYTES],
}

/// Pages touched since the last [`PageTracker::take`], with their contents at first touch.
#[derive(Clone, Debug)]
pub(crate) struct PageTracker {
    /// One bit per page of the index space (128 KiB).
    touched: Vec<u64>,
    /// Contents at first touch, in first-touch order.
    pages: Vec<Page>,
    /// For a machine started from a snapshot: the pages the snapshot holds. Touching another
    /// page means the snapshot is wrong.
    present: Option<Vec<u64>>,
}

fn bitset() -> Vec<u64> {
    vec![0; (PAGE_COUNT / 64) as usize]
}

fn bit(set: &[u64], page: u32) -> bool {
    set[(page / 64) as usize] >> (page % 64) & 1 == 1
}

fn set_bit(set: &mut [u64], page: u32, value: bool) {
    let word = &mut set[(page / 64) as usize];
    *word = (*word & !(1 << (page % 64))) | (u64::from(value) << (page % 64));
}

impl PageTracker {
    /// Tracks every page (a run from the program's initial image).
    pub(crate) fn new() -> Self {
        PageTracker {
            touched: bitset(),
            pages: Vec::new(),
            present: None,
        }
    }

    /// Tracks a machine whose memory holds only `pages` (sorted, checked by the caller).
    pub(crate) fn restricted_to(pages: impl Iterator<Item = u32>) -> Self {
        let mut present = bitset();
        for page in pages {
            set_bit(&mut present, page, true);
        }
        PageTracker {
            present: Some(present),
            ..Self::new()
        }
    }

    /// How many pages were touched.
    #[inline(always)]
    pub(crate) fn touched_count(&self) -> usize {
        self.pages.len()
    }

    /// Marks the pages of `[addr, addr + len)` (`len >= 1`, a mapped range) touched, saving
    /// the contents of each page touched for the first time, read by `contents`. Returns the
    /// first page the snapshot does not hold, if any.
    #[inline(always)]
    pub(crate) fn touch(
        &mut self,
        addr: u64,
        len: u64,
        contents: impl Fn(u32) -> [u8; PAGE_BYTES],
    ) -> Result<(), u32> {
        let (first, last) = (page_of(addr), page_of(addr + len - 1));
        if first == last && bit(&self.touched, first) {
            return Ok(());
        }
        self.first_touch(first, last, contents)
    }

    #[cold]
    #[inline(never)]
    fn first_touch(
        &mut self,
        first: u32,
        last: u32,
        contents: impl Fn(u32) -> [u8; PAGE_BYTES],
    ) -> Result<(), u32> {
        for page in first..=last {
            if bit(&self.touched, page) {
                continue;
            }
            if self.present.as_ref().is_some_and(|p| !bit(p, page)) {
                return Err(page);
            }
            set_bit(&mut self.touched, page, true);
            self.pages.push(Page {
                index: page,
                bytes: contents(page),
            });
        }
        Ok(())
    }

    /// The pages touched since the last call, sorted by index, with their contents at first
    /// touch; tracking starts afresh.
    pub(crate) fn take(&mut self) -> Vec<Page> {
        let mut pages = std::mem::take(&mut self.pages);
        for page in &pages {
            set_bit(&mut self.touched, page.index, false);
        }
        pages.sort_unstable_by_key(|p| p.index);
        pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_straddling_access_touches_both_pages_once() {
        let mut tracker = PageTracker::new();
        let contents = |page: u32| [page as u8; PAGE_BYTES];
        let addr = page_address(70) - 3;
        tracker.touch(addr, 8, contents).unwrap();
        tracker.touch(addr + 4, 4, |_| unreachable!()).unwrap();
        let pages = tracker.take();
        assert_eq!(pages.iter().map(|p| p.index).collect::<Vec<_>>(), [69, 70]);
        assert_eq!(pages[1].bytes, [70; PAGE_BYTES]);
        assert!(tracker.take().is_empty());
        tracker.touch(addr, 1, contents).unwrap();
        assert_eq!(tracker.take().len(), 1);
    }

    #[test]
    fn a_restricted_tracker_names_the_missing_page() {
        let mut tracker = PageTracker::restricted_to([64, 65].into_iter());
        let contents = |_| [0; PAGE_BYTES];
        assert_eq!(tracker.touch(page_address(65) - 2, 4, contents), Ok(()));
        assert_eq!(tracker.touch(page_address(66) - 2, 4, contents), Err(66));
    }

    #[test]
    fn page_kinds() {
        assert!(!is_memory_page(REGISTER_PAGE, 0));
        assert!(!is_memory_page(page_of(PROGRAM_START) - 1, 0));
        assert!(is_memory_page(page_of(PROGRAM_START), 0));
        assert!(is_memory_page(FIRST_INPUT_PAGE - 1, 0));
        assert!(is_memory_page(FIRST_INPUT_PAGE, 0));
        assert!(!is_memory_page(
            FIRST_INPUT_PAGE + 1,
            PAGE_BYTES as u64 - 16
        ));
        assert!(is_memory_page(FIRST_INPUT_PAGE + 1, PAGE_BYTES as u64 - 15));
        let regs = core::array::from_fn(|i| i as u64 * 0x0101);
        let page = register_page(&regs);
        assert_eq!(page[8 * 31..8 * 32], (31u64 * 0x0101).to_le_bytes());
        assert!(page[256..].iter().all(|b| *b == 0));
    }
}
