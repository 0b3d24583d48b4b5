//! Statements of verified proofs, the form in which recursion guests commit them.
//!
//! A droste proof proves a *statement*: a program (its verifying-key digest) ran to an exit code
//! after committing a public output. A guest that verifies proofs gets their statements back
//! ([`crate::verify`], with the `verify` feature) and may commit them; the recursion guest
//! (`guests/recursion`) commits an [`Aggregate`] of every statement it verified, so that its own
//! proof proves the same statements as the proofs inside it. This module is shared by the guest
//! and the host (the SDK decodes aggregates with it), so the two cannot disagree on the format
//! (postcard, like every typed value, [`crate::codec`]).

use serde::{Deserialize, Serialize};

use crate::codec::{self, CodecError};

/// What one proof proves.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Statement {
    /// Digest of the program's verifying key (8 canonical KoalaBear words).
    pub vkey_digest: [u32; 8],
    /// The program's exit code.
    pub exit_code: u32,
    /// The bytes it committed.
    pub public_output: Vec<u8>,
}

/// The recursion guest's first input item: the digest of its own verifying key (under the
/// options its proof will be made with) and what kind of proof each `(key, proof)` pair that
/// follows is.
///
/// The guest cannot know its own key digest (the digest depends on its ELF), so it is told, and
/// it commits what it was told: a verifier of its proof checks that digest against the real one.
/// That check is what makes unwrapping sound (below).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecursionRequest {
    /// The digest the recursion guest takes for its own.
    pub recursion_vkey: [u32; 8],
    /// One entry per proof in the input stream after this item, each with its key before it
    /// but for [`InnerKind::NextShard`].
    pub proofs: Vec<InnerKind>,
}

/// What a proof of a [`RecursionRequest`] is, and whether its key comes with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InnerKind {
    /// A proof of a whole run (a machine proof) and the program's verifying key: a
    /// [`Statement`].
    Whole,
    /// A proof of one continuation shard of `program` and the program's shard key: a
    /// [`Segment`] of one shard.
    Shard(ProgramIdentity),
    /// A proof of one continuation shard of the program of the shard entry before it, under the
    /// same shard key, which the stream does not repeat (the guest digests it once): only the
    /// proof.
    NextShard,
}

/// The parts of a program's verifying key whose hash is its digest (`droste_machine`'s
/// `program_digest`): what a shard proof is checked against without the whole key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProgramIdentity {
    /// Digest of the whole-run stark key.
    pub stark_key: [u32; 8],
    /// The entry point.
    pub entry: u32,
    /// Digest of the shard key.
    pub shard_key: [u32; 8],
    /// The memory tree's left child before the first instruction.
    pub initial_ram_root: [u32; 8],
}

/// Consecutive shards of one run, verified and chained: where they start and where they end.
/// A segment that starts the run ([`Segment::starts_run`]) and halts is the run: it becomes the
/// [`Statement`] a proof of the whole run would prove.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Segment {
    /// Digest of the program's verifying key.
    pub vkey_digest: [u32; 8],
    /// Whether the first shard starts from the program's initial state (its entry point, its
    /// initial registers and RAM, no output yet).
    pub starts_run: bool,
    pub start_pc: u32,
    pub pre_ram_root: [u32; 8],
    /// The exit code if the last shard halted.
    pub exit_code: Option<u32>,
    /// The pc the next shard starts from (0 when halted).
    pub end_pc: u32,
    pub post_ram_root: [u32; 8],
    /// The private input's root and length, the same in every shard of a run.
    pub input_root: [u32; 8],
    pub input_len: u32,
    /// Public output bytes committed before the first shard.
    pub output_offset: u32,
    /// The bytes the segment committed.
    pub output: Vec<u8>,
    /// Instructions executed.
    pub cycles: u64,
}

