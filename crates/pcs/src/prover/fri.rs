//! FRI commit phase and query answers (prover side).

use alloc::vec::Vec;

use p3_dft::TwoAdicSubgroupDft;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, TwoAdicField};
use p3_matrix::dense::RowMajorMatrix;
use p3_maybe_rayon::prelude::*;

use super::Pcs;
use crate::codec::ext_to_u32s;
use crate::fold::{fold_pair, lde_shift, FoldPlan, RoundPlan};
use crate::merkle::distinct_shifted;
use crate::merkle::MerkleTree;
use crate::proof::FoldMultiOpening;
use crate::{Challenge, Transcript, Val, EXT_DEGREE};

/// One committed folding round: its plan, the leaves its tree commits (one row per folding
/// coset: the codeword's `2^log_arity` consecutive values, then each inner input's sub-coset, as
/// base-field coordinates, 4 per value) and the tree. The leaves are the round's only copy of
/// the codeword.
pub(super) struct FoldRound {
    plan: RoundPlan,
    log_n: usize,
    leaves: RowMajorMatrix<Val>,
    pub(super) tree: MerkleTree,
}

impl FoldRound {
    /// The value of leaf part `part` (0 = the codeword, then the inner inputs) at `position` of
    /// that part's height.
    fn value(&self, part: usize, position: usize) -> Challenge {
        let parts = || self.plan.leaf_parts(self.log_n);
        let offset: usize = parts().take(part).map(|(_, log_size)| 1 << log_size).sum();
        let size = 1 << parts().nth(part).expect("a part of the leaf").1;
        let at = (position / size) * self.leaves.width + (offset + position % size) * EXT_DEGREE;
        value_at(&self.leaves.values[at..], 0)
    }
}

/// Value `position` of a codeword kept as base-field coordinates.
fn value_at(codeword: &[Val], position: usize) -> Challenge {
    Challenge::from_basis_coefficients_slice(
        &codeword[position * EXT_DEGREE..(position + 1) * EXT_DEGREE],
    )
    .expect("EXT_DEGREE coordinates")
}

/// The leaves of a round starting at `2^log_n`: row `j` is coset `j` of `codeword` followed by
/// sub-coset `j` of each inner input (all given as base-field coordinates).
fn round_leaves(
    plan: &RoundPlan,
    log_n: usize,
    codeword: &[Val],
    inner: &[(usize, Vec<Val>)],
) -> RowMajorMatrix<Val> {
    let width = plan.leaf_len(log_n) * EXT_DEGREE;
    let cosets = 1usize << (log_n - plan.log_arity);
    let parts: Vec<&[Val]> = core::iter::once(codeword)
        .chain(inner.iter().map(|(_, v)| v.as_slice()))
        .collect();
    let sizes: Vec<usize> = plan
        .leaf_parts(log_n)
        .map(|(_, log_size)| EXT_DEGREE << log_size)
        .collect();
    let mut values = alloc::vec![Val::ZERO; width * cosets];
    values
        .par_chunks_exact_mut(width)
        .enumerate()
        .for_each(|(j, row)| {
            let mut at = 0;
            for (part, &size) in parts.iter().zip(&sizes) {
                row[at..at + size].copy_from_slice(&part[j * size..(j + 1) * size]);
                at += size;
            }
        });
    RowMajorMatrix::new(values, width)
}

/// Fold the batched DEEP quotients down to the final polynomial, committing each round's
/// leaves and drawing its challenge; `inputs` are `(log LDE height, codeword as base-field
/// coordinates, 4 per value)` by decreasing height, the first at `plan.log_max_height`.
/// Absorbs, in order: each round's root (then samples its beta), then the final polynomial's
/// coefficients.
pub(super) fn commit_phase(
    pcs: &Pcs,
    plan: &FoldPlan,
    inputs: Vec<(usize, Vec<Val>)>,
    t: &mut Transcript,
) -> (Vec<FoldRound>, Vec<Challenge>) {
    let mut inputs = inputs.into_iter().peekable();
    let (log_first, mut flat) = inputs.next().expect("at least one opened matrix");
    debug_assert_eq!(log_first, plan.log_max_height);
    let mut log_n = log_first;
    let mut shift = lde_shift();
    let mut rounds = Vec::with_capacity(plan.rounds.len());
    for round in &plan.rounds {
        let log_arity = round.log_arity;
        let inner: Vec<(usize, Vec<Val>)> = round
            .inner_heights
            .iter()
            .map(|&h| {
                let input = inputs.next().expect("every inner height has an input");
                debug_assert_eq!(input.0, h);
                input
            })
            .collect();
        let leaves = round_leaves(round, log_n, &flat, &inner);
        let tree =
            MerkleTree::with_elided_layers(pcs.hasher(), &[&leaves], super::ELIDED_MERKLE_LAYERS);
        t.observe_digest(&tree.root());
        let beta = t.sample_ext();
        let mut folded = fold_codeword(&flat, &inner, log_arity, log_n, shift, beta);
        drop(inner);
        rounds.push(FoldRound {
            plan: round.clone(),
            log_n,
            leaves,
            tree,
        });
        log_n -= log_arity;
        shift = shift.exp_power_of_2(log_arity);
        if let Some((_, input)) = inputs.next_if(|(h, _)| *h == log_n) {
            let weight = beta.exp_power_of_2(log_arity);
            folded
                .par_iter_mut()
                .enumerate()
                .for_each(|(i, c)| *c += weight * value_at(&input, i));
        }
        flat = folded
            .iter()
            .flat_map(|x| x.as_basis_coefficients_slice().iter().copied())
            .collect();
    }
    debug_assert_eq!(log_n, plan.log_final_height);
    debug_assert!(inputs.next().is_none(), "every input height is reached");

    // Interpolate the final codeword; an honest prover's higher coefficients are zero, so only
    // the first 2^log_final_len are sent (a dishonest codeword then fails the final check).
    let mut current: Vec<Challenge> = (0..flat.len() / EXT_DEGREE)
        .map(|i| value_at(&flat, i))
        .collect();
    p3_util::reverse_slice_index_bits(&mut current);
    let mut coeffs = pcs.dft.coset_idft_algebra(current, shift);
    coeffs.truncate(1 << plan.log_final_len);
    for c in &coeffs {
        t.observe_ext(*c);
    }
    (rounds, coeffs)
}

