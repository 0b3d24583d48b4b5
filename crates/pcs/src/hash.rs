//! Poseidon2 (width 16, KoalaBear, Plonky3's published constants) as leaf hash, 2-to-1
//! compression and transcript permutation.
//!
//! Leaves are hashed by a padding-free sponge (rate 8, capacity 8) over the row's field
//! elements; padding is unnecessary because every leaf length is fixed by the verifier's own
//! claim (matrix widths), never chosen by the prover. Internal nodes use the truncated
//! permutation `compress(l, r) = P(l || r)[0..8]`. Both match Plonky3's `PaddingFreeSponge<_,16,8,8>`
//! and `TruncatedPermutation<_,2,8,16>`, which we use directly (and which also hash 8 packed
//! lanes at once with the prover's SIMD packing).
//!
//! Inside a guest (`target_os = "zkvm"`), where the verifier runs for recursion, [`Perm`] is the
//! machine's POSEIDON2 precompile instead of the software permutation: the same function, one
//! cycle instead of about 15,000, and every hash of the verifier goes through it.

use alloc::vec::Vec;

use p3_field::{Field, PackedValue};
use p3_symmetric::{
    CryptographicHasher, PaddingFreeSponge, Permutation, PseudoCompressionFunction,
    TruncatedPermutation,
};

use crate::{Digest, Val, DIGEST_ELEMS};

/// State width of the permutation.
pub const WIDTH: usize = 16;
/// Sponge rate (elements absorbed per permutation); the capacity is `WIDTH - RATE`.
pub const RATE: usize = 8;

/// The Poseidon2 permutation used everywhere in droste: Plonky3's (packed where the target
/// has SIMD) natively.
#[cfg(not(target_os = "zkvm"))]
pub type Perm = p3_koala_bear::Poseidon2KoalaBear<WIDTH>;
/// The Poseidon2 permutation used everywhere in droste: in a guest, the POSEIDON2 precompile.
#[cfg(target_os = "zkvm")]
pub type Perm = crate::precompile::Poseidon2Precompile;

#[cfg(not(target_os = "zkvm"))]
fn new_perm() -> Perm {
    p3_koala_bear::default_koalabear_poseidon2_16()
}

#[cfg(target_os = "zkvm")]
fn new_perm() -> Perm {
    crate::precompile::Poseidon2Precompile
}
/// Leaf hasher.
pub type LeafHasher = PaddingFreeSponge<Perm, WIDTH, RATE, DIGEST_ELEMS>;
/// Internal-node compression.
pub type NodeCompressor = TruncatedPermutation<Perm, 2, DIGEST_ELEMS, WIDTH>;

/// One instance of the permutation, shared by leaf hashing, compression and the transcript.
///
/// Building the permutation copies its round constants, so it is built once per prover or per
/// verification and passed around by reference.
#[derive(Clone, Debug)]
pub struct Hasher {
    perm: Perm,
    leaf: LeafHasher,
    node: NodeCompressor,
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new()
    }
}

impl Hasher {
    /// Poseidon2 with Plonky3's published KoalaBear width-16 constants.
    pub fn new() -> Self {
        let perm = new_perm();
        Self {
            leaf: LeafHasher::new(perm.clone()),
            node: NodeCompressor::new(perm.clone()),
            perm,
        }
    }

    /// The raw permutation (for the duplex sponge).
    pub fn permute(&self, state: &mut [Val; WIDTH]) {
        self.perm.permute_mut(state);
    }

    /// The underlying permutation.
    pub fn perm(&self) -> &Perm {
        &self.perm
    }

    /// The leaf sponge.
    pub fn leaf_hasher(&self) -> &LeafHasher {
        &self.leaf
    }

    /// The node compression function.
    pub fn compressor(&self) -> &NodeCompressor {
        &self.node
    }

    /// Hash a sequence of field elements (a leaf: one or more concatenated matrix rows).
    pub fn hash_iter(&self, elems: impl IntoIterator<Item = Val>) -> Digest {
        self.leaf.hash_iter(elems)
    }

