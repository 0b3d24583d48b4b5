//! The DEEP quotient's divisions `1 / (x - z)`, for base-field points `x` (the queried rows) and
//! extension-field opening points `z`, without extension-field inversions.
//!
//! With `sigma` the Frobenius automorphism, `P(T) = prod_k (T - sigma^k(z))` (the norm of
//! `T - z`) is a polynomial over the base field, and `A(T) = P(T) / (T - z)` one over the
//! extension, both fixed by `z`. So `1 / (x - z) = A(x) / P(x)`: an evaluation of `A` (extension
//! coefficients, base-field powers of `x`), one of `P` (all in the base field) and a base-field
//! inversion, batched over the rows. In the guest that is about 150 instructions per row and
//! point, against 390 for a batched extension-field inversion (three extension
//! multiplications). `P(x) = 0` exactly when `x = z`.

use p3_field::extension::HasFrobenius;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, PrimeField32};

use super::combine::Weight;
use crate::codec::{val_from_reduced, val_to_u32};
use crate::ext::reduce;
use crate::{Challenge, PcsError, Val, EXT_DEGREE};

/// `1 / (x - z)` for one opening point `z` as `A(x) / P(x)` (module docs).
pub(super) struct InverseAt {
    /// `A(T) = T^3 + a[2] T^2 + a[1] T + a[0]`, each coefficient by its coordinates.
    a: [[Val; 4]; 3],
    /// `P(T) = T^4 + p[3] T^3 + p[2] T^2 + p[1] T + p[0]`.
    p: [Val; 4],
}

/// The powers `x, x^2, x^3, x^4` of a row's point, shared by every opening point.
#[derive(Clone, Copy)]
pub(super) struct Powers([Val; 4]);

impl Powers {
    pub(super) fn new(x: Val) -> Self {
        let x2 = x.square();
        Self([x, x2, x2 * x, x2.square()])
    }
}

/// A Montgomery word times a canonical integer, reduced mod p, is the Montgomery word of the
/// product: so [`InverseAt::divide_by_combination`] multiplies by one `mul` and one `remu`.
fn canonical(v: Val) -> u64 {
    u64::from(v.as_canonical_u32())
}

/// What [`InverseAt::divide_by_combination`] takes of a row's [`Powers`]: `x` and `x^2` as
/// canonical integers and `x^3` as its Montgomery word, converted once per row rather than once
/// per row and opening point.
#[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
#[derive(Clone, Copy)]
pub(super) struct RowWords {
    x1: u64,
    x2: u64,
    x3: u64,
}

impl RowWords {
    #[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
    pub(super) fn new(x: &Powers) -> Self {
        let [x1, x2, x3, _] = x.0;
        Self {
            x1: canonical(x1),
            x2: canonical(x2),
            x3: u64::from(val_to_u32(x3)),
        }
    }
}

impl InverseAt {
    pub(super) fn new(z: Challenge) -> Self {
        // A(T) = (T - c0)(T - c1)(T - c2) over the other conjugates of z.
        let [c0, c1, c2] = [1, 2, 3].map(|k| z.repeated_frobenius(k));
        let e1 = c0 + c1 + c2;
        let e2 = c0 * c1 + (c0 + c1) * c2;
        let e3 = c0 * c1 * c2;
        let a = [-e3, e2, -e1];
        // P(T) = (T - z) A(T); its coefficients are fixed by the Frobenius, so lie in the
        // base field: their first coordinate.
        let base = |c: Challenge| {
            debug_assert!(
                BasedVectorSpace::<Val>::as_basis_coefficients_slice(&c)[1..]
                    .iter()
                    .all(|v| *v == Val::ZERO)
            );
            BasedVectorSpace::<Val>::as_basis_coefficients_slice(&c)[0]
        };
        let p = [
            base(-z * a[0]),
            base(a[0] - z * a[1]),
            base(a[1] - z * a[2]),
            base(a[2] - z),
        ];
        let coordinates = |c: Challenge| {
            core::array::from_fn(|k| BasedVectorSpace::<Val>::as_basis_coefficients_slice(&c)[k])
        };
        Self {
            a: a.map(coordinates),
            p,
        }
    }

    /// `A(x) / P(x)` given `norm_inv = 1 / P(x)`: `A(x) q` by coordinate as one dot product of
    /// the coefficients with `x^2 q, x q, q` (and `x^3 q` for the monic term), one reduction
    /// each.
    #[cfg(any(not(target_os = "zkvm"), test))]
    pub(super) fn inverse(&self, x: &Powers, norm_inv: Val) -> Challenge {
        let [x1, x2, x3, _] = x.0;
        let q = [x2 * norm_inv, x1 * norm_inv, norm_inv];
        let [a0, a1, a2] = &self.a;
        Challenge::from_basis_coefficients_fn(|k| {
            if k == 0 {
                Val::dot_product(&[a2[0], a1[0], a0[0], x3], &[q[0], q[1], q[2], norm_inv])
            } else {
                Val::dot_product(&[a2[k], a1[k], a0[k]], &q)
            }
        })
    }