impl Segment {
    /// Appends `next`, which must start where `self` ends: same program, not after a halt, the
    /// same pc, RAM root, input and output position.
    pub fn extend(&mut self, next: Segment) -> Result<(), UnwrapError> {
        let broken = if self.exit_code.is_some() {
            Some("a shard follows the one that halted")
        } else if next.starts_run {
            Some("a shard that starts the run follows another")
        } else if next.start_pc != self.end_pc {
            Some("the pc differs")
        } else if next.pre_ram_root != self.post_ram_root {
            Some("the registers or memory differ")
        } else if (next.input_root, next.input_len) != (self.input_root, self.input_len) {
            Some("the private input differs")
        } else if u64::from(next.output_offset)
            != u64::from(self.output_offset) + self.output.len() as u64
        {
            Some("the public output position differs")
        } else {
            None
        };
        if let Some(reason) = broken {
            return Err(UnwrapError::Discontinuous(reason));
        }
        self.exit_code = next.exit_code;
        self.end_pc = next.end_pc;
        self.post_ram_root = next.post_ram_root;
        self.output.extend(next.output);
        self.cycles += next.cycles;
        Ok(())
    }

    /// Whether the segment is a whole run: it starts the run and halts.
    pub fn is_whole_run(&self) -> bool {
        self.starts_run && self.exit_code.is_some()
    }
}

/// What the recursion guest commits: the digest it was told is its own, the statements of the
/// proofs it verified, in order, with the statements of inner recursion proofs in place of
/// those proofs' own statements, and the segments of runs proven shard by shard that are not
/// whole yet.
///
/// Why unwrapping is sound: a proof whose key digest equals `recursion_vkey` is, if that digest
/// is the recursion guest's real one (which whoever verifies the outer proof checks), a proof of
/// the recursion guest itself, which committed an `Aggregate` of statements that are true by the
/// same argument one level down. So a compressed proof proves exactly the statements of the
/// proofs it compresses, at any depth: the fixed point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    /// The recursion guest's key digest, as it was told (see [`RecursionRequest`]).
    pub recursion_vkey: [u32; 8],
    /// The statements proven, in input order, inner aggregates unwrapped; a segment that became
    /// a whole run is a statement here, at the place it became whole.
    pub statements: Vec<Statement>,
    /// Segments that are not whole runs yet, in input order, each chained as far as the shards
    /// and segments after it continued it.
    pub segments: Vec<Segment>,
}

/// Why a statement could not be added to an [`Aggregate`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UnwrapError {
    /// An inner recursion proof did not end with exit code 0, so its output is no aggregate.
    #[error("an inner recursion proof exited with code {0}, not 0")]
    InnerFailed(u32),
    /// An inner recursion proof's output does not decode as an aggregate.
    #[error("an inner recursion proof's output is not an aggregate: {0}")]
    NotAnAggregate(CodecError),
    /// An inner recursion proof was told another key digest for itself.
    #[error("an inner recursion proof names another recursion key")]
    OtherRecursionKey,
    /// A segment of a program does not continue the previous segment of the same program.
    #[error("shards out of order: {0}")]
    Discontinuous(&'static str),
}

impl Aggregate {
    /// An empty aggregate of the recursion guest with key digest `recursion_vkey`.
    pub fn new(recursion_vkey: [u32; 8]) -> Self {
        Self {
            recursion_vkey,
            statements: Vec::new(),
            segments: Vec::new(),
        }
    }

    /// Adds a verified statement: unwrapped if it is the recursion guest's own, as is.
    pub fn push(&mut self, statement: Statement) -> Result<(), UnwrapError> {
        if statement.vkey_digest != self.recursion_vkey {
            self.statements.push(statement);
            return Ok(());
        }
        let inner = Self::of_recursion_statement(&statement)?;
        if inner.recursion_vkey != self.recursion_vkey {
            return Err(UnwrapError::OtherRecursionKey);
        }
        self.statements.extend(inner.statements);
        for segment in inner.segments {
            self.push_segment(segment)?;
        }
        Ok(())
    }

