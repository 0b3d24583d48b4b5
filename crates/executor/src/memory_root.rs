//! The memory commitment of continuations: a sparse Poseidon2 Merkle tree over the pages of
//! [`crate::paging`], whose root (with the pc) is a shard's boundary state.
//!
//! - **Leaf**: a page's 1024 bytes as 512 little-endian 16-bit limbs (each below p, so every
//!   limb is a canonical KoalaBear element and no two pages share a leaf input), absorbed by the
//!   PCS's padding-free Poseidon2 sponge (rate 8: 64 permutations per page). Why 16-bit limbs:
//!   a 32-bit word is not always below p, and 16-bit limbs split every aligned byte, half, word
//!   and doubleword of a page at limb boundaries, so the page-in AIR reads a doubleword as four
//!   whole limbs. (3-byte limbs would need 43 permutations instead of 64 but cut words apart.)
//! - **Node**: `compress(left, right)`, the PCS's 2-to-1 truncated permutation. Leaves and nodes
//!   are exactly [`droste_pcs::hash::Hasher`]'s, so the POSEIDON2 precompile table proves both.
//! - **Index space**: [`TREE_DEPTH`] levels over [`PAGE_COUNT`] pages. Page
//!   [`REGISTER_PAGE`] holds the registers; the pc is not in the tree but next to the root in a
//!   shard's statement (the aggregator compares it directly, like the root). The root's left
//!   child commits registers and RAM, its right child the read-only private input: the first
//!   shard's left child is fixed by the program (computable from the ELF), its right child is the
//!   prover's private choice and never changes.
//! - **Sparse**: a subtree no page of which was ever non-zero has a precomputed default digest
//!   (all-zero pages), so the initial root costs time proportional to the image, and a shard's
//!   update costs its touched pages times the depth.

use std::collections::HashMap;

use droste_pcs::hash::Hasher;
use droste_pcs::{Digest, Val};
use p3_field::PrimeCharacteristicRing;

use crate::machine::{initial_registers, Machine};
use crate::memory::Memory;
use crate::paging::{
    page_of, register_page, Page, PAGE_BYTES, PAGE_COUNT, REGISTER_PAGE, TREE_DEPTH,
};
use crate::program::Program;
use crate::shards::Shard;
use crate::{ExecError, Input};

/// Field elements per page leaf.
pub const PAGE_LIMBS: usize = PAGE_BYTES / 2;

/// The leaf input of a page: its 16-bit little-endian limbs.
pub fn page_limbs(bytes: &[u8; PAGE_BYTES]) -> impl Iterator<Item = Val> + '_ {
    bytes
        .chunks_exact(2)
        .map(|pair| Val::from_u16(u16::from_le_bytes([pair[0], pair[1]])))
}

/// The leaf digests of `pages`, hashed several at a time (see [`Hasher::hash_rows_into`]).
pub fn page_digests<'a>(
    hasher: &Hasher,
    pages: impl ExactSizeIterator<Item = &'a [u8; PAGE_BYTES]>,
) -> Vec<Digest> {
    let count = pages.len();
    let mut limbs = Vec::with_capacity(count * PAGE_LIMBS);
    for page in pages {
        limbs.extend(page_limbs(page));
    }
    let mut out = Vec::with_capacity(count);
    hasher.hash_rows_into((&limbs, PAGE_LIMBS, PAGE_LIMBS), count, &mut out);
    out
}

/// The digest of an all-zero subtree of each height (`[0]` is the zero page's leaf).
fn default_digests(hasher: &Hasher) -> Vec<Digest> {
    let mut defaults = page_digests(hasher, [&[0u8; PAGE_BYTES]].into_iter());
    for level in 0..TREE_DEPTH as usize {
        let below = defaults[level];
        defaults.push(hasher.compress(&below, &below));
    }
    defaults
}

/// Pages in increasing order, each below [`PAGE_COUNT`].
fn is_strictly_increasing(indices: impl Iterator<Item = u32>) -> bool {
    let mut previous = None;
    indices.into_iter().all(|index| {
        let ok = index < PAGE_COUNT && previous.is_none_or(|p| p < index);
        previous = Some(index);
        ok
    })
}

