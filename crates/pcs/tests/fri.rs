//! End-to-end openings: honest proofs verify, wrong claims and tampered proofs are rejected.

#![cfg(feature = "std")]

mod common;

use common::*;
use p3_field::PrimeCharacteristicRing;

#[test]
fn single_matrix_arity_2() {
    let h = prove(params(1, 1, 0, 20, 4), &[vec![(5, 3)]], 1);
    h.verify_proof(&h.proof).unwrap();
}

#[test]
fn mixed_heights_arity_8_two_rounds() {
    let shapes = [vec![(3, 2), (8, 5), (5, 1)], vec![(8, 4), (3, 3)]];
    let h = prove(params(2, 3, 1, 24, 6), &shapes, 2);
    h.verify_proof(&h.proof).unwrap();
}

#[test]
fn mixed_heights_arity_4() {
    let shapes = [vec![(3, 2), (5, 3), (8, 2)]];
    let h = prove(params(1, 2, 2, 24, 0), &shapes, 3);
    h.verify_proof(&h.proof).unwrap();
}

/// Matrices with one, two and three opening points, interleaved across heights and rounds:
/// the batching shifts differ between matrices, and adjacent matrices of one height are
/// combined together only when their points agree.
#[test]
fn matrices_with_different_numbers_of_points() {
    let shapes = [
        vec![(5, 3), (5, 2), (3, 4), (5, 1)],
        vec![(5, 1), (3, 2), (3, 3)],
    ];
    let counts = [vec![1, 2, 3, 2], vec![2, 1, 1]];
    let pcs = droste_pcs::Pcs::new(params(1, 3, 1, 24, 0)).unwrap();
    let h = prove_with_point_counts(pcs, &shapes, &counts, 9);
    h.verify_proof(&h.proof).unwrap();
    // A wrong value at any point of any matrix is rejected.
    for (r, m, p) in [(0, 2, 2), (0, 0, 0), (1, 2, 0), (0, 3, 1)] {
        let mut values = h.values.clone();
        values[r][m][p][0] += Challenge::ONE;
        let bytes = to_bytes(&h.proof);
        assert!(h.verify_bytes_with(&bytes, &values).is_err(), "{r} {m} {p}");
    }
}

#[test]
fn heights_inside_a_round_share_its_tree() {
    // LDE heights 9, 8, 7, 6 and a final height of 2: arity 8 folds 9 -> 6 -> 3 -> 2 with heights
    // 8 and 7 committed inside the first round, so three trees instead of one per height.
    let shapes = [vec![(8, 2), (7, 1), (6, 3), (5, 2)]];
    let h = prove(params(1, 3, 1, 24, 0), &shapes, 6);
    h.verify_proof(&h.proof).unwrap();
    assert_eq!(h.proof.fold_roots.len(), 3);
}

#[test]
fn keeping_ldes_or_coefficients_gives_the_same_proof() {
    // Mixed heights, several matrices per height, heights inside the Merkle tree's elided
    // layers, and every blowup: the prover's storage is invisible in the proof.
    let shapes = [
        vec![(6, 3), (2, 2), (6, 1), (5, 4), (4, 2), (0, 1)],
        vec![(6, 2), (3, 5)],
    ];
    for log_blowup in 1..=3 {
        let params = params(log_blowup, 3, 1, 30, 0);
        let pcs = droste_pcs::Pcs::new(params).unwrap();
        let kept = prove_with(pcs.clone().with_ldes_kept(true), &shapes, 8);
        let lean = prove_with(pcs.with_ldes_kept(false), &shapes, 8);
        assert_eq!(kept.digests, lean.digests, "blowup 2^{log_blowup}: roots");
        assert_eq!(
            kept.values, lean.values,
            "blowup 2^{log_blowup}: opened values"
        );
        assert_eq!(kept.proof, lean.proof, "blowup 2^{log_blowup}: proofs");
        lean.verify_proof(&lean.proof).unwrap();
    }
}

#[test]
fn wrong_claimed_value_rejected() {
    let shapes = [vec![(4, 3), (6, 2)]];
    let h = prove(params(1, 2, 1, 24, 0), &shapes, 4);
    let bytes = to_bytes(&h.proof);
    for (m, p, c) in [(0, 0, 0), (0, 1, 2), (1, 0, 1), (1, 1, 0)] {
        let mut values = h.values.clone();
        values[0][m][p][c] += Challenge::ONE;
        assert!(
            h.verify_bytes_with(&bytes, &values).is_err(),
            "altered value {m}/{p}/{c} accepted"
        );
    }
}

use droste_pcs::Challenge;

#[test]
fn many_queries_into_few_rows_open_each_row_once() {
    // 64 queries into LDEs of 8 and 2 rows: every row is queried many times over, yet each
    // distinct row is opened once and the verifier still checks every query's fold.
    let h = prove(params(1, 1, 0, 64, 0), &[vec![(2, 3), (0, 2)]], 5);
    h.verify_proof(&h.proof).unwrap();
    assert!(h.proof.rounds[0].values.len() <= 8 * 3 + 2 * 2);
    assert!(h.proof.folds.iter().all(|f| f.values.len() <= 8));
}
