//! The opening proof as it travels: plain `u32` words (internal Montgomery form, see
//! [`crate::codec`]), archived with rkyv and read in place by the verifier.

use alloc::vec::Vec;

use crate::{DIGEST_ELEMS, EXT_DEGREE};

/// A digest as archived words.
pub type DigestWords = [u32; DIGEST_ELEMS];
/// An extension element as archived words (basis coefficients).
pub type ExtWords = [u32; EXT_DEGREE];

/// Everything the verifier needs beyond the caller's claims: the batching proof of work, FRI
/// commit-phase roots, the final polynomial, the query proof of work and one [`QueryProof`] per
/// query.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct OpeningProof {
    /// Proof-of-work witness ground before the batching challenge `alpha` is drawn.
    pub batch_pow_witness: u64,
    /// Merkle root of each FRI folding round's codeword (in folding order).
    pub fold_roots: Vec<DigestWords>,
    /// Coefficients (lowest degree first) of the final folded polynomial.
    pub final_poly: Vec<ExtWords>,
    /// Proof-of-work witness ground before the query indices are sampled.
    pub pow_witness: u64,
    /// One entry per query, in sampling order.
    pub queries: Vec<QueryProof>,
}

/// The openings answering one query index.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct QueryProof {
    /// One opening per commitment round, in the caller's round order.
    pub rounds: Vec<BatchOpening>,
    /// One opening per FRI folding round.
    pub folds: Vec<FoldOpening>,
}

/// Opening of one committed batch at one leaf: the rows of all its matrices and the Merkle path.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct BatchOpening {
    /// The opened row of every matrix, concatenated in the caller's matrix order.
    pub values: Vec<u32>,
    /// Sibling digests from the leaf layer up to (excluding) the root.
    pub path: Vec<DigestWords>,
}

/// Opening of one FRI folding round: the other members of the folding coset and the Merkle path.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct FoldOpening {
    /// The `arity - 1` coset values the verifier cannot compute itself, in coset order with the
    /// verifier's own position left out.
    pub siblings: Vec<ExtWords>,
    /// Sibling digests from the leaf layer up to (excluding) the root.
    pub path: Vec<DigestWords>,
}
