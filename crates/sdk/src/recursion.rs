//! Proofs of proofs: compress a proof, aggregate several, and verify the result like the
//! originals.
//!
//! The recursion guest (`guests/recursion`) is an ordinary droste guest that runs droste's one
//! verifier over the proofs in its input and commits the [`Aggregate`] of their statements
//! (vkey digest, exit code, public output). Its ELF ships with droste ([`recursion_elf`]) so its
//! verifying key is the same on every machine, and its key digests under the presets are
//! published ([`RECURSION_VKEYS`], checked by a test against the shipped ELF).
//!
//! - [`aggregate`] proves the verification of any number of proofs of any guests (including
//!   aggregates themselves: their statements are carried over, not nested);
//!   [`compress`] is the aggregate of one proof: the same statement, in a proof whose size and
//!   verification time no longer depend on the inner run.
//! - [`verify_aggregate`] checks a proof of the recursion guest and returns the statements it
//!   proves; [`crate::verify`] accepts a compressed proof of a guest exactly like the original.
//!
//! docs/recursion.md has the protocol, why it is sound, and the costs.

use std::sync::OnceLock;

use rkyv::util::AlignedVec;

use droste_machine::shard::ShardVerifyingKey;
use droste_machine::{MachineError, VerifyingKey};
use droste_zkvm::recursion::{Aggregate, InnerKind, ProgramIdentity, RecursionRequest};

use crate::prove::{ProgressEvent, Proof, ProveError, Prover};
use crate::verify::{
    preset_name, proof_options, proof_vkey, statement, VerifyError, VkeyDigest, PRESETS,
};
use crate::{Input, ProofOptions};

pub use droste_zkvm::recursion::Statement;

/// The recursion guest's ELF, built from `guests/recursion` by `scripts/build-recursion-elf.sh`
/// (the toolchain that built it is in `guests/recursion/elf/TOOLCHAIN`).
static RECURSION_ELF: &[u8] = include_bytes!("../../../guests/recursion/elf/droste-recursion");

/// The recursion guest's verifying keys under the presets, in [`PRESETS`] order (wire bytes,
/// written by `scripts/build-recursion-elf.sh` from the ELF): verifying a recursion proof reads
/// them instead of deriving them, which is a setup of the guest's large ROM per preset (about
/// 1.5 s each on a 2-core machine). A test derives them from the ELF and compares.
static RECURSION_VKEY_FILES: [&[u8]; 2] = [
    include_bytes!("../../../guests/recursion/elf/droste-recursion.default.vkey"),
    include_bytes!("../../../guests/recursion/elf/droste-recursion.fast.vkey"),
];

/// The recursion guest's key digests under the presets, by preset name: what a compressed or
/// aggregated proof carries, and what its committed `recursion_vkey` must be.
pub const RECURSION_VKEYS: [(&str, &str); 2] = [
    (
        "default",
        "d61f731b7b35f17da2121f7305bb4c39ac38a926e1d67539d25964394cbbee19",
    ),
    (
        "fast",
        "bffed859cf1d3f12bfdd706eb4cffc3c9de0eb382e0553233e9de12a486fb52d",
    ),
];

/// The recursion guest's ELF, as shipped with droste.
pub fn recursion_elf() -> &'static [u8] {
    RECURSION_ELF
}

/// The recursion guest's keys under each preset, read once per process from the shipped key
/// files.
fn recursion_keys() -> Result<&'static [(ProofOptions, VerifyingKey, VkeyDigest)], ProveError> {
    static KEYS: OnceLock<Vec<(ProofOptions, VerifyingKey, VkeyDigest)>> = OnceLock::new();
    if let Some(keys) = KEYS.get() {
        return Ok(keys);
    }
    let keys = PRESETS
        .iter()
        .zip(RECURSION_VKEY_FILES)
        .map(|(&(_, options), bytes)| {
            let mut aligned = AlignedVec::<16>::with_capacity(bytes.len());
            aligned.extend_from_slice(bytes);
            let archived = droste_machine::key::access(&aligned)?;
            let vk = rkyv::deserialize::<VerifyingKey, rkyv::rancor::Failure>(archived)
                .map_err(|_| MachineError::Format("malformed verifying key archive"))?;
            if vk.stark.fri != options.fri {
                return Err(
                    MachineError::Format("a shipped recursion key is not for its preset").into(),
                );
            }
            let digest = VkeyDigest(vk.digest_words()?);
            Ok((options, vk, digest))
        })
        .collect::<Result<Vec<_>, ProveError>>()?;
    Ok(KEYS.get_or_init(|| keys))
}

/// The recursion guest's verifying key under `options` (a preset).
pub fn recursion_key(options: ProofOptions) -> Result<&'static VerifyingKey, ProveError> {
    recursion_keys()?
        .iter()
        .find(|(o, _, _)| *o == options)
        .map(|(_, vk, _)| vk)
        .ok_or(ProveError::NotAPreset)
}

