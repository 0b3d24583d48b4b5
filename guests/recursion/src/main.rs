//! The recursion guest: verifies droste proofs inside droste and commits what they prove.
//!
//! Input stream: a [`RecursionRequest`] (the digest of this guest's own verifying key, and what
//! kind each proof that follows is), then per proof two items: for a whole run, its verifying
//! key and the proof (as `droste_sdk::Input::write_proof` writes them); for a continuation shard,
//! the program's shard key and the shard proof, the key left out for a shard of the same
//! program as the shard before it (`InnerKind::NextShard`: the key is read and digested once per
//! group of shards). Each proof is verified in place by droste's one
//! verifier; the guest commits an [`Aggregate`]: its own key digest as it was told, the
//! statement of every proof (vkey digest, exit code, public output), with the statements of inner
//! proofs of this very guest unwrapped, so that compressing a compressed proof proves the same
//! statements again (`droste_zkvm::recursion` says why that is sound), and the shards chained
//! into segments, a segment that is a whole run becoming that run's statement.
//!
//! Any proof that does not verify ends the run with a panic: there is no proof of a failed
//! verification that claims success.
//!
//! Step markers (`droste run --profile`): 1 reading the request, 2 verifying proof by proof
//! (the verifier's own phases inside), 3 committing.
#![no_main]
droste_zkvm::entrypoint!(main);

use droste_zkvm::recursion::{Aggregate, InnerKind, RecursionRequest};
use droste_zkvm::verify::ShardVerifier;

fn main() {
    droste_zkvm::step_marker::<1>();
    let request: RecursionRequest = droste_zkvm::io::read();
    let mut aggregate = Aggregate::new(request.recursion_vkey);
    droste_zkvm::step_marker::<2>();
    let mut shards: Option<ShardVerifier<'static>> = None;
    for (index, kind) in request.proofs.iter().enumerate() {
        let added = match kind {
            InnerKind::Whole => {
                shards = None;
                aggregate.push(droste_zkvm::verify::read_verified())
            }
            InnerKind::Shard(program) => {
                let verifier = shards.insert(droste_zkvm::verify::read_shard_key(program));
                aggregate.push_segment(verifier.read_verified())
            }
            InnerKind::NextShard => match &shards {
                Some(verifier) => aggregate.push_segment(verifier.read_verified()),
                None => panic!("recursion: proof {index}: a next shard with no shard before it"),
            },
        };
        if let Err(error) = added {
            panic!("recursion: proof {index}: {error}");
        }
    }
    droste_zkvm::step_marker::<3>();
    droste_zkvm::io::commit(&aggregate);
}
