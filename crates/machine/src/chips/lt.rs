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
use crate::frame::{eval_alu_frame, FrameCols};
use crate::gadgets::word_compare::WordCompareCols;
use crate::gadgets::{opcode_selector, sign_bit};
use crate::lookup::LookupCounter;

/// The opcodes of this chip, in selector order.
const OPCODES: [Opcode; 4] = [Opcode::Slt, Opcode::Slti, Opcode::Sltu, Opcode::Sltiu];

/// The signed ones.
const SIGNED: [Opcode; 2] = [Opcode::Slt, Opcode::Slti];

crate::columns! {
    /// One row of the `lt` chip.
    pub struct LtCols<T> {
        pub frame: FrameCols<T>,
        /// One-hot selector of the opcode, in the order of [`OPCODES`].
        pub selector: [T; 4],
        /// Sign bit of `rs1` (0 for unsigned opcodes).
        pub rs1_sign: T,
        /// Sign bit of the second operand (0 for unsigned opcodes).
        pub operand_sign: T,
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

/// The limbs of `word` in unsigned order: the top limb gets `2^15 is_signed - 2^16 sign`.
fn order_limbs<AB: MachineBuilder>(
    word: &Word<AB::Var>,
    sign: AB::Var,
    is_signed: &AB::Expr,
) -> [AB::Expr; WORD_LIMBS] {
    let mut out = word.into_exprs::<AB::Expr>();
    out[WORD_LIMBS - 1] +=
        is_signed.clone() * AB::Expr::from_u32(1 << 15) - sign.into() * AB::Expr::from_u32(1 << 16);
    out
}

impl<AB: MachineBuilder> Air<AB> for LtChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &LtCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let opcode = opcode_selector::eval(builder, &local.selector, &OPCODES, frame.is_real);
        let is_signed = opcode_selector::any_of::<AB>(&local.selector, &OPCODES, &SIGNED);

        let top = WORD_LIMBS - 1;
        sign_bit::eval(
            builder,
            frame.rs1_value.0[top].into(),
            local.rs1_sign.into(),
            is_signed.clone(),
        );
        sign_bit::eval(
            builder,
            frame.rs2_or_imm.0[top].into(),
            local.operand_sign.into(),
            is_signed.clone(),
        );
        let lhs = order_limbs::<AB>(&frame.rs1_value, local.rs1_sign, &is_signed);
        let rhs = order_limbs::<AB>(&frame.rs2_or_imm, local.operand_sign, &is_signed);

        let lt = frame.rd_value.0[0];
        builder.assert_bool(lt);
        for &limb in &frame.rd_value.0[1..] {
            builder.assert_zero(limb);
        }
        local
            .compare
            .eval(builder, &lhs, &rhs, lt.into(), frame.is_real.into());

        eval_alu_frame(builder, frame, opcode);
    }
}

crate::impl_table!(LtChip, "lt");

crate::impl_instruction_chip!(LtChip, LtCols, OPCODES, populate);

fn populate(cols: &mut LtCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    cols.frame.populate(event, lookups);
    let op = event.instruction.opcode;
    opcode_selector::populate(&mut cols.selector, &OPCODES, op);
    let signed = SIGNED.contains(&op);
    let (a, b) = (limbs(event.rs1_value), limbs(event.operand_b()));
    let top = WORD_LIMBS - 1;
    cols.rs1_sign = sign_bit::populate(a[top], signed, lookups);
    cols.operand_sign = sign_bit::populate(b[top], signed, lookups);
    let flip = |mut x: [u16; WORD_LIMBS]| {
        if signed {
            x[top] ^= 0x8000;
        }
        x
    };
    let lt = cols.compare.populate(flip(a), flip(b), lookups);
    debug_assert_eq!(u64::from(lt), event.result, "{op:?} result");
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
            let tampered = with_cell::<Cols>(&trace, row, "frame.rd_value[0]", flipped);
            assert!(
                first_failure(&LtChip, &tampered, row).is_some(),
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
                with_cell::<Cols>(&trace, row, "frame.rd_value[0]", Val::from_u64(flipped));
            // diff' = -(diff + 1) - 1 = -diff - 2 makes the diff constraint hold for the flip.
            let forged = -marked - Val::TWO;
            tampered = with_cell::<Cols>(&tampered, row, "compare.diff", forged);
            assert!(
                matches!(
                    first_failure(&LtChip, &tampered, row),
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
        assert!(first_failure(&LtChip, &tampered, row).is_some());
        // An unsigned opcode may not flip anything.
        let row = events
            .iter()
            .position(|e| e.instruction.opcode == Opcode::Sltu && e.rs1_value == u64::MAX)
            .unwrap();
        let tampered = with_cell::<Cols>(&trace, row, "rs1_sign", Val::ONE);
        assert!(matches!(
            first_failure(&LtChip, &tampered, row),
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
            first_failure(&LtChip, &moved, 0),
            Some(RowFailure::Constraint { .. })
        ));
    }

    #[test]
    fn random_pairs_are_compared_right() {
        let events = events_on(&OPCODES, &random_pairs(64, 1));
        let trace = assert_chip_honest(&LtChip, &events);
        for (row, event) in events.iter().enumerate() {
            let flipped = Val::from_bool(event.result == 0);
            let tampered = with_cell::<Cols>(&trace, row, "frame.rd_value[0]", flipped);
            assert!(
                first_failure(&LtChip, &tampered, row).is_some(),
                "{event:?}"
            );
        }
    }
}
