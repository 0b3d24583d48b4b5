//! Shard jobs for another machine. A [`ShardSnapshot`] is all that proving one shard needs
//! besides the program: the shard's start (pc, registers, the pages it touches as they are when
//! it starts, its cursor in the output and the entropy stream), the input stream items it reads,
//! the entropy seed, and the sibling digests that tie its pages to the run's memory roots. A
//! worker with the guest ELF proves it with [`Prover::prove_snapshot`], which re-executes the
//! shard with recording and checks that it ends where the snapshot says (its pages give the
//! recorded post-root), so a snapshot from another run, another program, or a cut that does not
//! match is refused before any proving work.
//!
//! Cutting a run into snapshots ([`Prover::shard_snapshots`]) executes it once without recording
//! (the fast interpreter with page tracking), so the scheduler holds one shard's pages at a time;
//! the worker's re-execution records only its own shard. The bytes are a 16-byte header
//! (`DROSTEsj`, version, zeros) and an rkyv archive, validated when read: they carry private
//! data (the pages and input the shard reads), so they go only to trusted workers.

use droste_executor::memory_root::ShardMemoryProof;
use droste_executor::{run_shard, Shard, ShardOptions, ShardStart};
use droste_machine::{MachineError, MAX_CYCLES};
use droste_pcs::codec::{digest_from_u32s, digest_to_u32s};
use droste_pcs::hash::Hasher;
use droste_stark::wire::WireHeader;
use rkyv::util::AlignedVec;

use super::ShardJob;
use crate::prove::{ProveError, Prover};
use crate::Input;

const HEADER: WireHeader = WireHeader {
    magic: *b"DROSTEsj",
    version: 1,
    missing_magic: "missing shard snapshot magic",
    unsupported_version: "unsupported shard snapshot version",
    misaligned: "shard snapshot bytes are not 16-byte aligned",
};

/// A shard snapshot could not be read, or is not the shard it claims to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The bytes are not a shard snapshot of this version.
    #[error("not a droste shard snapshot: {0}")]
    Format(&'static str),
    /// Re-executing the snapshot does not reproduce the shard it records.
    #[error("shard {index}'s snapshot does not reproduce its shard: {reason}")]
    Mismatch {
        /// The shard's position in its run.
        index: u64,
        /// What differs.
        reason: &'static str,
    },
}

/// One shard job as data (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct ShardSnapshot {
    /// The shard's start; its input stream position counts from `stream`'s first item.
    start: ShardStart,
    /// Instructions the shard executes.
    cycles: u64,
    /// The input stream items the shard reads, in order.
    stream: Vec<Vec<u8>>,
    /// The run's entropy seed (the start's cursor says how much of it was consumed).
    entropy: Option<[u8; 32]>,
    /// The run's memory roots before and after the shard, and the siblings of its pages' paths
    /// (as canonical words).
    pre_root: [u32; 8],
    post_root: [u32; 8],
    siblings: Vec<[u32; 8]>,
}

impl ShardSnapshot {
    /// The snapshot of `shard` of a run on `input` with memory proof `memory`.
    fn new(shard: Shard, memory: &ShardMemoryProof, input: &droste_executor::Input) -> Self {
        let items = shard.start.io.next_input_item as usize..shard.end.io.next_input_item as usize;
        let cycles = shard.cycles();
        let mut start = shard.start;
        start.io.next_input_item = 0;
        ShardSnapshot {
            start,
            cycles,
            stream: input.stream[items].to_vec(),
            entropy: input.entropy,
            pre_root: digest_to_u32s(&memory.pre_root),
            post_root: digest_to_u32s(&memory.post_root),
            siblings: memory.siblings.iter().map(digest_to_u32s).collect(),
        }
    }

    /// The shard's position in its run (0 for the first).
    pub fn index(&self) -> u64 {
        self.start.index
    }

    /// Instructions the shard executes.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Memory pages the shard touches (each carried in the snapshot, 1 KiB apiece).
    pub fn pages(&self) -> usize {
        self.start.pages.len()
    }

    /// The snapshot as bytes for another machine.
    pub fn to_bytes(&self) -> AlignedVec<16> {
        HEADER.prepend(
            &rkyv::to_bytes::<rkyv::rancor::Error>(self)
                .expect("a shard snapshot always serializes"),
        )
    }

