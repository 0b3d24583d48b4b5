//! Merkle multi-openings: many leaves of one tree authenticated together.
//!
//! The opened leaves form a *frontier* (their indices, sorted and distinct). Going up one level,
//! the frontier is read left to right in pairs of siblings: when both children of a parent are on
//! the frontier the verifier has both digests; otherwise the missing child's digest is the next
//! *sibling* of the proof. The parents form the next frontier. So the proof carries exactly the
//! digests of the subtrees that hold no opened leaf and whose sibling does, level 0 first and
//! left to right within a level (the order [`level_pairs`] walks), and nothing else: a full path
//! per leaf would repeat the upper levels, shared by many leaves, once per leaf.
//!
//! Rows of shorter matrices enter the tree at the level of their height; they too are sent once
//! per distinct node of that level (two leaves above the same short row share its hash).
//!
//! Soundness: the verifier hashes the rows it was given (every word of them) into leaf and
//! injected digests, recomputes every frontier node from its two children, and takes from the
//! proof exactly [`sibling_count`] digests (the walk takes them one by one and ends in an error
//! if one is missing or left over), so no proof word is left unchecked. Reaching the committed root from the supplied
//! rows binds each of them to the commitment like one authentication path per leaf would: the
//! authentication path of any opened leaf is a sub-computation of this walk.

use alloc::vec::Vec;

use rkyv::Archived;

use p3_field::PrimeCharacteristicRing;

use crate::codec::{digests_in_place, dword_arrays, Use};
use crate::hash::Hasher;
use crate::proof::DigestDwords;
use crate::{Digest, PcsError, Val};

/// How a frontier node meets its sibling on the way up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pair {
    /// The node and the next frontier node are the two children of one parent.
    Both,
    /// The node is a left child; its right sibling is the proof's next digest.
    RightFromProof,
    /// The node is a right child; its left sibling is the proof's next digest.
    LeftFromProof,
}

/// The pairs of one level of a frontier (sorted, distinct node indices), left to right: the
/// position in the frontier of each pair's first node and how it pairs. Each pair yields one
/// parent, `nodes[position] >> 1`, so the parents are again sorted and distinct.
///
/// The prover and the verifier both walk the frontier with this, so they agree on the order of
/// the siblings in the proof.
pub(crate) fn level_pairs(nodes: &[usize]) -> impl Iterator<Item = (usize, Pair)> + '_ {
    let mut pos = 0;
    core::iter::from_fn(move || {
        let &node = nodes.get(pos)?;
        let at = pos;
        let pair = if node & 1 == 1 {
            Pair::LeftFromProof
        } else if nodes.get(pos + 1) == Some(&(node + 1)) {
            pos += 1;
            Pair::Both
        } else {
            Pair::RightFromProof
        };
        pos += 1;
        Some((at, pair))
    })
}

/// The distinct values of `sorted >> shift` in increasing order (`sorted` nondecreasing), into
/// `out`: the frontier `shift` levels above the leaves `sorted`.
pub fn distinct_shifted(sorted: &[usize], shift: usize, out: &mut Vec<usize>) {
    out.clear();
    for &i in sorted {
        let node = i >> shift;
        if out.last() != Some(&node) {
            out.push(node);
        }
    }
}

/// Number of sibling digests a multi-opening of `leaves` (sorted, distinct) in a tree of
/// `2^log_height` leaves carries.
pub fn sibling_count(leaves: &[usize], log_height: usize) -> usize {
    let mut nodes = leaves.to_vec();
    let mut count = 0;
    for _ in 0..log_height {
        count += level_pairs(&nodes)
            .filter(|(_, pair)| *pair != Pair::Both)
            .count();
        let parents = core::mem::take(&mut nodes);
        distinct_shifted(&parents, 1, &mut nodes);
    }
    count
}

/// Rows hashed into a tree at one level: `width` elements for each node of that level's
/// frontier, in increasing node order, each followed by zero padding up to `stride` elements
/// (each node's row is the concatenation of the rows of the matrices entering at that level, in
/// batch order).
#[derive(Clone, Copy, Debug)]
pub struct LevelRows<'a> {
    /// Level above the leaves (0 = the leaves, the tallest matrices).
    pub level: usize,
    /// Elements per node.
    pub width: usize,
    /// Elements from one node's row to the next: `width` and its padding, which must be zero.
    pub stride: usize,
    /// `stride * frontier length` elements.
    pub rows: &'a [Val],
}

/// Reusable buffers of [`verify_multi`]; each holds at most one entry per opened leaf.
#[derive(Debug, Default)]
pub struct MultiScratch {
    nodes: Vec<usize>,
    #[cfg(not(target_os = "zkvm"))]
    parents: Vec<usize>,
    #[cfg(not(target_os = "zkvm"))]
    digests: Vec<Digest>,
    #[cfg(not(target_os = "zkvm"))]
    injected: Vec<Digest>,
    #[cfg(not(target_os = "zkvm"))]
    next: Vec<Digest>,
    /// The guest's frontier, a permutation state per node ([`super::in_place`]).
    #[cfg(target_os = "zkvm")]
    slots: Vec<crate::hash::State>,
}

