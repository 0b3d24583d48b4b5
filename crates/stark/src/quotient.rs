//! The prover's quotient: every constraint of a table, folded with powers of `alpha`, evaluated
//! on the quotient coset with SIMD packings (rayon over chunks of `PackedVal::WIDTH` points),
//! divided by the vanishing polynomial `Z_H(x) = x^n - 1` of the trace domain, and split into
//! `2^log_chunks` polynomials of degree `< n` (coefficient form) for the PCS:
//! `q(X) = sum_j X^(j n) q_j(X)`.
//!
//! The quotient domain `D` (`n 2^log_chunks` points) is evaluated one coset `D.element(e) * H`
//! of the trace domain at a time: a point's next trace row lies in its own coset, and each
//! trace's evaluations over one coset are a trace-size matrix, where all of `D` would be
//! `2^log_chunks` of them per trace (the largest buffers of the quotient round).

use alloc::vec::Vec;

use droste_pcs::Domain;
use p3_air::RowWindow;
use p3_dft::{Radix2DFTSmallBatch, TwoAdicSubgroupDft};
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

/// Selector values at every point of one coset `shift * H` of the trace domain (natural order).
struct Selectors {
    is_first_row: Vec<Val>,
    is_last_row: Vec<Val>,
    is_transition: Vec<Val>,
    inv_vanishing: Val,
}

/// Unnormalised Lagrange selectors of the trace domain `H = <w>` (size `n`) on the coset
/// `shift * H`: `Z_H(x) / (x - 1)`, `Z_H(x) / (x - w^-1)`, `x - w^-1` and `1 / Z_H(x)`, where
/// `Z_H(x) = x^n - 1 = shift^n - 1` on the whole coset. The verifier evaluates the same formulas
/// at `zeta`.
fn selectors(log_height: usize, shift: Val) -> Selectors {
    let w = Val::two_adic_generator(log_height);
    let last = w.inverse();
    let points: Vec<Val> = w.shifted_powers(shift).take(1 << log_height).collect();
    let vanishing = shift.exp_power_of_2(log_height) - Val::ONE;
    let minus_one: Vec<Val> = points.par_iter().map(|&x| x - Val::ONE).collect();
    let minus_last: Vec<Val> = points.par_iter().map(|&x| x - last).collect();
    drop(points);
    let is_first_row = batch_multiplicative_inverse(&minus_one)
        .into_iter()
        .map(|inv| vanishing * inv)
        .collect();
    drop(minus_one);
    Selectors {
        is_first_row,
        is_last_row: batch_multiplicative_inverse(&minus_last)
            .into_iter()
            .map(|inv| vanishing * inv)
            .collect(),
        is_transition: minus_last,
        inv_vanishing: vanishing.inverse(),
    }
}

/// A table's traces over one coset of its quotient domain (natural order, see the module docs).
pub(crate) struct CosetTraces<M> {
    pub main: M,
    pub preprocessed: Option<M>,
    pub aux: Option<M>,
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
/// the rows one further down (the next trace rows), all wrapping at the matrix's height.
fn pack_row_pair<M: Matrix<Val>>(m: &M, start: usize, out: &mut Vec<PackedVal>) {
    out.clear();
    let height = m.height();
    for offset in [0, 1] {
        let rows: [_; PackedVal::WIDTH] = core::array::from_fn(|lane| {
            m.row_slice((start + offset + lane) % height)
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
/// coordinates). The quotient domain is `domain` (`n 2^log_chunks` points); `coset_traces(e)`
/// gives the table's traces over its coset `e` (see the module docs), asked once per coset.
pub(crate) fn quotient_chunks<M: Matrix<Val> + Sync>(
    inputs: &QuotientInputs<'_>,
    domain: Domain,
    coset_traces: impl Fn(usize) -> CosetTraces<M>,
) -> RowMajorMatrix<Val> {
    let height = 1usize << inputs.log_height;
    let cosets = 1usize << inputs.log_chunks;
    let size = height * cosets;
    debug_assert_eq!(domain.log_n, inputs.log_height + inputs.log_chunks);

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
    let mut values = Challenge::zero_vec(size);
    let mut coset_values = Challenge::zero_vec(height.max(width));
    for coset in 0..cosets {
        let traces = coset_traces(coset);
        let sels = selectors(inputs.log_height, domain.element(coset));
        let inputs = CosetInputs {
            quotient: inputs,
            base_alpha_powers: &base_alpha_powers,
            logup_powers,
            sels: &sels,
        };
        coset_quotient(&inputs, &traces, &mut coset_values);
        values
            .par_chunks_exact_mut(cosets)
            .zip(&coset_values[..height])
            .for_each(|(points, &value)| points[coset] = value);
    }
    drop(coset_values);

    let coefficients = Radix2DFTSmallBatch::default().coset_idft_algebra(values, domain.shift);
    let row_width = cosets * EXT_DEGREE;
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

/// What the quotient of one coset depends on besides its traces.
struct CosetInputs<'a> {
    quotient: &'a QuotientInputs<'a>,
    base_alpha_powers: &'a [Vec<Val>],
    logup_powers: &'a [Challenge],
    sels: &'a Selectors,
}

/// The quotient at every point of one coset (natural order) into `out` (at least
/// `max(height, PackedVal::WIDTH)` long; the entries past the height are scratch).
fn coset_quotient<M: Matrix<Val> + Sync>(
    inputs: &CosetInputs<'_>,
    traces: &CosetTraces<M>,
    out: &mut [Challenge],
) {
    let CosetInputs {
        quotient: inputs,
        base_alpha_powers,
        logup_powers,
        sels,
    } = *inputs;
    let height = 1usize << inputs.log_height;
    let width = PackedVal::WIDTH;
    let inv_vanishing = PackedVal::from(sels.inv_vanishing);
    out.par_chunks_mut(width).enumerate().for_each_init(
        || Buffers::new(inputs.num_air_constraints),
        |bufs, (group, out)| {
            let i = group * width;
            let pack = |v: &[Val]| PackedVal::from_fn(|lane| v[(i + lane) % height]);
            pack_row_pair(&traces.main, i, &mut bufs.main);
            match &traces.preprocessed {
                Some(m) => pack_row_pair(m, i, &mut bufs.preprocessed),
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
            let mut acc = folder.fold(base_alpha_powers);

            if let Some(aux) = &traces.aux {
                pack_row_pair(aux, i, &mut bufs.aux);
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
            let quotient = acc * inv_vanishing;
            for (lane, q) in out.iter_mut().enumerate() {
                *q = quotient.extract(lane);
            }
        },
    );
}
