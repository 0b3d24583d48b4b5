//! The memory argument of continuation shards: instead of the monolithic proof's `registers`,
//! `image` and `dynamic_memory` tables, a shard proof creates its memory cells from the pages
//! it pages in, and proves that these pages, hashed before and after the shard, lead to the
//! memory roots of its statement.
//!
//! - [`pages`]: every doubleword of every paged-in page on the memory bus (initial value at
//!   timestamp 0, final state consumed), each page hashed into its leaf before and after.
//! - [`merkle`]: the leaves' paths to the root's children in both trees, with the untouched
//!   siblings shared between them.
//! - the `registers` table keeps only the sink register (writes to `x0`), which is not memory.
//!
//! The tree, its pages and why 1 KiB: `docs/continuations.md` and `droste_executor::paging`.

pub mod merkle;
pub mod pages;

use alloc::vec::Vec;

use droste_isa::abi::{INPUT_START, MEMORY_TREE_DEPTH};
use p3_field::PrimeCharacteristicRing;

use crate::bus::{MachineBuilder, NODE};

pub use droste_isa::abi::PAGE_SHIFT;

/// Doublewords per page.
pub const PAGE_DWORDS: usize = (1 << PAGE_SHIFT) / 8;
/// Doublewords per row of the `pages` table (8 limbs: the sponge's rate).
pub const CHUNK_DWORDS: usize = 2;
/// Rows per page.
pub const CHUNKS: usize = PAGE_DWORDS / CHUNK_DWORDS;
/// Pages in the tree.
pub const PAGE_COUNT: u32 = 1 << MEMORY_TREE_DEPTH;
/// The first page of the private input: the root's right child is the input.
pub const FIRST_INPUT_PAGE: u32 = (INPUT_START >> PAGE_SHIFT) as u32;
/// The level of the root's children, which a shard's statement names.
pub const ROOT_CHILD_LEVEL: u32 = MEMORY_TREE_DEPTH - 1;
/// Field elements of a digest.
pub const DIGEST: usize = 8;
/// The tree before the shard.
pub const PRE: u32 = 0;
/// The tree after the shard.
pub const POST: u32 = 1;

const _: () = assert!(FIRST_INPUT_PAGE == PAGE_COUNT / 2);

/// A [`NODE`] tuple: `(tree, level, index, digest)`.
pub fn node_tuple<AB: MachineBuilder>(
    tree: AB::Expr,
    level: AB::Expr,
    index: AB::Expr,
    digest: &[AB::Var],
) -> Vec<AB::Expr> {
    [tree, level, index]
        .into_iter()
        .chain(digest.iter().map(|&v| v.into()))
        .collect()
}

/// Sends a page's leaf in `tree`.
fn send_leaf<AB: MachineBuilder>(
    builder: &mut AB,
    tree: u32,
    page: AB::Expr,
    digest: &[AB::Var],
    multiplicity: AB::Expr,
) {
    builder.send(
        NODE,
        node_tuple::<AB>(AB::Expr::from_u32(tree), AB::Expr::ZERO, page, digest),
        multiplicity,
    );
}
