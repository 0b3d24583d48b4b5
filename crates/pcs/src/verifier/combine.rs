//! Linear combinations of opened base-field values with extension-field weights: the verifier's
//! hottest arithmetic, once per opened value of every commitment round.
//!
//! `sum_c w_c v_c` with weights `w_c` in the degree-4 extension and values `v_c` in the base field
//! is, by basis coordinate, four base-field dot products. With field operations each coordinate
//! re-reads the row and reduces every block of 8 products (Plonky3's `dot_product`); here the
//! four coordinates run over one pass of the row and stay unreduced to its end. The products of
//! Montgomery words are below `p^2 < 2^62`, so four of them fit a `u64`; their sum is added to a
//! running `u64` whose carries a second word counts, and each coordinate is reduced once per row.
//! In the guest that is about 16 instructions per opened value instead of 28; there a DEEP run
//! goes to the EXT_COMBINE precompile instead (`run_combine.rs`), one `ecall` per run of
//! consecutive powers (a row of the machine's `ext_combine_rows` table per two values).

use alloc::vec::Vec;

use p3_field::{BasedVectorSpace, PrimeField32};

use crate::codec::{val_from_reduced, val_to_u32};
use crate::{Challenge, Val, EXT_DEGREE};

/// An extension-field weight as the Montgomery words of its basis coefficients.
pub(super) type Weight = [u32; EXT_DEGREE];

/// The [`Weight`] of `w`.
pub(super) fn weight(w: Challenge) -> Weight {
    let c = BasedVectorSpace::<Val>::as_basis_coefficients_slice(&w);
    core::array::from_fn(|d| val_to_u32(c[d]))
}

const P: u64 = Val::ORDER_U32 as u64;

/// `p^-1 mod 2^32` (Newton's iteration: each step doubles the correct low bits; `p` is odd, so
/// `p * p = 1 mod 8` starts with 3 of them).
const MU: u64 = {
    let mut inv = P;
    let mut i = 0;
    while i < 4 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(P.wrapping_mul(inv))) & 0xffff_ffff;
        i += 1;
    }
    inv
};

/// `2^32 mod p` and `2^64 mod p`.
const TWO_32: u64 = (1 << 32) % P;
const TWO_64: u64 = ((1u128 << 64) % P as u128) as u64;

/// Montgomery reduction of `x < 2^32 p`: the word of `x / 2^32 mod p`, below `p`.
#[inline(always)]
fn monty_reduce(x: u64) -> u32 {
    let t = x.wrapping_mul(MU) & 0xffff_ffff;
    let (d, borrow) = x.overflowing_sub(t * P);
    // x - t p is divisible by 2^32 and lies in (-2^32 p, 2^32 p).
    let hi = (d >> 32) as u32;
    if borrow {
        hi.wrapping_add(P as u32)
    } else {
        hi
    }
}

/// A sum of products of Montgomery words per basis coordinate, unreduced: `hi * 2^64 + lo`.
#[derive(Clone, Copy, Default)]
struct Acc {
    lo: [u64; EXT_DEGREE],
    hi: [u64; EXT_DEGREE],
}

impl Acc {
    /// Adds `s[d]` to coordinate `d`.
    #[inline(always)]
    fn add(&mut self, s: [u64; EXT_DEGREE]) {
        for ((lo, hi), s) in self.lo.iter_mut().zip(&mut self.hi).zip(s) {
            let sum = lo.wrapping_add(s);
            *hi += u64::from(sum < s);
            *lo = sum;
        }
    }

    /// The extension element `sum / 2^32` coordinate-wise: the products of two Montgomery words
    /// carry the factor `2^32` twice, so this is the Montgomery form of the plain sum. `hi` must
    /// be below `2^29`.
    #[inline(always)]
    fn reduce(&self) -> Challenge {
        Challenge::from_basis_coefficients_fn(|d| {
            debug_assert!(self.hi[d] >> 29 == 0);
            // hi 2^64 + lo = hi (2^64 mod p) + (lo >> 32) (2^32 mod p) + (lo mod 2^32) mod p,
            // below 2^60 < 2^32 p.
            let lo = self.lo[d];
            let x = self.hi[d] * TWO_64 + (lo >> 32) * TWO_32 + (lo & 0xffff_ffff);
            val_from_reduced(monty_reduce(x))
        })
    }
}

