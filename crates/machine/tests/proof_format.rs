//! The machine proof's bytes: one encoding per proof (no byte may change without the proof
//! being refused or saying something else), and the archived layout `docs/stark.md` documents
//! (little-endian, aligned, 32-bit relative pointers), whatever rkyv features a build unifies.

mod common;

use common::{halt, li, program};
use droste_executor::Input;
use droste_isa::abi::syscall;
use droste_machine::proof::{
    access, ArchivedMachineProof, HEADER_LEN, MACHINE_PROOF_MAGIC, MACHINE_PROOF_VERSION,
};
use droste_machine::{MachineProof, MachineProver, ProofOptions};
use droste_pcs::OpeningProof;
use droste_stark::{FriParameters, Proof};

/// Two queries: a small proof (every byte is flipped below) with every part a real one has.
fn tiny_options() -> ProofOptions {
    ProofOptions {
        fri: FriParameters {
            log_blowup: 1,
            num_queries: 2,
            query_pow_bits: 0,
            log_folding_arity: 2,
            log_final_poly_len: 1,
            deep_pow_bits: 0,
            logup_pow_bits: 0,
        },
    }
}

/// A proof of a program that commits 3 bytes (so the output vec leaves alignment padding) and
/// halts with exit code 7.
fn real_proof() -> MachineProof {
    let mut code = li(10, common::DATA as i32);
    code.extend(li(11, 3));
    code.extend(common::ecall(syscall::COMMIT));
    code.extend(li(10, 7));
    code.extend(halt());
    let program = program(&code, b"abc");
    let (pk, vk) = MachineProver::setup(&program, tiny_options()).unwrap();
    let proof = MachineProver::prove(&pk, &Input::default()).unwrap();
    let public = droste_machine::verify(&vk, &proof.to_bytes()).unwrap();
    assert_eq!(
        (public.exit_code, &public.public_output[..]),
        (7, &b"abc"[..])
    );
    proof
}

#[test]
fn no_byte_of_a_proof_changes_without_changing_what_it_says() {
    let proof = real_proof();
    let bytes = proof.to_bytes();
    access(&bytes).expect("an honest proof has the canonical layout");
    // A byte whose change rkyv's validation accepts and that leaves the proof's content as it
    // was is padding (found from the content, not from the layout walk under test): each must
    // be refused. Other changes alter the statement or the proof, which verification refuses.
    let mut padding = 0;
    for i in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[i] ^= 0xff;
        if i < HEADER_LEN {
            assert!(access(&flipped).is_err(), "header byte {i}");
        } else if rkyv_read(&flipped[HEADER_LEN..]).as_ref() == Some(&proof) {
            padding += 1;
            assert!(access(&flipped).is_err(), "padding byte {i} accepted");
        }
    }
    // The 3-byte output, the options' u8 fields around a u16, the option's tag and the u64
    // fields all leave padding: the walk above flipped it.
    assert!(padding >= 8, "{padding} padding bytes");
}

#[test]
fn moved_or_appended_archive_data_is_refused() {
    let bytes = real_proof().to_bytes();
    let mut appended = bytes.clone();
    appended.extend_from_slice(&[0; 16]);
    assert!(access(&appended).is_err());
    assert!(access(&bytes[..bytes.len() - 8]).is_err());
}

/// What `archive` says when only rkyv's own validation is applied (`None` if it refuses).
fn rkyv_read(archive: &[u8]) -> Option<MachineProof> {
    let archived = rkyv::access::<ArchivedMachineProof, rkyv::rancor::Failure>(archive).ok()?;
    rkyv::deserialize::<MachineProof, rkyv::rancor::Error>(archived).ok()
}

/// A machine proof with distinct, recognisable values and every list empty but the output.
fn small_proof() -> MachineProof {
    MachineProof {
        vkey_digest: [1, 2, 3, 4, 5, 6, 7, 0x0807_0605],
        fri: FriParameters {
            log_blowup: 0x11,
            num_queries: 0x2233,
            query_pow_bits: 0x44,
            log_folding_arity: 0x55,
            log_final_poly_len: 0x66,
            deep_pow_bits: 0x77,
            logup_pow_bits: 0x78,
        },
        exit_code: 0x0a0b_0c0d,
        public_output: vec![0xe1, 0xe2, 0xe3],
        proof: Proof {
            log_heights: vec![],
            main_commitment: [0x21; 8],
            logup_pow_witness: 0x4142_4344_4546_4748,
            aux_commitment: None,
            claimed_sums: vec![],
            quotient_commitment: [0x31; 8],
            deep_pow_witness: 0x0102_0304_0506_0708,
            openings: vec![],
            opening_proof: OpeningProof {
                batch_pow_witness: 0x1112_1314_1516_1718,
                fold_roots: vec![],
                final_poly: vec![],
                pow_witness: 0x2122_2324_2526_2728,
                rounds: vec![],
                folds: vec![],
            },
        },
    }
}