    /// Hash a slice of field elements.
    pub fn hash_slice(&self, elems: &[Val]) -> Digest {
        #[cfg(target_os = "zkvm")]
        {
            let mut state = zero_state();
            sponge(&crate::precompile::Poseidon2Precompile, elems, &mut state);
            digest_of(&state)
        }
        #[cfg(not(target_os = "zkvm"))]
        self.leaf.hash_iter(elems.iter().copied())
    }

    /// 2-to-1 compression of two digests (left, right).
    pub fn compress(&self, left: &Digest, right: &Digest) -> Digest {
        #[cfg(target_os = "zkvm")]
        {
            let mut state = zero_state();
            compress(
                &crate::precompile::Poseidon2Precompile,
                left,
                right,
                &mut state,
            );
            digest_of(&state)
        }
        #[cfg(not(target_os = "zkvm"))]
        self.node.compress([*left, *right])
    }

    /// Append to `out` the leaf hash of each of `count` rows of `width` elements, one every
    /// `stride` elements of `rows` (`rows.len() == count * stride`, checked by the caller).
    ///
    /// Why batched: a verifier hashes every opened leaf of a tree at once, and the packed
    /// permutation hashes [`LANES`] independent inputs in about the time of one scalar call
    /// (AVX2: 8 lanes); on targets without packing (the guest) `LANES` is 1 and this is the
    /// scalar sponge.
    pub fn hash_rows_into(
        &self,
        (rows, width, stride): (&[Val], usize, usize),
        count: usize,
        out: &mut Vec<Digest>,
    ) {
        debug_assert!(width <= stride && rows.len() == stride * count);
        let row = |r: usize| &rows[r * stride..r * stride + width];
        out.reserve(count);
        if LANES == 1 {
            // In a guest the digests go straight from the precompile's state into `out`.
            #[cfg(target_os = "zkvm")]
            for r in 0..count {
                let mut state = zero_state();
                sponge(&crate::precompile::Poseidon2Precompile, row(r), &mut state);
                push_digest(out, &state);
            }
            #[cfg(not(target_os = "zkvm"))]
            out.extend((0..count).map(|r| self.hash_slice(row(r))));
            return;
        }
        let mut first = 0;
        while count - first > 1 {
            let lanes = LANES.min(count - first);
            let packed: [Packed; DIGEST_ELEMS] = self.leaf.hash_iter((0..width).map(|c| {
                // Lanes past the last row repeat it; their digests are discarded.
                Packed::from_fn(|lane| row(first + lane.min(lanes - 1))[c])
            }));
            out.extend((0..lanes).map(|lane| unpack(&packed, lane)));
            first += lanes;
        }
        if first < count {
            out.push(self.hash_slice(row(first)));
        }
    }

    /// Append to `out` the compression of every `(left, right)` pair, [`LANES`] per call (see
    /// [`Self::hash_rows_into`]).
    pub fn compress_pairs_into<'a>(
        &self,
        pairs: impl Iterator<Item = (&'a Digest, &'a Digest)>,
        out: &mut Vec<Digest>,
    ) {
        if LANES == 1 {
            // A compression overwrites the whole state, so one state serves every pair.
            #[cfg(target_os = "zkvm")]
            let mut state = zero_state();
            #[cfg(target_os = "zkvm")]
            for (left, right) in pairs {
                compress(
                    &crate::precompile::Poseidon2Precompile,
                    left,
                    right,
                    &mut state,
                );
                push_digest(out, &state);
            }
            #[cfg(not(target_os = "zkvm"))]
            out.extend(pairs.map(|(left, right)| self.compress(left, right)));
            return;
        }
        let mut pairs = pairs.peekable();
        while pairs.peek().is_some() {
            let mut chunk: [(&Digest, &Digest); LANES] = [(&ZERO_DIGEST, &ZERO_DIGEST); LANES];
            let mut lanes = 0;
            for (slot, pair) in chunk.iter_mut().zip(pairs.by_ref()) {
                *slot = pair;
                lanes += 1;
            }
            if lanes == 1 {
                out.push(self.compress(chunk[0].0, chunk[0].1));
                continue;
            }
            // Lanes past the last pair repeat it; their digests are discarded.
            let side =
                |pick: fn(&(&'a Digest, &'a Digest)) -> &'a Digest| -> [Packed; DIGEST_ELEMS] {
                    core::array::from_fn(|j| {
                        Packed::from_fn(|lane| pick(&chunk[lane.min(lanes - 1)])[j])
                    })
                };
            let packed = self.node.compress([side(|p| p.0), side(|p| p.1)]);
            out.extend((0..lanes).map(|lane| unpack(&packed, lane)));
        }
    }
}

