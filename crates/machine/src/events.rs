//! Per-instruction events: an executed step together with what trace generation needs to know
//! about the memory cells it touched (when each was last accessed, what it held). They are built
//! by one sequential pass over the execution record ([`crate::trace::MemoryPass`]) and then
//! turned into rows by the chips in parallel.

use droste_isa::Instruction;

/// One executed instruction as an instruction chip sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameEvent {
    /// The instruction's clock.
    pub clk: u32,
    /// Its address.
    pub pc: u32,
    /// The address of the next instruction.
    pub next_pc: u32,
    /// The decoded instruction (from the program ROM).
    pub instruction: Instruction,
    /// Value of `rs1` (0 when the instruction reads no `rs1`).
    pub rs1_value: u64,
    /// Value of `rs2` (0 when the instruction reads no `rs2`).
    pub rs2_value: u64,
    /// What the instruction writes to its destination register (the sink for `x0`).
    pub result: u64,
    /// Timestamp of the previous access to `rs1` (when read).
    pub rs1_prev_ts: u32,
    /// Timestamp of the previous access to `rs2` (when read).
    pub rs2_prev_ts: u32,
    /// Timestamp of the previous access to `rd` (when written).
    pub rd_prev_ts: u32,
    /// Value of the destination register before the instruction (when written).
    pub rd_prev_value: u64,
}

impl FrameEvent {
    /// The second operand: `rs2`, or the sign-extended immediate for instructions that use one.
    pub fn operand_b(&self) -> u64 {
        if crate::fetch::RegisterUse::of(&self.instruction)
            .rs2
            .is_none()
        {
            self.instruction.imm as i64 as u64
        } else {
            self.rs2_value
        }
    }
}

/// One aligned doubleword access of a load, store or system call buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DwordAccess {
    /// Byte address of the doubleword (a multiple of 8).
    pub addr: u32,
    /// The cell is in the input region (space `INPUT`), not RAM.
    pub is_input: bool,
    /// Timestamp of the previous access.
    pub prev_ts: u32,
    /// Value before the access.
    pub prev_value: u64,
    /// Value after it.
    pub value: u64,
}

/// A load or store: the frame plus the one or two doublewords it touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryInstructionEvent {
    pub frame: FrameEvent,
    /// The byte address accessed (`rs1 + imm`).
    pub addr: u32,
    /// The first doubleword, and the second one when the access crosses into it.
    pub dwords: [Option<DwordAccess>; 2],
}

/// An `ecall`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EcallEvent {
    pub clk: u32,
    pub pc: u32,
    /// The call number (`a7`).
    pub number: u64,
    pub a7_prev_ts: u32,
    /// The first argument (`a0`; WRITE: `a1`) before and after the call.
    pub arg0: u64,
    pub arg0_new: u64,
    pub arg0_prev_ts: u32,
    /// The second argument (`a1`; WRITE: `a2`).
    pub arg1: u64,
    pub arg1_prev_ts: u32,
    /// The third argument and the previous access to it (0 for calls without one): WRITE's
    /// file descriptor (`a0`), EXT_COMBINE's block address (`a2`).
    pub arg2: u64,
    pub arg2_prev_ts: u32,
    /// Public output bytes committed before this call.
    pub output_cursor: u32,
    /// The clock after the previous COMMIT (0 if none): the output chain's order witness.
    pub output_min_clk: u32,
}

/// A POSEIDON2 or POSEIDON2_FROM call: the state's words before and after, its 8 doubleword
/// accesses, and POSEIDON2_FROM's source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Poseidon2Event {
    pub clk: u32,
    /// Address of the state (8-byte aligned).
    pub addr: u32,
    /// The words are Montgomery forms.
    pub montgomery: bool,
    pub input: [u32; 16],
    pub output: [u32; 16],
    /// The doublewords `addr + 8 j`, read as the input and written as the output.
    pub accesses: [DwordAccess; 8],
    /// POSEIDON2_FROM's source (`None` for POSEIDON2).
    pub source: Option<SourceRead>,
}

/// The 8 words a POSEIDON2_FROM call read in place of one half of its state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceRead {
    /// Address of the words (8-byte aligned).
    pub addr: u32,
    /// They stand in for the state's words 8..16 (else 0..8).
    pub second_half: bool,
    pub words: [u32; 8],
    /// The doublewords `addr + 8 j`, read (before the state's accesses).
    pub accesses: [DwordAccess; 4],
}

/// An EXT_COMBINE call: its block's words, the rows' Horner sum and its 6 doubleword accesses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExtCombineEvent {
    pub clk: u32,
    /// Address of the first value, number of values, address of the block.
    pub values: u32,
    pub count: u32,
    pub block: u32,
    /// Montgomery words of `alpha`, `w` and the result written.
    pub alpha: [u32; 4],
    pub weight: [u32; 4],
    pub result: [u32; 4],
    /// `sum_c alpha^c v_c`: its coordinates (canonical).
    pub sum: [u32; 4],
    /// The block's doublewords `block + 8 j`: `alpha`, `w` (read), the result (written).
    pub accesses: [DwordAccess; 6],
}

/// One doubleword of an EXT_COMBINE call's values and the Horner step over it. Extension
/// elements are their coordinates (canonical).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExtCombineRowEvent {
    pub clk: u32,
    /// The doubleword read (8-byte aligned).
    pub addr: u32,
    pub alpha: [u32; 4],
    /// The accumulator before the row and `(acc * alpha + v_hi) * alpha + v_lo`.
    pub acc: [u32; 4],
    pub acc_out: [u32; 4],
    /// The Montgomery words `v_lo`, `v_hi`.
    pub words: [u32; 2],
    /// Timestamp of the doubleword's previous access.
    pub prev_ts: u32,
}

/// One doubleword piece of a system call buffer (COMMIT, WRITE and PANIC read, INPUT_READ and
/// RANDOM write).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BufferEvent {
    pub clk: u32,
    /// First byte of the piece.
    pub addr: u32,
    /// Bytes of the call's buffer from `addr` on.
    pub remaining: u32,
    /// The output cursor plus the bytes of the buffer before this piece: for COMMIT, the index
    /// in the public output of the piece's first byte; for writes only a position in the token.
    pub output_index: u32,
    /// The call writes the buffer.
    pub is_write: bool,
    /// The call is COMMIT: the bytes are public output.
    pub is_output: bool,
    /// Bytes of the piece: `min(8 - addr % 8, remaining)`.
    pub len: u32,
    pub access: DwordAccess,
}
