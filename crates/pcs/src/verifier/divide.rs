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
//!
//! A guest keeps the rows' powers, the norms and their inverses as canonical integers below p
//! ([`RowWords`], [`NormWords`]): a product of two is one `mul` and one `remu` (one cycle each
//! on this machine) where a Montgomery product is about eight instructions, and a Montgomery
//! word times a canonical integer, reduced, is the Montgomery word of the product, so the
//! EXT_COMBINE operands come out in the field's own form.

use p3_field::extension::HasFrobenius;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, PrimeField32};

use alloc::vec::Vec;

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

/// The powers `x, x^2, x^3, x^4` of a row's point, shared by every opening point (natively).
#[cfg_attr(target_os = "zkvm", allow(dead_code))]
#[derive(Clone, Copy)]
pub(super) struct Powers([Val; 4]);

#[cfg_attr(target_os = "zkvm", allow(dead_code))]
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

/// A row's point `x` as a guest divides with it: `x, x^2, x^4` and `x^3` as canonical integers
/// (`x^3` also as its Montgomery word, the monic term of `A(x)`), computed once per row rather
/// than once per row and opening point, by products of canonical integers.
#[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
#[derive(Clone, Copy)]
pub(super) struct RowWords {
    x1: u64,
    x2: u64,
    x3: u64,
    x4: u64,
    x3_word: u64,
}

impl RowWords {
    #[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
    pub(super) fn new(x: Val) -> Self {
        let x1 = canonical(x);
        let x2 = reduce(x1 * x1);
        let x3 = reduce(x2 * x1);
        Self {
            x1,
            x2,
            x3,
            x4: reduce(x2 * x2),
            // The Montgomery word of one is `2^32 mod p`: times `x^3`, reduced, that of `x^3`.
            x3_word: reduce(x3 * u64::from(val_to_u32(Val::ONE))),
        }
    }
}

/// `P(T)`'s coefficients below the monic term as canonical integers, for [`Self::norm`].
#[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
pub(super) struct NormWords([u64; 4]);

impl NormWords {
    /// `P(x)` as a canonical integer: three products and two canonical terms summed below
    /// `3 p^2 + 2 p < 2^64`, one reduction.
    #[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
    pub(super) fn norm(&self, x: &RowWords) -> u64 {
        let [p0, p1, p2, p3] = self.0;
        reduce(x.x4 + p3 * x.x3 + p2 * x.x2 + p1 * x.x1 + p0)
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
        norm_inv: u64,
        combine: impl FnOnce(&[Val], &Weight, &Weight) -> Challenge,
    ) -> Challenge {
        /// `A(x)`'s coordinates, aligned as EXT_COMBINE reads them.
        #[repr(C, align(8))]
        struct Coordinates([Val; EXT_DEGREE]);
        let RowWords {
            x1, x2, x3_word, ..
        } = *x;
        let [a0, a1, a2] = &self.a;
        let word = |v: Val| u64::from(val_to_u32(v));
        // Each sum is below `4 p^2 < 2^64`; the monic term `x^3` adds to coordinate 0.
        let a_at_x = Coordinates(core::array::from_fn(|k| {
            let monic = if k == 0 { x3_word } else { 0 };
            let sum = word(a0[k]) + word(a1[k]) * x1 + word(a2[k]) * x2 + monic;
            val_from_reduced(reduce(sum) as u32)
        }));
        let w: Weight = core::array::from_fn(|k| {
            reduce(word(v.as_basis_coefficients_slice()[k]) * norm_inv) as u32
        });
        // `X`: coordinates `(0, 1, 0, 0)`.
        let generator = [0, val_to_u32(Val::ONE), 0, 0];
        combine(&a_at_x.0, &generator, &w)
    }

    /// `P`'s coefficients as canonical integers.
    #[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
    pub(super) fn norm_words(&self) -> NormWords {
        NormWords(self.p.map(canonical))
    }

