//! Execution records: what STARK trace generation needs to know about a run.
//!
//! The record is three flat vectors of small `Copy` structs, appended to in execution order, so
//! recording costs a few stores per instruction. A step's clock (`clk`) is its index in
//! [`ExecutionRecord::steps`]: the number of instructions executed before it. See
//! `docs/executor.md` for the exact meaning of every field.

use std::collections::TryReserveError;

/// One executed instruction. Its clock is its index in [`ExecutionRecord::steps`]; the
/// instruction itself is `program.instruction_at(pc)` (and `program.word_at(pc)` its encoding).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StepEvent {
    /// Address of the instruction (every fetchable address is below 2^32).
    pub pc: u32,
    /// Address of the next instruction executed (truncated to 32 bits; a wider target makes the
    /// next fetch fail, which ends the execution with an error).
    pub next_pc: u32,
    /// Value of register `rs1` before the instruction (0 when the format has no rs1: the decoded
    /// field is then 0 and x0 reads 0).
    pub rs1_value: u64,
    /// Value of register `rs2` before the instruction (likewise 0 when unused).
    pub rs2_value: u64,
    /// Value of register `rd` after the instruction: the value written, 0 when rd is x0. For
    /// instructions without a destination (stores, branches, fence, ecall) rd is x0 in every
    /// decoded instruction except `fence`, whose ignored rd field keeps its old value.
    pub rd_value: u64,
}

/// One memory access: a load or store by an instruction, or a piece of a system call's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MemoryEvent {
    /// Clock of the instruction (or `ecall`) that made the access.
    pub clk: u64,
    /// First byte accessed (every mapped address is below 2^31).
    pub addr: u32,
    /// Bytes accessed: 1, 2, 4 or 8.
    pub width: u8,
    /// True for a store.
    pub write: bool,
    /// The `width` bytes read or written, little-endian in the low bits (zero-extended).
    pub value: u64,
    /// The bytes before the access (equal to `value` for a load).
    pub prev_value: u64,
}

/// One `ecall`: the registers it read and the `a0` it left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SyscallEvent {
    pub clk: u64,
    /// The call number (`a7`).
    pub number: u64,
    /// `a0`, `a1`, `a2` at the call.
    pub args: [u64; 3],
    /// `a0` after the call (unchanged for calls without a result).
    pub result: u64,
}

/// One POSEIDON2 precompile call: the state before and after, as the guest's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Poseidon2Event {
    pub clk: u64,
    pub pc: u32,
    /// Address of the state (8-byte aligned, in RAM).
    pub addr: u32,
    /// The words are Montgomery forms (`a1 = 1`), not canonical integers.
    pub montgomery: bool,
    /// The 16 words at `addr` before the call (each below the KoalaBear modulus, except in the
    /// half a POSEIDON2_FROM source replaces).
    pub input: [u32; 16],
    /// POSEIDON2_FROM's source; `None` for POSEIDON2.
    pub source: Option<Poseidon2Source>,
    /// The 16 words the call wrote.
    pub output: [u32; 16],
}

/// The 8 words a POSEIDON2_FROM call read at `a2`, and the half of the state they replaced in
/// the permutation's input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Poseidon2Source {
    /// Address of the words (8-byte aligned, in RAM).
    pub addr: u32,
    /// They replaced words 8..16 (else 0..8).
    pub second_half: bool,
    /// The words (each below the KoalaBear modulus).
    pub words: [u32; 8],
}

/// Everything a run did, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecutionRecord {
    /// Registers before the first instruction.
    pub initial_registers: [u64; 32],
    pub steps: Vec<StepEvent>,
    /// Instruction accesses (one event each, any alignment) and system call buffers (split into
    /// naturally aligned pieces of up to 8 bytes), in clock order.
    pub memory: Vec<MemoryEvent>,
    pub syscalls: Vec<SyscallEvent>,
    /// POSEIDON2 calls (which are also in `syscalls`), in clock order.
    pub poseidon2: Vec<Poseidon2Event>,
}

/// Steps reserved up front when recording (1 GiB of address space).
const RESERVED_STEPS: u64 = 1 << 25;
/// Memory events reserved up front when recording (512 MiB of address space).
const RESERVED_MEMORY_EVENTS: u64 = 1 << 24;

impl ExecutionRecord {
    /// An empty record with capacity for up to 2^25 steps and 2^24 memory events (fewer when
    /// `max_cycles` is smaller).
    ///
    /// Why reserve: the OS maps pages only when they are first written, so a large reservation
    /// costs address space, not memory, while growing a vector by reallocation copies it and
    /// faults in both copies. Measured on the `hash` and `fib` benchmarks: recording runs about
    /// twice as fast. If the reservation is refused (strict overcommit), the vectors grow on
    /// demand instead.
    pub(crate) fn reserved(initial_registers: [u64; 32], max_cycles: u64) -> Self {
        fn reserve<T>(count: u64) -> Vec<T> {
            let mut events = Vec::new();
            // A refused reservation only means growing later; the error carries nothing else.
            let _ = events.try_reserve_exact(count as usize);
            events
        }
        ExecutionRecord {
            initial_registers,
            steps: reserve(max_cycles.min(RESERVED_STEPS)),
            memory: reserve(max_cycles.min(RESERVED_MEMORY_EVENTS)),
            syscalls: Vec::new(),
            poseidon2: Vec::new(),
        }
    }
}

/// Appends with amortized doubling but reports allocation failure instead of aborting, so an
/// oversized recording run ends with an error rather than killing the host.
#[inline(always)]
pub(crate) fn try_push<T>(events: &mut Vec<T>, event: T) -> Result<(), TryReserveError> {
    if events.len() == events.capacity() {
        events.try_reserve(events.capacity().max(1 << 12))?;
    }
    events.push(event);
    Ok(())
}

/// Splits `[addr, addr + len)` into naturally aligned pieces of 1, 2, 4 or 8 bytes, as
/// `(offset from addr, width)`.
pub(crate) fn aligned_pieces(addr: u64, len: u64) -> impl Iterator<Item = (u64, u8)> {
    let mut offset = 0u64;
    std::iter::from_fn(move || {
        if offset >= len {
            return None;
        }
        let at = addr + offset;
        let remaining = len - offset;
        let width = [8u64, 4, 2, 1]
            .into_iter()
            .find(|w| at % w == 0 && *w <= remaining)?;
        let piece = (offset, width as u8);
        offset += width;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_stay_compact() {
        assert_eq!(std::mem::size_of::<StepEvent>(), 32);
        assert_eq!(std::mem::size_of::<MemoryEvent>(), 32);
    }

    #[test]
    fn pieces_are_aligned_and_cover_the_range() {
        let pieces: Vec<_> = aligned_pieces(0x1003, 14).collect();
        assert_eq!(pieces, vec![(0, 1), (1, 4), (5, 8), (13, 1)]);
        for (addr, len) in [(0x2000, 0), (0x2001, 1), (0x2006, 3), (0x2000, 17)] {
            let pieces: Vec<_> = aligned_pieces(addr, len).collect();
            let mut next = 0;
            for (offset, width) in pieces {
                assert_eq!(offset, next);
                assert_eq!((addr + offset) % u64::from(width), 0);
                next += u64::from(width);
            }
            assert_eq!(next, len);
        }
    }
}