/// Columns combined before one reduction: each block of 4 columns adds at most one carry, so
/// this keeps the carry count below the `2^29` that [`Acc::reduce`] takes (a row opened from a
/// proof has fewer than `2^32` columns, so in practice a row is one block).
const MAX_COLUMNS: usize = 1 << 30;

/// `sum_c weights[c] * row[c]` (equal lengths).
#[inline]
pub(super) fn combine(weights: &[Weight], row: &[Val]) -> Challenge {
    combine_words(weights, row, |&v| val_to_u32(v))
}

/// `w * v` for one value: four Montgomery products (the product of two Montgomery words, reduced
/// once, is the Montgomery word of the product), cheaper than a [`combine`] of one column for
/// the odd value at either end of a guest's EXT_COMBINE run.
#[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
#[inline(always)]
pub(super) fn weighted(w: &Weight, v: Val) -> Challenge {
    let v = u64::from(val_to_u32(v));
    // Each product is below p^2 < 2^32 p, what `monty_reduce` takes.
    Challenge::from_basis_coefficients_fn(|d| val_from_reduced(monty_reduce(u64::from(w[d]) * v)))
}

/// `sum_c weights[c] * values[c]` for extension-field values (equal lengths): with `T_e` the
/// combination of the values' coordinates `e`, computed like a row's, the sum is
/// `sum_e X^e T_e` ([`crate::ext::recombine`]). A guest uses [`combine_ext_run`]'s precompile
/// route instead.
#[cfg(any(not(target_os = "zkvm"), test))]
pub(super) fn combine_ext(weights: &[Weight], values: &[Challenge]) -> Challenge {
    let by_coordinate: [Challenge; EXT_DEGREE] = core::array::from_fn(|e| {
        combine_words(weights, values, |v| {
            val_to_u32(BasedVectorSpace::<Val>::as_basis_coefficients_slice(v)[e])
        })
    });
    crate::ext::recombine(&by_coordinate)
}

/// `sum_c weights[c] * values[c]` for extension-field values whose weights are consecutive powers
/// of `alpha` (`weights[c] = weights[0] * alpha^c`: a matrix's claimed values at one point):
/// natively [`combine_ext`], in a guest four EXT_COMBINE calls, one per coordinate (see
/// [`by_coordinates`]), instead of about 16 instructions per coordinate of every value.
#[cfg(not(target_os = "zkvm"))]
pub(super) fn combine_ext_run(
    _alpha: &Weight,
    weights: &[Weight],
    values: &[Challenge],
) -> Challenge {
    combine_ext(weights, values)
}

/// See the native [`combine_ext_run`].
#[cfg(target_os = "zkvm")]
pub(super) fn combine_ext_run(
    alpha: &Weight,
    weights: &[Weight],
    values: &[Challenge],
) -> Challenge {
    match weights.first() {
        Some(w) => by_coordinates(values, |coordinate| {
            crate::precompile::ext_combine(coordinate, alpha, w)
        }),
        None => <Challenge as p3_field::PrimeCharacteristicRing>::ZERO,
    }
}

/// `sum_e X^e T_e` with `T_e = combine(v_0[e], v_1[e], ...)`, the combination of the values'
/// coordinates `e` ([`crate::ext::recombine`]), where `combine` takes each coordinate's words
/// laid out as EXT_COMBINE needs them: back to back, 8-byte aligned, in RAM (a heap buffer) and
/// padded with a zero to an even count (a zero adds nothing to a combination).
#[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
fn by_coordinates(values: &[Challenge], combine: impl Fn(&[Val]) -> Challenge) -> Challenge {
    let len = values.len().next_multiple_of(2);
    // Doublewords, so the buffer and (with `len` even) every coordinate's run are 8-byte aligned;
    // each written once, two words at a time (zeroing the buffer first was a `memset` call as
    // long as the writes).
    let mut buffer: Vec<u64> = Vec::with_capacity(EXT_DEGREE * len / 2);
    // The doubleword holding two consecutive words.
    let pair = |first: u32, second: u32| {
        let (low, high) = if cfg!(target_endian = "little") {
            (first, second)
        } else {
            (second, first)
        };
        u64::from(low) | u64::from(high) << 32
    };
    for e in 0..EXT_DEGREE {
        let word = |v: &Challenge| val_to_u32(v.as_basis_coefficients_slice()[e]);
        let pairs = values.chunks_exact(2);
        let last = pairs.remainder().first().map(|v| pair(word(v), 0));
        buffer.extend(pairs.map(|two| pair(word(&two[0]), word(&two[1]))));
        buffer.extend(last);
    }
    const { assert!(size_of::<[u64; 1]>() == 2 * size_of::<Val>()) };
    // SAFETY: the buffer is `EXT_DEGREE * len` initialized words (Montgomery words of field
    // elements, zero the Montgomery form of zero), and `Val` is `repr(transparent)` over its
    // `u32` word (`u64` alignment exceeds it).
    let words: &[Val] =
        unsafe { core::slice::from_raw_parts(buffer.as_ptr().cast::<Val>(), EXT_DEGREE * len) };
    let by_coordinate: [Challenge; EXT_DEGREE] =
        core::array::from_fn(|e| combine(&words[e * len..(e + 1) * len]));
    crate::ext::recombine(&by_coordinate)
}