    /// `v / (x - z)` given `norm_inv = 1 / P(x)`, as a guest computes it: `A(x)`'s coordinates
    /// as base-field sums reduced once each (`mul` and one `remu` per product, where a
    /// Montgomery reduction is about eight instructions), then `(v / P(x)) * A(x)` as one
    /// EXT_COMBINE call `combine(A(x), X, v / P(x))` (`w * sum_d X^d A_d`), instead of about 210
    /// instructions for [`Self::inverse`] and a software product.
    #[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
    pub(super) fn divide_by_combination(
        &self,
        v: Challenge,
        x: &RowWords,
        norm_inv: Val,
        combine: impl FnOnce(&[Val], &Weight, &Weight) -> Challenge,
    ) -> Challenge {
        /// `A(x)`'s coordinates, aligned as EXT_COMBINE reads them.
        #[repr(C, align(8))]
        struct Coordinates([Val; EXT_DEGREE]);
        let RowWords { x1, x2, x3 } = *x;
        let [a0, a1, a2] = &self.a;
        let word = |v: Val| u64::from(val_to_u32(v));
        // Each sum is below `4 p^2 < 2^64`; the monic term `x^3` adds to coordinate 0.
        let a_at_x = Coordinates(core::array::from_fn(|k| {
            let monic = if k == 0 { x3 } else { 0 };
            let sum = word(a0[k]) + word(a1[k]) * x1 + word(a2[k]) * x2 + monic;
            val_from_reduced(reduce(sum) as u32)
        }));
        let norm_inv = canonical(norm_inv);
        let w: Weight = core::array::from_fn(|k| {
            reduce(word(v.as_basis_coefficients_slice()[k]) * norm_inv) as u32
        });
        // `X`: coordinates `(0, 1, 0, 0)`.
        let generator = [0, val_to_u32(Val::ONE), 0, 0];
        combine(&a_at_x.0, &generator, &w)
    }

    /// `P(x)`, zero exactly when `x = z`.
    pub(super) fn norm(&self, x: &Powers) -> Val {
        let [x1, x2, x3, x4] = x.0;
        x4 + Val::dot_product(&[self.p[3], self.p[2], self.p[1]], &[x3, x2, x1]) + self.p[0]
    }
}

/// Inverts every element in place with one field inversion ([`crate::ext::batch_invert`]); a
/// zero element (a query point equal to an opening point) is an error.
pub(super) fn batch_invert<F: Field>(values: &mut [F]) -> Result<(), PcsError> {
    if crate::ext::batch_invert(values, |a, b| a * b) {
        Ok(())
    } else {
        Err(PcsError::PointInDomain)
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    #[test]
    fn inverse_by_norms_equals_the_inverse() {
        let zs = [
            Challenge::from_basis_coefficients_fn(|i| Val::from_u32(3 + 7 * i as u32)),
            // In the quadratic subfield (coordinates 1 and 3 zero) and in the base field.
            Challenge::from_basis_coefficients_fn(|i| Val::from_u32([5, 0, 9, 0][i])),
            Challenge::from(Val::from_u32(11)),
        ];
        for z in zs {
            let at = InverseAt::new(z);
            for x in [0u32, 1, 2, 12, 1 << 30].map(Val::from_u32) {
                let powers = Powers::new(x);
                let expected = (Challenge::from(x) - z).inverse();
                let norm_inv = at.norm(&powers).inverse();
                assert_eq!(at.inverse(&powers, norm_inv), expected);
                let v = Challenge::from_basis_coefficients_fn(|i| Val::from_u32(17 + 5 * i as u32));
                let words = RowWords::new(&powers);
                let by_combination = at.divide_by_combination(v, &words, norm_inv, |a, x, w| {
                    let word = |w: u32| crate::codec::val_from_u32(w).unwrap();
                    let ext = |w: &Weight| Challenge::from_basis_coefficients_fn(|d| word(w[d]));
                    ext(w)
                        * a.iter()
                            .rev()
                            .fold(Challenge::ZERO, |acc, &c| acc * ext(x) + c)
                });
                assert_eq!(by_combination, v * expected);
            }
        }
        // x = z: the norm vanishes.
        let at = InverseAt::new(zs[2]);
        assert_eq!(at.norm(&Powers::new(Val::from_u32(11))), Val::ZERO);
    }

    #[test]
    fn batch_inversion_inverts_and_refuses_zero() {
        let mut values: Vec<Val> = (1..20u32).map(Val::from_u32).collect();
        let expected: Vec<Val> = values.iter().map(|v| v.inverse()).collect();
        batch_invert(&mut values).unwrap();
        assert_eq!(values, expected);
        let mut with_zero = [Val::ONE, Val::ZERO, Val::TWO];
        assert_eq!(batch_invert(&mut with_zero), Err(PcsError::PointInDomain));
    }
}
