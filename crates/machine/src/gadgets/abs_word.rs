//! The absolute value of a signed 64-bit word: `abs = negative ? -x : x`, as 16-bit limbs.
//!
//! For a negative `x` the limbs satisfy `x_m + abs_m + k_{m-1} = 2^16 k_m` with boolean carries
//! `k_m`, so `x + abs = 2^64 k_3`: `abs = 2^64 - x`, or 0 for `x = 0`. The carries are not
//! columns: `k_m = (x_m + abs_m + k_{m-1}) / 2^16` is linear in the limbs, and asserting it
//! boolean is what proves the chain. The `abs` limbs are range-checked here and the `x` limbs must
//! be known in range, so every quantity is a small integer and the field equations are integer
//! equations. `abs(MIN) = 2^63`, which is right for an unsigned comparison.

use droste_stark::Val;
use p3_field::{Field, PrimeCharacteristicRing};

use crate::bus::MachineBuilder;
use crate::columns::{Word, WORD_LIMBS};
use crate::lookup::{range_check, LookupCounter};

crate::columns! {
    /// `|x|` as four 16-bit limbs.
    pub struct AbsWordCols<T> {
        pub abs: Word<T>,
    }
}

impl AbsWordCols<Val> {
    /// Fills `|x|` (`x` negated when `negative`), records its range lookups and returns it.
    pub fn populate(&mut self, x: u64, negative: bool, lookups: &LookupCounter) -> u64 {
        let abs = if negative { x.wrapping_neg() } else { x };
        self.abs = Word::from_u64(abs);
        lookups.range_word(abs);
        abs
    }
}

impl<V: Copy> AbsWordCols<V> {
    /// Constrains `abs = negative ? -x : x` (mod `2^64`) with `multiplicity` range lookups per
    /// limb. `negative` must be boolean and of degree 1. Degree 3.
    pub fn eval<AB>(
        &self,
        builder: &mut AB,
        x: &[AB::Expr; WORD_LIMBS],
        negative: AB::Expr,
        multiplicity: AB::Expr,
    ) where
        AB: MachineBuilder<Var = V>,
    {
        let inv_radix = Val::from_u32(1 << 16).inverse();
        let mut carry = AB::Expr::ZERO;
        for (x_m, &abs_m) in x.iter().zip(&self.abs.0) {
            let abs_m: AB::Expr = abs_m.into();
            builder.assert_zero((AB::Expr::ONE - negative.clone()) * (abs_m.clone() - x_m.clone()));
            carry = (x_m.clone() + abs_m.clone() + carry) * inv_radix;
            builder.assert_zero(negative.clone() * carry.clone() * (carry.clone() - AB::Expr::ONE));
            range_check(builder, abs_m, 16, multiplicity.clone());
        }
    }
}
