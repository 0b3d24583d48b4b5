//! `divrem`: DIV, DIVU, REM, REMU and the `*W` forms DIVW, DIVUW, REMW, REMUW.
//!
//! The chip proves the division of `x` by `y` with the prover's quotient `q` and remainder `r`:
//!
//! - `y q + r = x` over the integers: the [`MulAdd128Cols`] gadget checks it modulo `2^128` on
//!   the operands extended to 128 bits (by their sign for signed opcodes), which is the integer
//!   identity because every term is far below `2^127` in magnitude;
//! - `|r| < |y|` when `y != 0`, with the [`AbsWordCols`] and [`WordCompareCols`] gadgets (the
//!   absolute values are the operands themselves for unsigned opcodes);
//! - `r = 0` or `r` has the sign of `x` (truncating division).
//!
//! These determine `q` and `r`. The RISC-V edge cases fall out or are flagged:
//!
//! - `y = 0` (flag `is_zero_divisor`, proven with an inverse): `q` must be all ones, the identity
//!   then forces `r = x`, and the remainder bound is off;
//! - `x = MIN, y = -1` for DIV/REM (flag `is_overflow`, which forces those operands and a signed
//!   64-bit opcode): the true quotient `2^63` does not fit, so only the low 64 bits of the identity
//!   are enforced; with `|r| < 1` they give `r = 0` and `q = MIN`. Without the flag no witness
//!   exists for these operands (`q = 2^63` has no signed 64-bit encoding), so it cannot be
//!   skipped.
//!
//! The `*W` forms divide the low words extended to 64 bits (`x = sext32(rs1)` or `zext32(rs1)`,
//! likewise `y`) with the 64-bit machinery, and sign-extend limb 1 of the result; their operands
//! can never be `MIN` and `-1` at once, and `sext32` of the 64-bit quotient is exactly what the
//! spec asks, including for `-2^31 / -1` and division by zero.

use core::borrow::Borrow;

use droste_isa::Opcode;
use droste_stark::Val;
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};

use crate::bus::MachineBuilder;
use crate::columns::{limbs, Word, WORD_LIMBS};
use crate::events::FrameEvent;
use crate::fetch::{Family, Fetch, CONTROLS};
use crate::frame::RegFrameCols;
use crate::gadgets::abs_word::AbsWordCols;
use crate::gadgets::byte_split::ByteSplitCols;
use crate::gadgets::mul_add128::{extend_bytes, extend_expr, MulAdd128Cols, WIDE_LIMBS};
use crate::gadgets::word_compare::WordCompareCols;
use crate::gadgets::{opcode_selector, sign_bit};
use crate::lookup::{range_check, LookupCounter};

/// The opcodes of this chip, in selector order.
const OPCODES: [Opcode; 8] = [
    Opcode::Div,
    Opcode::Divu,
    Opcode::Rem,
    Opcode::Remu,
    Opcode::Divw,
    Opcode::Divuw,
    Opcode::Remw,
    Opcode::Remuw,
];
const SIGNED: [Opcode; 4] = [Opcode::Div, Opcode::Rem, Opcode::Divw, Opcode::Remw];
const WORD: [Opcode; 4] = [Opcode::Divw, Opcode::Divuw, Opcode::Remw, Opcode::Remuw];
const QUOTIENT: [Opcode; 4] = [Opcode::Div, Opcode::Divu, Opcode::Divw, Opcode::Divuw];
/// The only opcodes where `MIN / -1` overflows.
const SIGNED_64: [Opcode; 2] = [Opcode::Div, Opcode::Rem];

/// The ROM controls of the `divrem` family: `[opcode]`, which the chip's one-hot selectors
/// weigh into the opcode.
pub fn controls(op: Opcode) -> [u32; CONTROLS] {
    [op as u32, 0, 0, 0, 0]
}

