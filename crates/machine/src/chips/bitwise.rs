//! `bitwise` (AND, OR, XOR) and `bitwise_imm` (ANDI, ORI, XORI).
//!
//! Register forms: each 16-bit limb of `rs1`, `rs2` and the result is split into two bytes, and
//! each byte triple is one lookup `(op, a, b, c)` in the byte table, which holds `c = a op b`
//! for every pair of bytes. Only the low bytes are columns; a high byte is `(limb - low) / 256`,
//! and the lookup shows it is a byte, so it also proves the split and the range of every limb:
//! the result needs no separate range check. The operation comes from the ROM.
//!
//! Immediate forms: the immediate is 12 bits sign-extended, so only its low limb is arbitrary;
//! limbs 1 to 3 are `0xffff * neg`. Limb 0 goes through the byte table as above; for the upper
//! limbs the result is linear in the `rs1` limb (`and`: `neg x`; `or`: `x + neg (0xffff - x)`;
//! `xor`: `x + neg (0xffff - 2x)`), exact on 16-bit limbs, so it needs neither lookups nor
//! range checks. The ROM gives the operation as one-hot controls `[is_and, is_or, is_xor]`.

use core::borrow::Borrow;

use droste_isa::Opcode;
use droste_stark::Val;
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};

use crate::bus::{MachineBuilder, BYTE};
use crate::columns::{limbs, WORD_LIMBS};
use crate::events::FrameEvent;
use crate::fetch::{bool_controls, Family, Fetch, CONTROLS};
use crate::frame::{ImmFrameCols, RegFrameCols};
use crate::lookup::{ByteOp, LookupCounter};

const OPCODES: [Opcode; 3] = [Opcode::And, Opcode::Or, Opcode::Xor];
const IMM_OPCODES: [Opcode; 3] = [Opcode::Andi, Opcode::Ori, Opcode::Xori];

/// The byte-table operation of `op`.
fn byte_op(op: Opcode) -> ByteOp {
    match op {
        Opcode::And | Opcode::Andi => ByteOp::And,
        Opcode::Or | Opcode::Ori => ByteOp::Or,
        _ => ByteOp::Xor,
    }
}

/// The ROM controls of the `bitwise` family: `[byte_op]`.
pub fn controls(op: Opcode) -> [u32; CONTROLS] {
    [byte_op(op) as u32, 0, 0, 0, 0]
}

/// The ROM controls of the `bitwise_imm` family: `[is_and, is_or, is_xor]`.
pub fn imm_controls(op: Opcode) -> [u32; CONTROLS] {
    let op = byte_op(op);
    bool_controls([op == ByteOp::And, op == ByteOp::Or, op == ByteOp::Xor])
}

/// Sends the byte lookups `(op, a, b, c)` of limb pair `(a, b, c)` given their low bytes.
fn send_limb_bytes<AB: MachineBuilder>(
    builder: &mut AB,
    op: AB::Expr,
    limbs: [AB::Expr; 3],
    low: [AB::Expr; 3],
    multiplicity: AB::Expr,
) {
    let inv_256 = Val::from_u32(256).inverse();
    let high = core::array::from_fn::<_, 3, _>(|i| (limbs[i].clone() - low[i].clone()) * inv_256);
    for bytes in [low, high] {
        let [a, b, c] = bytes;
        // The byte table's tuple layout (`crate::lookup::byte_op`), with the operation chosen
        // per row by the ROM.
        builder.send(BYTE, [op.clone(), a, b, c], multiplicity.clone());
    }
}

crate::columns! {
    /// One row of the `bitwise` chip.
    pub struct BitwiseCols<T> {
        pub frame: RegFrameCols<T>,
        /// ROM control: the [`ByteOp`].
        pub op: T,
        /// Low byte of each limb of `rs1`, `rs2` and the result.
        pub rs1_low: [T; WORD_LIMBS],
        pub rs2_low: [T; WORD_LIMBS],
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
        for m in 0..WORD_LIMBS {
            send_limb_bytes(
                builder,
                local.op.into(),
                [
                    frame.rs1.value.0[m],
                    frame.rs2.value.0[m],
                    frame.rd.value.0[m],
                ]
                .map(Into::into),
                [local.rs1_low[m], local.rs2_low[m], local.rd_low[m]].map(Into::into),
                frame.step.is_real.into(),
            );
        }
        frame.eval(
            builder,
            Fetch::new(Family::Bitwise).with_controls([local.op.into()]),
        );
    }
}