/// `sum_c weights[c] * word(values[c])` (equal lengths), in blocks of at most [`MAX_COLUMNS`].
#[inline(always)]
fn combine_words<V>(weights: &[Weight], values: &[V], word: impl Fn(&V) -> u32) -> Challenge {
    debug_assert_eq!(weights.len(), values.len());
    if values.len() <= MAX_COLUMNS {
        return combine_block(weights, values, &word);
    }
    weights
        .chunks(MAX_COLUMNS)
        .zip(values.chunks(MAX_COLUMNS))
        .map(|(w, v)| combine_block(w, v, &word))
        .sum()
}

#[inline(always)]
fn combine_block<V>(weights: &[Weight], values: &[V], word: impl Fn(&V) -> u32) -> Challenge {
    let mut acc = Acc::default();
    let (w4, v4) = (weights.chunks_exact(4), values.chunks_exact(4));
    let (w_rest, v_rest) = (w4.remainder(), v4.remainder());
    for (w, r) in w4.zip(v4) {
        let v: [u64; 4] = core::array::from_fn(|i| u64::from(word(&r[i])));
        // Four products of words below p: below 4 p^2 < 2^64.
        acc.add(core::array::from_fn(|d| {
            u64::from(w[0][d]) * v[0]
                + u64::from(w[1][d]) * v[1]
                + u64::from(w[2][d]) * v[2]
                + u64::from(w[3][d]) * v[3]
        }));
    }
    for (w, r) in w_rest.iter().zip(v_rest) {
        let v = u64::from(word(r));
        acc.add(w.map(|w| u64::from(w) * v));
    }
    acc.reduce()
}

#[cfg(test)]
pub(super) mod tests {
    use alloc::vec::Vec;

    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    pub(in crate::verifier) fn random_val(rng: &mut StdRng) -> Val {
        val_from_reduced(rng.gen_range(0..Val::ORDER_U32))
    }

    pub(in crate::verifier) fn random_ext(rng: &mut StdRng) -> Challenge {
        Challenge::from_basis_coefficients_fn(|_| random_val(rng))
    }

    fn naive(weights: &[Challenge], row: &[Val]) -> Challenge {
        weights.iter().zip(row).map(|(&w, &v)| w * v).sum()
    }

    #[test]
    fn constants() {
        assert_eq!(MU.wrapping_mul(P) & 0xffff_ffff, 1);
        assert_eq!(TWO_64, (u64::MAX % P + 1) % P);
        assert_eq!(TWO_32, (1 << 25) - 2);
    }

    #[test]
    fn combination_equals_field_arithmetic() {
        let mut rng = StdRng::seed_from_u64(7);
        for width in (0..40).chain([257, 1000]) {
            let weights: Vec<Challenge> = (0..width).map(|_| random_ext(&mut rng)).collect();
            let row: Vec<Val> = (0..width).map(|_| random_val(&mut rng)).collect();
            let words: Vec<Weight> = weights.iter().map(|&w| weight(w)).collect();
            assert_eq!(
                combine(&words, &row),
                naive(&weights, &row),
                "width {width}"
            );
        }
    }

