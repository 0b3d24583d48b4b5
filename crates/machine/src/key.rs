//! What a verifier of machine proofs holds: the program's verifying key, the proof options, and
//! the public values a proof vouches for.
//!
//! The key is the stark key of the machine's tables (whose preprocessed commitment holds the
//! program ROM and the initial memory image) plus the entry point. It travels as an rkyv
//! archive after a 16-byte header, like proofs, so a recursion guest reads it in place.

use alloc::vec;
use alloc::vec::Vec;

use droste_pcs::hash::Hasher;
use droste_stark::vk::DigestedKey;
use droste_stark::{Digest, FriParameters, PublicEndpoint, Val};
use p3_field::{PrimeCharacteristicRing, PrimeField32};

use crate::bus::{EXIT, OUTPUT, OUTPUT_CURSOR, STATE};
use crate::error::MachineError;

/// The first 8 bytes of every serialized verifying key.
pub const VKEY_MAGIC: [u8; 8] = *b"DROSTEvk";
/// Version of the serialized key layout.
pub const VKEY_VERSION: u32 = 1;
/// Bytes before the archive.
pub const HEADER_LEN: usize = 16;

/// The verifying key of a program: the key of its tables (preprocessed commitment, shapes, FRI
/// parameters) and its entry point. Depends only on the ELF and the proof options.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct VerifyingKey {
    pub stark: droste_stark::VerifyingKey,
    pub entry: u32,
}

impl VerifyingKey {
    /// The key's digest, what proofs and recursion guests commit to
    /// ([`ArchivedVerifyingKey::digest`]).
    pub fn digest(&self) -> Result<Digest, MachineError> {
        Ok(access(&self.to_bytes())?.digest()?.1)
    }

    /// The digest as canonical `u32` words.
    pub fn digest_words(&self) -> Result<[u32; 8], MachineError> {
        Ok(digest_words(&self.digest()?))
    }

    /// The key as bytes: header, then the archive (16-byte aligned buffer).
    pub fn to_bytes(&self) -> rkyv::util::AlignedVec<16> {
        let archive = rkyv::to_bytes::<rkyv::rancor::Error>(self)
            .expect("serializing into memory cannot fail");
        let mut out = rkyv::util::AlignedVec::<16>::with_capacity(HEADER_LEN + archive.len());
        out.extend_from_slice(&VKEY_MAGIC);
        out.extend_from_slice(&VKEY_VERSION.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&archive);
        out
    }
}

/// Checks the header and validates the key archive in place. `bytes` must be 16-byte aligned.
pub fn access(bytes: &[u8]) -> Result<&ArchivedVerifyingKey, MachineError> {
    if bytes.len() < HEADER_LEN || bytes[..8] != VKEY_MAGIC {
        return Err(MachineError::Format("missing verifying key magic"));
    }
    if bytes[8..12] != VKEY_VERSION.to_le_bytes() || bytes[12..16] != [0; 4] {
        return Err(MachineError::Format("unsupported verifying key version"));
    }
    if bytes.as_ptr() as usize % 16 != 0 {
        return Err(MachineError::Format(
            "verifying key bytes are not 16-byte aligned",
        ));
    }
    rkyv::access::<ArchivedVerifyingKey, rkyv::rancor::Failure>(&bytes[HEADER_LEN..])
        .map_err(|_| MachineError::Format("malformed verifying key archive"))
}

impl ArchivedVerifyingKey {
    /// The stark key digested, and the machine key's digest: Poseidon2 of the stark key's
    /// digest followed by the entry point. The stark key is hashed once per verification (its
    /// encoding is most of the key); the entry point, which the stark transcript only sees as a
    /// public endpoint, is bound here so that the digest names the whole program.
    pub fn digest(&self) -> Result<(DigestedKey<'_>, Digest), MachineError> {
        let stark = self.stark.digested()?;
        let mut input = [Val::ZERO; 9];
        input[..8].copy_from_slice(stark.digest());
        input[8] = Val::from_u32(self.entry.to_native());
        Ok((stark, Hasher::new().hash_slice(&input)))
    }
}

/// A digest as canonical `u32` words (how statements and proof files carry it).
pub fn digest_words(digest: &Digest) -> [u32; 8] {
    digest.map(|v| v.as_canonical_u32())
}

/// Proof parameters: the FRI presets of droste-pcs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofOptions {
    pub fri: FriParameters,
}

impl ProofOptions {
    /// At least 100 provable bits.
    pub const fn secure() -> Self {
        Self {
            fri: FriParameters::default_preset(),
        }
    }

    /// At least 100 conjectured bits, faster.
    pub const fn fast() -> Self {
        Self {
            fri: FriParameters::fast_preset(),
        }
    }
}

impl Default for ProofOptions {
    fn default() -> Self {
        Self::secure()
    }
}

/// The public values a verified proof vouches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicValues {
    /// Digest of the verifying key the proof was checked against.
    pub vkey_digest: [u32; 8],
    /// Exit code (HALT's `a0`, or the panic exit code).
    pub exit_code: u32,
    /// The bytes the program committed, in order.
    pub public_output: Vec<u8>,
}

/// The public bus endpoints of a run with these public values from `entry`.
pub fn public_endpoints(entry: u32, exit_code: u32, output: &[u8]) -> Vec<PublicEndpoint> {
    let v = Val::from_u32;
    let mut endpoints = vec![
        PublicEndpoint::send(STATE, vec![Val::ZERO, v(entry)], Val::ONE),
        PublicEndpoint::send(OUTPUT_CURSOR, vec![Val::ZERO, Val::ZERO], Val::ONE),
        PublicEndpoint::receive(
            EXIT,
            vec![
                v(exit_code & 0xffff),
                v(exit_code >> 16),
                v(output.len() as u32),
            ],
            Val::ONE,
        ),
    ];
    endpoints.extend(output.iter().enumerate().map(|(i, &byte)| {
        PublicEndpoint::receive(OUTPUT, vec![v(i as u32), Val::from_u8(byte)], Val::ONE)
    }));
    endpoints
}
