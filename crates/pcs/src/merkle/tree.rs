//! Building the mixed-height Merkle tree (prover side), hashing `Packing::WIDTH` leaves or nodes
//! per permutation call with the SIMD packing and spreading the work over rayon.

use alloc::vec::Vec;

use p3_field::{Field, PackedValue, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use p3_maybe_rayon::prelude::*;
use p3_symmetric::{CryptographicHasher, Permutation, PseudoCompressionFunction};

use super::multi::{distinct_shifted, level_pairs, Pair};
use crate::codec::digest_to_dwords;
use crate::hash::{Hasher, RATE, WIDTH};
use crate::proof::DigestDwords;
use crate::{Digest, Val, DIGEST_ELEMS};

type Packed = <Val as Field>::Packing;
const LANES: usize = <Packed as PackedValue>::WIDTH;

/// A Merkle tree over a batch of matrices (see the module docs for the layout).
///
/// The bottom `elided` layers are not kept: they hold 1 - 2^-elided of all the tree's digests
/// (for the trace commitments, 32 bytes per LDE row per layer, a large share of the prover's
/// memory), while an opening needs only a few of their nodes, which [`Self::multi_siblings`]
/// recomputes from the committed matrices (2^elided row hashes per opened leaf at most).
#[derive(Clone, Debug)]
pub struct MerkleTree {
    /// Layers `elided..`: `layers[0]` is layer `elided` (the leaves when nothing is elided),
    /// the last layer is the root alone.
    layers: Vec<Vec<Digest>>,
    /// Number of bottom layers not kept.
    elided: usize,
    /// Number of leaves.
    max_height: usize,
    /// The distinct heights of the committed matrices (where rows enter the tree).
    class_heights: Vec<usize>,
}

impl MerkleTree {
    /// Commit to `mats` (power-of-two heights, at least one matrix), keeping every layer.
    ///
    /// # Panics
    /// If `mats` is empty or a height is not a power of two (prover-side programming errors).
    pub fn new(hasher: &Hasher, mats: &[&RowMajorMatrix<Val>]) -> Self {
        Self::with_elided_layers(hasher, mats, 0)
    }

    /// Commit to `mats`, keeping only the layers from `elided` up (fewer if the tree is lower):
    /// the same root as [`Self::new`], openings recompute the missing nodes from `mats`.
    ///
    /// # Panics
    /// As [`Self::new`].
    pub fn with_elided_layers(
        hasher: &Hasher,
        mats: &[&RowMajorMatrix<Val>],
        elided: usize,
    ) -> Self {
        let heights: Vec<usize> = mats.iter().map(|m| m.height()).collect();
        Self::from_row_digests(hasher, &heights, elided, |height| {
            hash_rows(hasher, mats, height)
        })
    }

    /// The tree [`Self::with_elided_layers`] builds over matrices of `heights`, given for each
    /// distinct height (tallest first, each asked once) the digests of its rows: so a prover can
    /// produce one height's matrices at a time and drop them once hashed.
    ///
    /// # Panics
    /// As [`Self::new`], or if a row digest list has the wrong length.
    pub fn from_row_digests(
        hasher: &Hasher,
        heights: &[usize],
        elided: usize,
        mut row_digests: impl FnMut(usize) -> Vec<Digest>,
    ) -> Self {
        assert!(
            !heights.is_empty(),
            "a Merkle tree needs at least one matrix"
        );
        assert!(
            heights.iter().all(|h| h.is_power_of_two()),
            "Merkle tree matrices must have power-of-two heights"
        );
        let max_height = heights.iter().copied().max().unwrap_or(1);
        let mut class_heights = heights.to_vec();
        class_heights.sort_unstable_by(|a, b| b.cmp(a));
        class_heights.dedup();
        let elided = elided.min(max_height.trailing_zeros() as usize);
        let mut layers = Vec::new();
        let mut layer = 0;
        let mut current = row_digests(max_height);
        assert_eq!(current.len(), max_height, "one digest per row");
        let mut height = max_height;
        while height > 1 {
            height /= 2;
            let prev = &current;
            let mut next = compress_layer(hasher, height, |i| (prev[2 * i], prev[2 * i + 1]));
            if class_heights.contains(&height) {
                let injected = row_digests(height);
                assert_eq!(injected.len(), height, "one digest per row");
                next = compress_layer(hasher, height, |i| (next[i], injected[i]));
            }
            let finished = core::mem::replace(&mut current, next);
            if layer >= elided {
                layers.push(finished);
            }
            layer += 1;
        }
        layers.push(current);
        Self {
            layers,
            elided,
            max_height,
            class_heights,
        }
    }

    /// The commitment.
    pub fn root(&self) -> Digest {
        self.layers.last().expect("a tree has a root layer")[0]
    }

    /// log2 of the number of leaves.
    pub fn log_height(&self) -> usize {
        self.max_height.trailing_zeros() as usize
    }

    /// The sibling digests of a multi-opening of `leaves` (sorted, distinct), in the order the
    /// verifier consumes them (see [`super::verify_multi`]). `mats` are the committed matrices,
    /// read only to recompute elided layers.
    ///
    /// # Panics
    /// If a leaf index is beyond the tree, or `mats` are not the committed matrices while layers
    /// are elided (prover-side programming errors).
    pub fn multi_siblings(
        &self,
        hasher: &Hasher,
        mats: &[&RowMajorMatrix<Val>],
        leaves: &[usize],
    ) -> Vec<DigestDwords> {
        self.multi_siblings_with(hasher, leaves, |height, row| {
            hash_row(hasher, mats, height, row)
        })
    }

    /// [`Self::multi_siblings`] with the rows' digests supplied by `row_digest(height, row)`,
    /// asked only for rows of [`Self::elided_rows`] (a prover that no longer holds the matrices
    /// recomputes just those).
    pub fn multi_siblings_with(
        &self,
        hasher: &Hasher,
        leaves: &[usize],
        row_digest: impl Fn(usize, usize) -> Digest,
    ) -> Vec<DigestDwords> {
        let mut nodes = leaves.to_vec();
        let mut siblings = Vec::new();
        for layer in 0..self.log_height() {
            for (at, pair) in level_pairs(&nodes) {
                let sibling = match pair {
                    Pair::Both => continue,
                    Pair::RightFromProof => nodes[at] + 1,
                    Pair::LeftFromProof => nodes[at] - 1,
                };
                siblings.push(digest_to_dwords(&self.node(
                    hasher,
                    &row_digest,
                    layer,
                    sibling,
                )));
            }
            let children = core::mem::take(&mut nodes);
            distinct_shifted(&children, 1, &mut nodes);
        }
        siblings
    }

    /// The rows of the matrices of `height` whose digests a multi-opening of `leaves` may need:
    /// every row under the lowest kept layer's nodes above the opened leaves (none when that
    /// height enters the tree at a kept layer).
    pub fn elided_rows(&self, leaves: &[usize], height: usize) -> Vec<usize> {
        let layer = (self.max_height / height).trailing_zeros() as usize;
        if layer >= self.elided {
            return Vec::new();
        }
        let span = self.elided - layer;
        let mut roots = Vec::new();
        distinct_shifted(leaves, self.elided, &mut roots);
        roots
            .iter()
            .flat_map(|&r| (r << span)..((r + 1) << span))
            .collect()
    }

    /// Node `index` of `layer`: stored, or recomputed as [`Self::from_row_digests`] built it.
    fn node(
        &self,
        hasher: &Hasher,
        row_digest: &impl Fn(usize, usize) -> Digest,
        layer: usize,
        index: usize,
    ) -> Digest {
        if layer >= self.elided {
            return self.layers[layer - self.elided][index];
        }
        let height = self.max_height >> layer;
        if layer == 0 {
            return row_digest(height, index);
        }
        let left = self.node(hasher, row_digest, layer - 1, 2 * index);
        let right = self.node(hasher, row_digest, layer - 1, 2 * index + 1);
        let node = hasher.compress(&left, &right);
        if self.class_heights.contains(&height) {
            hasher.compress(&node, &row_digest(height, index))
        } else {
            node
        }
    }
}

/// The digest of row `row` of the matrices of exactly `height` rows (one entry of
/// [`hash_rows`]).
fn hash_row(hasher: &Hasher, mats: &[&RowMajorMatrix<Val>], height: usize, row: usize) -> Digest {
    hasher.hash_iter(
        mats.iter()
            .filter(|m| m.height() == height)
            .flat_map(|m| m.row_slice(row).expect("row in range").to_vec()),
    )
}

/// Leaf digests of the matrices of exactly `height` rows: row `i` of each, concatenated in batch
/// order, hashed by one sponge.
fn hash_rows(hasher: &Hasher, mats: &[&RowMajorMatrix<Val>], height: usize) -> Vec<Digest> {
    let group: Vec<&RowMajorMatrix<Val>> = mats
        .iter()
        .copied()
        .filter(|m| m.height() == height)
        .collect();
    let mut digests = alloc::vec![[Val::default(); DIGEST_ELEMS]; height];
    let lanes = Packed::WIDTH;
    let packed_rows = if height >= lanes { height } else { 0 };
    digests[..packed_rows]
        .par_chunks_exact_mut(lanes)
        .enumerate()
        .for_each(|(chunk, out)| {
            let first = chunk * lanes;
            let packed: [Packed; DIGEST_ELEMS] = hasher.leaf_hasher().hash_iter(
                group
                    .iter()
                    .flat_map(|m| m.vertically_packed_row::<Packed>(first)),
            );
            for (lane, d) in out.iter_mut().enumerate() {
                *d = core::array::from_fn(|j| packed[j].as_slice()[lane]);
            }
        });
    for (r, d) in digests.iter_mut().enumerate().skip(packed_rows) {
        *d = hash_row(hasher, &group, height, r);
    }
    digests
}

/// The leaf sponges of one height class, fed a block of columns at a time: the digests of
/// [`hash_rows`] over the class's matrices without all of their columns in memory at once.
///
/// Why: a prover that keeps coefficients extends a class's matrices to compute these digests,
/// and the whole class's LDE was the largest buffer of a proof (at blowup 4, four times every
/// trace of that height). Fed blocks whose widths are multiples of the sponge rate, the sponge
/// absorbs the same elements in the same permutation calls as over the concatenated rows, so
/// only one block's LDE and a permutation state per row (64 bytes) are alive.
pub(crate) struct RowSponges {
    /// One packed state per `LANES` consecutive rows (lanes past the last row are unused).
    states: Vec<[Packed; WIDTH]>,
    rows: usize,
    /// Set by a block whose width is not a multiple of the rate: the sponge's final, partial
    /// block, after which nothing may be absorbed.
    finished: bool,
}

impl RowSponges {
    /// Sponges for `rows` rows, nothing absorbed yet.
    pub(crate) fn new(rows: usize) -> Self {
        Self {
            states: alloc::vec![[Packed::ZERO; WIDTH]; rows.div_ceil(LANES)],
            rows,
            finished: false,
        }
    }

    /// Absorb the next `block.width()` elements of every row (`block` has one row per sponge).
    ///
    /// # Panics
    /// If the block has another height, or follows a block whose width is not a multiple of
    /// [`RATE`] (prover-side programming errors).
    pub(crate) fn absorb(&mut self, hasher: &Hasher, block: &RowMajorMatrix<Val>) {
        assert_eq!(block.height(), self.rows, "one block row per sponge");
        assert!(!self.finished, "a partial rate block ends the sponge");
        let width = block.width();
        self.finished = width % RATE != 0;
        let last = self.rows - 1;
        self.states
            .par_iter_mut()
            .enumerate()
            .for_each(|(group, state)| {
                let rows: [&[Val]; LANES] = core::array::from_fn(|lane| {
                    let row = (group * LANES + lane).min(last);
                    &block.values[row * width..(row + 1) * width]
                });
                for start in (0..width).step_by(RATE) {
                    for (cell, column) in state.iter_mut().zip(start..(start + RATE).min(width)) {
                        *cell = Packed::from_fn(|lane| rows[lane][column]);
                    }
                    hasher.perm().permute_mut(state);
                }
            });
    }

    /// Every row's digest, in row order.
    pub(crate) fn digests(self) -> Vec<Digest> {
        let mut digests: Vec<Digest> = self
            .states
            .iter()
            .flat_map(|state| {
                (0..LANES).map(move |lane| core::array::from_fn(|j| state[j].as_slice()[lane]))
            })
            .collect();
        digests.truncate(self.rows);
        digests
    }
}

/// `len` compressions `compress(pair(i).0, pair(i).1)`, packed and parallel.
fn compress_layer(
    hasher: &Hasher,
    len: usize,
    pair: impl Fn(usize) -> (Digest, Digest) + Sync,
) -> Vec<Digest> {
    let mut out = alloc::vec![[Val::default(); DIGEST_ELEMS]; len];
    let lanes = LANES;
    let packed_len = if len >= lanes { len } else { 0 };
    out[..packed_len]
        .par_chunks_exact_mut(lanes)
        .enumerate()
        .for_each(|(chunk, out)| {
            let first = chunk * lanes;
            let pairs: [(Digest, Digest); LANES] = core::array::from_fn(|lane| pair(first + lane));
            let left: [Packed; DIGEST_ELEMS] =
                core::array::from_fn(|j| Packed::from_fn(|lane| pairs[lane].0[j]));
            let right: [Packed; DIGEST_ELEMS] =
                core::array::from_fn(|j| Packed::from_fn(|lane| pairs[lane].1[j]));
            let packed = hasher.compressor().compress([left, right]);
            for (lane, d) in out.iter_mut().enumerate() {
                *d = core::array::from_fn(|j| packed[j].as_slice()[lane]);
            }
        });
    for (i, d) in out.iter_mut().enumerate().skip(packed_len) {
        let (l, r) = pair(i);
        *d = hasher.compress(&l, &r);
    }
    out
}
