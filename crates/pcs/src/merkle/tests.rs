use alloc::vec::Vec;

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use rkyv::Archived;

use super::*;
use crate::codec::{val_from_u32, val_to_u32};
use crate::hash::Hasher;
use crate::proof::{DigestDwords, DigestWords};
use crate::{Digest, PcsError, Val};

fn matrix(log_height: usize, width: usize, seed: u32) -> RowMajorMatrix<Val> {
    let values = (0..(width << log_height) as u32)
        .map(|i| Val::from_u32(i.wrapping_mul(2654435761) ^ seed))
        .collect();
    RowMajorMatrix::new(values, width)
}

/// The siblings as the proof archives them: doublewords.
fn archived(siblings: &[DigestWords]) -> Vec<Archived<DigestDwords>> {
    siblings
        .iter()
        .map(|d| {
            core::array::from_fn(|k| {
                Archived::<u64>::from_native(crate::codec::dword(d[2 * k], d[2 * k + 1]))
            })
        })
        .collect()
}

struct Fixture {
    hasher: Hasher,
    mats: Vec<RowMajorMatrix<Val>>,
    tree: MerkleTree,
}

fn fixture() -> Fixture {
    let hasher = Hasher::new();
    // Mixed heights, interleaved, including two of the same height and one of height 1.
    let mats = alloc::vec![
        matrix(3, 2, 1),
        matrix(6, 5, 2),
        matrix(0, 3, 3),
        matrix(6, 1, 4),
        matrix(4, 9, 5)
    ];
    let refs: Vec<&RowMajorMatrix<Val>> = mats.iter().collect();
    let tree = MerkleTree::new(&hasher, &refs);
    Fixture { hasher, mats, tree }
}

/// An honest multi-opening: `(level, width, rows)` per level that has matrices, and siblings.
struct Opening {
    levels: Vec<(usize, usize, Vec<Val>)>,
    siblings: Vec<DigestWords>,
}

impl Fixture {
    fn refs(&self) -> Vec<&RowMajorMatrix<Val>> {
        self.mats.iter().collect()
    }

    fn log_max(&self) -> usize {
        self.tree.log_height()
    }

    fn open(&self, leaves: &[usize]) -> Opening {
        let log_max = self.log_max();
        let mut levels = Vec::new();
        for level in 0..=log_max {
            let group: Vec<&RowMajorMatrix<Val>> = self
                .mats
                .iter()
                .filter(|m| m.height() == 1 << (log_max - level))
                .collect();
            if group.is_empty() {
                continue;
            }
            let mut nodes = Vec::new();
            distinct_shifted(leaves, level, &mut nodes);
            let rows = nodes
                .iter()
                .flat_map(|&n| {
                    group
                        .iter()
                        .flat_map(move |m| m.row_slice(n).unwrap().to_vec())
                })
                .collect();
            let width = group.iter().map(|m| m.width()).sum();
            levels.push((level, width, rows));
        }
        Opening {
            levels,
            siblings: self
                .tree
                .multi_siblings(&self.hasher, &self.refs(), leaves)
                .iter()
                .map(|d| core::array::from_fn(|i| (d[i / 2] >> (32 * (i % 2))) as u32))
                .collect(),
        }
    }

    fn check(&self, leaves: &[usize], o: &Opening) -> Result<bool, PcsError> {
        let rows: Vec<LevelRows<'_>> = o
            .levels
            .iter()
            .map(|(level, width, rows)| LevelRows {
                level: *level,
                width: *width,
                stride: *width,
                rows,
            })
            .collect();
        self.check_rows(leaves, &rows, &o.siblings)
    }