/// Fold a bit-reversed codeword over `shift * H_{2^log_n}` (given as base-field coordinates)
/// by `2^log_arity`, adding each inner input (decreasing heights, base-field coordinates) times
/// the current challenge power when the folds reach its height, as [`crate::fold::fold_coset`]
/// does for one coset.
fn fold_codeword(
    codeword: &[Val],
    inner: &[(usize, Vec<Val>)],
    log_arity: usize,
    log_n: usize,
    shift: Val,
    beta: Challenge,
) -> Vec<Challenge> {
    let mut current: Vec<Challenge> = Vec::new();
    let mut shift = shift;
    let mut beta = beta;
    let mut inner = inner.iter().peekable();
    for level in 0..log_arity {
        let log_len = log_n - level;
        let half = 1usize << (log_len - 1);
        // 1/x_j for x_j = shift * omega^{bitrev_{log_len-1}(j)}, omega of order 2^log_len.
        let mut x_invs: Vec<Val> = Val::two_adic_generator(log_len)
            .inverse()
            .shifted_powers(shift.inverse())
            .take(half)
            .collect();
        p3_util::reverse_slice_index_bits(&mut x_invs);
        current = if level == 0 {
            // The first level reads the coordinates in place: no extension-field copy.
            codeword
                .par_chunks_exact(2 * EXT_DEGREE)
                .zip(x_invs.par_iter())
                .map(|(pair, &x_inv)| fold_pair(value_at(pair, 0), value_at(pair, 1), beta, x_inv))
                .collect()
        } else {
            current
                .par_chunks_exact(2)
                .zip(x_invs.par_iter())
                .map(|(pair, &x_inv)| fold_pair(pair[0], pair[1], beta, x_inv))
                .collect()
        };
        shift = shift.square();
        beta = beta.square();
        if let Some((_, input)) = inner.next_if(|(h, _)| *h == log_len - 1) {
            current
                .par_iter_mut()
                .enumerate()
                .for_each(|(i, c)| *c += beta * value_at(input, i));
        }
    }
    current
}

/// The multi-openings of every folding round at the distinct query `indices` (sorted, into the
/// first codeword). Per round, for each distinct coset the queries reach, the members of each
/// leaf part (the codeword coset, then the inner inputs' sub-cosets) that no query reaches: the
/// verifier computes the others itself (from the previous round, or from the opened rows).
pub(super) fn open_queries(
    pcs: &Pcs,
    rounds: &[FoldRound],
    indices: &[usize],
) -> Vec<FoldMultiOpening> {
    let log_max = rounds.first().map_or(0, |r| r.log_n);
    let mut cosets = Vec::new();
    rounds
        .iter()
        .map(|round| {
            let log_end = round.log_n - round.plan.log_arity;
            distinct_shifted(indices, log_max - log_end, &mut cosets);
            // Per leaf part: its size and the positions the queries reach at its height.
            let parts: Vec<(usize, Vec<usize>)> = round
                .plan
                .leaf_parts(round.log_n)
                .map(|(log_h, log_size)| {
                    let mut known = Vec::new();
                    distinct_shifted(indices, log_max - log_h, &mut known);
                    (log_size, known)
                })
                .collect();
            let mut values = Vec::new();
            for &coset in &cosets {
                for (part, (log_size, known)) in parts.iter().enumerate() {
                    for position in coset << log_size..(coset + 1) << log_size {
                        if known.binary_search(&position).is_err() {
                            values.push(ext_to_u32s(&round.value(part, position)));
                        }
                    }
                }
            }
            FoldMultiOpening {
                values,
                siblings: round
                    .tree
                    .multi_siblings(pcs.hasher(), &[&round.leaves], &cosets),
            }
        })
        .collect()
}
