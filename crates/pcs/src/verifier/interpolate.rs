//! A folding coset folded by interpolation, for the verifier inside a guest: the same value as
//! [`crate::fold::fold_coset`], with the extension arithmetic moved into one Horner sum that
//! EXT_COMBINE computes.
//!
//! Folding the `2^k` values of a coset with challenges `beta, beta^2, ...` evaluates at `beta` the
//! polynomial `P` of degree `< 2^k` through them (`crate::fold`'s module docs). The coset is
//! `x * <mu>` with `mu` of order `2^k`, in bit-reversed order, so with `Q(Y) = P(x Y)` the values
//! are `Q(mu^t)`, `Q`'s coefficients times `2^k` are their inverse DFT `d_t` (base-field twiddles:
//! coordinate by coordinate), and with `y = beta / x`:
//!
//! `P(beta) = Q(y) = 2^-k sum_t d_t y^t`.
//!
//! The round's inner inputs (sub-cosets of `2^m` values, joining with weight `b = beta^(2^(k-m))`
//! when the binary folds reach their length) fold the same way, since folding is linear: such an
//! input adds `b P_in(b)`, where `P_in` goes through its values on `x^(2^(k-m)) * <mu^(2^(k-m))>`,
//! and `b / x^(2^(k-m)) = y^(2^(k-m))`, so
//!
//! `b P_in(b) = 2^-k sum_t (2^(k-m) x^(2^(k-m)) d'_t) y^((t+1) 2^(k-m))`
//!
//! with `d'` the inverse DFT of the input's values: the same powers of `y`, up to `y^(2^k)`. So a
//! coset and all of its inner inputs are one sum `2^-k sum_j D_j y^j` of `2^k + 1` extension
//! coefficients: per coordinate, one EXT_COMBINE call (`w * sum_j alpha^j v_j` over base values),
//! recombined with the basis ([`crate::ext::recombine`]).
//!
//! Why: in software a binary fold is two extension multiplications and a dozen reductions (about
//! 280 instructions, seven per coset of 8) and an inner value one more multiplication (about 150).
//! The inverse DFTs here run on `u64` words reduced lazily: a butterfly without a twiddle is two
//! additions, a twiddle one multiplication and one `remu` (one cycle on this machine, where a
//! Montgomery reduction is about eight instructions), and a word is reduced once at the end.

use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, PrimeField32, TwoAdicField};

use super::combine::{weight, Weight};
use super::run_combine::CombineCall;
use crate::codec::{val_from_reduced, val_to_u32};
use crate::ext::reduce;
use crate::fold::{bitrev_point, pair_point_inverse, CosetFold};
use crate::params::MAX_LOG_FOLDING_ARITY;
use crate::{Challenge, Val, EXT_DEGREE};

/// Most values of one part of a leaf (the codeword's coset).
const MAX_PART: usize = 1 << MAX_LOG_FOLDING_ARITY;

/// Coefficients of the sum: `y^0 ..= y^(2^k)`, padded to an even count (EXT_COMBINE reads
/// doublewords).
const MAX_TERMS: usize = MAX_PART + 2;

const P: u64 = Val::ORDER_U32 as u64;

// The lazy reductions' bounds below assume cosets of at most 8 values.
const _: () = assert!(MAX_LOG_FOLDING_ARITY <= 3);

/// One coordinate's coefficients, `2^k + 2` of them used (an even count), 8-byte aligned as
/// EXT_COMBINE reads them.
#[repr(C, align(8))]
struct Run([Val; MAX_TERMS]);

/// What the interpolations of every coset share, computed once per verification, and their
/// scratch sums.
pub(super) struct Interpolation {
    /// For a butterfly stage of span `2^s`, the canonical `omega_(2^s)^-j` for `j < 2^(s - 1)`,
    /// at `[2^(s - 1) - 1 + j]` (they depend on the stage, not on the DFT's size).
    twiddles: [u64; MAX_PART - 1],
    /// `2^-k` at `[k]`, as EXT_COMBINE weights.
    inverse_sizes: [Weight; MAX_LOG_FOLDING_ARITY as usize + 1],
    /// One coordinate's sums: the codeword's part rewrites `sums[..=n]`, all that the inner
    /// inputs add to and the run reads, so they are never cleared (a zeroed array per coset was
    /// a `memset` call).
    sums: [u64; MAX_PART + 1],
}

