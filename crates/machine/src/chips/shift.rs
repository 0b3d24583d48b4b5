//! `shift` (SLL, SRL, SRA, SLLW, SRLW, SRAW) and `shift_imm` (SLLI, SRLI, SRAI, SLLIW, SRLIW,
//! SRAIW).
//!
//! A shift by `s = 8q + r` (`r < 8`) is a bit shift of every byte followed by a move of whole
//! bytes. The bit shift multiplies each byte `e_j` of the value by `m = 2^r` (left) or
//! `m = 2^(8-r)` (right) and splits the product, which is below `2^16`, into two bytes:
//! `e_j m = lo_j + 256 hi_j`. For a left shift `lo_j` is `e_j << r` cut to a byte and `hi_j` the
//! bits pushed out of it; for a right shift `hi_j = e_j >> r` and `lo_j` the bits it drops, moved
//! to the top of a byte. Result byte `k` is then
//!
//! ```text
//! left:  lo_{k-q} + hi_{k-q-1}        right:  hi_{k+q} + lo_{k+q+1}
//! ```
//!
//! where bytes below index 0 are zero and bytes from index 8 on are the fill byte `0xff * sign`
//! (`sign` is the sign bit for arithmetic shifts, 0 otherwise), whose split is the linear
//! `hi = sign (m - 1)`, `lo = sign (256 - m)`. The two parts of a result byte occupy disjoint
//! bits, so every result byte is below 256 and the result needs no range check. Everything stays
//! far below the field size: bytes are products of bytes at most. (A 16-bit limb times `2^15`
//! would exceed it, which is why the chip works on bytes.) This is the [`ShiftCoreCols`] gadget,
//! given `m` and the one-hot `q`.
//!
//! The `*W` forms shift the low word: bytes 4..8 of the value are replaced by the fill byte, the
//! byte shift `q` ignores bit 5 of the shift amount, and the result keeps limbs 0 and 1 and
//! repeats the sign of limb 1 in limbs 2 and 3.
//!
//! The register forms decode `m` and `q` from the bits of `rs2`. The immediate forms get them
//! from the ROM, with the direction and kind, as controls `[is_left, is_arith, is_word, m, q]`:
//! no amount bits, no `rs2`.

use core::borrow::Borrow;

use droste_isa::Opcode;
use droste_stark::Val;
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};

use crate::bus::MachineBuilder;
use crate::columns::{limbs, Word};
use crate::events::FrameEvent;
use crate::fetch::{Family, Fetch, CONTROLS};
use crate::frame::{RegFrameCols, UnaryFrameCols};
use crate::gadgets::byte_split::{ByteSplitCols, WORD_BYTES};
use crate::gadgets::sign_bit;
use crate::lookup::{byte_pair_check, range_check, LookupCounter};

const OPCODES: [Opcode; 6] = [
    Opcode::Sll,
    Opcode::Srl,
    Opcode::Sra,
    Opcode::Sllw,
    Opcode::Srlw,
    Opcode::Sraw,
];
const IMM_OPCODES: [Opcode; 6] = [
    Opcode::Slli,
    Opcode::Srli,
    Opcode::Srai,
    Opcode::Slliw,
    Opcode::Srliw,
    Opcode::Sraiw,
];

/// Direction, kind and width of a shift opcode: `(is_left, is_arith, is_word)`.
fn kind(op: Opcode) -> (bool, bool, bool) {
    use Opcode::*;
    (
        matches!(op, Sll | Slli | Sllw | Slliw),
        matches!(op, Sra | Srai | Sraw | Sraiw),
        matches!(op, Sllw | Slliw | Srlw | Srliw | Sraw | Sraiw),
    )
}

/// The byte multiplier `m` and byte shift `q` of a shift by `amount` (cut to 6 or 5 bits).
fn amount_split(op: Opcode, amount: u64) -> (u32, usize) {
    let (is_left, _, is_word) = kind(op);
    let shamt = (amount & if is_word { 31 } else { 63 }) as u32;
    let r = shamt % 8;
    let multiplier = if is_left { 1 << r } else { 256 >> r };
    (multiplier, (shamt / 8) as usize)
}

