//! FRI query checks (verifier side).

use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};
use rkyv::vec::ArchivedVec;

use crate::codec::ext_from_archived;
use crate::fold::{bitrev_point, fold_coset, lde_shift, FoldPlan};
use crate::hash::Hasher;
use crate::merkle::{verify_batch, MatrixShape};
use crate::params::MAX_LOG_FOLDING_ARITY;
use crate::proof::ArchivedFoldOpening;
use crate::{Challenge, Digest, PcsError, Val, EXT_DEGREE};

const MAX_ARITY: usize = 1 << MAX_LOG_FOLDING_ARITY;

/// Everything shared by all queries of one FRI check.
pub(super) struct FriCheck<'a> {
    pub hasher: &'a Hasher,
    pub plan: &'a FoldPlan,
    pub roots: &'a [Digest],
    pub betas: &'a [Challenge],
    pub final_poly: &'a [Challenge],
}

impl FriCheck<'_> {
    /// Follow query `index` through every folding round: `reduced` holds the batched DEEP
    /// quotient at the query's point for each input height (descending, the first at the
    /// starting height), added in where folding reaches that height; the last value must match
    /// the final polynomial.
    pub fn verify_query(
        &self,
        query: usize,
        index: usize,
        folds: &ArchivedVec<ArchivedFoldOpening>,
        reduced: &[(usize, Challenge)],
    ) -> Result<(), PcsError> {
        let rounds = &self.plan.round_log_arities;
        if folds.len() != rounds.len() {
            return Err(PcsError::Shape {
                what: "fold openings",
                expected: rounds.len(),
                got: folds.len(),
            });
        }
        let mut inputs = reduced.iter().peekable();
        let mut current = match inputs.next() {
            Some(&(h, v)) if h == self.plan.log_max_height => v,
            _ => return Err(PcsError::InvalidClaim("no input at the largest height")),
        };
        let mut log_n = self.plan.log_max_height;
        let mut shift = lde_shift();
        let mut shift_inv = shift.inverse();
        let mut index = index;
        let mut coset_values = [Challenge::ZERO; MAX_ARITY];
        let mut leaf = [Val::ZERO; MAX_ARITY * EXT_DEGREE];
        for (r, (&log_arity, opening)) in rounds.iter().zip(folds.iter()).enumerate() {
            let arity = 1usize << log_arity;
            if opening.siblings.len() != arity - 1 {
                return Err(PcsError::Shape {
                    what: "fold siblings",
                    expected: arity - 1,
                    got: opening.siblings.len(),
                });
            }
            let own = index & (arity - 1);
            let coset = index >> log_arity;
            let mut siblings = opening.siblings.iter();
            for (i, slot) in coset_values[..arity].iter_mut().enumerate() {
                *slot = if i == own {
                    current
                } else {
                    // The length was checked above, so a sibling exists for every other slot.
                    ext_from_archived(siblings.next().ok_or(PcsError::InvalidClaim("siblings"))?)?
                };
            }
            for (chunk, v) in leaf
                .chunks_exact_mut(EXT_DEGREE)
                .zip(&coset_values[..arity])
            {
                chunk.copy_from_slice(v.as_basis_coefficients_slice());
            }
            let shape = [MatrixShape {
                log_height: log_n - log_arity,
                width: EXT_DEGREE * arity,
            }];
            let leaf_values = &leaf[..EXT_DEGREE * arity];
            if !verify_batch(
                self.hasher,
                &self.roots[r],
                &shape,
                coset,
                leaf_values,
                &opening.path,
            )? {
                return Err(PcsError::MerkleMismatch {
                    what: "a FRI folding round",
                    query,
                });
            }
            let beta = self.betas[r];
            current = fold_coset(
                &mut coset_values[..arity],
                log_arity,
                log_n,
                shift_inv,
                coset,
                beta,
            );
            log_n -= log_arity;
            shift = shift.exp_power_of_2(log_arity);
            shift_inv = shift_inv.exp_power_of_2(log_arity);
            index = coset;
            if let Some(&(_, ro)) = inputs.next_if(|(h, _)| *h == log_n) {
                current += beta.exp_power_of_2(log_arity) * ro;
            }
        }
        if inputs.next().is_some() {
            return Err(PcsError::InvalidClaim(
                "an input height is below the final codeword",
            ));
        }
        let x = bitrev_point(log_n, shift, index);
        let expected = self
            .final_poly
            .iter()
            .rev()
            .fold(Challenge::ZERO, |acc, &c| acc * x + c);
        if expected != current {
            return Err(PcsError::FinalPolyMismatch { query });
        }
        Ok(())
    }
}
