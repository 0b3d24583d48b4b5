//! Runs of any length: continuations. A run is cut into shards of at most `shard_cycles`
//! instructions, each shard is proven on its own (a shard proof, `droste_machine::shard`), and
//! the recursion guest aggregates the shard proofs in a tree (fours of shards, then pairs:
//! [`SHARDS_PER_AGGREGATION`]), chaining their boundaries
//! (pc, memory roots, input, output position), into one proof of the run's statement: the same
//! statement, under the same verifying-key digest, as a proof of a short run, accepted by
//! [`crate::verify`] like a compressed proof.
//!
//! The jobs are separate so that a scheduler can distribute them: [`ShardJobs`] streams the
//! shard jobs of a run (executing it once, holding one shard at a time), [`Prover::prove_shard`]
//! proves one, [`aggregate_nodes`] proves consecutive nodes of the tree (shards or
//! aggregates), and [`Prover::prove_continued`] runs them all here, in order.
//! `docs/continuations.md` has the protocol, why it is sound, and what each job needs and makes.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use droste_executor::memory_root::{MemoryTree, ShardMemoryProof};
use droste_executor::{RowLimits, Shard, ShardOptions, Shards};
use droste_machine::{
    max_table_height, shard_row_limits, whole_run_row_limits, MachineProver, ProvingKey,
};
use p3_matrix::Matrix;
use rkyv::util::AlignedVec;

use crate::prove::{options_phrase, Proof, ProveError, Prover};
use crate::recursion::{aggregate_inner, recursion_key, Inner, InnerProof, InnerShard};
use crate::Input;

mod snapshot;
mod tree;

pub use droste_executor::DEFAULT_SHARD_CYCLES;
pub use snapshot::{ShardSnapshot, ShardSnapshots, SnapshotError};
pub use tree::SHARDS_PER_AGGREGATION;
use tree::{Aggregator, Span, Tree};

/// A shard to prove: the shard (its boundary states, pages and record) and its memory proof
/// against the run's page tree.
pub struct ShardJob {
    pub shard: Shard,
    pub memory: ShardMemoryProof,
}

/// The shard jobs of a run, in order: the run executed once, one shard recorded at a time.
pub struct ShardJobs<'a> {
    shards: ShardStream<'a>,
}

impl Iterator for ShardJobs<'_> {
    type Item = Result<ShardJob, ProveError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(
            self.shards
                .next()?
                .map(|(shard, memory)| ShardJob { shard, memory }),
        )
    }
}

/// A run cut into shards with their memory proofs against the run's page tree, which it keeps
/// up to date shard by shard.
struct ShardStream<'a> {
    shards: Shards<'a>,
    tree: MemoryTree,
}

impl<'a> ShardStream<'a> {
    fn new(
        prover: &'a Prover,
        input: &'a Input,
        shard_cycles: u64,
        record: bool,
    ) -> Result<Self, ProveError> {
        let input = input.as_executor_input();
        let options = shard_options(prover, shard_cycles, record, shard_row_limits);
        Ok(ShardStream {
            shards: Shards::new(prover.program(), input, &options).map_err(execution)?,
            tree: MemoryTree::initial(prover.program(), input).map_err(execution)?,
        })
    }
}

impl Iterator for ShardStream<'_> {
    type Item = Result<(Shard, ShardMemoryProof), ProveError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.shards.next()?.map_err(execution).map(|shard| {
            let memory = self.tree.apply(&shard);
            (shard, memory)
        }))
    }
}

/// The limits of one proof's rows for a program: [`shard_row_limits`] for shard proofs,
/// [`whole_run_row_limits`] for a whole-run proof.
type LimitsFor = fn(&ProvingKey, usize) -> RowLimits;

/// Shards of at most `shard_cycles` cycles that end where a table would outgrow one proof of
/// `prover`'s options, counted by `limits`, recorded or not.
fn shard_options(
    prover: &Prover,
    shard_cycles: u64,
    record: bool,
    limits: LimitsFor,
) -> ShardOptions {
    let max_rows = max_table_height(prover.options().fri.log_blowup);
    ShardOptions {
        shard_cycles,
        record,
        row_limits: Some(limits(prover.proving_key(), max_rows)),
        ..ShardOptions::default()
    }
}

fn execution(error: droste_executor::ExecError) -> ProveError {
    ProveError::Machine(droste_machine::MachineError::Execution(error))
}

/// A node of the aggregation tree: a shard proof, or a proof of the recursion guest.
pub enum Node {
    Shard(AlignedVec<16>),
    Aggregate(Proof),
}

impl Node {
    /// The node's proof bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Node::Shard(bytes) => bytes,
            Node::Aggregate(proof) => proof.bytes(),
        }
    }
}

