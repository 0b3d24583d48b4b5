//! `Pcs::open`: evaluate at the opening points, batch the DEEP quotients, run FRI, answer queries.

use alloc::vec::Vec;

use p3_field::{
    batch_multiplicative_inverse, BasedVectorSpace, Field, PackedValue, PrimeCharacteristicRing,
};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use p3_maybe_rayon::prelude::*;

use super::{bitrev_coset_points, fri, Committed, Pcs};
use crate::fold::{lde_shift, FoldPlan};
use crate::proof::{BatchOpening, OpeningProof, QueryProof};
use crate::{codec, Challenge, Transcript, Val, EXT_DEGREE};

type Packed = <Val as Field>::Packing;

/// Rows per parallel task when summing over a matrix.
const ROW_CHUNK: usize = 1 << 12;

/// Opened values, indexed `[round][matrix][point][column]`.
pub type OpenedValues = Vec<Vec<Vec<Vec<Challenge>>>>;

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
        for v in values.iter().flatten().flatten().flatten() {
            t.observe_ext(*v);
        }
        let batch_pow_witness = t.grind(self.params.query_pow_bits);
        let alpha = t.sample_ext();
        let reduced = reduced_openings(self.log_blowup(), rounds, &values, alpha);

        let heights: Vec<usize> = reduced.iter().map(|(h, _)| *h).collect();
        let min_log_height = rounds
            .iter()
            .flat_map(|(c, _)| c.log_heights.iter().copied())
            .min()
            .unwrap_or(0);
        let plan = FoldPlan::new(&self.params, &heights, min_log_height);
        let (fold_rounds, final_poly) = fri::commit_phase(self, &plan, reduced, t);

        let pow_witness = t.grind(self.params.query_pow_bits);
        let indices: Vec<usize> = (0..self.params.num_queries)
            .map(|_| t.sample_bits(plan.log_max_height))
            .collect();
        let queries = indices
            .iter()
            .map(|&index| QueryProof {
                rounds: rounds
                    .iter()
                    .map(|(c, _)| open_batch(c, index, plan.log_max_height, self.log_blowup()))
                    .collect(),
                folds: fri::open_query(&fold_rounds, index),
            })
            .collect();
        let proof = OpeningProof {
            batch_pow_witness,
            fold_roots: fold_rounds
                .iter()
                .map(|r| codec::digest_to_u32s(&r.tree.root()))
                .collect(),
            final_poly: final_poly.iter().map(codec::ext_to_u32s).collect(),
            pow_witness,
            queries,
        };
        (values, proof)
    }
}

