//! [`PrecompiledExt`]: extension-field values whose products are [`super::mul`], for code that
//! is generic over a ring (the tables' AIRs) and that a guest verifier runs.
//!
//! Why: the verifier evaluates every table's constraints at the out-of-domain point `zeta`, so
//! the AIRs' expressions are extension-field values there, and in the recursion guest Plonky3's
//! software product (sixteen Montgomery products, about 130 instructions) was most of that
//! phase: about a quarter of an aggregation's cycles. The AIRs are written once, generic over
//! `p3_air::AirBuilder::Expr`, and cannot call [`super::mul`] themselves; giving the verifier's
//! builder this type as its expression makes every product they write one EXT_COMBINE call in
//! a guest (about 25 instructions). Natively it is Plonky3's arithmetic, unchanged.
//!
//! Products of two extension values change, and in a guest sums and differences of two
//! extension values ([`super::add`], a `remu` per coordinate); negations, sums with base-field
//! values and products by them (four base products) stay Plonky3's.

use core::iter::{Product, Sum};
use core::ops::{Add, AddAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use p3_field::{Algebra, PrimeCharacteristicRing};

use crate::{Challenge, Val};

/// An extension-field value whose products with other extension values are [`super::mul`]
/// (module docs). The same layout as [`Challenge`].
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
#[repr(transparent)]
pub struct PrecompiledExt(pub Challenge);

/// `values` as [`PrecompiledExt`]s, in place.
pub fn as_precompiled(values: &[Challenge]) -> &[PrecompiledExt] {
    // SAFETY: `PrecompiledExt` is `#[repr(transparent)]` over `Challenge`: same size, alignment
    // and validity, so the slice is the same memory read as the wrapper.
    unsafe { core::slice::from_raw_parts(values.as_ptr().cast::<PrecompiledExt>(), values.len()) }
}

impl From<Challenge> for PrecompiledExt {
    #[inline(always)]
    fn from(value: Challenge) -> Self {
        Self(value)
    }
}

impl From<Val> for PrecompiledExt {
    #[inline(always)]
    fn from(value: Val) -> Self {
        Self(Challenge::from(value))
    }
}

impl Neg for PrecompiledExt {
    type Output = Self;

    #[inline(always)]
    fn neg(self) -> Self {
        Self(-self.0)
    }
}

/// The additive operations by each operand type: `$add` and `$sub` of the inner values.
macro_rules! additive_ops {
    ($rhs:ty, $inner:expr, $add:path, $sub:path) => {
        impl Add<$rhs> for PrecompiledExt {
            type Output = Self;

            #[inline(always)]
            fn add(self, rhs: $rhs) -> Self {
                Self($add(self.0, $inner(rhs)))
            }
        }

        impl AddAssign<$rhs> for PrecompiledExt {
            #[inline(always)]
            fn add_assign(&mut self, rhs: $rhs) {
                *self = *self + rhs;
            }
        }

        impl Sub<$rhs> for PrecompiledExt {
            type Output = Self;

            #[inline(always)]
            fn sub(self, rhs: $rhs) -> Self {
                Self($sub(self.0, $inner(rhs)))
            }
        }

        impl SubAssign<$rhs> for PrecompiledExt {
            #[inline(always)]
            fn sub_assign(&mut self, rhs: $rhs) {
                *self = *self - rhs;
            }
        }
    };
}

/// The sum of two extension values: in a guest [`super::add`] (a `remu` per coordinate),
/// natively Plonky3's.
#[inline(always)]
fn ext_add(a: Challenge, b: Challenge) -> Challenge {
    #[cfg(target_os = "zkvm")]
    {
        super::add(a, b)
    }
    #[cfg(not(target_os = "zkvm"))]
    {
        a + b
    }
}

/// The difference of two extension values, as [`ext_add`]: [`super::sub`] in a guest.
#[inline(always)]
fn ext_sub(a: Challenge, b: Challenge) -> Challenge {
    #[cfg(target_os = "zkvm")]
    {
        super::sub(a, b)
    }
    #[cfg(not(target_os = "zkvm"))]
    {
        a - b
    }
}

additive_ops!(Self, |v: Self| v.0, ext_add, ext_sub);
additive_ops!(Challenge, |v: Challenge| v, ext_add, ext_sub);
// A base-field operand changes one coordinate: Plonky3's.
additive_ops!(Val, |v: Val| v, Add::add, Sub::sub);

/// Products by an extension value: [`super::mul`].
macro_rules! precompiled_mul {
    ($rhs:ty, $inner:expr) => {
        impl Mul<$rhs> for PrecompiledExt {
            type Output = Self;

            #[inline(always)]
            fn mul(self, rhs: $rhs) -> Self {
                Self(super::mul(self.0, $inner(rhs)))
            }
        }

        impl MulAssign<$rhs> for PrecompiledExt {
            #[inline(always)]
            fn mul_assign(&mut self, rhs: $rhs) {
                *self = *self * rhs;
            }
        }
    };
}

precompiled_mul!(Self, |v: Self| v.0);
precompiled_mul!(Challenge, |v: Challenge| v);

impl Mul<Val> for PrecompiledExt {
    type Output = Self;

    #[inline(always)]
    fn mul(self, rhs: Val) -> Self {
        Self(self.0 * rhs)
    }
}

impl MulAssign<Val> for PrecompiledExt {
    #[inline(always)]
    fn mul_assign(&mut self, rhs: Val) {
        self.0 *= rhs;
    }
}

impl Sum for PrecompiledExt {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        Self(iter.map(|v| v.0).sum())
    }
}

