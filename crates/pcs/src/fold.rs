//! FRI arithmetic shared by prover and verifier: the folding schedule and the 2-to-1 fold.
//!
//! Codewords are stored in bit-reversed order over a coset `s * H` (`|H| = 2^n`). In that order
//! positions `2j` and `2j + 1` hold `f(x)` and `f(-x)` with `x = s * omega_{2^n}^{bitrev_{n-1}(j)}`,
//! and the folded codeword `g(x^2) = (f(x) + f(-x)) / 2 + beta * (f(x) - f(-x)) / (2x)` lands at
//! position `j`, again in bit-reversed order over `s^2 * H^2`. Folding by `2^k` is `k` such
//! binary folds with challenges `beta, beta^2, beta^4, ...`, which equals the arity-`2^k` fold
//! `sum_t beta^t f_t` of `f(X) = sum_t X^t f_t(X^(2^k))`; a folding coset is `2^k` consecutive
//! positions, so one Merkle leaf holds it.

use alloc::vec::Vec;

use p3_field::{Field, PrimeCharacteristicRing, TwoAdicField};
#[cfg(any(not(target_os = "zkvm"), test))]
use p3_util::reverse_bits_len;

use crate::params::MAX_LOG_FOLDING_ARITY;
use crate::{Challenge, FriParameters, Val};

/// The folding rounds for one opening, derived from the LDE heights alone so that prover and
/// verifier agree without sending it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FoldPlan {
    /// log2 of the largest LDE height (where folding starts).
    pub log_max_height: usize,
    /// log2 of the number of final-polynomial coefficients.
    pub log_final_len: usize,
    /// log2 of the final codeword length (`log_final_len + log_blowup`).
    pub log_final_height: usize,
    /// The folding rounds, in order.
    pub rounds: Vec<RoundPlan>,
}

/// One folding round: from a codeword of `2^n` values down to `2^(n - log_arity)`.
///
/// Inputs (batched DEEP quotients of shorter matrices) whose height falls strictly inside the
/// round, `n - log_arity < h < n`, are committed in this round's Merkle leaves next to the
/// codeword coset, each as its sub-coset of `2^(h - n + log_arity)` values, and added while the
/// coset is folded, when the binary folds reach their height. An input at the round's end height
/// is added after the round, as the first input is the codeword itself. So every round folds by
/// the full arity however many heights the tables have: one tree per round, not one per height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RoundPlan {
    /// log2 of the folding arity.
    pub log_arity: usize,
    /// Heights of the inputs committed inside this round (decreasing).
    pub inner_heights: Vec<usize>,
}

impl RoundPlan {
    /// The parts of one leaf, in leaf order, for a round starting at height `2^log_n`: the
    /// codeword coset, then each inner input's sub-coset, as `(log height, log size)`.
    pub fn leaf_parts(&self, log_n: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let log_end = log_n - self.log_arity;
        core::iter::once((log_n, self.log_arity))
            .chain(self.inner_heights.iter().map(move |&h| (h, h - log_end)))
    }

    /// Extension elements per leaf.
    pub fn leaf_len(&self, log_n: usize) -> usize {
        self.leaf_parts(log_n).map(|(_, size)| 1 << size).sum()
    }
}

impl FoldPlan {
    /// `lde_log_heights`: the distinct LDE heights holding opened matrices, in any order, non-empty;
    /// `min_log_height`: the smallest trace height (the final polynomial cannot be longer than it).
    ///
    /// Each round folds by the configured arity, the last one shortened to land on the final
    /// height; input heights inside a round become its inner inputs.
    pub fn new(params: &FriParameters, lde_log_heights: &[usize], min_log_height: usize) -> Self {
        let log_blowup = usize::from(params.log_blowup);
        let log_final_len = usize::from(params.log_final_poly_len).min(min_log_height);
        let log_final_height = log_final_len + log_blowup;
        let log_max_height = lde_log_heights
            .iter()
            .copied()
            .max()
            .unwrap_or(log_final_height);
        let mut rounds = Vec::new();
        let mut current = log_max_height;
        while current > log_final_height {
            let log_arity = usize::from(params.log_folding_arity).min(current - log_final_height);
            let end = current - log_arity;
            let mut inner_heights: Vec<usize> = lde_log_heights
                .iter()
                .copied()
                .filter(|&h| end < h && h < current)
                .collect();
            inner_heights.sort_unstable_by(|a, b| b.cmp(a));
            inner_heights.dedup();
            rounds.push(RoundPlan {
                log_arity,
                inner_heights,
            });
            current = end;
        }
        Self {
            log_max_height,
            log_final_len,
            log_final_height,
            rounds,
        }
    }
}

