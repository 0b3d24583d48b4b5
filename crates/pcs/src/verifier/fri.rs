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
use super::final_poly::FinalPoly;
use crate::codec::{dword_arrays, exts_in_place, Use};
#[cfg(not(target_os = "zkvm"))]
use crate::fold::fold_coset;
use crate::fold::{bitrev_point, lde_shift, CosetFold, FoldPlan};
use crate::hash::Hasher;
use crate::merkle::{distinct_shifted, verify_multi, LevelRows, MultiScratch};
use crate::proof::ArchivedFoldMultiOpening;
use crate::{Challenge, Digest, PcsError, EXT_DEGREE, MAX_LOG_FOLDING_ARITY};

/// Everything shared by the rounds of one FRI check.
pub(super) struct FriCheck<'a> {
    pub hasher: &'a Hasher,
    pub plan: &'a FoldPlan,
    pub roots: &'a [Digest],
    pub betas: &'a [Challenge],
    pub final_poly: FinalPoly<'a>,
}

impl FriCheck<'_> {
    /// Fold the batched DEEP quotients at the distinct query `indices` (sorted, at the largest
    /// height) through every round, adding each input height's `reduced` values where folding
    /// reaches it (inside a round from its committed sub-cosets, at a round's end directly), and
    /// compare the results with the final polynomial.
    pub fn verify(
        &self,
        indices: &[usize],
        reduced: &Reduced,
        folds: &ArchivedVec<ArchivedFoldMultiOpening>,
        scratch: &mut MultiScratch,
    ) -> Result<(), PcsError> {
        let rounds = &self.plan.rounds;
        if folds.len() != rounds.len() {
            return Err(PcsError::Shape {
                what: "fold openings",
                expected: rounds.len(),
                got: folds.len(),
            });
        }
        let log_max = self.plan.log_max_height;
        let mut inputs = reduced.by_height.iter().peekable();
        let mut current = match inputs.next() {
            Some((h, v)) if *h == log_max && v.len() == indices.len() => v.clone(),
            _ => return Err(PcsError::InvalidClaim("no input at the largest height")),
        };
        let mut log_n = log_max;
        let mut shift = lde_shift();
        let mut shift_inv = shift.inverse();
        let mut cosets = Vec::new();
        let mut folded = Vec::new();
        #[cfg(target_os = "zkvm")]
        let mut interpolation = super::interpolate::Interpolation::new();
        for (r, (round, opening)) in rounds.iter().zip(folds.iter()).enumerate() {
            let log_arity = round.log_arity;
            distinct_shifted(indices, log_max - (log_n - log_arity), &mut cosets);
            // The leaf parts with what the verifier knows of each: the positions the queries
            // reach at its height and their values (the previous round's, or the opened rows').
            let mut parts = Vec::with_capacity(1 + round.inner_heights.len());
            for (log_h, log_size) in round.leaf_parts(log_n) {
                let mut known = Vec::new();
                distinct_shifted(indices, log_max - log_h, &mut known);
                let values = if log_h == log_n {
                    &current
                } else {
                    match inputs.next() {
                        Some((h, v)) if *h == log_h && v.len() == known.len() => v,
                        _ => {
                            return Err(PcsError::InvalidClaim(
                                "input rows differ from fold positions",
                            ))
                        }
                    }
                };
                parts.push((log_size, known, values));
            }
            let leaf_len = round.leaf_len(log_n);
            let known_count: usize = parts.iter().map(|(_, known, _)| known.len()).sum();
            // Each known position lies in exactly one coset, so this does not underflow.
            let expected = cosets.len() * leaf_len - known_count;
            if opening.values.len() != expected {
                return Err(PcsError::Shape {
                    what: "fold values",
                    expected,
                    got: opening.values.len(),
                });
            }
            let sent = exts_in_place(dword_arrays(&opening.values), Use::HashFirst)?;
            let mut sent: &[Challenge] = sent;
            let mut members: Vec<Challenge> = Vec::with_capacity(cosets.len() * leaf_len);
            let mut known: Vec<_> = parts
                .iter()
                .map(|(_, known, values)| known.iter().zip(values.iter()).peekable())
                .collect();
            for &coset in &cosets {
                for ((log_size, _, _), known) in parts.iter().zip(known.iter_mut()) {
                    let (mut position, end) = (coset << log_size, (coset + 1) << log_size);
                    while position < end {
                        if let Some((_, &value)) = known.next_if(|(&p, _)| p == position) {
                            members.push(value);
                            position += 1;
                            continue;
                        }
                        // The unknown members up to the next known one come from the proof, as
                        // one copy (the count was checked above: one sent value per unknown).
                        let run_end = match known.peek() {
                            Some((&p, _)) if p > position && p < end => p,
                            _ => end,
                        };
                        let (run, rest) = sent
                            .split_at_checked(run_end - position)
                            .ok_or(PcsError::InvalidClaim("fold value count"))?;
                        members.extend_from_slice(run);
                        sent = rest;
                        position = run_end;
                    }
                }
            }
            // The leaves are the members' coordinates: the same buffer, reinterpreted.
            let leaves = Challenge::flatten_to_base(members);
            let leaf_rows = [LevelRows {
                level: 0,
                width: EXT_DEGREE * leaf_len,
                stride: EXT_DEGREE * leaf_len,
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
            let mut members = Challenge::reconstitute_from_base(leaves);
            let coset_fold = CosetFold::new(log_arity, self.betas[r]);
            folded.clear();
            for (leaf, &coset) in members.chunks_exact_mut(leaf_len).zip(&cosets) {
                let (codeword, rest) = leaf.split_at_mut(1 << log_arity);
                // At most `log_arity - 1` inner inputs lie strictly inside the round.
                let mut inner: [&[Challenge]; MAX_LOG_FOLDING_ARITY as usize] = Default::default();
                let mut rest: &[Challenge] = rest;
                let mut count = 0;
                for (slot, (_, log_size)) in inner.iter_mut().zip(round.leaf_parts(log_n).skip(1)) {
                    let (sub, tail) = rest.split_at(1 << log_size);
                    *slot = sub;
                    rest = tail;
                    count += 1;
                }
                // In a guest, the extension arithmetic of the binary folds goes to EXT_COMBINE.
                #[cfg(target_os = "zkvm")]
                let value =
                    super::interpolate::fold_coset_interpolated::<crate::precompile::CombineBlock>(
                        codeword,
                        &inner[..count],
                        &coset_fold,
                        log_n,
                        (shift, shift_inv),
                        coset,
                        &mut interpolation,
                    );
                #[cfg(not(target_os = "zkvm"))]
                let value = fold_coset(
                    codeword,
                    &inner[..count],
                    &coset_fold,
                    log_n,
                    shift_inv,
                    coset,
                );
                folded.push(value);
            }
            core::mem::swap(&mut current, &mut folded);
            log_n -= log_arity;
            shift = shift.exp_power_of_2(log_arity);
            shift_inv = shift_inv.exp_power_of_2(log_arity);
            if let Some((_, ro)) = inputs.next_if(|(h, _)| *h == log_n) {
                if ro.len() != current.len() {
                    return Err(PcsError::InvalidClaim(
                        "input rows differ from fold positions",
                    ));
                }
                let weight = coset_fold.end_weight();
                for (c, &v) in current.iter_mut().zip(ro) {
                    *c += crate::ext::mul(weight, v);
                }
            }
        }
        if inputs.next().is_some() {
            return Err(PcsError::InvalidClaim(
                "an input height is below the final codeword",
            ));
        }
        distinct_shifted(indices, log_max - log_n, &mut cosets);
        for (&position, &value) in cosets.iter().zip(&current) {
            let x = bitrev_point(log_n, shift, position);
            if self.final_poly.eval(x) != value {
                return Err(PcsError::FinalPolyMismatch { position });
            }
        }
        Ok(())
    }
}
