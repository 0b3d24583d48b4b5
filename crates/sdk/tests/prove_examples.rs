//! Every example guest in `guests/` proves and verifies end to end through the SDK on a small
//! input (fast preset), and the verified public output is what the host computes natively.
//! A guest that executes an instruction no machine table proves yet fails here with the
//! machine's error naming it and its pc.

mod common;

use common::{guest, run_ok};
use droste_sdk::{prove, verify, Input, ProofOptions, PublicValues};
use k256::ecdsa::{signature::Signer, Signature, SigningKey};
use sha2::{Digest, Sha256};
use tiny_keccak::{Hasher, Keccak};

/// Proves `guests/<name>` on `input`, verifies the proof, and checks the verified public values
/// against a plain execution; returns them.
fn prove_and_verify(name: &str, input: &Input) -> PublicValues {
    let program = guest(name);
    let execution = run_ok(name, input);
    let proof = prove(&*program, input, ProofOptions::fast())
        .unwrap_or_else(|err| panic!("proving {name}: {err}"));
    assert_eq!(proof.stats().cycles, execution.cycles);
    let public =
        verify(proof.bytes(), &*program).unwrap_or_else(|err| panic!("verifying {name}: {err}"));
    assert_eq!(public.exit_code, 0);
    assert_eq!(public.public_output, execution.public_output);
    public
}

/// Deterministic test bytes.
fn message(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 % 251) as u8).collect()
}

#[test]
fn fibonacci_proves() {
    let public = prove_and_verify("fibonacci", &Input::new().write_slice(&20u64.to_le_bytes()));
    assert_eq!(public.public_output[..8], 6765u64.to_le_bytes());
}

#[test]
fn sha256_proves() {
    // Two SHA-256 blocks.
    let data = message(100);
    let public = prove_and_verify("sha256", &Input::new().write_slice(&data));
    let expected: [u8; 32] = Sha256::digest(&data).into();
    assert_eq!(public.public_output, expected);
}

#[test]
fn keccak256_proves() {
    // Two Keccak-256 blocks (rate 136 bytes).
    let data = message(200);
    let public = prove_and_verify("keccak256", &Input::new().write_slice(&data));
    let mut expected = [0u8; 32];
    let mut keccak = Keccak::v256();
    keccak.update(&data);
    keccak.finalize(&mut expected);
    assert_eq!(public.public_output, expected);
}

#[test]
fn json_proves() {
    let document = br#"{"a":[1,2,{"b":3}],"c":-4,"d":"text"}"#;
    let public = prove_and_verify("json", &Input::new().write_slice(document));
    // (objects, keys, integer sum, max depth) as the guest commits it.
    let expected = droste_zkvm::codec::to_bytes(&(2u64, 4u64, 2i128, 3u32)).unwrap();
    assert_eq!(public.public_output, expected);
}

#[test]
fn ecdsa_proves() {
    let key = SigningKey::from_slice(&[0x42; 32]).unwrap();
    let public_key = key
        .verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec();
    let message = b"droste".to_vec();
    let signature: Signature = key.sign(&message);
    let input = Input::new()
        .write_slice(&public_key)
        .write_slice(&message)
        .write_slice(&signature.to_bytes());
    let public = prove_and_verify("ecdsa", &input);
    let expected = droste_zkvm::codec::to_bytes(&(public_key, message, true)).unwrap();
    assert_eq!(public.public_output, expected);
}

#[test]
fn a_run_using_the_poseidon2_precompile_proves() {
    let state: [u32; 16] = core::array::from_fn(|i| i as u32 * 77_777);
    let montgomery = state.map(|w| w.wrapping_mul(3) % droste_isa::abi::poseidon2::MODULUS);
    let input = Input::new()
        .write("poseidon2")
        .unwrap()
        .write(&(state, montgomery))
        .unwrap();
    // The verified output is the executed one (checked by `prove_and_verify`): the permuted
    // states, the in-place and the misaligned one equal.
    let public = prove_and_verify("selftest", &input);
    let (in_place, misaligned, _) = droste_sdk::PublicOutput::new(&public.public_output)
        .read::<([u32; 16], [u32; 16], [u32; 16])>()
        .unwrap();
    assert_eq!(in_place, misaligned);
    assert_ne!(in_place, state);
}