/// The ROM controls of the `shift` family: `[is_left, is_arith, is_word]`.
pub fn controls(op: Opcode) -> [u32; CONTROLS] {
    let (is_left, is_arith, is_word) = kind(op);
    [is_left, is_arith, is_word, false, false].map(u32::from)
}

/// The ROM controls of the `shift_imm` family: `[is_left, is_arith, is_word, m, q]`.
pub fn imm_controls(op: Opcode, amount: u32) -> [u32; CONTROLS] {
    let mut out = controls(op);
    let (multiplier, q) = amount_split(op, u64::from(amount));
    out[3] = multiplier;
    out[4] = q as u32;
    out
}

crate::columns! {
    /// The bit and byte shift of the value, given the multiplier and the byte shift.
    pub struct ShiftCoreCols<T> {
        /// The byte multiplier: `2^r` for left shifts, `2^(8-r)` for right shifts.
        pub multiplier: T,
        /// One-hot `q = s / 8` (bit 5 ignored for `*W` forms).
        pub byte_shift: [T; WORD_BYTES],
        /// Low byte of each limb of `rs1`.
        pub rs1_bytes: ByteSplitCols<T>,
        /// The limb holding the sign bit of the shifted value: limb 1 for `*W`, limb 3 otherwise.
        pub sign_limb: T,
        /// Sign bit of the shifted value for arithmetic shifts, 0 otherwise.
        pub sign: T,
        /// `e_j * multiplier = lo_j + 256 hi_j` for the value's bytes `e_j`.
        pub lo: [T; WORD_BYTES],
        pub hi: [T; WORD_BYTES],
        /// The split of the fill byte: `sign (m - 1)` and `sign (256 - m)`.
        pub fill_hi: T,
        pub fill_lo: T,
        /// Limbs 2 and 3 of the shifted value (the result of the 64-bit forms).
        pub upper: [T; 2],
        /// Sign bit of limb 1 of the result of a `*W` form (0 otherwise).
        pub word_sign: T,
    }
}

/// Direction, kind and width flags of a shift row (degree 1, boolean).
pub struct ShiftKind<E> {
    pub is_left: E,
    pub is_arith: E,
    pub is_word: E,
}

