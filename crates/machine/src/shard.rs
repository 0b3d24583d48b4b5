//! Shard proofs: what one continuation shard proves and how it is checked.
//!
//! A shard proof is a machine proof whose memory comes from pages ([`crate::paged_memory`])
//! instead of the program's image, under the program's *shard key* (the same ROM, the paged
//! tables). Its [`ShardStatement`] is the shard's boundary: the pc it starts from, the pc it
//! stops at (or its exit), the memory tree's root children before and after it, the input
//! length, and the public output it committed from a given offset. An aggregator chains
//! statements: one shard's end pc and post-RAM root are the next one's start pc and pre-RAM
//! root; the input root and length never change; output offsets follow on; only the last halts.
//!
//! The format is the machine proof's: a 16-byte header (magic `DROSTEsp`, version, reserved) and
//! one canonical rkyv archive, so a recursion guest reads it in place.

use alloc::vec;
use alloc::vec::Vec;

use droste_pcs::FriParameters;
use droste_stark::canonical::{Layout, NotCanonical};
use droste_stark::vk::DigestedKey;
use droste_stark::wire::WireHeader;
use droste_stark::{fields, PublicEndpoint, Val};
use p3_field::{PrimeCharacteristicRing, PrimeField32};

use crate::bus::{EXIT, INPUT_LEN, NODE, OUTPUT, OUTPUT_CURSOR, STATE};
use crate::error::MachineError;
use crate::key::digest_words;
use crate::paged_memory::{POST, PRE, ROOT_CHILD_LEVEL};
use crate::tables::MachineTables;

/// The first 8 bytes of every serialized shard key.
pub const SHARD_KEY_MAGIC: [u8; 8] = *b"DROSTEsk";
/// The first 8 bytes of every shard proof.
pub const SHARD_PROOF_MAGIC: [u8; 8] = *b"DROSTEsp";
/// Version of the shard proof layout.
pub const SHARD_PROOF_VERSION: u32 = 1;
/// Bytes before the archive.
pub use droste_stark::wire::HEADER_LEN;

const KEY_HEADER: WireHeader = WireHeader {
    magic: SHARD_KEY_MAGIC,
    version: SHARD_PROOF_VERSION,
    missing_magic: "missing shard key magic",
    unsupported_version: "unsupported shard key version",
    misaligned: "shard key bytes are not 16-byte aligned",
};

const PROOF_HEADER: WireHeader = WireHeader {
    magic: SHARD_PROOF_MAGIC,
    version: SHARD_PROOF_VERSION,
    missing_magic: "missing shard proof magic",
    unsupported_version: "unsupported shard proof version",
    misaligned: "shard proof bytes are not 16-byte aligned",
};

/// The key shard proofs of a program are checked with: the stark key of the paged tables
/// ([`MachineTables::paged_for_verifier`]), whose preprocessed commitment holds the program's ROM. The
/// program's [`crate::VerifyingKey`] carries its digest, which binds the two keys.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct ShardVerifyingKey {
    pub stark: droste_stark::VerifyingKey,
}

impl ShardVerifyingKey {
    /// The key as bytes: header (magic, [`SHARD_PROOF_VERSION`], reserved), then the archive.
    pub fn to_bytes(&self) -> rkyv::util::AlignedVec<16> {
        KEY_HEADER.prepend(
            &rkyv::to_bytes::<rkyv::rancor::Error>(self)
                .expect("serializing into memory cannot fail"),
        )
    }

    /// The key's digest as canonical words (what the program's key and shard proofs carry).
    pub fn digest_words(&self) -> Result<[u32; 8], MachineError> {
        let bytes = self.to_bytes();
        Ok(digest_words(access_key(&bytes)?.stark.digested()?.digest()))
    }
}

/// Checks the header and validates a shard key archive in place (16-byte aligned bytes).
pub fn access_key(bytes: &[u8]) -> Result<&ArchivedShardVerifyingKey, MachineError> {
    let archive = KEY_HEADER.strip(bytes).map_err(MachineError::Format)?;
    rkyv::access::<ArchivedShardVerifyingKey, rkyv::rancor::Failure>(archive)
        .map_err(|_| MachineError::Format("malformed shard key archive"))
}

