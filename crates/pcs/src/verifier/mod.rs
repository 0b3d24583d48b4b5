//! The verifier: `no_std`, reads the archived proof in place, returns a [`PcsError`] (never
//! panics) on any malformed or dishonest input.

mod combine;
mod deep;
mod divide;
mod final_poly;
mod fri;
#[cfg(any(target_os = "zkvm", test))]
mod interpolate;
#[cfg(any(target_os = "zkvm", test))]
mod run_combine;

use alloc::vec::Vec;

use p3_field::{PrimeCharacteristicRing, TwoAdicField};

use crate::batch::{batch_exponents, BatchShape};
use crate::codec::{digest_from_archived, exts_in_place, Use};
use crate::fold::FoldPlan;
use crate::merkle::{MatrixShape, MultiScratch};
use crate::proof::ArchivedOpeningProof;
use crate::{Challenge, Digest, FriParameters, PcsError, Transcript, Val};
use combine::{combine_ext_run, weight, Weight};

/// One commitment round as the verifier sees it: the digest and, per matrix (in commit order),
/// its claim.
#[derive(Clone, Copy, Debug)]
pub struct RoundClaim<'a> {
    /// The round's Merkle root.
    pub digest: Digest,
    /// One claim per committed matrix, in commit order.
    pub matrices: &'a [MatrixClaim<'a>],
}

/// What the verifier claims about one committed matrix.
#[derive(Clone, Copy, Debug)]
pub struct MatrixClaim<'a> {
    /// log2 of the trace height (before blowup).
    pub log_height: u8,
    /// Number of columns.
    pub width: usize,
    /// Opening points (at least one).
    pub points: &'a [Challenge],
    /// Claimed values per point, each `width` long (a slice per point: a STARK reads each
    /// point's row in place from its proof).
    pub values: &'a [&'a [Challenge]],
}

/// What the DEEP reduction needs of one matrix, the same for every query: where its batching
/// powers start and, per opening point, the point with its terms.
pub(super) struct MatrixTerms {
    /// `k_0` of the matrix's first point ([`crate::batch::batch_exponents`]): its column `c` at
    /// that point is weighed by `alpha^(k_0 + c)`.
    pub(super) first_power: usize,
    pub(super) points: Vec<PointTerm>,
}

/// One opening point of a matrix: the column combination at its `p`-th point is
/// `alpha^(k_p - k_0)` times the one at its first point, and its claimed values contribute their
/// own combination.
pub(super) struct PointTerm {
    pub(super) z: Challenge,
    /// `alpha^(k_p - k_0)`: the factor from the first point's weights to this point's (the same
    /// for every matrix of the STARK at a given point, so the verifier applies it once per row).
    pub(super) shift: Challenge,
    /// `sum_c alpha^(k_p + c) v_c` over the claimed values `v` at `z`.
    pub(super) claimed: Challenge,
}

