//! The machine proof format: a 16-byte header (8-byte magic, `u32` version, `u32` reserved = 0)
//! and one rkyv archive holding the public values and the stark proof, so a verifier (or a
//! recursion guest) reads everything in place from one buffer. [`access`] accepts only the
//! archive's canonical layout ([`droste_stark::canonical`]), so a proof has one encoding.

use alloc::vec::Vec;

use droste_pcs::FriParameters;
use droste_stark::canonical::{Layout, NotCanonical};
use droste_stark::fields;
use droste_stark::wire::WireHeader;

use crate::error::MachineError;

/// The first 8 bytes of every machine proof.
pub const MACHINE_PROOF_MAGIC: [u8; 8] = *b"DROSTEmp";
/// Version of the machine proof layout.
pub const MACHINE_PROOF_VERSION: u32 = 5;
/// Bytes before the archive.
pub use droste_stark::wire::HEADER_LEN;

const HEADER: WireHeader = WireHeader {
    magic: MACHINE_PROOF_MAGIC,
    version: MACHINE_PROOF_VERSION,
    missing_magic: "missing machine proof magic",
    unsupported_version: "unsupported machine proof version",
    misaligned: "machine proof bytes are not 16-byte aligned",
};

/// A proof that a program, run on some input, halted with `exit_code` after committing
/// `public_output`.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct MachineProof {
    /// Digest of the verifying key the proof was made for.
    pub vkey_digest: [u32; 8],
    /// The proof options of that key (which the digest binds): they tell a verifier which key
    /// to derive from the program without trying each preset, and `inspect` what the proof's
    /// security is. The verifier refuses a proof whose options differ from its key's.
    pub fri: FriParameters,
    pub exit_code: u32,
    pub public_output: Vec<u8>,
    pub proof: droste_stark::Proof,
}

impl MachineProof {
    /// The proof as bytes (16-byte aligned buffer).
    pub fn to_bytes(&self) -> rkyv::util::AlignedVec<16> {
        let archive = rkyv::to_bytes::<rkyv::rancor::Error>(self)
            .expect("serializing into memory cannot fail");
        HEADER.prepend(&archive)
    }
}

/// Checks the header and validates the archive in place. `bytes` must be 16-byte aligned.
pub fn access(bytes: &[u8]) -> Result<&ArchivedMachineProof, MachineError> {
    let archive = HEADER.strip(bytes).map_err(MachineError::Format)?;
    let proof = rkyv::access::<ArchivedMachineProof, rkyv::rancor::Failure>(archive)
        .map_err(|_| MachineError::Format("malformed machine proof archive"))?;
    Layout::new(archive)
        .root(proof, layout_deps, layout_padding)
        .map_err(MachineError::Format)?;
    Ok(proof)
}

fn layout_deps(layout: &mut Layout, proof: &ArchivedMachineProof) -> Result<(), NotCanonical> {
    layout.plain_vec(&proof.public_output)?;
    droste_stark::proof::layout_deps(layout, &proof.proof)
}

fn layout_padding(layout: &Layout, proof: &ArchivedMachineProof) -> Result<(), NotCanonical> {
    layout.zero_outside(
        proof,
        &fields!(layout, proof; vkey_digest, fri, exit_code, public_output, proof),
    )?;
    fri_padding(layout, &proof.fri)?;
    droste_stark::proof::layout_padding(layout, &proof.proof)
}

/// The padding of archived FRI parameters is zero (machine and shard proofs carry them).
pub(crate) fn fri_padding(
    layout: &Layout,
    fri: &droste_pcs::ArchivedFriParameters,
) -> Result<(), NotCanonical> {
    layout.zero_outside(
        fri,
        &fields!(layout, fri; log_blowup, num_queries, query_pow_bits, log_folding_arity,
            log_final_poly_len, deep_pow_bits, logup_pow_bits),
    )
}
