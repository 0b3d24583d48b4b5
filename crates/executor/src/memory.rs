//! Guest memory: one flat zeroed array for the program, heap and stack, plus the read-only
//! private input region.
//!
//! `ram` covers `[0, STACK_TOP)` so that a guest address is its index: no translation in the hot
//! path, one range comparison per access. It is allocated zeroed (`vec![0; n]`, which the
//! allocator serves with `calloc`/`mmap`), so the OS backs only the pages the guest touches; the
//! first `PROGRAM_START` bytes are never accessed because the range check rejects them.

use droste_isa::abi::{INPUT_HEADER_LEN, INPUT_MAX_LEN, INPUT_START, PROGRAM_START, STACK_TOP};

use crate::error::{Access, ExecError};
use crate::paging::{
    is_memory_page, page_address, page_of, Page, PageTracker, FIRST_INPUT_PAGE, PAGE_BYTES,
};
use crate::program::Program;

/// A failed access, before the caller adds the pc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    pub access: Access,
    pub addr: u64,
    pub len: u64,
    pub kind: FaultKind,
}

/// Why an access failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultKind {
    /// The bytes are not mapped.
    Unmapped,
    /// The bytes are mapped, but the store targets the read-only private input.
    ReadOnly,
    /// The bytes are mapped, but this machine was started from a shard snapshot that does not
    /// hold their page.
    NotInSnapshot { page: u32 },
}

/// Whether the `len` bytes at `addr` lie in RAM, `[PROGRAM_START, STACK_TOP)`: where a
/// precompile may read values the machine takes as RAM cells (the private input is another
/// space).
pub(crate) fn in_ram(addr: u64, len: u64) -> bool {
    addr >= PROGRAM_START && addr.checked_add(len).is_some_and(|end| end <= STACK_TOP)
}

impl Fault {
    pub(crate) fn at(self, pc: u64) -> ExecError {
        let Fault {
            access,
            addr,
            len,
            kind,
        } = self;
        match kind {
            FaultKind::ReadOnly => ExecError::ReadOnly { pc, addr, len },
            FaultKind::Unmapped => ExecError::Unmapped {
                pc,
                access,
                addr,
                len,
            },
            FaultKind::NotInSnapshot { page } => ExecError::PageNotInSnapshot {
                pc,
                access,
                addr,
                page,
            },
        }
    }
}

/// Where a guest address lives.
enum Region {
    Ram,
    Input,
    Unmapped,
}

#[derive(Clone, Debug)]
pub(crate) struct Memory {
    ram: Vec<u8>,
    /// The private input region starting at `INPUT_START`: 16-byte header, then the payload.
    input: Vec<u8>,
    /// The pages touched, when a continuation shard needs them (see [`crate::paging`]). The
    /// interpreter's tracked loads and stores and every system call buffer update it.
    pages: Option<Box<PageTracker>>,
}

impl Memory {
    /// The initial memory of `program` with `private_input` mapped at `INPUT_START`. The caller
    /// checks the input length against `abi::INPUT_MAX_LEN`.
    pub(crate) fn new(program: &Program, private_input: &[u8]) -> Memory {
        let mut ram = vec![0u8; STACK_TOP as usize];
        for segment in program.segments() {
            let start = segment.vaddr as usize;
            ram[start..start + segment.data.len()].copy_from_slice(&segment.data);
        }
        let mut input = Vec::with_capacity(INPUT_HEADER_LEN as usize + private_input.len());
        input.extend_from_slice(&(private_input.len() as u32).to_le_bytes());
        input.resize(INPUT_HEADER_LEN as usize, 0);
        input.extend_from_slice(private_input);
        Memory {
            ram,
            input,
            pages: None,
        }
    }

