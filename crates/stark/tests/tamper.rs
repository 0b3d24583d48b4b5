//! Hardening of the verifier: every field of a real proof matters, and no byte string makes the
//! verifier panic.

mod common;

use common::*;
use droste_stark::{
    verify, verify_bytes, FriParameters, Proof, ProverTable, PublicEndpoint, Table, Val,
    VerifyingKey,
};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use proptest::prelude::*;
use std::sync::OnceLock;

/// Few queries keep the walk over every word short; everything else as in production.
fn params() -> FriParameters {
    FriParameters {
        log_blowup: 1,
        num_queries: 2,
        query_pow_bits: 1,
        log_folding_arity: 2,
        log_final_poly_len: 1,
        deep_pow_bits: 1,
        logup_pow_bits: 1,
    }
}

struct Fixture {
    vk: VerifyingKey,
    proof: Proof,
    endpoints: Vec<PublicEndpoint>,
}

static BYTE_TABLE: ByteTable = ByteTable { offset: 0 };

fn prover_tables() -> [&'static dyn ProverTable; 3] {
    [&FibTable, &SumOfBytesTable, &BYTE_TABLE]
}

fn tables() -> Vec<&'static dyn Table> {
    prover_tables().iter().map(|t| t.as_table()).collect()
}

/// One proof covering every kind of field: preprocessed, main, aux, quotient openings, claimed
/// sums, FRI rounds, Merkle paths, proof of work.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let tables = prover_tables();
        let (pk, vk) = droste_stark::setup(&tables, params()).unwrap();
        let (fib, last) = fib_trace(3);
        let (values, mults) = bytes_traces(4, 9);
        let endpoints = vec![PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
        let proof =
            droste_stark::prove(&pk, &tables, vec![fib, values, mults], &endpoints).unwrap();
        Fixture {
            vk,
            proof,
            endpoints,
        }
    })
}

/// The two words of a multi-opening's doubleword (`droste_pcs::proof::Dword`), low first.
fn halves(dword: &mut u64) -> [&mut u32; 2] {
    // SAFETY: a `u64` is two `u32`s of no stricter alignment; on this little-endian host the low
    // word comes first, as in the archive.
    let [low, high] = unsafe { &mut *(dword as *mut u64).cast::<[u32; 2]>() };
    [low, high]
}

/// Every field-element word of the proof (and the zero words padding odd opened rows), in a
/// fixed order.
fn words_mut(proof: &mut Proof) -> Vec<&mut u32> {
    let mut words: Vec<&mut u32> = Vec::new();
    words.extend(proof.main_commitment.iter_mut());
    words.extend(proof.aux_commitment.iter_mut().flatten());
    words.extend(proof.claimed_sums.iter_mut().flatten());
    words.extend(proof.quotient_commitment.iter_mut());
    for o in &mut proof.openings {
        for list in [
            &mut o.preprocessed_local,
            &mut o.preprocessed_next,
            &mut o.main_local,
            &mut o.main_next,
            &mut o.aux_local,
            &mut o.aux_next,
            &mut o.quotient,
        ] {
            words.extend(list.iter_mut().flatten());
        }
    }
    let opening = &mut proof.opening_proof;
    words.extend(opening.fold_roots.iter_mut().flatten());
    words.extend(opening.final_poly.iter_mut().flatten());
    for round in &mut opening.rounds {
        words.extend(round.values.iter_mut().flat_map(halves));
        words.extend(round.siblings.iter_mut().flatten().flat_map(halves));
    }
    for fold in &mut opening.folds {
        words.extend(fold.values.iter_mut().flatten().flat_map(halves));
        words.extend(fold.siblings.iter_mut().flatten().flat_map(halves));
    }
    words
}

fn check(proof: &Proof) -> Result<(), droste_stark::VerifyError> {
    let f = fixture();
    verify(&f.vk, &tables(), proof, &f.endpoints)
}

#[test]
fn the_fixture_verifies() {
    check(&fixture().proof).unwrap();
}

#[test]
fn changing_any_field_element_is_rejected() {
    let original = fixture().proof.clone();
    let count = words_mut(&mut original.clone()).len();
    assert!(
        count > 500,
        "the walk covers the whole proof ({count} words)"
    );
    for i in 0..count {
        for replacement in [Some(1u32), None] {
            let mut proof = original.clone();
            let word = &mut *words_mut(&mut proof).swap_remove(i);
            // A different canonical element, then a non-canonical word.
            *word = match replacement {
                Some(delta) => (*word + delta) % Val::ORDER_U32,
                None => Val::ORDER_U32 + (*word % 7),
            };
            assert!(
                check(&proof).is_err(),
                "word {i} changed ({replacement:?}) but accepted"
            );
        }
    }
}

#[test]
fn changing_heights_or_pow_witness_is_rejected() {
    let original = fixture().proof.clone();
    for i in 0..original.log_heights.len() {
        for h in [0u8, 1, 2, 30, 255, original.log_heights[i] + 1] {
            let mut proof = original.clone();
            proof.log_heights[i] = h;
            if h != original.log_heights[i] {
                assert!(check(&proof).is_err(), "height {i} = {h} accepted");
            }
        }
    }
    for delta in [1u64, 2, 1 << 40] {
        let mut proof = original.clone();
        proof.opening_proof.pow_witness ^= delta;
        assert!(check(&proof).is_err(), "pow witness ^ {delta} accepted");
        let mut proof = original.clone();
        proof.opening_proof.batch_pow_witness ^= delta;
        assert!(
            check(&proof).is_err(),
            "batch pow witness ^ {delta} accepted"
        );
    }
}

