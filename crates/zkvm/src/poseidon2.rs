//! The POSEIDON2 precompile: Poseidon2 (width 16, KoalaBear, Plonky3's constants, the hash of
//! every droste commitment) in one cycle and one row of the machine's `poseidon2` table, instead
//! of about 15,000 cycles in software.
//!
//! ```ignore
//! let mut state = [0u32; 16];
//! droste_zkvm::poseidon2::permute(&mut state);
//! ```
//!
//! Words are KoalaBear elements: below `p = 2^31 - 2^24 + 1`
//! ([`droste_isa::abi::poseidon2::MODULUS`]); a word that is not ends the guest with an error
//! naming it. [`permute`] takes canonical integers, [`permute_montgomery`] Montgomery forms
//! (`x * 2^32 mod p`, the bytes of a Plonky3 `[KoalaBear; 16]`). The precompile needs the state
//! 8-byte aligned; these functions pass it in place when it is, and through an aligned copy
//! otherwise, so callers need not care.
//!
//! [`permute_from`] (and [`permute_montgomery_from`]) permute a state whose first or second half
//! is taken from 8 words elsewhere, by the POSEIDON2_FROM precompile: a sponge absorbs a block,
//! or a Merkle path takes in a sibling, where it lies instead of copying it into the state (the
//! copy costs more cycles than the call).

use droste_isa::abi::poseidon2::{CANONICAL, HALF, MONTGOMERY, SECOND_HALF, STATE_ALIGN, WIDTH};
use droste_isa::abi::STACK_TOP;

use crate::syscall;

/// A state aligned as the precompile needs it.
#[repr(C, align(8))]
struct Aligned([u32; WIDTH]);

const _: () = assert!(core::mem::align_of::<Aligned>() as u64 == STATE_ALIGN);

fn permute_as(state: &mut [u32; WIDTH], representation: u64) {
    if state.as_ptr() as u64 % STATE_ALIGN == 0 {
        // SAFETY: `state` is 64 writable, aligned bytes.
        unsafe { syscall::poseidon2(state.as_mut_ptr(), representation) };
    } else {
        let mut aligned = Aligned(*state);
        // SAFETY: `aligned` is 64 writable bytes with the alignment checked above.
        unsafe { syscall::poseidon2(aligned.0.as_mut_ptr(), representation) };
        *state = aligned.0;
    }
}

/// Replaces `state`, 16 canonical KoalaBear elements (each below `p`), by its Poseidon2
/// permutation.
pub fn permute(state: &mut [u32; WIDTH]) {
    permute_as(state, CANONICAL);
}

/// [`permute`] on Montgomery forms (`x * 2^32 mod p`, each below `p`), the in-memory
/// representation of Plonky3's `KoalaBear`; the output is in the same form.
pub fn permute_montgomery(state: &mut [u32; WIDTH]) {
    permute_as(state, MONTGOMERY);
}

/// Which half of the state [`permute_from`]'s words stand in for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Half {
    /// Words 0..8.
    First,
    /// Words 8..16.
    Second,
}

/// Eight words aligned as the precompile needs them.
#[repr(C, align(8))]
struct AlignedHalf([u32; HALF]);

fn permute_from_as(state: &mut [u32; WIDTH], half: Half, words: &[u32; HALF], representation: u64) {
    let mode = match half {
        Half::First => representation,
        Half::Second => representation + SECOND_HALF,
    };
    let start = words.as_ptr() as u64;
    let in_place = start % STATE_ALIGN == 0 && start + 4 * HALF as u64 <= STACK_TOP;
    let copy;
    let words = if in_place {
        words.as_ptr()
    } else {
        copy = AlignedHalf(*words);
        copy.0.as_ptr()
    };
    if state.as_ptr() as u64 % STATE_ALIGN == 0 {
        // SAFETY: `state` is 64 writable, aligned bytes; `words` 32 readable bytes, aligned and
        // in RAM (checked, or the aligned copy on the stack).
        unsafe { syscall::poseidon2_from(state.as_mut_ptr(), mode, words) };
    } else {
        let mut aligned = Aligned(*state);
        // SAFETY: as above, with the aligned copy of the state.
        unsafe { syscall::poseidon2_from(aligned.0.as_mut_ptr(), mode, words) };
        *state = aligned.0;
    }
}

/// Replaces `state` by the Poseidon2 permutation of `state` with its half `half` replaced by
/// `words`: 24 canonical KoalaBear elements in all (the replaced half of `state` is not read, so
/// it may hold anything). One POSEIDON2_FROM call, reading `words` where they are when they are
/// 8-byte aligned in RAM (through an aligned copy otherwise).
pub fn permute_from(state: &mut [u32; WIDTH], half: Half, words: &[u32; HALF]) {
    permute_from_as(state, half, words, CANONICAL);
}

/// [`permute_from`] on Montgomery forms (`x * 2^32 mod p`, each below `p`); the output is in
/// the same form.
pub fn permute_montgomery_from(state: &mut [u32; WIDTH], half: Half, words: &[u32; HALF]) {
    permute_from_as(state, half, words, MONTGOMERY);
}