    /// The memory of a shard snapshot: the private input region of `input_len` payload bytes is
    /// mapped, only `pages` (sorted, distinct) are materialised, and touching any other page is
    /// a [`FaultKind::NotInSnapshot`] fault.
    pub(crate) fn from_pages(input_len: u64, pages: &[Page]) -> Result<Memory, ExecError> {
        let bad = |reason: String| Err(ExecError::BadSnapshot(reason));
        if input_len > INPUT_MAX_LEN {
            return bad(format!("private input of {input_len} bytes is too large"));
        }
        let mut memory = Memory {
            ram: vec![0u8; STACK_TOP as usize],
            input: vec![0u8; (INPUT_HEADER_LEN + input_len) as usize],
            pages: None,
        };
        for (i, page) in pages.iter().enumerate() {
            if i > 0 && pages[i - 1].index >= page.index {
                return bad(format!("page {} is not in increasing order", page.index));
            }
            if !is_memory_page(page.index, input_len) {
                return bad(format!("page {} is not mapped memory", page.index));
            }
            let start = page_address(page.index) as usize;
            if page.index < FIRST_INPUT_PAGE {
                memory.ram[start..start + PAGE_BYTES].copy_from_slice(&page.bytes);
            } else {
                let at = start - INPUT_START as usize;
                let len = PAGE_BYTES.min(memory.input.len() - at);
                if page.bytes[len..].iter().any(|b| *b != 0) {
                    return bad(format!("page {} has bytes past the input", page.index));
                }
                memory.input[at..at + len].copy_from_slice(&page.bytes[..len]);
            }
        }
        let present = pages.iter().map(|p| p.index);
        memory.pages = Some(Box::new(PageTracker::restricted_to(present)));
        Ok(memory)
    }

    /// Starts recording touched pages (a no-op if already recording).
    pub(crate) fn track_pages(&mut self) {
        self.pages
            .get_or_insert_with(|| Box::new(PageTracker::new()));
    }

    /// Whether touched pages are recorded.
    pub(crate) fn tracks_pages(&self) -> bool {
        self.pages.is_some()
    }

    /// How many pages were touched since the last [`Self::take_touched_pages`].
    #[inline(always)]
    pub(crate) fn touched_page_count(&self) -> usize {
        self.pages.as_ref().map_or(0, |t| t.touched_count())
    }

    /// The pages touched since the last call, sorted, with their contents at first touch.
    pub(crate) fn take_touched_pages(&mut self) -> Vec<Page> {
        self.pages.as_mut().map(|t| t.take()).unwrap_or_default()
    }

    /// The current contents of a RAM or input page (zeros past the input).
    pub(crate) fn page(&self, index: u32) -> [u8; PAGE_BYTES] {
        page_contents(&self.ram, &self.input, index)
    }

