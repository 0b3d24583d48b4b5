//! A 64-bit word (four 16-bit limbs) split into its eight bytes.
//!
//! Only the low byte of each limb is a column; the high byte is the expression
//! `(limb - low) / 256`. One byte-pair lookup per limb shows that both are bytes, which proves
//! the split (`low + 256 high = limb` holds by construction) and, in passing, that the limb lies
//! in `[0, 2^16)`. Chips that multiply need bytes: the product of two 16-bit limbs exceeds the
//! 31-bit field, the product of two bytes does not.

use droste_stark::Val;
use p3_field::{Field, PrimeCharacteristicRing};

use crate::bus::MachineBuilder;
use crate::columns::WORD_LIMBS;
use crate::lookup::{byte_pair_check, LookupCounter};

/// Bytes of a 64-bit word.
pub const WORD_BYTES: usize = 8;

crate::columns! {
    /// The low byte of each limb of a word.
    pub struct ByteSplitCols<T> {
        pub low: [T; WORD_LIMBS],
    }
}

impl ByteSplitCols<Val> {
    /// Fills the low bytes of `value` and records the byte-pair lookups.
    pub fn populate(&mut self, value: u64, lookups: &LookupCounter) {
        let bytes = value.to_le_bytes();
        for (low, pair) in self.low.iter_mut().zip(bytes.chunks_exact(2)) {
            *low = Val::from_u8(pair[0]);
            lookups.byte_pair(pair[0], pair[1]);
        }
    }
}

impl<V: Copy> ByteSplitCols<V> {
    /// Checks the split of `word` (`multiplicity` lookups per limb) and returns its eight bytes,
    /// little-endian, as degree-1 expressions.
    pub fn eval<AB>(
        &self,
        builder: &mut AB,
        word: &[AB::Expr; WORD_LIMBS],
        multiplicity: AB::Expr,
    ) -> [AB::Expr; WORD_BYTES]
    where
        AB: MachineBuilder<Var = V>,
    {
        let inv_256 = Val::from_u32(256).inverse();
        let bytes: [AB::Expr; WORD_BYTES] = core::array::from_fn(|i| {
            let low: AB::Expr = self.low[i / 2].into();
            if i % 2 == 0 {
                low
            } else {
                (word[i / 2].clone() - low) * inv_256
            }
        });
        for pair in bytes.chunks_exact(2) {
            byte_pair_check(
                builder,
                pair[0].clone(),
                pair[1].clone(),
                multiplicity.clone(),
            );
        }
        bytes
    }
}
