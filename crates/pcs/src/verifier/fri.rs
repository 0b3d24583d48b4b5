//! FRI query checks (verifier side), all queries of a folding round at once.
//!
//! The verifier follows the set of distinct positions the queries reach, which shrinks as
//! folding merges them: at a codeword of `2^n` entries it is `distinct(index >> (log_max - n))`.
//! Each round opens the distinct folding cosets of those positions; the verifier supplies the
//! members it computed in the previous round and the proof the others.

use alloc::vec::Vec;

use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};
use rkyv::vec::ArchivedVec;

use super::deep::Reduced;
use crate::codec::ext_from_archived;
use crate::fold::{bitrev_point, fold_coset, lde_shift, FoldPlan};
use crate::hash::Hasher;
use crate::merkle::{distinct_shifted, verify_multi, LevelRows, MultiScratch};
use crate::proof::ArchivedFoldMultiOpening;
use crate::{Challenge, Digest, PcsError, Val, EXT_DEGREE};

/// Everything shared by the rounds of one FRI check.
pub(super) struct FriCheck<'a> {
    pub hasher: &'a Hasher,
    pub plan: &'a FoldPlan,
    pub roots: &'a [Digest],
    pub betas: &'a [Challenge],
    pub final_poly: &'a [Challenge],
}

impl FriCheck<'_> {
    /// Fold the batched DEEP quotients at the distinct query `indices` (sorted, at the largest
    /// height) through every round, adding each input height's `reduced` values where folding
    /// reaches it, and compare the results with the final polynomial.
    pub fn verify(
        &self,
        indices: &[usize],
        reduced: &Reduced,
        folds: &ArchivedVec<ArchivedFoldMultiOpening>,
        scratch: &mut MultiScratch,
    ) -> Result<(), PcsError> {
        let rounds = &self.plan.round_log_arities;
        if folds.len() != rounds.len() {
            return Err(PcsError::Shape {
                what: "fold openings",
                expected: rounds.len(),
                got: folds.len(),
            });
        }
        let mut inputs = reduced.by_height.iter().peekable();
        let mut positions = indices.to_vec();
        let mut current = match inputs.next() {
            Some((h, v)) if *h == self.plan.log_max_height && v.len() == positions.len() => {
                v.clone()
            }
            _ => return Err(PcsError::InvalidClaim("no input at the largest height")),
        };
        let mut log_n = self.plan.log_max_height;
        let mut shift = lde_shift();
        let mut shift_inv = shift.inverse();
        let mut cosets = Vec::new();
        let mut members: Vec<Challenge> = Vec::new();
        let mut leaves: Vec<Val> = Vec::new();
        for (r, (&log_arity, opening)) in rounds.iter().zip(folds.iter()).enumerate() {
            let arity = 1usize << log_arity;
            distinct_shifted(&positions, log_arity, &mut cosets);
            // Each position lies in exactly one coset, so this does not underflow.
            let expected = cosets.len() * arity - positions.len();
            if opening.values.len() != expected {
                return Err(PcsError::Shape {
                    what: "fold values",
                    expected,
                    got: opening.values.len(),
                });
            }
            members.clear();
            let mut known = positions.iter().zip(&current).peekable();
            let mut sent = opening.values.iter();
            for &coset in &cosets {
                for position in coset * arity..(coset + 1) * arity {
                    members.push(match known.next_if(|(&p, _)| p == position) {
                        Some((_, &value)) => value,
                        // The count was checked above: one sent value per unknown member.
                        None => ext_from_archived(
                            sent.next()
                                .ok_or(PcsError::InvalidClaim("fold value count"))?,
                        )?,
                    });
                }
            }
            leaves.clear();
            leaves.extend(members.iter().flat_map(|m| {
                BasedVectorSpace::<Val>::as_basis_coefficients_slice(m)
                    .iter()
                    .copied()
            }));
            let leaf_rows = [LevelRows {
                level: 0,
                width: EXT_DEGREE * arity,
                rows: &leaves,
            }];
            let authentic = verify_multi(
                self.hasher,
                &self.roots[r],
                log_n - log_arity,
                &cosets,
                &leaf_rows,
                &opening.siblings,
                scratch,
            )?;
            if !authentic {
                return Err(PcsError::MerkleMismatch {
                    what: "FRI folding round",
                    round: r,
                });
            }
            let beta = self.betas[r];
            current.clear();
            current.extend(members.chunks_exact_mut(arity).zip(&cosets).map(
                |(coset_values, &coset)| {
                    fold_coset(coset_values, log_arity, log_n, shift_inv, coset, beta)
                },
            ));
            core::mem::swap(&mut positions, &mut cosets);
            log_n -= log_arity;
            shift = shift.exp_power_of_2(log_arity);
            shift_inv = shift_inv.exp_power_of_2(log_arity);
            if let Some((_, ro)) = inputs.next_if(|(h, _)| *h == log_n) {
                if ro.len() != current.len() {
                    return Err(PcsError::InvalidClaim(
                        "input rows differ from fold positions",
                    ));
                }
                let weight = beta.exp_power_of_2(log_arity);
                for (c, &v) in current.iter_mut().zip(ro) {
                    *c += weight * v;
                }
            }
        }
        if inputs.next().is_some() {
            return Err(PcsError::InvalidClaim(
                "an input height is below the final codeword",
            ));
        }
        for (&position, &value) in positions.iter().zip(&current) {
            let x = bitrev_point(log_n, shift, position);
            let expected = self
                .final_poly
                .iter()
                .rev()
                .fold(Challenge::ZERO, |acc, &c| acc * x + c);
            if expected != value {
                return Err(PcsError::FinalPolyMismatch { position });
            }
        }
        Ok(())
    }
}