impl<V: Copy> ShiftCoreCols<V> {
    /// `rd = rs1 shifted`, with the multiplier and byte shift trusted to match the amount (the
    /// caller proves that). Also checks `byte_shift` one-hot on real rows and returns `q`.
    pub fn eval<AB>(
        &self,
        builder: &mut AB,
        (rs1, rd): (&Word<V>, &Word<V>),
        kind: &ShiftKind<AB::Expr>,
        is_real: AB::Expr,
    ) -> AB::Expr
    where
        AB: MachineBuilder<Var = V>,
    {
        let ShiftKind {
            is_left,
            is_arith,
            is_word,
        } = kind;
        let is_right = is_real.clone() - is_left.clone();
        let c = |x: u32| AB::Expr::from_u32(x);
        let e = |v: V| -> AB::Expr { v.into() };
        let multiplier = e(self.multiplier);

        let mut shifts = AB::Expr::ZERO;
        let mut q = AB::Expr::ZERO;
        for (i, &s) in self.byte_shift.iter().enumerate() {
            builder.assert_bool(s);
            shifts += e(s);
            q += e(s) * c(i as u32);
        }
        builder.assert_eq(shifts, is_real.clone());

        // The sign of the shifted value.
        let rs1 = rs1.into_exprs::<AB::Expr>();
        builder.assert_eq(
            self.sign_limb,
            rs1[3].clone() + is_word.clone() * (rs1[1].clone() - rs1[3].clone()),
        );
        sign_bit::eval(builder, e(self.sign_limb), e(self.sign), is_arith.clone());
        let sign = e(self.sign);
        builder.assert_eq(
            self.fill_hi,
            sign.clone() * (multiplier.clone() - AB::Expr::ONE),
        );
        builder.assert_eq(self.fill_lo, sign.clone() * (c(256) - multiplier.clone()));

        // The bit shift of every byte of the value (bytes 4..8 are the fill byte for *W).
        let bytes = self.rs1_bytes.eval(builder, &rs1, is_real.clone());
        let fill_byte = sign * c(0xff);
        for (j, byte) in bytes.into_iter().enumerate() {
            let byte = if j < WORD_BYTES / 2 {
                byte
            } else {
                byte.clone() + is_word.clone() * (fill_byte.clone() - byte)
            };
            builder.assert_eq(
                byte * multiplier.clone(),
                e(self.lo[j]) + e(self.hi[j]) * c(256),
            );
            byte_pair_check(builder, self.lo[j], self.hi[j], is_real.clone());
        }

        // The byte move. Parts below index 0 are zero; from index 8 on, the split of the fill
        // byte.
        let part = |parts: &[V; WORD_BYTES], fill: V, j: isize| -> AB::Expr {
            match usize::try_from(j) {
                Err(_) => AB::Expr::ZERO,
                Ok(j) if j >= WORD_BYTES => e(fill),
                Ok(j) => e(parts[j]),
            }
        };
        let result_byte = |k: usize| -> AB::Expr {
            let mut left = AB::Expr::ZERO;
            let mut right = AB::Expr::ZERO;
            for (q, &s) in self.byte_shift.iter().enumerate() {
                let (k, q) = (k as isize, q as isize);
                // A left shift never reaches index 8, so its fill is never used.
                left += e(s)
                    * (part(&self.lo, self.fill_lo, k - q)
                        + part(&self.hi, self.fill_hi, k - q - 1));
                right += e(s)
                    * (part(&self.hi, self.fill_hi, k + q)
                        + part(&self.lo, self.fill_lo, k + q + 1));
            }
            is_left.clone() * left + is_right.clone() * right
        };
        let result_limb = |m: usize| result_byte(2 * m) + result_byte(2 * m + 1) * c(256);
        let rd = rd.into_exprs::<AB::Expr>();
        for (m, (limb, &upper)) in rd.iter().zip(&self.upper).enumerate() {
            builder.assert_eq(limb.clone(), result_limb(m));
            builder.assert_eq(upper, result_limb(m + 2));
        }
        sign_bit::eval(builder, rd[1].clone(), e(self.word_sign), is_word.clone());
        let word_fill = e(self.word_sign) * c(0xffff);
        for (limb, &upper) in rd[2..].iter().zip(&self.upper) {
            let upper = e(upper);
            builder.assert_eq(
                limb.clone(),
                upper.clone() + is_word.clone() * (word_fill.clone() - upper),
            );
        }
        q
    }
}

