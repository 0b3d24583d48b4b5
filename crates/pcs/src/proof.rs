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

/// Two words in one `u64`: word `2k` in the low half, word `2k + 1` in the high half, so that
/// the little-endian archive holds them in order. The multi-openings carry their words as
/// doublewords because rkyv aligns a vector's contents to its element type: their rows and
/// digests then lie 8-byte aligned in an aligned proof buffer, where a guest verifier hashes
/// them in place (POSEIDON2_FROM reads whole aligned doublewords; docs/pcs.md).
pub type Dword = u64;
/// A digest as archived doublewords.
pub type DigestDwords = [Dword; DIGEST_ELEMS / 2];
/// An extension element as archived doublewords.
pub type ExtDwords = [Dword; EXT_DEGREE / 2];

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
    /// concatenated in batch order, and a zero word when that makes an odd count (so every row
    /// starts on a doubleword).
    pub values: Vec<Dword>,
    /// Sibling digests in the order of [`crate::merkle`]'s frontier walk.
    pub siblings: Vec<DigestDwords>,
}

/// All queried folding cosets of one FRI round.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct FoldMultiOpening {
    /// For each distinct coset the queries reach (increasing), its members at the positions no
    /// query reaches (increasing): the verifier computes the others itself.
    pub values: Vec<ExtDwords>,
    /// Sibling digests in the order of [`crate::merkle`]'s frontier walk.
    pub siblings: Vec<DigestDwords>,
}