/// Check a multi-opening of `leaves` (sorted, distinct, below `2^log_height`) in the tree with
/// root `root`: `rows` are the opened rows by level (increasing levels, the first at level 0),
/// `siblings` the proof's digests in walk order.
///
/// Returns `Ok(false)` when the hashes disagree with the root and an error when a count or index
/// is inconsistent (frontier and rows before any hashing, siblings by the walk). Nothing here can panic.
pub fn verify_multi(
    hasher: &Hasher,
    root: &Digest,
    log_height: usize,
    leaves: &[usize],
    rows: &[LevelRows<'_>],
    siblings: &[Archived<DigestDwords>],
    scratch: &mut MultiScratch,
) -> Result<bool, PcsError> {
    check_frontier(leaves, log_height)?;
    if rows.first().map(|r| r.level) != Some(0)
        || rows.windows(2).any(|w| w[0].level >= w[1].level)
        || rows.last().is_some_and(|r| r.level > log_height)
    {
        return Err(PcsError::InvalidClaim(
            "opened rows must start at the leaves, by increasing level",
        ));
    }
    let siblings = digests_in_place(dword_arrays(siblings), Use::HashFirst)?;
    #[cfg(target_os = "zkvm")]
    let reached = {
        let _ = hasher;
        let buffers = (&mut scratch.slots, &mut scratch.nodes);
        super::in_place::walk(
            crate::precompile::Poseidon2Precompile,
            log_height,
            leaves,
            rows,
            siblings,
            buffers,
        )?
    };
    #[cfg(not(target_os = "zkvm"))]
    let reached = walk_batched(hasher, root, log_height, leaves, rows, siblings, scratch)?;
    Ok(reached == *root)
}

#[cfg(not(target_os = "zkvm"))]
/// The walk of [`verify_multi`] with the hasher's batched hashing (SIMD lanes natively): each
/// level's digests built into a new vector. Returns the root reached.
fn walk_batched(
    hasher: &Hasher,
    root: &Digest,
    log_height: usize,
    leaves: &[usize],
    rows: &[LevelRows<'_>],
    siblings: &[Digest],
    scratch: &mut MultiScratch,
) -> Result<Digest, PcsError> {
    let MultiScratch {
        nodes,
        parents,
        digests,
        injected,
        next,
    } = scratch;
    nodes.clear();
    nodes.extend_from_slice(leaves);
    digests.clear();
    let given = siblings.len();
    let mut rows = rows.iter().peekable();
    let mut siblings = siblings.iter();
    let mut missing = false;
    for level in 0..=log_height {
        if let Some(level_rows) = rows.next_if(|r| r.level == level) {
            rows_shape(level_rows, nodes.len())?;
            injected.clear();
            let LevelRows {
                width,
                stride,
                rows,
                ..
            } = *level_rows;
            hasher.hash_rows_into((rows, width, stride), nodes.len(), injected);
            if level == 0 {
                core::mem::swap(digests, injected);
            } else {
                next.clear();
                hasher.compress_pairs_into(digests.iter().zip(injected.iter()), next);
                core::mem::swap(digests, next);
            }
        }
        if level == log_height {
            break;
        }
        parents.clear();
        next.clear();
        // A missing sibling stands in as the root until the level ends in an error.
        let mut from_proof = || {
            siblings.next().unwrap_or_else(|| {
                missing = true;
                root
            })
        };
        // Each pair yields one parent, `nodes[at] >> 1`: the next frontier, taken on the way.
        let pairs = level_pairs(nodes).map(|(at, pair)| {
            parents.push(nodes[at] >> 1);
            match pair {
                Pair::Both => (&digests[at], &digests[at + 1]),
                Pair::RightFromProof => (&digests[at], from_proof()),
                Pair::LeftFromProof => (from_proof(), &digests[at]),
            }
        });
        hasher.compress_pairs_into(pairs, next);
        if missing {
            return Err(siblings_shape(leaves, log_height, given));
        }
        core::mem::swap(digests, next);
        core::mem::swap(nodes, parents);
    }
    if siblings.next().is_some() {
        return Err(siblings_shape(leaves, log_height, given));
    }
    Ok(digests[0])
}

/// The rows of a level hold `stride` elements for each of the frontier's `nodes`, of which
/// those past `width` are zero (padding is not hashed, so it is held to one value: a proof has
/// one encoding).
pub(super) fn rows_shape(level_rows: &LevelRows<'_>, nodes: usize) -> Result<(), PcsError> {
    let LevelRows {
        width,
        stride,
        rows,
        ..
    } = *level_rows;
    let expected = stride.checked_mul(nodes).filter(|_| width <= stride);
    if expected != Some(rows.len()) {
        return Err(PcsError::Shape {
            what: "opened rows",
            expected: expected.unwrap_or(usize::MAX),
            got: rows.len(),
        });
    }
    if stride > width
        && rows
            .chunks_exact(stride)
            .any(|row| row[width..].iter().any(|&v| v != Val::ZERO))
    {
        return Err(PcsError::InvalidClaim(
            "non-zero padding after an opened row",
        ));
    }
    Ok(())
}

/// The error of a walk that ran out of siblings or left some over: `given` against the count
/// that opening `leaves` takes.
pub(super) fn siblings_shape(leaves: &[usize], log_height: usize, given: usize) -> PcsError {
    PcsError::Shape {
        what: "Merkle siblings",
        expected: sibling_count(leaves, log_height),
        got: given,
    }
}

/// The opened leaves must be sorted, distinct and inside the tree.
fn check_frontier(leaves: &[usize], log_height: usize) -> Result<(), PcsError> {
    if leaves.is_empty() || leaves.windows(2).any(|w| w[0] >= w[1]) {
        return Err(PcsError::InvalidClaim(
            "opened leaves must be sorted, distinct and non-empty",
        ));
    }
    if log_height >= usize::BITS as usize || leaves.last().is_some_and(|&l| l >> log_height != 0) {
        return Err(PcsError::InvalidClaim("Merkle index beyond the tree"));
    }
    Ok(())
}
