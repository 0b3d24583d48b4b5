//! Soundness against a prover that commits to codewords of too high a degree: these need a
//! hand-built `Committed`, so they live next to its private fields.

use alloc::vec::Vec;

use p3_field::{PrimeCharacteristicRing, TwoAdicField};
use p3_matrix::dense::RowMajorMatrix;

use super::{bitrev_coset_points, Committed, Pcs, Storage};
use crate::fold::lde_shift;
use crate::hash::RATE;
use crate::merkle::MerkleTree;
use crate::{verify, Challenge, FriParameters, MatrixClaim, PcsError, RoundClaim, Transcript, Val};

fn params(log_arity: u8, num_queries: u16) -> FriParameters {
    FriParameters {
        log_blowup: 1,
        num_queries,
        query_pow_bits: 0,
        log_folding_arity: log_arity,
        log_final_poly_len: 0,
        deep_pow_bits: 0,
        logup_pow_bits: 0,
    }
}

/// Commit to the evaluations over the LDE domain of a `2^log_height` matrix of one column
/// holding the polynomial with coefficients `coeffs` (possibly too many for the height).
fn commit_polynomial(pcs: &Pcs, log_height: usize, coeffs: &[Val]) -> Committed {
    let log_lde = log_height + usize::from(pcs.params.log_blowup);
    let values: Vec<Val> = bitrev_coset_points(log_lde, lde_shift())
        .into_iter()
        .map(|x| coeffs.iter().rev().fold(Val::ZERO, |acc, &c| acc * x + c))
        .collect();
    let lde = RowMajorMatrix::new(values, 1);
    let tree = MerkleTree::new(pcs.hasher(), &[&lde]);
    Committed {
        storage: Storage::Ldes(alloc::vec![lde]),
        log_heights: alloc::vec![log_height],
        tree,
    }
}

fn prove_and_verify(
    params: FriParameters,
    log_height: usize,
    coeffs: &[Val],
) -> Result<(), PcsError> {
    prove_and_verify_claiming(params, log_height, coeffs, Claim::ProversOwn)
}

/// The values a test prover claims at the opening points.
#[derive(Clone, Copy)]
enum Claim {
    /// What `Pcs::open` computes: the values of the degree `< n` interpolant of the committed
    /// codeword's first `n` rows.
    ProversOwn,
    /// The committed polynomial's true values, whatever its degree.
    True,
}

fn prove_and_verify_claiming(
    params: FriParameters,
    log_height: usize,
    coeffs: &[Val],
    claim: Claim,
) -> Result<(), PcsError> {
    let pcs = Pcs::new(params).unwrap();
    let c = commit_polynomial(&pcs, log_height, coeffs);
    let mut t = Transcript::new(b"degree");
    t.observe_digest(&c.root());
    let zeta = t.sample_ext();
    let v = t.clone();
    let points = alloc::vec![alloc::vec![
        zeta,
        zeta * Val::two_adic_generator(log_height)
    ]];
    let rounds = [(&c, points.clone())];
    let (values, proof) = match claim {
        Claim::ProversOwn => pcs.open(&rounds, &mut t),
        Claim::True => {
            let at = |z: Challenge| {
                coeffs
                    .iter()
                    .rev()
                    .fold(Challenge::ZERO, |acc, &coeff| acc * z + coeff)
            };
            let values = alloc::vec![alloc::vec![points[0]
                .iter()
                .map(|&z| alloc::vec![at(z)])
                .collect()]];
            pcs.open_values(&rounds, values, &mut t)
        }
    };
    let bytes = rkyv::to_bytes::<rkyv::rancor::Error>(&proof).unwrap();
    let archived =
        rkyv::access::<crate::ArchivedOpeningProof, rkyv::rancor::Error>(&bytes).unwrap();
    let by_point: Vec<&[Challenge]> = values[0][0].iter().map(Vec::as_slice).collect();
    let matrices = [MatrixClaim {
        log_height: log_height as u8,
        width: 1,
        points: &points[0],
        values: &by_point,
    }];
    let claims = [RoundClaim {
        digest: c.root(),
        matrices: &matrices,
    }];
    verify(&params, &claims, archived, &mut v.clone())
}

