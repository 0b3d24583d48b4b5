//! FRI commit phase and query answers (prover side).

use alloc::vec::Vec;

use p3_dft::TwoAdicSubgroupDft;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, TwoAdicField};
use p3_matrix::dense::RowMajorMatrix;
use p3_maybe_rayon::prelude::*;

use super::Pcs;
use crate::codec::ext_to_u32s;
use crate::fold::{fold_pair, lde_shift, FoldPlan};
use crate::merkle::distinct_shifted;
use crate::merkle::MerkleTree;
use crate::proof::FoldMultiOpening;
use crate::{Challenge, Transcript, Val, EXT_DEGREE};

/// One committed folding round: the codeword (bit-reversed) before folding and its tree, whose
/// leaves are the folding cosets (`2^log_arity` consecutive values). The codeword is kept as the
/// base-field coordinates the tree hashed (4 per value), so it exists once, not also as
/// extension elements.
pub(super) struct FoldRound {
    log_arity: usize,
    codeword: RowMajorMatrix<Val>,
    pub(super) tree: MerkleTree,
}

/// Value `position` of a codeword kept as base-field coordinates.
fn value_at(codeword: &[Val], position: usize) -> Challenge {
    Challenge::from_basis_coefficients_slice(
        &codeword[position * EXT_DEGREE..(position + 1) * EXT_DEGREE],
    )
    .expect("EXT_DEGREE coordinates")
}

/// Fold the batched DEEP quotients down to the final polynomial, committing each round's
/// codeword and drawing its challenge; `inputs` are `(log LDE height, codeword as base-field
/// coordinates, 4 per value)` by decreasing height, the first at `plan.log_max_height`. Absorbs, in order: each round's root (then samples
/// its beta), then the final polynomial's coefficients.
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
    let mut rounds = Vec::with_capacity(plan.round_log_arities.len());
    for &log_arity in &plan.round_log_arities {
        let leaf_width = EXT_DEGREE << log_arity;
        let codeword = RowMajorMatrix::new(core::mem::take(&mut flat), leaf_width);
        let tree =
            MerkleTree::with_elided_layers(pcs.hasher(), &[&codeword], super::ELIDED_MERKLE_LAYERS);
        t.observe_digest(&tree.root());
        let beta = t.sample_ext();
        let mut folded = fold_codeword(&codeword.values, log_arity, log_n, shift, beta);
        rounds.push(FoldRound {
            log_arity,
            codeword,
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
/// by `2^log_arity`.
fn fold_codeword(
    codeword: &[Val],
    log_arity: usize,
    log_n: usize,
    shift: Val,
    beta: Challenge,
) -> Vec<Challenge> {
    let mut current: Vec<Challenge> = Vec::new();
    let mut shift = shift;
    let mut beta = beta;
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
    }
    current
}

/// The multi-openings of every folding round at the distinct query `indices` (sorted, into the
/// first codeword): each round's distinct cosets, their members no query reaches, and siblings.
pub(super) fn open_queries(
    pcs: &Pcs,
    rounds: &[FoldRound],
    indices: &[usize],
) -> Vec<FoldMultiOpening> {
    let mut positions = indices.to_vec();
    let mut cosets = Vec::new();
    rounds
        .iter()
        .map(|round| {
            let arity = 1usize << round.log_arity;
            distinct_shifted(&positions, round.log_arity, &mut cosets);
            let mut known = positions.iter().peekable();
            let mut values = Vec::new();
            for &coset in &cosets {
                for position in coset * arity..(coset + 1) * arity {
                    if known.next_if(|&&p| p == position).is_none() {
                        values.push(ext_to_u32s(&value_at(&round.codeword.values, position)));
                    }
                }
            }
            let opening = FoldMultiOpening {
                values,
                siblings: round
                    .tree
                    .multi_siblings(pcs.hasher(), &[&round.codeword], &cosets),
            };
            core::mem::swap(&mut positions, &mut cosets);
            opening
        })
        .collect()
}
