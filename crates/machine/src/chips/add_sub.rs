//! `add_sub` (ADD, SUB, ADDW, SUBW) and `add_imm` (ADDI, ADDIW).
//!
//! One 64-bit adder serves both: `rs1 + b = rd` for additions and `rd + b = rs1` for
//! subtractions, where `b` is `rs2` or the immediate. The `*W` forms add only the low two limbs
//! and sign-extend limb 1 into limbs 2 and 3. The controls `is_sub` and `is_word` come from the
//! ROM (see [`crate::fetch`]), so they need no constraint of their own.
//!
//! Splitting the register and immediate forms into two tables lets each row pay only for what
//! its instruction reads: an `addi` row has no `rs2` access. Without subtraction the adder's
//! inputs are fixed, so `add_imm` needs no carry columns: the carry out of limb `k` is the
//! linear `(rs1_k + b_k + carry_{k-1} - rd_k) / 2^16`, and asserting it boolean proves the
//! chain (every limb is in `[0, 2^16)`, so the field equation is the integer one).

use core::borrow::Borrow;

use droste_isa::Opcode;
use droste_stark::Val;
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};

use crate::bus::MachineBuilder;
use crate::columns::{limbs, Word, WORD_LIMBS};
use crate::events::FrameEvent;
use crate::fetch::{bool_controls, Family, Fetch, CONTROLS};
use crate::frame::{ImmFrameCols, RegFrameCols};
use crate::gadgets::sign_bit;
use crate::lookup::{range_check, LookupCounter};

const OPCODES: [Opcode; 4] = [Opcode::Add, Opcode::Sub, Opcode::Addw, Opcode::Subw];
const IMM_OPCODES: [Opcode; 2] = [Opcode::Addi, Opcode::Addiw];

/// The ROM controls of the `add_sub` family: `[is_sub, is_word]`.
pub fn controls(op: Opcode) -> [u32; CONTROLS] {
    bool_controls([
        matches!(op, Opcode::Sub | Opcode::Subw),
        matches!(op, Opcode::Addw | Opcode::Subw),
    ])
}

/// The ROM controls of the `add_imm` family: `[is_word]`.
pub fn imm_controls(op: Opcode) -> [u32; CONTROLS] {
    bool_controls([op == Opcode::Addiw])
}

/// The `*W` sign extension and the range checks of the result: limbs 2 and 3 of a `*W` result
/// repeat the sign bit of limb 1. Five lookups.
fn eval_result<AB: MachineBuilder>(
    builder: &mut AB,
    rd: &Word<AB::Var>,
    word_sign: AB::Var,
    is_word: AB::Expr,
    is_real: AB::Expr,
) {
    sign_bit::eval(builder, rd.0[1].into(), word_sign.into(), is_word.clone());
    let fill = word_sign.into() * AB::Expr::from_u32(0xffff);
    for k in 2..WORD_LIMBS {
        builder
            .when(is_word.clone())
            .assert_eq(rd.0[k], fill.clone());
    }
    for limb in rd.0 {
        range_check(builder, limb, 16, is_real.clone());
    }
}

/// Fills the sign of a `*W` result and records the result's lookups.
fn populate_result(result: u64, is_word: bool, lookups: &LookupCounter) -> Val {
    lookups.range_word(result);
    sign_bit::populate(limbs(result)[1], is_word, lookups)
}

crate::columns! {
    /// One row of the `add_sub` chip.
    pub struct AddSubCols<T> {
        pub frame: RegFrameCols<T>,
        /// ROM controls.
        pub is_sub: T,
        pub is_word: T,
        /// Carry out of each limb of the adder.
        pub carry: [T; WORD_LIMBS],
        /// Sign bit of a `*W` result (bit 15 of limb 1).
        pub word_sign: T,
    }
}

/// The `add_sub` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct AddSubChip;