/// The distinct parents of sorted node indices.
fn parents(indices: &[u32]) -> Vec<u32> {
    let mut parents: Vec<u32> = indices.iter().map(|i| i >> 1).collect();
    parents.dedup();
    parents
}

/// The Merkle tree of a whole memory state (registers, RAM, private input), kept up to date
/// shard by shard.
#[derive(Clone, Debug)]
pub struct MemoryTree {
    hasher: Hasher,
    defaults: Vec<Digest>,
    /// `levels[l]` holds the nodes of height `l` that were ever computed (the others are
    /// `defaults[l]`); `levels[TREE_DEPTH][0]` is the root.
    levels: Vec<HashMap<u32, Digest>>,
}

impl MemoryTree {
    /// The tree of the given pages (sorted, distinct) and register values.
    fn from_pages(pages: &[Page], registers: &[u64; 32]) -> Self {
        let hasher = Hasher::new();
        let mut tree = MemoryTree {
            defaults: default_digests(&hasher),
            hasher,
            levels: vec![HashMap::new(); TREE_DEPTH as usize + 1],
        };
        let registers = Page {
            index: REGISTER_PAGE,
            bytes: register_page(registers),
        };
        let all: Vec<&Page> = std::iter::once(&registers).chain(pages).collect();
        let digests = page_digests(&tree.hasher, all.iter().map(|p| &p.bytes));
        let leaves: Vec<(u32, Digest)> = all.iter().map(|p| p.index).zip(digests).collect();
        tree.set_leaves(&leaves);
        tree
    }

    /// The tree of a program's initial state: its segments, the private input, the initial
    /// registers. It hashes only the pages the segments and the input cover.
    pub fn initial(program: &Program, input: &Input) -> Result<Self, ExecError> {
        crate::machine::check_private_input(&input.private_input)?;
        let memory = Memory::new(program, &input.private_input);
        let mut indices: Vec<u32> = program
            .segments()
            .iter()
            .filter(|s| !s.data.is_empty())
            .flat_map(|s| page_of(s.vaddr)..=page_of(s.vaddr + s.data.len() as u64 - 1))
            .collect();
        indices.extend(memory.input_pages());
        indices.sort_unstable();
        indices.dedup();
        let pages: Vec<Page> = indices
            .into_iter()
            .map(|index| Page {
                index,
                bytes: memory.page(index),
            })
            .collect();
        Ok(Self::from_pages(&pages, &initial_registers()))
    }

    /// The tree of a machine's current state, computed from scratch (every non-zero page).
    pub fn of_machine(machine: &Machine) -> Self {
        let pages: Vec<Page> = machine.memory.nonzero_pages().collect();
        Self::from_pages(&pages, machine.registers())
    }

    /// The root: with the pc, a shard's boundary state.
    pub fn root(&self) -> Digest {
        self.node(TREE_DEPTH, 0)
    }

    /// The root's left child: registers and RAM.
    pub fn ram_root(&self) -> Digest {
        self.node(TREE_DEPTH - 1, 0)
    }

    /// The root's right child: the private input region.
    pub fn input_root(&self) -> Digest {
        self.node(TREE_DEPTH - 1, 1)
    }

    /// The node of height `level` at `index` (a page when `level` is 0).
    pub fn node(&self, level: u32, index: u32) -> Digest {
        let level = level as usize;
        self.levels[level]
            .get(&index)
            .copied()
            .unwrap_or(self.defaults[level])
    }

    /// Sets the leaves (sorted, distinct) and recomputes the nodes above them.
    fn set_leaves(&mut self, leaves: &[(u32, Digest)]) {
        self.levels[0].extend(leaves.iter().copied());
        let mut indices: Vec<u32> = leaves.iter().map(|(i, _)| *i).collect();
        for level in 0..TREE_DEPTH {
            indices = parents(&indices);
            let children: Vec<(Digest, Digest)> = indices
                .iter()
                .map(|&p| (self.node(level, 2 * p), self.node(level, 2 * p + 1)))
                .collect();
            let mut digests = Vec::with_capacity(indices.len());
            self.hasher
                .compress_pairs_into(children.iter().map(|(l, r)| (l, r)), &mut digests);
            let above = &mut self.levels[level as usize + 1];
            above.extend(indices.iter().copied().zip(digests));
        }
    }

