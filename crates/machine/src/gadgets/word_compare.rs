//! Unsigned less-than of two 64-bit values given as four 16-bit limbs each.
//!
//! Comparing from the top, the first limb where the operands differ decides. The prover marks
//! that limb (one-hot `marker`, all zero when the operands are equal); the constraints check that
//! every limb above the marker is equal, and one range lookup shows that the marked limbs differ
//! in the claimed direction:
//!
//! ```text
//! diff = (2 lt - 1) (rhs_m - lhs_m) - [a marker is set]   in [0, 2^16)
//! ```
//!
//! With `lt = 1` this says `rhs_m - lhs_m - 1 >= 0`, i.e. `lhs_m < rhs_m`; with `lt = 0` it says
//! `lhs_m > rhs_m`. The `- 1` is what makes a marker on two *equal* limbs fail (the difference
//! would be `-1`, far outside the range), so the marker can only sit on the top differing limb,
//! and `lt` is forced to 0 when no limb differs. Every limb must already be known to lie in
//! `[0, 2^16)`: then all differences are tiny next to the field size, and the field arithmetic is
//! integer arithmetic.
//!
//! Signed comparison reuses this on operands whose sign bit is flipped (`x + 2^63` maps the
//! order of `i64` onto that of `u64`), which callers write linearly in the top limb and its sign
//! bit.

use droste_stark::Val;
use p3_field::PrimeCharacteristicRing;

use crate::bus::MachineBuilder;
use crate::columns::{limbs, WORD_LIMBS};
use crate::lookup::{range_check, LookupCounter};

/// The limbs of `word` in unsigned order for a comparison that is signed when `is_signed`:
/// the top limb gets `2^15 is_signed - 2^16 sign` (bit 63 flipped), where `sign` is the word's
/// sign bit (proven by the caller, 0 when not signed).
pub fn order_limbs<AB: MachineBuilder>(
    mut word: [AB::Expr; WORD_LIMBS],
    sign: AB::Expr,
    is_signed: &AB::Expr,
) -> [AB::Expr; WORD_LIMBS] {
    word[WORD_LIMBS - 1] +=
        is_signed.clone() * AB::Expr::from_u32(1 << 15) - sign * AB::Expr::from_u32(1 << 16);
    word
}

crate::columns! {
    /// The witness of one comparison.
    pub struct WordCompareCols<T> {
        /// One-hot: the most significant limb where the operands differ (all zero if equal).
        pub marker: [T; WORD_LIMBS],
        /// `lhs` at the marked limb (0 without a marker).
        pub lhs_at_marker: T,
        /// `rhs` at the marked limb (0 without a marker).
        pub rhs_at_marker: T,
        /// The range-checked distance of the module docs.
        pub diff: T,
    }
}

impl WordCompareCols<Val> {
    /// Fills the witness of `a < b`, signed or not (the twin of [`order_limbs`]), and returns
    /// the result.
    pub fn populate_words(
        &mut self,
        (a, b): (u64, u64),
        signed: bool,
        lookups: &LookupCounter,
    ) -> bool {
        let flip = |x: u64| limbs(if signed { x ^ (1 << 63) } else { x });
        self.populate(flip(a), flip(b), lookups)
    }

    /// Fills the witness of `lhs < rhs` (limbs little-endian), records its range lookup and
    /// returns the result.
    pub fn populate(
        &mut self,
        lhs: [u16; WORD_LIMBS],
        rhs: [u16; WORD_LIMBS],
        lookups: &LookupCounter,
    ) -> bool {
        *self = Self::default();
        let Some(m) = (0..WORD_LIMBS).rev().find(|&i| lhs[i] != rhs[i]) else {
            lookups.range(0, 16);
            return false;
        };
        let (l, r) = (u32::from(lhs[m]), u32::from(rhs[m]));
        let lt = l < r;
        let diff = if lt { r - l - 1 } else { l - r - 1 };
        self.marker[m] = Val::ONE;
        self.lhs_at_marker = Val::from_u32(l);
        self.rhs_at_marker = Val::from_u32(r);
        self.diff = Val::from_u32(diff);
        lookups.range(diff, 16);
        lt
    }
}

impl<V: Copy> WordCompareCols<V> {
    /// Constrains `lt = (lhs < rhs)` for limbs known to lie in `[0, 2^16)`, with `multiplicity`
    /// lookups (1 on real rows). `lt` must be boolean (the caller asserts it or builds it from
    /// booleans) and of degree at most 1. Degree 2.
    pub fn eval<AB>(
        &self,
        builder: &mut AB,
        lhs: &[AB::Expr; WORD_LIMBS],
        rhs: &[AB::Expr; WORD_LIMBS],
        lt: AB::Expr,
        multiplicity: AB::Expr,
    ) where
        AB: MachineBuilder<Var = V>,
    {
        let marker = self.marker.map(Into::<AB::Expr>::into);
        let mut marked = AB::Expr::ZERO;
        for m in &marker {
            builder.assert_bool(m.clone());
            marked += m.clone();
        }
        builder.assert_bool(marked.clone());
        // Limb i must be equal unless the marker sits at i or above.
        let mut at_or_above = AB::Expr::ZERO;
        for i in (0..WORD_LIMBS).rev() {
            at_or_above += marker[i].clone();
            builder.assert_zero(
                (AB::Expr::ONE - at_or_above.clone()) * (lhs[i].clone() - rhs[i].clone()),
            );
        }
        let select = |limbs: &[AB::Expr; WORD_LIMBS]| -> AB::Expr {
            marker
                .iter()
                .zip(limbs)
                .map(|(m, x)| m.clone() * x.clone())
                .sum()
        };
        builder.assert_eq(self.lhs_at_marker, select(lhs));
        builder.assert_eq(self.rhs_at_marker, select(rhs));
        let lhs_at: AB::Expr = self.lhs_at_marker.into();
        let rhs_at: AB::Expr = self.rhs_at_marker.into();
        builder.assert_eq(
            self.diff,
            (lt.clone().double() - AB::Expr::ONE) * (rhs_at - lhs_at) - marked.clone(),
        );
        // Equal operands are never less than each other.
        builder.assert_zero(lt * (AB::Expr::ONE - marked));
        range_check(builder, self.diff, 16, multiplicity);
    }
}