    #[test]
    fn extension_combination_equals_field_arithmetic() {
        let mut rng = StdRng::seed_from_u64(9);
        for width in (0..12).chain([101]) {
            let weights: Vec<Challenge> = (0..width).map(|_| random_ext(&mut rng)).collect();
            let values: Vec<Challenge> = (0..width).map(|_| random_ext(&mut rng)).collect();
            let words: Vec<Weight> = weights.iter().map(|&w| weight(w)).collect();
            let expected: Challenge = weights.iter().zip(&values).map(|(&w, &v)| w * v).sum();
            assert_eq!(combine_ext(&words, &values), expected, "width {width}");
        }
    }

    /// The guest's route for claimed values: the combination of each coordinate's words (as
    /// EXT_COMBINE computes it, `w * sum_c alpha^c u_c`, here in software) recombined.
    #[test]
    fn combination_by_coordinates_equals_the_extension_combination() {
        let mut rng = StdRng::seed_from_u64(11);
        let alpha = random_ext(&mut rng);
        let first = random_ext(&mut rng);
        // `first * alpha^c` for `c < len`.
        let weights = |len: usize| -> Vec<Challenge> {
            p3_field::PrimeCharacteristicRing::powers(&alpha)
                .take(len)
                .map(|a| first * a)
                .collect()
        };
        for width in (0..10).chain([101]) {
            let values: Vec<Challenge> = (0..width).map(|_| random_ext(&mut rng)).collect();
            let expected: Challenge = weights(width)
                .iter()
                .zip(&values)
                .map(|(&w, &v)| w * v)
                .sum();
            let got = by_coordinates(&values, |words| {
                assert!(words.len() % 2 == 0 && words.as_ptr() as usize % 8 == 0);
                naive(&weights(words.len()), words)
            });
            assert_eq!(got, expected, "width {width}");
        }
    }

    #[test]
    fn one_weighted_value_equals_the_field_product() {
        let mut rng = StdRng::seed_from_u64(13);
        let top = val_from_reduced(Val::ORDER_U32 - 1);
        let w_top = Challenge::from_basis_coefficients_fn(|_| top);
        for (w, v) in [(w_top, top)]
            .into_iter()
            .chain((0..20).map(|_| (random_ext(&mut rng), random_val(&mut rng))))
        {
            assert_eq!(weighted(&weight(w), v), w * v);
        }
    }

    /// The largest words everywhere: the running sums carry on almost every block.
    #[test]
    fn largest_words_carry_correctly() {
        let top = val_from_reduced(Val::ORDER_U32 - 1);
        let w = Challenge::from_basis_coefficients_fn(|_| top);
        for width in [1, 3, 4, 5, 8, 4099] {
            let weights = alloc::vec![w; width];
            let row = alloc::vec![top; width];
            let words: Vec<Weight> = weights.iter().map(|&w| weight(w)).collect();
            assert_eq!(
                combine(&words, &row),
                naive(&weights, &row),
                "width {width}"
            );
        }
    }

    /// The reduction of `hi * 2^64 + lo` over the whole range of `lo` and `hi`.
    #[test]
    fn reduction_of_any_sum() {
        let mut rng = StdRng::seed_from_u64(8);
        for hi in [0, 1, 5, 1 << 20, (1 << 29) - 1] {
            let lo: u64 = rng.gen();
            let acc = Acc {
                lo: [lo, u64::MAX, 0, P << 33],
                hi: [hi; EXT_DEGREE],
            };
            let got = acc.reduce();
            for d in 0..EXT_DEGREE {
                let x = (u128::from(acc.hi[d]) << 64) | u128::from(acc.lo[d]);
                assert_eq!(
                    BasedVectorSpace::<Val>::as_basis_coefficients_slice(&got)[d],
                    word_over_r(x),
                    "hi {hi}, coordinate {d}"
                );
            }
        }
    }

    /// The element whose Montgomery word is `x / 2^32 mod p`, by plain integer arithmetic.
    fn word_over_r(x: u128) -> Val {
        let p = u128::from(P);
        // 2^-32 mod p by Fermat.
        let mut inv = 1u128;
        let mut base = (1u128 << 32) % p;
        let mut e = p - 2;
        while e > 0 {
            if e & 1 == 1 {
                inv = inv * base % p;
            }
            base = base * base % p;
            e >>= 1;
        }
        val_from_reduced((x % p * inv % p) as u32)
    }
}