    /// Every page with a non-zero byte, in index order: what a memory commitment computed from
    /// scratch must hash.
    pub(crate) fn nonzero_pages(&self) -> impl Iterator<Item = Page> + '_ {
        (page_of(PROGRAM_START)..self.input_pages().end).filter_map(|index| {
            let bytes = self.page(index);
            bytes
                .iter()
                .any(|b| *b != 0)
                .then_some(Page { index, bytes })
        })
    }

    /// Length of the private input payload.
    pub(crate) fn input_len(&self) -> u64 {
        self.input.len() as u64 - INPUT_HEADER_LEN
    }

    /// The pages of the private input region (header and payload).
    pub(crate) fn input_pages(&self) -> std::ops::Range<u32> {
        FIRST_INPUT_PAGE..FIRST_INPUT_PAGE + self.input.len().div_ceil(PAGE_BYTES) as u32
    }

    /// Records that the guest accessed `[addr, addr + len)`, a mapped range.
    #[inline(always)]
    fn touch(&mut self, access: Access, addr: u64, len: u64) -> Result<(), Fault> {
        let Memory { ram, input, pages } = self;
        match pages {
            Some(tracker) if len > 0 => tracker
                .touch(addr, len, |page| page_contents(ram, input, page))
                .map_err(|page| Fault {
                    access,
                    addr,
                    len,
                    kind: FaultKind::NotInSnapshot { page },
                }),
            _ => Ok(()),
        }
    }

    /// [`Memory::load`], recording the touched pages.
    #[inline(always)]
    pub(crate) fn load_tracked<const W: usize>(&mut self, addr: u64) -> Result<u64, Fault> {
        let value = self.load::<W>(addr)?;
        self.touch(Access::Load, addr, W as u64)?;
        Ok(value)
    }

    /// [`Memory::store`], recording the touched pages (before the store changes them).
    #[inline(always)]
    pub(crate) fn store_tracked<const W: usize>(
        &mut self,
        addr: u64,
        value: u64,
    ) -> Result<(), Fault> {
        if addr.wrapping_sub(PROGRAM_START) <= STACK_TOP - PROGRAM_START - W as u64 {
            self.touch(Access::Store, addr, W as u64)?;
        }
        self.store::<W>(addr, value)
    }

    /// Reads `W` bytes (little-endian, any alignment) at `addr`, zero-extended to 64 bits.
    #[inline(always)]
    pub(crate) fn load<const W: usize>(&self, addr: u64) -> Result<u64, Fault> {
        if addr.wrapping_sub(PROGRAM_START) <= STACK_TOP - PROGRAM_START - W as u64 {
            let at = addr as usize;
            let mut bytes = [0u8; 8];
            bytes[..W].copy_from_slice(&self.ram[at..at + W]);
            Ok(u64::from_le_bytes(bytes))
        } else {
            self.load_slow(addr, W as u64)
        }
    }

    /// Writes the low `W` bytes of `value` (little-endian, any alignment) at `addr`.
    #[inline(always)]
    pub(crate) fn store<const W: usize>(&mut self, addr: u64, value: u64) -> Result<(), Fault> {
        if addr.wrapping_sub(PROGRAM_START) <= STACK_TOP - PROGRAM_START - W as u64 {
            let at = addr as usize;
            self.ram[at..at + W].copy_from_slice(&value.to_le_bytes()[..W]);
            Ok(())
        } else {
            Err(self.store_fault(addr, W as u64))
        }
    }

    /// Copies `len` guest bytes at `addr` to the end of `out` for the guest (a system call),
    /// recording the touched pages. A zero-length range is valid at any address.
    pub(crate) fn read_bytes(
        &mut self,
        addr: u64,
        len: u64,
        out: &mut Vec<u8>,
    ) -> Result<(), Fault> {
        self.copy_bytes(addr, len, out)?;
        self.touch(Access::Load, addr, len)
    }

    /// Copies `len` guest bytes at `addr` to the end of `out`, for the host: no page is
    /// recorded as touched. A zero-length range is valid at any address.
    pub(crate) fn copy_bytes(&self, addr: u64, len: u64, out: &mut Vec<u8>) -> Result<(), Fault> {
        let fault = Fault {
            access: Access::Load,
            addr,
            len,
            kind: FaultKind::Unmapped,
        };
        if len == 0 {
            return Ok(());
        }
        let end = addr.checked_add(len).ok_or(fault)?;
        // The RAM and input regions are adjacent (STACK_TOP == INPUT_START), so a range may
        // span both; copy the part in each.
        let ram_end = end.min(STACK_TOP);
        if addr < ram_end {
            if addr < PROGRAM_START {
                return Err(fault);
            }
            out.extend_from_slice(&self.ram[addr as usize..ram_end as usize]);
        }
        if end > STACK_TOP {
            let start = addr.max(INPUT_START) - INPUT_START;
            let input_end = end - INPUT_START;
            let bytes = self
                .input
                .get(start as usize..input_end as usize)
                .ok_or(fault)?;
            out.extend_from_slice(bytes);
        }
        Ok(())
    }

    /// Checks that `[addr, addr + len)` is read/write memory (any address when `len` is 0).
    pub(crate) fn check_writable(&self, addr: u64, len: u64) -> Result<(), Fault> {
        match addr.checked_add(len) {
            _ if len == 0 => Ok(()),
            Some(end) if addr >= PROGRAM_START && end <= STACK_TOP => Ok(()),
            _ => Err(self.store_fault(addr, len)),
        }
    }

    /// Writes `bytes` at `addr`, recording the touched pages. The range must lie in read/write
    /// memory.
    pub(crate) fn write_bytes(&mut self, addr: u64, bytes: &[u8]) -> Result<(), Fault> {
        self.check_writable(addr, bytes.len() as u64)?;
        if bytes.is_empty() {
            return Ok(());
        }
        self.touch(Access::Store, addr, bytes.len() as u64)?;
        let at = addr as usize;
        self.ram[at..at + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }

    fn region(&self, addr: u64) -> Region {
        if (PROGRAM_START..STACK_TOP).contains(&addr) {
            Region::Ram
        } else if addr.wrapping_sub(INPUT_START) < self.input.len() as u64 {
            Region::Input
        } else {
            Region::Unmapped
        }
    }

    /// A load that is not entirely inside RAM: byte by byte, since it may touch the input region
    /// or straddle the RAM/input boundary.
    #[cold]
    fn load_slow(&self, addr: u64, width: u64) -> Result<u64, Fault> {
        let mut value = 0u64;
        for i in 0..width {
            let byte_addr = addr.wrapping_add(i);
            let byte = match self.region(byte_addr) {
                Region::Ram => self.ram[byte_addr as usize],
                Region::Input => self.input[(byte_addr - INPUT_START) as usize],
                Region::Unmapped => {
                    return Err(Fault {
                        access: Access::Load,
                        addr,
                        len: width,
                        kind: FaultKind::Unmapped,
                    })
                }
            };
            value |= u64::from(byte) << (8 * i);
        }
        Ok(value)
    }

    /// The fault for a store to `[addr, addr + len)` that is not entirely inside RAM. RAM and the
    /// input region are contiguous, so the range is mapped exactly when it lies inside their
    /// union; then it must touch the input, which is read-only.
    #[cold]
    fn store_fault(&self, addr: u64, len: u64) -> Fault {
        let mapped_end = INPUT_START + self.input.len() as u64;
        let mapped =
            addr >= PROGRAM_START && addr.checked_add(len).is_some_and(|end| end <= mapped_end);
        Fault {
            access: Access::Store,
            addr,
            len,
            kind: if mapped {
                FaultKind::ReadOnly
            } else {
                FaultKind::Unmapped
            },
        }
    }
}

