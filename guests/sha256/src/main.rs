//! SHA-256: reads one input item (any bytes) and commits its 32-byte SHA-256 digest.
#![no_main]
droste_zkvm::entrypoint!(main);

use sha2::{Digest, Sha256};

fn main() {
    let data = droste_zkvm::io::read_vec();
    droste_zkvm::io::commit_slice(&Sha256::digest(&data));
}
