//! The Plonky3 0.8 side: uni-stark for case (a), batch-stark + p3-lookup for case (b), with the
//! same field, hash (Poseidon2 width 16, same constants), sponge/compression shapes and FRI
//! parameters (blowup, queries, proof of work, folding arity, final polynomial) as droste.

use droste_stark::{Challenge, FriParameters, Val};
use p3_batch_stark::{prove_batch, verify_batch, ProverData, StarkInstance};
use p3_challenger::DuplexChallenger;
use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DitParallel;
use p3_field::Field;
use p3_fri::TwoAdicFriPcs;
use p3_koala_bear::{default_koalabear_poseidon2_16, Poseidon2KoalaBear};
use p3_matrix::dense::RowMajorMatrix;
use p3_merkle_tree::MerkleTreeMmcs;
use p3_symmetric::{PaddingFreeSponge, TruncatedPermutation};
use p3_uni_stark::StarkConfig;

use crate::airs::{P3LookupAir, WideFib};
use crate::{Measured, Sections};

/// Length of the postcard encoding of a value (a macro: serde is not a dependency to name).
macro_rules! encoded_len {
    ($value:expr) => {
        postcard::to_allocvec($value).expect("serializes").len()
    };
}

type Perm = Poseidon2KoalaBear<16>;
type LeafHash = PaddingFreeSponge<Perm, 16, 8, 8>;
type Compress = TruncatedPermutation<Perm, 2, 8, 16>;
type ValMmcs =
    MerkleTreeMmcs<<Val as Field>::Packing, <Val as Field>::Packing, LeafHash, Compress, 2, 8>;
type ChallengeMmcs = ExtensionMmcs<Val, Challenge, ValMmcs>;
type Challenger = DuplexChallenger<Val, Perm, 16, 8>;
type Pcs = TwoAdicFriPcs<Val, Radix2DitParallel<Val>, ValMmcs, ChallengeMmcs>;
type Config = StarkConfig<Pcs, Challenge, Challenger>;

fn config(params: &FriParameters) -> Config {
    let perm = default_koalabear_poseidon2_16();
    let val_mmcs = ValMmcs::new(LeafHash::new(perm.clone()), Compress::new(perm.clone()), 0);
    let fri = p3_fri::FriParameters {
        log_blowup: params.log_blowup.into(),
        log_final_poly_len: params.log_final_poly_len.into(),
        max_log_arity: params.log_folding_arity.into(),
        num_queries: params.num_queries.into(),
        // droste's PCS grinds before its batching challenge with the query bits too.
        batch_proof_of_work_bits: params.query_pow_bits.into(),
        commit_proof_of_work_bits: 0,
        query_proof_of_work_bits: params.query_pow_bits.into(),
        mmcs: ChallengeMmcs::new(val_mmcs.clone()),
    };
    let pcs = Pcs::new(Radix2DitParallel::default(), val_mmcs, fri);
    StarkConfig::new(pcs, Challenger::new(perm))
}

/// Case (a) with p3-uni-stark.
pub fn wide_fib(params: &FriParameters, trace: RowMajorMatrix<Val>) -> Measured {
    let config = config(params);
    crate::measure(
        || trace.clone(),
        |trace| p3_uni_stark::prove(&config, &WideFib, trace, &[]).expect("plonky3 proves"),
        |proof| sections(&proof.opening_proof, encoded_len!(proof)),
        |proof| p3_uni_stark::verify(&config, &WideFib, proof, &[]).expect("plonky3 verifies"),
    )
}

/// Case (b) with p3-batch-stark and p3-lookup.
pub fn lookups(
    params: &FriParameters,
    bits: usize,
    limbs: RowMajorMatrix<Val>,
    mults: RowMajorMatrix<Val>,
) -> Measured {
    let config = config(params);
    let airs = [P3LookupAir::Limbs, P3LookupAir::Range { bits }];
    let traces = [limbs, mults];
    let instances: Vec<StarkInstance<'_, Config, P3LookupAir>> = airs
        .iter()
        .zip(&traces)
        .map(|(air, trace)| StarkInstance {
            air,
            trace,
            public_values: Vec::new(),
        })
        .collect();
    // Preprocessed commitment, like droste's setup: outside the timed proof.
    let prover_data = ProverData::from_instances(&config, &instances).expect("plonky3 setup");
    let public_values = vec![Vec::new(); airs.len()];
    crate::measure(
        || (),
        |()| prove_batch(&config, &instances, &prover_data).expect("plonky3 proves"),
        |proof| sections(&proof.opening_proof, encoded_len!(proof)),
        |proof| {
            verify_batch(&config, &airs, proof, &public_values, &prover_data.common)
                .expect("plonky3 verifies")
        },
    )
}

/// The sections of a proof of `total` bytes whose FRI opening proof is `fri` (postcard-encoded
/// lengths, which include a length prefix per list).
fn sections(fri: &<Pcs as p3_commit::Pcs<Challenge, Challenger>>::Proof, total: usize) -> Sections {
    let inputs = &fri.input_openings;
    let folds = &fri.commit_phase_openings;
    Sections {
        opened_rows: inputs.iter().map(|o| encoded_len!(&o.opened_values)).sum(),
        input_merkle: inputs.iter().map(|o| encoded_len!(&o.opening_proof)).sum(),
        fold_values: folds.iter().map(|f| encoded_len!(&f.sibling_values)).sum(),
        fold_merkle: folds.iter().map(|f| encoded_len!(&f.opening_proof)).sum(),
        final_poly: encoded_len!(&fri.final_poly),
        total,
    }
}