    /// The sibling nodes that, with the leaves `indices` (sorted, distinct), determine the root:
    /// level by level from the leaves up, left to right, every sibling of a node on the leaves'
    /// paths that is not itself on them. The same siblings prove the roots before and after a
    /// shard, since a shard changes no page outside its own.
    fn siblings(&self, indices: &[u32]) -> Vec<Digest> {
        let mut siblings = Vec::new();
        let mut nodes = indices.to_vec();
        for level in 0..TREE_DEPTH {
            for (k, &i) in nodes.iter().enumerate() {
                let paired = if i % 2 == 0 {
                    nodes.get(k + 1) == Some(&(i + 1))
                } else {
                    k > 0 && nodes[k - 1] == i - 1
                };
                if !paired {
                    siblings.push(self.node(level, i ^ 1));
                }
            }
            nodes = parents(&nodes);
        }
        siblings
    }

    /// Pages `shard` in and out: returns its pre-root, post-root and siblings, and moves the
    /// tree to the shard's end state. Costs the shard's touched pages (hashed once, after the
    /// shard) times the depth; the rest of memory is not rehashed. The shards of a run must be
    /// applied in order, each once: the tree trusts that the shard starts from its state (which
    /// [`ShardMemoryProof::verify`] checks).
    pub fn apply(&mut self, shard: &Shard) -> ShardMemoryProof {
        let after = shard.paged_out();
        let indices: Vec<u32> = after.iter().map(|p| p.index).collect();
        let siblings = self.siblings(&indices);
        let pre_root = self.root();
        let digests = page_digests(&self.hasher, after.iter().map(|p| &p.bytes));
        let leaves: Vec<(u32, Digest)> = indices.into_iter().zip(digests).collect();
        self.set_leaves(&leaves);
        ShardMemoryProof {
            pre_root,
            post_root: self.root(),
            siblings,
        }
    }
}

/// What a shard's memory argument checks: the pages it touched, hashed before the shard, give
/// `pre_root` with `siblings`; hashed after, they give `post_root` with the same siblings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardMemoryProof {
    pub pre_root: Digest,
    pub post_root: Digest,
    /// See [`ShardMemoryProof::root_of`] for the order.
    pub siblings: Vec<Digest>,
}

impl ShardMemoryProof {
    /// The root that `pages` (sorted, distinct) and `siblings` determine, or `None` if the pages
    /// are not sorted or the sibling count is wrong ([`MerklePaths::of`]'s root).
    pub fn root_of(hasher: &Hasher, pages: &[Page], siblings: &[Digest]) -> Option<Digest> {
        MerklePaths::of(hasher, pages, siblings).map(|paths| paths.root)
    }

    /// Whether `before` (the shard's paged-in pages) proves `pre_root` and `after` (its
    /// paged-out pages, the same indices) proves `post_root`.
    pub fn verify(&self, hasher: &Hasher, before: &[Page], after: &[Page]) -> bool {
        let same_pages = before.len() == after.len()
            && before.iter().zip(after).all(|(b, a)| b.index == a.index);
        same_pages
            && Self::root_of(hasher, before, &self.siblings) == Some(self.pre_root)
            && Self::root_of(hasher, after, &self.siblings) == Some(self.post_root)
    }
}

/// A compression on the pages' paths: node `index` of height `level + 1` from its children
/// `2 index` (`left`) and `2 index + 1` (`right`) of height `level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathNode {
    pub level: u32,
    pub index: u32,
    pub left: Digest,
    pub right: Digest,
    pub digest: Digest,
}