/// The coset shift of every LDE: the field's multiplicative generator, so LDE domains never meet
/// the trace subgroup.
pub(crate) fn lde_shift() -> Val {
    Val::GENERATOR
}

/// `omega_{log_n}^{bitrev_{log_n}(index)}` for any `log_n` with `index < 2^log_n`: the bit `i` of
/// `index` contributes `omega_{log_n}^{2^(log_n - 1 - i)} = omega_{i + 1}`, so the point is the
/// product of `omega_{i + 1}` over the set bits of `index`, whatever `log_n` (one
/// multiplication per set bit instead of an exponentiation). `index < 2^TWO_ADICITY`.
#[cfg(not(target_os = "zkvm"))]
fn bitrev_root(index: usize) -> Val {
    let mut root = Val::ONE;
    let mut bits = index;
    let mut k = 1;
    while bits != 0 {
        if bits & 1 == 1 {
            root *= Val::two_adic_generator(k);
        }
        bits >>= 1;
        k += 1;
    }
    root
}

/// [`bitrev_root`] in a guest: the product over the set bits of `index`, a byte at a time from
/// [`ROOT_PRODUCTS`], each product a Montgomery word times a canonical integer reduced by one
/// `remu` (one cycle): about fifteen instructions where the bit loop with field products took
/// about 130. The verifier computes a point per queried row and height and two per FRI coset.
#[cfg(target_os = "zkvm")]
fn bitrev_root(index: usize) -> Val {
    bitrev_root_by_remainders(index)
}

/// See the guest's [`bitrev_root`]. `index < 2^TWO_ADICITY`.
#[cfg(any(target_os = "zkvm", test))]
fn bitrev_root_by_remainders(index: usize) -> Val {
    use crate::codec::{val_from_reduced, val_to_u32};
    let mut root = u64::from(val_to_u32(Val::ONE));
    for (byte, products) in ROOT_PRODUCTS.iter().enumerate() {
        let factor = products[(index >> (8 * byte)) & 0xff];
        // A Montgomery word times a canonical integer, reduced, is the product's Montgomery
        // word; both are below p, so the product is below 2^62.
        root = crate::ext::reduce(root * u64::from(factor));
    }
    val_from_reduced(root as u32)
}

/// `Val::two_adic_generator(k)` as canonical integers (the test below checks them).
#[cfg(any(target_os = "zkvm", test))]
const TWO_ADIC_GENERATORS: [u32; Val::TWO_ADICITY + 1] = [
    1, 2130706432, 2113994754, 1748172362, 148625052, 170455089, 1548376985, 699882112, 392596362,
    665670555, 860702919, 2000983452, 1989134074, 809067698, 1047035213, 1168510561, 1848593786,
    373019801, 1816824389, 339671193, 1364057261, 1213133211, 542991299, 1760025929, 1791270792,
];

/// `ROOT_PRODUCTS[c][b]`: the product of `omega_(8c + i + 1)` over the set bits `i` of the byte
/// `b` (canonical): [`bitrev_root`] of the byte `b` at position `c` of an index. Built at compile
/// time (3 KiB).
#[cfg(any(target_os = "zkvm", test))]
const ROOT_PRODUCTS: [[u32; 256]; Val::TWO_ADICITY / 8] = {
    const P: u64 = <Val as p3_field::PrimeField32>::ORDER_U32 as u64;
    let mut table = [[1u32; 256]; Val::TWO_ADICITY / 8];
    let mut c = 0;
    while c < table.len() {
        let mut b = 0;
        while b < 256 {
            let mut product = 1u64;
            let mut i = 0;
            while i < 8 {
                if (b >> i) & 1 == 1 {
                    product = product * TWO_ADIC_GENERATORS[8 * c + i + 1] as u64 % P;
                }
                i += 1;
            }
            table[c][b] = product as u32;
            b += 1;
        }
        c += 1;
    }
    table
};

/// The low `bits` bits of `index`.
fn low_bits(index: usize, bits: usize) -> usize {
    index & ((1 << bits) - 1)
}

/// `1 / x` for the pair `j` of a bit-reversed codeword over `shift * H_{2^log_n}`
/// (`1 <= log_n <= TWO_ADICITY`), where `x = shift * omega^e`, `e = bitrev_{log_n - 1}(j)`,
/// without a field inversion: `omega^-e = omega^(2^log_n - e)` and
/// `2^log_n - e = bitrev_{log_n - 1}(j') + 2^(log_n - 1) + 1` with `j'` the complement of `j`
/// in `log_n - 1` bits, so `1/x = -shift^-1 * omega * bitrev_root(2 j')`
/// (`omega^(2^(log_n - 1)) = -1`).
pub(crate) fn pair_point_inverse(log_n: usize, shift_inv: Val, j: usize) -> Val {
    let complement = low_bits(!j, log_n - 1);
    -(shift_inv * Val::two_adic_generator(log_n)) * bitrev_root(complement << 1)
}

