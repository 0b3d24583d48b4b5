//! The prover's quotient: every constraint of a table, folded with powers of `alpha`, evaluated
//! on the quotient coset with SIMD packings (rayon over chunks of `PackedVal::WIDTH` points),
//! divided by the vanishing polynomial `Z_H(x) = x^n - 1` of the trace domain, and split into
//! `2^log_chunks` polynomials of degree `< n` (coefficient form) for the PCS:
//! `q(X) = sum_j X^(j n) q_j(X)`.

use alloc::vec::Vec;

use p3_air::RowWindow;
use p3_dft::{Radix2DitParallel, TwoAdicSubgroupDft};
use p3_field::{
    batch_multiplicative_inverse, BasedVectorSpace, Field, PackedFieldExtension, PackedValue,
    PrimeCharacteristicRing, TwoAdicField,
};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use p3_maybe_rayon::prelude::*;

use crate::air::Interaction;
use crate::folder::ProverFolder;
use crate::logup::BusChallenges;
use crate::{Challenge, PackedChallenge, PackedVal, ProverTable, Val, EXT_DEGREE};

/// Everything the quotient of one table depends on, besides its traces on the quotient coset.
pub(crate) struct QuotientInputs<'a> {
    pub table: &'a dyn ProverTable,
    pub interactions: &'a [Interaction],
    pub group_sizes: &'a [usize],
    pub num_air_constraints: usize,
    pub log_height: usize,
    pub log_chunks: usize,
    pub challenges: &'a BusChallenges,
    pub claimed_share: Challenge,
    pub alpha: Challenge,
}

/// Selector values at every point of the quotient coset (natural order).
struct Selectors {
    is_first_row: Vec<Val>,
    is_last_row: Vec<Val>,
    is_transition: Vec<Val>,
    inv_vanishing: Vec<Val>,
}

/// Unnormalised Lagrange selectors of the trace domain `H = <w>` (size `n`) on the coset
/// `shift * <w_N>`: `Z_H(x) / (x - 1)`, `Z_H(x) / (x - w^-1)`, `x - w^-1` and `1 / Z_H(x)`.
/// The verifier evaluates the same formulas at `zeta`.
fn selectors(log_height: usize, log_size: usize, shift: Val) -> Selectors {
    let size = 1 << log_size;
    let last = Val::two_adic_generator(log_height).inverse();
    let points: Vec<Val> = Val::two_adic_generator(log_size)
        .shifted_powers(shift)
        .take(size)
        .collect();
    // x^n takes only 2^(log_size - log_height) values on the coset, repeating with that period.
    let period = 1 << (log_size - log_height);
    let vanishing: Vec<Val> = points[..period]
        .iter()
        .map(|x| x.exp_power_of_2(log_height) - Val::ONE)
        .collect();
    let inv_vanishing_period = batch_multiplicative_inverse(&vanishing);
    let minus_one: Vec<Val> = points.par_iter().map(|&x| x - Val::ONE).collect();
    let minus_last: Vec<Val> = points.par_iter().map(|&x| x - last).collect();
    let inv_minus_one = batch_multiplicative_inverse(&minus_one);
    let inv_minus_last = batch_multiplicative_inverse(&minus_last);
    let z = |i: usize| vanishing[i % period];
    Selectors {
        is_first_row: (0..size).map(|i| z(i) * inv_minus_one[i]).collect(),
        is_last_row: (0..size).map(|i| z(i) * inv_minus_last[i]).collect(),
        is_transition: minus_last,
        inv_vanishing: (0..size)
            .map(|i| inv_vanishing_period[i % period])
            .collect(),
    }
}

/// Per-thread scratch space of the quotient loop, reused from one packed group to the next.
struct Buffers {
    main: Vec<PackedVal>,
    preprocessed: Vec<PackedVal>,
    aux: Vec<PackedVal>,
    aux_local: Vec<PackedChallenge>,
    aux_next: Vec<PackedChallenge>,
    constraints: Vec<PackedVal>,
}

impl Buffers {
    fn new(num_constraints: usize) -> Self {
        Self {
            main: Vec::new(),
            preprocessed: Vec::new(),
            aux: Vec::new(),
            aux_local: Vec::new(),
            aux_next: Vec::new(),
            constraints: Vec::with_capacity(num_constraints),
        }
    }
}

/// Packs rows `start..start + WIDTH` (lane `l` = row `start + l`) of `m` into `out`, followed by
/// the rows `next_step` further down (the next trace rows), all wrapping at `size`.
fn pack_row_pair<M: Matrix<Val>>(
    m: &M,
    start: usize,
    next_step: usize,
    size: usize,
    out: &mut Vec<PackedVal>,
) {
    out.clear();
    for offset in [0, next_step] {
        let rows: [_; PackedVal::WIDTH] = core::array::from_fn(|lane| {
            m.row_slice((start + offset + lane) % size)
                .expect("row index reduced modulo the matrix height")
        });
        out.extend((0..m.width()).map(|c| PackedVal::from_fn(|lane| rows[lane][c])));
    }
}