/// What [`Prover::prove_continued`] reports as it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContinuationEvent {
    /// Shard `index` (`cycles` instructions) was proven in `elapsed`, in a proof of `bytes`.
    ShardProven {
        index: usize,
        cycles: u64,
        elapsed: Duration,
        bytes: usize,
    },
    /// The aggregate of shards `first..=last`, at `level` of the tree (1: of shards only), was
    /// proven in `elapsed`; the recursion guest ran `cycles` instructions to verify and chain
    /// its nodes.
    Aggregated {
        level: usize,
        first: usize,
        last: usize,
        cycles: u64,
        elapsed: Duration,
    },
}

/// One line of progress, as `droste prove` prints it: `shard 3: 4194304 cycles, 111.40 s, proof
/// 1062144 bytes` or `aggregation of shards 0-3 (level 2): 14121542 cycles, 420.03 s` (the
/// recursion guest's cycles).
impl std::fmt::Display for ContinuationEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            ContinuationEvent::ShardProven {
                index,
                cycles,
                elapsed,
                bytes,
            } => write!(
                f,
                "shard {index}: {cycles} cycles, {:.2} s, proof {bytes} bytes",
                elapsed.as_secs_f64()
            ),
            ContinuationEvent::Aggregated {
                level,
                first,
                last,
                cycles,
                elapsed,
            } => write!(
                f,
                "aggregation of shards {first}-{last} (level {level}): {cycles} cycles, {:.2} s",
                elapsed.as_secs_f64()
            ),
        }
    }
}

/// What a continuation measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContinuationStats {
    /// Instructions of the whole run.
    pub cycles: u64,
    /// Shards proven.
    pub shards: usize,
    /// Levels of the aggregation tree.
    pub levels: usize,
    /// Time proving shards, and time aggregating.
    pub shard_time: Duration,
    pub aggregation_time: Duration,
}

impl Prover {
    /// The shard jobs of the run on `input`, shards of at most `shard_cycles` instructions.
    pub fn shard_jobs<'a>(
        &'a self,
        input: &'a Input,
        shard_cycles: u64,
    ) -> Result<ShardJobs<'a>, ProveError> {
        Ok(ShardJobs {
            shards: ShardStream::new(self, input, shard_cycles, true)?,
        })
    }

    /// Whether the run on `input` fits one proof: at most [`droste_machine::MAX_CYCLES`] cycles
    /// and no table taller than the options allow, counted as shards count them (one execution,
    /// nothing recorded), except that every page the run touches counts as all of its
    /// doublewords, which bounds the whole-run proof's `dynamic_memory` table
    /// ([`droste_machine::whole_run_row_limits`]). A run that does not fit is proven as a
    /// continuation ([`Self::prove_continued`]); `droste prove` decides so. A run that fails is
    /// reported by the error that ends it.
    pub fn fits_one_proof(&self, input: &Input) -> Result<bool, ProveError> {
        let options = shard_options(
            self,
            droste_machine::MAX_CYCLES,
            false,
            whole_run_row_limits,
        );
        let mut shards =
            Shards::new(self.program(), input.as_executor_input(), &options).map_err(execution)?;
        match shards.next() {
            Some(Ok(shard)) => Ok(shard.end.exit.is_some()),
            Some(Err(error)) => Err(execution(error)),
            None => unreachable!("a run has a first shard"),
        }
    }

    /// Proves one shard job: the shard proof's bytes. A shard with a table taller than one
    /// proof holds is refused once its traces are built, before the proof
    /// ([`ProveError::ShardTooTall`], which says what shard size fits).
    ///
    /// It takes the job by value because the job's record (about 3 GiB for a shard of 2^24
    /// cycles) is only read to build the traces: freed then, it is not held through the proof's
    /// commitments, where the proof's memory peaks.
    pub fn prove_shard(&self, job: ShardJob) -> Result<AlignedVec<16>, ProveError> {
        let pk = self.proving_key();
        let (traces, statement) = MachineProver::shard_traces(pk, &job.shard, &job.memory)?;
        let limit = max_table_height(self.options().fri.log_blowup);
        let tables = pk.shard.tables();
        if let Some((table, trace)) = tables.iter().zip(&traces).find(|(_, t)| t.height() > limit) {
            return Err(ProveError::ShardTooTall {
                index: job.shard.start.index,
                table: table.name().to_string(),
                rows: trace.height(),
                limit,
                options: options_phrase(self.options()),
                fits: fitting_shard_cycles(job.shard.cycles(), trace.height(), limit),
            });
        }
        drop(job);
        Ok(MachineProver::prove_shard_traces(pk, traces, statement)?.to_bytes())
    }

    /// Proves the run on `input` shard by shard and aggregates the shard proofs into one proof
    /// of the run's statement (a proof of the recursion guest, under the same preset).
    ///
    /// Aggregation is eager, in the tree's order (`continuation::tree`): each group of
    /// [`SHARDS_PER_AGGREGATION`] shards as soon as it is proven, two aggregates of one level as
    /// soon as both exist, what is left from the right at the end; an aggregation that fails
    /// does so after the first group of shards, not after all of them.
    pub fn prove_continued(
        &self,
        input: &Input,
        shard_cycles: u64,
        progress: &mut dyn FnMut(ContinuationEvent),
    ) -> Result<(Proof, ContinuationStats), ProveError> {
        recursion_key(self.options())?;
        let mut stats = ContinuationStats {
            cycles: 0,
            shards: 0,
            levels: 0,
            shard_time: Duration::ZERO,
            aggregation_time: Duration::ZERO,
        };
        // Shards and aggregations both report as they finish.
        let progress = RefCell::new(progress);
        let mut aggregation_time = Duration::ZERO;
        let mut prove = |span: Span, nodes: &[&Node]| {
            let start = Instant::now();
            let proof = aggregate_nodes(self, nodes)?;
            let elapsed = start.elapsed();
            aggregation_time += elapsed;
            (*progress.borrow_mut())(ContinuationEvent::Aggregated {
                level: span.level,
                first: span.first,
                last: span.last,
                cycles: proof.stats().cycles,
                elapsed,
            });
            Ok(Node::Aggregate(proof))
        };
        let mut aggregator = Aggregator {
            prove: &mut prove,
            too_long: |error: &ProveError| {
                matches!(
                    error,
                    ProveError::RecursionTooLong { .. } | ProveError::TableTooTall { .. }
                )
            },
        };
        let mut tree = Tree::default();
        for (index, job) in self.shard_jobs(input, shard_cycles)?.enumerate() {
            let job = job?;
            let cycles = job.shard.cycles();
            let start = Instant::now();
            let bytes = self.prove_shard(job)?;
            let elapsed = start.elapsed();
            (*progress.borrow_mut())(ContinuationEvent::ShardProven {
                index,
                cycles,
                elapsed,
                bytes: bytes.len(),
            });
            stats.cycles += cycles;
            stats.shards += 1;
            stats.shard_time += elapsed;
            tree.push_shard(index, Node::Shard(bytes), &mut aggregator)?;
        }
        let root = tree.finish(&mut aggregator)?;
        stats.aggregation_time = aggregation_time;
        match root {
            Some((level, Node::Aggregate(proof))) => {
                stats.levels = level;
                Ok((proof, stats))
            }
            Some((_, Node::Shard(_))) => unreachable!("the tree's root is an aggregate"),
            None => Err(droste_machine::MachineError::Shard("the run has no shard").into()),
        }
    }
}