/// The recursion guest's key digest under `options` (a preset).
pub fn recursion_vkey(options: ProofOptions) -> Result<VkeyDigest, ProveError> {
    Ok(VkeyDigest(recursion_key(options)?.digest_words()?))
}

/// Whether `digest` is the recursion guest's under some preset (and which).
fn recursion_preset(digest: VkeyDigest) -> Result<Option<ProofOptions>, ProveError> {
    Ok(recursion_keys()?
        .iter()
        .find(|(_, _, d)| *d == digest)
        .map(|(options, _, _)| *options))
}

/// One proof to aggregate: its bytes and the verifying key of the guest it proves.
#[derive(Clone, Copy)]
pub struct InnerProof<'a> {
    /// The proof (machine proof bytes).
    pub proof: &'a [u8],
    /// The key it verifies under (for a proof of the recursion guest: [`recursion_key`]).
    pub vk: &'a VerifyingKey,
}

/// One continuation shard proof to aggregate: its bytes, and the keys of the program it is a
/// shard of.
#[derive(Clone, Copy)]
pub struct InnerShard<'a> {
    /// The shard proof (`droste_machine::ShardProof` bytes).
    pub proof: &'a [u8],
    /// The program's verifying key: its digest names the program in the segment proven.
    pub vk: &'a VerifyingKey,
    /// The program's shard key (whose digest `vk` carries).
    pub shard_vk: &'a ShardVerifyingKey,
}

/// A proof for the recursion guest to verify: a whole run's (aggregates included) or a shard's.
#[derive(Clone, Copy)]
pub enum Inner<'a> {
    Whole(InnerProof<'a>),
    Shard(InnerShard<'a>),
}

impl<'a> From<InnerProof<'a>> for Inner<'a> {
    fn from(proof: InnerProof<'a>) -> Self {
        Inner::Whole(proof)
    }
}

impl<'a> From<InnerShard<'a>> for Inner<'a> {
    fn from(shard: InnerShard<'a>) -> Self {
        Inner::Shard(shard)
    }
}

/// The parts of `vk` its digest is computed from, as the recursion guest takes them.
pub fn program_identity(vk: &VerifyingKey) -> Result<ProgramIdentity, MachineError> {
    let parts = vk.parts()?;
    Ok(ProgramIdentity {
        stark_key: parts.stark_key,
        entry: parts.entry,
        shard_key: parts.shard_key,
        initial_ram_root: parts.initial_ram_root,
    })
}

