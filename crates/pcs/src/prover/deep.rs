//! DEEP openings (prover side): the claimed values at the opening points and the batched
//! quotients `(f(x) - f(z)) / (x - z)` that FRI proves low-degree.
//!
//! Both need `1 / (x - z)` over LDE points. Those are computed where they are used, a chunk of
//! rows at a time, rather than kept as tables: at the largest height such tables took two
//! extension elements per LDE row and point, more than anything else the opening allocates.

use alloc::vec::Vec;

use p3_field::{
    batch_multiplicative_inverse, BasedVectorSpace, Field, PackedValue, PrimeCharacteristicRing,
};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use p3_maybe_rayon::prelude::*;

use super::{bitrev_coset_points, Committed, Pcs};
use crate::batch::{batch_exponents, BatchShape};
use crate::fold::lde_shift;
use crate::{Challenge, Val, EXT_DEGREE};

type Packed = <Val as Field>::Packing;

/// Rows per parallel task when summing over a matrix.
const ROW_CHUNK: usize = 1 << 12;

/// Opened values, indexed `[round][matrix][point][column]`.
pub type OpenedValues = Vec<Vec<Vec<Vec<Challenge>>>>;

/// Rows per parallel task in the DEEP accumulation (one batch inversion per task and point).
const DEEP_CHUNK: usize = 1 << 12;

