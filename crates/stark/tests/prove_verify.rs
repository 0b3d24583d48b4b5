//! End-to-end proofs with real tables: honest witnesses verify, and each mechanism (AIR
//! constraints, buses, public endpoints, verifying key) rejects a dishonest one.

mod common;

use common::*;
use droste_stark::debug::ConstraintViolation;
use droste_stark::{
    check_constraints, prove, prove_with_progress, setup, verify, FriParameters, ProverRound,
    ProverTable, PublicEndpoint, Val, VerifyError,
};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

#[test]
fn fibonacci_with_public_output_verifies() {
    let tables: [&dyn ProverTable; 1] = [&FibTable];
    let (pk, vk) = setup(&tables, test_params()).unwrap();
    let (trace, last) = fib_trace(5);
    let endpoints = [PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
    check_constraints(&tables, std::slice::from_ref(&trace), &endpoints).unwrap();
    let proof = prove(&pk, &tables, vec![trace], &endpoints).unwrap();
    verify(&vk, &as_tables(&tables), &proof, &endpoints).unwrap();
}

#[test]
fn progress_hook_sees_every_round_in_order() {
    let tables: [&dyn ProverTable; 1] = [&FibTable];
    let (pk, vk) = setup(&tables, test_params()).unwrap();
    let (trace, last) = fib_trace(4);
    let endpoints = [PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
    let mut rounds = Vec::new();
    let proof = prove_with_progress(&pk, &tables, vec![trace], &endpoints, &mut |round| {
        rounds.push(round)
    })
    .unwrap();
    assert_eq!(
        rounds,
        [
            ProverRound::CommitMain,
            ProverRound::LogUp,
            ProverRound::Quotient,
            ProverRound::Open
        ]
    );
    verify(&vk, &as_tables(&tables), &proof, &endpoints).unwrap();
}

#[test]
fn wrong_public_output_is_rejected() {
    let tables: [&dyn ProverTable; 1] = [&FibTable];
    let (pk, vk) = setup(&tables, test_params()).unwrap();
    let (trace, last) = fib_trace(4);
    let endpoints = [PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
    let proof = prove(&pk, &tables, vec![trace], &endpoints).unwrap();
    let wrong = [PublicEndpoint::receive(
        OUTPUT_BUS,
        vec![last + Val::ONE],
        Val::ONE,
    )];
    assert!(verify(&vk, &as_tables(&tables), &proof, &wrong).is_err());
    assert!(verify(&vk, &as_tables(&tables), &proof, &[]).is_err());
}

/// The witness ground before `zeta` is checked against the key's `deep_pow_bits`: every other
/// witness that misses the target is refused by name, before any opening is looked at.
#[test]
fn wrong_deep_proof_of_work_is_rejected() {
    let tables: [&dyn ProverTable; 1] = [&FibTable];
    let params = FriParameters {
        deep_pow_bits: 8,
        ..test_params()
    };
    let (pk, vk) = setup(&tables, params).unwrap();
    let (trace, last) = fib_trace(4);
    let endpoints = [PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
    let proof = prove(&pk, &tables, vec![trace], &endpoints).unwrap();
    verify(&vk, &as_tables(&tables), &proof, &endpoints).unwrap();
    let mut refused = 0;
    for delta in 1..=16 {
        let mut forged = proof.clone();
        forged.deep_pow_witness += delta;
        match verify(&vk, &as_tables(&tables), &forged, &endpoints) {
            Err(VerifyError::DeepProofOfWork) => refused += 1,
            Err(_) => {}
            Ok(()) => panic!("a forged DEEP witness was accepted"),
        }
    }
    assert!(
        refused >= 14,
        "only {refused} of 16 wrong witnesses refused by the PoW check"
    );
}

/// The witness ground before the LogUp challenges is checked against the key's
/// `logup_pow_bits` the same way.
#[test]
fn wrong_logup_proof_of_work_is_rejected() {
    let tables: [&dyn ProverTable; 1] = [&FibTable];
    let params = FriParameters {
        logup_pow_bits: 8,
        ..test_params()
    };
    let (pk, vk) = setup(&tables, params).unwrap();
    let (trace, last) = fib_trace(4);
    let endpoints = [PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
    let proof = prove(&pk, &tables, vec![trace], &endpoints).unwrap();
    verify(&vk, &as_tables(&tables), &proof, &endpoints).unwrap();
    let mut refused = 0;
    for delta in 1..=16 {
        let mut forged = proof.clone();
        forged.logup_pow_witness += delta;
        match verify(&vk, &as_tables(&tables), &forged, &endpoints) {
            Err(VerifyError::LogUpProofOfWork) => refused += 1,
            Err(_) => {}
            Ok(()) => panic!("a forged LogUp witness was accepted"),
        }
    }
    assert!(
        refused >= 14,
        "only {refused} of 16 wrong witnesses refused by the PoW check"
    );
}

/// Public endpoints are held to the tuple bound of the LogUp term too.
#[test]
fn endpoint_tuples_longer_than_the_bound_are_refused() {
    let tables: [&dyn ProverTable; 1] = [&FibTable];
    let (pk, vk) = setup(&tables, test_params()).unwrap();
    let (trace, last) = fib_trace(4);
    let endpoints = [PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
    let proof = prove(&pk, &tables, vec![trace], &endpoints).unwrap();
    let long = [
        endpoints[0].clone(),
        PublicEndpoint::send(
            9,
            vec![Val::ONE; droste_stark::logup::MAX_TUPLE_LEN + 1],
            Val::ONE,
        ),
    ];
    assert!(matches!(
        verify(&vk, &as_tables(&tables), &proof, &long),
        Err(VerifyError::Shape {
            what: "public endpoint tuple length",
            ..
        })
    ));
}

#[test]
fn mutated_fibonacci_cell_is_reported_and_rejected() {
    let tables: [&dyn ProverTable; 1] = [&FibTable];
    let (pk, vk) = setup(&tables, test_params()).unwrap();
    let (mut trace, last) = fib_trace(4);
    trace.values[3 * 5 + 1] += Val::ONE; // b on row 5
    let endpoints = [PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
    let violation =
        check_constraints(&tables, std::slice::from_ref(&trace), &endpoints).unwrap_err();
    assert!(
        matches!(&violation, ConstraintViolation::Constraint { row: 4, .. }),
        "{violation}"
    );
    let proof = prove(&pk, &tables, vec![trace], &endpoints).unwrap();
    let err = verify(&vk, &as_tables(&tables), &proof, &endpoints).unwrap_err();
    assert_eq!(err, VerifyError::ConstraintMismatch { table: 0 });
}

fn range_setup(offset: u32) -> (droste_stark::ProvingKey, droste_stark::VerifyingKey) {
    let byte_table = ByteTable { offset };
    let tables: [&dyn ProverTable; 2] = [&SumOfBytesTable, &byte_table];
    setup(&tables, test_params()).unwrap()
}

#[test]
fn range_checked_bytes_with_preprocessed_table_verify() {
    let byte_table = ByteTable { offset: 0 };
    let tables: [&dyn ProverTable; 2] = [&SumOfBytesTable, &byte_table];
    let (pk, vk) = range_setup(0);
    assert_eq!(
        vk.tables[0].group_sizes,
        vec![2, 2],
        "two lookups per LogUp column"
    );
    assert_eq!(vk.tables[0].constraint_degree, 3);
    let (values, mults) = bytes_traces(6, 7);
    let traces = vec![values, mults];
    check_constraints(&tables, &traces, &[]).unwrap();
    let proof = prove(&pk, &tables, traces, &[]).unwrap();
    assert_eq!(proof.log_heights, vec![6, 8]);
    verify(&vk, &as_tables(&tables), &proof, &[]).unwrap();
}

#[test]
fn wrong_multiplicity_unbalances_the_bus() {
    let byte_table = ByteTable { offset: 0 };
    let tables: [&dyn ProverTable; 2] = [&SumOfBytesTable, &byte_table];
    let (pk, vk) = range_setup(0);
    let (values, mut mults) = bytes_traces(5, 3);
    mults.values[17] += Val::ONE;
    let traces = vec![values, mults];
    let violation = check_constraints(&tables, &traces, &[]).unwrap_err();
    assert!(
        matches!(&violation, ConstraintViolation::Unbalanced { bus: RANGE_BUS, values, .. } if values == &vec![17]),
        "{violation}"
    );
    let proof = prove(&pk, &tables, traces, &[]).unwrap();
    let err = verify(&vk, &as_tables(&tables), &proof, &[]).unwrap_err();
    assert_eq!(err, VerifyError::Unbalanced);
}

#[test]
fn value_out_of_range_unbalances_the_bus() {
    let byte_table = ByteTable { offset: 0 };
    let tables: [&dyn ProverTable; 2] = [&SumOfBytesTable, &byte_table];
    let (pk, vk) = range_setup(0);
    let (mut values, mults) = bytes_traces(5, 11);
    // Replace a byte by 256 and keep the row's sum right: only the bus can catch it.
    let old = values.values[0];
    values.values[0] = Val::from_u32(256);
    values.values[4] += Val::from_u32(256) - old;
    let traces = vec![values, mults];
    assert!(matches!(
        check_constraints(&tables, &traces, &[]),
        Err(ConstraintViolation::Unbalanced { .. })
    ));
    let proof = prove(&pk, &tables, traces, &[]).unwrap();
    assert!(verify(&vk, &as_tables(&tables), &proof, &[]).is_err());
}

#[test]
fn proof_under_another_preprocessed_table_is_rejected() {
    let byte_table = ByteTable { offset: 0 };
    let tables: [&dyn ProverTable; 2] = [&SumOfBytesTable, &byte_table];
    let (pk, _) = range_setup(0);
    let (_, other_vk) = range_setup(1);
    let (values, mults) = bytes_traces(5, 5);
    let proof = prove(&pk, &tables, vec![values, mults], &[]).unwrap();
    assert_ne!(pk.vk.digest().unwrap(), other_vk.digest().unwrap());
    assert!(verify(&other_vk, &as_tables(&tables), &proof, &[]).is_err());
    verify(&pk.vk, &as_tables(&tables), &proof, &[]).unwrap();
}

#[test]
fn three_tables_of_different_heights_in_one_proof() {
    let byte_table = ByteTable { offset: 0 };
    let tables: [&dyn ProverTable; 3] = [&FibTable, &SumOfBytesTable, &byte_table];
    let (pk, vk) = setup(&tables, test_params()).unwrap();
    let (fib, last) = fib_trace(3);
    let (values, mults) = bytes_traces(9, 1);
    let endpoints = [PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
    let proof = prove(&pk, &tables, vec![fib, values, mults], &endpoints).unwrap();
    assert_eq!(proof.log_heights, vec![3, 9, 8]);
    verify(&vk, &as_tables(&tables), &proof, &endpoints).unwrap();
}

#[test]
fn blowup_4_proves_from_coefficients_and_verifies() {
    // At blowup 4 the prover keeps coefficients, not LDEs, and recomputes the quotient domain,
    // the DEEP batch and the query rows from them; the wrong witness is still caught.
    let byte_table = ByteTable { offset: 0 };
    let tables: [&dyn ProverTable; 3] = [&FibTable, &SumOfBytesTable, &byte_table];
    let params = FriParameters {
        log_blowup: 2,
        ..test_params()
    };
    let (pk, vk) = setup(&tables, params).unwrap();
    let (fib, last) = fib_trace(4);
    let (values, mults) = bytes_traces(7, 3);
    let endpoints = [PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
    let traces = vec![fib, values.clone(), mults.clone()];
    let proof = prove(&pk, &tables, traces, &endpoints).unwrap();
    verify(&vk, &as_tables(&tables), &proof, &endpoints).unwrap();
    let (mut fib, _) = fib_trace(4);
    fib.values[3 * 5 + 1] += Val::ONE;
    let proof = prove(&pk, &tables, vec![fib, values, mults], &endpoints).unwrap();
    assert!(verify(&vk, &as_tables(&tables), &proof, &endpoints).is_err());
}

#[test]
fn smallest_heights_prove_and_verify() {
    let tables: [&dyn ProverTable; 1] = [&FibTable];
    let (pk, vk) = setup(&tables, test_params()).unwrap();
    for log_height in [1, 2] {
        let (trace, last) = fib_trace(log_height);
        let endpoints = [PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
        let proof = prove(&pk, &tables, vec![trace], &endpoints).unwrap();
        verify(&vk, &as_tables(&tables), &proof, &endpoints).unwrap();
    }
    let (trace, _) = fib_trace(0);
    assert!(prove(&pk, &tables, vec![trace], &[]).is_err());
}

#[test]
fn traces_that_do_not_fit_the_key_are_errors() {
    let byte_table = ByteTable { offset: 0 };
    let tables: [&dyn ProverTable; 2] = [&SumOfBytesTable, &byte_table];
    let (pk, _) = range_setup(0);
    let (values, _) = bytes_traces(5, 5);
    let short_mults = RowMajorMatrix::new_col(vec![Val::ZERO; 128]);
    assert!(prove(&pk, &tables, vec![values.clone(), short_mults], &[]).is_err());
    assert!(prove(&pk, &tables, vec![values], &[]).is_err());
}
