//! `lt`: SLT, SLTU and their immediate forms SLTI, SLTIU (`rd = rs1 < b`, signed or unsigned).
//!
//! The [`WordCompareCols`] gadget compares unsigned words limb by limb. A signed comparison is
//! the unsigned comparison of both operands with their sign bit flipped: adding `2^63` maps
//! `[-2^63, 2^63)` in order onto `[0, 2^64)`. Flipping bit 63 only changes the top limb, to
//! `x_3 + 2^15 - 2^16 sign`, which is linear once the sign bit is a column (proven by the
//! [`sign_bit`] lookup). For unsigned opcodes the sign columns are forced to 0 and nothing is
//! flipped. The result `rd = (lt, 0, 0, 0)` is boolean, so its limbs need no range check.

use core::borrow::Borrow;

use droste_isa::Opcode;
use droste_stark::Val;
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;

use crate::bus::MachineBuilder;
use crate::columns::{limbs, Word, WORD_LIMBS};
use crate::events::FrameEvent;
use crate::fetch::{bool_controls, Family, Fetch, CONTROLS};
use crate::frame::{ImmFrameCols, RegFrameCols};
use crate::gadgets::sign_bit;
use crate::gadgets::word_compare::{order_limbs, WordCompareCols};
use crate::lookup::LookupCounter;

const OPCODES: [Opcode; 2] = [Opcode::Slt, Opcode::Sltu];
const IMM_OPCODES: [Opcode; 2] = [Opcode::Slti, Opcode::Sltiu];

/// The ROM controls of the `lt` and `lt_imm` families: `[is_signed]`.
pub fn controls(op: Opcode) -> [u32; CONTROLS] {
    bool_controls([matches!(op, Opcode::Slt | Opcode::Slti)])
}

/// `rd = (lhs < rhs)` on the sign-flipped operands: `rd` is `(lt, 0, 0, 0)`, boolean, so it
/// needs no range check.
fn eval_compare<AB: MachineBuilder>(
    builder: &mut AB,
    compare: &WordCompareCols<AB::Var>,
    [lhs, rhs]: [[AB::Expr; WORD_LIMBS]; 2],
    rd: &Word<AB::Var>,
    is_real: AB::Expr,
) {
    let lt = rd.0[0];
    builder.assert_bool(lt);
    for &limb in &rd.0[1..] {
        builder.assert_zero(limb);
    }
    compare.eval(builder, &lhs, &rhs, lt.into(), is_real);
}

crate::columns! {
    /// One row of the `lt` chip.
    pub struct LtCols<T> {
        pub frame: RegFrameCols<T>,
        /// ROM control.
        pub is_signed: T,
        /// Sign bit of `rs1` (0 for unsigned opcodes).
        pub rs1_sign: T,
        /// Sign bit of `rs2` (0 for unsigned opcodes).
        pub rs2_sign: T,
        /// The comparison of the (sign-flipped) operands.
        pub compare: WordCompareCols<T>,
    }
}

/// The `lt` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct LtChip;

impl BaseAir<Val> for LtChip {
    fn width(&self) -> usize {
        LtCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for LtChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &LtCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let is_signed: AB::Expr = local.is_signed.into();
        let top = WORD_LIMBS - 1;
        let operands =
            [(&frame.rs1, local.rs1_sign), (&frame.rs2, local.rs2_sign)].map(|(read, sign)| {
                sign_bit::eval(
                    builder,
                    read.value.0[top].into(),
                    sign.into(),
                    is_signed.clone(),
                );
                order_limbs::<AB>(read.value.into_exprs(), sign.into(), &is_signed)
            });
        eval_compare(
            builder,
            &local.compare,
            operands,
            &frame.rd.value,
            frame.step.is_real.into(),
        );
        frame.eval(builder, Fetch::new(Family::Lt).with_controls([is_signed]));
    }
}

crate::impl_table!(LtChip, "lt");

crate::impl_instruction_chip!(LtChip, LtCols, OPCODES, populate);