/// A placeholder digest for unused lanes.
const ZERO_DIGEST: Digest = [<Val as p3_field::PrimeCharacteristicRing>::ZERO; DIGEST_ELEMS];

/// A permutation state aligned to 8 bytes, as the POSEIDON2 precompile takes it in place.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(8))]
pub(crate) struct State(pub(crate) [Val; WIDTH]);

/// A permutation of an aligned [`State`] in place, as [`sponge`] and [`compress`] take it: the
/// POSEIDON2 precompile in a guest ([`crate::precompile::Poseidon2Precompile`]), any
/// `Fn(&mut State)` (the software permutation in tests).
#[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
pub(crate) trait PermuteState {
    fn permute_state(&self, state: &mut State);

    /// Overwrites the rate with each block of `blocks` (whole `RATE`-word blocks) and permutes
    /// after each: the sponge's full blocks. The guest's precompile runs this as one loop of
    /// its own (the copy, the call and nothing else per block).
    fn absorb_blocks(&self, state: &mut State, blocks: &[Val]) {
        for block in blocks.chunks_exact(RATE) {
            // SAFETY: the block and the state's first half are `RATE` words each.
            unsafe { copy_block(state.0.as_mut_ptr(), block.as_ptr()) };
            self.permute_state(state);
        }
    }

    /// Permutes `state` with its half `half` (0: words 0..8, 1: words 8..16) overwritten by
    /// `words` first: a Merkle node taking in its sibling. The guest's precompile reads the
    /// words where they are (POSEIDON2_FROM) when it can.
    fn permute_from(&self, state: &mut State, half: usize, words: &Digest) {
        overwrite_half(state, half, words);
        self.permute_state(state);
    }
}

/// Overwrites the half `half` (0: words 0..8, 1: words 8..16) of `state` with `words`.
pub(crate) fn overwrite_half(state: &mut State, half: usize, words: &Digest) {
    let half = &mut state.0[half * RATE..][..RATE];
    // SAFETY: a half of the state and a digest are `RATE` words each.
    unsafe { copy_block(half.as_mut_ptr(), words.as_ptr()) };
}

impl<F: Fn(&mut State)> PermuteState for F {
    fn permute_state(&self, state: &mut State) {
        self(state)
    }
}

/// [`LeafHasher`] (Plonky3's padding-free sponge, rate 8) written out over a bare permutation of
/// an aligned state, zero on entry, which holds the digest in its first [`DIGEST_ELEMS`] cells on
/// return: what the guest runs, where every call is one precompile `ecall` on a state that never
/// moves (the generic sponge copies the state and the elements through iterators, which costs
/// more cycles than the permutation itself). Tests hold it to Plonky3's sponge.
#[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
pub(crate) fn sponge(permute: &impl PermuteState, elems: &[Val], state: &mut State) {
    let full = elems.len() / RATE * RATE;
    permute.absorb_blocks(state, &elems[..full]);
    let rest = &elems[full..];
    if !rest.is_empty() {
        // Only the first `rest.len()` rate cells are overwritten (Plonky3's padding-free
        // sponge); element by element through `write_volatile`, which the compiler cannot turn
        // into a `memcpy` call.
        for (cell, &e) in state.0.iter_mut().zip(rest) {
            // SAFETY: `cell` is a valid, aligned, exclusive reference.
            unsafe { core::ptr::write_volatile(cell, e) };
        }
        permute.permute_state(state);
    }
}