/// The contents of page `index` of RAM `ram` and input region `input` (zeros past the input).
fn page_contents(ram: &[u8], input: &[u8], index: u32) -> [u8; PAGE_BYTES] {
    let mut bytes = [0u8; PAGE_BYTES];
    let start = page_address(index) as usize;
    if index < FIRST_INPUT_PAGE {
        bytes.copy_from_slice(&ram[start..start + PAGE_BYTES]);
    } else {
        let at = (start - INPUT_START as usize).min(input.len());
        let part = &input[at..(at + PAGE_BYTES).min(input.len())];
        bytes[..part.len()].copy_from_slice(part);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf_builder::{ElfBuilder, Perm};
    use droste_isa::Instruction;

    fn memory(private_input: &[u8]) -> Memory {
        let mut elf = ElfBuilder::new(PROGRAM_START);
        elf.code(PROGRAM_START, &[Instruction::nop()]).unwrap();
        elf.segment(
            0x2_0000,
            vec![1, 2, 3, 4, 5, 6, 7, 8, 9],
            0x100,
            Perm::ReadWrite,
        );
        Memory::new(&Program::from_elf(&elf.build()).unwrap(), private_input)
    }

    #[test]
    fn segments_are_loaded_and_bss_is_zero() {
        let mem = memory(&[]);
        assert_eq!(mem.load::<8>(0x2_0000), Ok(0x0807_0605_0403_0201));
        assert_eq!(mem.load::<8>(0x2_0001), Ok(0x0908_0706_0504_0302));
        assert_eq!(mem.load::<8>(0x2_0008), Ok(0x09));
        assert_eq!(mem.load::<4>(0x2_00f0), Ok(0));
    }

    #[test]
    fn misaligned_stores_and_loads_of_every_width() {
        let mut mem = memory(&[]);
        let base = 0x3_0001;
        mem.store::<8>(base, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(mem.load::<1>(base), Ok(0x88));
        assert_eq!(mem.load::<2>(base + 1), Ok(0x6677));
        assert_eq!(mem.load::<4>(base + 3), Ok(0x2233_4455));
        mem.store::<2>(base + 7, 0xaabb).unwrap();
        assert_eq!(mem.load::<8>(base + 1), Ok(0xaabb_2233_4455_6677));
        assert_eq!(mem.load::<1>(base + 8), Ok(0xaa));
    }

    #[test]
    fn the_edges_of_ram_are_exact() {
        let mut mem = memory(&[]);
        assert!(mem.store::<8>(STACK_TOP - 8, u64::MAX).is_ok());
        assert_eq!(mem.load::<8>(STACK_TOP - 8), Ok(u64::MAX));
        assert!(mem.load::<1>(PROGRAM_START).is_ok());
        let below = mem.load::<2>(PROGRAM_START - 1).unwrap_err();
        assert_eq!(
            below,
            Fault {
                access: Access::Load,
                addr: PROGRAM_START - 1,
                len: 2,
                kind: FaultKind::Unmapped
            }
        );
        assert!(mem.load::<8>(u64::MAX - 3).is_err());
        assert!(mem.load::<1>(0).is_err());
    }

    #[test]
    fn private_input_is_mapped_read_only_with_its_header() {
        let mut mem = memory(b"hello");
        assert_eq!(mem.load::<4>(INPUT_START), Ok(5));
        assert_eq!(mem.load::<8>(INPUT_START + 4), Ok(0));
        assert_eq!(
            mem.load::<8>(INPUT_START + 12),
            Ok(u64::from_le_bytes(*b"\0\0\0\0hell"))
        );
        assert_eq!(mem.load::<1>(INPUT_START + 20), Ok(u64::from(b'o')));
        // One byte past the payload is unmapped.
        assert_eq!(
            mem.load::<1>(INPUT_START + 21).unwrap_err().kind,
            FaultKind::Unmapped
        );
        assert!(mem.load::<2>(INPUT_START + 20).is_err());
        // A load straddling the stack top and the header reads both.
        mem.store::<4>(STACK_TOP - 4, 0xdead_beef).unwrap();
        assert_eq!(mem.load::<8>(STACK_TOP - 4), Ok(0x0000_0005_dead_beef));
        let store = mem.store::<1>(INPUT_START + 16, 0).unwrap_err();
        assert_eq!(store.kind, FaultKind::ReadOnly);
        assert_eq!(
            mem.store::<8>(STACK_TOP - 4, 0).unwrap_err().kind,
            FaultKind::ReadOnly
        );
        assert_eq!(
            mem.store::<8>(INPUT_START + 16, 0).unwrap_err().kind,
            FaultKind::Unmapped
        );
    }

    #[test]
    fn byte_ranges_cross_regions_and_check_bounds() {
        let mut mem = memory(b"abc");
        mem.write_bytes(STACK_TOP - 2, b"xy").unwrap();
        let mut out = Vec::new();
        mem.read_bytes(STACK_TOP - 2, 2 + 16 + 3, &mut out).unwrap();
        assert_eq!(&out[..2], b"xy");
        assert_eq!(&out[18..], b"abc");
        assert!(mem.read_bytes(STACK_TOP - 2, 2 + 16 + 4, &mut out).is_err());
        assert!(mem.read_bytes(u64::MAX, 2, &mut out).is_err());
        assert!(mem.read_bytes(PROGRAM_START - 1, 2, &mut out).is_err());
        assert!(mem.read_bytes(0, 0, &mut out).is_ok());
        assert_eq!(
            mem.write_bytes(STACK_TOP - 1, b"ab").unwrap_err().kind,
            FaultKind::ReadOnly
        );
        assert!(mem.write_bytes(0, b"a").is_err());
    }
}
