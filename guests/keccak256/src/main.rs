//! Keccak-256 (Ethereum's hash): reads one input item (any bytes) and commits its 32-byte digest.
#![no_main]
droste_zkvm::entrypoint!(main);

use tiny_keccak::{Hasher, Keccak};

fn main() {
    let data = droste_zkvm::io::read_vec();
    let mut keccak = Keccak::v256();
    keccak.update(&data);
    let mut digest = [0u8; 32];
    keccak.finalize(&mut digest);
    droste_zkvm::io::commit_slice(&digest);
}