/// [`NodeCompressor`] (Plonky3's truncated permutation) over a bare permutation, as
/// [`sponge`]: the digest is left in the first [`DIGEST_ELEMS`] cells of `state`, whose previous
/// contents do not matter (all of it is overwritten).
#[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
fn compress(permute: &impl PermuteState, left: &Digest, right: &Digest, state: &mut State) {
    // SAFETY: digests are `DIGEST_ELEMS = RATE` words, the state's halves 8-byte aligned.
    unsafe {
        copy_block(state.0.as_mut_ptr(), left.as_ptr());
        copy_block(state.0[DIGEST_ELEMS..].as_mut_ptr(), right.as_ptr());
    }
    permute.permute_state(state);
}

/// A zero state, for [`sponge`] and [`compress`].
#[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
pub(crate) fn zero_state() -> State {
    State([<Val as p3_field::PrimeCharacteristicRing>::ZERO; WIDTH])
}

/// The digest a [`sponge`] or [`compress`] left in `state`.
#[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
fn digest_of(state: &State) -> Digest {
    core::array::from_fn(|i| state.0[i])
}

/// Appends the digest a [`sponge`] or [`compress`] left in `state` to `out`, copied straight
/// into the vector's next slot.
#[cfg_attr(not(any(target_os = "zkvm", test)), allow(dead_code))]
fn push_digest(out: &mut Vec<Digest>, state: &State) {
    out.reserve(1);
    let slot = out.spare_capacity_mut()[0].as_mut_ptr().cast::<Val>();
    // SAFETY: `slot` is the vector's first spare slot, `DIGEST_ELEMS` writable words; once they
    // are written, the slot is an initialized element.
    unsafe {
        copy_block(slot, state.0.as_ptr());
        out.set_len(out.len() + 1);
    }
}

/// Copies `RATE` (= [`DIGEST_ELEMS`]) words from `src` to `dst` by doublewords: in a guest,
/// moving blocks in and out of the state costs more than the precompile call, and droste's `ld`
/// and `sd` take any alignment in one cycle, so the copy is four loads and four stores wherever
/// the proof's archive put the digest or row (Rust's unaligned reads would compile to byte
/// loads, hence the assembly). Natively (tests) it is a plain copy.
///
/// # Safety
/// `src` must be valid for reading and `dst` for writing `RATE` words.
#[inline(always)]
pub(crate) unsafe fn copy_block(dst: *mut Val, src: *const Val) {
    const { assert!(RATE == DIGEST_ELEMS && RATE == 8) };
    #[cfg(target_os = "zkvm")]
    // SAFETY: the caller's ranges, `RATE` words each; any bits are a valid doubleword (the
    // words are read and written back unchanged), and droste's `ld`/`sd` take any alignment.
    unsafe {
        core::arch::asm!(
            "ld {t}, 0({s})",
            "sd {t}, 0({d})",
            "ld {t}, 8({s})",
            "sd {t}, 8({d})",
            "ld {t}, 16({s})",
            "sd {t}, 16({d})",
            "ld {t}, 24({s})",
            "sd {t}, 24({d})",
            s = in(reg) src,
            d = in(reg) dst,
            t = out(reg) _,
            options(nostack, preserves_flags)
        );
    }
    #[cfg(not(target_os = "zkvm"))]
    // SAFETY: the caller's ranges, `RATE` words each.
    unsafe {
        core::ptr::copy_nonoverlapping(src, dst, RATE);
    }
}