impl Interpolation {
    pub(super) fn new() -> Self {
        let mut twiddles = [1; MAX_PART - 1];
        for s in 1..=MAX_LOG_FOLDING_ARITY as usize {
            let root_inv = Val::two_adic_generator(s).inverse();
            let half = 1 << (s - 1);
            let mut power = Val::ONE;
            for twiddle in &mut twiddles[half - 1..2 * half - 1] {
                *twiddle = u64::from(power.as_canonical_u32());
                power *= root_inv;
            }
        }
        let mut inverse = Val::ONE;
        let inverse_sizes = core::array::from_fn(|k| {
            if k > 0 {
                inverse = inverse.halve();
            }
            weight(Challenge::from(inverse))
        });
        Self {
            twiddles,
            inverse_sizes,
            sums: [0; MAX_PART + 1],
        }
    }
}

/// The unnormalised inverse DFT of `words` (Montgomery words below p, bit-reversed order in,
/// natural order out): radix-2 decimation-in-time butterflies on unreduced `u64`s, unrolled for
/// each size. A stage's inputs are below `B` (`p` at first); `a + t` and `a + B - t` (with
/// `t < B`, reduced when twiddled) are below `2 B`, so after `N <= 8` values the outputs are below
/// `8 p < 2^34`, and a twiddle's product below `2^33 p < 2^64`. A Montgomery word times a
/// canonical twiddle, reduced mod p, is the Montgomery word of the product.
#[inline(always)]
fn inverse_dft<const N: usize>(words: &mut [u64; N], twiddles: &[u64; MAX_PART - 1]) {
    let (mut span, mut bound) = (2, P);
    while span <= N {
        let half = span / 2;
        let mut start = 0;
        while start < N {
            for j in 0..half {
                let (a, b) = (words[start + j], words[start + j + half]);
                // `twiddles[half - 1]` is 1.
                let t = if j == 0 {
                    b
                } else {
                    reduce(b * twiddles[half - 1 + j])
                };
                words[start + j] = a + t;
                words[start + j + half] = a + bound - t;
            }
            start += span;
        }
        span *= 2;
        bound *= 2;
    }
}

/// Adds coordinate `e` of one part of a leaf (`N` values, bit-reversed) to the sums: its inverse
/// DFT's `d_t` at `[t]` and zero at `[N]` (the codeword, `scale` None: it starts the sums), or
/// `scale * d_t` at `[(t + 1) step]` (an inner input). Sums stay below `(1 + inner inputs) p`.
#[inline(always)]
fn add_part<const N: usize>(
    values: &[Challenge],
    e: usize,
    twiddles: &[u64; MAX_PART - 1],
    sums: &mut [u64; MAX_PART + 1],
    step_scale: Option<(usize, u64)>,
) {
    let mut words = [0u64; N];
    for (word, v) in words.iter_mut().zip(values) {
        *word = u64::from(val_to_u32(v.as_basis_coefficients_slice()[e]));
    }
    inverse_dft::<N>(&mut words, twiddles);
    match step_scale {
        None => {
            for (sum, &d) in sums.iter_mut().zip(&words) {
                *sum = reduce(d);
            }
            sums[N] = 0;
        }
        // An inner input has at most 4 values, so `d < 4 p` and `d * scale < 4 p^2 < 2^64`.
        Some((step, scale)) => {
            for (t, &d) in words.iter().enumerate() {
                sums[(t + 1) * step] += reduce(d * scale);
            }
        }
    }
}

/// [`add_part`] for a part of `values.len()` values: 2, 4 or 8 (a round folds by at most
/// `2^MAX_LOG_FOLDING_ARITY`, and an inner input has at least 2 values).
fn add_part_of_len(
    values: &[Challenge],
    e: usize,
    twiddles: &[u64; MAX_PART - 1],
    sums: &mut [u64; MAX_PART + 1],
    step_scale: Option<(usize, u64)>,
) {
    match values.len() {
        8 => add_part::<8>(values, e, twiddles, sums, step_scale),
        4 => add_part::<4>(values, e, twiddles, sums, step_scale),
        2 => add_part::<2>(values, e, twiddles, sums, step_scale),
        len => unreachable!("a leaf part of {len} values"),
    }
}

