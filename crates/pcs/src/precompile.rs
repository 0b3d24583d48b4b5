//! The machine's precompiles, for the verifier running inside a guest (documented in
//! `docs/abi.md`): Poseidon2 by POSEIDON2, and the DEEP combinations of opened rows by
//! EXT_COMBINE ([`ext_combine`]).
//!
//! The state is a `[KoalaBear; 16]`, whose memory is 16 `u32` Montgomery forms below `p`, which
//! is exactly the precompile's Montgomery representation: the state goes to the call as it is,
//! with no conversion. The call needs it 8-byte aligned; a state that is not goes through an
//! aligned copy.

use alloc::vec::Vec;
use core::arch::asm;

use droste_isa::abi::{ext_combine as combine_abi, poseidon2, syscall};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
use p3_symmetric::{CryptographicPermutation, Permutation};

use crate::codec::{val_from_reduced, val_to_u32};
use crate::hash::{overwrite_half, PermuteState, State, RATE, WIDTH};
use crate::{Challenge, Digest, Val, EXT_DEGREE};

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

impl PermuteState for Poseidon2Precompile {
    /// One `ecall` on the state in place.
    fn permute_state(&self, state: &mut State) {
        // SAFETY: `State` is 16 `KoalaBear`s (Montgomery words below p), 8-byte aligned.
        unsafe { ecall(state.0.as_mut_ptr()) };
    }

    /// Three instructions per block where the blocks can be read in place (aligned, in RAM):
    /// a POSEIDON2_FROM call on the next block, the step to the next block and the loop's
    /// branch on the end pointer. Elsewhere eleven: four doubleword moves into the state, a
    /// POSEIDON2 call, the step, the branch. As a Rust loop around [`ecall`] the compiler sets
    /// the call's registers again for every block, and counts the blocks in a register of its
    /// own (one more `addi` per block, a row of `add_imm`, the recursion guest's tallest table).
    fn absorb_blocks(&self, state: &mut State, blocks: &[Val]) {
        let count = blocks.len() / RATE;
        if count == 0 {
            return;
        }
        if readable_in_place(blocks) {
            // SAFETY: the loop reads `count` blocks of `RATE` Montgomery words (below p) from
            // `blocks` (its length; aligned and in RAM, as just checked), each standing in for
            // the state's first half, and permutes the state (16 Montgomery words below p,
            // 8-byte aligned) in place. The call changes no register; the loop's own registers
            // are declared clobbered.
            unsafe {
                asm!(
                    "2:",
                    "ecall",
                    "addi a2, a2, 32",
                    "bne a2, {end}, 2b",
                    end = in(reg) blocks[count * RATE..].as_ptr(),
                    inout("a2") blocks.as_ptr() => _,
                    in("a0") state.0.as_mut_ptr(),
                    in("a1") poseidon2::MONTGOMERY,
                    in("a7") syscall::POSEIDON2_FROM,
                    options(nostack)
                );
            }
            return;
        }
        // SAFETY: the loop reads `count` blocks of `RATE` words from `blocks` (its length) and
        // writes the state's first half, then permutes the state (16 Montgomery words below p,
        // 8-byte aligned) in place; droste's `ld`/`sd` take any alignment. The call changes no
        // register; the loop's own registers are declared clobbered.
        unsafe {
            asm!(
                "2:",
                "ld {t}, 0({src})",
                "sd {t}, 0(a0)",
                "ld {t}, 8({src})",
                "sd {t}, 8(a0)",
                "ld {t}, 16({src})",
                "sd {t}, 16(a0)",
                "ld {t}, 24({src})",
                "sd {t}, 24(a0)",
                "ecall",
                "addi {src}, {src}, 32",
                "bne {src}, {end}, 2b",
                src = inout(reg) blocks.as_ptr() => _,
                end = in(reg) blocks[count * RATE..].as_ptr(),
                t = out(reg) _,
                in("a0") state.0.as_mut_ptr(),
                in("a1") poseidon2::MONTGOMERY,
                in("a7") syscall::POSEIDON2,
                options(nostack)
            );
        }
    }

    /// One POSEIDON2_FROM call where `words` can be read in place (aligned, in RAM); else the
    /// copy into the state and a POSEIDON2 call.
    fn permute_from(&self, state: &mut State, half: usize, words: &Digest) {
        if !readable_in_place(words) {
            overwrite_half(state, half, words);
            self.permute_state(state);
            return;
        }
        let mode = poseidon2::MONTGOMERY + half as u64 * poseidon2::SECOND_HALF;
        // SAFETY: `words` are 8 Montgomery words below p, aligned and in RAM (just checked),
        // standing in for the state's half `half`; the state is 16 Montgomery words below p,
        // 8-byte aligned, permuted in place. The call changes no register.
        unsafe {
            asm!(
                "ecall",
                in("a7") syscall::POSEIDON2_FROM,
                in("a0") state.0.as_mut_ptr(),
                in("a1") mode,
                in("a2") words.as_ptr(),
                options(nostack, preserves_flags)
            );
        }
    }
}

/// Whether POSEIDON2_FROM can read `words` where they are: 8-byte aligned and in RAM (below
/// `STACK_TOP`; a proof read in place from the private input is not).
fn readable_in_place(words: &[Val]) -> bool {
    let start = words.as_ptr() as u64;
    start % poseidon2::STATE_ALIGN == 0
        && start + 4 * words.len() as u64 <= droste_isa::abi::STACK_TOP
}