/// Evaluate every column of every matrix at its points by barycentric interpolation over the
/// first `height` rows of the LDE (the coset `g * H_height`, bit-reversed), which determine the
/// polynomial because its degree is below `height`.
fn evaluate_at_points(rounds: &[(&Committed, Vec<Vec<Challenge>>)]) -> OpenedValues {
    let mut weight_cache: Vec<(usize, Challenge, Vec<Challenge>)> = Vec::new();
    rounds
        .iter()
        .map(|(c, points)| {
            points
                .iter()
                .enumerate()
                .map(|(m, pts)| {
                    let log_h = c.log_heights[m];
                    pts.iter()
                        .map(|&z| {
                            let pos = weight_cache
                                .iter()
                                .position(|(h, p, _)| *h == log_h && *p == z)
                                .unwrap_or_else(|| {
                                    weight_cache.push((log_h, z, barycentric_weights(log_h, z)));
                                    weight_cache.len() - 1
                                });
                            weighted_column_sums(&c.ldes[m], &weight_cache[pos].2)
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// Weights `w_i` with `f(z) = sum_i w_i f(x_i)` over the bit-reversed coset `x_i in g * H_n`:
/// `w_i = (z^n - g^n) / (n g^n) * x_i / (z - x_i)`.
fn barycentric_weights(log_n: usize, z: Challenge) -> Vec<Challenge> {
    let g = lde_shift();
    let points = bitrev_coset_points(log_n, g);
    let diffs: Vec<Challenge> = points.par_iter().map(|&x| z - x).collect();
    let inverses = batch_multiplicative_inverse(&diffs);
    let g_n = g.exp_power_of_2(log_n);
    let scale = (z.exp_power_of_2(log_n) - g_n) * (Val::from_usize(1 << log_n) * g_n).inverse();
    inverses
        .par_iter()
        .zip(points.par_iter())
        .map(|(&inv, &x)| scale * inv * x)
        .collect()
}

/// `sum_i weights[i] * row_i` for the first `weights.len()` rows of `lde`.
///
/// Extension-times-base products are linear in the base element, so each of the 4 coordinates
/// is a base-field dot product; those run on `Packing::WIDTH` rows at once.
fn weighted_column_sums(lde: &RowMajorMatrix<Val>, weights: &[Challenge]) -> Vec<Challenge> {
    let width = lde.width();
    if width == 0 {
        return Vec::new();
    }
    let lanes = Packed::WIDTH;
    let packed_rows = weights.len() / lanes * lanes;
    let packed_sums = lde.values[..width * packed_rows]
        .par_chunks(width * lanes * ROW_CHUNK)
        .zip(weights[..packed_rows].par_chunks(lanes * ROW_CHUNK))
        .map(|(rows, ws)| {
            let mut acc = alloc::vec![[Packed::ZERO; EXT_DEGREE]; width];
            for (group, w) in rows.chunks_exact(width * lanes).zip(ws.chunks_exact(lanes)) {
                let w: [Packed; EXT_DEGREE] = core::array::from_fn(|j| {
                    Packed::from_fn(|l| w[l].as_basis_coefficients_slice()[j])
                });
                for (c, a) in acc.iter_mut().enumerate() {
                    let f = Packed::from_fn(|l| group[l * width + c]);
                    for j in 0..EXT_DEGREE {
                        a[j] += w[j] * f;
                    }
                }
            }
            acc
        })
        .reduce(
            || alloc::vec![[Packed::ZERO; EXT_DEGREE]; width],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    for j in 0..EXT_DEGREE {
                        x[j] += y[j];
                    }
                }
                a
            },
        );
    let mut sums: Vec<Challenge> = packed_sums
        .iter()
        .map(|a| {
            Challenge::from_basis_coefficients_fn(|j| a[j].as_slice().iter().copied().sum::<Val>())
        })
        .collect();
    for (i, &w) in weights.iter().enumerate().skip(packed_rows) {
        for (s, &f) in sums.iter_mut().zip(&lde.values[i * width..(i + 1) * width]) {
            *s += w * f;
        }
    }
    sums
}

/// `sum_c alpha_pows[c] * row[c]` for every row of `lde`, packed like [`weighted_column_sums`].
fn combine_columns(lde: &RowMajorMatrix<Val>, alpha_pows: &[Challenge]) -> Vec<Challenge> {
    let width = lde.width();
    let height = lde.height();
    if width == 0 {
        return alloc::vec![Challenge::ZERO; height];
    }
    let lanes = Packed::WIDTH;
    let coeffs: Vec<[Val; EXT_DEGREE]> = alpha_pows
        .iter()
        .map(|a| core::array::from_fn(|j| a.as_basis_coefficients_slice()[j]))
        .collect();
    let mut out = alloc::vec![Challenge::ZERO; height];
    let packed_rows = height / lanes * lanes;
    out[..packed_rows]
        .par_chunks_exact_mut(lanes)
        .zip(lde.values[..packed_rows * width].par_chunks_exact(lanes * width))
        .for_each(|(out, group)| {
            let mut acc = [Packed::ZERO; EXT_DEGREE];
            for (c, coeff) in coeffs.iter().enumerate() {
                let f = Packed::from_fn(|l| group[l * width + c]);
                for j in 0..EXT_DEGREE {
                    acc[j] += f * coeff[j];
                }
            }
            for (l, o) in out.iter_mut().enumerate() {
                *o = Challenge::from_basis_coefficients_fn(|j| acc[j].as_slice()[l]);
            }
        });
    for (r, o) in out.iter_mut().enumerate().skip(packed_rows) {
        let row = &lde.values[r * width..(r + 1) * width];
        *o = row.iter().zip(alpha_pows).map(|(&f, &a)| a * f).sum();
    }
    out
}

/// The DEEP-quotient batch per LDE height, descending by height:
/// `ro_h(x) = sum over matrices of that height, points z, columns c of
/// alpha^k * (f_c(x) - f_c(z)) / (x - z)`, with `k` counting (matrix, point, column) triples in
/// the order round, matrix, point, column. Only matrices, points and columns enter, never
/// the prover's choices, so the verifier recomputes the same combination at its query points.
fn reduced_openings(
    log_blowup: usize,
    rounds: &[(&Committed, Vec<Vec<Challenge>>)],
    values: &OpenedValues,
    alpha: Challenge,
) -> Vec<(usize, Vec<Challenge>)> {
    // Numerators grouped by (LDE height, point): sum of alpha^k * (d(x) - d(z)).
    let mut groups: Vec<(usize, Challenge, Vec<Challenge>)> = Vec::new();
    let mut alpha_offset = Challenge::ONE;
    for ((c, points), round_values) in rounds.iter().zip(values) {
        for (m, (pts, mat_values)) in points.iter().zip(round_values).enumerate() {
            let lde = &c.ldes[m];
            let log_lde = c.log_heights[m] + log_blowup;
            let width = lde.width();
            let alpha_pows: Vec<Challenge> = alpha.powers().take(width).collect();
            let combined = combine_columns(lde, &alpha_pows);
            for (&z, vals) in pts.iter().zip(mat_values) {
                let at_z: Challenge = vals.iter().zip(&alpha_pows).map(|(&v, &a)| a * v).sum();
                let pos = groups
                    .iter()
                    .position(|(h, p, _)| *h == log_lde && *p == z)
                    .unwrap_or_else(|| {
                        groups.push((log_lde, z, alloc::vec![Challenge::ZERO; 1 << log_lde]));
                        groups.len() - 1
                    });
                let offset = alpha_offset;
                groups[pos]
                    .2
                    .par_iter_mut()
                    .zip(combined.par_iter())
                    .for_each(|(acc, &d)| *acc += offset * (d - at_z));
                alpha_offset *= alpha.exp_u64(width as u64);
            }
        }
    }
    let mut heights: Vec<usize> = groups.iter().map(|(h, _, _)| *h).collect();
    heights.sort_unstable_by(|a, b| b.cmp(a));
    heights.dedup();
    heights
        .into_iter()
        .map(|log_lde| {
            let points = bitrev_coset_points(log_lde, lde_shift());
            let mut ro = alloc::vec![Challenge::ZERO; 1 << log_lde];
            for (_, z, numer) in groups.iter().filter(|(h, _, _)| *h == log_lde) {
                let diffs: Vec<Challenge> = points.par_iter().map(|&x| -*z + x).collect();
                let inverses = batch_multiplicative_inverse(&diffs);
                ro.par_iter_mut()
                    .zip(numer.par_iter().zip(inverses.par_iter()))
                    .for_each(|(r, (&n, &inv))| *r += n * inv);
            }
            (log_lde, ro)
        })
        .collect()
}

/// The rows of every matrix of `c` answering query `index` (an index into LDE height
/// `2^log_max_height`) and the Merkle path.
fn open_batch(
    c: &Committed,
    index: usize,
    log_max_height: usize,
    log_blowup: usize,
) -> BatchOpening {
    let log_tree = c.tree.log_height();
    let leaf = index >> (log_max_height - log_tree);
    let values = c
        .ldes
        .iter()
        .zip(&c.log_heights)
        .flat_map(|(lde, &log_h)| {
            let row = leaf >> (log_tree - (log_h + log_blowup));
            lde.row_slice(row)
                .expect("row within the LDE")
                .iter()
                .map(|&v| codec::val_to_u32(v))
                .collect::<Vec<u32>>()
        })
        .collect();
    BatchOpening {
        values,
        path: c.tree.path(leaf),
    }
}