/// A change to the shape of a proof.
type Mutation = Box<dyn Fn(&mut Proof)>;

#[test]
fn changing_list_lengths_is_rejected() {
    let original = fixture().proof.clone();
    let mut mutations: Vec<Mutation> = vec![
        Box::new(|p| p.log_heights.push(3)),
        Box::new(|p| {
            p.log_heights.pop();
        }),
        Box::new(|p| p.aux_commitment = None),
        Box::new(|p| p.claimed_sums.push([0; 4])),
        Box::new(|p| {
            p.claimed_sums.pop();
        }),
        Box::new(|p| {
            p.openings.pop();
        }),
        Box::new(|p| p.openings.push(p.openings[0].clone())),
        Box::new(|p| {
            p.opening_proof.fold_roots.pop();
        }),
        Box::new(|p| {
            p.opening_proof.final_poly.pop();
        }),
        Box::new(|p| {
            p.opening_proof.rounds.pop();
        }),
        Box::new(|p| {
            p.opening_proof
                .rounds
                .push(p.opening_proof.rounds[0].clone())
        }),
        Box::new(|p| {
            p.opening_proof.folds.pop();
        }),
        Box::new(|p| p.opening_proof.folds.push(p.opening_proof.folds[0].clone())),
        Box::new(|p| {
            p.opening_proof.rounds[1].values.pop();
        }),
        Box::new(|p| p.opening_proof.rounds[1].values.push(0)),
        Box::new(|p| {
            p.opening_proof.rounds[1].siblings.pop();
        }),
        Box::new(|p| {
            let first = p.opening_proof.rounds[1].siblings[0];
            p.opening_proof.rounds[1].siblings.push(first)
        }),
        Box::new(|p| {
            p.opening_proof.folds[0].values.pop();
        }),
        Box::new(|p| p.opening_proof.folds[0].values.push([0; 2])),
        Box::new(|p| {
            p.opening_proof.folds[0].siblings.pop();
        }),
        Box::new(|p| {
            let first = p.opening_proof.folds[0].siblings[0];
            p.opening_proof.folds[0].siblings.push(first)
        }),
    ];
    for t in 0..3 {
        mutations.push(Box::new(move |p| {
            p.openings[t].main_local.pop();
        }));
        mutations.push(Box::new(move |p| p.openings[t].main_next.push([0; 4])));
        mutations.push(Box::new(move |p| {
            p.openings[t].preprocessed_local.push([0; 4])
        }));
        mutations.push(Box::new(move |p| p.openings[t].aux_next.push([0; 4])));
        mutations.push(Box::new(move |p| {
            p.openings[t].quotient.pop();
        }));
    }
    for (i, mutate) in mutations.iter().enumerate() {
        let mut proof = original.clone();
        mutate(&mut proof);
        assert!(check(&proof).is_err(), "length mutation {i} accepted");
    }
}

#[test]
fn bad_headers_and_alignment_are_errors() {
    let f = fixture();
    let bytes = f.proof.to_bytes();
    let tables = tables();
    verify_bytes(&f.vk, &tables, &bytes, &f.endpoints).unwrap();
    for i in 0..16 {
        let mut b = bytes.clone();
        b[i] ^= 1;
        assert!(
            verify_bytes(&f.vk, &tables, &b, &f.endpoints).is_err(),
            "header byte {i}"
        );
    }
    let mut shifted = rkyv::util::AlignedVec::<16>::new();
    shifted.extend_from_slice(&[0]);
    shifted.extend_from_slice(&bytes);
    assert!(verify_bytes(&f.vk, &tables, &shifted[1..], &f.endpoints).is_err());
    assert!(verify_bytes(&f.vk, &tables, &bytes[..bytes.len() - 1], &f.endpoints).is_err());
    assert!(verify_bytes(&f.vk, &tables, &[], &f.endpoints).is_err());
}

/// Copies bytes into a 16-byte aligned buffer, as a proof file would be read.
fn aligned(bytes: &[u8]) -> rkyv::util::AlignedVec<16> {
    let mut v = rkyv::util::AlignedVec::<16>::with_capacity(bytes.len());
    v.extend_from_slice(bytes);
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_verify(body in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let f = fixture();
        let mut bytes = droste_stark::proof::PROOF_MAGIC.to_vec();
        bytes.extend_from_slice(&droste_stark::proof::PROOF_VERSION.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&body);
        prop_assert!(verify_bytes(&f.vk, &tables(), &aligned(&bytes), &f.endpoints).is_err());
    }

    /// A proof has one encoding: changed bytes are rejected, padding included (flips that cancel
    /// out leave the original bytes).
    #[test]
    fn mutated_bytes_are_rejected(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4)
    ) {
        let f = fixture();
        let mut bytes = aligned(&f.proof.to_bytes());
        for (at, mask) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= mask;
        }
        if verify_bytes(&f.vk, &tables(), &bytes, &f.endpoints).is_ok() {
            prop_assert_eq!(&bytes[..], &f.proof.to_bytes()[..]);
        }
    }
}