    /// [`Self::check`] on rows laid out as given (padded or not).
    fn check_rows(
        &self,
        leaves: &[usize],
        rows: &[LevelRows<'_>],
        siblings: &[DigestWords],
    ) -> Result<bool, PcsError> {
        let o_siblings = siblings;
        let root = self.tree.root();
        let siblings = archived(o_siblings);
        let general = verify_multi(
            &self.hasher,
            &root,
            self.log_max(),
            leaves,
            rows,
            &siblings,
            &mut MultiScratch::default(),
        );
        // The guest's walk, over the software permutation, reaches the same verdict: the same
        // root for the same opening, the same error for a malformed one (claims that fail
        // before the walk are checked once, by `verify_multi`).
        if matches!(general, Ok(_) | Err(PcsError::Shape { .. })) {
            let siblings: Vec<Digest> = o_siblings
                .iter()
                .map(|d| d.map(|w| val_from_u32(w).unwrap()))
                .collect();
            let permute = |state: &mut crate::hash::State| self.hasher.permute(&mut state.0);
            let buffers = (&mut Vec::new(), &mut Vec::new());
            let in_place =
                in_place::walk(permute, self.log_max(), leaves, rows, &siblings, buffers)
                    .map(|reached| reached == root);
            assert_eq!(in_place, general, "leaves {leaves:?}");
        }
        general
    }
}

fn bump(word: &mut u32) {
    *word = val_to_u32(val_from_u32(*word).unwrap() + Val::ONE);
}

/// Rows padded to a stride (as the proof lays out odd-width rows) open alike when the padding
/// is zero, and a non-zero padding element is refused (it is not hashed).
#[test]
fn padded_rows_open_and_their_padding_must_be_zero() {
    let f = fixture();
    let leaves = [3, 17, 40];
    let o = f.open(&leaves);
    let padded: Vec<(usize, usize, Vec<Val>)> = o
        .levels
        .iter()
        .map(|(level, width, rows)| {
            let rows = rows
                .chunks_exact(*width)
                .flat_map(|row| row.iter().copied().chain([Val::ZERO]))
                .collect();
            (*level, *width, rows)
        })
        .collect();
    fn level_rows(levels: &[(usize, usize, Vec<Val>)]) -> Vec<LevelRows<'_>> {
        levels
            .iter()
            .map(|(level, width, rows)| LevelRows {
                level: *level,
                width: *width,
                stride: width + 1,
                rows,
            })
            .collect()
    }
    assert_eq!(
        f.check_rows(&leaves, &level_rows(&padded), &o.siblings),
        Ok(true)
    );
    let mut dirty = padded.clone();
    let (_, width, rows) = &mut dirty[1];
    rows[2 * (*width + 1) - 1] = Val::ONE;
    assert_eq!(
        f.check_rows(&leaves, &level_rows(&dirty), &o.siblings),
        Err(PcsError::InvalidClaim(
            "non-zero padding after an opened row"
        ))
    );
}

#[test]
fn every_single_leaf_opens_with_a_full_path() {
    let f = fixture();
    assert_eq!(f.log_max(), 6);
    for leaf in 0..64 {
        let o = f.open(&[leaf]);
        assert_eq!(o.siblings.len(), 6);
        assert_eq!(f.check(&[leaf], &o), Ok(true), "leaf {leaf}");
    }
}

#[test]
fn leaf_sets_open_with_the_minimal_sibling_set() {
    let f = fixture();
    let all: Vec<usize> = (0..64).collect();
    let cases: [(&[usize], usize); 6] = [
        // Every leaf: nothing to send.
        (&all, 0),
        // Two neighbours: one path above their parent.
        (&[6, 7], 5),
        // One leaf in each half: full paths up to the two children of the root.
        (&[1, 62], 10),
        // Both halves, with sharing inside each half.
        (&[0, 3, 32, 33, 63], 3 + 2 + 3 + 3 + 1),
        (&[5, 9, 17, 40], 4 + 4 + 4 + 2 + 1),
        // The ends of the first two quarters: subtrees meet at level 3.
        (&[0, 15, 16, 31], 4 + 4 + 4 + 1),
    ];
    for (leaves, expected) in cases {
        let o = f.open(leaves);
        assert_eq!(o.siblings.len(), expected, "{leaves:?}");
        assert_eq!(sibling_count(leaves, 6), expected, "{leaves:?}");
        assert_eq!(reference_sibling_count(leaves, 6), expected, "{leaves:?}");
        assert_eq!(f.check(leaves, &o), Ok(true), "{leaves:?}");
    }
}