impl ShiftCoreCols<Val> {
    /// Fills the shift of `event` (its opcode and amount) and records its lookups.
    pub fn populate(&mut self, event: &FrameEvent, lookups: &LookupCounter) {
        let op = event.instruction.opcode;
        let (is_left, is_arith, is_word) = kind(op);
        let (multiplier, q) = amount_split(op, event.operand_b());
        self.multiplier = Val::from_u32(multiplier);
        self.byte_shift[q] = Val::ONE;

        let a = limbs(event.rs1_value);
        let sign_limb = if is_word { a[1] } else { a[3] };
        self.sign_limb = Val::from_u16(sign_limb);
        self.sign = sign_bit::populate(sign_limb, is_arith, lookups);
        let sign = u32::from(is_arith && sign_limb >> 15 == 1);
        let (fill_hi, fill_lo) = (sign * (multiplier - 1), sign * (256 - multiplier));
        self.fill_hi = Val::from_u32(fill_hi);
        self.fill_lo = Val::from_u32(fill_lo);

        self.rs1_bytes.populate(event.rs1_value, lookups);
        let mut lo = [0u32; WORD_BYTES];
        let mut hi = [0u32; WORD_BYTES];
        for (j, byte) in event.rs1_value.to_le_bytes().into_iter().enumerate() {
            let byte = if is_word && j >= WORD_BYTES / 2 {
                0xff * sign
            } else {
                u32::from(byte)
            };
            let product = byte * multiplier;
            (lo[j], hi[j]) = (product & 0xff, product >> 8);
            lookups.byte_pair(lo[j] as u8, hi[j] as u8);
        }
        self.lo = lo.map(Val::from_u32);
        self.hi = hi.map(Val::from_u32);

        let part = |parts: &[u32; WORD_BYTES], fill: u32, j: isize| match usize::try_from(j) {
            Err(_) => 0,
            Ok(j) if j >= WORD_BYTES => fill,
            Ok(j) => parts[j],
        };
        let shifted: [u32; WORD_BYTES] = core::array::from_fn(|k| {
            let (k, q) = (k as isize, q as isize);
            if is_left {
                part(&lo, fill_lo, k - q) + part(&hi, fill_hi, k - q - 1)
            } else {
                part(&hi, fill_hi, k + q) + part(&lo, fill_lo, k + q + 1)
            }
        });
        let limb = |m: usize| shifted[2 * m] + 256 * shifted[2 * m + 1];
        self.upper = [limb(2), limb(3)].map(Val::from_u32);
        let result = limbs(event.result);
        debug_assert!(
            (0..2).all(|m| limb(m) == u32::from(result[m])),
            "{op:?} result"
        );
        self.word_sign = sign_bit::populate(result[1], is_word, lookups);
    }
}

/// Bits of the shift amount that are read (the `*W` forms ignore the top one).
const SHAMT_BITS: usize = 6;

crate::columns! {
    /// One row of the `shift` chip.
    pub struct ShiftCols<T> {
        pub frame: RegFrameCols<T>,
        /// ROM controls.
        pub is_left: T,
        pub is_arith: T,
        pub is_word: T,
        /// The low six bits of `rs2`: the shift amount `s`.
        pub shamt_bits: [T; SHAMT_BITS],
        /// `2^r` with `r = s mod 8`.
        pub bit_pow: T,
        pub core: ShiftCoreCols<T>,
    }
}

/// The `shift` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct ShiftChip;

impl BaseAir<Val> for ShiftChip {
    fn width(&self) -> usize {
        ShiftCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for ShiftChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &ShiftCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let is_real: AB::Expr = frame.step.is_real.into();
        let kind = ShiftKind {
            is_left: local.is_left.into(),
            is_arith: local.is_arith.into(),
            is_word: local.is_word.into(),
        };
        let is_right = is_real.clone() - kind.is_left.clone();
        let c = |x: u32| AB::Expr::from_u32(x);

        // The shift amount: six bits and a range-checked rest make up limb 0 of rs2.
        let bits = local.shamt_bits.map(Into::<AB::Expr>::into);
        let mut low_bits = AB::Expr::ZERO;
        for (i, bit) in bits.iter().enumerate() {
            builder.assert_bool(bit.clone());
            low_bits += bit.clone() * c(1 << i);
        }
        let rest = (frame.rs2.value.0[0].into() - low_bits) * Val::from_u32(64).inverse();
        range_check(builder, rest, 16, is_real.clone());

        // 2^r from the three low bits; `is_real` stands for the constant 1 so that padding rows
        // (all zero) satisfy it.
        let pow_01 = is_real.clone()
            + bits[0].clone()
            + bits[1].clone() * c(3)
            + bits[0].clone() * bits[1].clone() * c(3);
        builder.assert_eq(
            local.bit_pow,
            pow_01 * (AB::Expr::ONE + bits[2].clone() * c(15)),
        );
        let multiplier: AB::Expr = local.core.multiplier.into();
        builder.assert_zero(kind.is_left.clone() * (multiplier.clone() - local.bit_pow.into()));
        builder.assert_zero(is_right * (multiplier * local.bit_pow.into() - c(256)));

        // q = s / 8, bit 5 of s ignored by the *W forms.
        let q = bits[3].clone()
            + bits[4].clone() * c(2)
            + bits[5].clone() * (AB::Expr::ONE - kind.is_word.clone()) * c(4);
        for (i, &s) in local.core.byte_shift.iter().enumerate() {
            builder.assert_zero(s.into() * (q.clone() - c(i as u32)));
        }

        local
            .core
            .eval(builder, (&frame.rs1.value, &frame.rd.value), &kind, is_real);
        let ShiftKind {
            is_left,
            is_arith,
            is_word,
        } = kind;
        frame.eval(
            builder,
            Fetch::new(Family::Shift).with_controls([is_left, is_arith, is_word]),
        );
    }
}

