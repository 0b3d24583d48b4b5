//! The buses between the machine's tables, their tuple layouts, and how a table's `eval` declares
//! its interactions.
//!
//! Every tuple layout is fixed here and nowhere else; `docs/machine.md` explains why each bus is
//! sound. Senders and receivers must agree on the layout element by element, so every send or
//! receive of a bus goes through one helper of this module or of the gadget that owns the bus
//! ([`crate::frame`], [`crate::fetch`], [`crate::memory_access`], [`crate::lookup`]).
//!
//! | bus | tuple |
//! |---|---|
//! | [`STATE`] | `(clk, pc)` |
//! | [`PROGRAM`] | `(pc, family, rd, rs1, rs2, imm_lo, imm_hi, imm_neg, target, control[5])`, see [`crate::fetch`] |
//! | [`MEMORY`] | `(space, addr, ts, value[4])` |
//! | [`RANGE`] | `(x, bits)`: `0 <= x < 2^bits`, `bits` in [`crate::lookup::RANGE_WIDTHS`] |
//! | [`BYTE`] | `(op, a, b, c)`: `c = a op b` on bytes, see [`crate::lookup::ByteOp`] |
//! | [`OUTPUT`] | `(index, byte)` |
//! | [`OUTPUT_CURSOR`] | `(offset, min_clk)` |
//! | [`EXIT`] | `(code_lo16, code_hi16, output_len)` |
//! | [`BUFFER`] | `(clk, addr, remaining, output_index, is_write, is_output)` |
//! | [`IMAGE_END`] | `(last_image_doubleword)` |
//! | [`POSEIDON2`] | `(clk, addr, mode, from, source)` |
//! | [`EXT_COMBINE`] | `(clk, values, count, block)` |
//! | [`EXT_COMBINE_ROW`] | `(clk, addr, alpha[4], acc[4])` |
//! | [`NODE`] | `(tree, level, index, digest[8])`, shard proofs only |
//! | [`INPUT_LEN`] | `(len)`, shard proofs only |
//!
//! # Declaring interactions in `eval`
//!
//! A table writes its constraints *and* its sends/receives in one `eval`, generic over
//! [`MachineBuilder`] (droste-stark's `BusBuilder`), so a gadget's constraints and bus traffic
//! live in one function and cannot drift apart: setup and the prover collect the interactions
//! symbolically (`Table::interactions`), the verifier evaluates them where it folds the
//! constraints (`droste_stark::bus_builder` explains the builders).

/// A bus id (the stark crate's [`droste_stark::BusId`]).
pub type Bus = droste_stark::BusId;

/// `(clk, pc)`: the machine state token passed from each instruction to the next.
pub const STATE: Bus = 1;
/// `(pc, family, rd, rs1, rs2, imm_lo, imm_hi, imm_neg, target, control[5])`: instruction
/// fetch from the program ROM (the layout is [`crate::fetch::RomEntry`]'s).
pub const PROGRAM: Bus = 2;
/// `(space, addr, ts, value[4])`: offline memory checking of registers and RAM.
pub const MEMORY: Bus = 3;
/// `(x, bits)`: range checks.
pub const RANGE: Bus = 4;
/// `(op, a, b, c)`: byte operations and byte range checks.
pub const BYTE: Bus = 5;
/// `(index, byte)`: public output bytes.
pub const OUTPUT: Bus = 6;
/// `(offset, min_clk)`: the chain of COMMIT calls, in clock order, ending at the halt.
pub const OUTPUT_CURSOR: Bus = 7;
/// `(code_lo16, code_hi16, output_len)`: the exit of the program, sent once by HALT or PANIC.
pub const EXIT: Bus = 8;
/// `(clk, addr, remaining, output_index, is_write, is_output)`: the bytes of a system call
/// buffer still to process.
pub const BUFFER: Bus = 9;
/// `(addr)`: the last doubleword of the memory image, where the dynamic memory table starts.
pub const IMAGE_END: Bus = 10;
/// `(clk, addr, mode, from, source)`: a POSEIDON2 (`from = 0`) or POSEIDON2_FROM (`from = 1`)
/// call, from its `ecall` row to its `poseidon2` row; `mode` is the call's `a1`, `source` its
/// `a2` (POSEIDON2_FROM) or 0.
pub const POSEIDON2: Bus = 11;
/// `(clk, values, count, block)`: an EXT_COMBINE call, from its `ecall` row to its
/// `ext_combine` row.
pub const EXT_COMBINE: Bus = 12;
/// `(clk, addr, alpha[4], acc[4])`: an EXT_COMBINE call's Horner accumulator `acc` over the
/// values at `addr` and above, passed down its `ext_combine_rows` rows.
pub const EXT_COMBINE_ROW: Bus = 13;

/// `(tree, level, index, digest[8])`: a node of the memory tree before (`tree` 0) or after
/// (`tree` 1) a shard, in shard proofs (see [`crate::paged_memory`]).
pub const NODE: Bus = 14;
/// `(len)`: the private input's length, from a shard's statement to the `pages` table.
pub const INPUT_LEN: Bus = 15;

/// Memory spaces (first element of a [`MEMORY`] tuple): registers, read/write RAM
/// (`PROGRAM_START..STACK_TOP`) and the read-only private input (`INPUT_START..`). A cell
/// exists only where an init table creates it, so a store can never reach the input region or
/// a register, whatever address it computes.
pub mod space {
    /// Registers x0..x31 at addresses 0..31.
    pub const REGISTER: u32 = 0;
    /// Read/write RAM, one cell per aligned doubleword (address = byte address).
    pub const RAM: u32 = 1;
    /// The private input region, read-only, one cell per aligned doubleword.
    pub const INPUT: u32 = 2;
}

/// An `AirBuilder` on which a table can also send and receive bus tuples: droste-stark's
/// [`droste_stark::BusBuilder`], under the name the machine's tables use.
pub use droste_stark::BusBuilder as MachineBuilder;
