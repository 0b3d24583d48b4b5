//! The sign bit (bit 15) of a 16-bit limb, with one range lookup and no bit decomposition.
//!
//! For a limb `x` already known to lie in `[0, 2^16)` and a boolean `msb`, the value
//! `2 (x - 2^15 msb)` lies in `[0, 2^16)` exactly when `msb` is the top bit of `x`:
//!
//! - `msb = 0`: `2x < 2^16` iff `x < 2^15`;
//! - `msb = 1` and `x >= 2^15`: `2 (x - 2^15) < 2^16`;
//! - `msb = 1` and `x < 2^15`: `x - 2^15` is a field element just below `p`, and twice it is
//!   `p - 2 (2^15 - x)`, far outside `[0, 2^16)`.
//!
//! The doubling matters: a range check of `x - 2^15 msb` alone would accept `msb = 0` for every
//! 16-bit limb.

use droste_stark::Val;
use p3_field::PrimeCharacteristicRing;

use crate::bus::MachineBuilder;
use crate::lookup::{range_check, LookupCounter};

/// Constrains `msb` to be the top bit of `limb` on rows where `enabled` is 1, and to be 0 where it
/// is 0 (where nothing checks it). `enabled` must be boolean and of degree 1 for the lookup to
/// pack well.
pub fn eval<AB: MachineBuilder>(
    builder: &mut AB,
    limb: AB::Expr,
    msb: AB::Expr,
    enabled: AB::Expr,
) {
    builder.assert_bool(msb.clone());
    builder.assert_zero(msb.clone() * (AB::Expr::ONE - enabled.clone()));
    let rest = limb - msb * AB::Expr::from_u32(1 << 15);
    range_check(builder, rest.double(), 16, enabled);
}

/// The sign bit of `limb` if `enabled` (recording its lookup), else 0.
pub fn populate(limb: u16, enabled: bool, lookups: &LookupCounter) -> Val {
    if !enabled {
        return Val::ZERO;
    }
    lookups.range(u32::from(limb & 0x7fff) * 2, 16);
    Val::from_u16(limb >> 15)
}
