//! What a verifier of machine proofs holds: the program's verifying key, the proof options, and
//! the public values a proof vouches for.
//!
//! The key is the stark key of the machine's tables (whose preprocessed commitment holds the
//! program ROM and the initial memory image) plus the entry point, and what continuation shards
//! of the same program are checked with: the digest of its shard key ([`crate::shard`]) and the
//! root of its initial registers and RAM in the memory tree. Its digest covers all four, so one
//! digest names the program whether a run was proven whole or shard by shard. It travels as an
//! rkyv archive after a 16-byte header, like proofs, so a recursion guest reads it in place.

use alloc::vec;
use alloc::vec::Vec;

use droste_pcs::hash::Hasher;
use droste_stark::vk::DigestedKey;
use droste_stark::wire::WireHeader;
use droste_stark::{Digest, FriParameters, PublicEndpoint, Val};
use p3_field::{PrimeCharacteristicRing, PrimeField32};

use crate::bus::{EXIT, OUTPUT, OUTPUT_CURSOR, STATE};
use crate::error::MachineError;

/// The first 8 bytes of every serialized verifying key.
pub const VKEY_MAGIC: [u8; 8] = *b"DROSTEvk";
/// Version of the serialized key layout.
pub const VKEY_VERSION: u32 = 2;
/// Bytes before the archive.
pub use droste_stark::wire::HEADER_LEN;

const HEADER: WireHeader = WireHeader {
    magic: VKEY_MAGIC,
    version: VKEY_VERSION,
    missing_magic: "missing verifying key magic",
    unsupported_version: "unsupported verifying key version",
    misaligned: "verifying key bytes are not 16-byte aligned",
};

/// The verifying key of a program: the key of its tables (preprocessed commitment, shapes, FRI
/// parameters), its entry point, and what its shard proofs are checked against. Depends only on
/// the ELF and the proof options.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct VerifyingKey {
    pub stark: droste_stark::VerifyingKey,
    pub entry: u32,
    /// Digest of the program's shard key ([`crate::shard::ShardVerifyingKey::digest`]).
    pub shard_key: [u32; 8],
    /// The memory tree's left child (registers and RAM) before the first instruction: where
    /// the first shard of every run starts.
    pub initial_ram_root: [u32; 8],
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
        HEADER.prepend(&archive)
    }
}

/// Checks the header and validates the key archive in place. `bytes` must be 16-byte aligned.
pub fn access(bytes: &[u8]) -> Result<&ArchivedVerifyingKey, MachineError> {
    let archive = HEADER.strip(bytes).map_err(MachineError::Format)?;
    rkyv::access::<ArchivedVerifyingKey, rkyv::rancor::Failure>(archive)
        .map_err(|_| MachineError::Format("malformed verifying key archive"))
}

impl ArchivedVerifyingKey {
    /// The stark key digested, and the machine key's digest: Poseidon2 of the stark key's
    /// digest, the entry point, the shard key's digest and the initial RAM root. The stark key
    /// is hashed once per verification (its encoding is most of the key); the entry point, which
    /// the stark transcript only sees as a public endpoint, and the continuation fields are bound
    /// here so that the digest names the whole program. Words of the continuation fields must be
    /// canonical (one encoding per key).
    pub fn digest(&self) -> Result<(DigestedKey<'_>, Digest), MachineError> {
        let stark = self.stark.digested()?;
        let digest = program_digest(
            &digest_words(stark.digest()),
            self.entry.to_native(),
            &self.shard_key.map(|w| w.to_native()),
            &self.initial_ram_root.map(|w| w.to_native()),
        )?;
        Ok((stark, digest))
    }
}

/// A program's key digest from its parts (all canonical words): Poseidon2 of the whole-run
/// stark key's digest, the entry point, the shard key's digest and the initial RAM root. What
/// [`ArchivedVerifyingKey::digest`] computes, and what an aggregator of shard proofs computes
/// from these parts alone (it never needs the whole-run key).
pub fn program_digest(
    stark_key: &[u32; 8],
    entry: u32,
    shard_key: &[u32; 8],
    initial_ram_root: &[u32; 8],
) -> Result<Digest, MachineError> {
    let mut input = [Val::ZERO; 25];
    input[8] = Val::from_u32(entry);
    let words = stark_key
        .iter()
        .zip(0..8)
        .chain(shard_key.iter().zip(9..17))
        .chain(initial_ram_root.iter().zip(17..25));
    for (&word, position) in words {
        if word >= Val::ORDER_U32 {
            return Err(MachineError::Format("non-canonical key digest word"));
        }
        input[position] = Val::from_u32(word);
    }
    Ok(Hasher::new().hash_slice(&input))
}

/// The parts of a key its digest is computed from ([`program_digest`]'s arguments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyParts {
    pub stark_key: [u32; 8],
    pub entry: u32,
    pub shard_key: [u32; 8],
    pub initial_ram_root: [u32; 8],
}

impl VerifyingKey {
    /// The parts of the key its digest is computed from.
    pub fn parts(&self) -> Result<KeyParts, MachineError> {
        Ok(KeyParts {
            stark_key: digest_words(&self.stark.digest()?),
            entry: self.entry,
            shard_key: self.shard_key,
            initial_ram_root: self.initial_ram_root,
        })
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