/// EXT_COMBINE's block: `alpha`, `w`, the result, as Montgomery words.
#[repr(C, align(8))]
struct Block([u32; combine_abi::BLOCK_WORDS]);

const _: () = assert!(core::mem::align_of::<Block>() as u64 == combine_abi::ALIGN);

/// `a * b` by one EXT_COMBINE call: with `alpha = X` (the extension's generator), `w = a` and
/// the values `b`'s coordinates, `w * sum_d alpha^d v_d = a * sum_d X^d b_d = a * b`. About 25
/// instructions (the block's words, the call, the result) against about 130 for Plonky3's
/// product in software (sixteen Montgomery products and their reductions).
pub(crate) fn ext_mul(a: Challenge, b: Challenge) -> Challenge {
    /// `b`'s coordinates, aligned as the call needs.
    #[repr(C, align(8))]
    struct Values([Val; EXT_DEGREE]);
    // `X`: coordinates `(0, 1, 0, 0)`.
    let generator = [0, val_to_u32(Val::ONE), 0, 0];
    let values = Values(core::array::from_fn(|d| b.as_basis_coefficients_slice()[d]));
    ext_combine(&values.0, &generator, &crate::ext::words(a))
}

/// `w * sum_c alpha^c values[c]` by one EXT_COMBINE call; `alpha` and `w` are the Montgomery
/// words of extension elements (below p).
///
/// The caller guarantees what the call needs of `values` (a `Val` is its Montgomery word, below
/// p): an 8-byte aligned start, an even length, and RAM (below `STACK_TOP`).
pub(crate) fn ext_combine(
    values: &[Val],
    alpha: &[u32; EXT_DEGREE],
    w: &[u32; EXT_DEGREE],
) -> Challenge {
    CombineBlock::new(alpha, w).call(values)
}

/// An EXT_COMBINE block kept across calls with the same `alpha` and `w`: they are written once,
/// and a call only writes the result, which is read back.
pub(crate) struct CombineBlock(Block);

impl CombineBlock {
    /// A block for `alpha` and `w`, Montgomery words of extension elements (below p).
    pub(crate) fn new(alpha: &[u32; EXT_DEGREE], w: &[u32; EXT_DEGREE]) -> Self {
        let mut block = Block([0; combine_abi::BLOCK_WORDS]);
        block.0[combine_abi::ALPHA..][..EXT_DEGREE].copy_from_slice(alpha);
        block.0[combine_abi::WEIGHT..][..EXT_DEGREE].copy_from_slice(w);
        Self(block)
    }

    /// `w * sum_c alpha^c values[c]`: one call, under the contract of [`ext_combine`].
    #[inline(always)]
    pub(crate) fn call(&mut self, values: &[Val]) -> Challenge {
        let result = self.call_words(values);
        Challenge::from_basis_coefficients_fn(|d| val_from_reduced(result[d]))
    }

    /// [`Self::call`]'s result as the Montgomery words the call wrote.
    #[inline(always)]
    fn call_words(&mut self, values: &[Val]) -> [u32; EXT_DEGREE] {
        debug_assert!(values.as_ptr() as u64 % combine_abi::ALIGN == 0 && values.len() % 2 == 0);
        // SAFETY: the call reads `values.len()` words at `values` (valid, aligned, in RAM as the
        // caller guarantees) and the 48-byte aligned block, writes only the block's result, and
        // changes no register.
        unsafe {
            asm!(
                "ecall",
                in("a7") syscall::EXT_COMBINE,
                in("a0") values.as_ptr(),
                in("a1") values.len(),
                in("a2") self.0 .0.as_mut_ptr(),
                options(nostack, preserves_flags)
            );
        }
        core::array::from_fn(|d| self.0 .0[combine_abi::RESULT + d])
    }
}

/// `1, alpha, ..., alpha^(n-1)` as Montgomery words (the batching weights), one EXT_COMBINE call
/// per power on one block: with `alpha = X` in the block, `alpha`'s coordinates as the values and
/// the previous power as `w`, the call is `w * sum_d X^d alpha_d = w * alpha`, and its result
/// words are the next `w`. About a dozen instructions per power, against about 50 for
/// [`ext_mul`] and the conversion to words (a proof batches thousands of columns).
pub(crate) fn ext_powers(alpha: Challenge, n: usize) -> Vec<[u32; EXT_DEGREE]> {
    /// `alpha`'s coordinates, aligned as the call needs.
    #[repr(C, align(8))]
    struct Values([Val; EXT_DEGREE]);
    let values = Values(core::array::from_fn(|d| {
        alpha.as_basis_coefficients_slice()[d]
    }));
    let generator = [0, val_to_u32(Val::ONE), 0, 0];
    let mut power = [val_to_u32(Val::ONE), 0, 0, 0];
    let mut block = CombineBlock::new(&generator, &power);
    let mut powers = Vec::with_capacity(n);
    if n > 0 {
        powers.push(power);
    }
    for _ in 1..n {
        power = block.call_words(&values.0);
        block.0 .0[combine_abi::WEIGHT..][..EXT_DEGREE].copy_from_slice(&power);
        powers.push(power);
    }
    powers
}
