//! `merkle` and `siblings`: the paths from a shard's page leaves to the two children of the
//! page tree's root, for the tree before the shard ([`PRE`]) and after it ([`POST`]).
//!
//! Every node is a tuple `(tree, level, index, digest)` on [`NODE`] (level 0: the page leaves
//! that the `pages` table sends). A `merkle` row compresses node `index` of height `level + 1`
//! from its children `2 index` and `2 index + 1` of height `level`: it receives both and sends
//! the parent. A `siblings` row is a node the shard does not touch: the prover's witness, sent
//! into *both* trees. The verifier receives the root's children `(tree, 19, 0)` (registers and
//! RAM) and `(tree, 19, 1)` (the input) of both trees from the shard's statement.
//!
//! Why this proves the roots. Every sent tuple must be received once. The only receivers are
//! `merkle` rows and the statement, which receives one node of each of the four positions at
//! level 19; a `merkle` row's children sit at `2 index` and `2 index + 1`, so (by induction from
//! the top) every node in the trace has a position inside the tree, and two nodes at one
//! position of one tree would need two parents there, and so on up to the statement, which has
//! one. So in each tree the leaves and siblings cover the leaf positions exactly once, and by
//! the collision resistance of the compression each of them is the node of that tree at its
//! position. Pages and siblings are the same set in both trees, so the trees differ only in the
//! contents of the shard's pages: memory the shard did not page in is unchanged.

use core::borrow::{Borrow, BorrowMut};

use droste_stark::{Table, Val};
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use super::{node_tuple, DIGEST, POST, PRE};
use crate::bus::{MachineBuilder, NODE};
use crate::chips::poseidon2::{eval_permutation, round_constants, PermCols, WIDTH};
use crate::trace::rows_from_events;

crate::columns! {
    /// One row of the `merkle` table: one compression.
    pub struct MerkleCols<T> {
        pub is_real: T,
        /// [`PRE`] or [`POST`].
        pub tree: T,
        /// Height of the children.
        pub level: T,
        /// Position of the parent.
        pub index: T,
        /// `inputs` are the left and right child, the first 8 outputs the parent.
        pub perm: PermCols<T>,
    }
}

/// A compression: `(tree, children's level, parent's index, children)`.
pub type MerkleEvent = (u32, u32, u32, [Val; WIDTH]);

/// The `merkle` table.
#[derive(Clone, Copy, Debug, Default)]
pub struct MerkleTable;

impl BaseAir<Val> for MerkleTable {
    fn width(&self) -> usize {
        MerkleCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for MerkleTable
where
    AB::Expr: Sync,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &MerkleCols<AB::Var> = main.current_slice().borrow();
        builder.assert_bool(local.is_real);
        builder.assert_bool(local.tree);
        let inputs = &local.perm.cols().inputs;
        let left = local.index.into() * AB::Expr::TWO;
        for (position, child) in [left.clone(), left + AB::Expr::ONE]
            .into_iter()
            .zip([&inputs[..DIGEST], &inputs[DIGEST..]])
        {
            builder.receive(
                NODE,
                node_tuple::<AB>(local.tree.into(), local.level.into(), position, child),
                local.is_real,
            );
        }
        builder.send(
            NODE,
            node_tuple::<AB>(
                local.tree.into(),
                local.level.into() + AB::Expr::ONE,
                local.index.into(),
                &local.perm.output()[..DIGEST],
            ),
            local.is_real,
        );
        let offset = core::mem::offset_of!(MerkleCols<u8>, perm);
        eval_permutation(builder, offset, local.is_real);
    }
}

impl MerkleTable {
    /// The trace of `events`.
    pub fn generate_trace(events: &[MerkleEvent]) -> RowMajorMatrix<Val> {
        let constants = round_constants();
        rows_from_events(
            events,
            MerkleCols::<u8>::WIDTH,
            |&(tree, level, index, children), row| {
                let cols: &mut MerkleCols<Val> = row.borrow_mut();
                cols.is_real = Val::ONE;
                cols.tree = Val::from_u32(tree);
                cols.level = Val::from_u32(level);
                cols.index = Val::from_u32(index);
                cols.perm.fill(children, &constants);
            },
        )
    }
}

impl Table for MerkleTable {
    fn name(&self) -> &str {
        "merkle"
    }

    fn may_be_empty(&self) -> bool {
        true
    }
}

crate::columns! {
    /// One row of the `siblings` table: a node of both trees that the shard does not touch.
    pub struct SiblingCols<T> {
        pub is_real: T,
        pub level: T,
        pub index: T,
        pub digest: [T; DIGEST],
    }
}

/// A sibling: `(level, index, digest)`.
pub type SiblingEvent = (u32, u32, [Val; DIGEST]);

/// The `siblings` table.
#[derive(Clone, Copy, Debug, Default)]
pub struct SiblingTable;

impl BaseAir<Val> for SiblingTable {
    fn width(&self) -> usize {
        SiblingCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for SiblingTable {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &SiblingCols<AB::Var> = main.current_slice().borrow();
        builder.assert_bool(local.is_real);
        for tree in [PRE, POST] {
            builder.send(
                NODE,
                node_tuple::<AB>(
                    AB::Expr::from_u32(tree),
                    local.level.into(),
                    local.index.into(),
                    &local.digest,
                ),
                local.is_real,
            );
        }
    }
}

impl SiblingTable {
    /// The trace of `events`.
    pub fn generate_trace(events: &[SiblingEvent]) -> RowMajorMatrix<Val> {
        rows_from_events(
            events,
            SiblingCols::<u8>::WIDTH,
            |&(level, index, digest), row| {
                let cols: &mut SiblingCols<Val> = row.borrow_mut();
                cols.is_real = Val::ONE;
                cols.level = Val::from_u32(level);
                cols.index = Val::from_u32(index);
                cols.digest = digest;
            },
        )
    }
}

impl Table for SiblingTable {
    fn name(&self) -> &str {
        "siblings"
    }

    fn may_be_empty(&self) -> bool {
        true
    }
}
