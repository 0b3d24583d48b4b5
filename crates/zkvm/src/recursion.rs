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
/// options its proof will be made with) and how many `(key, proof)` pairs follow.
///
/// The guest cannot know its own key digest (the digest depends on its ELF), so it is told, and
/// it commits what it was told: a verifier of its proof checks that digest against the real one.
/// That check is what makes unwrapping sound (below).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecursionRequest {
    /// The digest the recursion guest takes for its own.
    pub recursion_vkey: [u32; 8],
    /// Number of `(verifying key, proof)` pairs in the input stream after this item.
    pub proofs: u32,
}

/// What the recursion guest commits: the digest it was told is its own, and the statements of
/// the proofs it verified, in order, with the statements of inner recursion proofs in place of
/// those proofs' own statements.
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
    /// The statements proven, in input order, inner aggregates unwrapped.
    pub statements: Vec<Statement>,
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
}

impl Aggregate {
    /// An empty aggregate of the recursion guest with key digest `recursion_vkey`.
    pub fn new(recursion_vkey: [u32; 8]) -> Self {
        Self {
            recursion_vkey,
            statements: Vec::new(),
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
