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

use droste_isa::abi::poseidon2::{CANONICAL, MONTGOMERY, STATE_ALIGN, WIDTH};

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