/// Evaluate every column of every matrix at its points: from kept LDEs by barycentric
/// interpolation over their first `height` rows (the coset `g * H_n`, bit-reversed), which
/// determine the polynomial because its degree is below `height`:
/// `f(z) = (z^n - g^n) / (n g^n) * sum_i f(x_i) x_i / (z - x_i)`; from coefficients as
/// `sum_i c_i z^i`. Both are weighted sums of rows, with weights cached per height and point.
pub(super) fn evaluate_at_points(rounds: &[(&Committed, Vec<Vec<Challenge>>)]) -> OpenedValues {
    let mut weight_cache: Vec<(usize, Challenge, bool, Vec<Challenge>)> = Vec::new();
    rounds
        .iter()
        .map(|(c, points)| {
            points
                .iter()
                .enumerate()
                .map(|(m, pts)| {
                    let log_h = c.log_heights[m];
                    let (matrix, is_lde) = c.matrix(m);
                    pts.iter()
                        .map(|&z| {
                            let pos = weight_cache
                                .iter()
                                .position(|(h, p, l, _)| *h == log_h && *p == z && *l == is_lde)
                                .unwrap_or_else(|| {
                                    let weights = if is_lde {
                                        barycentric_weights(log_h, z)
                                    } else {
                                        z.powers().take(1 << log_h).collect()
                                    };
                                    weight_cache.push((log_h, z, is_lde, weights));
                                    weight_cache.len() - 1
                                });
                            weighted_column_sums(matrix, &weight_cache[pos].3)
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// Weights `w_i = -(z^n - g^n) / (n g^n) * x_i / (x_i - z)` over the first `n = 2^log_n` rows
/// of a bit-reversed LDE (the bit-reversed coset `g * H_n`).
fn barycentric_weights(log_n: usize, z: Challenge) -> Vec<Challenge> {
    let g = lde_shift();
    let points = bitrev_coset_points(log_n, g);
    let diffs: Vec<Challenge> = points.par_iter().map(|&x| -z + x).collect();
    let inv = batch_multiplicative_inverse(&diffs);
    drop(diffs);
    let g_n = g.exp_power_of_2(log_n);
    let scale = -(z.exp_power_of_2(log_n) - g_n) * (Val::from_usize(1 << log_n) * g_n).inverse();
    inv.par_iter()
        .zip(points.par_iter())
        .map(|(&inv, &x)| scale * inv * x)
        .collect()
}

/// `sum_i weights[i] * row_i` for the first `weights.len()` rows of `matrix`.
///
/// Extension-times-base products are linear in the base element, so each of the 4 coordinates
/// is a base-field dot product; those run on `Packing::WIDTH` rows at once.
fn weighted_column_sums(matrix: &RowMajorMatrix<Val>, weights: &[Challenge]) -> Vec<Challenge> {
    let width = matrix.width();
    if width == 0 {
        return Vec::new();
    }
    let lanes = Packed::WIDTH;
    let packed_rows = weights.len() / lanes * lanes;
    let packed_sums = matrix.values[..width * packed_rows]
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
        for (s, &f) in sums
            .iter_mut()
            .zip(&matrix.values[i * width..(i + 1) * width])
        {
            *s += w * f;
        }
    }
    sums
}

/// `sum_c alpha_pows[c] * row[c]` for the rows `first..first + out.len()` of `lde` (an LDE or a
/// coefficient matrix), packed like [`weighted_column_sums`] (`coeffs` are the powers' basis
/// coefficients).
fn combine_rows(
    lde: &RowMajorMatrix<Val>,
    alpha_pows: &[Challenge],
    coeffs: &[[Val; EXT_DEGREE]],
    first: usize,
    out: &mut [Challenge],
) {
    let width = lde.width();
    let lanes = Packed::WIDTH;
    let packed_rows = out.len() / lanes * lanes;
    let values = &lde.values[first * width..(first + out.len()) * width];
    for (out, group) in out[..packed_rows]
        .chunks_exact_mut(lanes)
        .zip(values.chunks_exact(lanes * width))
    {
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
    }
    for (r, o) in out.iter_mut().enumerate().skip(packed_rows) {
        let row = &values[r * width..(r + 1) * width];
        *o = row.iter().zip(alpha_pows).map(|(&f, &a)| a * f).sum();
    }
}

/// One opened matrix's share of the DEEP batch: its column powers of alpha and, per opening
/// point, the point's slot at the matrix's height, the `alpha^k` offset and the combination of
/// the claimed values.
struct MatrixTerms<'a> {
    /// The kept LDE, or the coefficients.
    matrix: &'a RowMajorMatrix<Val>,
    is_lde: bool,
    alpha_pows: Vec<Challenge>,
    coeffs: Vec<[Val; EXT_DEGREE]>,
    terms: Vec<(usize, Challenge, Challenge)>,
}

/// The matrices of one LDE height and the distinct points they are opened at.
struct HeightBatch<'a> {
    log_lde: usize,
    points: Vec<Challenge>,
    matrices: Vec<MatrixTerms<'a>>,
}

impl HeightBatch<'_> {
    /// `ro(x) = sum_k (sum over terms at point k of offset * (combined(x) - at_z)) / (x - z_k)`:
    /// the kept LDEs' share pointwise ([`Self::reduce_ldes`]), the coefficient matrices' share as
    /// one polynomial extended once ([`Self::reduce_coefficients`]).
    fn reduce(&self, pcs: &Pcs) -> (usize, Vec<Val>) {
        let mut ro = self.reduce_ldes();
        if self.matrices.iter().any(|m| !m.is_lde) {
            for (r, v) in ro.iter_mut().zip(self.reduce_coefficients(pcs)) {
                *r += v;
            }
        }
        (self.log_lde, ro)
    }

    /// The kept LDEs' share of `ro`, a chunk of rows at a time: the numerators live per chunk,
    /// the inverses are computed once per chunk and point, and only `ro` itself spans the height.
    fn reduce_ldes(&self) -> Vec<Val> {
        let num_points = self.points.len();
        let height = 1usize << self.log_lde;
        let mut ro = Val::zero_vec(height * EXT_DEGREE);
        if self.matrices.iter().all(|m| !m.is_lde) {
            return ro;
        }
        let chunk = DEEP_CHUNK.min(height);
        let xs = bitrev_coset_points(self.log_lde, lde_shift());
        ro.par_chunks_mut(chunk * EXT_DEGREE)
            .zip(xs.par_chunks(chunk))
            .enumerate()
            .for_each(|(i, (out, xs))| {
                let rows = xs.len();
                let mut numerators = alloc::vec![Challenge::ZERO; num_points * rows];
                let mut combined = alloc::vec![Challenge::ZERO; rows];
                for m in self.matrices.iter().filter(|m| m.is_lde) {
                    if m.matrix.width() > 0 {
                        combine_rows(m.matrix, &m.alpha_pows, &m.coeffs, i * chunk, &mut combined);
                    }
                    for &(slot, offset, at_z) in &m.terms {
                        let numerator = &mut numerators[slot * rows..(slot + 1) * rows];
                        for (n, &d) in numerator.iter_mut().zip(&combined) {
                            *n += offset * (d - at_z);
                        }
                    }
                }
                let mut sums = alloc::vec![Challenge::ZERO; rows];
                for (k, &z) in self.points.iter().enumerate() {
                    let diffs: Vec<Challenge> = xs.iter().map(|&x| -z + x).collect();
                    let inverses = batch_multiplicative_inverse(&diffs);
                    for ((o, n), inv) in sums
                        .iter_mut()
                        .zip(&numerators[k * rows..(k + 1) * rows])
                        .zip(inverses)
                    {
                        *o += *n * inv;
                    }
                }
                for (o, sum) in out.chunks_exact_mut(EXT_DEGREE).zip(&sums) {
                    o.copy_from_slice(sum.as_basis_coefficients_slice());
                }
            });
        ro
    }

    /// The coefficient matrices' share of `ro`: per point, the numerator polynomial
    /// `N_k(X) = sum of offset * (combined(X) - at_z)` from the coefficients, divided by
    /// `X - z_k` (exactly, as `N_k(z_k) = 0` when the claimed values are the evaluations), the
    /// quotients summed and extended once to the LDE coset: one extension column's LDE instead of
    /// a pass over every matrix's.
    fn reduce_coefficients(&self, pcs: &Pcs) -> Vec<Val> {
        let n = 1usize << (self.log_lde - pcs.log_blowup());
        let mut numerators = alloc::vec![alloc::vec![Challenge::ZERO; n]; self.points.len()];
        let mut combined = alloc::vec![Challenge::ZERO; n];
        for m in self.matrices.iter().filter(|m| !m.is_lde) {
            if m.matrix.width() > 0 {
                combined
                    .par_chunks_mut(DEEP_CHUNK)
                    .enumerate()
                    .for_each(|(i, out)| {
                        combine_rows(m.matrix, &m.alpha_pows, &m.coeffs, i * DEEP_CHUNK, out)
                    });
            } else {
                combined.fill(Challenge::ZERO);
            }
            for &(slot, offset, at_z) in &m.terms {
                let numerator = &mut numerators[slot];
                numerator
                    .par_iter_mut()
                    .zip(&combined)
                    .for_each(|(n, &d)| *n += offset * d);
                numerator[0] -= offset * at_z;
            }
        }
        let mut quotient = alloc::vec![Challenge::ZERO; n];
        for (numerator, &z) in numerators.iter().zip(&self.points) {
            // Synthetic division: q_{i-1} = a_i + z q_i from the top coefficient down.
            let mut q = Challenge::ZERO;
            for i in (1..n).rev() {
                q = numerator[i] + z * q;
                quotient[i - 1] += q;
            }
        }
        let coordinates: Vec<Val> = quotient
            .iter()
            .flat_map(|q| q.as_basis_coefficients_slice().iter().copied())
            .collect();
        pcs.lde_of_coefficients(&RowMajorMatrix::new(coordinates, EXT_DEGREE))
            .values
    }
}

/// The DEEP-quotient batch per LDE height, descending by height, as base-field coordinates (4
/// per value, the form FRI commits):
/// `ro_h(x) = sum over matrices of that height, points z, columns c of
/// alpha^k * (f_c(x) - f_c(z)) / (x - z)`, with `k` from [`batch_exponents`] (point slots major,
/// then leaf order: round, height, matrix, column), so the verifier recomputes the same combination at its query
/// points.
///
/// Computed height by height and chunk by chunk ([`HeightBatch::reduce`]): each matrix's column
/// combination is formed once for all its points, summed into one numerator per point, divided
/// by `x - z` once. The only allocation that spans an LDE is the result itself (no inverse
/// tables, no combined columns).
pub(super) fn reduced_openings(
    pcs: &Pcs,
    rounds: &[(&Committed, Vec<Vec<Challenge>>)],
    values: &OpenedValues,
    alpha: Challenge,
) -> Vec<(usize, Vec<Val>)> {
    let mut batches: Vec<HeightBatch<'_>> = Vec::new();
    let shapes: Vec<BatchShape> = rounds
        .iter()
        .enumerate()
        .flat_map(|(round, (c, points))| {
            points.iter().enumerate().map(move |(m, pts)| BatchShape {
                round,
                log_height: c.log_heights[m],
                width: c.matrix(m).0.width(),
                points: pts.len(),
            })
        })
        .collect();
    let mut exponents = batch_exponents(&shapes).into_iter();
    for ((c, points), round_values) in rounds.iter().zip(values) {
        for (m, (pts, mat_values)) in points.iter().zip(round_values).enumerate() {
            let exponents = exponents.next().expect("one exponent list per matrix");
            let (matrix, is_lde) = c.matrix(m);
            let log_lde = c.log_heights[m] + pcs.log_blowup();
            let index = match batches.iter().position(|b| b.log_lde == log_lde) {
                Some(index) => index,
                None => {
                    batches.push(HeightBatch {
                        log_lde,
                        points: Vec::new(),
                        matrices: Vec::new(),
                    });
                    batches.len() - 1
                }
            };
            let batch = &mut batches[index];
            let width = matrix.width();
            let alpha_pows: Vec<Challenge> = alpha.powers().take(width).collect();
            let terms = pts
                .iter()
                .zip(mat_values)
                .zip(exponents)
                .map(|((&z, vals), k)| {
                    let slot = match batch.points.iter().position(|&p| p == z) {
                        Some(slot) => slot,
                        None => {
                            batch.points.push(z);
                            batch.points.len() - 1
                        }
                    };
                    let at_z: Challenge = vals.iter().zip(&alpha_pows).map(|(&v, &a)| a * v).sum();
                    (slot, alpha.exp_u64(k as u64), at_z)
                })
                .collect();
            let coeffs = alpha_pows
                .iter()
                .map(|a| core::array::from_fn(|j| a.as_basis_coefficients_slice()[j]))
                .collect();
            batch.matrices.push(MatrixTerms {
                matrix,
                is_lde,
                alpha_pows,
                coeffs,
                terms,
            });
        }
    }
    batches.sort_unstable_by_key(|b| core::cmp::Reverse(b.log_lde));
    batches.iter().map(|b| b.reduce(pcs)).collect()
}
