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
    /// Value of `rs1`.
    pub rs1_value: u64,
    /// Value of `rs2` (0 when the instruction uses an immediate).
    pub rs2_value: u64,
    /// What the instruction computes for `rd`, also when `rd` is `x0` and nothing is written.
    pub result: u64,
    /// Timestamp of the previous access to `rs1`.
    pub rs1_prev_ts: u32,
    /// Timestamp of the previous access to `rs2` (when read).
    pub rs2_prev_ts: u32,
    /// Timestamp of the previous access to `rd` (when written).
    pub rd_prev_ts: u32,
    /// Value of `rd` before the instruction (when written).
    pub rd_prev_value: u64,
}

impl FrameEvent {
    /// The second operand: `rs2`, or the sign-extended immediate for instructions that use one.
    pub fn operand_b(&self) -> u64 {
        if crate::program::InstructionFlags::of(&self.instruction).uses_imm {
            self.instruction.imm as i64 as u64
        } else {
            self.rs2_value
        }
    }
}
