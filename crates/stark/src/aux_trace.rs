//! Prover side of LogUp: the auxiliary (extension-field) columns of a table and its claimed sum.
//!
//! Column `c < last` holds the row's sum over group `c` of `s_i m_i / d_i`; the last column holds
//! the running sum `phi` (`phi[0] = 0`, `phi[r+1] = phi[r] + total(r) - claimed / n`), see
//! [`crate::logup`]. Each extension column is stored as its 4 base-field coordinates, so the
//! auxiliary matrix is an ordinary base-field matrix of width `4 * groups` for the PCS.

use alloc::vec::Vec;

use p3_field::{batch_multiplicative_inverse, BasedVectorSpace, Field, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use p3_maybe_rayon::prelude::*;

use crate::air::{Direction, Interaction};
use crate::logup::{claimed_share, signed, BusChallenges};
use crate::row_eval::RowEvaluator;
use crate::row_expr::{RowExpr, Window};
use crate::{Challenge, Val, EXT_DEGREE};

/// Rows handled together: one batch inversion per chunk keeps the scratch memory small.
const ROWS_PER_CHUNK: usize = 1 << 12;

/// The auxiliary trace of one table and its claimed LogUp sum. `None` if some fingerprint is
/// zero (the challenges hit a tuple: probability about rows * interactions / |Challenge|).
pub(crate) fn generate<'a>(
    main: &'a RowMajorMatrix<Val>,
    preprocessed: Option<&'a RowMajorMatrix<Val>>,
    interactions: &[Interaction],
    group_sizes: &[usize],
    challenges: &BusChallenges,
) -> Option<(RowMajorMatrix<Val>, Challenge)> {
    let height = main.height();
    let groups = group_sizes.len();
    let width = groups * EXT_DEGREE;
    let mut aux = Val::zero_vec(height * width);
    let compiled: Vec<(u16, Direction, Vec<RowExpr>, RowExpr)> = interactions
        .iter()
        .map(|i| {
            let values = i.values.iter().map(RowExpr::compile).collect();
            (
                i.bus,
                i.direction,
                values,
                RowExpr::compile(&i.multiplicity),
            )
        })
        .collect();
    let needs_tree = compiled
        .iter()
        .any(|(_, _, values, m)| m.is_tree() || values.iter().any(RowExpr::is_tree));

    // Pass 1 (parallel): per-row group sums, the last group's sum parked in the last column.
    let chunk_sums: Vec<Option<Challenge>> = aux
        .par_chunks_mut(ROWS_PER_CHUNK * width)
        .enumerate()
        .map(|(chunk, out)| {
            let first_row = chunk * ROWS_PER_CHUNK;
            let rows = out.len() / width;
            let mut multiplicities = Vec::with_capacity(rows * interactions.len());
            let mut fingerprints = Vec::with_capacity(rows * interactions.len());
            for row in first_row..first_row + rows {
                let next = (row + 1) % height;
                let slice = |m: &'a RowMajorMatrix<Val>, r: usize| {
                    &m.values[r * m.width..(r + 1) * m.width]
                };
                let window = Window {
                    main: slice(main, row),
                    main_next: slice(main, next),
                    preprocessed: preprocessed.map_or(&[], |p| slice(p, row)),
                    preprocessed_next: preprocessed.map_or(&[], |p| slice(p, next)),
                };
                let tree = needs_tree.then(|| RowEvaluator::at(main, preprocessed, row));
                for (bus, direction, values, multiplicity) in &compiled {
                    let m = signed(*direction, multiplicity.eval(&window, tree.as_ref()));
                    let d: Challenge = challenges
                        .fingerprint(*bus, values.iter().map(|v| v.eval(&window, tree.as_ref())));
                    multiplicities.push(m);
                    fingerprints.push(d);
                }
            }
            if fingerprints.iter().any(Field::is_zero) {
                return None;
            }
            let inverses = batch_multiplicative_inverse(&fingerprints);
            let mut sum = Challenge::ZERO;
            let mut terms = multiplicities.iter().zip(&inverses);
            for row_out in out.chunks_exact_mut(width) {
                for (column, &size) in group_sizes.iter().enumerate() {
                    let h: Challenge = terms.by_ref().take(size).map(|(&m, &inv)| inv * m).sum();
                    sum += h;
                    row_out[column * EXT_DEGREE..(column + 1) * EXT_DEGREE]
                        .copy_from_slice(h.as_basis_coefficients_slice());
                }
            }
            Some(sum)
        })
        .collect();
    let claimed: Challenge = chunk_sums.into_iter().sum::<Option<Challenge>>()?;

    // Pass 2 (sequential prefix sum): turn the last column into the running sum.
    let share = claimed_share(claimed, height.trailing_zeros() as usize);
    let last = (groups - 1) * EXT_DEGREE;
    let mut phi = Challenge::ZERO;
    for row_out in aux.chunks_exact_mut(width) {
        let total: Challenge = row_out
            .chunks_exact(EXT_DEGREE)
            .map(|c| Challenge::from_basis_coefficients_slice(c).expect("EXT_DEGREE coefficients"))
            .sum();
        row_out[last..].copy_from_slice(phi.as_basis_coefficients_slice());
        phi += total - share;
    }
    debug_assert!(phi.is_zero(), "the running sum closes its cycle");
    Some((RowMajorMatrix::new(aux, width), claimed))
}