/// The largest power-of-two shard size at which a table of `rows` rows for `cycles` cycles
/// would hold at most `limit` rows, at the same rows per cycle (at least 1).
fn fitting_shard_cycles(cycles: u64, rows: usize, limit: usize) -> u64 {
    let scaled = u128::from(cycles) * limit as u128 / rows.max(1) as u128;
    1 << scaled.max(1).ilog2()
}

/// Proves the aggregation of consecutive `nodes` of `prover`'s program (at most
/// [`SHARDS_PER_AGGREGATION`] shard proofs, or two nodes when one is an aggregate, fit one
/// proof; more fail with [`ProveError::RecursionTooLong`] or, when a table of the recursion
/// guest's run outgrows one proof first, [`ProveError::TableTooTall`]): a proof of the recursion guest
/// under the prover's preset, whose aggregate holds the chained segment (or, once the segment
/// is the whole run, the run's statement).
pub fn aggregate_nodes(prover: &Prover, nodes: &[&Node]) -> Result<Proof, ProveError> {
    let recursion_vk = recursion_key(prover.options())?;
    let vk = prover.verifying_key();
    let shard_vk = &prover.proving_key().shard.vk;
    let inners: Vec<Inner<'_>> = nodes
        .iter()
        .map(|node| match node {
            Node::Shard(bytes) => Inner::Shard(InnerShard {
                proof: bytes,
                vk,
                shard_vk,
            }),
            Node::Aggregate(proof) => Inner::Whole(InnerProof {
                proof: proof.bytes(),
                vk: recursion_vk,
            }),
        })
        .collect();
    aggregate_inner(&inners, prover.options(), &mut |_| {})
}

#[cfg(test)]
mod tests {
    use super::fitting_shard_cycles;

    #[test]
    fn a_shard_too_tall_is_told_a_size_that_fits() {
        // sha256 at 2^24 cycles: `bitwise` has 2^23 rows, the default preset holds 2^22.
        assert_eq!(fitting_shard_cycles(1 << 24, 1 << 23, 1 << 22), 1 << 23);
        // Rows padded from a shard of 3 * 2^20 cycles.
        assert_eq!(fitting_shard_cycles(3 << 20, 1 << 23, 1 << 22), 1 << 20);
        assert_eq!(fitting_shard_cycles(5, 1 << 30, 1 << 22), 1);
    }
}
