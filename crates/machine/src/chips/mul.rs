//! `mul`: MUL, MULH, MULHSU, MULHU and MULW.
//!
//! All five read one 128-bit product `x * y` of the operands extended to 128 bits, computed by
//! the [`MulAdd128Cols`] gadget from their bytes: MULH extends both operands with their sign,
//! MULHSU only `rs1`, MULHU and the low-half opcodes neither (the low 64 bits do not depend on
//! the extension). The product's eight 16-bit limbs are columns, each range-checked, which makes
//! the 128-bit identity unique. MUL takes limbs 0..4, the MULH* forms limbs 4..8, and MULW limbs
//! 0 and 1 with the sign of limb 1 repeated in limbs 2 and 3. Every limb of the result is thus a
//! checked product limb or `0xffff * sign`.

use core::borrow::Borrow;

use droste_isa::Opcode;
use droste_stark::Val;
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;

use crate::bus::MachineBuilder;
use crate::columns::{limbs, WORD_LIMBS};
use crate::events::FrameEvent;
use crate::fetch::{Family, Fetch, CONTROLS};
use crate::frame::RegFrameCols;
use crate::gadgets::byte_split::ByteSplitCols;
use crate::gadgets::mul_add128::{extend_bytes, extend_expr, MulAdd128Cols, WIDE_LIMBS};
use crate::gadgets::{opcode_selector, sign_bit};
use crate::lookup::{range_check, LookupCounter};

/// The opcodes of this chip, in selector order.
const OPCODES: [Opcode; 5] = [
    Opcode::Mul,
    Opcode::Mulh,
    Opcode::Mulhsu,
    Opcode::Mulhu,
    Opcode::Mulw,
];
/// Opcodes that sign-extend `rs1`, and those that sign-extend `rs2`.
const SIGNED_RS1: [Opcode; 2] = [Opcode::Mulh, Opcode::Mulhsu];
const SIGNED_RS2: [Opcode; 1] = [Opcode::Mulh];
/// Opcodes whose result is the high half of the product.
const HIGH: [Opcode; 3] = [Opcode::Mulh, Opcode::Mulhsu, Opcode::Mulhu];

/// The ROM controls of the `mul` family: `[opcode]`, which the chip's one-hot selectors
/// weigh into the opcode.
pub fn controls(op: Opcode) -> [u32; CONTROLS] {
    [op as u32, 0, 0, 0, 0]
}

crate::columns! {
    /// One row of the `mul` chip.
    pub struct MulCols<T> {
        pub frame: RegFrameCols<T>,
        /// One-hot selector of the opcode, in the order of [`OPCODES`].
        pub selector: [T; 5],
        pub rs1_bytes: ByteSplitCols<T>,
        pub rs2_bytes: ByteSplitCols<T>,
        /// Sign bits the operands are extended with (0 where the opcode extends with zeros).
        pub rs1_sign: T,
        pub rs2_sign: T,
        /// The 128-bit product.
        pub product: [T; WIDE_LIMBS],
        pub mul: MulAdd128Cols<T>,
        /// Sign bit of limb 1 of a MULW result (0 otherwise).
        pub word_sign: T,
    }
}

/// The `mul` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct MulChip;