/// What a shard proof vouches for. Digests are canonical `u32` words.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct ShardStatement {
    /// The pc of the shard's first instruction.
    pub start_pc: u32,
    /// Instructions the shard executed.
    pub cycles: u32,
    /// Whether the shard ends the run (HALT or PANIC).
    pub halted: bool,
    /// The exit code when halted, else 0.
    pub exit_code: u32,
    /// The pc the next shard starts from, 0 when halted.
    pub end_pc: u32,
    /// The root's left child (registers and RAM) before and after the shard.
    pub pre_ram_root: [u32; 8],
    pub post_ram_root: [u32; 8],
    /// The root's right child (the private input), which no shard changes.
    pub input_root: [u32; 8],
    /// The private input's payload length.
    pub input_len: u32,
    /// Public output bytes committed before the shard.
    pub output_offset: u32,
    /// Where the shard's output cursor ends: one past the clock (counted from the shard's
    /// start) of its last COMMIT, 0 without one; 0 when halted (the exit closes the cursor).
    pub output_clk: u32,
    /// The bytes the shard committed.
    pub output: Vec<u8>,
}

impl ShardStatement {
    /// The public bus endpoints of a shard with this statement.
    pub fn endpoints(&self) -> Vec<PublicEndpoint> {
        let v = Val::from_u32;
        let output_end = self.output_offset + self.output.len() as u32;
        let mut endpoints = vec![
            PublicEndpoint::send(STATE, vec![Val::ZERO, v(self.start_pc)], Val::ONE),
            PublicEndpoint::send(
                OUTPUT_CURSOR,
                vec![v(self.output_offset), Val::ZERO],
                Val::ONE,
            ),
            PublicEndpoint::send(INPUT_LEN, vec![v(self.input_len)], Val::ONE),
        ];
        if self.halted {
            endpoints.push(PublicEndpoint::receive(
                EXIT,
                vec![
                    v(self.exit_code & 0xffff),
                    v(self.exit_code >> 16),
                    v(output_end),
                ],
                Val::ONE,
            ));
        } else {
            endpoints.push(PublicEndpoint::receive(
                STATE,
                vec![v(self.cycles), v(self.end_pc)],
                Val::ONE,
            ));
            endpoints.push(PublicEndpoint::receive(
                OUTPUT_CURSOR,
                vec![v(output_end), v(self.output_clk)],
                Val::ONE,
            ));
        }
        for (tree, ram) in [(PRE, &self.pre_ram_root), (POST, &self.post_ram_root)] {
            for (index, digest) in [ram, &self.input_root].into_iter().enumerate() {
                let mut tuple = vec![v(tree), v(ROOT_CHILD_LEVEL), Val::from_usize(index)];
                tuple.extend(digest.iter().map(|&w| v(w)));
                endpoints.push(PublicEndpoint::receive(NODE, tuple, Val::ONE));
            }
        }
        endpoints.extend(self.output.iter().enumerate().map(|(i, &byte)| {
            PublicEndpoint::receive(
                OUTPUT,
                vec![v(self.output_offset + i as u32), Val::from_u8(byte)],
                Val::ONE,
            )
        }));
        endpoints
    }

    /// Whether the statement has its one encoding: canonical digest words, and the fields a
    /// halted (or running) shard does not use at 0.
    fn is_canonical(&self) -> bool {
        let canonical = |d: &[u32; 8]| d.iter().all(|&w| w < Val::ORDER_U32);
        let unused_zero = if self.halted {
            self.end_pc == 0 && self.output_clk == 0
        } else {
            self.exit_code == 0
        };
        canonical(&self.pre_ram_root)
            && canonical(&self.post_ram_root)
            && canonical(&self.input_root)
            && unused_zero
            && u64::from(self.output_offset) + self.output.len() as u64 <= u64::from(u32::MAX)
    }
}

/// A proof of one shard.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct ShardProof {
    /// Digest of the shard key the proof was made for.
    pub vkey_digest: [u32; 8],
    /// The options of that key.
    pub fri: FriParameters,
    pub statement: ShardStatement,
    pub proof: droste_stark::Proof,
}

impl ShardProof {
    /// The proof as bytes (16-byte aligned buffer).
    pub fn to_bytes(&self) -> rkyv::util::AlignedVec<16> {
        PROOF_HEADER.prepend(
            &rkyv::to_bytes::<rkyv::rancor::Error>(self)
                .expect("serializing into memory cannot fail"),
        )
    }
}

/// Checks the header and validates the archive in place. `bytes` must be 16-byte aligned.
pub fn access(bytes: &[u8]) -> Result<&ArchivedShardProof, MachineError> {
    let archive = PROOF_HEADER.strip(bytes).map_err(MachineError::Format)?;
    let proof = rkyv::access::<ArchivedShardProof, rkyv::rancor::Failure>(archive)
        .map_err(|_| MachineError::Format("malformed shard proof archive"))?;
    Layout::new(archive)
        .root(proof, layout_deps, layout_padding)
        .map_err(MachineError::Format)?;
    Ok(proof)
}

