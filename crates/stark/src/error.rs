//! Typed errors, one line each naming the cause. The verifier's [`VerifyError`] is `Copy` and
//! allocation-free so it works the same inside a guest.

use droste_pcs::PcsError;
use thiserror::Error;

/// Why a proof was rejected.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum VerifyError {
    /// The bytes are not a proof of this format (header, alignment, archive structure).
    #[error("proof format: {0}")]
    Format(&'static str),
    /// The verifying key does not describe the tables it is used with, or is malformed.
    #[error("verifying key does not match table {table}: {what}")]
    KeyMismatch {
        /// Table index.
        table: usize,
        /// What differs.
        what: &'static str,
    },
    /// A list in the proof has the wrong length for the verifying key.
    #[error("proof shape: {what} of table {table} has {got} entries, expected {expected}")]
    Shape {
        /// Which list.
        what: &'static str,
        /// Table index (or the number of tables for proof-wide lists).
        table: usize,
        /// Entries the key requires.
        expected: usize,
        /// Entries in the proof.
        got: usize,
    },
    /// A table height outside the allowed range (or different from its preprocessed height).
    #[error("table {table}: height 2^{log_height} is not allowed")]
    Height {
        /// Table index.
        table: usize,
        /// The claimed log2 height.
        log_height: u8,
    },
    /// The proof leaves out a table whose key does not allow it ([`crate::Table::may_be_empty`]).
    #[error("table {table} is left out but must have rows")]
    LeftOut {
        /// Table index.
        table: usize,
    },
    /// The proof leaves out every table.
    #[error("the proof has no table with rows")]
    NoRows,
    /// The constraints at the out-of-domain point disagree with the quotient.
    #[error("table {table}: constraints at zeta do not match the quotient")]
    ConstraintMismatch {
        /// Table index.
        table: usize,
    },
    /// The LogUp sums of all tables and public endpoints do not cancel: some bus is unbalanced.
    #[error("buses do not balance: LogUp sums of tables and public endpoints are not zero")]
    Unbalanced,
    /// A challenge hit a degenerate value (zero fingerprint, zeta in the trace domain);
    /// probability negligible for an honest prover.
    #[error("degenerate challenge: {0}")]
    DegenerateChallenge(&'static str),
    /// More interaction terms than the field's characteristic: the bus identity would no longer
    /// imply exact counts ([`crate::logup::bus_term_count`]).
    #[error("{terms} bus interaction terms reach the field characteristic; the bus argument needs fewer")]
    TooManyInteractions {
        /// Rows times interactions over all tables, plus endpoint multiplicities.
        terms: u64,
    },
    /// The proof-of-work witness ground before the LogUp challenges is wrong.
    #[error("wrong proof-of-work witness before the LogUp challenges")]
    LogUpProofOfWork,
    /// The proof-of-work witness ground before the out-of-domain point is wrong.
    #[error("wrong proof-of-work witness before the out-of-domain point")]
    DeepProofOfWork,
    /// The PCS opening (Merkle paths, FRI, proof of work, canonical field elements) failed.
    #[error("opening proof: {0}")]
    Pcs(#[from] PcsError),
}

/// Why a verifying key could not be set up from a set of tables.
#[cfg(feature = "std")]
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum SetupError {
    /// The FRI parameters are invalid.
    #[error("FRI parameters: {0}")]
    Parameters(PcsError),
    /// A table uses something this proof system does not support, or is malformed.
    #[error("table {table}: {what}")]
    Table {
        /// Table name.
        table: alloc::string::String,
        /// What is wrong.
        what: alloc::string::String,
    },
}

/// Why proving failed (bad inputs; an honest, well-formed witness always proves).
#[cfg(feature = "std")]
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ProveError {
    /// The number of traces differs from the number of tables in the key.
    #[error("{traces} traces given for {tables} tables")]
    TraceCount {
        /// Tables in the key.
        tables: usize,
        /// Traces given.
        traces: usize,
    },
    /// A trace has the wrong width, or a height that is not an allowed power of two.
    #[error("table {table}: trace of width {width} and height {height} does not fit the key")]
    TraceShape {
        /// Table name.
        table: alloc::string::String,
        /// Trace width.
        width: usize,
        /// Trace height.
        height: usize,
    },
    /// Every trace is empty: a proof needs at least one table with rows.
    #[error("every table is empty; nothing to prove")]
    NoRows,
    /// The traces are so tall that the bus argument would lose its meaning
    /// ([`crate::logup::bus_term_count`] reaches p).
    #[error("{terms} bus interaction terms reach the field characteristic; prove a shorter run")]
    TooManyInteractions {
        /// Rows times interactions over all tables, plus endpoint multiplicities.
        terms: u64,
    },
    /// The tables do not match the proving key.
    #[error("tables do not match the proving key: {0}")]
    KeyMismatch(VerifyError),
    /// A bus fingerprint was zero (negligible probability; retry with another witness layout).
    #[error("a LogUp fingerprint is zero for table {0}")]
    ZeroFingerprint(alloc::string::String),
}
