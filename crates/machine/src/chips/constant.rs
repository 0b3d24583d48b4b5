//! `constant`: LUI, AUIPC, JAL and FENCE, the instructions whose effect is fixed by the program.
//!
//! LUI writes its immediate, AUIPC `pc + imm`, JAL the link `pc + 4`; LUI and AUIPC fall through
//! to `pc + 4` and JAL jumps to `pc + imm`. Both numbers are decoded into the ROM (the value
//! written as the fetch's immediate, the next pc as its target), so a row is a fetch and a
//! register write and nothing else: no register is read, no value is range-checked (the ROM's
//! limbs are well formed by construction). FENCE is a no-op: it writes 0 to the sink register.

use core::borrow::Borrow;

use droste_isa::{Instruction, Opcode};
use droste_stark::Val;
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};

use crate::bus::MachineBuilder;
use crate::events::FrameEvent;
use crate::fetch::{Family, Fetch};
use crate::frame::{StepCols, WriteCols};
use crate::lookup::LookupCounter;

const OPCODES: [Opcode; 4] = [Opcode::Lui, Opcode::Auipc, Opcode::Jal, Opcode::Fence];

/// The value `inst` at `pc` writes and the pc it continues at.
pub fn value_and_next(pc: u32, inst: &Instruction) -> (u64, u32) {
    let imm = inst.imm as i64 as u64;
    match inst.opcode {
        Opcode::Lui => (imm, pc.wrapping_add(4)),
        Opcode::Auipc => (u64::from(pc).wrapping_add(imm), pc.wrapping_add(4)),
        Opcode::Jal => (u64::from(pc) + 4, pc.wrapping_add(inst.imm as u32)),
        _ => (0, pc.wrapping_add(4)),
    }
}

crate::columns! {
    /// One row of the `constant` chip.
    pub struct ConstantCols<T> {
        pub step: StepCols<T>,
        pub rd: WriteCols<T>,
        /// The next pc (bound by the fetch).
        pub next_pc: T,
    }
}

/// The `constant` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConstantChip;

impl BaseAir<Val> for ConstantChip {
    fn width(&self) -> usize {
        ConstantCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for ConstantChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &ConstantCols<AB::Var> = main.current_slice().borrow();
        let value = local.rd.value.0;
        // Limbs 2 and 3 are both the sign fill, which the fetch pins to 0 or 0xffff.
        builder.assert_eq(value[2], value[3]);
        let mut fetch = Fetch::new(Family::Constant);
        fetch.rd = local.rd.reg.into();
        fetch.imm_lo = value[0].into();
        fetch.imm_hi = value[1].into();
        fetch.imm_neg = value[3].into() * Val::from_u32(0xffff).inverse();
        fetch.target = local.next_pc.into();
        local
            .rd
            .eval(builder, local.step.clk, local.step.is_real.into());
        local.step.eval(builder, fetch, local.next_pc.into());
    }
}

crate::impl_table!(ConstantChip, "constant");

crate::impl_instruction_chip!(ConstantChip, ConstantCols, OPCODES, populate);

fn populate(cols: &mut ConstantCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    cols.step.populate(event.clk, event.pc);
    cols.rd.populate(event, lookups);
    cols.next_pc = Val::from_u32(event.next_pc);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::PROGRAM;
    use crate::columns::Col;
    use crate::gadgets::row_check::*;

    fn events() -> Vec<FrameEvent> {
        let instructions = [
            Instruction::u(Opcode::Lui, 5, 0x1234_5000),
            Instruction::u(Opcode::Lui, 5, -0x1000),
            Instruction::u(Opcode::Auipc, 5, 0x7fff_f000),
            Instruction::u(Opcode::Auipc, 5, -0x8000_0000),
            Instruction::u(Opcode::Jal, 1, -16),
            Instruction::u(Opcode::Jal, 0, 2048),
            Instruction::fence(),
        ];
        instructions
            .iter()
            .enumerate()
            .map(|(i, &instruction)| {
                let pc = 0x2000_0000 + 4 * i as u32;
                let (result, next_pc) = value_and_next(pc, &instruction);
                FrameEvent {
                    clk: i as u32 + 1,
                    pc,
                    next_pc,
                    instruction,
                    rs1_value: 0,
                    rs2_value: 0,
                    result,
                    rs1_prev_ts: 0,
                    rs2_prev_ts: 0,
                    rd_prev_ts: 0,
                    rd_prev_value: 0,
                }
            })
            .collect()
    }

    #[test]
    fn every_opcode_satisfies_the_chip_and_a_wrong_value_or_target_is_not_in_the_rom() {
        let events = events();
        let trace = assert_chip_honest(&ConstantChip, &events);
        for row in 0..events.len() {
            for name in ["rd.value[0]", "rd.value[1]", "next_pc", "rd.reg"] {
                let bad = cell::<ConstantCols<Col>>(&trace, row, name) + Val::ONE;
                let tampered = with_cell::<ConstantCols<Col>>(&trace, row, name, bad);
                assert!(
                    matches!(
                        first_failure(&ConstantChip, &tampered, &events, row),
                        Some(RowFailure::Lookup { bus: PROGRAM, .. })
                    ),
                    "{name} of {:?}",
                    events[row]
                );
            }
            // The sign fill must be 0 or 0xffff in both upper limbs.
            for fill in [1u32, 0x7fff] {
                let mut tampered = trace.clone();
                for name in ["rd.value[2]", "rd.value[3]"] {
                    tampered =
                        with_cell::<ConstantCols<Col>>(&tampered, row, name, Val::from_u32(fill));
                }
                assert!(first_failure(&ConstantChip, &tampered, &events, row).is_some());
            }
        }
    }
}