fn poly_of_degree(degree: usize) -> Vec<Val> {
    (0..=degree)
        .map(|i| Val::from_usize(i * 7919 + 13).square())
        .collect()
}

/// The degree bound the PCS proves for a committed column of height `n` is `<= n`, one more
/// than a trace needs (docs/pcs.md says why that suffices): FRI checks the DEEP quotient
/// `(f - f(z)) / (X - z)` against degree `< n`. So a degree-`n` column opened at its true values
/// is accepted, and degree `n + 1` is not. Opened at the values of its degree `< n` interpolant
/// (what the honest prover computes), a degree-`n` column is rejected because that claim is
/// false.
#[test]
fn committed_columns_are_bound_to_degree_at_most_n() {
    for log_arity in [1, 2, 3] {
        for log_height in [1, 3, 6] {
            let n = 1 << log_height;
            let at = |degree, claim| {
                prove_and_verify_claiming(
                    params(log_arity, 40),
                    log_height,
                    &poly_of_degree(degree),
                    claim,
                )
            };
            let case = alloc::format!("2^{log_height} rows, arity 2^{log_arity}");
            at(n - 1, Claim::ProversOwn).unwrap_or_else(|e| panic!("{case}: degree n-1: {e}"));
            at(n - 1, Claim::True).unwrap_or_else(|e| panic!("{case}: degree n-1: {e}"));
            at(n, Claim::True).unwrap_or_else(|e| panic!("{case}: degree n, true values: {e}"));
            let err = at(n, Claim::ProversOwn).expect_err("degree n with a false claim accepted");
            assert!(
                matches!(err, PcsError::FinalPolyMismatch { .. }),
                "{case}: unexpected error {err}"
            );
            assert!(
                at(n + 1, Claim::True).is_err(),
                "{case}: degree n+1 accepted"
            );
        }
    }
}

#[test]
fn far_from_low_degree_is_rejected() {
    // A codeword of full degree (2n - 1 over the 2n-point LDE) is as far as it gets.
    let log_height = 5;
    let coeffs = poly_of_degree((2 << log_height) - 1);
    assert!(prove_and_verify(params(2, 20), log_height, &coeffs).is_err());
}

#[test]
fn opening_point_inside_the_lde_domain_is_an_error() {
    // A one-row matrix has the two-point LDE domain {g, -g}; claiming an opening at g makes
    // every query landing on g divide by zero, which must be an error, not a panic.
    let pcs = Pcs::new(params(1, 16)).unwrap();
    let c = commit_polynomial(&pcs, 0, &poly_of_degree(0));
    let mut t = Transcript::new(b"domain");
    let zeta = t.sample_ext();
    let (values, proof) = pcs.open(&[(&c, alloc::vec![alloc::vec![zeta]])], &mut t.clone());
    let bytes = rkyv::to_bytes::<rkyv::rancor::Error>(&proof).unwrap();
    let archived =
        rkyv::access::<crate::ArchivedOpeningProof, rkyv::rancor::Error>(&bytes).unwrap();
    let in_domain = [Challenge::from(lde_shift())];
    let at_the_point = [values[0][0][0].as_slice()];
    let matrices = [MatrixClaim {
        log_height: 0,
        width: 1,
        points: &in_domain,
        values: &at_the_point,
    }];
    let claims = [RoundClaim {
        digest: c.root(),
        matrices: &matrices,
    }];
    assert_eq!(
        verify(&pcs.params, &claims, archived, &mut t),
        Err(PcsError::PointInDomain)
    );
}

fn eval_poly(coeffs: &[Val], x: Val) -> Val {
    coeffs.iter().rev().fold(Val::ZERO, |acc, &c| acc * x + c)
}

#[test]
fn quotient_cosets_are_natural_order_over_their_points() {
    for keep_ldes in [true, false] {
        quotient_cosets_are_natural_order(keep_ldes);
    }
}