impl BaseAir<Val> for AddSubChip {
    fn width(&self) -> usize {
        AddSubCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for AddSubChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &AddSubCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let (is_sub, is_word): (AB::Expr, AB::Expr) = (local.is_sub.into(), local.is_word.into());

        let base = AB::Expr::from_u32(1 << 16);
        let mut carry_in = AB::Expr::ZERO;
        for k in 0..WORD_LIMBS {
            let rs1: AB::Expr = frame.rs1.value.0[k].into();
            let rd: AB::Expr = frame.rd.value.0[k].into();
            let b: AB::Expr = frame.rs2.value.0[k].into();
            let left = rs1.clone() + is_sub.clone() * (rd.clone() - rs1.clone());
            let right = rd.clone() + is_sub.clone() * (rs1 - rd);
            let carry: AB::Expr = local.carry[k].into();
            builder.assert_bool(carry.clone());
            let limb_sum = left + b + carry_in - right - carry.clone() * base.clone();
            if k < 2 {
                builder.assert_zero(limb_sum);
            } else {
                builder.assert_zero((AB::Expr::ONE - is_word.clone()) * limb_sum);
            }
            carry_in = carry;
        }
        eval_result(
            builder,
            &frame.rd.value,
            local.word_sign,
            is_word.clone(),
            frame.step.is_real.into(),
        );

        frame.eval(
            builder,
            Fetch::new(Family::AddSub).with_controls([is_sub, is_word]),
        );
    }
}

crate::impl_table!(AddSubChip, "add_sub");

crate::impl_instruction_chip!(AddSubChip, AddSubCols, OPCODES, populate);

fn populate(cols: &mut AddSubCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    cols.frame.populate(event, lookups);
    let [is_sub, is_word, ..] = controls(event.instruction.opcode).map(|c| c == 1);
    cols.is_sub = Val::from_bool(is_sub);
    cols.is_word = Val::from_bool(is_word);
    // rs1 + b = rd, or rd + b = rs1 for a subtraction.
    let left = if is_sub {
        event.result
    } else {
        event.rs1_value
    };
    let (left, b) = (limbs(left), limbs(event.rs2_value));
    let mut carry = 0u32;
    for k in 0..WORD_LIMBS {
        carry = (u32::from(left[k]) + u32::from(b[k]) + carry) >> 16;
        cols.carry[k] = Val::from_u32(carry);
    }
    cols.word_sign = populate_result(event.result, is_word, lookups);
}

crate::columns! {
    /// One row of the `add_imm` chip.
    pub struct AddImmCols<T> {
        pub frame: ImmFrameCols<T>,
        /// ROM control.
        pub is_word: T,
        /// Sign bit of a `*W` result (bit 15 of limb 1).
        pub word_sign: T,
    }
}

/// The `add_imm` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct AddImmChip;

impl BaseAir<Val> for AddImmChip {
    fn width(&self) -> usize {
        AddImmCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for AddImmChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &AddImmCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let is_word: AB::Expr = local.is_word.into();

        let inv_base = Val::from_u32(1 << 16).inverse();
        let b = frame.operand::<AB::Expr>();
        let mut carry = AB::Expr::ZERO;
        for (k, b_k) in b.into_iter().enumerate() {
            let rs1: AB::Expr = frame.rs1.value.0[k].into();
            let rd: AB::Expr = frame.rd.value.0[k].into();
            carry = (rs1 + b_k + carry - rd) * inv_base;
            let is_bool = carry.clone() * (carry.clone() - AB::Expr::ONE);
            if k < 2 {
                builder.assert_zero(is_bool);
            } else {
                builder.assert_zero((AB::Expr::ONE - is_word.clone()) * is_bool);
            }
        }
        eval_result(
            builder,
            &frame.rd.value,
            local.word_sign,
            is_word.clone(),
            frame.step.is_real.into(),
        );

        frame.eval(builder, Fetch::new(Family::AddImm).with_controls([is_word]));
    }
}

crate::impl_table!(AddImmChip, "add_imm");

crate::impl_instruction_chip!(AddImmChip, AddImmCols, IMM_OPCODES, populate_imm);