/// The binary fold of `(f(x), f(-x))` at challenge `beta`, given `1/x` (a guest folds cosets by
/// interpolation instead: `verifier::interpolate`).
#[cfg(any(not(target_os = "zkvm"), test))]
#[inline]
pub(crate) fn fold_pair(lo: Challenge, hi: Challenge, beta: Challenge, x_inv: Val) -> Challenge {
    ((lo + hi) + (lo - hi) * beta * x_inv).halve()
}

/// What folding a coset of one round needs beyond its values, the same for every coset: the
/// challenge powers of its binary folds and, per fold, the pair points relative to the first.
pub(crate) struct CosetFold {
    log_arity: usize,
    /// `beta^(2^level)`, up to the power after the last fold.
    betas: [Challenge; MAX_LOG_FOLDING_ARITY as usize + 1],
    /// At each level, pair `j`'s `1/x` over the first pair's: `omega^-bitrev(j)` for `omega` of
    /// order `2^(log_arity - level)`.
    #[cfg(any(not(target_os = "zkvm"), test))]
    roots: [[Val; 1 << (MAX_LOG_FOLDING_ARITY - 1)]; MAX_LOG_FOLDING_ARITY as usize],
}

impl CosetFold {
    /// For a round folding by `2^log_arity` (at most [`MAX_LOG_FOLDING_ARITY`]) at `beta`.
    pub(crate) fn new(log_arity: usize, beta: Challenge) -> Self {
        let mut betas = [beta; MAX_LOG_FOLDING_ARITY as usize + 1];
        for level in 1..betas.len() {
            betas[level] = betas[level - 1].square();
        }
        #[cfg(any(not(target_os = "zkvm"), test))]
        let mut roots =
            [[Val::ONE; 1 << (MAX_LOG_FOLDING_ARITY - 1)]; MAX_LOG_FOLDING_ARITY as usize];
        #[cfg(any(not(target_os = "zkvm"), test))]
        for (level, level_roots) in roots.iter_mut().enumerate().take(log_arity) {
            let log_half = log_arity - level - 1;
            // The inverse of a primitive `2^k`-th root of unity is its `(2^k - 1)`-th power.
            let root_inv = Val::two_adic_generator(log_half + 1).exp_u64((2 << log_half) - 1);
            let mut power = Val::ONE;
            for k in 0..1 << log_half {
                level_roots[reverse_bits_len(k, log_half)] = power;
                power *= root_inv;
            }
        }
        Self {
            log_arity,
            betas,
            #[cfg(any(not(target_os = "zkvm"), test))]
            roots,
        }
    }
}

impl CosetFold {
    /// `beta^(2^log_arity)`: the weight of an input at the round's end height.
    pub(crate) fn end_weight(&self) -> Challenge {
        self.betas[self.log_arity]
    }

    /// log2 of the round's arity.
    #[cfg(any(target_os = "zkvm", test))]
    pub(crate) fn log_arity(&self) -> usize {
        self.log_arity
    }

    /// The challenge of binary fold `level`: `beta^(2^level)` (`level <= log_arity`).
    #[cfg(any(target_os = "zkvm", test))]
    pub(crate) fn beta(&self, level: usize) -> Challenge {
        self.betas[level]
    }
}

/// Fold one folding coset (the `2^log_arity` values at positions `coset * 2^log_arity ..`) of a
/// codeword of length `2^log_n` over `shift * H` (given `shift_inv = 1 / shift`) down to its
/// single folded value, adding the round's inner inputs on the way: `inner` holds their
/// sub-cosets by decreasing height, and one of `2^m` values joins, times the current challenge
/// power, when the binary folds have brought the coset down to `2^m` values (so it has the same
/// weight as if it had been rolled in at the end of a round of its own).
#[cfg(any(not(target_os = "zkvm"), test))]
pub(crate) fn fold_coset(
    values: &mut [Challenge],
    inner: &[&[Challenge]],
    fold: &CosetFold,
    log_n: usize,
    shift_inv: Val,
    coset: usize,
) -> Challenge {
    let log_arity = fold.log_arity;
    let mut len = values.len();
    let mut inner = inner.iter().peekable();
    // `1/x` of the coset's first pair; folding squares the points, so each level's first pair
    // point is the square of the previous level's, and the other pairs' are the first one's
    // times roots of unity shared by every coset.
    let mut first_inv = pair_point_inverse(log_n, shift_inv, coset << (log_arity - 1));
    for (level, (&beta, roots)) in fold
        .betas
        .iter()
        .zip(&fold.roots)
        .take(log_arity)
        .enumerate()
    {
        let half = len / 2;
        for j in 0..half {
            values[j] = fold_pair(values[2 * j], values[2 * j + 1], beta, first_inv * roots[j]);
        }
        len = half;
        first_inv = first_inv.square();
        if let Some(input) = inner.next_if(|input| input.len() == len) {
            let weight = fold.betas[level + 1];
            for (v, &x) in values.iter_mut().zip(input.iter()) {
                *v += weight * x;
            }
        }
    }
    values[0]
}

