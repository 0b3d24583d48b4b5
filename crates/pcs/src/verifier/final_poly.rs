//! FRI's last check (verifier side): the folded codeword at the queried positions against the
//! final polynomial the proof sends in clear.
//!
//! Why it has a module of its own: the presets send 1,024 coefficients (docs/pcs.md, "Final
//! polynomial"), so FRI stops three folding rounds earlier than with 8, and the check evaluates a
//! polynomial of that length at every distinct queried position. Horner's rule in software costs
//! an extension-by-base product per coefficient, about 20 instructions in a guest, some 20,000
//! per position. In a guest each coordinate's coefficients are laid out once, aligned and
//! padded to an even count as EXT_COMBINE reads them, and a position is one call per coordinate:
//! `w * sum_j alpha^j v_j` with `alpha = x` and `w = 1` is that coordinate of the value
//! (the precompile's `ext_combine_rows` table does the work, a row per two coefficients).

#[cfg(any(target_os = "zkvm", test))]
use alloc::vec::Vec;

#[cfg(any(target_os = "zkvm", test))]
use p3_field::BasedVectorSpace;
use p3_field::PrimeCharacteristicRing;

#[cfg(any(target_os = "zkvm", test))]
use super::{
    combine::weight,
    run_combine::{CombineCall, Pair},
};
#[cfg(any(target_os = "zkvm", test))]
use crate::EXT_DEGREE;
use crate::{Challenge, Val};

/// The final polynomial, ready to be evaluated at the queried positions.
pub(super) struct FinalPoly<'a> {
    /// The coefficients, lowest degree first.
    #[cfg_attr(target_os = "zkvm", allow(dead_code))]
    coefficients: &'a [Challenge],
    /// Coordinate `e` of every coefficient at `[e]`, padded with a zero to an even count.
    #[cfg(any(target_os = "zkvm", test))]
    by_coordinate: [Vec<Pair>; EXT_DEGREE],
}

impl<'a> FinalPoly<'a> {
    pub fn new(coefficients: &'a [Challenge]) -> Self {
        Self {
            coefficients,
            #[cfg(any(target_os = "zkvm", test))]
            by_coordinate: core::array::from_fn(|e| {
                let coordinate = |c: Option<&Challenge>| {
                    c.map_or(Val::ZERO, |c| c.as_basis_coefficients_slice()[e])
                };
                coefficients
                    .chunks(2)
                    .map(|pair| Pair([coordinate(pair.first()), coordinate(pair.get(1))]))
                    .collect()
            }),
        }
    }

    /// The polynomial's value at `x`.
    pub fn eval(&self, x: Val) -> Challenge {
        #[cfg(target_os = "zkvm")]
        return self.eval_by_coordinates::<crate::precompile::CombineBlock>(x);
        #[cfg(not(target_os = "zkvm"))]
        return horner(self.coefficients, x);
    }

    /// [`Self::eval`] by one EXT_COMBINE call per coordinate (`B`).
    #[cfg(any(target_os = "zkvm", test))]
    fn eval_by_coordinates<B: CombineCall>(&self, x: Val) -> Challenge {
        let mut call = B::new(&weight(Challenge::from(x)), &weight(Challenge::ONE));
        let coordinates: [Val; EXT_DEGREE] = core::array::from_fn(|e| {
            let value = call.call(Pair::values(&self.by_coordinate[e]));
            value.as_basis_coefficients_slice()[0]
        });
        Challenge::from_basis_coefficients_fn(|e| coordinates[e])
    }
}

/// `sum_j coefficients[j] x^j` by Horner's rule.
#[cfg(any(not(target_os = "zkvm"), test))]
fn horner(coefficients: &[Challenge], x: Val) -> Challenge {
    coefficients
        .iter()
        .rev()
        .fold(Challenge::ZERO, |acc, &c| acc * x + c)
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;
    use crate::verifier::combine::tests::{random_ext, random_val};
    use crate::verifier::run_combine::tests::Software;

    /// Both evaluations agree with the polynomial's value, for every length FRI can end with
    /// (odd ones padded), and a changed coefficient changes the value.
    #[test]
    fn coordinate_calls_evaluate_like_horner() {
        let mut rng = StdRng::seed_from_u64(3);
        for len in [1usize, 2, 3, 8, 1024] {
            let mut coefficients: Vec<Challenge> = (0..len).map(|_| random_ext(&mut rng)).collect();
            let x = random_val(&mut rng);
            let expected = coefficients
                .iter()
                .enumerate()
                .map(|(j, &c)| c * x.exp_u64(j as u64))
                .sum::<Challenge>();
            let poly = FinalPoly::new(&coefficients);
            assert_eq!(poly.eval(x), expected, "len {len}");
            assert_eq!(
                poly.eval_by_coordinates::<Software>(x),
                expected,
                "len {len}"
            );
            coefficients[len - 1] += Challenge::ONE;
            let poly = FinalPoly::new(&coefficients);
            assert_ne!(
                poly.eval_by_coordinates::<Software>(x),
                expected,
                "len {len}"
            );
        }
    }
}
