//! Extension-field arithmetic the verifiers share.

use alloc::vec::Vec;

use p3_field::extension::BinomiallyExtendable;
use p3_field::BasedVectorSpace;

use crate::{Challenge, Val, EXT_DEGREE};

mod precompiled;

pub use precompiled::{as_precompiled, PrecompiledExt};

/// The base field's modulus.
const P: u64 = <Val as p3_field::PrimeField32>::ORDER_U32 as u64;

/// `sum_d X^d v_d` (`X` the extension's generator, `X^4 = W`): the value of an extension column
/// committed as its `EXT_DEGREE` base-field coordinate columns, from those columns' values `v_d`
/// at an extension point. Multiplying by `X^d` only moves coordinates (those wrapping past `X^3`
/// times `W`), so this is base-field additions and three multiplications by `W`, not
/// extension-field multiplications.
pub fn recombine(values: &[Challenge; EXT_DEGREE]) -> Challenge {
    let w = <Val as BinomiallyExtendable<EXT_DEGREE>>::W;
    Challenge::from_basis_coefficients_fn(|k| {
        let direct: Val = (0..=k)
            .map(|d| BasedVectorSpace::<Val>::as_basis_coefficients_slice(&values[d])[k - d])
            .sum();
        let wrapped: Val = (k + 1..EXT_DEGREE)
            .map(|d| {
                BasedVectorSpace::<Val>::as_basis_coefficients_slice(&values[d])[k + EXT_DEGREE - d]
            })
            .sum();
        direct + w * wrapped
    })
}

/// `x mod p`: in a guest one `remu` (one cycle; the compiler would turn `% P` into a
/// seven-instruction multiplication by the reciprocal).
#[inline(always)]
pub(crate) fn reduce(x: u64) -> u64 {
    #[cfg(target_os = "zkvm")]
    {
        let r: u64;
        // SAFETY: `remu` reads two registers and writes one; no memory, no flags.
        unsafe {
            core::arch::asm!(
                "remu {r}, {x}, {p}",
                r = lateout(reg) r,
                x = in(reg) x,
                p = in(reg) P,
                options(pure, nomem, nostack, preserves_flags)
            );
        }
        r
    }
    #[cfg(not(target_os = "zkvm"))]
    {
        x % P
    }
}

/// `a + b` on the coordinates' Montgomery words (addition is the same in Montgomery form):
/// per coordinate one add and one reduction, which in a guest is one `remu` where Plonky3's
/// compare-and-correct takes four instructions. The AIRs' expressions at `zeta` are mostly sums
/// (the Poseidon2 tables' linear layers above all).
#[inline(always)]
pub fn add(a: Challenge, b: Challenge) -> Challenge {
    let (a, b) = (words(a), words(b));
    from_words(core::array::from_fn(|d| {
        reduce(u64::from(a[d]) + u64::from(b[d]))
    }))
}

/// `a - b` as [`add`] does it: `a + p - b`, reduced.
#[inline(always)]
pub fn sub(a: Challenge, b: Challenge) -> Challenge {
    let (a, b) = (words(a), words(b));
    from_words(core::array::from_fn(|d| {
        reduce(u64::from(a[d]) + P - u64::from(b[d]))
    }))
}

/// The Montgomery words of `c`'s coordinates.
#[inline(always)]
pub(crate) fn words(c: Challenge) -> [u32; EXT_DEGREE] {
    core::array::from_fn(|d| crate::codec::val_to_u32(c.as_basis_coefficients_slice()[d]))
}

/// The element whose coordinates' Montgomery words are `words`, each reduced below p.
#[inline(always)]
fn from_words(words: [u64; EXT_DEGREE]) -> Challenge {
    Challenge::from_basis_coefficients_fn(|d| crate::codec::val_from_reduced(words[d] as u32))
}

/// `a * b`: in a guest by one EXT_COMBINE call ([`crate::precompile::ext_mul`], about a fifth of
/// the software product's instructions), natively Plonky3's product.
#[inline(always)]
pub fn mul(a: Challenge, b: Challenge) -> Challenge {
    #[cfg(target_os = "zkvm")]
    {
        crate::precompile::ext_mul(a, b)
    }
    #[cfg(not(target_os = "zkvm"))]
    {
        a * b
    }
}

/// Inverts every value in place with one inversion (Montgomery's trick): `mul` is the product
/// to use ([`mul`] for extension values in a guest, `mul` and `remu` for canonical words) and
/// `invert` the inversion of the product, `None` for zero; false, with `values` unchanged, when
/// one of them is zero.
pub fn batch_invert<T: Copy>(
    values: &mut [T],
    one: T,
    mul: impl Fn(T, T) -> T,
    invert: impl FnOnce(T) -> Option<T>,
) -> bool {
    let mut prefix = Vec::with_capacity(values.len());
    let mut acc = one;
    for &v in values.iter() {
        prefix.push(acc);
        acc = mul(acc, v);
    }
    let Some(mut inv) = invert(acc) else {
        return false;
    };
    for (v, p) in values.iter_mut().zip(prefix).rev() {
        let value = *v;
        *v = mul(inv, p);
        inv = mul(inv, value);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};

    #[test]
    fn recombination_equals_multiplying_by_the_basis() {
        let values: [Challenge; EXT_DEGREE] = core::array::from_fn(|d| {
            Challenge::from_basis_coefficients_fn(|i| Val::from_u32(1 + 10 * d as u32 + i as u32))
        });
        let expected: Challenge = values
            .iter()
            .enumerate()
            .map(|(d, &v)| v * <Challenge as BasedVectorSpace<Val>>::ith_basis_element(d).unwrap())
            .sum();
        assert_eq!(recombine(&values), expected);
    }

    #[test]
    fn sums_and_differences_of_words_are_the_fields() {
        let edges = [
            0,
            1,
            2,
            Val::ORDER_U32 / 2,
            Val::ORDER_U32 - 2,
            Val::ORDER_U32 - 1,
        ];
        let values: Vec<Challenge> = edges
            .iter()
            .map(|&e| Challenge::from_basis_coefficients_fn(|i| Val::from_u32(e + i as u32 % 2)))
            .chain((1..9u32).map(|k| {
                Challenge::from_basis_coefficients_fn(|i| {
                    Val::from_u32(
                        k.wrapping_mul(0x9e37_79b9) ^ (i as u32).wrapping_mul(0x85eb_ca6b),
                    )
                })
            }))
            .collect();
        for &a in &values {
            for &b in &values {
                assert_eq!(add(a, b), a + b);
                assert_eq!(sub(a, b), a - b);
            }
        }
    }

    #[test]
    fn batch_inversion_of_extension_values_inverts_and_refuses_zero() {
        let mut values: Vec<Challenge> = (1..12u32)
            .map(|k| Challenge::from_basis_coefficients_fn(|i| Val::from_u32(k * 31 + i as u32)))
            .collect();
        let expected: Vec<Challenge> = values.iter().map(|v| v.inverse()).collect();
        let invert = |values: &mut [Challenge]| {
            batch_invert(values, Challenge::ONE, mul, |v| v.try_inverse())
        };
        assert!(invert(&mut values));
        assert_eq!(values, expected);
        let mut with_zero = [Challenge::ONE, Challenge::ZERO, Challenge::TWO];
        assert!(!invert(&mut with_zero));
        assert_eq!(with_zero, [Challenge::ONE, Challenge::ZERO, Challenge::TWO]);
        assert!(invert(&mut []));
    }
}