/// Verify an opening proof against the claims, continuing transcript `t` exactly as
/// [`crate::Pcs::open`] did (see docs/pcs.md for the order).
pub fn verify(
    params: &FriParameters,
    rounds: &[RoundClaim<'_>],
    proof: &ArchivedOpeningProof,
    t: &mut Transcript,
) -> Result<(), PcsError> {
    crate::phase::mark::<{ crate::phase::PCS_TRANSCRIPT }>();
    params.validate()?;
    let log_blowup = usize::from(params.log_blowup);
    let shapes = check_claims(rounds, log_blowup)?;

    for m in rounds.iter().flat_map(|r| r.matrices) {
        for values in m.values {
            t.observe_exts(values);
        }
    }
    if !t.check_grind(params.query_pow_bits, proof.batch_pow_witness.to_native()) {
        return Err(PcsError::ProofOfWork {
            bits: params.query_pow_bits,
        });
    }
    let alpha = t.sample_ext();
    // Every matrix's first point takes the exponents `0..first_slot`; the others are those
    // times a shift (point-slot major batching).
    let first_slot: usize = rounds
        .iter()
        .flat_map(|r| r.matrices)
        .map(|m| m.width)
        .sum();
    #[cfg(target_os = "zkvm")]
    let weights: Vec<Weight> = crate::precompile::ext_powers(alpha, first_slot);
    #[cfg(not(target_os = "zkvm"))]
    let weights: Vec<Weight> = core::iter::successors(Some(Challenge::ONE), |&p| Some(p * alpha))
        .take(first_slot)
        .map(weight)
        .collect();
    let matrix_terms = matrix_terms(rounds, alpha, &weights);

    let mut heights: Vec<usize> = shapes.iter().flatten().map(|s| s.log_height).collect();
    heights.sort_unstable_by(|a, b| b.cmp(a));
    heights.dedup();
    let min_log_height = rounds
        .iter()
        .flat_map(|r| r.matrices)
        .map(|m| usize::from(m.log_height))
        .min()
        .unwrap_or(0);
    let plan = FoldPlan::new(params, &heights, min_log_height);

    if proof.fold_roots.len() != plan.rounds.len() {
        return Err(PcsError::Shape {
            what: "FRI fold roots",
            expected: plan.rounds.len(),
            got: proof.fold_roots.len(),
        });
    }
    let mut fold_roots = Vec::with_capacity(proof.fold_roots.len());
    let mut betas = Vec::with_capacity(proof.fold_roots.len());
    for root in proof.fold_roots.iter() {
        let root = digest_from_archived(root)?;
        t.observe_digest(&root);
        fold_roots.push(root);
        betas.push(t.sample_ext());
    }
    let expected_final = 1usize << plan.log_final_len;
    if proof.final_poly.len() != expected_final {
        return Err(PcsError::Shape {
            what: "final polynomial",
            expected: expected_final,
            got: proof.final_poly.len(),
        });
    }
    let final_poly = exts_in_place(&proof.final_poly, Use::HashFirst)?;
    t.observe_exts(final_poly);
    if !t.check_grind(params.query_pow_bits, proof.pow_witness.to_native()) {
        return Err(PcsError::ProofOfWork {
            bits: params.query_pow_bits,
        });
    }
    if proof.rounds.len() != rounds.len() {
        return Err(PcsError::Shape {
            what: "round openings",
            expected: rounds.len(),
            got: proof.rounds.len(),
        });
    }
    if proof.folds.len() != plan.rounds.len() {
        return Err(PcsError::Shape {
            what: "fold openings",
            expected: plan.rounds.len(),
            got: proof.folds.len(),
        });
    }
    // Queries that land on the same index are one query from here on: the proof answers each
    // distinct index once.
    let mut indices: Vec<usize> = (0..params.num_queries)
        .map(|_| t.sample_bits(plan.log_max_height))
        .collect();
    indices.sort_unstable();
    indices.dedup();

    let hasher = t.hasher();
    let mut scratch = MultiScratch::default();
    let inputs = deep::Inputs {
        hasher,
        claims: rounds,
        shapes: &shapes,
        log_max_height: plan.log_max_height,
        weights: &weights,
        alpha: weight(alpha),
        terms: &matrix_terms,
    };
    let reduced = inputs.reduce(&indices, &heights, &proof.rounds, &mut scratch)?;
    let fri = fri::FriCheck {
        hasher,
        plan: &plan,
        roots: &fold_roots,
        betas: &betas,
        final_poly: final_poly::FinalPoly::new(final_poly),
    };
    crate::phase::mark::<{ crate::phase::FRI }>();
    fri.verify(&indices, &reduced, &proof.folds, &mut scratch)
}

/// Validate the caller's claims (shapes within the two-adicity, values matching points and
/// widths) and return each round's matrix shapes at LDE height.
fn check_claims(
    rounds: &[RoundClaim<'_>],
    log_blowup: usize,
) -> Result<Vec<Vec<MatrixShape>>, PcsError> {
    if rounds.is_empty() {
        return Err(PcsError::InvalidClaim("no commitment rounds"));
    }
    rounds
        .iter()
        .map(|r| {
            if r.matrices.is_empty() {
                return Err(PcsError::InvalidClaim("a round has no matrices"));
            }
            r.matrices
                .iter()
                .map(|m| {
                    let log_height = usize::from(m.log_height) + log_blowup;
                    if log_height > Val::TWO_ADICITY {
                        return Err(PcsError::HeightTooLarge {
                            log_lde_height: log_height,
                        });
                    }
                    if m.points.is_empty() {
                        return Err(PcsError::InvalidClaim("a matrix has no opening point"));
                    }
                    if m.values.len() != m.points.len()
                        || m.values.iter().any(|v| v.len() != m.width)
                    {
                        return Err(PcsError::InvalidClaim("values do not match points x width"));
                    }
                    Ok(MatrixShape {
                        log_height,
                        width: m.width,
                    })
                })
                .collect()
        })
        .collect()
}

/// The [`MatrixTerms`] of every matrix, in claim order (round, matrix), with the batching
/// exponents of [`crate::batch::batch_exponents`] (docs/pcs.md): `weights` are the powers of
/// `alpha` of the first point slot, whose exponents the others' are shifted from.
fn matrix_terms(
    rounds: &[RoundClaim<'_>],
    alpha: Challenge,
    weights: &[Weight],
) -> Vec<MatrixTerms> {
    let matrices: Vec<&MatrixClaim<'_>> = rounds.iter().flat_map(|r| r.matrices).collect();
    let alpha_weight = weight(alpha);
    let shapes: Vec<BatchShape> = rounds
        .iter()
        .enumerate()
        .flat_map(|(round, r)| {
            r.matrices.iter().map(move |m| BatchShape {
                round,
                log_height: usize::from(m.log_height),
                width: m.width,
                points: m.points.len(),
            })
        })
        .collect();
    // `alpha^e` per distinct shift `e` (one for the STARK's rounds: the first slot's width).
    let mut shifts: Vec<(usize, Challenge)> = Vec::new();
    matrices
        .iter()
        .zip(batch_exponents(&shapes))
        .map(|(m, exponents)| {
            let first_power = exponents[0];
            let row_weights = &weights[first_power..][..m.width];
            let points = m
                .points
                .iter()
                .zip(&exponents)
                .enumerate()
                .map(|(p, (&z, &k))| {
                    let shift = match k - first_power {
                        0 => Challenge::ONE,
                        e => match shifts.iter().find(|(s, _)| *s == e) {
                            Some(&(_, shift)) => shift,
                            None => {
                                let shift = alpha.exp_u64(e as u64);
                                shifts.push((e, shift));
                                shift
                            }
                        },
                    };
                    let values = m.values[p];
                    let combined = combine_ext_run(&alpha_weight, row_weights, values);
                    PointTerm {
                        z,
                        shift,
                        claimed: if p == 0 { combined } else { shift * combined },
                    }
                })
                .collect();
            MatrixTerms {
                first_power,
                points,
            }
        })
        .collect()
}