impl BaseAir<Val> for MulChip {
    fn width(&self) -> usize {
        MulCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for MulChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &MulCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let is_real: AB::Expr = frame.step.is_real.into();
        let opcode = opcode_selector::eval(builder, &local.selector, &OPCODES, frame.step.is_real);
        let is = |ops: &[Opcode]| opcode_selector::any_of::<AB>(&local.selector, &OPCODES, ops);

        let rs1 = frame.rs1.value.into_exprs::<AB::Expr>();
        let rs2 = frame.rs2.value.into_exprs::<AB::Expr>();
        let top = WORD_LIMBS - 1;
        sign_bit::eval(
            builder,
            rs1[top].clone(),
            local.rs1_sign.into(),
            is(&SIGNED_RS1),
        );
        sign_bit::eval(
            builder,
            rs2[top].clone(),
            local.rs2_sign.into(),
            is(&SIGNED_RS2),
        );
        let lhs = extend_expr(
            local.rs1_bytes.eval(builder, &rs1, is_real.clone()),
            local.rs1_sign.into(),
        );
        let rhs = extend_expr(
            local.rs2_bytes.eval(builder, &rs2, is_real.clone()),
            local.rs2_sign.into(),
        );

        let product = local.product.map(Into::<AB::Expr>::into);
        for limb in &product {
            range_check(builder, limb.clone(), 16, is_real.clone());
        }
        let zero: [AB::Expr; WIDE_LIMBS] = core::array::from_fn(|_| AB::Expr::ZERO);
        local
            .mul
            .eval(builder, &lhs, &rhs, &zero, &product, AB::Expr::ONE, is_real);

        let (is_mul, is_high, is_word) = (is(&[Opcode::Mul]), is(&HIGH), is(&[Opcode::Mulw]));
        let rd = frame.rd.value.into_exprs::<AB::Expr>();
        sign_bit::eval(
            builder,
            rd[1].clone(),
            local.word_sign.into(),
            is_word.clone(),
        );
        let word_fill = local.word_sign.into() * AB::Expr::from_u32(0xffff);
        for m in 0..WORD_LIMBS {
            let low = if m < 2 {
                is_mul.clone() + is_word.clone()
            } else {
                is_mul.clone()
            };
            let mut expected = low * product[m].clone() + is_high.clone() * product[m + 4].clone();
            if m >= 2 {
                expected += is_word.clone() * word_fill.clone();
            }
            builder.assert_eq(rd[m].clone(), expected);
        }

        frame.eval(builder, Fetch::new(Family::Mul).with_controls([opcode]));
    }
}

crate::impl_table!(MulChip, "mul");

crate::impl_instruction_chip!(MulChip, MulCols, OPCODES, populate);