/// Where a sibling of [`ShardMemoryProof::siblings`] sits: node `index` of height `level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlacedSibling {
    pub level: u32,
    pub index: u32,
    pub digest: Digest,
}

/// Every hash that leads from a shard's pages to a root: what the page-in/page-out AIR proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerklePaths {
    /// `(page, leaf digest)`, by page.
    pub leaves: Vec<(u32, Digest)>,
    pub siblings: Vec<PlacedSibling>,
    /// The compressions, level by level from the leaves up, left to right; the last is the
    /// root's.
    pub nodes: Vec<PathNode>,
    pub root: Digest,
}

impl MerklePaths {
    /// The paths of `pages` (sorted, distinct, at least one) with `siblings` in the order of
    /// [`ShardMemoryProof::siblings`], or `None` if the pages are not sorted or the sibling
    /// count is wrong. Level by level from the leaves up, two adjacent nodes on the paths are
    /// compressed together, any other node with the next sibling.
    pub fn of(hasher: &Hasher, pages: &[Page], siblings: &[Digest]) -> Option<Self> {
        if pages.is_empty() || !is_strictly_increasing(pages.iter().map(|p| p.index)) {
            return None;
        }
        let digests = page_digests(hasher, pages.iter().map(|p| &p.bytes));
        let leaves: Vec<(u32, Digest)> = pages.iter().map(|p| p.index).zip(digests).collect();
        let mut nodes = leaves.clone();
        let mut sibling_digests = siblings.iter();
        let (mut placed, mut path) = (Vec::new(), Vec::new());
        for level in 0..TREE_DEPTH {
            let mut next = Vec::with_capacity(nodes.len());
            let mut k = 0;
            while k < nodes.len() {
                let (i, digest) = nodes[k];
                let pair = nodes.get(k + 1).filter(|(j, _)| i % 2 == 0 && *j == i + 1);
                let (left, right) = match pair {
                    Some(&(_, right)) => (digest, right),
                    None => {
                        let sibling = *sibling_digests.next()?;
                        placed.push(PlacedSibling {
                            level,
                            index: i ^ 1,
                            digest: sibling,
                        });
                        if i % 2 == 0 {
                            (digest, sibling)
                        } else {
                            (sibling, digest)
                        }
                    }
                };
                let parent = hasher.compress(&left, &right);
                path.push(PathNode {
                    level,
                    index: i >> 1,
                    left,
                    right,
                    digest: parent,
                });
                next.push((i >> 1, parent));
                k += if pair.is_some() { 2 } else { 1 };
            }
            nodes = next;
        }
        if sibling_digests.next().is_some() {
            return None;
        }
        Some(Self {
            leaves,
            siblings: placed,
            nodes: path,
            root: nodes[0].1,
        })
    }