impl Product for PrecompiledExt {
    fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ONE, |acc, v| acc * v)
    }
}

impl PrimeCharacteristicRing for PrecompiledExt {
    type PrimeSubfield = <Challenge as PrimeCharacteristicRing>::PrimeSubfield;

    const ZERO: Self = Self(Challenge::ZERO);
    const ONE: Self = Self(Challenge::ONE);
    const TWO: Self = Self(Challenge::TWO);
    const NEG_ONE: Self = Self(Challenge::NEG_ONE);

    #[inline(always)]
    fn from_prime_subfield(f: Self::PrimeSubfield) -> Self {
        Self(Challenge::from_prime_subfield(f))
    }

    // Products by powers of two are base-field products: Plonky3's, not a call.
    #[inline(always)]
    fn halve(&self) -> Self {
        Self(self.0.halve())
    }

    #[inline(always)]
    fn mul_2exp_u64(&self, exp: u64) -> Self {
        Self(self.0.mul_2exp_u64(exp))
    }

    #[inline(always)]
    fn div_2exp_u64(&self, exp: u64) -> Self {
        Self(self.0.div_2exp_u64(exp))
    }
}

impl Algebra<Val> for PrecompiledExt {}

impl Algebra<Challenge> for PrecompiledExt {}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_field::BasedVectorSpace;

    fn ext(seed: u32) -> Challenge {
        Challenge::from_basis_coefficients_fn(|i| {
            Val::from_u32(seed.wrapping_mul(2654435761) ^ (i as u32 * 7919))
        })
    }

    #[test]
    fn arithmetic_is_the_extension_fields() {
        let (a, b, s) = (ext(3), ext(11), Val::from_u32(123_456_789));
        let (pa, pb) = (PrecompiledExt(a), PrecompiledExt(b));
        assert_eq!((pa * pb).0, a * b);
        assert_eq!((pa * b).0, a * b);
        assert_eq!((pa * s).0, a * s);
        assert_eq!((pa + pb).0, a + b);
        assert_eq!((pa - b).0, a - b);
        assert_eq!((pa + s).0, a + s);
        assert_eq!((-pa).0, -a);
        assert_eq!(pa.cube().0, a.cube());
        assert_eq!(pa.exp_u64(1_000_003).0, a.exp_u64(1_000_003));
        assert_eq!(pa.mul_2exp_u64(40).0, a.mul_2exp_u64(40));
        assert_eq!(pa.halve().0, a.halve());
        assert_eq!(pa.div_2exp_u64(5).0, a.div_2exp_u64(5));
        assert_eq!(pa.bool_check().0, a.bool_check());
        assert_eq!(PrecompiledExt::from_u32(77).0, Challenge::from_u32(77));
        let values = [a, b, ext(5)];
        assert_eq!(
            as_precompiled(&values)
                .iter()
                .copied()
                .product::<PrecompiledExt>()
                .0,
            values.iter().copied().product::<Challenge>()
        );
        assert_eq!(
            as_precompiled(&values)
                .iter()
                .copied()
                .sum::<PrecompiledExt>()
                .0,
            values.iter().copied().sum::<Challenge>()
        );
    }
}