/// The recursion guest's input for `proofs`, to be proven under `options`: the request (its own
/// key digest under `options`, the number of proofs) and each proof with its key.
///
/// Each proof is verified natively first, so a proof that would make the recursion guest panic
/// is refused here with the verifier's reason, not after a failed proving run.
pub fn recursion_input(
    proofs: &[InnerProof<'_>],
    options: ProofOptions,
) -> Result<Input, ProveError> {
    let proofs: Vec<Inner<'_>> = proofs.iter().map(|&p| p.into()).collect();
    request_input(&proofs, options)
}

/// [`recursion_input`] for proofs of whole runs and shards alike. Shards (and segments in inner
/// aggregates) are chained as the guest will chain them, so shards out of order are refused here
/// with the reason, not after a failed proving run.
pub fn request_input(proofs: &[Inner<'_>], options: ProofOptions) -> Result<Input, ProveError> {
    let recursion_vkey = recursion_vkey(options)?.0;
    let mut kinds = Vec::with_capacity(proofs.len());
    let mut items = Input::new();
    let mut preview = Aggregate::new(recursion_vkey);
    // The program and shard key of the shard entry just written: a shard of the same follows
    // without its key.
    let mut last_shard: Option<(ProgramIdentity, AlignedVec<16>)> = None;
    for (index, inner) in proofs.iter().enumerate() {
        let added = match *inner {
            Inner::Whole(inner) => {
                let public = droste_machine::verify(inner.vk, inner.proof)
                    .map_err(|error| ProveError::InnerProof { index, error })?;
                kinds.push(InnerKind::Whole);
                items = items.write_proof(inner.proof, inner.vk);
                last_shard = None;
                preview.push(statement(public))
            }
            Inner::Shard(shard) => {
                let program = program_identity(shard.vk)?;
                let key = shard.shard_vk.to_bytes();
                let segment = droste_zkvm::verify::verify_shard(&program, &key, shard.proof)
                    .map_err(|error| ProveError::InnerProof { index, error })?;
                let same_key = last_shard
                    .as_ref()
                    .is_some_and(|(last, last_key)| *last == program && **last_key == *key);
                if same_key {
                    kinds.push(InnerKind::NextShard);
                    items = items.write_next_shard_proof(shard.proof);
                } else {
                    kinds.push(InnerKind::Shard(program.clone()));
                    items = items.write_shard_proof(shard.proof, shard.shard_vk);
                    last_shard = Some((program, key));
                }
                preview.push_segment(segment)
            }
        };
        added.map_err(|error| ProveError::Aggregate { index, error })?;
    }
    let request = RecursionRequest {
        recursion_vkey,
        proofs: kinds,
    };
    Ok(Input::new().write(&request)?.extend(items))
}

/// Proves the verification of `proofs` (of any guests, aggregates included) under `options`: a
/// proof of the recursion guest whose statements are those of the proofs, in order, with the
/// statements of inner aggregates under the same preset carried over.
pub fn aggregate(proofs: &[InnerProof<'_>], options: ProofOptions) -> Result<Proof, ProveError> {
    aggregate_with_progress(proofs, options, &mut |_| {})
}

/// [`aggregate`], telling `progress` when each proving phase starts and ends.
pub fn aggregate_with_progress(
    proofs: &[InnerProof<'_>],
    options: ProofOptions,
    progress: &mut dyn FnMut(ProgressEvent),
) -> Result<Proof, ProveError> {
    let proofs: Vec<Inner<'_>> = proofs.iter().map(|&p| p.into()).collect();
    aggregate_inner(&proofs, options, progress)
}

/// [`aggregate_with_progress`] for proofs of whole runs and shards alike ([`request_input`]):
/// shards chain into segments, and a segment that starts the run and halts becomes the run's
/// statement.
pub fn aggregate_inner(
    proofs: &[Inner<'_>],
    options: ProofOptions,
    progress: &mut dyn FnMut(ProgressEvent),
) -> Result<Proof, ProveError> {
    let input = request_input(proofs, options)?;
    let proof = Prover::new(RECURSION_ELF, options)?
        .keep_ldes(false)
        .prove_with_progress(&input, progress)
        .map_err(|error| match error {
            ProveError::Machine(MachineError::TooManyCycles { limit }) => {
                ProveError::RecursionTooLong {
                    proofs: proofs.len(),
                    limit,
                }
            }
            other => other,
        })?;
    let exit_code = proof.public_values().exit_code;
    if exit_code != 0 {
        // The inner proofs verified natively, so this is a bug, not bad input: say so.
        return Err(ProveError::RecursionFailed {
            exit_code,
            message: proof.stats().panic_message.clone().unwrap_or_default(),
        });
    }
    Ok(proof)
}

/// Compresses `proof` (of the guest whose key is `vk`): a proof of the same statement whose
/// size and verification time no longer depend on the inner run.
pub fn compress(
    proof: &[u8],
    vk: &VerifyingKey,
    options: ProofOptions,
) -> Result<Proof, ProveError> {
    aggregate(&[InnerProof { proof, vk }], options)
}

/// Whether `proof` claims to be a proof of the recursion guest (not verified).
pub fn is_aggregate(proof: &[u8]) -> Result<bool, VerifyError> {
    let digest = proof_vkey(proof)?;
    Ok(recursion_preset(digest)
        .map_err(VerifyError::Recursion)?
        .is_some())
}

/// Verifies a proof of the recursion guest (under a preset) and returns the statements it
/// proves: its committed [`Aggregate`]'s, after checking that the digest it committed for itself
/// is its real one (which is what makes its carried-over statements trustworthy), with the
/// statements of inner aggregates under the other preset flattened the same way.
pub fn verify_aggregate(proof: &[u8]) -> Result<Vec<Statement>, VerifyError> {
    let options = proof_options(proof)?;
    if preset_name(options.fri).is_none() {
        return Err(VerifyError::NotAPreset(options.fri));
    }
    if !is_aggregate(proof)? {
        return Err(VerifyError::NotAnAggregate(proof_vkey(proof)?));
    }
    let vk = recursion_key(options).map_err(VerifyError::Recursion)?;
    let public = droste_machine::verify(vk, proof).map_err(VerifyError::Invalid)?;
    flatten(statement(public))
}

/// The statements a verified statement of the recursion guest vouches for (recursively through
/// aggregates under the other preset); any other statement stands for itself.
fn flatten(statement: Statement) -> Result<Vec<Statement>, VerifyError> {
    if recursion_preset(VkeyDigest(statement.vkey_digest))
        .map_err(VerifyError::Recursion)?
        .is_none()
    {
        return Ok(vec![statement]);
    }
    let aggregate =
        Aggregate::of_recursion_statement(&statement).map_err(VerifyError::Aggregate)?;
    // A recursion proof names its own key; a wrong name would let it pass off another
    // program's output as an aggregate.
    if aggregate.recursion_vkey != statement.vkey_digest {
        return Err(VerifyError::Aggregate(
            droste_zkvm::recursion::UnwrapError::OtherRecursionKey,
        ));
    }
    let mut statements = Vec::with_capacity(aggregate.statements.len());
    for inner in aggregate.statements {
        statements.extend(flatten(inner)?);
    }
    Ok(statements)
}