/// The SIMD packing of [`Val`] on this target (a single element where there is none).
type Packed = <Val as Field>::Packing;
/// Independent hashes per packed permutation call.
pub const LANES: usize = <Packed as PackedValue>::WIDTH;

fn unpack(packed: &[Packed; DIGEST_ELEMS], lane: usize) -> Digest {
    core::array::from_fn(|j| packed[j].as_slice()[lane])
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_field::PrimeCharacteristicRing;

    #[test]
    fn leaf_hash_matches_plain_sponge_definition() {
        // Recompute the padding-free sponge by hand from the permutation: 11 elements = one full
        // block + a partial block that overwrites only the first 3 rate cells.
        let h = Hasher::new();
        let input: alloc::vec::Vec<Val> = (0..11u32).map(Val::from_u32).collect();
        let mut state = [Val::ZERO; WIDTH];
        state[..8].copy_from_slice(&input[..8]);
        h.permute(&mut state);
        state[..3].copy_from_slice(&input[8..]);
        h.permute(&mut state);
        assert_eq!(h.hash_slice(&input), state[..8]);
    }

    #[test]
    fn batched_hashing_equals_one_at_a_time() {
        let h = Hasher::new();
        for width in [0, 1, 7, 8, 9, 32] {
            for count in 0..2 * LANES + 3 {
                let rows: Vec<Val> = (0..(width * count) as u32)
                    .map(|i| Val::from_u32(i * 31 + 7))
                    .collect();
                let mut batched = Vec::new();
                h.hash_rows_into((&rows, width, width), count, &mut batched);
                let single: Vec<Digest> = (0..count)
                    .map(|r| h.hash_slice(&rows[r * width..(r + 1) * width]))
                    .collect();
                assert_eq!(batched, single, "width {width}, count {count}");
            }
        }
        for count in 0..2 * LANES + 3 {
            let pairs: Vec<(Digest, Digest)> = (0..count as u32)
                .map(|i| ([Val::from_u32(i); 8], [Val::from_u32(1000 + i); 8]))
                .collect();
            let mut batched = Vec::new();
            h.compress_pairs_into(pairs.iter().map(|(l, r)| (l, r)), &mut batched);
            let single: Vec<Digest> = pairs.iter().map(|(l, r)| h.compress(l, r)).collect();
            assert_eq!(batched, single, "count {count}");
        }
    }

    /// The written-out sponge and compression the guest uses are Plonky3's.
    #[test]
    fn bare_sponge_and_compression_match_plonky3() {
        let h = Hasher::new();
        let permute = |state: &mut State| h.permute(&mut state.0);
        let all: Vec<Val> = (0..41u32).map(|i| Val::from_u32(i * 17 + 3)).collect();
        // Every length, from an aligned and a misaligned start (the doubleword and the word
        // copies); compressions of an aligned and a misaligned digest below.
        for start in [0, 1] {
            for len in [0, 1, 7, 8, 9, 16, 17, 40] {
                let elems = &all[start..start + len];
                let mut state = zero_state();
                sponge(&permute, elems, &mut state);
                let expected = h.leaf.hash_iter(elems.iter().copied());
                assert_eq!(digest_of(&state), expected);
                let mut out = Vec::with_capacity(3);
                for _ in 0..3 {
                    push_digest(&mut out, &state);
                }
                assert_eq!(out, [expected; 3]);
            }
        }
        let pairs = all[..16].chunks_exact(8).zip(all[1..17].chunks_exact(8));
        for (a, b) in pairs {
            let (a, b): (Digest, Digest) = (a.try_into().unwrap(), b.try_into().unwrap());
            let mut state = zero_state();
            compress(&permute, &a, &b, &mut state);
            assert_eq!(digest_of(&state), h.node.compress([a, b]));
        }
    }

    #[test]
    fn compression_is_order_sensitive() {
        let h = Hasher::new();
        let a = [Val::ONE; 8];
        let b = [Val::TWO; 8];
        assert_ne!(h.compress(&a, &b), h.compress(&b, &a));
    }
}