/// The layout `docs/stark.md` documents, written out field by field.
#[test]
fn an_archived_proof_has_the_documented_layout() {
    let bytes = small_proof().to_bytes();
    let mut expected = Vec::new();
    expected.extend_from_slice(&MACHINE_PROOF_MAGIC);
    expected.extend_from_slice(&MACHINE_PROOF_VERSION.to_le_bytes());
    expected.extend_from_slice(&[0; 4]);
    // Out-of-line data first, in field order: the 3 output bytes at archive offset 0; the empty
    // lists point where their data would start (u8 lists at 3, u32-word lists at 4, aligned).
    expected.extend_from_slice(&[0xe1, 0xe2, 0xe3, 0, 0, 0, 0, 0]);
    // The root (`ArchivedMachineProof`, 240 bytes, 8-aligned) ends the archive, at offset 8.
    let archive = |at: usize| at - HEADER_LEN;
    // A 32-bit relative pointer: target minus the pointer's own archive offset.
    let rel = |target: usize, expected: &Vec<u8>| {
        ((target as i64 - archive(expected.len()) as i64) as i32).to_le_bytes()
    };
    let word = |w: u32| w.to_le_bytes();
    for w in [1, 2, 3, 4, 5, 6, 7, 0x0807_0605] {
        expected.extend_from_slice(&word(w));
    }
    // options: 10 bytes (the u16 aligns the struct to 2), then 2 bytes to align the exit code
    expected.extend_from_slice(&[0x11, 0, 0x33, 0x22, 0x44, 0x55, 0x66, 0x77, 0x78, 0, 0, 0]);
    expected.extend_from_slice(&word(0x0a0b_0c0d)); // exit code
    let pointer = rel(0, &expected);
    expected.extend_from_slice(&pointer); // public output: pointer, length
    expected.extend_from_slice(&word(3));
    let pointer = rel(3, &expected);
    expected.extend_from_slice(&pointer); // log_heights
    expected.extend_from_slice(&word(0));
    for _ in 0..8 {
        expected.extend_from_slice(&word(0x21)); // main commitment
    }
    expected.extend_from_slice(&0x4142_4344_4546_4748u64.to_le_bytes()); // LogUp proof of work
    expected.extend_from_slice(&[0; 36]); // aux commitment: None (tag 0, zero payload)
    let pointer = rel(4, &expected);
    expected.extend_from_slice(&pointer); // claimed sums
    expected.extend_from_slice(&word(0));
    for _ in 0..8 {
        expected.extend_from_slice(&word(0x31)); // quotient commitment
    }
    expected.extend_from_slice(&[0; 4]); // u64 alignment
    expected.extend_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
    let pointer = rel(4, &expected);
    expected.extend_from_slice(&pointer); // openings
    expected.extend_from_slice(&word(0));
    expected.extend_from_slice(&0x1112_1314_1516_1718u64.to_le_bytes());
    for _ in 0..2 {
        let pointer = rel(4, &expected);
        expected.extend_from_slice(&pointer); // fold roots, final polynomial
        expected.extend_from_slice(&word(0));
    }
    expected.extend_from_slice(&0x2122_2324_2526_2728u64.to_le_bytes());
    for _ in 0..2 {
        let pointer = rel(4, &expected);
        expected.extend_from_slice(&pointer); // rounds, folds
        expected.extend_from_slice(&word(0));
    }
    assert_eq!(archive(expected.len()) - 8, 248);
    assert_eq!(hex(&bytes), hex(&expected));
    access(&bytes).expect("the canonical layout");
}

fn hex(bytes: &[u8]) -> Vec<String> {
    bytes
        .chunks(8)
        .map(|chunk| chunk.iter().map(|b| format!("{b:02x}")).collect())
        .collect()
}
