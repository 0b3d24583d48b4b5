//! Merkle commitments to batches of matrices of different power-of-two heights.
//!
//! The leaf layer has the height of the tallest matrices; leaf `i` hashes (one sponge) the `i`-th
//! rows of all tallest matrices, concatenated in the caller's order. Going up, each node is the
//! compression of its two children, and at every layer whose size equals the height of further
//! matrices, the node is compressed once more with the hash of those matrices' rows:
//! `node = compress(compress(left, right), hash(rows))`. This is the mixed-height layout of
//! Plonky3's `MerkleTreeMmcs`; opening index `i` of the tallest matrices opens row
//! `i >> (log_max - log_h)` of a matrix of height `2^log_h` with the same path.

#[cfg(feature = "std")]
mod tree;

#[cfg(feature = "std")]
pub use tree::MerkleTree;

use rkyv::Archived;

use crate::codec::digest_from_archived;
use crate::hash::Hasher;
use crate::proof::DigestWords;
use crate::{Digest, PcsError, Val};

/// Height and width of one committed matrix (height as log2, after any blowup).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatrixShape {
    /// log2 of the number of rows.
    pub log_height: usize,
    /// Number of columns.
    pub width: usize,
}

/// Hash the rows of the matrices of height `2^log_height` (in batch order) out of `rows`, the
/// concatenation of every matrix's opened row in batch order.
fn hash_group(hasher: &Hasher, shapes: &[MatrixShape], rows: &[Val], log_height: usize) -> Digest {
    hasher.hash_iter(
        shapes
            .iter()
            .scan(0usize, |offset, s| {
                let start = *offset;
                *offset += s.width;
                Some((s, start))
            })
            .filter(|(s, _)| s.log_height == log_height)
            .flat_map(|(s, start)| rows[start..start + s.width].iter().copied()),
    )
}

/// Check that `rows` (every matrix's row, concatenated in batch order) opened at `index` of the
/// tallest matrices, with sibling `path` from the leaves up, lead to `root`.
///
/// Returns `Ok(false)` when the hashes disagree and an error when the shapes are inconsistent
/// (wrong row length, wrong path length, index out of range): nothing here can panic.
pub fn verify_batch(
    hasher: &Hasher,
    root: &Digest,
    shapes: &[MatrixShape],
    index: usize,
    rows: &[Val],
    path: &[Archived<DigestWords>],
) -> Result<bool, PcsError> {
    let Some(log_max) = shapes.iter().map(|s| s.log_height).max() else {
        return Err(PcsError::InvalidClaim("a committed batch has no matrices"));
    };
    let total_width = shapes.iter().try_fold(0usize, |acc, s| acc.checked_add(s.width));
    if total_width != Some(rows.len()) {
        return Err(PcsError::Shape {
            what: "opened rows",
            expected: total_width.unwrap_or(usize::MAX),
            got: rows.len(),
        });
    }
    if path.len() != log_max {
        return Err(PcsError::Shape {
            what: "Merkle path",
            expected: log_max,
            got: path.len(),
        });
    }
    if index >> log_max != 0 {
        return Err(PcsError::InvalidClaim("Merkle index beyond the tree"));
    }
    let mut node = hash_group(hasher, shapes, rows, log_max);
    let mut index = index;
    for (level, sibling) in path.iter().enumerate() {
        let sibling = digest_from_archived(sibling)?;
        node = if index & 1 == 0 {
            hasher.compress(&node, &sibling)
        } else {
            hasher.compress(&sibling, &node)
        };
        index >>= 1;
        let log_height = log_max - level - 1;
        if shapes.iter().any(|s| s.log_height == log_height) {
            let injected = hash_group(hasher, shapes, rows, log_height);
            node = hasher.compress(&node, &injected);
        }
    }
    Ok(node == *root)
}
