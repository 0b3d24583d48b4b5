//! The chain guest: one step of a chain of proofs (the library's documentation describes the
//! chain and why trusting its last proof is sound).
//!
//! Input stream: a [`StepInput`] (the digest of this program's own key, whether a previous proof
//! follows, the batch and its account proofs), then, unless this is the genesis step, the
//! previous step's verifying key and proof (`droste_sdk::Input::write_proof`). Public output: the
//! [`Link`](droste_chain::Link) of this step.
//!
//! A previous proof that does not verify, a proof of another program, a transaction that breaks
//! the ledger's rules or a wrong account proof ends the run with a panic: no link is committed.
//!
//! Step markers (`droste run --profile`): 1 reading the input, 2 verifying the previous proof,
//! 3 checking its link and applying the batch, 4 committing.
#![no_main]
droste_zkvm::entrypoint!(main);

use droste_chain::StepInput;

fn main() {
    droste_zkvm::step_marker::<1>();
    let input: StepInput = droste_zkvm::io::read();
    droste_zkvm::step_marker::<2>();
    let previous = input.continues.then(droste_zkvm::verify::read_verified);
    droste_zkvm::step_marker::<3>();
    match droste_chain::step(&input, previous.as_ref()) {
        Ok(link) => {
            droste_zkvm::step_marker::<4>();
            droste_zkvm::io::commit(&link);
        }
        Err(error) => panic!("chain step {error}"),
    }
}