fn populate(cols: &mut LtCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    cols.frame.populate(event, lookups);
    let signed = event.instruction.opcode == Opcode::Slt;
    cols.is_signed = Val::from_bool(signed);
    let (a, b) = (event.rs1_value, event.rs2_value);
    let top = WORD_LIMBS - 1;
    cols.rs1_sign = sign_bit::populate(limbs(a)[top], signed, lookups);
    cols.rs2_sign = sign_bit::populate(limbs(b)[top], signed, lookups);
    let lt = u64::from(cols.compare.populate_words((a, b), signed, lookups));
    debug_assert_eq!(lt, event.result, "{event:?}");
}

crate::columns! {
    /// One row of the `lt_imm` chip.
    pub struct LtImmCols<T> {
        pub frame: ImmFrameCols<T>,
        /// ROM control.
        pub is_signed: T,
        /// Sign bit of `rs1` (0 for unsigned opcodes). The immediate's is its `neg`.
        pub rs1_sign: T,
        /// The comparison of the (sign-flipped) operands.
        pub compare: WordCompareCols<T>,
    }
}

/// The `lt_imm` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct LtImmChip;

impl BaseAir<Val> for LtImmChip {
    fn width(&self) -> usize {
        LtImmCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for LtImmChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &LtImmCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let is_signed: AB::Expr = local.is_signed.into();
        let top = WORD_LIMBS - 1;
        sign_bit::eval(
            builder,
            frame.rs1.value.0[top].into(),
            local.rs1_sign.into(),
            is_signed.clone(),
        );
        let lhs = order_limbs::<AB>(
            frame.rs1.value.into_exprs(),
            local.rs1_sign.into(),
            &is_signed,
        );
        let imm_sign = is_signed.clone() * frame.imm.neg.into();
        let rhs = order_limbs::<AB>(frame.operand(), imm_sign, &is_signed);
        eval_compare(
            builder,
            &local.compare,
            [lhs, rhs],
            &frame.rd.value,
            frame.step.is_real.into(),
        );
        frame.eval(
            builder,
            Fetch::new(Family::LtImm).with_controls([is_signed]),
        );
    }
}

crate::impl_table!(LtImmChip, "lt_imm");

crate::impl_instruction_chip!(LtImmChip, LtImmCols, IMM_OPCODES, populate_imm);

