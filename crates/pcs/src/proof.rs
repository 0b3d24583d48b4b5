//! The opening proof as it travels: plain `u32` words (internal Montgomery form, see
//! [`crate::codec`]), archived with rkyv and read in place by the verifier.
//!
//! Queries are answered tree by tree, not query by query: each commitment round and each FRI
//! folding round carries one multi-opening ([`crate::merkle::verify_multi`]) of all the leaves
//! the queries reach, each distinct leaf (or short-matrix row) once and one deduplicated set of
//! sibling digests. The query indices themselves are not in the proof: the verifier samples them.

use alloc::vec::Vec;

use crate::{DIGEST_ELEMS, EXT_DEGREE};

/// A digest as archived words.
pub type DigestWords = [u32; DIGEST_ELEMS];
/// An extension element as archived words (basis coefficients).
pub type ExtWords = [u32; EXT_DEGREE];

/// Everything the verifier needs beyond the caller's claims: the batching proof of work, FRI
/// commit-phase roots, the final polynomial, the query proof of work and the multi-openings
/// answering the queries.
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
    /// One multi-opening per commitment round, in the caller's round order.
    pub rounds: Vec<BatchMultiOpening>,
    /// One multi-opening per FRI folding round, in folding order.
    pub folds: Vec<FoldMultiOpening>,
}

/// All queried rows of one committed batch.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct BatchMultiOpening {
    /// Opened rows, by height from the tallest matrices down; within a height, for each distinct
    /// row index the queries reach (increasing), the rows of the matrices of that height
    /// concatenated in batch order.
    pub values: Vec<u32>,
    /// Sibling digests in the order of [`crate::merkle`]'s frontier walk.
    pub siblings: Vec<DigestWords>,
}

/// All queried folding cosets of one FRI round.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct FoldMultiOpening {
    /// For each distinct coset the queries reach (increasing), its members at the positions no
    /// query reaches (increasing): the verifier computes the others itself.
    pub values: Vec<ExtWords>,
    /// Sibling digests in the order of [`crate::merkle`]'s frontier walk.
    pub siblings: Vec<DigestWords>,
}
