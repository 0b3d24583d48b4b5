//! Verifying a machine proof: the one verifier, `no_std`, reading the key and the proof in
//! place. Native `droste verify` and the recursion guest run exactly this.

use droste_stark::FriParameters;
use rkyv::util::AlignedVec;

use crate::error::MachineError;
use crate::key::{digest_words, public_endpoints, ArchivedVerifyingKey, PublicValues};
use crate::proof::ArchivedMachineProof;
use crate::tables::MachineTables;

/// Verifies `proof` under `vk` (both archives, read in place) and returns the public values it
/// proves. The key is hashed once: its digest must be the one the proof carries, and the proof's
/// options the key's.
pub fn verify_archived(
    vk: &ArchivedVerifyingKey,
    proof: &ArchivedMachineProof,
) -> Result<PublicValues, MachineError> {
    droste_pcs::phase::mark::<{ droste_pcs::phase::KEY_DIGEST }>();
    let (stark_key, digest) = vk.digest()?;
    let digest = digest_words(&digest);
    if proof.vkey_digest.map(|w| w.to_native()) != digest {
        return Err(MachineError::WrongKey);
    }
    if FriParameters::from(&proof.fri) != stark_key.key().fri() {
        return Err(MachineError::WrongOptions);
    }
    let exit_code = proof.exit_code.to_native();
    let output: &[u8] = &proof.public_output;
    let endpoints = public_endpoints(vk.entry.to_native(), exit_code, output);
    let tables = MachineTables::for_verifier();
    droste_stark::verify_archived(&stark_key, &tables.views(), &proof.proof, &endpoints)?;
    Ok(PublicValues {
        vkey_digest: digest,
        exit_code,
        public_output: output.to_vec(),
    })
}

/// Verifies proof bytes under an owned key, which is serialized and read in place like any
/// other: the same code path as a key from a file or a guest's input.
pub fn verify(vk: &crate::VerifyingKey, proof: &[u8]) -> Result<PublicValues, MachineError> {
    verify_bytes(&vk.to_bytes(), proof)
}

/// Verifies proof bytes (as written by [`crate::MachineProof::to_bytes`]) against key bytes (as
/// written by [`crate::VerifyingKey::to_bytes`]), at any alignment: bytes that are not 16-byte
/// aligned are copied once.
pub fn verify_bytes(vk: &[u8], proof: &[u8]) -> Result<PublicValues, MachineError> {
    let (mut vk_copy, mut proof_copy) = (None, None);
    let vk = crate::key::access(aligned(vk, &mut vk_copy))?;
    let proof = crate::proof::access(aligned(proof, &mut proof_copy))?;
    verify_archived(vk, proof)
}

/// `bytes`, or a 16-byte aligned copy of them kept in `copy` if they are not aligned.
pub fn aligned<'a>(bytes: &'a [u8], copy: &'a mut Option<AlignedVec<16>>) -> &'a [u8] {
    if bytes.as_ptr() as usize % 16 == 0 {
        return bytes;
    }
    let mut buffer = AlignedVec::<16>::with_capacity(bytes.len());
    buffer.extend_from_slice(bytes);
    copy.insert(buffer)
}
