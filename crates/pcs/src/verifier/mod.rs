//! The verifier: `no_std`, reads the archived proof in place, returns a [`PcsError`] (never
//! panics) on any malformed or dishonest input.

mod fri;

use alloc::vec::Vec;

use p3_field::{Field, PrimeCharacteristicRing, TwoAdicField};

use crate::codec::{digest_from_archived, ext_from_archived, vals_from_archived};
use crate::fold::{bitrev_point, lde_shift, FoldPlan};
use crate::merkle::{verify_batch, MatrixShape};
use crate::proof::ArchivedOpeningProof;
use crate::{Challenge, Digest, FriParameters, PcsError, Transcript, Val};

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
    /// Claimed values, flattened `[point][column]` (`points.len() * width` entries).
    pub values: &'a [Challenge],
}

/// Per (matrix, point) data reused by every query: the point, `alpha^k` and `sum_c alpha^c v_c`.
struct PointTerm {
    z: Challenge,
    alpha_offset: Challenge,
    combined_value: Challenge,
}

/// Verify an opening proof against the claims, continuing transcript `t` exactly as
/// [`crate::Pcs::open`] did (see docs/pcs.md for the order).
pub fn verify(
    params: &FriParameters,
    rounds: &[RoundClaim<'_>],
    proof: &ArchivedOpeningProof,
    t: &mut Transcript,
) -> Result<(), PcsError> {
    params.validate()?;
    let log_blowup = usize::from(params.log_blowup);
    let shapes = check_claims(rounds, log_blowup)?;

    for m in rounds.iter().flat_map(|r| r.matrices) {
        for &v in m.values {
            t.observe_ext(v);
        }
    }
    if !t.check_grind(params.query_pow_bits, proof.batch_pow_witness.to_native()) {
        return Err(PcsError::ProofOfWork {
            bits: params.query_pow_bits,
        });
    }
    let alpha = t.sample_ext();
    let max_width = rounds
        .iter()
        .flat_map(|r| r.matrices)
        .map(|m| m.width)
        .max()
        .unwrap_or(0);
    let alpha_pows: Vec<Challenge> = alpha.powers().take(max_width).collect();
    let point_terms = point_terms(rounds, alpha, &alpha_pows);

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

    if proof.fold_roots.len() != plan.round_log_arities.len() {
        return Err(PcsError::Shape {
            what: "FRI fold roots",
            expected: plan.round_log_arities.len(),
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
    let mut final_poly = Vec::with_capacity(expected_final);
    for c in proof.final_poly.iter() {
        let c = ext_from_archived(c)?;
        t.observe_ext(c);
        final_poly.push(c);
    }
    if !t.check_grind(params.query_pow_bits, proof.pow_witness.to_native()) {
        return Err(PcsError::ProofOfWork {
            bits: params.query_pow_bits,
        });
    }
    let num_queries = usize::from(params.num_queries);
    if proof.queries.len() != num_queries {
        return Err(PcsError::Shape {
            what: "queries",
            expected: num_queries,
            got: proof.queries.len(),
        });
    }
    let indices: Vec<usize> = (0..num_queries)
        .map(|_| t.sample_bits(plan.log_max_height))
        .collect();

    let hasher = t.hasher();
    let fri = fri::FriCheck {
        hasher,
        plan: &plan,
        roots: &fold_roots,
        betas: &betas,
        final_poly: &final_poly,
    };
    let mut rows = Vec::new();
    let mut reduced: Vec<(usize, Challenge)> =
        heights.iter().map(|&h| (h, Challenge::ZERO)).collect();
    for (query, (q, &index)) in proof.queries.iter().zip(&indices).enumerate() {
        if q.rounds.len() != rounds.len() {
            return Err(PcsError::Shape {
                what: "round openings",
                expected: rounds.len(),
                got: q.rounds.len(),
            });
        }
        reduced.iter_mut().for_each(|(_, v)| *v = Challenge::ZERO);
        let mut terms = point_terms.iter();
        for ((claim, round_shapes), opening) in rounds.iter().zip(&shapes).zip(q.rounds.iter()) {
            let log_tree = round_shapes.iter().map(|s| s.log_height).max().unwrap_or(0);
            let leaf = index >> (plan.log_max_height - log_tree);
            rows.clear();
            vals_from_archived(&opening.values, &mut rows)?;
            if !verify_batch(
                hasher,
                &claim.digest,
                round_shapes,
                leaf,
                &rows,
                &opening.path,
            )? {
                return Err(PcsError::MerkleMismatch {
                    what: "a commitment round",
                    query,
                });
            }
            let mut offset = 0;
            for (m, shape) in claim.matrices.iter().zip(round_shapes) {
                let row = &rows[offset..offset + m.width];
                offset += m.width;
                let x = bitrev_point(
                    shape.log_height,
                    lde_shift(),
                    leaf >> (log_tree - shape.log_height),
                );
                let combined: Challenge = row.iter().zip(&alpha_pows).map(|(&f, &a)| a * f).sum();
                let acc = reduced
                    .iter_mut()
                    .find(|(h, _)| *h == shape.log_height)
                    .map(|(_, v)| v)
                    .ok_or(PcsError::InvalidClaim("height missing from the plan"))?;
                for term in terms.by_ref().take(m.points.len()) {
                    let inv = (-term.z + x).try_inverse().ok_or(PcsError::PointInDomain)?;
                    *acc += term.alpha_offset * (combined - term.combined_value) * inv;
                }
            }
        }
        fri.verify_query(query, index, &q.folds, &reduced)?;
    }
    Ok(())
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
                    if m.points.len().checked_mul(m.width) != Some(m.values.len()) {
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

fn point_terms(
    rounds: &[RoundClaim<'_>],
    alpha: Challenge,
    alpha_pows: &[Challenge],
) -> Vec<PointTerm> {
    let mut alpha_offset = Challenge::ONE;
    let mut terms = Vec::new();
    for m in rounds.iter().flat_map(|r| r.matrices) {
        let step = alpha.exp_u64(m.width as u64);
        for (p, &z) in m.points.iter().enumerate() {
            let values = &m.values[p * m.width..(p + 1) * m.width];
            let combined_value = values.iter().zip(alpha_pows).map(|(&v, &a)| a * v).sum();
            terms.push(PointTerm {
                z,
                alpha_offset,
                combined_value,
            });
            alpha_offset *= step;
        }
    }
    terms
}