    /// `P(x)`, zero exactly when `x = z`.
    #[cfg_attr(target_os = "zkvm", allow(dead_code))]
    pub(super) fn norm(&self, x: &Powers) -> Val {
        let [x1, x2, x3, x4] = x.0;
        x4 + Val::dot_product(&[self.p[3], self.p[2], self.p[1]], &[x3, x2, x1]) + self.p[0]
    }
}

/// The divisions of one height's DEEP quotient: `v / (x - z)` for its queried rows' points `x`
/// and its opening points `z`, with one base-field inversion for all of them.
pub(super) struct Divisions {
    at: Vec<InverseAt>,
    #[cfg(target_os = "zkvm")]
    rows: Vec<RowWords>,
    #[cfg(not(target_os = "zkvm"))]
    rows: Vec<Powers>,
    /// `1 / P_z(x)` for every point, then row.
    #[cfg(target_os = "zkvm")]
    norm_inverses: Vec<u64>,
    #[cfg(not(target_os = "zkvm"))]
    norm_inverses: Vec<Val>,
}

impl Divisions {
    /// For rows at `xs` and opening points `zs`; an error if a row's point is an opening point.
    pub(super) fn new(xs: &[Val], zs: &[Challenge]) -> Result<Self, PcsError> {
        let at: Vec<InverseAt> = zs.iter().map(|&z| InverseAt::new(z)).collect();
        let mut norms = Vec::with_capacity(at.len() * xs.len());
        #[cfg(target_os = "zkvm")]
        let rows: Vec<RowWords> = {
            let rows: Vec<RowWords> = xs.iter().map(|&x| RowWords::new(x)).collect();
            for inverse_at in &at {
                let p = inverse_at.norm_words();
                norms.extend(rows.iter().map(|x| p.norm(x)));
            }
            batch_invert_words(&mut norms)?;
            rows
        };
        #[cfg(not(target_os = "zkvm"))]
        let rows: Vec<Powers> = {
            let rows: Vec<Powers> = xs.iter().map(|&x| Powers::new(x)).collect();
            for inverse_at in &at {
                norms.extend(rows.iter().map(|x| inverse_at.norm(x)));
            }
            if !crate::ext::batch_invert(&mut norms, Val::ONE, |a, b| a * b, |v| v.try_inverse()) {
                return Err(PcsError::PointInDomain);
            }
            rows
        };
        Ok(Self {
            at,
            rows,
            norm_inverses: norms,
        })
    }

    /// Adds `(numerators[r] - claimed) / (x_r - z)` to `out[r]` for every row `r`, `z` the
    /// `point`-th opening point.
    pub(super) fn add_quotients(
        &self,
        point: usize,
        numerators: &[Challenge],
        claimed: Challenge,
        out: &mut [Challenge],
    ) {
        let at = &self.at[point];
        let norm_inverses = &self.norm_inverses[point * self.rows.len()..][..self.rows.len()];
        for (((r, &n), x), &norm_inv) in out
            .iter_mut()
            .zip(numerators)
            .zip(&self.rows)
            .zip(norm_inverses)
        {
            #[cfg(target_os = "zkvm")]
            let quotient =
                at.divide_by_combination(n - claimed, x, norm_inv, crate::precompile::ext_combine);
            #[cfg(not(target_os = "zkvm"))]
            let quotient = (n - claimed) * at.inverse(x, norm_inv);
            *r += quotient;
        }
    }
}

