//! The weights of the DEEP batch: which power of `alpha` weighs each (matrix, point, column).
//!
//! The batched quotient is `sum alpha^k (f(x) - f(z)) / (x - z)` over every opened (matrix,
//! point, column), each with its own `k` (distinct powers: the batching lemma needs distinct
//! coefficients, and their order does not matter to it). The order is *point-slot major*: every
//! matrix's columns at its first point, in claim order (round, matrix, column), then every
//! matrix's columns at its second point, and so on.
//!
//! Why that order: a matrix's weights at its `p`-th point are then its first point's weights
//! times `alpha^(k_p - k_0)`, and when every earlier matrix has at least as many points (the
//! STARK's rounds: preprocessed, main and LogUp at two points, the quotient last at one) that
//! factor is the same for every matrix. The verifier then sums the matrices' combinations per
//! point and multiplies by the factor once per queried row, not once per (matrix, row): in the
//! guest that is an extension multiplication (about 130 cycles) saved per opened matrix row.

use alloc::vec::Vec;

/// The exponent `k` of the first column of each (matrix, point), for matrices given as
/// `(width, number of points)` in claim order: `exponents[m][p]`, so column `c` of matrix `m`
/// at its `p`-th point is weighed by `alpha^(exponents[m][p] + c)`. The exponents cover
/// `0..sum(width * points)` exactly once.
pub(crate) fn batch_exponents(matrices: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut exponents: Vec<Vec<usize>> = matrices
        .iter()
        .map(|&(_, points)| Vec::with_capacity(points))
        .collect();
    let slots = matrices
        .iter()
        .map(|&(_, points)| points)
        .max()
        .unwrap_or(0);
    let mut k = 0;
    for slot in 0..slots {
        for (m, &(width, points)) in matrices.iter().enumerate() {
            if slot < points {
                exponents[m].push(k);
                k += width;
            }
        }
    }
    exponents
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;

    #[test]
    fn point_slots_are_major_and_cover_every_exponent_once() {
        // Two matrices at two points, then one at one point (a quotient).
        let exponents = batch_exponents(&[(3, 2), (2, 2), (4, 1)]);
        assert_eq!(exponents, [vec![0, 9], vec![3, 12], vec![5]]);
        // Each matrix's second point is its first plus the total width at the first slot.
        assert!(exponents[..2].iter().all(|e| e[1] - e[0] == 9));
        let mut covered: Vec<usize> = [(3, 2), (2, 2), (4, 1)]
            .iter()
            .zip(&exponents)
            .flat_map(|(&(width, _), e)| e.iter().flat_map(move |&k| k..k + width))
            .collect();
        covered.sort_unstable();
        assert_eq!(covered, (0..14).collect::<Vec<_>>());
    }
}
