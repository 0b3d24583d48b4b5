//! The multi-opening walk of [`super::verify_multi`] as the guest runs it: every frontier node
//! lives in a permutation state of its own, so hashing happens where the digests are.
//!
//! Why: inside a guest a permutation is one POSEIDON2 call and the walk's cost is moving digests.
//! The general walk ([`super::multi`]) builds each level's digests into a new vector, copying
//! both children into a scratch state and the parent out of it (24 doubleword moves per
//! compression, plus the vectors' bookkeeping: about 85 cycles per compression, two thirds of
//! the Merkle phase). Here node `k` of the frontier is the first half of `slots[k]`: a leaf is
//! hashed in its slot; a parent is its left child's slot permuted after the right child's digest
//! (or the proof's sibling) was copied into the slot's second half, and a left sibling from the
//! proof swaps the halves first. The parents are packed to the front of the frontier as the
//! level is walked, which moves a digest only when an earlier pair had both children open.
//!
//! The walk takes the same pairs ([`level_pairs`]'s rule), the same siblings in the same order
//! and returns the same root and errors as the general one; the tests run both over the same
//! openings, honest and tampered.

use alloc::vec::Vec;

use super::multi::{rows_shape, siblings_shape, LevelRows};
use crate::hash::{copy_block, sponge, zero_state, PermuteState, State};
use crate::{Digest, PcsError, DIGEST_ELEMS};

/// The root that the opened `rows` and the proof's `siblings` lead to from `leaves` (sorted,
/// distinct, below `2^log_height`, checked by the caller, as is the order of `rows`' levels),
/// with `permute` as the permutation. `slots` and `nodes` are reused buffers.
pub(crate) fn walk(
    permute: impl PermuteState,
    log_height: usize,
    leaves: &[usize],
    rows: &[LevelRows<'_>],
    siblings: &[Digest],
    (slots, nodes): (&mut Vec<State>, &mut Vec<usize>),
) -> Result<Digest, PcsError> {
    nodes.clear();
    nodes.extend_from_slice(leaves);
    slots.clear();
    slots.resize_with(leaves.len(), zero_state);
    let given = siblings.len();
    let mut rows = rows.iter().peekable();
    let mut siblings = siblings.iter();
    for level in 0..=log_height {
        if let Some(level_rows) = rows.next_if(|r| r.level == level) {
            rows_shape(level_rows, nodes.len())?;
            let width = level_rows.width;
            for (i, slot) in slots.iter_mut().enumerate() {
                let row = &level_rows.rows[i * width..(i + 1) * width];
                if level == 0 {
                    sponge(&permute, row, slot);
                } else {
                    // `compress(node, hash(rows))`: the rows' digest into the second half.
                    let mut injected = zero_state();
                    sponge(&permute, row, &mut injected);
                    // SAFETY: a half of `DIGEST_ELEMS` words and a digest, of distinct states.
                    unsafe { copy_block(slot.0[DIGEST_ELEMS..].as_mut_ptr(), injected.0.as_ptr()) };
                    permute.permute_state(slot);
                }
            }
        }
        if level == log_height {
            break;
        }
        let missing = || siblings_shape(leaves, log_height, given);
        let (nodes_now, slots_now) = (&mut nodes[..], &mut slots[..]);
        let len = nodes_now.len();
        let (mut pos, mut parents) = (0, 0);
        while pos < len {
            let (at, node) = (pos, nodes_now[pos]);
            let (head, tail) = slots_now.split_at_mut(at + 1);
            let (left, right) = head[at].0.split_at_mut(DIGEST_ELEMS);
            if node & 1 == 1 {
                // A right child: (sibling, node).
                let sibling = siblings.next().ok_or_else(missing)?;
                // SAFETY: the halves are `DIGEST_ELEMS` words each and disjoint; the sibling is
                // a digest of the proof.
                unsafe {
                    copy_block(right.as_mut_ptr(), left.as_ptr());
                    copy_block(left.as_mut_ptr(), sibling.as_ptr());
                }
                pos += 1;
            } else if let Some((next, _)) =
                tail.split_first().filter(|_| nodes_now[at + 1] == node + 1)
            {
                // Both children are open: the right one's digest into the left one's slot.
                // SAFETY: a half of `DIGEST_ELEMS` words and the next slot's digest.
                unsafe { copy_block(right.as_mut_ptr(), next.0.as_ptr()) };
                pos += 2;
            } else {
                // A left child: (node, sibling).
                let sibling = siblings.next().ok_or_else(missing)?;
                // SAFETY: a half of `DIGEST_ELEMS` words and a digest of the proof.
                unsafe { copy_block(right.as_mut_ptr(), sibling.as_ptr()) };
                pos += 1;
            }
            permute.permute_state(&mut head[at]);
            if at != parents {
                let (to, from) = head.split_at_mut(at);
                // SAFETY: two distinct slots (`parents < at`), a digest's words each.
                unsafe { copy_block(to[parents].0.as_mut_ptr(), from[0].0.as_ptr()) };
            }
            nodes_now[parents] = node >> 1;
            parents += 1;
        }
        nodes.truncate(parents);
        slots.truncate(parents);
    }
    if siblings.next().is_some() {
        return Err(siblings_shape(leaves, log_height, given));
    }
    Ok(core::array::from_fn(|i| slots[0].0[i]))
}