/// The (current, next) window over a buffer holding the two packed rows one after the other.
fn window(rows: &[PackedVal]) -> RowWindow<'_, PackedVal> {
    let (local, next) = rows.split_at(rows.len() / 2);
    RowWindow::from_two_rows(local, next)
}

/// The quotient chunks of one table, as a coefficient matrix of height `n` and width
/// `4 * 2^log_chunks`: row `r` holds coefficient `r` of `q_0, q_1, ...` (each as its 4 base
/// coordinates). `main`, `preprocessed` and `aux` are the table's traces on the coset
/// `shift * <w_(n 2^log_chunks)>` in natural order.
pub(crate) fn quotient_chunks<M: Matrix<Val> + Sync>(
    inputs: &QuotientInputs<'_>,
    shift: Val,
    main: &M,
    preprocessed: Option<&M>,
    aux: Option<&M>,
) -> RowMajorMatrix<Val> {
    let log_size = inputs.log_height + inputs.log_chunks;
    let size = 1usize << log_size;
    let next_step = 1 << inputs.log_chunks;
    let sels = selectors(inputs.log_height, log_size, shift);

    let num_logup = inputs.group_sizes.len();
    let total = inputs.num_air_constraints + num_logup;
    let mut alpha_powers: Vec<Challenge> = inputs.alpha.powers().take(total).collect();
    alpha_powers.reverse();
    let (air_powers, logup_powers) = alpha_powers.split_at(inputs.num_air_constraints);
    let base_alpha_powers: Vec<Vec<Val>> = (0..EXT_DEGREE)
        .map(|d| {
            air_powers
                .iter()
                .map(|p| p.as_basis_coefficients_slice()[d])
                .collect()
        })
        .collect();

    let width = PackedVal::WIDTH;
    let mut values = Challenge::zero_vec(size.max(width));
    values.par_chunks_mut(width).enumerate().for_each_init(
        || Buffers::new(inputs.num_air_constraints),
        |bufs, (group, out)| {
            let i = group * width;
            let pack = |v: &[Val]| PackedVal::from_fn(|lane| v[(i + lane) % size]);
            pack_row_pair(main, i, next_step, size, &mut bufs.main);
            match preprocessed {
                Some(m) => pack_row_pair(m, i, next_step, size, &mut bufs.preprocessed),
                None => bufs.preprocessed.clear(),
            }
            let mut folder = ProverFolder {
                main: window(&bufs.main),
                preprocessed: window(&bufs.preprocessed),
                is_first_row: pack(&sels.is_first_row),
                is_last_row: pack(&sels.is_last_row),
                is_transition: pack(&sels.is_transition),
                constraints: core::mem::take(&mut bufs.constraints),
            };
            inputs.table.eval(&mut folder);
            debug_assert_eq!(folder.constraints.len(), inputs.num_air_constraints);
            let mut acc = folder.fold(&base_alpha_powers);

            if let Some(aux) = aux {
                pack_row_pair(aux, i, next_step, size, &mut bufs.aux);
                let ext = |row: &[PackedVal], out: &mut Vec<PackedChallenge>| {
                    out.clear();
                    out.extend(
                        row.chunks_exact(EXT_DEGREE)
                            .map(|c| PackedChallenge::from_basis_coefficients_fn(|d| c[d])),
                    );
                };
                let (local, next) = bufs.aux.split_at(bufs.aux.len() / 2);
                ext(local, &mut bufs.aux_local);
                ext(next, &mut bufs.aux_next);
                let mut powers = logup_powers.iter();
                inputs.challenges.eval_table(
                    &folder,
                    inputs.interactions,
                    inputs.group_sizes,
                    &bufs.aux_local,
                    &bufs.aux_next,
                    inputs.claimed_share,
                    |c: PackedChallenge| {
                        let &power = powers.next().expect("one power per LogUp constraint");
                        acc += c * power;
                    },
                );
            }
            bufs.constraints = folder.constraints;
            bufs.constraints.clear();
            let quotient = acc * pack(&sels.inv_vanishing);
            for (lane, q) in out.iter_mut().enumerate() {
                *q = quotient.extract(lane);
            }
        },
    );
    values.truncate(size);

    let coefficients = Radix2DitParallel::default().coset_idft_algebra(values, shift);
    let height = 1 << inputs.log_height;
    let chunks = 1 << inputs.log_chunks;
    let row_width = chunks * EXT_DEGREE;
    let mut matrix = Val::zero_vec(height * row_width);
    matrix
        .par_chunks_mut(row_width)
        .enumerate()
        .for_each(|(r, row)| {
            for (j, out) in row.chunks_exact_mut(EXT_DEGREE).enumerate() {
                out.copy_from_slice(coefficients[j * height + r].as_basis_coefficients_slice());
            }
        });
    RowMajorMatrix::new(matrix, row_width)
}
