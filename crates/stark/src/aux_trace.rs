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

#[cfg(test)]
mod tests {
    use alloc::vec;

    use p3_air::{BaseEntry, SymbolicExpression, SymbolicVariable};

    use super::*;

    fn column(index: usize, offset: usize) -> SymbolicExpression<Val> {
        SymbolicVariable::new(BaseEntry::Main { offset }, index).into()
    }

    /// The auxiliary trace against the definition, row by row: group sums `sum s_i m_i / d_i`,
    /// the claimed total, and the running sum in the last column; at heights of one chunk (down
    /// to two rows) and of two.
    #[test]
    fn aux_rows_give_the_sums_of_the_definition() {
        let interactions = vec![
            Interaction::send(
                1,
                [column(0, 0), column(1, 1)],
                SymbolicExpression::from(Val::ONE),
            ),
            // A product: evaluated by the tree walk, not as an affine combination.
            Interaction::receive(2, [column(0, 0) * column(2, 0)], column(1, 0)),
            Interaction::send(3, [column(2, 0) + Val::from_u32(7)], column(2, 1)),
        ];
        let group_sizes = [2, 1];
        let x = Challenge::from_basis_coefficients_fn(|d| Val::from_u32(1_000_003 + d as u32));
        let challenges = BusChallenges::new(x * x + x, x * x * x - Val::ONE, 2);
        for log_height in [1, 3, 6, 13] {
            let height = 1usize << log_height;
            let values = (0..3 * height as u32)
                .map(|i| Val::from_u32(i.wrapping_mul(2_654_435_761) >> 3))
                .collect();
            let main = RowMajorMatrix::new(values, 3);
            let (aux, claimed) =
                generate(&main, None, &interactions, &group_sizes, &challenges).unwrap();
            assert_eq!(aux.width(), 2 * EXT_DEGREE);
            let cell = |r: usize, c: usize| main.values[(r % height) * 3 + c];
            let term = |direction, bus, tuple: &[Val], m: Val| {
                let d: Challenge = challenges.fingerprint(bus, tuple.iter().copied());
                d.inverse() * signed(direction, m)
            };
            let mut total = Challenge::ZERO;
            let mut sums = Vec::with_capacity(height);
            for r in 0..height {
                let first = term(Direction::Send, 1, &[cell(r, 0), cell(r + 1, 1)], Val::ONE)
                    + term(
                        Direction::Receive,
                        2,
                        &[cell(r, 0) * cell(r, 2)],
                        cell(r, 1),
                    );
                let last = term(
                    Direction::Send,
                    3,
                    &[cell(r, 2) + Val::from_u32(7)],
                    cell(r + 1, 2),
                );
                let row = &aux.values[r * aux.width()..(r + 1) * aux.width()];
                let h = Challenge::from_basis_coefficients_slice(&row[..EXT_DEGREE]).unwrap();
                assert_eq!(h, first, "height 2^{log_height}, row {r}: group 0");
                total += first + last;
                sums.push(first + last);
            }
            assert_eq!(claimed, total, "height 2^{log_height}: claimed sum");
            let share = claimed_share(claimed, log_height);
            let mut phi = Challenge::ZERO;
            for (r, row_sum) in sums.iter().enumerate() {
                let row = &aux.values[r * aux.width()..(r + 1) * aux.width()];
                let stored = Challenge::from_basis_coefficients_slice(&row[EXT_DEGREE..]).unwrap();
                assert_eq!(stored, phi, "height 2^{log_height}, row {r}: running sum");
                phi += *row_sum - share;
            }
        }
    }

    #[test]
    fn a_zero_fingerprint_is_reported() {
        // gamma = bus + beta * 5: the tuple (5) has a zero fingerprint.
        let beta = Challenge::from_basis_coefficients_fn(|d| Val::from_u32(3 + d as u32));
        let gamma = Challenge::from(Val::from_u32(4)) + beta * Val::from_u32(5);
        let challenges = BusChallenges::new(gamma, beta, 1);
        let interactions = vec![Interaction::send(4, [column(0, 0)], column(0, 0))];
        let values = (0..64)
            .map(|i| Val::from_u32(if i == 37 { 5 } else { 6 }))
            .collect();
        let main = RowMajorMatrix::new(values, 1);
        assert!(generate(&main, None, &interactions, &[1], &challenges).is_none());
    }
}
