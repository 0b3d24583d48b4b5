//! The EXT_COMBINE precompile: `w * sum_c alpha^c v_c` for KoalaBear values `v_c` and elements
//! `alpha`, `w` of its degree-4 extension (`X^4 = 3`, droste's `Challenge`), the linear
//! combination a STARK verifier spends its DEEP phase on. One cycle, one row of the machine's
//! `ext_combine` table per call and one of `ext_combine_rows` per two values, instead of about
//! 16 cycles per value in software.
//!
//! ```ignore
//! let values: [u32; 6] = [1, 2, 3, 4, 5, 6];            // Montgomery words
//! let result = droste_zkvm::ext_combine::combine(&values, [7, 0, 0, 0], [1, 0, 0, 0]);
//! ```
//!
//! Every word is a Montgomery form (`x * 2^32 mod p`, the bytes of a Plonky3 `KoalaBear`; an
//! extension element is its 4 basis coefficients, the bytes of a `BinomialExtensionField<
//! KoalaBear, 4>`), below `p` ([`droste_isa::abi::poseidon2::MODULUS`]); a word that is not ends
//! the guest with an error naming it. The precompile needs the values 8-byte aligned, an even
//! count, and RAM: [`combine`] passes them in place when they are, and otherwise through an
//! aligned copy (an odd count gets a zero value appended, which adds nothing).

use droste_isa::abi::ext_combine::{ALIGN, ALPHA, BLOCK_WORDS, EXT_WORDS, RESULT, WEIGHT};
use droste_isa::abi::STACK_TOP;

use crate::syscall;

/// The block as the precompile needs it.
#[repr(C, align(8))]
struct Block([u32; BLOCK_WORDS]);

/// Two words, 8-byte aligned: the unit of an aligned copy.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
struct Pair([u32; 2]);

const _: () = assert!(core::mem::align_of::<Block>() as u64 == ALIGN);

/// `w * sum_c alpha^c values[c]` on Montgomery words (see the module docs).
pub fn combine(values: &[u32], alpha: [u32; EXT_WORDS], w: [u32; EXT_WORDS]) -> [u32; EXT_WORDS] {
    let mut block = Block([0; BLOCK_WORDS]);
    block.0[ALPHA..ALPHA + EXT_WORDS].copy_from_slice(&alpha);
    block.0[WEIGHT..WEIGHT + EXT_WORDS].copy_from_slice(&w);
    let start = values.as_ptr() as u64;
    let in_place =
        start % ALIGN == 0 && values.len() % 2 == 0 && start + 4 * values.len() as u64 <= STACK_TOP;
    if in_place {
        // SAFETY: `values` is readable, aligned, even and in RAM as just checked; `block` is
        // 48 writable aligned bytes.
        unsafe { syscall::ext_combine(values.as_ptr(), values.len(), block.0.as_mut_ptr()) };
    } else {
        let copy: Vec<Pair> = values
            .chunks(2)
            .map(|pair| Pair([pair[0], pair.get(1).copied().unwrap_or(0)]))
            .collect();
        // SAFETY: `copy` is `2 * copy.len()` aligned words on the heap (RAM); `block` as above.
        unsafe { syscall::ext_combine(copy.as_ptr().cast(), 2 * copy.len(), block.0.as_mut_ptr()) };
    }
    block.0[RESULT..RESULT + EXT_WORDS]
        .try_into()
        .expect("4 words")
}
