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
    let total_width = shapes
        .iter()
        .try_fold(0usize, |acc, s| acc.checked_add(s.width));
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

#[cfg(all(test, feature = "std"))]
mod tests {
    use alloc::vec::Vec;

    use p3_field::PrimeCharacteristicRing;
    use p3_matrix::dense::RowMajorMatrix;
    use p3_matrix::Matrix;

    use super::*;
    use crate::codec::val_to_u32;

    fn matrix(log_height: usize, width: usize, seed: u32) -> RowMajorMatrix<Val> {
        let values = (0..(width << log_height) as u32)
            .map(|i| Val::from_u32(i.wrapping_mul(2654435761) ^ seed))
            .collect();
        RowMajorMatrix::new(values, width)
    }

    fn archived(path: &[DigestWords]) -> Vec<Archived<DigestWords>> {
        path.iter()
            .map(|d| d.map(Archived::<u32>::from_native))
            .collect()
    }

    /// Rows of every matrix at tallest-leaf `index`, concatenated in batch order.
    fn opened_rows(mats: &[RowMajorMatrix<Val>], index: usize, log_max: usize) -> Vec<Val> {
        mats.iter()
            .flat_map(|m| {
                let log_h = m.height().trailing_zeros() as usize;
                m.row_slice(index >> (log_max - log_h)).unwrap().to_vec()
            })
            .collect()
    }

    fn setup() -> (
        Hasher,
        Vec<RowMajorMatrix<Val>>,
        Vec<MatrixShape>,
        MerkleTree,
    ) {
        let hasher = Hasher::new();
        // Mixed heights, interleaved, including two of the same height and one of height 1.
        let mats = alloc::vec![
            matrix(3, 2, 1),
            matrix(6, 5, 2),
            matrix(0, 3, 3),
            matrix(6, 1, 4),
            matrix(4, 9, 5)
        ];
        let shapes = mats
            .iter()
            .map(|m| MatrixShape {
                log_height: m.height().trailing_zeros() as usize,
                width: m.width(),
            })
            .collect();
        let refs: Vec<&RowMajorMatrix<Val>> = mats.iter().collect();
        let tree = MerkleTree::new(&hasher, &refs);
        (hasher, mats, shapes, tree)
    }

    #[test]
    fn every_leaf_opens() {
        let (hasher, mats, shapes, tree) = setup();
        assert_eq!(tree.log_height(), 6);
        for index in 0..64 {
            let rows = opened_rows(&mats, index, 6);
            let path = archived(&tree.path(index));
            assert_eq!(
                verify_batch(&hasher, &tree.root(), &shapes, index, &rows, &path),
                Ok(true)
            );
        }
    }

    #[test]
    fn packed_and_scalar_hashing_agree() {
        // Heights below and above the SIMD width go through different code paths; a tree over a
        // single tall matrix must equal the plain definition.
        let hasher = Hasher::new();
        let m = matrix(5, 3, 9);
        let tree = MerkleTree::new(&hasher, &[&m]);
        let mut layer: Vec<Digest> = (0..32)
            .map(|r| hasher.hash_slice(&m.row_slice(r).unwrap()))
            .collect();
        while layer.len() > 1 {
            layer = layer
                .chunks(2)
                .map(|p| hasher.compress(&p[0], &p[1]))
                .collect();
        }
        assert_eq!(tree.root(), layer[0]);
    }

    #[test]
    fn tampering_is_detected() {
        let (hasher, mats, shapes, tree) = setup();
        let index = 37;
        let rows = opened_rows(&mats, index, 6);
        let path = archived(&tree.path(index));
        let root = tree.root();
        // Any opened value, from any height (incl. the injected ones).
        for i in 0..rows.len() {
            let mut bad = rows.clone();
            bad[i] += Val::ONE;
            assert_eq!(
                verify_batch(&hasher, &root, &shapes, index, &bad, &path),
                Ok(false),
                "value {i}"
            );
        }
        // Any word of any sibling.
        for j in 0..path.len() {
            for k in 0..8 {
                let mut bad: Vec<DigestWords> = tree.path(index);
                bad[j][k] = val_to_u32(crate::codec::val_from_u32(bad[j][k]).unwrap() + Val::ONE);
                let bad = archived(&bad);
                assert_eq!(
                    verify_batch(&hasher, &root, &shapes, index, &rows, &bad),
                    Ok(false)
                );
            }
        }
        // Wrong root, wrong index.
        let mut bad_root = root;
        bad_root[3] += Val::ONE;
        assert_eq!(
            verify_batch(&hasher, &bad_root, &shapes, index, &rows, &path),
            Ok(false)
        );
        assert_eq!(
            verify_batch(&hasher, &root, &shapes, index ^ 1, &rows, &path),
            Ok(false)
        );
        // Another matrix order is another commitment.
        let mut swapped = shapes.clone();
        swapped.swap(1, 3);
        let swapped_rows = {
            let mut m = mats.clone();
            m.swap(1, 3);
            opened_rows(&m, index, 6)
        };
        assert_eq!(
            verify_batch(&hasher, &root, &swapped, index, &swapped_rows, &path),
            Ok(false)
        );
    }

    #[test]
    fn inconsistent_shapes_are_errors() {
        let (hasher, mats, shapes, tree) = setup();
        let rows = opened_rows(&mats, 5, 6);
        let path = archived(&tree.path(5));
        let root = tree.root();
        assert!(verify_batch(&hasher, &root, &shapes, 5, &rows[1..], &path).is_err());
        assert!(verify_batch(&hasher, &root, &shapes, 5, &rows, &path[1..]).is_err());
        assert!(verify_batch(&hasher, &root, &shapes, 64, &rows, &path).is_err());
        assert!(verify_batch(&hasher, &root, &[], 5, &rows, &path).is_err());
    }
}
