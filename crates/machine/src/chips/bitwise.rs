//! `bitwise`: AND, OR, XOR and their immediate forms ANDI, ORI, XORI.
//!
//! Each 16-bit limb of `rs1`, of the second operand and of the result is split into two bytes,
//! and each byte triple is one lookup `(op, a, b, c)` in the byte table, which holds
//! `c = a op b` for every pair of bytes. Only the low bytes are columns; a high byte is
//! `(limb - low) / 256`, and the lookup shows it is a byte, so it also proves the split and the
//! range of every limb: the result needs no separate range check.

use core::borrow::Borrow;

use droste_isa::Opcode;
use droste_stark::Val;
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};

use crate::bus::{MachineBuilder, BYTE};
use crate::columns::{limbs, Word, WORD_LIMBS};
use crate::events::FrameEvent;
use crate::frame::{eval_alu_frame, FrameCols};
use crate::gadgets::opcode_selector;
use crate::lookup::{ByteOp, LookupCounter};

/// The opcodes of this chip, in selector order.
const OPCODES: [Opcode; 6] = [
    Opcode::And,
    Opcode::Andi,
    Opcode::Or,
    Opcode::Ori,
    Opcode::Xor,
    Opcode::Xori,
];

crate::columns! {
    /// One row of the `bitwise` chip.
    pub struct BitwiseCols<T> {
        pub frame: FrameCols<T>,
        /// One-hot selector of the opcode, in the order of [`OPCODES`].
        pub selector: [T; 6],
        /// Low byte of each limb of `rs1`.
        pub rs1_low: [T; WORD_LIMBS],
        /// Low byte of each limb of the second operand.
        pub operand_low: [T; WORD_LIMBS],
        /// Low byte of each limb of the result.
        pub rd_low: [T; WORD_LIMBS],
    }
}

/// The `bitwise` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct BitwiseChip;

impl BaseAir<Val> for BitwiseChip {
    fn width(&self) -> usize {
        BitwiseCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for BitwiseChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &BitwiseCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let opcode = opcode_selector::eval(builder, &local.selector, &OPCODES, frame.is_real);
        let is = |ops: &[Opcode]| opcode_selector::any_of::<AB>(&local.selector, &OPCODES, ops);
        let byte_op = is(&[Opcode::And, Opcode::Andi]) * AB::Expr::from_u8(ByteOp::And as u8)
            + is(&[Opcode::Or, Opcode::Ori]) * AB::Expr::from_u8(ByteOp::Or as u8)
            + is(&[Opcode::Xor, Opcode::Xori]) * AB::Expr::from_u8(ByteOp::Xor as u8);

        let inv_256 = Val::from_u32(256).inverse();
        let split = |word: &Word<AB::Var>, low: &[AB::Var; WORD_LIMBS], m: usize| {
            let low: AB::Expr = low[m].into();
            let high = (word.0[m].into() - low.clone()) * inv_256;
            [low, high]
        };
        for m in 0..WORD_LIMBS {
            let a = split(&frame.rs1_value, &local.rs1_low, m);
            let b = split(&frame.rs2_or_imm, &local.operand_low, m);
            let c = split(&frame.rd_value, &local.rd_low, m);
            for k in 0..2 {
                // The byte table's tuple layout (`crate::lookup::byte_op`), with the operation
                // chosen per row by the selectors.
                builder.send(
                    BYTE,
                    [byte_op.clone(), a[k].clone(), b[k].clone(), c[k].clone()],
                    frame.is_real,
                );
            }
        }

        eval_alu_frame(builder, frame, opcode);
    }
}

crate::impl_table!(BitwiseChip, "bitwise");

crate::impl_instruction_chip!(BitwiseChip, BitwiseCols, OPCODES, populate);

fn populate(cols: &mut BitwiseCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    cols.frame.populate(event, lookups);
    let op = event.instruction.opcode;
    opcode_selector::populate(&mut cols.selector, &OPCODES, op);
    let byte_op = match op {
        Opcode::And | Opcode::Andi => ByteOp::And,
        Opcode::Or | Opcode::Ori => ByteOp::Or,
        _ => ByteOp::Xor,
    };
    let (a, b) = (
        event.rs1_value.to_le_bytes(),
        event.operand_b().to_le_bytes(),
    );
    let c = event.result.to_le_bytes();
    for i in 0..8 {
        let result = lookups.byte(byte_op, a[i], b[i]);
        debug_assert_eq!(result, c[i], "bitwise result of {op:?}");
    }
    let low = |value: u64| limbs(value).map(|l| Val::from_u16(l & 0xff));
    cols.rs1_low = low(event.rs1_value);
    cols.operand_low = low(event.operand_b());
    cols.rd_low = low(event.result);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::Col;
    use crate::gadgets::row_check::*;
    use p3_matrix::dense::RowMajorMatrix;

    type Cols = BitwiseCols<Col>;

    fn honest_trace() -> RowMajorMatrix<Val> {
        assert_chip_honest(&BitwiseChip, &events_on_pairs(&OPCODES, &EDGE_VALUES))
    }

    #[test]
    fn every_opcode_on_edge_values_satisfies_the_chip() {
        honest_trace();
    }

    #[test]
    fn a_wrong_result_limb_is_caught() {
        let trace = honest_trace();
        for row in [0, 7, 100] {
            for m in 0..WORD_LIMBS {
                let name = format!("frame.rd_value[{m}]");
                let bad = cell::<Cols>(&trace, row, &name) + Val::ONE;
                let tampered = with_cell::<Cols>(&trace, row, &name, bad);
                assert!(matches!(
                    first_failure(&BitwiseChip, &tampered, row),
                    Some(RowFailure::Lookup { bus: BYTE, .. })
                ));
            }
        }
    }

    #[test]
    fn a_wrong_low_byte_is_caught() {
        let trace = honest_trace();
        for name in ["rs1_low[1]", "operand_low[2]", "rd_low[3]"] {
            let bad = cell::<Cols>(&trace, 5, name) + Val::from_u32(3);
            let tampered = with_cell::<Cols>(&trace, 5, name, bad);
            assert!(
                first_failure(&BitwiseChip, &tampered, 5).is_some(),
                "{name}"
            );
        }
    }

    #[test]
    fn a_second_selector_is_caught() {
        let trace = honest_trace();
        let tampered = with_cell::<Cols>(&trace, 0, "selector[2]", Val::ONE);
        assert!(matches!(
            first_failure(&BitwiseChip, &tampered, 0),
            Some(RowFailure::Constraint { row: 0, .. })
        ));
    }

    #[test]
    fn random_pairs_satisfy_the_chip() {
        assert_chip_honest(&BitwiseChip, &events_on(&OPCODES, &random_pairs(32, 2)));
    }
}
