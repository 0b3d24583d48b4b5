//! `lhs * rhs + addend = result (mod 2^128)`: the core of the multiplier, and of the divider's
//! `b * q + r = a`.
//!
//! The factors come as 16 bytes each (the caller sign-extends a signed 64-bit factor with bytes
//! `0xff * sign`), the addend and the result as eight 16-bit limbs. Result limb `m` covers byte
//! positions `2m` and `2m + 1`:
//!
//! ```text
//! sum_{i+j=2m} lhs_i rhs_j + 256 sum_{i+j=2m+1} lhs_i rhs_j + addend_m + carry_{m-1}
//!     = result_m + 2^16 carry_m
//! ```
//!
//! With at most 16 byte products per position the left side stays below
//! `255^2 (15 + 256 * 16) + 2^16 + 2^14 < 2^28`, so honest carries are below `2^12`. Each carry
//! is range-checked to 14 bits, which keeps the right side below `2^16 + 2^30 < p`: both sides are
//! then integers below `p`, the field equation is the integer equation, and the chain of limb
//! equations is the 128-bit identity. A 16-bit carry check would not do: `result_m + 2^16 carry_m`
//! could reach `2^32 > p` and wrap around.
//!
//! The caller proves the bytes and the result limbs in range. Limbs 4..8 are only enforced where
//! `high_enabled` is 1: the divider turns them off for `MIN / -1`, the one case where only the
//! low 64 bits hold.

use droste_stark::Val;
use p3_field::PrimeCharacteristicRing;

use crate::bus::MachineBuilder;
use crate::lookup::{range_check, LookupCounter};

/// Bytes of a 128-bit factor.
pub const FACTOR_BYTES: usize = 16;
/// 16-bit limbs of a 128-bit value.
pub const WIDE_LIMBS: usize = 8;
/// Bits of a carry.
const CARRY_BITS: u32 = 14;

crate::columns! {
    /// One carry per result limb.
    pub struct MulAdd128Cols<T> {
        /// `carry[m]`: what limb `m` passes to limb `m + 1` (the last leaves the 128 bits).
        pub carry: [T; WIDE_LIMBS],
    }
}

impl MulAdd128Cols<Val> {
    /// Fills the carries of `lhs * rhs + addend`, records their range lookups and returns the
    /// limbs of the result mod `2^128`.
    pub fn populate(
        &mut self,
        lhs: &[u8; FACTOR_BYTES],
        rhs: &[u8; FACTOR_BYTES],
        addend: &[u16; WIDE_LIMBS],
        lookups: &LookupCounter,
    ) -> [u16; WIDE_LIMBS] {
        let mut result = [0u16; WIDE_LIMBS];
        let mut carry = 0u32;
        for m in 0..WIDE_LIMBS {
            let mut sum = u32::from(addend[m]) + carry;
            for (i, &l) in lhs.iter().enumerate() {
                let product = |j: usize| rhs.get(j).map_or(0, |&r| u32::from(l) * u32::from(r));
                if let Some(j) = (2 * m).checked_sub(i) {
                    sum += product(j);
                }
                if let Some(j) = (2 * m + 1).checked_sub(i) {
                    sum += 256 * product(j);
                }
            }
            result[m] = sum as u16;
            carry = sum >> 16;
            self.carry[m] = Val::from_u32(carry);
            lookups.range(carry, CARRY_BITS);
        }
        result
    }
}

impl<V: Copy> MulAdd128Cols<V> {
    /// The limb equations and the carries' range lookups (`multiplicity` each). Degree 2, or 3
    /// for the high limbs when `high_enabled` is not a constant.
    #[allow(clippy::too_many_arguments)]
    pub fn eval<AB>(
        &self,
        builder: &mut AB,
        lhs: &[AB::Expr; FACTOR_BYTES],
        rhs: &[AB::Expr; FACTOR_BYTES],
        addend: &[AB::Expr; WIDE_LIMBS],
        result: &[AB::Expr; WIDE_LIMBS],
        high_enabled: AB::Expr,
        multiplicity: AB::Expr,
    ) where
        AB: MachineBuilder<Var = V>,
    {
        let convolution = |k: usize| -> AB::Expr {
            (0..FACTOR_BYTES)
                .filter_map(|i| {
                    k.checked_sub(i)
                        .filter(|&j| j < FACTOR_BYTES)
                        .map(|j| (i, j))
                })
                .map(|(i, j)| lhs[i].clone() * rhs[j].clone())
                .sum()
        };
        for m in 0..WIDE_LIMBS {
            let carry_in: AB::Expr = match m {
                0 => AB::Expr::ZERO,
                _ => self.carry[m - 1].into(),
            };
            let carry_out: AB::Expr = self.carry[m].into();
            let equation = convolution(2 * m)
                + convolution(2 * m + 1) * AB::Expr::from_u32(256)
                + addend[m].clone()
                + carry_in
                - result[m].clone()
                - carry_out * AB::Expr::from_u32(1 << 16);
            if m < WIDE_LIMBS / 2 {
                builder.assert_zero(equation);
            } else {
                builder.assert_zero(high_enabled.clone() * equation);
            }
            range_check(builder, self.carry[m], CARRY_BITS, multiplicity.clone());
        }
    }
}

/// Little-endian bytes of `value` sign-extended (when `signed`) or zero-extended to 128 bits.
pub fn extend_bytes(value: u64, signed: bool) -> [u8; FACTOR_BYTES] {
    let wide = if signed {
        value as i64 as i128 as u128
    } else {
        u128::from(value)
    };
    wide.to_le_bytes()
}

/// A factor's 16 byte expressions: its eight bytes, then eight copies of `0xff * sign`.
pub fn extend_expr<E: PrimeCharacteristicRing + Clone>(
    bytes: [E; 8],
    sign: E,
) -> [E; FACTOR_BYTES] {
    let fill = sign * E::from_u32(0xff);
    core::array::from_fn(|i| {
        if i < 8 {
            bytes[i].clone()
        } else {
            fill.clone()
        }
    })
}