crate::impl_table!(BitwiseChip, "bitwise");

crate::impl_instruction_chip!(BitwiseChip, BitwiseCols, OPCODES, populate);

/// Records the byte lookups of `a op b` on bytes `range` and returns the low byte of each limb
/// of `a`, `b` and the result.
fn record_bytes(
    op: ByteOp,
    (a, b, c): (u64, u64, u64),
    bytes: core::ops::Range<usize>,
    lookups: &LookupCounter,
) -> [[Val; WORD_LIMBS]; 3] {
    let (ab, bb, cb) = (a.to_le_bytes(), b.to_le_bytes(), c.to_le_bytes());
    for i in bytes {
        let result = lookups.byte(op, ab[i], bb[i]);
        debug_assert_eq!(result, cb[i], "bitwise result of {op:?}");
    }
    [a, b, c].map(|v| limbs(v).map(|l| Val::from_u16(l & 0xff)))
}

fn populate(cols: &mut BitwiseCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    cols.frame.populate(event, lookups);
    let op = byte_op(event.instruction.opcode);
    cols.op = Val::from_u8(op as u8);
    let values = (event.rs1_value, event.rs2_value, event.result);
    [cols.rs1_low, cols.rs2_low, cols.rd_low] = record_bytes(op, values, 0..8, lookups);
}

crate::columns! {
    /// One row of the `bitwise_imm` chip.
    pub struct BitwiseImmCols<T> {
        pub frame: ImmFrameCols<T>,
        /// ROM controls: the operation, one-hot.
        pub is_and: T,
        pub is_or: T,
        pub is_xor: T,
        /// Low bytes of limb 0 of `rs1`, the immediate and the result.
        pub low: [T; 3],
    }
}

/// The `bitwise_imm` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct BitwiseImmChip;

impl BaseAir<Val> for BitwiseImmChip {
    fn width(&self) -> usize {
        BitwiseImmCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for BitwiseImmChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &BitwiseImmCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let (is_and, is_or, is_xor): (AB::Expr, AB::Expr, AB::Expr) =
            (local.is_and.into(), local.is_or.into(), local.is_xor.into());
        let op = is_or.clone() * AB::Expr::from_u8(ByteOp::Or as u8)
            + is_xor.clone() * AB::Expr::from_u8(ByteOp::Xor as u8);
        let (rs1, rd) = (frame.rs1.value.0, frame.rd.value.0);
        send_limb_bytes(
            builder,
            op,
            [rs1[0].into(), frame.imm.lo.into(), rd[0].into()],
            local.low.map(Into::into),
            frame.step.is_real.into(),
        );
        let neg: AB::Expr = frame.imm.neg.into();
        let ones = AB::Expr::from_u32(0xffff);
        for m in 1..WORD_LIMBS {
            let x: AB::Expr = rs1[m].into();
            let expected = is_and.clone() * neg.clone() * x.clone()
                + is_or.clone() * (x.clone() + neg.clone() * (ones.clone() - x.clone()))
                + is_xor.clone() * (x.clone() + neg.clone() * (ones.clone() - x.double()));
            builder.assert_eq(rd[m], expected);
        }
        frame.eval(
            builder,
            Fetch::new(Family::BitwiseImm).with_controls([is_and, is_or, is_xor]),
        );
    }
}

crate::impl_table!(BitwiseImmChip, "bitwise_imm");

crate::impl_instruction_chip!(BitwiseImmChip, BitwiseImmCols, IMM_OPCODES, populate_imm);