/// Point `shift * omega^{bitrev(index)}` of a bit-reversed codeword of length `2^log_n`
/// (`log_n <= TWO_ADICITY`).
pub(crate) fn bitrev_point(log_n: usize, shift: Val, index: usize) -> Val {
    shift * bitrev_root(low_bits(index, log_n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(log_arity: u8, log_final: u8) -> FriParameters {
        FriParameters {
            log_blowup: 1,
            num_queries: 1,
            query_pow_bits: 0,
            log_folding_arity: log_arity,
            log_final_poly_len: log_final,
            deep_pow_bits: 0,
            logup_pow_bits: 0,
        }
    }

    /// The points by bit products equal their definitions by exponentiation.
    #[test]
    fn points_without_exponentiation() {
        let shift = lde_shift();
        let shift_inv = shift.inverse();
        for log_n in 0..=Val::TWO_ADICITY {
            let omega = Val::two_adic_generator(log_n);
            let indices: Vec<usize> = if log_n <= 4 {
                (0..1 << log_n).collect()
            } else {
                [0, 1, 2, 5, (1 << log_n) / 3, (1 << log_n) - 1].into()
            };
            for &i in &indices {
                let e = reverse_bits_len(i, log_n) as u64;
                assert_eq!(bitrev_point(log_n, shift, i), shift * omega.exp_u64(e));
                if log_n >= 1 && i < 1 << (log_n - 1) {
                    let x = bitrev_point(log_n, shift, 2 * i);
                    assert_eq!(pair_point_inverse(log_n, shift_inv, i) * x, Val::ONE);
                    // The pair's other point is -x.
                    assert_eq!(bitrev_point(log_n, shift, 2 * i + 1), -x);
                }
            }
        }
    }

    /// The guest's remainder products give the same roots, from the same generators.
    #[test]
    fn roots_by_remainders_equal_the_field_products() {
        use p3_field::PrimeField32;
        for (k, &g) in TWO_ADIC_GENERATORS.iter().enumerate() {
            assert_eq!(
                Val::two_adic_generator(k).as_canonical_u32(),
                g,
                "omega_{k}"
            );
        }
        for index in [0, 1, 2, 3, 5, 0xabcd, (1 << 23) + 77, (1 << 24) - 1] {
            assert_eq!(
                bitrev_root_by_remainders(index),
                bitrev_root(index),
                "{index}"
            );
        }
    }

    fn arities(plan: &FoldPlan) -> Vec<usize> {
        plan.rounds.iter().map(|r| r.log_arity).collect()
    }

    #[test]
    fn plan_folds_by_full_arity_and_commits_inner_heights() {
        // Trace heights 2^3, 2^5, 2^8 with blowup 2: LDE heights 4, 6, 9, final height 2.
        // Height 6 ends the first round (rolled in after it), height 4 lies inside the second
        // (6 -> 3), and the last round is shortened to land on the final height.
        let plan = FoldPlan::new(&params(3, 1), &[9, 6, 4], 3);
        assert_eq!(arities(&plan), [3, 3, 1]);
        assert_eq!(plan.log_final_height, 2);
        assert_eq!(plan.rounds[0].inner_heights, Vec::<usize>::new());
        assert_eq!(plan.rounds[1].inner_heights, [4]);
        assert_eq!(plan.rounds[1].leaf_len(6), 8 + 2);
        // Several heights inside one round, largest first.
        let plan = FoldPlan::new(&params(3, 0), &[12, 11, 10, 9, 7], 6);
        assert_eq!(arities(&plan), [3, 3, 3, 2]);
        assert_eq!(plan.rounds[0].inner_heights, [11, 10]);
        assert_eq!(
            plan.rounds[0].leaf_parts(12).collect::<Vec<_>>(),
            [(12, 3), (11, 2), (10, 1)]
        );
        assert_eq!(plan.rounds[1].inner_heights, [7]);
        let plan = FoldPlan::new(&params(1, 0), &[4], 3);
        assert_eq!(arities(&plan), [1, 1, 1]);
        // The final polynomial is capped by the smallest trace height.
        let plan = FoldPlan::new(&params(2, 5), &[6, 3], 2);
        assert_eq!(plan.log_final_len, 2);
        assert_eq!(arities(&plan), [2, 1]);
    }
}