crate::impl_table!(ShiftChip, "shift");

crate::impl_instruction_chip!(ShiftChip, ShiftCols, OPCODES, populate);

fn populate(cols: &mut ShiftCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    cols.frame.populate(event, lookups);
    let [is_left, is_arith, is_word, ..] = controls(event.instruction.opcode).map(Val::from_u32);
    (cols.is_left, cols.is_arith, cols.is_word) = (is_left, is_arith, is_word);
    let b0 = limbs(event.rs2_value)[0];
    for (i, bit) in cols.shamt_bits.iter_mut().enumerate() {
        *bit = Val::from_u16((b0 >> i) & 1);
    }
    lookups.range(u32::from(b0 >> SHAMT_BITS), 16);
    cols.bit_pow = Val::from_u32(1 << (b0 % 8));
    cols.core.populate(event, lookups);
}

crate::columns! {
    /// One row of the `shift_imm` chip.
    pub struct ShiftImmCols<T> {
        pub frame: UnaryFrameCols<T>,
        /// ROM controls (the multiplier and byte shift are in `core`).
        pub is_left: T,
        pub is_arith: T,
        pub is_word: T,
        pub core: ShiftCoreCols<T>,
    }
}

/// The `shift_imm` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct ShiftImmChip;

impl BaseAir<Val> for ShiftImmChip {
    fn width(&self) -> usize {
        ShiftImmCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for ShiftImmChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &ShiftImmCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let kind = ShiftKind {
            is_left: local.is_left.into(),
            is_arith: local.is_arith.into(),
            is_word: local.is_word.into(),
        };
        let q = local.core.eval(
            builder,
            (&frame.rs1.value, &frame.rd.value),
            &kind,
            frame.step.is_real.into(),
        );
        let ShiftKind {
            is_left,
            is_arith,
            is_word,
        } = kind;
        frame.eval(
            builder,
            Fetch::new(Family::ShiftImm).with_controls([
                is_left,
                is_arith,
                is_word,
                local.core.multiplier.into(),
                q,
            ]),
        );
    }
}

crate::impl_table!(ShiftImmChip, "shift_imm");

crate::impl_instruction_chip!(ShiftImmChip, ShiftImmCols, IMM_OPCODES, populate_imm);

