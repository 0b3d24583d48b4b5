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
use p3_util::reverse_bits_len;

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
    /// log2 of the arity of each folding round, in order.
    pub round_log_arities: Vec<usize>,
}

impl FoldPlan {
    /// `lde_log_heights`: the distinct LDE heights holding opened matrices, in any order, non-empty;
    /// `min_log_height`: the smallest trace height (the final polynomial cannot be longer than it).
    ///
    /// Each round folds by the configured arity, shortened where needed so that every input
    /// height is reached exactly (its reduced opening is added there) and the final height too.
    pub fn new(params: &FriParameters, lde_log_heights: &[usize], min_log_height: usize) -> Self {
        let log_blowup = usize::from(params.log_blowup);
        let log_final_len = usize::from(params.log_final_poly_len).min(min_log_height);
        let log_final_height = log_final_len + log_blowup;
        let log_max_height = lde_log_heights
            .iter()
            .copied()
            .max()
            .unwrap_or(log_final_height);
        let mut round_log_arities = Vec::new();
        let mut current = log_max_height;
        while current > log_final_height {
            let next_stop = lde_log_heights
                .iter()
                .copied()
                .filter(|&h| h < current)
                .max()
                .unwrap_or(log_final_height)
                .max(log_final_height);
            let k = usize::from(params.log_folding_arity).min(current - next_stop);
            round_log_arities.push(k);
            current -= k;
        }
        Self {
            log_max_height,
            log_final_len,
            log_final_height,
            round_log_arities,
        }
    }
}

/// The coset shift of every LDE: the field's multiplicative generator, so LDE domains never meet
/// the trace subgroup.
pub(crate) fn lde_shift() -> Val {
    Val::GENERATOR
}

/// `1 / x` for the pair `j` of a bit-reversed codeword over `shift * H_{2^log_n}`, where
/// `x = shift * omega^{bitrev_{log_n - 1}(j)}` (`log_n >= 1`), as `shift^-1 * omega^(n - e)`
/// (no field inversion).
pub(crate) fn pair_point_inverse(log_n: usize, shift_inv: Val, j: usize) -> Val {
    let e = reverse_bits_len(j, log_n - 1) as u64;
    shift_inv * Val::two_adic_generator(log_n).exp_u64((1u64 << log_n) - e)
}

/// The binary fold of `(f(x), f(-x))` at challenge `beta`, given `1/x`.
#[inline]
pub(crate) fn fold_pair(lo: Challenge, hi: Challenge, beta: Challenge, x_inv: Val) -> Challenge {
    ((lo + hi) + (lo - hi) * beta * x_inv).halve()
}

/// Fold one folding coset (the `2^log_arity` values at positions `coset * 2^log_arity ..`) of a
/// codeword of length `2^log_n` over `shift * H` (given `shift_inv = 1 / shift`) down to its
/// single folded value.
pub(crate) fn fold_coset(
    values: &mut [Challenge],
    log_arity: usize,
    log_n: usize,
    shift_inv: Val,
    coset: usize,
    beta: Challenge,
) -> Challenge {
    let mut shift_inv = shift_inv;
    let mut beta = beta;
    let mut len = values.len();
    for level in 0..log_arity {
        let half = len / 2;
        for j in 0..half {
            let pair = (coset << (log_arity - level - 1)) + j;
            let x_inv = pair_point_inverse(log_n - level, shift_inv, pair);
            values[j] = fold_pair(values[2 * j], values[2 * j + 1], beta, x_inv);
        }
        len = half;
        shift_inv = shift_inv.square();
        beta = beta.square();
    }
    values[0]
}

/// Point `shift * omega^{bitrev(index)}` of a bit-reversed codeword of length `2^log_n`.
pub(crate) fn bitrev_point(log_n: usize, shift: Val, index: usize) -> Val {
    shift * Val::two_adic_generator(log_n).exp_u64(reverse_bits_len(index, log_n) as u64)
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
        }
    }

    #[test]
    fn plan_stops_at_every_input_height() {
        // Trace heights 2^3, 2^5, 2^8 with blowup 2: LDE heights 4, 6, 9.
        let plan = FoldPlan::new(&params(3, 1), &[9, 6, 4], 3);
        assert_eq!(plan.round_log_arities, [3, 2, 2]);
        assert_eq!(plan.log_final_height, 2);
        let plan = FoldPlan::new(&params(1, 0), &[4], 3);
        assert_eq!(plan.round_log_arities, [1, 1, 1]);
        // The final polynomial is capped by the smallest trace height.
        let plan = FoldPlan::new(&params(2, 5), &[6, 3], 2);
        assert_eq!(plan.log_final_len, 2);
        assert_eq!(plan.round_log_arities, [2, 1]);
    }
}