crate::columns! {
    /// One row of the `divrem` chip.
    pub struct DivRemCols<T> {
        pub frame: RegFrameCols<T>,
        /// One-hot selector of the opcode, in the order of [`OPCODES`].
        pub selector: [T; 8],
        /// The limb holding the sign bit of the dividend and divisor: 1 for `*W`, 3 otherwise.
        pub dividend_sign_limb: T,
        pub divisor_sign_limb: T,
        /// Sign bits of dividend `x` and divisor `y` (0 for unsigned opcodes).
        pub dividend_sign: T,
        pub divisor_sign: T,
        /// Limbs 2 and 3 of the divisor `y` (the extension of `rs2`'s low word for `*W`).
        pub divisor_upper: [T; 2],
        pub divisor_bytes: ByteSplitCols<T>,
        pub quotient: Word<T>,
        pub quotient_bytes: ByteSplitCols<T>,
        pub remainder: Word<T>,
        /// Sign bits of quotient and remainder (0 for unsigned opcodes).
        pub quotient_sign: T,
        pub remainder_sign: T,
        /// `y q + r = x` on 128 bits.
        pub identity: MulAdd128Cols<T>,
        /// 1 iff `y = 0`, and the inverse of the sum of `y`'s limbs otherwise.
        pub is_zero_divisor: T,
        pub divisor_sum_inverse: T,
        /// 1 iff the opcode is DIV or REM with `x = MIN` and `y = -1`.
        pub is_overflow: T,
        pub remainder_abs: AbsWordCols<T>,
        pub divisor_abs: AbsWordCols<T>,
        /// `|r| < |y|`.
        pub bound: WordCompareCols<T>,
        /// Sign bit of limb 1 of a `*W` result (0 otherwise).
        pub word_sign: T,
    }
}

/// The `divrem` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct DivRemChip;

impl BaseAir<Val> for DivRemChip {
    fn width(&self) -> usize {
        DivRemCols::<u8>::WIDTH
    }
}

/// The limbs of `value` extended to 128 bits with `0xffff * sign`.
fn extend_limbs<E: PrimeCharacteristicRing + Clone>(
    value: &[E; WORD_LIMBS],
    sign: E,
) -> [E; WIDE_LIMBS] {
    let fill = sign * E::from_u32(0xffff);
    core::array::from_fn(|m| value.get(m).cloned().unwrap_or_else(|| fill.clone()))
}