fn layout_deps(layout: &mut Layout, proof: &ArchivedShardProof) -> Result<(), NotCanonical> {
    layout.plain_vec(&proof.statement.output)?;
    droste_stark::proof::layout_deps(layout, &proof.proof)
}

fn layout_padding(layout: &Layout, proof: &ArchivedShardProof) -> Result<(), NotCanonical> {
    layout.zero_outside(
        proof,
        &fields!(layout, proof; vkey_digest, fri, statement, proof),
    )?;
    let s = &proof.statement;
    layout.zero_outside(
        s,
        &fields!(layout, s; start_pc, cycles, halted, exit_code, end_pc, pre_ram_root,
            post_ram_root, input_root, input_len, output_offset, output_clk, output),
    )?;
    crate::proof::fri_padding(layout, &proof.fri)?;
    droste_stark::proof::layout_padding(layout, &proof.proof)
}

/// A verified shard proof: its statement, and the digest of the shard key it verified under
/// (which names the program, with [`crate::program_digest`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedShard {
    pub shard_key: [u32; 8],
    pub statement: ShardStatement,
}

/// A shard key hashed once, for every shard proof verified under it: a recursion guest
/// aggregating several shards of one program reads and digests its key once, not per proof.
/// Only [`ArchivedShardVerifyingKey::digested`] makes one.
#[derive(Clone, Copy, Debug)]
pub struct DigestedShardKey<'a> {
    stark: DigestedKey<'a>,
    shard_key: [u32; 8],
}

impl DigestedShardKey<'_> {
    /// The key's digest as canonical words (what a shard proof carries).
    pub fn digest_words(&self) -> [u32; 8] {
        self.shard_key
    }
}

impl ArchivedShardVerifyingKey {
    /// The key with its digest.
    pub fn digested(&self) -> Result<DigestedShardKey<'_>, MachineError> {
        let stark = self.stark.digested()?;
        let shard_key = digest_words(stark.digest());
        Ok(DigestedShardKey { stark, shard_key })
    }
}

/// Verifies a shard proof under a shard key (both read in place).
pub fn verify_shard_archived(
    vk: &ArchivedShardVerifyingKey,
    proof: &ArchivedShardProof,
) -> Result<VerifiedShard, MachineError> {
    verify_shard_digested(&vk.digested()?, proof)
}

/// Verifies a shard proof (read in place) under a shard key digested before.
pub fn verify_shard_digested(
    key: &DigestedShardKey<'_>,
    proof: &ArchivedShardProof,
) -> Result<VerifiedShard, MachineError> {
    let shard_key = key.shard_key;
    if proof.vkey_digest.map(|w| w.to_native()) != shard_key {
        return Err(MachineError::WrongKey);
    }
    if FriParameters::from(&proof.fri) != key.stark.key().fri() {
        return Err(MachineError::WrongOptions);
    }
    let statement: ShardStatement =
        rkyv::deserialize::<ShardStatement, rkyv::rancor::Failure>(&proof.statement)
            .map_err(|_| MachineError::Format("malformed shard statement"))?;
    if !statement.is_canonical() {
        return Err(MachineError::Format("non-canonical shard statement"));
    }
    let tables = MachineTables::paged_for_verifier();
    droste_stark::verify_archived(
        &key.stark,
        &tables.views(),
        &proof.proof,
        &statement.endpoints(),
    )?;
    Ok(VerifiedShard {
        shard_key,
        statement,
    })
}

/// Verifies shard proof bytes against shard key bytes, at any alignment.
pub fn verify_shard_bytes(vk: &[u8], proof: &[u8]) -> Result<VerifiedShard, MachineError> {
    with_archives(vk, proof, verify_shard_archived)
}

/// Reads shard key bytes and shard proof bytes (wire formats, any alignment: unaligned bytes are
/// copied once) in place and hands both archives to `use_them`: the one way from bytes to
/// archives, for every caller that verifies shard bytes.
pub fn with_archives<T>(
    vk: &[u8],
    proof: &[u8],
    use_them: impl FnOnce(&ArchivedShardVerifyingKey, &ArchivedShardProof) -> Result<T, MachineError>,
) -> Result<T, MachineError> {
    let (mut vk_copy, mut proof_copy) = (None, None);
    let vk = access_key(crate::verify::aligned(vk, &mut vk_copy))?;
    let proof = access(crate::verify::aligned(proof, &mut proof_copy))?;
    use_them(vk, proof)
}
