//! `Pcs::open`: evaluate at the opening points, batch the DEEP quotients, run FRI, answer queries.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};

use super::deep::{evaluate_at_points, reduced_openings, OpenedValues};
use super::{fri, Committed, Pcs};
use crate::fold::FoldPlan;
use crate::merkle::distinct_shifted;
use crate::proof::{BatchMultiOpening, OpeningProof};
use crate::{codec, Challenge, Digest, Transcript, Val};

impl Pcs {
    /// Open every matrix of every round at its points (`points[matrix]`, e.g. `[zeta, zeta *
    /// omega]`; every matrix needs at least one point, and points must lie outside the base
    /// field, as out-of-domain challenges drawn from the extension do with overwhelming
    /// probability).
    ///
    /// Returns `values[round][matrix][point][column]` and the opening proof. The opened values
    /// are absorbed into `t` here (before the batching challenge), so the caller only absorbs its
    /// commitment digests; docs/pcs.md lists the full transcript order.
    ///
    /// # Panics
    /// On caller errors: a points list whose length differs from the round's matrix count, a
    /// matrix without points, or a point in the base field.
    pub fn open(
        &self,
        rounds: &[(&Committed, Vec<Vec<Challenge>>)],
        t: &mut Transcript,
    ) -> (OpenedValues, OpeningProof) {
        for (c, points) in rounds {
            assert_eq!(points.len(), c.num_matrices(), "one points list per matrix");
            for z in points.iter().flatten() {
                assert!(
                    BasedVectorSpace::<Val>::as_basis_coefficients_slice(z)[1..]
                        .iter()
                        .any(|&v| v != Val::ZERO),
                    "opening points must lie outside the base field"
                );
            }
            assert!(
                points.iter().all(|p| !p.is_empty()),
                "every matrix must be opened"
            );
        }
        let values = evaluate_at_points(rounds);
        self.open_values(rounds, values, t)
    }

    /// [`Self::open`] with the opened values given: the honest ones from
    /// [`evaluate_at_points`], or in tests whatever a dishonest prover claims.
    pub(super) fn open_values(
        &self,
        rounds: &[(&Committed, Vec<Vec<Challenge>>)],
        values: OpenedValues,
        t: &mut Transcript,
    ) -> (OpenedValues, OpeningProof) {
        for v in values.iter().flatten().flatten().flatten() {
            t.observe_ext(*v);
        }
        let batch_pow_witness = t.grind(self.params.query_pow_bits);
        let alpha = t.sample_ext();
        let reduced = reduced_openings(self, rounds, &values, alpha);

        let heights: Vec<usize> = reduced.iter().map(|(h, _)| *h).collect();
        let min_log_height = rounds
            .iter()
            .flat_map(|(c, _)| c.log_heights.iter().copied())
            .min()
            .unwrap_or(0);
        let plan = FoldPlan::new(&self.params, &heights, min_log_height);
        let (fold_rounds, final_poly) = fri::commit_phase(self, &plan, reduced, t);

        let pow_witness = t.grind(self.params.query_pow_bits);
        let mut indices: Vec<usize> = (0..self.params.num_queries)
            .map(|_| t.sample_bits(plan.log_max_height))
            .collect();
        indices.sort_unstable();
        indices.dedup();
        let proof = OpeningProof {
            batch_pow_witness,
            fold_roots: fold_rounds
                .iter()
                .map(|r| codec::digest_to_u32s(&r.tree.root()))
                .collect(),
            final_poly: final_poly.iter().map(codec::ext_to_u32s).collect(),
            pow_witness,
            rounds: rounds
                .iter()
                .map(|(c, _)| self.open_batch(c, &indices, plan.log_max_height))
                .collect(),
            folds: fri::open_queries(self, &fold_rounds, &indices),
        };
        (values, proof)
    }
}

impl Pcs {
    /// The multi-opening of `c` at the distinct query `indices` (sorted, into LDE height
    /// `2^log_max_height`): by decreasing matrix height, the rows each distinct row index holds,
    /// then the tree's sibling digests. One height at a time, only the rows it needs (recomputed
    /// a block of columns at a time when only coefficients are kept): the opened rows and the
    /// rows under the tree's elided layers whose digests the siblings need.
    fn open_batch(
        &self,
        c: &Committed,
        indices: &[usize],
        log_max_height: usize,
    ) -> BatchMultiOpening {
        let mut lde_heights: Vec<usize> = c
            .log_heights
            .iter()
            .map(|h| h + self.log_blowup())
            .collect();
        lde_heights.sort_unstable_by(|a, b| b.cmp(a));
        lde_heights.dedup();
        let mut leaves = Vec::new();
        distinct_shifted(indices, log_max_height - lde_heights[0], &mut leaves);
        let mut values = Vec::new();
        let mut rows = Vec::new();
        let mut row_digests: BTreeMap<(usize, usize), Digest> = BTreeMap::new();
        for &h in &lde_heights {
            let height = 1usize << h;
            distinct_shifted(indices, log_max_height - h, &mut rows);
            let elided = c.tree.elided_rows(&leaves, height);
            let mut needed: Vec<usize> = rows.iter().chain(&elided).copied().collect();
            needed.sort_unstable();
            needed.dedup();
            let class_rows = self.class_rows(c, height, &needed);
            let row =
                |r: usize| &class_rows[needed.binary_search(&r).expect("every needed row is read")];
            for &r in &rows {
                // Each row from a doubleword: a zero word after an odd one (`to_dwords`).
                let words: Vec<u32> = row(r).iter().map(|&v| codec::val_to_u32(v)).collect();
                values.extend(codec::to_dwords(&words));
            }
            for r in elided {
                row_digests.insert((height, r), self.hasher.hash_slice(row(r)));
            }
        }
        let siblings = c
            .tree
            .multi_siblings_with(&self.hasher, &leaves, |height, row| {
                row_digests[&(height, row)]
            });
        BatchMultiOpening { values, siblings }
    }
}
