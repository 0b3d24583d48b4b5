//! Verifying proofs against a guest, and the guest's verifying-key digest.
//!
//! A proof does not say which proof options it was made with, but it carries the digest of its
//! verifying key, which binds them. [`verify`] therefore derives the guest's key under each
//! preset until one matches the proof's digest: a proof under options no preset uses needs
//! [`Verifier`] with those options.

use std::fmt;

use droste_executor::ElfError;
use droste_machine::{MachineError, MachineProver, ProofOptions, PublicValues, VerifyingKey};
use rkyv::util::AlignedVec;

use crate::{Guest, ProveError};

/// The presets a proof may have been made with, in the order [`verify`] tries them.
pub const PRESETS: [(&str, ProofOptions); 2] = [
    ("default", ProofOptions::secure()),
    ("fast", ProofOptions::fast()),
];

/// A verifying key's digest: eight field elements, shown as 64 hex digits (each element's 4
/// bytes little-endian, in order).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VkeyDigest(pub [u32; 8]);

impl fmt::Display for VkeyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for word in self.0 {
            write!(f, "{}", hex::encode(word.to_le_bytes()))?;
        }
        Ok(())
    }
}

impl fmt::Debug for VkeyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VkeyDigest({self})")
    }
}

/// Why a proof was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The ELF file is not a droste program.
    #[error("cannot load guest ELF: {0}")]
    Elf(#[from] ElfError),
    /// Deriving the guest's verifying key failed.
    #[error("setting up the guest's key: {0}")]
    Setup(MachineError),
    /// The bytes are not a machine proof (wrong magic or version, malformed archive).
    #[error("not a droste proof: {0}")]
    Format(MachineError),
    /// The proof is for another program (or options no preset uses).
    #[error(
        "the proof is for another program: its vkey digest is {proof}, this guest's is {}",
        guest_digests(.guest)
    )]
    WrongProgram {
        /// The digest the proof carries.
        proof: VkeyDigest,
        /// The guest's digest under each preset tried.
        guest: Vec<(&'static str, VkeyDigest)>,
    },
    /// The proof does not verify.
    #[error(transparent)]
    Invalid(MachineError),
}

fn guest_digests(digests: &[(&'static str, VkeyDigest)]) -> String {
    let shown: Vec<String> = digests
        .iter()
        .map(|(preset, digest)| format!("{digest} ({preset} preset)"))
        .collect();
    shown.join(" or ")
}

/// A guest's verifying key under one set of options.
pub struct Verifier {
    vk: VerifyingKey,
}

impl Verifier {
    /// Derives the verifying key of `guest` under `options`.
    pub fn new<'a>(
        guest: impl Into<Guest<'a>>,
        options: ProofOptions,
    ) -> Result<Self, VerifyError> {
        let program = guest.into().load()?;
        let (_, vk) = MachineProver::setup(&program, options).map_err(VerifyError::Setup)?;
        Ok(Self { vk })
    }

    /// The key's digest.
    pub fn vkey(&self) -> Result<VkeyDigest, VerifyError> {
        self.vk
            .digest_words()
            .map(VkeyDigest)
            .map_err(VerifyError::Setup)
    }

    /// Verifies `proof` (machine proof bytes, any alignment) and returns what it proves.
    pub fn verify(&self, proof: &[u8]) -> Result<PublicValues, VerifyError> {
        MachineProver::verify(&self.vk, proof).map_err(|err| match err {
            MachineError::Format(_) => VerifyError::Format(err),
            MachineError::WrongKey => match (proof_vkey(proof), self.vkey()) {
                (Ok(proof), Ok(guest)) => VerifyError::WrongProgram {
                    proof,
                    guest: vec![("given", guest)],
                },
                (Err(format), _) | (_, Err(format)) => format,
            },
            other => VerifyError::Invalid(other),
        })
    }
}

/// The verifying-key digest a proof carries (not verified: read from its header fields).
pub fn proof_vkey(proof: &[u8]) -> Result<VkeyDigest, VerifyError> {
    let aligned = aligned(proof);
    let archived = droste_machine::proof::access(&aligned).map_err(VerifyError::Format)?;
    Ok(VkeyDigest(
        archived.vkey_digest.map(|word| word.to_native()),
    ))
}

/// Verifies `proof` against `guest` under whichever preset's key the proof was made for, and
/// returns the public values it proves.
pub fn verify<'a>(proof: &[u8], guest: impl Into<Guest<'a>>) -> Result<PublicValues, VerifyError> {
    let claimed = proof_vkey(proof)?;
    let program = guest.into().load()?;
    let mut tried = Vec::new();
    for (preset, options) in PRESETS {
        let verifier = Verifier::new(&*program, options)?;
        let digest = verifier.vkey()?;
        if digest == claimed {
            return verifier.verify(proof);
        }
        tried.push((preset, digest));
    }
    Err(VerifyError::WrongProgram {
        proof: claimed,
        guest: tried,
    })
}

/// The verifying-key digest of `guest` under `options`.
pub fn vkey<'a>(
    guest: impl Into<Guest<'a>>,
    options: ProofOptions,
) -> Result<VkeyDigest, ProveError> {
    let program = guest.into().load()?;
    let (_, vk) = MachineProver::setup(&program, options)?;
    Ok(VkeyDigest(vk.digest_words()?))
}

/// `bytes` in a 16-byte aligned buffer, as the archive reader requires.
pub(crate) fn aligned(bytes: &[u8]) -> AlignedVec<16> {
    let mut copy = AlignedVec::<16>::with_capacity(bytes.len());
    copy.extend_from_slice(bytes);
    copy
}
