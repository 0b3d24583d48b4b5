//! Extension-field arithmetic the verifiers share.

use p3_field::extension::BinomiallyExtendable;
use p3_field::BasedVectorSpace;

use crate::{Challenge, Val, EXT_DEGREE};

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

#[cfg(test)]
mod tests {
    use super::*;
    use p3_field::PrimeCharacteristicRing;

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
}
