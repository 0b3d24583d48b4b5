//! Fuzzes the droste-stark verifier on proof bytes: it must return (Ok or an error) on every
//! input, never panic, and accept only the honest proof.
//!
//! The first input byte picks the mode: even = the remaining bytes are a proof file (after a valid
//! header, so the archive validation and the verifier are reached); odd = the remaining bytes are
//! XORed onto a real proof at an offset given by the next two bytes, which reaches deep into the
//! protocol with mostly well-formed archives.
//!
//! ```text
//! cd fuzz && cargo +nightly fuzz run verify_proof_bytes
//! ```

#![no_main]

#[path = "../../crates/stark/tests/common/mod.rs"]
mod common;

use std::sync::OnceLock;

use common::{ByteTable, FibTable, OptionalSumOfBytesTable, SumOfBytesTable, OUTPUT_BUS};
use droste_stark::proof::{PROOF_MAGIC, PROOF_VERSION};
use droste_stark::{
    prove, setup, verify_bytes, FriParameters, ProverTable, PublicEndpoint, Table, Val,
    VerifyingKey,
};
use libfuzzer_sys::fuzz_target;
use p3_field::PrimeCharacteristicRing;
use rkyv::util::AlignedVec;

struct Fixture {
    vk: VerifyingKey,
    proof: AlignedVec<16>,
    endpoints: Vec<PublicEndpoint>,
}

static BYTE_TABLE: ByteTable = ByteTable { offset: 0 };

/// Four tables of three heights, one of them left out (no rows).
fn prover_tables() -> [&'static dyn ProverTable; 4] {
    [&FibTable, &SumOfBytesTable, &OptionalSumOfBytesTable, &BYTE_TABLE]
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let params = FriParameters {
            log_blowup: 1,
            num_queries: 2,
            query_pow_bits: 1,
            log_folding_arity: 2,
            log_final_poly_len: 1,
            deep_pow_bits: 1,
            logup_pow_bits: 1,
        };
        let tables = prover_tables();
        let (pk, vk) = setup(&tables, params).expect("setup");
        let (fib, last) = common::fib_trace(3);
        let (values, mults) = common::bytes_traces(4, 9);
        let endpoints = vec![PublicEndpoint::receive(OUTPUT_BUS, vec![last], Val::ONE)];
        let left_out = p3_matrix::dense::RowMajorMatrix::new(Vec::new(), 6);
        let traces = vec![fib, values, left_out, mults];
        let proof = prove(&pk, &tables, traces, &endpoints).expect("prove");
        Fixture {
            vk,
            proof: proof.to_bytes(),
            endpoints,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let tables: Vec<&dyn Table> = prover_tables().iter().map(|t| t.as_table()).collect();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut bytes = AlignedVec::<16>::new();
    if mode % 2 == 0 {
        bytes.extend_from_slice(&PROOF_MAGIC);
        bytes.extend_from_slice(&PROOF_VERSION.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(rest);
        let _ = verify_bytes(&f.vk, &tables, &bytes, &f.endpoints);
    } else {
        bytes.extend_from_slice(&f.proof);
        let (offset, mask) = match rest {
            [a, b, mask @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), mask),
            _ => return,
        };
        let changed = mask.iter().any(|&m| m != 0);
        for (i, &m) in mask.iter().enumerate() {
            let at = (offset + i) % bytes.len();
            bytes[at] ^= m;
        }
        let result = verify_bytes(&f.vk, &tables, &bytes, &f.endpoints);
        if result.is_ok() && changed {
            // Only flips in archive padding may be accepted: the proof must read back unchanged.
            let archived = droste_stark::proof::access(&bytes).expect("accepted bytes are valid");
            let read: droste_stark::Proof =
                rkyv::deserialize::<_, rkyv::rancor::Error>(archived).expect("deserializes");
            let original = droste_stark::proof::access(&f.proof).expect("honest proof");
            let original: droste_stark::Proof =
                rkyv::deserialize::<_, rkyv::rancor::Error>(original).expect("deserializes");
            assert_eq!(read, original, "a changed proof was accepted");
        }
    }
});