    /// Reads a snapshot written by [`ShardSnapshot::to_bytes`] (any alignment).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let unaligned = HEADER
            .strip_unaligned(bytes)
            .map_err(SnapshotError::Format)?;
        let mut archive = AlignedVec::<16>::with_capacity(unaligned.len());
        archive.extend_from_slice(unaligned);
        rkyv::from_bytes::<Self, rkyv::rancor::Failure>(&archive)
            .map_err(|_| SnapshotError::Format("malformed shard snapshot archive"))
    }

    fn mismatch(&self, reason: &'static str) -> SnapshotError {
        SnapshotError::Mismatch {
            index: self.start.index,
            reason,
        }
    }

    /// The snapshot's memory proof, its words checked to be field elements.
    fn memory_proof(&self) -> Result<ShardMemoryProof, SnapshotError> {
        let digest = |words: &[u32; 8]| {
            digest_from_u32s(words)
                .map_err(|_| SnapshotError::Format("a digest word is not a field element"))
        };
        Ok(ShardMemoryProof {
            pre_root: digest(&self.pre_root)?,
            post_root: digest(&self.post_root)?,
            siblings: self.siblings.iter().map(digest).collect::<Result<_, _>>()?,
        })
    }
}

/// A run cut into shard snapshots, in order: executed once, without recording.
pub struct ShardSnapshots<'a> {
    shards: super::ShardStream<'a>,
    input: &'a droste_executor::Input,
}

impl Iterator for ShardSnapshots<'_> {
    type Item = Result<ShardSnapshot, ProveError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(
            self.shards
                .next()?
                .map(|(shard, memory)| ShardSnapshot::new(shard, &memory, self.input)),
        )
    }
}

impl Prover {
    /// The shard snapshots of the run on `input`, shards of at most `shard_cycles` instructions:
    /// jobs to send to other machines ([`Prover::prove_snapshot`] proves one).
    pub fn shard_snapshots<'a>(
        &'a self,
        input: &'a Input,
        shard_cycles: u64,
    ) -> Result<ShardSnapshots<'a>, ProveError> {
        Ok(ShardSnapshots {
            shards: super::ShardStream::new(self, input, shard_cycles, false)?,
            input: input.as_executor_input(),
        })
    }

    /// Re-executes the shard of `snapshot` (made for this prover's program) with recording and
    /// checks that it reproduces the snapshot's length and memory roots: the job
    /// [`Prover::prove_shard`] proves, found wrong before any proving work.
    pub fn snapshot_job(&self, snapshot: &ShardSnapshot) -> Result<ShardJob, ProveError> {
        if snapshot.cycles > MAX_CYCLES {
            return Err(MachineError::TooManyCycles { limit: MAX_CYCLES }.into());
        }
        let memory = snapshot.memory_proof()?;
        let input = droste_executor::Input {
            stream: snapshot.stream.clone(),
            private_input: Vec::new(),
            entropy: snapshot.entropy,
        };
        let options = ShardOptions {
            shard_cycles: snapshot.cycles,
            max_cycles: snapshot.start.cycle.saturating_add(snapshot.cycles),
            record: true,
            row_limits: None,
        };
        let shard = run_shard(self.program(), &snapshot.start, &input, &options)
            .map_err(|e| ProveError::Machine(MachineError::Execution(e)))?;
        if shard.cycles() != snapshot.cycles {
            return Err(snapshot
                .mismatch("it ends after another number of cycles")
                .into());
        }
        if !memory.verify(&Hasher::new(), &shard.paged_in(), &shard.paged_out()) {
            return Err(snapshot
                .mismatch("its pages do not give the recorded memory roots")
                .into());
        }
        Ok(ShardJob { shard, memory })
    }

    /// Proves the shard of `snapshot`: [`Prover::snapshot_job`], then [`Prover::prove_shard`]
    /// (the same proof as of the shard cut on this machine).
    pub fn prove_snapshot(&self, snapshot: &ShardSnapshot) -> Result<AlignedVec<16>, ProveError> {
        self.prove_shard(self.snapshot_job(snapshot)?)
    }
}
