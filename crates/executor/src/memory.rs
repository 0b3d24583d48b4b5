//! Guest memory: one flat zeroed array for the program, heap and stack, plus the read-only
//! private input region.
//!
//! `ram` covers `[0, STACK_TOP)` so that a guest address is its index: no translation in the hot
//! path, one range comparison per access. It is allocated zeroed (`vec![0; n]`, which the
//! allocator serves with `calloc`/`mmap`), so the OS backs only the pages the guest touches; the
//! first `PROGRAM_START` bytes are never accessed because the range check rejects them.

use droste_isa::abi::{INPUT_HEADER_LEN, INPUT_START, PROGRAM_START, STACK_TOP};

use crate::error::{Access, ExecError};
use crate::program::Program;

/// A failed access, before the caller adds the pc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    pub access: Access,
    pub addr: u64,
    pub len: u64,
    /// The bytes are mapped, but the store targets the read-only private input.
    pub read_only: bool,
}

impl Fault {
    pub(crate) fn at(self, pc: u64) -> ExecError {
        let Fault {
            access,
            addr,
            len,
            read_only,
        } = self;
        if read_only {
            ExecError::ReadOnly { pc, addr, len }
        } else {
            ExecError::Unmapped {
                pc,
                access,
                addr,
                len,
            }
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
        Memory { ram, input }
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

    /// Copies `len` guest bytes at `addr` to the end of `out`. A zero-length range is valid at
    /// any address.
    pub(crate) fn read_bytes(&self, addr: u64, len: u64, out: &mut Vec<u8>) -> Result<(), Fault> {
        let fault = Fault {
            access: Access::Load,
            addr,
            len,
            read_only: false,
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

    /// Writes `bytes` at `addr`. The range must lie in read/write memory.
    pub(crate) fn write_bytes(&mut self, addr: u64, bytes: &[u8]) -> Result<(), Fault> {
        self.check_writable(addr, bytes.len() as u64)?;
        if bytes.is_empty() {
            return Ok(());
        }
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
                        read_only: false,
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
            read_only: mapped,
        }
    }
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
                read_only: false
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
        assert!(!mem.load::<1>(INPUT_START + 21).unwrap_err().read_only);
        assert!(mem.load::<2>(INPUT_START + 20).is_err());
        // A load straddling the stack top and the header reads both.
        mem.store::<4>(STACK_TOP - 4, 0xdead_beef).unwrap();
        assert_eq!(mem.load::<8>(STACK_TOP - 4), Ok(0x0000_0005_dead_beef));
        let store = mem.store::<1>(INPUT_START + 16, 0).unwrap_err();
        assert!(store.read_only);
        assert!(mem.store::<8>(STACK_TOP - 4, 0).unwrap_err().read_only);
        assert!(!mem.store::<8>(INPUT_START + 16, 0).unwrap_err().read_only);
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
        assert!(mem.write_bytes(STACK_TOP - 1, b"ab").unwrap_err().read_only);
        assert!(mem.write_bytes(0, b"a").is_err());
    }
}
