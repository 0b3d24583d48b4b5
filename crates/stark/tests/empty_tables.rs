//! Tables without rows: left out of a proof when (and only when) their key allows it, and
//! leaving out a table never hides what its rows would have had to balance.

mod common;

use common::*;
use droste_stark::proof::NO_ROWS;
use droste_stark::{
    prove, setup, verify, ProveError, ProverTable, PublicEndpoint, Val, VerifyError,
};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

fn no_rows(width: usize) -> RowMajorMatrix<Val> {
    RowMajorMatrix::new(Vec::new(), width)
}

/// Fibonacci with public output, an optional sum-of-bytes table and the byte table.
fn tables(byte_table: &ByteTable) -> [&dyn ProverTable; 3] {
    [&FibTable, &OptionalSumOfBytesTable, byte_table]
}

#[test]
fn a_table_without_rows_is_left_out_and_verifies() {
    let byte_table = ByteTable { offset: 0 };
    let tables = tables(&byte_table);
    let (pk, vk) = setup(&tables, test_params()).unwrap();
    assert!(vk.tables[1].may_be_empty && !vk.tables[0].may_be_empty);
    let (fib, last) = fib_trace(3);
    let endpoints = [PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
    let unused_bytes = RowMajorMatrix::new_col(vec![Val::ZERO; 256]);
    let traces = vec![fib, no_rows(6), unused_bytes];
    let proof = prove(&pk, &tables, traces, &endpoints).unwrap();
    assert_eq!(proof.log_heights, vec![3, NO_ROWS, 8]);
    let left_out = &proof.openings[1];
    assert!(left_out.main_local.is_empty() && left_out.aux_next.is_empty());
    assert!(left_out.quotient.is_empty());
    assert_eq!(
        proof.claimed_sums.len(),
        2,
        "no claimed sum for the table left out"
    );
    verify(&vk, &as_tables(&tables), &proof, &endpoints).unwrap();
}

#[test]
fn leaving_out_a_table_that_has_lookups_unbalances_the_bus() {
    // The byte table counts the lookups of 2^5 rows, but the rows making them are left out.
    let byte_table = ByteTable { offset: 0 };
    let tables = tables(&byte_table);
    let (pk, vk) = setup(&tables, test_params()).unwrap();
    let (fib, last) = fib_trace(3);
    let endpoints = [PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
    let (_, mults) = bytes_traces(5, 9);
    let proof = prove(&pk, &tables, vec![fib, no_rows(6), mults], &endpoints).unwrap();
    let err = verify(&vk, &as_tables(&tables), &proof, &endpoints).unwrap_err();
    assert_eq!(err, VerifyError::Unbalanced);
}

#[test]
fn only_tables_whose_key_allows_it_may_be_left_out() {
    let byte_table = ByteTable { offset: 0 };
    let required: [&dyn ProverTable; 2] = [&SumOfBytesTable, &byte_table];
    let (pk, vk) = setup(&required, test_params()).unwrap();
    let unused_bytes = RowMajorMatrix::new_col(vec![Val::ZERO; 256]);
    let err = prove(&pk, &required, vec![no_rows(5), unused_bytes], &[]).unwrap_err();
    assert!(matches!(err, ProveError::TraceShape { .. }), "{err}");

    // A forged marker on an honest proof is refused before anything else is read.
    let (values, mults) = bytes_traces(4, 2);
    let mut proof = prove(&pk, &required, vec![values, mults], &[]).unwrap();
    proof.log_heights[0] = NO_ROWS;
    let err = verify(&vk, &as_tables(&required), &proof, &[]).unwrap_err();
    assert_eq!(err, VerifyError::LeftOut { table: 0 });
}

#[test]
fn marking_a_present_optional_table_as_left_out_is_rejected() {
    let byte_table = ByteTable { offset: 0 };
    let tables = tables(&byte_table);
    let (pk, vk) = setup(&tables, test_params()).unwrap();
    let (fib, last) = fib_trace(3);
    let endpoints = [PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
    let (values, mults) = bytes_traces(4, 4);
    let traces = vec![fib, with_selector(&values), mults];
    let mut proof = prove(&pk, &tables, traces, &endpoints).unwrap();
    verify(&vk, &as_tables(&tables), &proof, &endpoints).unwrap();
    proof.log_heights[1] = NO_ROWS;
    assert!(verify(&vk, &as_tables(&tables), &proof, &endpoints).is_err());
}

#[test]
fn a_proof_needs_one_table_with_rows() {
    let tables: [&dyn ProverTable; 1] = [&OptionalSumOfBytesTable];
    let (pk, _) = setup(&tables, test_params()).unwrap();
    let err = prove(&pk, &tables, vec![no_rows(6)], &[]).unwrap_err();
    assert!(matches!(err, ProveError::NoRows), "{err}");
}

/// A table that claims it may be left out, wrapping another table's AIR and interactions.
struct ClaimsOptional<T>(T);

impl<T: p3_air::BaseAir<Val>> p3_air::BaseAir<Val> for ClaimsOptional<T> {
    fn width(&self) -> usize {
        self.0.width()
    }
    fn preprocessed_width(&self) -> usize {
        self.0.preprocessed_width()
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        self.0.preprocessed_trace()
    }
}

impl<AB: p3_air::AirBuilder<F = Val>, T: p3_air::Air<AB>> p3_air::Air<AB> for ClaimsOptional<T> {
    fn eval(&self, builder: &mut AB) {
        self.0.eval(builder);
    }
}

impl<T: droste_stark::Table> droste_stark::Table for ClaimsOptional<T> {
    fn name(&self) -> &str {
        "claims-optional"
    }
    fn may_be_empty(&self) -> bool {
        true
    }
}

#[test]
fn setup_refuses_optional_tables_whose_absence_would_mean_something() {
    // Its lookups are not gated: an all-zero row still sends four zeros.
    let ungated = ClaimsOptional(SumOfBytesTable);
    let err = setup(&[&ungated as &dyn ProverTable], test_params()).unwrap_err();
    assert!(
        err.to_string().contains("nonzero bus multiplicity"),
        "{err}"
    );
    // Its first row must be (0, 1): all-zero rows violate it.
    let anchored = ClaimsOptional(FibTable);
    let err = setup(&[&anchored as &dyn ProverTable], test_params()).unwrap_err();
    assert!(err.to_string().contains("constraints"), "{err}");
    // Preprocessed columns fix the height.
    let fixed = ClaimsOptional(ByteTable { offset: 0 });
    let err = setup(&[&fixed as &dyn ProverTable], test_params()).unwrap_err();
    assert!(err.to_string().contains("preprocessed"), "{err}");
}
