//! Poseidon2 by the machine's POSEIDON2 precompile, for the verifier running inside a guest
//! (`droste_isa::abi::syscall::POSEIDON2`, documented in `docs/abi.md`).
//!
//! The state is a `[KoalaBear; 16]`, whose memory is 16 `u32` Montgomery forms below `p`, which
//! is exactly the precompile's Montgomery representation: the state goes to the call as it is,
//! with no conversion. The call needs it 8-byte aligned; a state that is not goes through an
//! aligned copy.

use core::arch::asm;

use droste_isa::abi::{poseidon2, syscall};
use p3_symmetric::{CryptographicPermutation, Permutation};

use crate::hash::{State, WIDTH};
use crate::Val;

/// The POSEIDON2 precompile as a Plonky3 permutation of `[KoalaBear; 16]`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Poseidon2Precompile;

const _: () = {
    assert!(core::mem::align_of::<State>() as u64 == poseidon2::STATE_ALIGN);
    assert!(core::mem::size_of::<[Val; WIDTH]>() as u64 == poseidon2::STATE_BYTES);
};

/// Permutes the 16 Montgomery words at `state`.
///
/// # Safety
/// `state` must be valid for reading and writing 64 bytes and 8-byte aligned.
unsafe fn ecall(state: *mut Val) {
    // SAFETY: the caller guarantees `state`; the call changes only those 64 bytes and no
    // register.
    unsafe {
        asm!(
            "ecall",
            in("a7") syscall::POSEIDON2,
            in("a0") state,
            in("a1") poseidon2::MONTGOMERY,
            options(nostack, preserves_flags)
        );
    }
}

impl Permutation<[Val; WIDTH]> for Poseidon2Precompile {
    fn permute_mut(&self, state: &mut [Val; WIDTH]) {
        if state.as_ptr() as u64 % poseidon2::STATE_ALIGN == 0 {
            // SAFETY: `KoalaBear` is `repr(transparent)` over its Montgomery `u32` (below p), so
            // `state` is 64 writable bytes of Montgomery words, aligned as just checked.
            unsafe { ecall(state.as_mut_ptr()) };
        } else {
            let mut aligned = State(*state);
            // SAFETY: as above, with the alignment of `State`.
            unsafe { ecall(aligned.0.as_mut_ptr()) };
            *state = aligned.0;
        }
    }
}

impl CryptographicPermutation<[Val; WIDTH]> for Poseidon2Precompile {}

/// Permutes an aligned state in place: one `ecall`.
pub(crate) fn permute(state: &mut State) {
    // SAFETY: `State` is 16 `KoalaBear`s (Montgomery words below p), 8-byte aligned.
    unsafe { ecall(state.0.as_mut_ptr()) };
}