impl<AB: MachineBuilder> Air<AB> for DivRemChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &DivRemCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let is_real: AB::Expr = frame.step.is_real.into();
        let opcode = opcode_selector::eval(builder, &local.selector, &OPCODES, frame.step.is_real);
        let is = |ops: &[Opcode]| opcode_selector::any_of::<AB>(&local.selector, &OPCODES, ops);
        let (is_signed, is_word) = (is(&SIGNED), is(&WORD));
        let c = |x: u32| AB::Expr::from_u32(x);

        // Dividend x and divisor y: rs1 and rs2, or their low words extended.
        let rs1 = frame.rs1.value.into_exprs::<AB::Expr>();
        let rs2 = frame.rs2.value.into_exprs::<AB::Expr>();
        let x_sign: AB::Expr = local.dividend_sign.into();
        let y_sign: AB::Expr = local.divisor_sign.into();
        for (limb, word, sign) in [
            (local.dividend_sign_limb, &rs1, local.dividend_sign),
            (local.divisor_sign_limb, &rs2, local.divisor_sign),
        ] {
            builder.assert_eq(
                limb,
                word[3].clone() + is_word.clone() * (word[1].clone() - word[3].clone()),
            );
            sign_bit::eval(builder, limb.into(), sign.into(), is_signed.clone());
        }
        let extend_word = |limb: AB::Expr, sign: AB::Expr| {
            limb.clone() + is_word.clone() * (sign * c(0xffff) - limb)
        };
        let x: [AB::Expr; WORD_LIMBS] = core::array::from_fn(|m| {
            if m < 2 {
                rs1[m].clone()
            } else {
                extend_word(rs1[m].clone(), x_sign.clone())
            }
        });
        for m in 0..2 {
            builder.assert_eq(
                local.divisor_upper[m],
                extend_word(rs2[m + 2].clone(), y_sign.clone()),
            );
        }
        let y = [
            rs2[0].clone(),
            rs2[1].clone(),
            local.divisor_upper[0].into(),
            local.divisor_upper[1].into(),
        ];

        // Quotient and remainder, in range, with their signs.
        let q = local.quotient.into_exprs::<AB::Expr>();
        let r = local.remainder.into_exprs::<AB::Expr>();
        sign_bit::eval(
            builder,
            q[3].clone(),
            local.quotient_sign.into(),
            is_signed.clone(),
        );
        sign_bit::eval(
            builder,
            r[3].clone(),
            local.remainder_sign.into(),
            is_signed.clone(),
        );
        for limb in &r {
            range_check(builder, limb.clone(), 16, is_real.clone());
        }

        // y q + r = x on 128 bits (the low 64 only on overflow).
        let y_bytes = local.divisor_bytes.eval(builder, &y, is_real.clone());
        let q_bytes = local.quotient_bytes.eval(builder, &q, is_real.clone());
        local.identity.eval(
            builder,
            &extend_expr(y_bytes, y_sign.clone()),
            &extend_expr(q_bytes, local.quotient_sign.into()),
            &extend_limbs(&r, local.remainder_sign.into()),
            &extend_limbs(&x, x_sign.clone()),
            AB::Expr::ONE - local.is_overflow.into(),
            is_real.clone(),
        );

        // Division by zero: q is all ones (and r = x follows).
        let is_zero: AB::Expr = local.is_zero_divisor.into();
        let y_sum: AB::Expr = y.iter().cloned().sum();
        builder.assert_bool(is_zero.clone());
        builder.assert_zero(is_zero.clone() * y_sum.clone());
        builder.assert_zero(
            (is_real.clone() - is_zero.clone())
                * (AB::Expr::ONE - y_sum * local.divisor_sum_inverse.into()),
        );
        for limb in &q {
            builder.assert_zero(is_zero.clone() * (limb.clone() - c(0xffff)));
        }

        // Overflow: only DIV/REM of MIN by -1 may drop the high half of the identity.
        let overflow: AB::Expr = local.is_overflow.into();
        builder.assert_bool(overflow.clone());
        builder.assert_zero(overflow.clone() * (AB::Expr::ONE - is(&SIGNED_64)));
        for m in 0..WORD_LIMBS {
            let min_limb = if m == WORD_LIMBS - 1 { 0x8000 } else { 0 };
            builder.assert_zero(overflow.clone() * (rs1[m].clone() - c(min_limb)));
            builder.assert_zero(overflow.clone() * (y[m].clone() - c(0xffff)));
        }

        // |r| < |y| unless y = 0, and r takes the sign of x unless it is 0.
        let r_sign: AB::Expr = local.remainder_sign.into();
        local
            .remainder_abs
            .eval(builder, &r, r_sign.clone(), is_real.clone());
        local.divisor_abs.eval(builder, &y, y_sign, is_real.clone());
        local.bound.eval(
            builder,
            &local.remainder_abs.abs.into_exprs(),
            &local.divisor_abs.abs.into_exprs(),
            is_real.clone() - is_zero,
            is_real,
        );
        let r_sum: AB::Expr = r.iter().cloned().sum();
        builder.assert_zero((r_sign - x_sign) * r_sum);

        // rd: the quotient or the remainder, sign-extended from limb 1 for *W.
        let is_quotient = is(&QUOTIENT);
        let is_remainder = frame.step.is_real.into() - is_quotient.clone();
        let rd = frame.rd.value.into_exprs::<AB::Expr>();
        sign_bit::eval(
            builder,
            rd[1].clone(),
            local.word_sign.into(),
            is_word.clone(),
        );
        let word_fill = local.word_sign.into() * c(0xffff);
        let (quotient_64, remainder_64) = (
            is(&[Opcode::Div, Opcode::Divu]),
            is(&[Opcode::Rem, Opcode::Remu]),
        );
        for m in 0..WORD_LIMBS {
            let expected = if m < 2 {
                is_quotient.clone() * q[m].clone() + is_remainder.clone() * r[m].clone()
            } else {
                quotient_64.clone() * q[m].clone()
                    + remainder_64.clone() * r[m].clone()
                    + is_word.clone() * word_fill.clone()
            };
            builder.assert_eq(rd[m].clone(), expected);
        }

        frame.eval(builder, Fetch::new(Family::DivRem).with_controls([opcode]));
    }
}

crate::impl_table!(DivRemChip, "divrem");

crate::impl_instruction_chip!(DivRemChip, DivRemCols, OPCODES, populate);

/// The quotient and remainder the constraints accept for dividend `x` and divisor `y` (both
/// already extended for `*W`): truncating division, with the RISC-V results for `y = 0` and
/// `MIN / -1`.
fn divide(x: u64, y: u64, signed: bool) -> (u64, u64) {
    match (signed, y) {
        (_, 0) => (u64::MAX, x),
        (true, _) => {
            let (x, y) = (x as i64, y as i64);
            (x.wrapping_div(y) as u64, x.wrapping_rem(y) as u64)
        }
        (false, _) => (x / y, x % y),
    }
}