/// Inverts canonical integers below p in place ([`crate::ext::batch_invert`] by `mul` and one
/// reduction per product); a zero (a query point equal to an opening point) is an error.
#[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
fn batch_invert_words(values: &mut [u64]) -> Result<(), PcsError> {
    let invert = |v: u64| (v != 0).then(|| canonical(Val::from_u32(v as u32).inverse()));
    if crate::ext::batch_invert(values, 1, |a, b| reduce(a * b), invert) {
        Ok(())
    } else {
        Err(PcsError::PointInDomain)
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    fn points() -> [Challenge; 3] {
        [
            Challenge::from_basis_coefficients_fn(|i| Val::from_u32(3 + 7 * i as u32)),
            // In the quadratic subfield (coordinates 1 and 3 zero) and in the base field.
            Challenge::from_basis_coefficients_fn(|i| Val::from_u32([5, 0, 9, 0][i])),
            Challenge::from(Val::from_u32(11)),
        ]
    }

    /// The native inverse and the guest's division by EXT_COMBINE (here a software product),
    /// with its canonical powers and norm, against the field's inversion.
    #[test]
    fn inverse_by_norms_equals_the_inverse() {
        for z in points() {
            let at = InverseAt::new(z);
            for x in [0u32, 1, 2, 12, 1 << 30, Val::ORDER_U32 - 1].map(Val::from_u32) {
                let powers = Powers::new(x);
                let expected = (Challenge::from(x) - z).inverse();
                let norm_inv = at.norm(&powers).inverse();
                assert_eq!(at.inverse(&powers, norm_inv), expected);
                let words = RowWords::new(x);
                assert_eq!(at.norm_words().norm(&words), canonical(at.norm(&powers)));
                let v = Challenge::from_basis_coefficients_fn(|i| Val::from_u32(17 + 5 * i as u32));
                let divide = |a: &[Val], x: &Weight, w: &Weight| {
                    let word = |w: u32| crate::codec::val_from_u32(w).unwrap();
                    let ext = |w: &Weight| Challenge::from_basis_coefficients_fn(|d| word(w[d]));
                    ext(w)
                        * a.iter()
                            .rev()
                            .fold(Challenge::ZERO, |acc, &c| acc * ext(x) + c)
                };
                let by_combination =
                    at.divide_by_combination(v, &words, canonical(norm_inv), divide);
                assert_eq!(by_combination, v * expected);
            }
        }
        // x = z: the norm vanishes.
        let at = InverseAt::new(points()[2]);
        let eleven = Val::from_u32(11);
        assert_eq!(at.norm(&Powers::new(eleven)), Val::ZERO);
        assert_eq!(at.norm_words().norm(&RowWords::new(eleven)), 0);
    }

    #[test]
    fn batch_inversion_of_words_inverts_and_refuses_zero() {
        let p = u64::from(Val::ORDER_U32);
        let mut values: Vec<u64> = (1..20u64).chain([p - 1, p / 2]).collect();
        let expected: Vec<u64> = values
            .iter()
            .map(|&v| canonical(Val::from_u32(v as u32).inverse()))
            .collect();
        batch_invert_words(&mut values).unwrap();
        assert_eq!(values, expected);
        let mut with_zero = [1, 0, 2];
        assert_eq!(
            batch_invert_words(&mut with_zero),
            Err(PcsError::PointInDomain)
        );
    }

    #[test]
    fn divisions_add_the_quotients_and_refuse_a_row_at_an_opening_point() {
        let xs: Vec<Val> = [1u32, 2, 12, 1 << 30].map(Val::from_u32).to_vec();
        let zs = points();
        let divisions = Divisions::new(&xs, &zs).unwrap();
        let numerators: Vec<Challenge> = (0..xs.len() as u32)
            .map(|r| {
                Challenge::from_basis_coefficients_fn(|i| Val::from_u32(40 + 9 * r + i as u32))
            })
            .collect();
        let claimed = Challenge::from_basis_coefficients_fn(|i| Val::from_u32(2 + i as u32));
        let mut out = alloc::vec![Challenge::ONE; xs.len()];
        for point in 0..zs.len() {
            divisions.add_quotients(point, &numerators, claimed, &mut out);
        }
        for (r, &x) in xs.iter().enumerate() {
            let expected: Challenge = Challenge::ONE
                + zs.iter()
                    .map(|&z| (numerators[r] - claimed) * (Challenge::from(x) - z).inverse())
                    .sum::<Challenge>();
            assert_eq!(out[r], expected, "row {r}");
        }
        assert!(matches!(
            Divisions::new(&[Val::from_u32(5), Val::from_u32(11)], &zs),
            Err(PcsError::PointInDomain)
        ));
    }
}