fn populate_imm(cols: &mut LtImmCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    cols.frame.populate(event, lookups);
    let signed = event.instruction.opcode == Opcode::Slti;
    cols.is_signed = Val::from_bool(signed);
    let a = event.rs1_value;
    cols.rs1_sign = sign_bit::populate(limbs(a)[WORD_LIMBS - 1], signed, lookups);
    let lt = u64::from(
        cols.compare
            .populate_words((a, event.operand_b()), signed, lookups),
    );
    debug_assert_eq!(lt, event.result, "{event:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::RANGE;
    use crate::columns::Col;
    use crate::gadgets::row_check::*;
    use p3_matrix::dense::RowMajorMatrix;

    type Cols = LtCols<Col>;

    fn honest_trace() -> (Vec<FrameEvent>, RowMajorMatrix<Val>) {
        let events = events_on_pairs(&OPCODES, &EDGE_VALUES);
        let trace = assert_chip_honest(&LtChip, &events);
        (events, trace)
    }

    #[test]
    fn every_opcode_on_edge_values_satisfies_the_chip() {
        honest_trace();
    }

    #[test]
    fn a_flipped_result_is_caught_on_every_row() {
        let (events, trace) = honest_trace();
        for (row, event) in events.iter().enumerate() {
            let flipped = Val::from_bool(event.result == 0);
            let tampered = with_cell::<Cols>(&trace, row, "frame.rd.value[0]", flipped);
            assert!(
                first_failure(&LtChip, &tampered, &events, row).is_some(),
                "{event:?}"
            );
        }
    }

    /// A prover who also rewrites the comparison witness to match the wrong result (marker on
    /// the true top differing limb, `diff` recomputed) still fails: the distance is negative.
    #[test]
    fn a_wrong_result_with_a_matching_witness_is_caught() {
        let (events, trace) = honest_trace();
        let mut caught = 0;
        for (row, event) in events.iter().enumerate() {
            let marked = cell::<Cols>(&trace, row, "compare.diff");
            let has_marker = (0..WORD_LIMBS)
                .any(|m| cell::<Cols>(&trace, row, &format!("compare.marker[{m}]")) == Val::ONE);
            if !has_marker {
                continue;
            }
            let flipped = u64::from(event.result == 0);
            let mut tampered =
                with_cell::<Cols>(&trace, row, "frame.rd.value[0]", Val::from_u64(flipped));
            // diff' = -(diff + 1) - 1 = -diff - 2 makes the diff constraint hold for the flip.
            let forged = -marked - Val::TWO;
            tampered = with_cell::<Cols>(&tampered, row, "compare.diff", forged);
            assert!(
                matches!(
                    first_failure(&LtChip, &tampered, &events, row),
                    Some(RowFailure::Lookup { bus: RANGE, .. })
                ),
                "{event:?}"
            );
            caught += 1;
        }
        assert!(caught > 100);
    }

    #[test]
    fn a_wrong_sign_bit_is_caught() {
        let (events, trace) = honest_trace();
        let row = events
            .iter()
            .position(|e| {
                e.instruction.opcode == Opcode::Slt && e.rs1_value == u64::MAX && e.rs2_value == 0
            })
            .unwrap();
        let tampered = with_cell::<Cols>(&trace, row, "rs1_sign", Val::ZERO);
        assert!(first_failure(&LtChip, &tampered, &events, row).is_some());
        // An unsigned opcode may not flip anything.
        let row = events
            .iter()
            .position(|e| e.instruction.opcode == Opcode::Sltu && e.rs1_value == u64::MAX)
            .unwrap();
        let tampered = with_cell::<Cols>(&trace, row, "rs1_sign", Val::ONE);
        assert!(matches!(
            first_failure(&LtChip, &tampered, &events, row),
            Some(RowFailure::Constraint { .. })
        ));
    }

    #[test]
    fn a_marker_below_the_top_difference_is_caught() {
        let events = [event(
            Opcode::Sltu,
            0x0001_0000_0000_0005,
            0x0002_0000_0000_0009,
            1,
        )];
        let trace = assert_chip_honest(&LtChip, &events);
        let moved = with_cell::<Cols>(&trace, 0, "compare.marker[3]", Val::ZERO);
        let moved = with_cell::<Cols>(&moved, 0, "compare.marker[0]", Val::ONE);
        let moved = with_cell::<Cols>(&moved, 0, "compare.lhs_at_marker", Val::from_u32(5));
        let moved = with_cell::<Cols>(&moved, 0, "compare.rhs_at_marker", Val::from_u32(9));
        let moved = with_cell::<Cols>(&moved, 0, "compare.diff", Val::from_u32(3));
        assert!(matches!(
            first_failure(&LtChip, &moved, &events, 0),
            Some(RowFailure::Constraint { .. })
        ));
    }

    #[test]
    fn immediate_forms_compare_right_and_reject_a_flipped_result() {
        let events = events_on_pairs(&IMM_OPCODES, &EDGE_VALUES);
        let trace = assert_chip_honest(&LtImmChip, &events);
        for (row, event) in events.iter().enumerate() {
            let flipped = Val::from_bool(event.result == 0);
            let tampered = with_cell::<LtImmCols<Col>>(&trace, row, "frame.rd.value[0]", flipped);
            assert!(
                first_failure(&LtImmChip, &tampered, &events, row).is_some(),
                "{event:?}"
            );
        }
        // SLTIU as SLTI: not the program's instruction.
        let row = events
            .iter()
            .position(|e| e.instruction.opcode == Opcode::Sltiu)
            .unwrap();
        let tampered = with_cell::<LtImmCols<Col>>(&trace, row, "is_signed", Val::ONE);
        assert!(first_failure(&LtImmChip, &tampered, &events, row).is_some());
        assert_chip_honest(&LtImmChip, &events_on(&IMM_OPCODES, &random_pairs(64, 5)));
    }

    #[test]
    fn random_pairs_are_compared_right() {
        let events = events_on(&OPCODES, &random_pairs(64, 1));
        let trace = assert_chip_honest(&LtChip, &events);
        for (row, event) in events.iter().enumerate() {
            let flipped = Val::from_bool(event.result == 0);
            let tampered = with_cell::<Cols>(&trace, row, "frame.rd.value[0]", flipped);
            assert!(
                first_failure(&LtChip, &tampered, &events, row).is_some(),
                "{event:?}"
            );
        }
    }
}