fn populate(cols: &mut DivRemCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    let (x, y) = operands(event);
    let (q, r) = divide(x, y, SIGNED.contains(&event.instruction.opcode));
    populate_division(cols, event, q, r, lookups);
    debug_assert_eq!(
        cols.frame.rd.value,
        Word::from_u64(event.result),
        "{event:?}"
    );
}

/// Dividend and divisor of `event`: `rs1` and `rs2`, or their low words extended for `*W`.
fn operands(event: &FrameEvent) -> (u64, u64) {
    let op = event.instruction.opcode;
    let extend = |v: u64| match (WORD.contains(&op), SIGNED.contains(&op)) {
        (false, _) => v,
        (true, true) => v as i32 as i64 as u64,
        (true, false) => v as u32 as u64,
    };
    (extend(event.rs1_value), extend(event.rs2_value))
}

/// Fills the row of `event` with quotient `q` and remainder `r` (the honest ones, or a forgery
/// in tests).
fn populate_division(
    cols: &mut DivRemCols<Val>,
    event: &FrameEvent,
    q: u64,
    r: u64,
    lookups: &LookupCounter,
) {
    cols.frame.populate(event, lookups);
    let op = event.instruction.opcode;
    opcode_selector::populate(&mut cols.selector, &OPCODES, op);
    let (signed, word) = (SIGNED.contains(&op), WORD.contains(&op));
    let (rs1, rs2) = (event.rs1_value, event.rs2_value);
    let (x, y) = operands(event);

    let sign_limb = |v: u64| limbs(v)[if word { 1 } else { 3 }];
    cols.dividend_sign_limb = Val::from_u16(sign_limb(rs1));
    cols.divisor_sign_limb = Val::from_u16(sign_limb(rs2));
    cols.dividend_sign = sign_bit::populate(sign_limb(rs1), signed, lookups);
    cols.divisor_sign = sign_bit::populate(sign_limb(rs2), signed, lookups);
    let is_negative = |v: u64| signed && (v as i64) < 0;
    let y_limbs = limbs(y);
    cols.divisor_upper = [y_limbs[2], y_limbs[3]].map(Val::from_u16);
    cols.divisor_bytes.populate(y, lookups);

    cols.quotient = Word::from_u64(q);
    cols.quotient_bytes.populate(q, lookups);
    cols.remainder = Word::from_u64(r);
    lookups.range_word(r);
    cols.quotient_sign = sign_bit::populate(limbs(q)[3], signed, lookups);
    cols.remainder_sign = sign_bit::populate(limbs(r)[3], signed, lookups);

    cols.identity.populate(
        &extend_bytes(y, is_negative(y)),
        &extend_bytes(q, is_negative(q)),
        &limbs_128(r, is_negative(r)),
        lookups,
    );
    let overflow = SIGNED_64.contains(&op) && x == i64::MIN as u64 && y == u64::MAX;
    cols.is_overflow = Val::from_bool(overflow);
    cols.is_zero_divisor = Val::from_bool(y == 0);
    let y_sum: u32 = y_limbs.iter().map(|&l| u32::from(l)).sum();
    cols.divisor_sum_inverse = Val::from_u32(y_sum).try_inverse().unwrap_or(Val::ZERO);

    let r_abs = cols.remainder_abs.populate(r, is_negative(r), lookups);
    let y_abs = cols.divisor_abs.populate(y, is_negative(y), lookups);
    cols.bound.populate(limbs(r_abs), limbs(y_abs), lookups);

    let result = if QUOTIENT.contains(&op) { q } else { r };
    let result = if word {
        result as i32 as i64 as u64
    } else {
        result
    };
    cols.frame.rd.value = Word::from_u64(result);
    cols.word_sign = sign_bit::populate(limbs(result)[1], word, lookups);
}

