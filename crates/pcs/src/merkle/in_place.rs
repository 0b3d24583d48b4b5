//! The multi-opening walk of [`super::verify_multi`] as the guest runs it: every frontier node
//! lives in a permutation state of its own, so hashing happens where the digests are.
//!
//! Why: inside a guest a permutation is one POSEIDON2 call and the walk's cost is moving digests.
//! The general walk ([`super::multi`]) builds each level's digests into a new vector, copying
//! both children into a scratch state and the parent out of it (24 doubleword moves per
//! compression, plus the vectors' bookkeeping: about 85 cycles per compression, two thirds of
//! the Merkle phase). Here node `k` of the frontier is the first half of `slots[k]`: a leaf is
//! hashed in its slot; a parent is its left child's slot permuted with the right child's digest
//! (or the proof's sibling) as its second half, which the guest's POSEIDON2_FROM reads where it
//! lies ([`PermuteState::permute_from`]); a left sibling from the proof moves the node to the
//! second half first. The parents are packed to the front of the frontier as the level is walked,
//! which moves a digest only when an earlier pair had both children open.
//!
//! The walk takes the same pairs ([`level_pairs`]'s rule), the same siblings in the same order
//! and returns the same root and errors as the general one; the tests run both over the same
//! openings, honest and tampered.

use alloc::vec::Vec;

use super::multi::{rows_shape, siblings_shape, LevelRows};
use crate::hash::{copy_block, sponge, zero_state, PermuteState, State};
use crate::{Digest, PcsError, DIGEST_ELEMS};

/// The digest in a slot: its first half.
fn first_half(slot: &State) -> &Digest {
    slot.0[..DIGEST_ELEMS]
        .try_into()
        .expect("a state's half is a digest")
}

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
            let (width, stride) = (level_rows.width, level_rows.stride);
            for (i, slot) in slots.iter_mut().enumerate() {
                let row = &level_rows.rows[i * stride..][..width];
                if level == 0 {
                    sponge(&permute, row, slot);
                } else {
                    // `compress(node, hash(rows))`: the rows' digest as the second half.
                    let mut injected = zero_state();
                    sponge(&permute, row, &mut injected);
                    permute.permute_from(slot, 1, first_half(&injected));
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
            let slot = &mut head[at];
            if node & 1 == 1 {
                // A right child: (sibling, node).
                let sibling = siblings.next().ok_or_else(missing)?;
                let (left, right) = slot.0.split_at_mut(DIGEST_ELEMS);
                // SAFETY: the halves are `DIGEST_ELEMS` words each and disjoint.
                unsafe { copy_block(right.as_mut_ptr(), left.as_ptr()) };
                permute.permute_from(slot, 0, sibling);
                pos += 1;
            } else if let Some((next, _)) =
                tail.split_first().filter(|_| nodes_now[at + 1] == node + 1)
            {
                // Both children are open: the right one's digest, in its own slot.
                permute.permute_from(slot, 1, first_half(next));
                pos += 2;
            } else {
                // A left child: (node, sibling).
                let sibling = siblings.next().ok_or_else(missing)?;
                permute.permute_from(slot, 1, sibling);
                pos += 1;
            }
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
