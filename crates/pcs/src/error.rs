//! The verifier's typed error. Every malformed or dishonest proof ends here, never in a panic.

use thiserror::Error;

/// Why a PCS opening (or one of its parts) was rejected. Each variant is one line naming the cause.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum PcsError {
    /// The FRI parameters are outside what this implementation supports.
    #[error("invalid FRI parameters: {0}")]
    InvalidParameters(&'static str),
    /// The verifier's own claim (heights, widths, points, values) is inconsistent.
    #[error("invalid opening claim: {0}")]
    InvalidClaim(&'static str),
    /// A matrix (after the blowup) is taller than the field's two-adic subgroup allows.
    #[error("LDE height 2^{log_lde_height} exceeds the field's two-adicity")]
    HeightTooLarge {
        /// log2 of the offending LDE height.
        log_lde_height: usize,
    },
    /// An archived `u32` is not a canonical field element (it must be `< p`).
    #[error("non-canonical field element {value:#010x} in proof")]
    NonCanonical {
        /// The raw archived value.
        value: u32,
    },
    /// A list in the proof has the wrong number of entries.
    #[error("proof shape: {what} has {got} entries, expected {expected}")]
    Shape {
        /// Which list.
        what: &'static str,
        /// Entries the protocol requires.
        expected: usize,
        /// Entries found in the proof.
        got: usize,
    },
    /// A Merkle multi-opening does not lead to the committed root.
    #[error("Merkle opening of {what} {round} does not match its root")]
    MerkleMismatch {
        /// Which kind of tree: commitment round or FRI folding round.
        what: &'static str,
        /// Index of the round among its kind.
        round: usize,
    },
    /// An opening point lies in the evaluation domain, so the DEEP quotient is undefined.
    #[error("opening point lies in the evaluation domain")]
    PointInDomain,
    /// The proof-of-work witness does not give the required number of leading zero bits.
    #[error("proof-of-work witness does not meet {bits} bits")]
    ProofOfWork {
        /// Required bits.
        bits: u8,
    },
    /// The last folded value at a queried position disagrees with the final polynomial.
    #[error("FRI final polynomial mismatch at final codeword position {position}")]
    FinalPolyMismatch {
        /// Position in the final codeword (bit-reversed order).
        position: usize,
    },
}
