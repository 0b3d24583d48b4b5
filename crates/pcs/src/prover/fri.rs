//! FRI commit phase and query answers (prover side).

use alloc::vec::Vec;

use p3_dft::TwoAdicSubgroupDft;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, TwoAdicField};
use p3_matrix::dense::RowMajorMatrix;
use p3_maybe_rayon::prelude::*;

use super::Pcs;
use crate::codec::ext_to_dwords;
use crate::fold::{fold_pair, lde_shift, FoldPlan, RoundPlan};
use crate::merkle::distinct_shifted;
use crate::merkle::MerkleTree;
use crate::proof::FoldMultiOpening;
use crate::{Challenge, Transcript, Val, EXT_DEGREE};

/// One committed folding round: its plan, the leaves its tree commits (one row per folding
/// coset: the codeword's `2^log_arity` consecutive values, then each inner input's sub-coset, as
/// base-field coordinates, 4 per value) and the tree. The leaves are the round's only copy of
/// the codeword and of its inner inputs: they are built in the codeword's buffer, and folding
/// reads them there.
pub(super) struct FoldRound {
    plan: RoundPlan,
    log_n: usize,
    /// Per leaf part: its offset in the leaf and log2 of its size (extension elements).
    parts: Vec<(usize, usize)>,
    leaves: RowMajorMatrix<Val>,
    pub(super) tree: MerkleTree,
}

impl FoldRound {
    /// Lay out the leaves of a round starting at `2^log_n` in the codeword's own buffer (rows
    /// move up from the back, so no row is overwritten before it is moved), then copy each inner
    /// input's sub-cosets next to them.
    fn new(
        pcs: &Pcs,
        plan: &RoundPlan,
        log_n: usize,
        codeword: Vec<Val>,
        inner: Vec<(usize, Vec<Val>)>,
    ) -> Self {
        let mut parts = Vec::new();
        let mut offset = 0;
        for (_, log_size) in plan.leaf_parts(log_n) {
            parts.push((offset, log_size));
            offset += 1 << log_size;
        }
        let width = offset * EXT_DEGREE;
        let coset_width = EXT_DEGREE << plan.log_arity;
        let cosets = 1usize << (log_n - plan.log_arity);
        let mut values = codeword;
        if width > coset_width {
            values.resize(width * cosets, Val::ZERO);
            for j in (0..cosets).rev() {
                values.copy_within(j * coset_width..(j + 1) * coset_width, j * width);
            }
            values
                .par_chunks_exact_mut(width)
                .enumerate()
                .for_each(|(j, row)| {
                    for ((_, input), &(offset, log_size)) in inner.iter().zip(&parts[1..]) {
                        let size = EXT_DEGREE << log_size;
                        let at = offset * EXT_DEGREE;
                        row[at..at + size].copy_from_slice(&input[j * size..(j + 1) * size]);
                    }
                });
        }
        let leaves = RowMajorMatrix::new(values, width);
        let tree =
            MerkleTree::with_elided_layers(pcs.hasher(), &[&leaves], super::ELIDED_MERKLE_LAYERS);
        Self {
            plan: plan.clone(),
            log_n,
            parts,
            leaves,
            tree,
        }
    }

    /// The value of leaf part `part` (0 = the codeword, then the inner inputs) at `position` of
    /// that part's height.
    fn value(&self, part: usize, position: usize) -> Challenge {
        let (offset, log_size) = self.parts[part];
        let row = position >> log_size;
        let column = offset + (position & ((1 << log_size) - 1));
        value_at(&self.leaves.values[row * self.leaves.width..], column)
    }
}

/// Value `position` of a codeword kept as base-field coordinates.
fn value_at(codeword: &[Val], position: usize) -> Challenge {
    Challenge::from_basis_coefficients_slice(
        &codeword[position * EXT_DEGREE..(position + 1) * EXT_DEGREE],
    )
    .expect("EXT_DEGREE coordinates")
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
        let committed = FoldRound::new(pcs, round, log_n, core::mem::take(&mut flat), inner);
        t.observe_digest(&committed.tree.root());
        let beta = t.sample_ext();
        let mut folded = fold_codeword(&committed, shift, beta);
        rounds.push(committed);
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

/// Fold a round's codeword (bit-reversed over `shift * H_{2^log_n}`, read from its leaves) by
/// `2^log_arity`, adding each inner input times the current challenge power when the folds reach
/// its height, as [`crate::fold::fold_coset`] does for one coset.
fn fold_codeword(round: &FoldRound, shift: Val, beta: Challenge) -> Vec<Challenge> {
    let mut current: Vec<Challenge> = Vec::new();
    let mut shift = shift;
    let mut beta = beta;
    let mut inner = round.plan.inner_heights.iter().enumerate().peekable();
    for level in 0..round.plan.log_arity {
        let log_len = round.log_n - level;
        let half = 1usize << (log_len - 1);
        // 1/x_j for x_j = shift * omega^{bitrev_{log_len-1}(j)}, omega of order 2^log_len.
        let mut x_invs: Vec<Val> = Val::two_adic_generator(log_len)
            .inverse()
            .shifted_powers(shift.inverse())
            .take(half)
            .collect();
        p3_util::reverse_slice_index_bits(&mut x_invs);
        current = if level == 0 {
            // The first level reads the leaves in place: no extension-field copy.
            x_invs
                .par_iter()
                .enumerate()
                .map(|(j, &x_inv)| {
                    fold_pair(
                        round.value(0, 2 * j),
                        round.value(0, 2 * j + 1),
                        beta,
                        x_inv,
                    )
                })
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
        if let Some((k, _)) = inner.next_if(|(_, &h)| h == log_len - 1) {
            current
                .par_iter_mut()
                .enumerate()
                .for_each(|(i, c)| *c += beta * round.value(1 + k, i));
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
                            values.push(ext_to_dwords(&round.value(part, position)));
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