fn populate_imm(cols: &mut AddImmCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    cols.frame.populate(event, lookups);
    let is_word = event.instruction.opcode == Opcode::Addiw;
    cols.is_word = Val::from_bool(is_word);
    cols.word_sign = populate_result(event.result, is_word, lookups);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{PROGRAM, RANGE};
    use crate::columns::Col;
    use crate::gadgets::row_check::*;

    #[test]
    fn register_forms_on_edge_values_satisfy_the_chip_and_reject_a_wrong_result() {
        let events = events_on_pairs(&OPCODES, &EDGE_VALUES);
        let trace = assert_chip_honest(&AddSubChip, &events);
        for row in (0..events.len()).step_by(11) {
            for k in 0..WORD_LIMBS {
                let name = format!("frame.rd.value[{k}]");
                let bad = cell::<AddSubCols<Col>>(&trace, row, &name) + Val::ONE;
                let tampered = with_cell::<AddSubCols<Col>>(&trace, row, &name, bad);
                assert!(first_failure(&AddSubChip, &tampered, &events, row).is_some());
            }
        }
    }

    #[test]
    fn immediate_forms_on_edge_values_satisfy_the_chip_and_reject_a_wrong_result() {
        let events = events_on_pairs(&IMM_OPCODES, &EDGE_VALUES);
        let trace = assert_chip_honest(&AddImmChip, &events);
        for row in (0..events.len()).step_by(5) {
            for k in 0..WORD_LIMBS {
                let name = format!("frame.rd.value[{k}]");
                let bad = cell::<AddImmCols<Col>>(&trace, row, &name) + Val::ONE;
                let tampered = with_cell::<AddImmCols<Col>>(&trace, row, &name, bad);
                assert!(first_failure(&AddImmChip, &tampered, &events, row).is_some());
            }
        }
        assert_chip_honest(&AddImmChip, &events_on(&IMM_OPCODES, &random_pairs(32, 4)));
    }

    /// `0x1_0005 + 3` with limb 0 written as `8 - 2^16` and limb 1 as 2: the same integer, with
    /// boolean linear carries (1, then 0), so only the range check of limb 0 objects.
    #[test]
    fn a_borrowed_carry_is_caught() {
        let events = [event(Opcode::Addi, 0x1_0005, 3, 1)];
        let trace = assert_chip_honest(&AddImmChip, &events);
        let low = Val::from_u32(8) - Val::from_u32(1 << 16);
        let tampered = with_cell::<AddImmCols<Col>>(&trace, 0, "frame.rd.value[0]", low);
        let tampered = with_cell::<AddImmCols<Col>>(&tampered, 0, "frame.rd.value[1]", Val::TWO);
        assert!(matches!(
            first_failure(&AddImmChip, &tampered, &events, 0),
            Some(RowFailure::Lookup { bus: RANGE, .. })
        ));
    }

    /// A padding row may not use a control as a negative lookup multiplicity: with
    /// `is_word = -1` it would take back another row's out-of-range sign check.
    #[test]
    fn controls_vanish_on_padding_rows() {
        let events = [event(Opcode::Addiw, 5, 3, 1)];
        let trace = assert_chip_honest(&AddImmChip, &events);
        let tampered = with_cell::<AddImmCols<Col>>(&trace, 1, "is_word", -Val::ONE);
        assert!(matches!(
            first_failure(&AddImmChip, &tampered, &events, 1),
            Some(RowFailure::Constraint { row: 1, .. })
        ));
    }

    #[test]
    fn a_control_that_disagrees_with_the_rom_is_caught() {
        let events = events_on_pairs(&OPCODES, &EDGE_VALUES[..4]);
        let trace = assert_chip_honest(&AddSubChip, &events);
        // Claim an ADD is a SUB, with a result and carries that match the subtraction.
        let row = events
            .iter()
            .position(|e| e.instruction.opcode == Opcode::Add && e.rs1_value == 2)
            .unwrap();
        let e = events[row];
        let mut forged = AddSubCols::<Val>::default();
        let sub = FrameEvent {
            instruction: droste_isa::Instruction::r(Opcode::Sub, 5, 6, 7),
            result: e.rs1_value.wrapping_sub(e.rs2_value),
            ..e
        };
        populate(&mut forged, &sub, &LookupCounter::default());
        let mut tampered = trace.clone();
        let width = AddSubCols::<u8>::WIDTH;
        let row_cells: &mut [Val] = &mut tampered.values[row * width..(row + 1) * width];
        *core::borrow::BorrowMut::<AddSubCols<Val>>::borrow_mut(row_cells) = forged;
        assert!(matches!(
            first_failure(&AddSubChip, &tampered, &events, row),
            Some(RowFailure::Lookup { bus: PROGRAM, .. })
        ));
        let tampered = with_cell::<AddSubCols<Col>>(&trace, row, "is_word", Val::ONE);
        assert!(first_failure(&AddSubChip, &tampered, &events, row).is_some());
    }
}