fn populate_imm(cols: &mut BitwiseImmCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    cols.frame.populate(event, lookups);
    let op = event.instruction.opcode;
    let [is_and, is_or, is_xor, ..] = imm_controls(op).map(Val::from_u32);
    (cols.is_and, cols.is_or, cols.is_xor) = (is_and, is_or, is_xor);
    let values = (event.rs1_value, event.operand_b(), event.result);
    let [a, b, c] = record_bytes(byte_op(op), values, 0..2, lookups);
    cols.low = [a[0], b[0], c[0]];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::PROGRAM;
    use crate::columns::Col;
    use crate::gadgets::row_check::*;

    type Cols = BitwiseCols<Col>;
    type ImmCols = BitwiseImmCols<Col>;

    #[test]
    fn a_wrong_result_limb_is_caught() {
        let events = events_on_pairs(&OPCODES, &EDGE_VALUES);
        let trace = assert_chip_honest(&BitwiseChip, &events);
        for row in [0, 7, 100] {
            for failure in result_limb_failures::<Cols, _>(&BitwiseChip, &trace, &events, row) {
                assert!(matches!(
                    failure,
                    Some(RowFailure::Lookup { bus: BYTE, .. })
                ));
            }
        }
    }

    #[test]
    fn a_wrong_low_byte_or_operation_is_caught() {
        let events = events_on_pairs(&OPCODES, &EDGE_VALUES);
        let trace = assert_chip_honest(&BitwiseChip, &events);
        for name in ["rs1_low[1]", "rs2_low[2]", "rd_low[3]"] {
            let bad = cell::<Cols>(&trace, 5, name) + Val::from_u32(3);
            let tampered = with_cell::<Cols>(&trace, 5, name, bad);
            assert!(
                first_failure(&BitwiseChip, &tampered, &events, 5).is_some(),
                "{name}"
            );
        }
        let tampered = with_cell::<Cols>(&trace, 0, "op", Val::from_u8(ByteOp::Xor as u8));
        assert!(matches!(
            first_failure(&BitwiseChip, &tampered, &events, 0),
            Some(RowFailure::Lookup { .. })
        ));
    }

    #[test]
    fn random_pairs_satisfy_the_chips() {
        assert_chip_honest(&BitwiseChip, &events_on(&OPCODES, &random_pairs(32, 2)));
        assert_chip_honest(
            &BitwiseImmChip,
            &events_on(&IMM_OPCODES, &random_pairs(32, 2)),
        );
    }

    #[test]
    fn immediate_forms_reject_a_wrong_result_limb_or_operation() {
        let events = events_on_pairs(&IMM_OPCODES, &EDGE_VALUES);
        let trace = assert_chip_honest(&BitwiseImmChip, &events);
        for row in (0..events.len()).step_by(7) {
            for m in 0..WORD_LIMBS {
                let name = format!("frame.rd.value[{m}]");
                let bad = cell::<ImmCols>(&trace, row, &name) + Val::ONE;
                let tampered = with_cell::<ImmCols>(&trace, row, &name, bad);
                assert!(first_failure(&BitwiseImmChip, &tampered, &events, row).is_some());
            }
            // Another operation, even one-hot, is not the program's.
            let (from, to) = if cell::<ImmCols>(&trace, row, "is_and") == Val::ONE {
                ("is_and", "is_or")
            } else {
                ("is_or", "is_and")
            };
            let tampered = with_cell::<ImmCols>(&trace, row, from, Val::ZERO);
            let tampered = with_cell::<ImmCols>(&tampered, row, to, Val::ONE);
            assert!(first_failure(&BitwiseImmChip, &tampered, &events, row).is_some());
        }
        // The immediate itself is the program's.
        let tampered = with_cell::<ImmCols>(
            &trace,
            3,
            "frame.imm.neg",
            Val::ONE - cell::<ImmCols>(&trace, 3, "frame.imm.neg"),
        );
        assert!(matches!(
            first_failure(&BitwiseImmChip, &tampered, &events, 3),
            Some(RowFailure::Lookup { bus: PROGRAM, .. }) | Some(RowFailure::Constraint { .. })
        ));
    }
}