fn populate(cols: &mut MulCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    cols.frame.populate(event, lookups);
    let op = event.instruction.opcode;
    opcode_selector::populate(&mut cols.selector, &OPCODES, op);
    let (a, b) = (event.rs1_value, event.rs2_value);
    let (signed_a, signed_b) = (SIGNED_RS1.contains(&op), SIGNED_RS2.contains(&op));
    let top = WORD_LIMBS - 1;
    cols.rs1_sign = sign_bit::populate(limbs(a)[top], signed_a, lookups);
    cols.rs2_sign = sign_bit::populate(limbs(b)[top], signed_b, lookups);
    cols.rs1_bytes.populate(a, lookups);
    cols.rs2_bytes.populate(b, lookups);
    let product = cols.mul.populate(
        &extend_bytes(a, signed_a),
        &extend_bytes(b, signed_b),
        &[0; WIDE_LIMBS],
        lookups,
    );
    for (col, &limb) in cols.product.iter_mut().zip(&product) {
        *col = Val::from_u16(limb);
        lookups.range(u32::from(limb), 16);
    }
    let result = limbs(event.result);
    debug_assert!(
        (0..2).all(|m| result[m] == product[if HIGH.contains(&op) { m + 4 } else { m }]),
        "{op:?} result"
    );
    cols.word_sign = sign_bit::populate(result[1], op == Opcode::Mulw, lookups);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::RANGE;
    use crate::columns::Col;
    use crate::gadgets::row_check::*;
    use p3_field::PrimeField32;
    use p3_matrix::dense::RowMajorMatrix;

    type Cols = MulCols<Col>;

    fn fixture() -> &'static (Vec<FrameEvent>, RowMajorMatrix<Val>) {
        static FIXTURE: std::sync::OnceLock<(Vec<FrameEvent>, RowMajorMatrix<Val>)> =
            std::sync::OnceLock::new();
        FIXTURE.get_or_init(|| {
            let events = events_on_pairs(&OPCODES, &EDGE_VALUES);
            let trace = assert_chip_honest(&MulChip, &events);
            (events, trace)
        })
    }

    #[test]
    fn every_opcode_on_edge_values_satisfies_the_chip() {
        fixture();
    }

    #[test]
    fn a_wrong_result_limb_is_caught() {
        let (events, trace) = fixture();
        for row in (0..events.len()).step_by(7) {
            for failure in result_limb_failures::<Cols, _>(&MulChip, trace, events, row) {
                assert!(
                    matches!(failure, Some(RowFailure::Constraint { .. })),
                    "{:?}",
                    events[row]
                );
            }
        }
    }

    /// A product limb and the next carry changed together so that the limb equation still holds
    /// over the field: the limb leaves 16 bits, or the next limb's equation fails.
    #[test]
    fn a_product_off_by_a_carry_is_caught() {
        let (events, trace) = fixture();
        for row in (0..events.len()).step_by(11) {
            for m in 0..WIDE_LIMBS - 1 {
                let limb = format!("product[{m}]");
                let carry = format!("mul.carry[{m}]");
                let tampered = with_cell::<Cols>(
                    trace,
                    row,
                    &limb,
                    cell::<Cols>(trace, row, &limb) + Val::from_u32(1 << 16),
                );
                let tampered = with_cell::<Cols>(
                    &tampered,
                    row,
                    &carry,
                    cell::<Cols>(trace, row, &carry) - Val::ONE,
                );
                assert!(first_failure(&MulChip, &tampered, &fixture().0, row).is_some());
            }
        }
    }

    /// The wrap-around a 16-bit carry check would allow: `0 * 0 = p` with product limbs
    /// `(1, 0x7f00)` and a first carry of `0x7f00`, where `1 + 2^16 * 0x7f00 = p = 0` in the field.
    /// Every constraint holds; only the 14-bit carry check stops it.
    #[test]
    fn a_product_wrapped_around_the_field_is_caught() {
        let (events, trace) = fixture();
        let row = events
            .iter()
            .position(|e| {
                e.instruction.opcode == Opcode::Mul && e.rs1_value == 0 && e.rs2_value == 0
            })
            .unwrap();
        let p = Val::ORDER_U32;
        let (low, high) = (p & 0xffff, p >> 16);
        let mut forged = trace.clone();
        for (name, value) in [
            ("product[0]", low),
            ("product[1]", high),
            ("mul.carry[0]", high),
            ("frame.rd.value[0]", low),
            ("frame.rd.value[1]", high),
        ] {
            forged = with_cell::<Cols>(&forged, row, name, Val::from_u32(value));
        }
        assert_eq!(
            first_failure(&MulChip, &forged, &fixture().0, row),
            Some(RowFailure::Lookup {
                row,
                bus: RANGE,
                values: vec![high, 14]
            })
        );
    }

    #[test]
    fn a_wrong_sign_extension_is_caught() {
        let (events, trace) = fixture();
        for op in [Opcode::Mulh, Opcode::Mulhsu] {
            let row = events
                .iter()
                .position(|e| {
                    e.instruction.opcode == op && e.rs1_value == u64::MAX && e.rs2_value == 2
                })
                .unwrap();
            let tampered = with_cell::<Cols>(trace, row, "rs1_sign", Val::ZERO);
            assert!(
                first_failure(&MulChip, &tampered, &fixture().0, row).is_some(),
                "{op:?}"
            );
        }
        let row = events
            .iter()
            .position(|e| e.instruction.opcode == Opcode::Mulhu && e.rs1_value == u64::MAX)
            .unwrap();
        let tampered = with_cell::<Cols>(trace, row, "rs1_sign", Val::ONE);
        assert!(matches!(
            first_failure(&MulChip, &tampered, &fixture().0, row),
            Some(RowFailure::Constraint { .. })
        ));
    }

    #[test]
    fn random_pairs_satisfy_the_chip() {
        assert_chip_honest(&MulChip, &events_on(&OPCODES, &random_pairs(32, 4)));
    }
}
