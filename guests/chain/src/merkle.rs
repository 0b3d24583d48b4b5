//! The accounts tree: a sparse Poseidon2 Merkle tree of depth 32 whose leaf `i` is account `i`.
//!
//! Every `u32` is an account id and a leaf position, so there is no range to check: an account
//! that does not exist is an empty leaf. A step never holds the tree: it gets an
//! [`AccountProof`] per account it touches (the balance and the 32 sibling digests), checks it
//! against the current root and computes the root after the change from the same siblings. That
//! costs 64 compressions per account touched, whatever the number of accounts, instead of
//! rehashing the state. The host keeps the whole tree ([`Tree`]) to hand out those proofs.
//!
//! Hashes are droste's own Poseidon2 ([`droste_pcs::hash::Hasher`]): in the guest every call is
//! one POSEIDON2 precompile `ecall`, on the host Plonky3's permutation with the same constants,
//! so host and guest compute the same roots with the same code.
//!
//! * An empty leaf is the zero digest. An account's leaf is the sponge of
//!   `[1, balance in four 16-bit limbs]`: field elements are below `p < 2^31`, so a `u64` is cut
//!   into limbs that fit, and the leading 1 keeps an account with balance 0 apart from an empty
//!   leaf (reaching the zero digest would be a preimage of it).
//! * A node is `compress(left, right)` (the truncated permutation of droste's Merkle trees).
//!   Every path has the same length, so a leaf is never read as a node or the reverse.

use std::collections::BTreeMap;

use droste_pcs::hash::Hasher;
use droste_pcs::{Digest, Val};
use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};

/// Levels between a leaf and the root: one per bit of an account id.
pub const DEPTH: usize = 32;

/// The leaf of an account that does not exist.
const EMPTY_LEAF: Digest = [Val::ZERO; 8];

/// Domain tag of an existing account's leaf.
const ACCOUNT_TAG: u16 = 1;

/// `value` as four 16-bit limbs, least significant first: field elements that determine it.
pub(crate) fn limbs(value: u64) -> [Val; 4] {
    core::array::from_fn(|i| Val::from_u16((value >> (16 * i)) as u16))
}

/// The leaf of an account with `balance` (`None`: no account).
pub fn leaf(hasher: &Hasher, balance: Option<u64>) -> Digest {
    let Some(balance) = balance else {
        return EMPTY_LEAF;
    };
    let [a, b, c, d] = limbs(balance);
    hasher.hash_slice(&[Val::from_u16(ACCOUNT_TAG), a, b, c, d])
}

/// An account's balance and the digests that link its leaf to a root: what a step is given for
/// each account a transaction reads and writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountProof {
    /// The balance the prover claims, `None` when it claims the account does not exist.
    pub balance: Option<u64>,
    /// The sibling of the path's node at each level, from the leaf's sibling up to the root's
    /// children.
    pub siblings: [Digest; DEPTH],
}

impl AccountProof {
    /// The root of the tree in which `account`'s leaf is `leaf` and the other nodes are as the
    /// siblings say. `visit` sees each node of the path with its level: the leaf (level 0)
    /// first, the root (level [`DEPTH`]) last.
    pub fn root_visiting(
        &self,
        hasher: &Hasher,
        account: u32,
        leaf: Digest,
        mut visit: impl FnMut(usize, &Digest),
    ) -> Digest {
        let mut node = leaf;
        for (level, sibling) in self.siblings.iter().enumerate() {
            visit(level, &node);
            node = if account >> level & 1 == 0 {
                hasher.compress(&node, sibling)
            } else {
                hasher.compress(sibling, &node)
            };
        }
        visit(DEPTH, &node);
        node
    }

    /// [`Self::root_visiting`] without a visitor.
    pub fn root(&self, hasher: &Hasher, account: u32, leaf: Digest) -> Digest {
        self.root_visiting(hasher, account, leaf, |_, _| {})
    }
}

/// The whole tree, as the host keeps it: the nodes that differ from an empty subtree's.
#[derive(Clone, Debug)]
pub struct Tree {
    hasher: Hasher,
    /// The root of an empty subtree of each height (`empty[0]` is the empty leaf).
    empty: [Digest; DEPTH + 1],
    /// Non-empty nodes by (level, index at that level); level 0 holds the leaves.
    nodes: BTreeMap<(usize, u64), Digest>,
}

impl Default for Tree {
    fn default() -> Self {
        Self::new()
    }
}

impl Tree {
    /// The tree with no accounts.
    pub fn new() -> Self {
        let hasher = Hasher::new();
        let mut empty = [EMPTY_LEAF; DEPTH + 1];
        for level in 0..DEPTH {
            empty[level + 1] = hasher.compress(&empty[level], &empty[level]);
        }
        Self {
            hasher,
            empty,
            nodes: BTreeMap::new(),
        }
    }

    fn node(&self, level: usize, index: u64) -> Digest {
        self.nodes
            .get(&(level, index))
            .copied()
            .unwrap_or(self.empty[level])
    }

    /// The root.
    pub fn root(&self) -> Digest {
        self.node(DEPTH, 0)
    }

    /// The proof that `account` holds `balance`, which the caller knows (the tree keeps digests,
    /// not balances).
    pub fn proof(&self, account: u32, balance: Option<u64>) -> AccountProof {
        let index = u64::from(account);
        AccountProof {
            balance,
            siblings: core::array::from_fn(|level| self.node(level, (index >> level) ^ 1)),
        }
    }

    /// Sets `account`'s leaf to that of `balance` and updates the nodes above it.
    pub fn set(&mut self, account: u32, balance: Option<u64>) {
        let leaf = leaf(&self.hasher, balance);
        let index = u64::from(account);
        let proof = self.proof(account, balance);
        let root = proof.root_visiting(&self.hasher, account, leaf, |level, node| {
            self.nodes.insert((level, index >> level), *node);
        });
        debug_assert_eq!(self.root(), root);
    }
}