/// The siblings a multi-opening needs, by definition: at each level, the nodes above no opened
/// leaf whose sibling is above one.
fn reference_sibling_count(leaves: &[usize], log_height: usize) -> usize {
    (0..log_height)
        .map(|level| {
            let above: alloc::collections::BTreeSet<usize> =
                leaves.iter().map(|l| l >> level).collect();
            above.iter().filter(|&&n| !above.contains(&(n ^ 1))).count()
        })
        .sum()
}

#[test]
fn random_leaf_sets_open() {
    use rand::{Rng, SeedableRng};
    let f = fixture();
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    for _ in 0..200 {
        let n = rng.gen_range(1..40);
        let mut queries: Vec<usize> = (0..n).map(|_| rng.gen_range(0..64)).collect();
        queries.sort_unstable();
        let mut leaves = Vec::new();
        distinct_shifted(&queries, 0, &mut leaves);
        let o = f.open(&leaves);
        assert_eq!(o.siblings.len(), reference_sibling_count(&leaves, 6));
        assert_eq!(f.check(&leaves, &o), Ok(true), "{leaves:?}");
    }
}

#[test]
fn duplicate_query_indices_open_once() {
    let f = fixture();
    // Queries as sampled (unsorted, repeated), all but one in one leaf.
    let queries = [37usize, 5, 37, 37, 5, 12, 37];
    let mut sorted = queries.to_vec();
    sorted.sort_unstable();
    let mut leaves = Vec::new();
    distinct_shifted(&sorted, 0, &mut leaves);
    assert_eq!(leaves, [5, 12, 37]);
    let o = f.open(&leaves);
    assert_eq!(f.check(&leaves, &o), Ok(true));
    // The leaf-level rows are sent once per distinct leaf.
    assert_eq!(o.levels[0].2.len(), 3 * 6);
    // Every query in one leaf: a single path.
    let o = f.open(&[37]);
    assert_eq!(o.siblings.len(), 6);
    assert_eq!(f.check(&[37], &o), Ok(true));
}

#[test]
fn tampered_rows_and_siblings_fail_the_root() {
    let f = fixture();
    let leaves = [2, 3, 20, 41, 60];
    let honest = f.open(&leaves);
    for l in 0..honest.levels.len() {
        for i in 0..honest.levels[l].2.len() {
            let mut o = f.open(&leaves);
            o.levels[l].2[i] += Val::ONE;
            assert_eq!(f.check(&leaves, &o), Ok(false), "level {l} value {i}");
        }
    }
    for s in 0..honest.siblings.len() {
        for k in 0..8 {
            let mut o = f.open(&leaves);
            bump(&mut o.siblings[s][k]);
            assert_eq!(f.check(&leaves, &o), Ok(false), "sibling {s} word {k}");
        }
    }
    for s in 1..honest.siblings.len() {
        let mut o = f.open(&leaves);
        o.siblings.swap(s - 1, s);
        assert_eq!(
            f.check(&leaves, &o),
            Ok(false),
            "siblings {} and {s} swapped",
            s - 1
        );
    }
    // Another leaf set with the same shape of proof.
    assert_eq!(f.check(&[2, 3, 20, 41, 61], &honest), Ok(false));
    assert_eq!(f.check(&[2, 3, 21, 41, 60], &honest), Ok(false));
}

