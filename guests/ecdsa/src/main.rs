//! ECDSA over secp256k1: reads three input items (a SEC1-encoded public key, a message, a 64-byte
//! `r || s` signature), verifies the signature of the message's SHA-256 with `k256`, and commits
//! `(public_key, message, valid)` with postcard (`io::commit`). A malformed key or signature
//! counts as invalid: the guest proves the verdict, whatever the input.
#![no_main]
droste_zkvm::entrypoint!(main);

use k256::ecdsa::{signature::Verifier, Signature, VerifyingKey};

fn verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = VerifyingKey::from_sec1_bytes(public_key) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(signature) else {
        return false;
    };
    key.verify(message, &signature).is_ok()
}

fn main() {
    let public_key = droste_zkvm::io::read_vec();
    let message = droste_zkvm::io::read_vec();
    let signature = droste_zkvm::io::read_vec();
    let valid = verify(&public_key, &message, &signature);
    droste_zkvm::io::commit(&(public_key, message, valid));
}