    /// The root's children: `[left, right]` (registers and RAM, private input).
    pub fn root_children(&self) -> [Digest; 2] {
        let root = self.nodes.last().expect("a tree has a root");
        [root.left, root.right]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The tree of `pages` with every node computed the slow way, from the full leaf level.
    fn dense_root(hasher: &Hasher, pages: &[Page], registers: &[u64; 32]) -> Digest {
        let defaults = default_digests(hasher);
        let mut level: HashMap<u32, Digest> = HashMap::new();
        level.insert(
            REGISTER_PAGE,
            page_digests(hasher, [&register_page(registers)].into_iter())[0],
        );
        for page in pages {
            level.insert(
                page.index,
                page_digests(hasher, [&page.bytes].into_iter())[0],
            );
        }
        for default in &defaults[..TREE_DEPTH as usize] {
            let mut above = HashMap::new();
            let parents: std::collections::BTreeSet<u32> = level.keys().map(|i| i >> 1).collect();
            for p in parents {
                let child = |i| level.get(&i).copied().unwrap_or(*default);
                above.insert(p, hasher.compress(&child(2 * p), &child(2 * p + 1)));
            }
            level = above;
        }
        level[&0]
    }

    fn page(index: u32, seed: u8) -> Page {
        Page {
            index,
            bytes: core::array::from_fn(|i| (i as u8).wrapping_mul(seed)),
        }
    }

    #[test]
    fn limbs_are_little_endian_halves() {
        let mut bytes = [0u8; PAGE_BYTES];
        bytes[..4].copy_from_slice(&0xffff_fffeu32.to_le_bytes());
        let limbs: Vec<Val> = page_limbs(&bytes).take(3).collect();
        assert_eq!(
            limbs,
            [Val::from_u16(0xfffe), Val::from_u16(0xffff), Val::ZERO]
        );
        // The batched leaf hash is the PCS's scalar sponge over the limbs, page by page.
        let hasher = Hasher::new();
        let pages: Vec<Page> = (0..11).map(|i| page(i, i as u8 + 1)).collect();
        let batched = page_digests(&hasher, pages.iter().map(|p| &p.bytes));
        for (page, digest) in pages.iter().zip(batched) {
            let limbs: Vec<Val> = page_limbs(&page.bytes).collect();
            assert_eq!(limbs.len(), PAGE_LIMBS);
            assert_eq!(digest, hasher.hash_slice(&limbs));
        }
    }

    #[test]
    fn the_empty_memory_has_the_default_root() {
        let tree = MemoryTree::from_pages(&[], &[0; 32]);
        assert_eq!(tree.root(), tree.defaults[TREE_DEPTH as usize]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]

        /// Incremental updates, the sparse tree and the multiproof agree with a dense
        /// recomputation, and the proof fails for a changed byte or sibling.
        #[test]
        fn sparse_updates_match_a_dense_tree(
            first in proptest::collection::btree_set(1u32..PAGE_COUNT, 1..6),
            second in proptest::collection::btree_set(1u32..PAGE_COUNT, 1..6),
            seed in 1u8..255,
        ) {
            let hasher = Hasher::new();
            let old: Vec<Page> = first.iter().map(|&i| page(i, seed)).collect();
            let mut tree = MemoryTree::from_pages(&old, &[7; 32]);
            prop_assert_eq!(tree.root(), dense_root(&hasher, &old, &[7; 32]));

            let indices: Vec<u32> = std::iter::once(0).chain(second.iter().copied()).collect();
            let before: Vec<Page> = indices.iter().map(|&i| Page {
                index: i,
                bytes: if i == 0 { register_page(&[7; 32]) } else { old.iter().find(|p| p.index == i).map_or([0; PAGE_BYTES], |p| p.bytes) },
            }).collect();
            let after: Vec<Page> = indices.iter().map(|&i| {
                if i == 0 { Page { index: 0, bytes: register_page(&[9; 32]) } } else { page(i, seed ^ 0x55) }
            }).collect();
            let siblings = tree.siblings(&indices);
            let pre_root = tree.root();
            let digests = page_digests(&hasher, after.iter().map(|p| &p.bytes));
            tree.set_leaves(&indices.iter().copied().zip(digests).collect::<Vec<_>>());
            let proof = ShardMemoryProof { pre_root, post_root: tree.root(), siblings };
            prop_assert!(proof.verify(&hasher, &before, &after));

            let mut all: std::collections::BTreeMap<u32, Page> = old.into_iter().map(|p| (p.index, p)).collect();
            for p in after.iter().skip(1) {
                all.insert(p.index, p.clone());
            }
            let all: Vec<Page> = all.into_values().collect();
            prop_assert_eq!(proof.post_root, dense_root(&hasher, &all, &[9; 32]));

            let mut changed = after.clone();
            changed[after.len() - 1].bytes[PAGE_BYTES - 1] ^= 1;
            prop_assert!(!proof.verify(&hasher, &before, &changed));
            let mut wrong = proof.clone();
            wrong.siblings[0][0] += Val::ONE;
            prop_assert!(!wrong.verify(&hasher, &before, &after));
            wrong.siblings.pop();
            prop_assert!(!wrong.verify(&hasher, &before, &after));
            let mut longer = proof.clone();
            longer.siblings.push(proof.siblings[0]);
            prop_assert!(!longer.verify(&hasher, &before, &after));
        }
    }
}