#[test]
fn missing_or_extra_siblings_are_errors() {
    let f = fixture();
    let leaves = [2, 3, 20, 41, 60];
    let expected = sibling_count(&leaves, 6);
    let mut o = f.open(&leaves);
    o.siblings.pop();
    assert_eq!(
        f.check(&leaves, &o),
        Err(PcsError::Shape {
            what: "Merkle siblings",
            expected,
            got: expected - 1
        })
    );
    let mut o = f.open(&leaves);
    o.siblings.push(o.siblings[0]);
    assert_eq!(
        f.check(&leaves, &o),
        Err(PcsError::Shape {
            what: "Merkle siblings",
            expected,
            got: expected + 1
        })
    );
    // A sibling where the frontier needs none: opening all leaves of a pair.
    let mut o = f.open(&[6, 7]);
    o.siblings.insert(0, o.siblings[0]);
    assert!(f.check(&[6, 7], &o).is_err());
}

#[test]
fn inconsistent_leaves_and_rows_are_errors() {
    let f = fixture();
    let o = f.open(&[5, 9]);
    for bad in [&[][..], &[9, 5], &[5, 5, 9], &[5, 64]] {
        assert!(
            matches!(f.check(bad, &o), Err(PcsError::InvalidClaim(_))),
            "{bad:?}"
        );
    }
    let mut short = f.open(&[5, 9]);
    short.levels[1].2.pop();
    assert!(matches!(
        f.check(&[5, 9], &short),
        Err(PcsError::Shape { .. })
    ));
    let mut no_leaves = f.open(&[5, 9]);
    no_leaves.levels.remove(0);
    assert!(matches!(
        f.check(&[5, 9], &no_leaves),
        Err(PcsError::InvalidClaim(_))
    ));
    let mut unordered = f.open(&[5, 9]);
    unordered.levels.swap(1, 2);
    assert!(matches!(
        f.check(&[5, 9], &unordered),
        Err(PcsError::InvalidClaim(_))
    ));
    let mut too_high = f.open(&[5, 9]);
    too_high.levels.push((7, 1, alloc::vec![Val::ONE]));
    assert!(matches!(
        f.check(&[5, 9], &too_high),
        Err(PcsError::InvalidClaim(_))
    ));
}

#[test]
fn another_matrix_order_is_another_commitment() {
    let f = fixture();
    let leaves = [1, 30, 33];
    let mut o = f.open(&leaves);
    // Level 0 holds the two height-64 matrices (widths 5 and 1) side by side: swap them.
    let rows: Vec<Val> = o.levels[0]
        .2
        .chunks(6)
        .flat_map(|r| [r[5], r[0], r[1], r[2], r[3], r[4]])
        .collect();
    o.levels[0].2 = rows;
    assert_eq!(f.check(&leaves, &o), Ok(false));
}

#[test]
fn packed_and_scalar_hashing_agree() {
    // Heights below and above the SIMD width go through different code paths; a tree over a
    // single tall matrix must equal the plain definition.
    let hasher = Hasher::new();
    let m = matrix(5, 3, 9);
    let tree = MerkleTree::new(&hasher, &[&m]);
    let mut layer: Vec<crate::Digest> = (0..32)
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

/// A tree that drops its bottom layers has the same root and gives the same multi-openings,
/// recomputing the dropped nodes from the matrices (mixed heights, injections inside the
/// dropped layers, every elision depth up to past the root).
#[test]
fn elided_layers_give_the_same_root_and_siblings() {
    let f = fixture();
    let refs = f.refs();
    let leaf_sets: [&[usize]; 4] = [&[0], &[5, 6, 7], &[1, 30, 63], &[0, 2, 4, 8, 16, 32, 62]];
    for elided in 0..=f.log_max() + 1 {
        let tree = MerkleTree::with_elided_layers(&f.hasher, &refs, elided);
        assert_eq!(tree.root(), f.tree.root(), "elided {elided}");
        assert_eq!(tree.log_height(), f.log_max());
        for leaves in leaf_sets {
            assert_eq!(
                tree.multi_siblings(&f.hasher, &refs, leaves),
                f.tree.multi_siblings(&f.hasher, &refs, leaves),
                "elided {elided}, leaves {leaves:?}"
            );
        }
    }
}