    /// Adds a verified segment: it continues the last unfinished segment of the same program
    /// (which it must chain onto), or starts a new one. A segment that is now a whole run moves
    /// to the statements as the statement of the run.
    pub fn push_segment(&mut self, segment: Segment) -> Result<(), UnwrapError> {
        let position = self
            .segments
            .iter()
            .rposition(|s| s.vkey_digest == segment.vkey_digest);
        let index = match position {
            Some(i) => {
                self.segments[i].extend(segment)?;
                i
            }
            None => {
                self.segments.push(segment);
                self.segments.len() - 1
            }
        };
        if self.segments[index].is_whole_run() {
            let run = self.segments.remove(index);
            self.statements.push(Statement {
                vkey_digest: run.vkey_digest,
                exit_code: run.exit_code.unwrap_or_default(),
                public_output: run.output,
            });
        }
        Ok(())
    }

    /// The aggregate a statement of the recursion guest (exit code 0) committed.
    pub fn of_recursion_statement(statement: &Statement) -> Result<Self, UnwrapError> {
        if statement.exit_code != 0 {
            return Err(UnwrapError::InnerFailed(statement.exit_code));
        }
        codec::from_item(&statement.public_output).map_err(UnwrapError::NotAnAggregate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(digest: u32, output: &[u8]) -> Statement {
        Statement {
            vkey_digest: [digest; 8],
            exit_code: 0,
            public_output: output.to_vec(),
        }
    }

    fn recursion_statement(recursion: u32, inner: &[Statement]) -> Statement {
        let aggregate = Aggregate {
            recursion_vkey: [recursion; 8],
            statements: inner.to_vec(),
            segments: Vec::new(),
        };
        statement(recursion, &codec::to_bytes(&aggregate).unwrap())
    }

    #[test]
    fn own_statements_are_unwrapped_others_kept() {
        let (a, b) = (statement(1, b"a"), statement(2, b"b"));
        let mut agg = Aggregate::new([9; 8]);
        agg.push(a.clone()).unwrap();
        agg.push(recursion_statement(9, &[b.clone(), a.clone()]))
            .unwrap();
        assert_eq!(agg.statements, [a.clone(), b, a]);
        // Another recursion key is just another program: kept as it is.
        let other = recursion_statement(8, &[statement(3, b"c")]);
        agg.push(other.clone()).unwrap();
        assert_eq!(agg.statements.last(), Some(&other));
    }

    /// Shard `i` of a run of `n` shards of program `program`: pc `i` to `i + 1`, RAM root `i` to
    /// `i + 1`, one output byte `i`, the last halting with code 7.
    fn shard(program: u32, i: u32, n: u32) -> Segment {
        let halts = i + 1 == n;
        Segment {
            vkey_digest: [program; 8],
            starts_run: i == 0,
            start_pc: i,
            pre_ram_root: [i; 8],
            exit_code: halts.then_some(7),
            end_pc: if halts { 0 } else { i + 1 },
            post_ram_root: [i + 1; 8],
            input_root: [99; 8],
            input_len: 5,
            output_offset: i,
            output: vec![i as u8],
            cycles: 10,
        }
    }

    #[test]
    fn chained_shards_become_the_statement_of_the_run() {
        // In one aggregate, and through inner aggregates (a tree of pairs).
        let mut flat = Aggregate::new([9; 8]);
        for i in 0..4 {
            flat.push_segment(shard(1, i, 4)).unwrap();
        }
        let run = Statement {
            vkey_digest: [1; 8],
            exit_code: 7,
            public_output: vec![0, 1, 2, 3],
        };
        assert_eq!(
            (flat.statements.as_slice(), flat.segments.len()),
            (&[run.clone()][..], 0)
        );

        let pair = |a: u32| {
            let mut agg = Aggregate::new([9; 8]);
            agg.push_segment(shard(1, a, 4)).unwrap();
            agg.push_segment(shard(1, a + 1, 4)).unwrap();
            let mut s = statement(9, &codec::to_bytes(&agg).unwrap());
            s.exit_code = 0;
            s
        };
        let mut top = Aggregate::new([9; 8]);
        top.push(pair(0)).unwrap();
        assert_eq!(
            top.segments.len(),
            1,
            "half a run is a segment, no statement"
        );
        assert!(top.statements.is_empty());
        top.push(pair(2)).unwrap();
        assert_eq!(top.statements, [run]);
        assert!(top.segments.is_empty());
    }

    #[test]
    fn shards_that_do_not_chain_are_refused() {
        let refused = |shards: &[Segment]| {
            let mut agg = Aggregate::new([9; 8]);
            shards
                .iter()
                .try_for_each(|s| agg.push_segment(s.clone()))
                .unwrap_err()
        };
        let s = |i| shard(1, i, 3);
        // Reordered, skipped, repeated.
        assert_eq!(
            refused(&[s(1), s(0)]),
            UnwrapError::Discontinuous("a shard that starts the run follows another")
        );
        assert_eq!(
            refused(&[s(0), s(2)]),
            UnwrapError::Discontinuous("the pc differs")
        );
        assert_eq!(
            refused(&[s(0), s(1), s(1)]),
            UnwrapError::Discontinuous("the pc differs")
        );
        // Another run's shard (other memory, other input), a changed boundary, output moved.
        let mut other = s(1);
        other.pre_ram_root = [42; 8];
        assert_eq!(
            refused(&[s(0), other]),
            UnwrapError::Discontinuous("the registers or memory differ")
        );
        let mut other_input = s(1);
        other_input.input_root = [42; 8];
        assert_eq!(
            refused(&[s(0), other_input]),
            UnwrapError::Discontinuous("the private input differs")
        );
        let mut moved = s(1);
        moved.output_offset = 5;
        assert_eq!(
            refused(&[s(0), moved]),
            UnwrapError::Discontinuous("the public output position differs")
        );
        // Nothing after a halt: a halting shard that does not start the run stays a segment.
        let mut agg = Aggregate::new([9; 8]);
        agg.push_segment(s(2)).unwrap();
        assert!(agg.statements.is_empty());
        let mut after_halt = s(2);
        after_halt.start_pc = 0;
        after_halt.pre_ram_root = [3; 8];
        after_halt.output_offset = 3;
        assert_eq!(
            agg.push_segment(after_halt),
            Err(UnwrapError::Discontinuous(
                "a shard follows the one that halted"
            ))
        );
        // Segments of other programs do not interfere.
        let mut agg = Aggregate::new([9; 8]);
        agg.push_segment(shard(1, 0, 2)).unwrap();
        agg.push_segment(shard(2, 0, 2)).unwrap();
        agg.push_segment(shard(1, 1, 2)).unwrap();
        agg.push_segment(shard(2, 1, 2)).unwrap();
        assert_eq!(
            agg.statements
                .iter()
                .map(|s| s.vkey_digest[0])
                .collect::<Vec<_>>(),
            [1, 2]
        );
    }

    #[test]
    fn malformed_inner_aggregates_are_refused() {
        let mut agg = Aggregate::new([9; 8]);
        let mut failed = recursion_statement(9, &[]);
        failed.exit_code = 101;
        assert_eq!(agg.push(failed), Err(UnwrapError::InnerFailed(101)));
        assert!(matches!(
            agg.push(statement(9, b"not postcard of an aggregate")),
            Err(UnwrapError::NotAnAggregate(_))
        ));
        // Told another digest for itself: its statements cannot be vouched for.
        let mut lying = recursion_statement(7, &[]);
        lying.vkey_digest = [9; 8];
        assert_eq!(agg.push(lying), Err(UnwrapError::OtherRecursionKey));
        assert!(agg.statements.is_empty());
    }
}