fn quotient_cosets_are_natural_order(keep_ldes: bool) {
    use p3_matrix::Matrix;
    let pcs = Pcs::new(FriParameters {
        log_blowup: 2,
        ..params(1, 4)
    })
    .unwrap()
    .with_ldes_kept(keep_ldes);
    let log_h = 4;
    let coeffs = poly_of_degree((1 << log_h) - 1);
    let omega = Val::two_adic_generator(log_h);
    let evals: Vec<Val> = omega
        .powers()
        .take(1 << log_h)
        .map(|x| eval_poly(&coeffs, x))
        .collect();
    let (_, c) = pcs.commit_evaluations(alloc::vec![RowMajorMatrix::new(evals, 1)]);
    let kept = if keep_ldes { "kept" } else { "recomputed" };
    for log_extra in 0..=2 {
        let domain = pcs.quotient_domain(&c, 0, log_extra);
        assert_eq!(domain.log_n, log_h + log_extra);
        for coset in 0..1 << log_extra {
            let view = pcs.evaluations_on_quotient_coset(&c, 0, log_extra, coset);
            assert_eq!(view.height(), 1 << log_h);
            for m in 0..view.height() {
                let x = domain.element((m << log_extra) + coset);
                assert_eq!(
                    view.get(m, 0),
                    Some(eval_poly(&coeffs, x)),
                    "{kept}: coset {coset} of 2^{log_extra}, row {m}"
                );
            }
        }
    }
}

#[test]
fn coefficient_and_evaluation_commitments_agree() {
    for keep_ldes in [true, false] {
        commitments_agree(Pcs::new(params(2, 4)).unwrap().with_ldes_kept(keep_ldes));
    }
}

fn commitments_agree(pcs: Pcs) {
    let log_h = 5;
    let coeffs = poly_of_degree((1 << log_h) - 1);
    let evals: Vec<Val> = Val::two_adic_generator(log_h)
        .powers()
        .take(1 << log_h)
        .map(|x| eval_poly(&coeffs, x))
        .collect();
    let (from_evals, _) = pcs.commit_evaluations(alloc::vec![RowMajorMatrix::new(evals, 1)]);
    let (from_coeffs, _) = pcs.commit_coefficients(alloc::vec![RowMajorMatrix::new(coeffs, 1)]);
    assert_eq!(from_evals, from_coeffs);
}

/// Extending a height class a block of columns at a time, here in the narrowest blocks
/// ([`crate::hash::RATE`] columns, so that matrices whose widths are not multiples of the rate
/// straddle blocks and each class ends on a partial block), commits and opens exactly as the
/// kept LDEs do.
#[test]
fn column_blocks_commit_and_open_like_kept_ldes() {
    let shapes = [(5, 3), (5, 13), (3, 9), (5, 1), (3, 2), (5, 8), (2, 4)];
    let mats: Vec<RowMajorMatrix<Val>> = shapes
        .iter()
        .enumerate()
        .map(|(m, &(log_h, width))| {
            let values = (0..width << log_h)
                .map(|i| Val::from_usize(i * 7919 + m * 104729).square())
                .collect();
            RowMajorMatrix::new(values, width)
        })
        .collect();
    for log_blowup in 1..=2 {
        let params = FriParameters {
            log_blowup,
            ..params(2, 6)
        };
        let kept = Pcs::new(params).unwrap().with_ldes_kept(true);
        let mut blocks = Pcs::new(params).unwrap().with_ldes_kept(false);
        blocks.lde_block_bytes = 1;
        blocks.min_lde_block_columns = RATE;
        let (kept_root, kept_committed) = kept.commit_evaluations(mats.clone());
        let (blocks_root, blocks_committed) = blocks.commit_evaluations(mats.clone());
        assert_eq!(kept_root, blocks_root, "blowup 2^{log_blowup}: roots");
        let mut t = Transcript::new(b"blocks");
        t.observe_digest(&kept_root);
        let zeta = t.sample_ext();
        let points: Vec<Vec<Challenge>> = shapes.iter().map(|_| alloc::vec![zeta]).collect();
        let kept_opening = kept.open(&[(&kept_committed, points.clone())], &mut t.clone());
        let blocks_opening = blocks.open(&[(&blocks_committed, points)], &mut t);
        assert!(
            kept_opening == blocks_opening,
            "blowup 2^{log_blowup}: openings differ"
        );
    }
}