fn populate_imm(cols: &mut ShiftImmCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    cols.frame.populate(event, lookups);
    let [is_left, is_arith, is_word, ..] = controls(event.instruction.opcode).map(Val::from_u32);
    (cols.is_left, cols.is_arith, cols.is_word) = (is_left, is_arith, is_word);
    cols.core.populate(event, lookups);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{BYTE, PROGRAM, RANGE};
    use crate::columns::Col;
    use crate::gadgets::row_check::*;
    use p3_matrix::dense::RowMajorMatrix;

    type Cols = ShiftCols<Col>;
    type ImmCols = ShiftImmCols<Col>;
    type Fixture = (Vec<FrameEvent>, RowMajorMatrix<Val>);

    /// Every opcode of `ops`, every shift amount (and, for register forms, amounts with high
    /// bits set), on values whose bytes all differ and whose signs differ.
    fn every_amount(ops: &[Opcode]) -> Vec<FrameEvent> {
        let values = [0x8123_4567_89ab_cdef, 0x7edc_ba98_7654_3210, 1];
        let mut events = Vec::new();
        for &op in ops {
            let amounts: Vec<u64> = if op.format() != droste_isa::Format::R {
                (0..if kind(op).2 { 32 } else { 64 }).collect()
            } else {
                (0..64)
                    .chain([64, 65, 0xffff_ffff_ffff_ffc1, 0x1_0000_0021])
                    .collect()
            };
            for &a in &values {
                for &s in &amounts {
                    events.push(event(op, a, s, events.len() as u32 + 1));
                }
            }
        }
        events
    }

    /// The honest traces of [`every_amount`] for both chips, checked once.
    fn fixture() -> &'static (Fixture, Fixture) {
        static FIXTURE: std::sync::OnceLock<(Fixture, Fixture)> = std::sync::OnceLock::new();
        FIXTURE.get_or_init(|| {
            let events = every_amount(&OPCODES);
            let trace = assert_chip_honest(&ShiftChip, &events);
            let imm_events = every_amount(&IMM_OPCODES);
            let imm_trace = assert_chip_honest(&ShiftImmChip, &imm_events);
            ((events, trace), (imm_events, imm_trace))
        })
    }

    #[test]
    fn every_opcode_and_amount_satisfies_the_chips() {
        fixture();
        assert_chip_honest(&ShiftChip, &events_on_pairs(&OPCODES, &EDGE_VALUES));
        assert_chip_honest(&ShiftImmChip, &events_on_pairs(&IMM_OPCODES, &EDGE_VALUES));
    }

    fn row_of(events: &[FrameEvent], op: Opcode, a: u64, s: u64) -> usize {
        events
            .iter()
            .position(|e| e.instruction.opcode == op && e.rs1_value == a && e.operand_b() == s)
            .unwrap()
    }

    #[test]
    fn a_wrong_result_limb_is_caught() {
        let ((events, trace), (imm_events, imm_trace)) = fixture();
        for row in (0..events.len()).step_by(37) {
            let failures = result_limb_failures::<Cols, _>(&ShiftChip, trace, events, row);
            assert!(failures.iter().all(Option::is_some), "{:?}", events[row]);
        }
        for row in (0..imm_events.len()).step_by(29) {
            let failures =
                result_limb_failures::<ImmCols, _>(&ShiftImmChip, imm_trace, imm_events, row);
            assert!(
                failures.iter().all(Option::is_some),
                "{:?}",
                imm_events[row]
            );
        }
    }

    #[test]
    fn a_wrong_shift_amount_is_caught() {
        let ((events, trace), (imm_events, imm_trace)) = fixture();
        let row = row_of(events, Opcode::Sll, 1, 65);
        // Claiming bit 6 of the amount as bit 0 leaves a fractional rest.
        let tampered = with_cell::<Cols>(trace, row, "shamt_bits[0]", Val::ZERO);
        assert!(matches!(
            first_failure(&ShiftChip, &tampered, events, row),
            Some(RowFailure::Constraint { .. } | RowFailure::Lookup { bus: RANGE, .. })
        ));
        // Another byte shift than the bits say.
        let row = row_of(events, Opcode::Srl, 1, 9);
        let tampered = with_cell::<Cols>(trace, row, "core.byte_shift[1]", Val::ZERO);
        let tampered = with_cell::<Cols>(&tampered, row, "core.byte_shift[2]", Val::ONE);
        assert!(matches!(
            first_failure(&ShiftChip, &tampered, events, row),
            Some(RowFailure::Constraint { .. })
        ));
        // Another multiplier than 2^(8-r) for a right shift.
        let tampered = with_cell::<Cols>(trace, row, "core.multiplier", Val::from_u32(64));
        assert!(matches!(
            first_failure(&ShiftChip, &tampered, events, row),
            Some(RowFailure::Constraint { .. })
        ));
        // By a constant, the byte shift and multiplier are the program's.
        let row = row_of(imm_events, Opcode::Srli, 1, 9);
        let tampered = with_cell::<ImmCols>(imm_trace, row, "core.byte_shift[1]", Val::ZERO);
        let tampered = with_cell::<ImmCols>(&tampered, row, "core.byte_shift[2]", Val::ONE);
        assert!(matches!(
            first_failure(&ShiftImmChip, &tampered, imm_events, row),
            Some(RowFailure::Lookup { bus: PROGRAM, .. })
        ));
        let tampered = with_cell::<ImmCols>(imm_trace, row, "core.multiplier", Val::from_u32(64));
        assert!(first_failure(&ShiftImmChip, &tampered, imm_events, row).is_some());
        let tampered = with_cell::<ImmCols>(imm_trace, row, "is_left", Val::ONE);
        assert!(first_failure(&ShiftImmChip, &tampered, imm_events, row).is_some());
    }

    #[test]
    fn a_wrong_sign_fill_is_caught() {
        let ((events, trace), (imm_events, imm_trace)) = fixture();
        // SRA of a negative value: dropping the sign breaks the sign lookup or the fill.
        for op in [Opcode::Sra, Opcode::Sraw] {
            let row = row_of(events, op, 0x8123_4567_89ab_cdef, 4);
            let tampered = with_cell::<Cols>(trace, row, "core.sign", Val::ZERO);
            assert!(
                first_failure(&ShiftChip, &tampered, events, row).is_some(),
                "{op:?}"
            );
        }
        let row = row_of(imm_events, Opcode::Sraiw, 0x8123_4567_89ab_cdef, 4);
        let tampered = with_cell::<ImmCols>(imm_trace, row, "core.sign", Val::ZERO);
        assert!(first_failure(&ShiftImmChip, &tampered, imm_events, row).is_some());
        // SRL may not fill with ones, even with a consistent fill witness.
        let row = row_of(events, Opcode::Srl, 0x8123_4567_89ab_cdef, 4);
        let tampered = with_cell::<Cols>(trace, row, "core.sign", Val::ONE);
        assert!(matches!(
            first_failure(&ShiftChip, &tampered, events, row),
            Some(RowFailure::Constraint { .. })
        ));
    }

    #[test]
    fn a_wrong_byte_split_is_caught() {
        let ((events, trace), _) = fixture();
        let row = row_of(events, Opcode::Sll, 0x8123_4567_89ab_cdef, 3);
        // lo + 256 hi unchanged, but lo is no longer a byte.
        let lo = cell::<Cols>(trace, row, "core.lo[2]") + Val::from_u32(256);
        let hi = cell::<Cols>(trace, row, "core.hi[2]") - Val::ONE;
        let tampered = with_cell::<Cols>(trace, row, "core.lo[2]", lo);
        let tampered = with_cell::<Cols>(&tampered, row, "core.hi[2]", hi);
        assert!(matches!(
            first_failure(&ShiftChip, &tampered, events, row),
            Some(RowFailure::Constraint { .. } | RowFailure::Lookup { bus: BYTE, .. })
        ));
    }

    #[test]
    fn a_wrong_word_sign_is_caught() {
        let (_, (imm_events, imm_trace)) = fixture();
        let row = row_of(imm_events, Opcode::Slliw, 1, 31);
        let tampered = with_cell::<ImmCols>(imm_trace, row, "core.word_sign", Val::ZERO);
        assert!(first_failure(&ShiftImmChip, &tampered, imm_events, row).is_some());
    }

    #[test]
    fn random_values_and_amounts_satisfy_the_chip() {
        let events = events_on(&OPCODES, &random_pairs(32, 3));
        let trace = assert_chip_honest(&ShiftChip, &events);
        for row in (0..events.len()).step_by(5) {
            let bad = cell::<Cols>(&trace, row, "frame.rd.value[1]") + Val::ONE;
            let tampered = with_cell::<Cols>(&trace, row, "frame.rd.value[1]", bad);
            assert!(first_failure(&ShiftChip, &tampered, &events, row).is_some());
        }
        assert_chip_honest(
            &ShiftImmChip,
            &events_on(&IMM_OPCODES, &random_pairs(32, 3)),
        );
    }
}