/// [`crate::fold::fold_coset`] by interpolation (module docs): a coset of `codeword` (bit-reversed)
/// over `shift * H` (`|H| = 2^log_n`), with the round's `inner` inputs by decreasing length;
/// `B` is EXT_COMBINE's `w * sum_c alpha^c v_c` over one coordinate run, with one block (`alpha`
/// and `w` are the same for the four coordinates).
#[allow(clippy::too_many_arguments)]
pub(super) fn fold_coset_interpolated<B: CombineCall>(
    codeword: &[Challenge],
    inner: &[&[Challenge]],
    fold: &CosetFold,
    log_n: usize,
    (shift, shift_inv): (Val, Val),
    coset: usize,
    shared: &mut Interpolation,
) -> Challenge {
    let log_arity = fold.log_arity();
    let n = 1 << log_arity;
    debug_assert_eq!(codeword.len(), n);
    let y = fold.beta(0) * pair_point_inverse(log_n, shift_inv, coset << (log_arity - 1));
    let x = bitrev_point(log_n, shift, coset << log_arity);
    // Per inner input: its coefficients' step `2^(k-m)` and canonical scale `2^(k-m) x^(2^(k-m))`.
    let mut steps = [(0, 0); MAX_LOG_FOLDING_ARITY as usize];
    for (step, input) in steps.iter_mut().zip(inner) {
        let folds = log_arity - input.len().trailing_zeros() as usize;
        let scale = x.exp_power_of_2(folds) * Val::from_u32(1 << folds);
        *step = (1 << folds, u64::from(scale.as_canonical_u32()));
    }
    let len = n + 2;
    let mut call = B::new(&weight(y), &shared.inverse_sizes[log_arity]);
    let (twiddles, sums) = (&shared.twiddles, &mut shared.sums);
    let by_coordinate: [Challenge; EXT_DEGREE] = core::array::from_fn(|e| {
        add_part_of_len(codeword, e, twiddles, sums, None);
        for (input, &step_scale) in inner.iter().zip(&steps) {
            add_part_of_len(input, e, twiddles, sums, Some(step_scale));
        }
        // Every word written once: the sums, then zero padding (no zeroed buffer first).
        let run = Run(core::array::from_fn(|t| match sums.get(t) {
            Some(&sum) if t <= n => val_from_reduced(reduce(sum) as u32),
            _ => Val::ZERO,
        }));
        call.call(&run.0[..len])
    });
    crate::ext::recombine(&by_coordinate)
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::fold::{fold_coset, lde_shift};
    use crate::verifier::combine::tests::random_ext;
    use crate::verifier::run_combine::tests::Software;

    /// Every arity, every set of inner inputs a round can have, several cosets and codeword
    /// sizes: the interpolated fold equals the binary folds.
    #[test]
    fn interpolation_folds_like_the_binary_folds() {
        let mut rng = StdRng::seed_from_u64(7);
        for log_arity in 1..=MAX_LOG_FOLDING_ARITY as usize {
            // Inner inputs: any subset of the lengths 2^(log_arity - 1) .. 2, decreasing.
            for subset in 0..1usize << (log_arity - 1) {
                let lengths: Vec<usize> = (1..log_arity)
                    .rev()
                    .filter(|m| subset >> (m - 1) & 1 == 1)
                    .map(|m| 1 << m)
                    .collect();
                for log_n in [log_arity, log_arity + 4, 20] {
                    let beta = random_ext(&mut rng);
                    let fold = CosetFold::new(log_arity, beta);
                    let shift = lde_shift().exp_power_of_2(rng.gen_range(0..3));
                    let coset = rng.gen_range(0..1usize << (log_n - log_arity));
                    let codeword: Vec<Challenge> =
                        (0..1 << log_arity).map(|_| random_ext(&mut rng)).collect();
                    let inputs: Vec<Vec<Challenge>> = lengths
                        .iter()
                        .map(|&len| (0..len).map(|_| random_ext(&mut rng)).collect())
                        .collect();
                    let inner: Vec<&[Challenge]> = inputs.iter().map(|v| v.as_slice()).collect();
                    let shift_inv = shift.inverse();
                    let expected = fold_coset(
                        &mut codeword.clone(),
                        &inner,
                        &fold,
                        log_n,
                        shift_inv,
                        coset,
                    );
                    let got = fold_coset_interpolated::<Software>(
                        &codeword,
                        &inner,
                        &fold,
                        log_n,
                        (shift, shift_inv),
                        coset,
                        &mut Interpolation::new(),
                    );
                    assert_eq!(
                        got, expected,
                        "arity 2^{log_arity}, inner {lengths:?}, log_n {log_n}, coset {coset}"
                    );
                }
            }
        }
    }
}
