//! A `u32` word proven below `p`: two 16-bit limbs and one flag, so the word names exactly one
//! field element. The precompile tables (`poseidon2`, `ext_combine`) pass field elements through
//! memory as such words.
//!
//! `word < p = 0x7f000001` holds when `hi <= 0x7eff`, or `hi = 0x7f00` and `lo = 0`. The flag
//! `lo_zero` (boolean, and 0 unless `lo = 0`) lifts the bound to `0x7f00`, and one range check
//! proves `0x7eff + lo_zero - hi` is 16-bit. The limbs themselves must be 16-bit, which the
//! caller ensures (limbs read from memory are; written limbs need their own range checks).

use droste_stark::Val;
use p3_field::PrimeCharacteristicRing;

use crate::bus::MachineBuilder;
use crate::lookup::{range_check, LookupCounter};

/// The largest high limb of a word below `p = 0x7f000001` whose low limb is not zero.
const MAX_HI_WITH_LO: u32 = 0x7eff;

crate::columns! {
    /// A `u32` word below `p` as two 16-bit limbs.
    pub struct CanonicalWord<T> {
        pub lo: T,
        pub hi: T,
        /// May be 1 only when `lo = 0`; `hi <= 0x7eff + lo_zero`, so `hi = 0x7f00` (the word
        /// `p - 1`) needs it.
        pub lo_zero: T,
    }
}

/// Constrains `word` to be below `p` (its limbs being 16-bit, which the caller ensures) where
/// `is_real` is 1 (0 turns the check off) and returns its value.
pub fn eval_canonical<AB: MachineBuilder>(
    builder: &mut AB,
    word: &CanonicalWord<AB::Var>,
    is_real: AB::Expr,
) -> AB::Expr {
    builder.assert_bool(word.lo_zero);
    builder.assert_zero(word.lo_zero * word.lo);
    range_check(
        builder,
        AB::Expr::from_u32(MAX_HI_WITH_LO) + word.lo_zero.into() - word.hi.into(),
        16,
        is_real,
    );
    word.lo.into() + word.hi.into() * AB::Expr::from_u32(1 << 16)
}

impl CanonicalWord<Val> {
    /// Fills the limbs of `word` (below `p`) and records the canonical check.
    pub fn populate(&mut self, word: u32, lookups: &LookupCounter) {
        self.populate_unchecked(word);
        let hi = word >> 16;
        lookups.range(MAX_HI_WITH_LO + u32::from(word & 0xffff == 0) - hi, 16);
    }

    /// Fills the limbs of any `word` whose canonical check is off (`eval_canonical`'s gate 0):
    /// a word that passes through without standing for a field element.
    pub fn populate_unchecked(&mut self, word: u32) {
        let (lo, hi) = (word & 0xffff, word >> 16);
        self.lo = Val::from_u32(lo);
        self.hi = Val::from_u32(hi);
        self.lo_zero = Val::from_bool(lo == 0);
    }
}

/// The four limbs of the doubleword holding `words[0]` and `words[1]`, as a memory value.
pub fn dword_limbs<AB: MachineBuilder>(words: &[CanonicalWord<AB::Var>]) -> [AB::Expr; 4] {
    [words[0].lo, words[0].hi, words[1].lo, words[1].hi].map(Into::into)
}
