//! The weights of the DEEP batch: which power of `alpha` weighs each (matrix, point, column).
//!
//! The batched quotient is `sum alpha^k (f(x) - f(z)) / (x - z)` over every opened (matrix,
//! point, column), each with its own `k` (distinct powers: the batching lemma needs distinct
//! coefficients, and their order does not matter to it). The order is *point-slot major*: every
//! matrix's columns at its first point, then every matrix's columns at its second point, and so
//! on; within a slot the matrices come in *leaf order*: round by round, and in a round by
//! decreasing height, then in claim order, which is where their columns sit in the opened rows
//! of the round's Merkle tree (docs/pcs.md).
//!
//! Why point-slot major: a matrix's weights at its `p`-th point are then its first point's
//! weights times `alpha^(k_p - k_0)`, and when every earlier matrix has at least as many points
//! (the STARK's rounds: preprocessed, main and LogUp at two points, the quotient last at one)
//! that factor is the same for every matrix. The verifier then sums the matrices' combinations
//! per point and multiplies by the factor once per queried row, not once per (matrix, row): in
//! the guest that is an extension multiplication (about 130 cycles) saved per opened matrix row.
//!
//! Why leaf order: the columns of a round's matrices of one height are then adjacent in the
//! opened row *and* weighed by consecutive powers of `alpha`, so a guest verifier combines all of
//! them with one EXT_COMBINE call per queried row, instead of one per matrix (a recursion proof
//! has 26 tables over a dozen heights).

use alloc::vec::Vec;

/// What the batch needs of one committed matrix.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BatchShape {
    /// Index of the commitment round.
    pub round: usize,
    /// log2 of the matrix's height (trace or LDE: the same blowup for every matrix).
    pub log_height: usize,
    pub width: usize,
    /// Number of opening points.
    pub points: usize,
}

/// The exponent `k` of the first column of each (matrix, point), for matrices given in claim
/// order (round, matrix): `exponents[m][p]`, so column `c` of matrix `m` at its `p`-th point is
/// weighed by `alpha^(exponents[m][p] + c)`. The exponents cover `0..sum(width * points)` exactly
/// once, point slot by point slot, each slot in leaf order (module docs).
pub(crate) fn batch_exponents(matrices: &[BatchShape]) -> Vec<Vec<usize>> {
    let mut exponents: Vec<Vec<usize>> = matrices
        .iter()
        .map(|m| Vec::with_capacity(m.points))
        .collect();
    let mut leaf_order: Vec<usize> = (0..matrices.len()).collect();
    // Stable: matrices of one round and height keep their claim order.
    leaf_order.sort_by_key(|&m| {
        (
            matrices[m].round,
            core::cmp::Reverse(matrices[m].log_height),
        )
    });
    let slots = matrices.iter().map(|m| m.points).max().unwrap_or(0);
    let mut k = 0;
    for slot in 0..slots {
        for &m in &leaf_order {
            if slot < matrices[m].points {
                exponents[m].push(k);
                k += matrices[m].width;
            }
        }
    }
    exponents
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;

    fn shape(round: usize, log_height: usize, width: usize, points: usize) -> BatchShape {
        BatchShape {
            round,
            log_height,
            width,
            points,
        }
    }

    #[test]
    fn point_slots_are_major_and_cover_every_exponent_once() {
        // Two matrices at two points, then one at one point (a quotient).
        let matrices = [shape(0, 4, 3, 2), shape(0, 4, 2, 2), shape(1, 4, 4, 1)];
        let exponents = batch_exponents(&matrices);
        assert_eq!(exponents, [vec![0, 9], vec![3, 12], vec![5]]);
        // Each matrix's second point is its first plus the total width at the first slot.
        assert!(exponents[..2].iter().all(|e| e[1] - e[0] == 9));
        let mut covered: Vec<usize> = matrices
            .iter()
            .zip(&exponents)
            .flat_map(|(m, e)| e.iter().flat_map(move |&k| k..k + m.width))
            .collect();
        covered.sort_unstable();
        assert_eq!(covered, (0..14).collect::<Vec<_>>());
    }

    /// Within a round, taller matrices come first and matrices of one height keep their claim
    /// order, so one height's columns get consecutive powers, as they sit in the opened row.
    #[test]
    fn a_round_is_weighed_in_leaf_order() {
        let matrices = [
            shape(0, 3, 2, 2),
            shape(0, 5, 1, 2),
            shape(0, 3, 4, 2),
            shape(0, 5, 3, 2),
            shape(1, 6, 5, 2),
        ];
        let exponents = batch_exponents(&matrices);
        // Slot 0: heights 5 (matrices 1, 3), then 3 (0, 2), then round 1.
        let firsts: Vec<usize> = exponents.iter().map(|e| e[0]).collect();
        assert_eq!(firsts, [4, 0, 6, 1, 10]);
        // The second slot repeats the order, shifted by the slot's total width.
        assert!(exponents.iter().all(|e| e[1] - e[0] == 15));
    }
}
