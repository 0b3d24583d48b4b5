//! DEEP openings (prover side): the claimed values at the opening points and the batched
//! quotients `(f(x) - f(z)) / (x - z)` that FRI proves low-degree.
//!
//! Both need `1 / (x - z)` over LDE points; one table per (LDE height, point) serves both (the
//! evaluation uses its prefix: the first `height` rows of a bit-reversed LDE are the coset
//! `g * H_height`).

use alloc::vec::Vec;

use p3_field::{
    batch_multiplicative_inverse, BasedVectorSpace, Field, PackedValue, PrimeCharacteristicRing,
};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use p3_maybe_rayon::prelude::*;

use super::{bitrev_coset_points, Committed};
use crate::fold::lde_shift;
use crate::{Challenge, Val, EXT_DEGREE};

type Packed = <Val as Field>::Packing;

/// Rows per parallel task when summing over a matrix.
const ROW_CHUNK: usize = 1 << 12;

/// Opened values, indexed `[round][matrix][point][column]`.
pub type OpenedValues = Vec<Vec<Vec<Vec<Challenge>>>>;

/// `1 / (x - z)` for every bit-reversed LDE point `x`, per distinct (LDE height, point).
pub(super) struct InverseTables {
    tables: Vec<(usize, Challenge, Vec<Challenge>)>,
}

impl InverseTables {
    pub(super) fn new(log_blowup: usize, rounds: &[(&Committed, Vec<Vec<Challenge>>)]) -> Self {
        let mut tables: Vec<(usize, Challenge, Vec<Challenge>)> = Vec::new();
        for (c, points) in rounds {
            for (log_h, pts) in c.log_heights.iter().zip(points) {
                let log_lde = log_h + log_blowup;
                for &z in pts {
                    if !tables.iter().any(|(h, p, _)| *h == log_lde && *p == z) {
                        let diffs: Vec<Challenge> = bitrev_coset_points(log_lde, lde_shift())
                            .par_iter()
                            .map(|&x| -z + x)
                            .collect();
                        tables.push((log_lde, z, batch_multiplicative_inverse(&diffs)));
                    }
                }
            }
        }
        Self { tables }
    }

    fn get(&self, log_lde: usize, z: Challenge) -> &[Challenge] {
        &self
            .tables
            .iter()
            .find(|(h, p, _)| *h == log_lde && *p == z)
            .expect("a table for every opened (height, point)")
            .2
    }
}

/// Evaluate every column of every matrix at its points by barycentric interpolation over the
/// first `height` rows of the LDE (the coset `g * H_n`, bit-reversed), which determine the
/// polynomial because its degree is below `height`:
/// `f(z) = (z^n - g^n) / (n g^n) * sum_i f(x_i) x_i / (z - x_i)`.
pub(super) fn evaluate_at_points(
    log_blowup: usize,
    rounds: &[(&Committed, Vec<Vec<Challenge>>)],
    inverses: &InverseTables,
) -> OpenedValues {
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
                                    let inv = &inverses.get(log_h + log_blowup, z)[..1 << log_h];
                                    weight_cache.push((
                                        log_h,
                                        z,
                                        barycentric_weights(log_h, z, inv),
                                    ));
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

/// Weights `w_i = -(z^n - g^n) / (n g^n) * x_i / (x_i - z)`, from `inv_i = 1 / (x_i - z)`.
fn barycentric_weights(log_n: usize, z: Challenge, inv: &[Challenge]) -> Vec<Challenge> {
    let g = lde_shift();
    let points = bitrev_coset_points(log_n, g);
    let g_n = g.exp_power_of_2(log_n);
    let scale = -(z.exp_power_of_2(log_n) - g_n) * (Val::from_usize(1 << log_n) * g_n).inverse();
    inv.par_iter()
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
/// the order round, matrix, point, column, so the verifier recomputes the same combination at
/// its query points.
pub(super) fn reduced_openings(
    log_blowup: usize,
    rounds: &[(&Committed, Vec<Vec<Challenge>>)],
    values: &OpenedValues,
    alpha: Challenge,
    inverses: &InverseTables,
) -> Vec<(usize, Vec<Challenge>)> {
    let mut heights: Vec<usize> = rounds
        .iter()
        .flat_map(|(c, _)| c.log_heights.iter().map(|h| h + log_blowup))
        .collect();
    heights.sort_unstable_by(|a, b| b.cmp(a));
    heights.dedup();
    let mut reduced: Vec<(usize, Vec<Challenge>)> = heights
        .iter()
        .map(|&h| (h, alloc::vec![Challenge::ZERO; 1 << h]))
        .collect();
    let mut alpha_offset = Challenge::ONE;
    for ((c, points), round_values) in rounds.iter().zip(values) {
        for (m, (pts, mat_values)) in points.iter().zip(round_values).enumerate() {
            let lde = &c.ldes[m];
            let log_lde = c.log_heights[m] + log_blowup;
            let width = lde.width();
            let alpha_pows: Vec<Challenge> = alpha.powers().take(width).collect();
            let combined = combine_columns(lde, &alpha_pows);
            let ro = &mut reduced
                .iter_mut()
                .find(|(h, _)| *h == log_lde)
                .expect("every height listed")
                .1;
            for (&z, vals) in pts.iter().zip(mat_values) {
                let at_z: Challenge = vals.iter().zip(&alpha_pows).map(|(&v, &a)| a * v).sum();
                let offset = alpha_offset;
                ro.par_iter_mut()
                    .zip(combined.par_iter().zip(inverses.get(log_lde, z).par_iter()))
                    .for_each(|(r, (&d, &inv))| *r += offset * (d - at_z) * inv);
                alpha_offset *= alpha.exp_u64(width as u64);
            }
        }
    }
    reduced
}