/// The limbs of `value` sign- or zero-extended to 128 bits.
fn limbs_128(value: u64, negative: bool) -> [u16; WIDE_LIMBS] {
    let fill = if negative { 0xffff } else { 0 };
    let low = limbs(value);
    core::array::from_fn(|m| low.get(m).copied().unwrap_or(fill))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::Col;
    use crate::gadgets::row_check::*;
    use core::borrow::BorrowMut;
    use p3_matrix::dense::RowMajorMatrix;

    type Cols = DivRemCols<Col>;

    fn fixture() -> &'static (Vec<FrameEvent>, RowMajorMatrix<Val>) {
        static FIXTURE: std::sync::OnceLock<(Vec<FrameEvent>, RowMajorMatrix<Val>)> =
            std::sync::OnceLock::new();
        FIXTURE.get_or_init(|| {
            let values = EDGE_VALUES.iter().copied().chain([
                7,
                (-7i64) as u64,
                (-2i64) as u64,
                0x1_0000_0007,
            ]);
            let events = events_on_pairs(&OPCODES, &values.collect::<Vec<_>>());
            let trace = assert_chip_honest(&DivRemChip, &events);
            (events, trace)
        })
    }

    #[test]
    fn every_opcode_on_edge_values_satisfies_the_chip() {
        fixture();
    }

    fn row_of(op: Opcode, x: u64, y: u64) -> usize {
        fixture()
            .0
            .iter()
            .position(|e| e.instruction.opcode == op && e.rs1_value == x && e.rs2_value == y)
            .unwrap_or_else(|| panic!("no {op:?} {x:#x} {y:#x}"))
    }

    /// The trace with `row` rebuilt from quotient `q` and remainder `r`.
    fn forged(row: usize, q: u64, r: u64) -> RowMajorMatrix<Val> {
        let (events, trace) = fixture();
        let mut forged = trace.clone();
        let width = DivRemCols::<u8>::WIDTH;
        let cells = &mut forged.values[row * width..(row + 1) * width];
        cells.fill(Val::ZERO);
        let cols: &mut DivRemCols<Val> = cells.borrow_mut();
        populate_division(cols, &events[row], q, r, &LookupCounter::default());
        forged
    }

    #[test]
    fn the_honest_witness_passes_the_forging_helper() {
        let row = row_of(Opcode::Divu, u64::MAX, 2);
        assert_eq!(
            first_failure(
                &DivRemChip,
                &forged(row, u64::MAX / 2, 1),
                &fixture().0,
                row
            ),
            None
        );
    }

    #[test]
    fn a_wrong_result_limb_is_caught() {
        let (events, trace) = fixture();
        for row in (0..events.len()).step_by(5) {
            for failure in result_limb_failures::<Cols, _>(&DivRemChip, trace, events, row) {
                assert!(
                    matches!(failure, Some(RowFailure::Constraint { .. })),
                    "{:?}",
                    events[row]
                );
            }
        }
    }

    /// `y (q - 1) + (r + y) = x`: the identity holds, the remainder bound does not.
    #[test]
    fn a_remainder_as_large_as_the_divisor_is_caught() {
        for (op, x, y) in [
            (Opcode::Divu, u64::MAX, 2),
            (Opcode::Remu, 7, 2),
            (Opcode::Div, 7, 2),
            (Opcode::Divw, 0x1_0000_0007, 2),
            (Opcode::Divuw, u32::MAX as u64, 2),
        ] {
            let row = row_of(op, x, y);
            let (x, y) = operands(&fixture().0[row]);
            let (q, r) = divide(x, y, false);
            let (q, r) = (q - 1, r + y);
            assert_eq!(u128::from(y) * u128::from(q) + u128::from(r), u128::from(x));
            let tampered = forged(row, q, r);
            assert!(
                first_failure(&DivRemChip, &tampered, &fixture().0, row).is_some(),
                "{op:?}"
            );
        }
    }

    /// -7 / 2: `q = -4, r = 1` satisfies `y q + r = x` and `|r| < |y|`, but `r` has the wrong
    /// sign (that would be floor division).
    #[test]
    fn a_remainder_with_the_wrong_sign_is_caught() {
        let minus = |v: i64| v as u64;
        for (op, x, y, q, r) in [
            (Opcode::Div, minus(-7), 2, minus(-4), 1),
            (Opcode::Rem, minus(-7), 2, minus(-4), 1),
            (Opcode::Div, 7, minus(-2), minus(-4), minus(-1)),
            (Opcode::Remw, minus(-7), 2, minus(-4), 1),
        ] {
            let row = row_of(op, x, y);
            let (x, y) = operands(&fixture().0[row]);
            assert_eq!(
                (y as i64).wrapping_mul(q as i64).wrapping_add(r as i64),
                x as i64
            );
            let tampered = forged(row, q, r);
            assert!(
                matches!(
                    first_failure(&DivRemChip, &tampered, &fixture().0, row),
                    Some(RowFailure::Constraint { .. })
                ),
                "{op:?}"
            );
        }
    }

    /// 5 / 0 with `q = 0, r = 5`: the identity holds, but division by zero must give all ones.
    #[test]
    fn a_wrong_quotient_for_a_zero_divisor_is_caught() {
        for op in [Opcode::Div, Opcode::Divu, Opcode::Divw, Opcode::Divuw] {
            let row = row_of(op, 7, 0);
            let tampered = forged(row, 0, 7);
            assert!(
                first_failure(&DivRemChip, &tampered, &fixture().0, row).is_some(),
                "{op:?}"
            );
            // Denying that the divisor is zero does not help.
            let tampered = with_cell::<Cols>(&tampered, row, "is_zero_divisor", Val::ZERO);
            assert!(
                first_failure(&DivRemChip, &tampered, &fixture().0, row).is_some(),
                "{op:?}"
            );
        }
        // And claiming a zero divisor where there is none is caught too.
        let row = row_of(Opcode::Divu, 7, 2);
        let tampered = forged(row, u64::MAX, 7);
        let tampered = with_cell::<Cols>(&tampered, row, "is_zero_divisor", Val::ONE);
        assert!(first_failure(&DivRemChip, &tampered, &fixture().0, row).is_some());
    }

    #[test]
    fn the_overflow_flag_cannot_be_dropped_or_forged() {
        let (_, trace) = fixture();
        // MIN / -1 without the flag: the high half of y q + r = x fails.
        for op in [Opcode::Div, Opcode::Rem] {
            let row = row_of(op, i64::MIN as u64, u64::MAX);
            let tampered = with_cell::<Cols>(trace, row, "is_overflow", Val::ZERO);
            assert!(
                matches!(
                    first_failure(&DivRemChip, &tampered, &fixture().0, row),
                    Some(RowFailure::Constraint { .. })
                ),
                "{op:?}"
            );
        }
        // The flag on other operands: 2^63 / (2^64 - 1) unsigned has q = 0, r = 2^63; with only
        // the low half checked, q = 2^64 - 1, r = 2^63 - 1 would also fit.
        let row = row_of(Opcode::Divu, i64::MIN as u64, u64::MAX);
        let tampered = forged(row, u64::MAX, (i64::MAX) as u64);
        let tampered = with_cell::<Cols>(&tampered, row, "is_overflow", Val::ONE);
        assert!(matches!(
            first_failure(&DivRemChip, &tampered, &fixture().0, row),
            Some(RowFailure::Constraint { .. })
        ));
        // DIVW of -2^31 by -1 does not overflow (the 64-bit quotient 2^31 fits).
        let row = row_of(Opcode::Divw, i32::MIN as i64 as u64, u64::MAX);
        let tampered = with_cell::<Cols>(trace, row, "is_overflow", Val::ONE);
        assert!(first_failure(&DivRemChip, &tampered, &fixture().0, row).is_some());
    }

    #[test]
    fn a_wrong_word_sign_extension_is_caught() {
        let (_, trace) = fixture();
        let row = row_of(Opcode::Divuw, u32::MAX as u64, 1);
        let tampered = with_cell::<Cols>(trace, row, "word_sign", Val::ZERO);
        assert!(first_failure(&DivRemChip, &tampered, &fixture().0, row).is_some());
        let row = row_of(Opcode::Divw, u32::MAX as u64, 1);
        let tampered = with_cell::<Cols>(trace, row, "dividend_sign", Val::ZERO);
        assert!(first_failure(&DivRemChip, &tampered, &fixture().0, row).is_some());
    }

    /// Random operands prove; moving one divisor from the quotient into the remainder (the
    /// identity still holds) is caught on every row where that is possible.
    #[test]
    fn random_pairs_satisfy_the_chip_and_a_shifted_quotient_fails() {
        let events = events_on(&OPCODES, &random_pairs(32, 5));
        let trace = assert_chip_honest(&DivRemChip, &events);
        let width = DivRemCols::<u8>::WIDTH;
        let mut checked = 0;
        for (row, event) in events.iter().enumerate() {
            let (x, y) = operands(event);
            let (q, r) = divide(x, y, SIGNED.contains(&event.instruction.opcode));
            if y == 0 || q == 0 {
                continue;
            }
            let (q, r) = (q.wrapping_sub(1), r.wrapping_add(y));
            let mut tampered = trace.clone();
            let cells = &mut tampered.values[row * width..(row + 1) * width];
            cells.fill(Val::ZERO);
            populate_division(cells.borrow_mut(), event, q, r, &LookupCounter::default());
            assert!(
                first_failure(&DivRemChip, &tampered, &fixture().0, row).is_some(),
                "{event:?}"
            );
            checked += 1;
        }
        assert!(checked > 64);
    }
}
