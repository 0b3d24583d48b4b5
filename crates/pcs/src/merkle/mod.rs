//! Merkle commitments to batches of matrices of different power-of-two heights, opened at many
//! leaves at once.
//!
//! The leaf layer has the height of the tallest matrices; leaf `i` hashes (one sponge) the `i`-th
//! rows of all tallest matrices, concatenated in the caller's order. Going up, each node is the
//! compression of its two children, and at every layer whose size equals the height of further
//! matrices, the node is compressed once more with the hash of those matrices' rows:
//! `node = compress(compress(left, right), hash(rows))`. This is the mixed-height layout of
//! Plonky3's `MerkleTreeMmcs`; leaf `i` of the tallest matrices sits above row
//! `i >> (log_max - log_h)` of a matrix of height `2^log_h`.
//!
//! Openings are *multi-openings* ([`verify_multi`], docs/pcs.md): all queried leaves of a tree
//! together, each distinct node's rows once, and one deduplicated list of the sibling digests the
//! verifier cannot compute itself.

#[cfg(any(target_os = "zkvm", test))]
mod in_place;
mod multi;
#[cfg(feature = "std")]
mod tree;

pub use multi::{distinct_shifted, sibling_count, verify_multi, LevelRows, MultiScratch};
#[cfg(feature = "std")]
pub use tree::MerkleTree;
#[cfg(feature = "std")]
pub(crate) use tree::RowSponges;

/// Height and width of one committed matrix (height as log2, after any blowup).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatrixShape {
    /// log2 of the number of rows.
    pub log_height: usize,
    /// Number of columns.
    pub width: usize,
}

#[cfg(all(test, feature = "std"))]
mod tests;
