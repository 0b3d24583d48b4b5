//! The EXT_COMBINE precompile ([`droste_isa::abi::syscall::EXT_COMBINE`]): the linear
//! combination `w * sum_c alpha^c v_c` of `n` KoalaBear values with the powers of a degree-4
//! extension element, the arithmetic a droste verifier spends most of its DEEP phase on.
//!
//! The machine proves it by Horner's rule from the last value down, a doubleword (two values)
//! per row: `acc <- (acc * alpha + v_{2j+1}) * alpha + v_{2j}`, starting from zero at the end of
//! the values; the call then multiplies the sum by `w`. [`horner_step`] is that row's
//! arithmetic, shared with the machine's trace generation so the two cannot differ.
//!
//! Every word (values, `alpha`, `w`, result) is a Montgomery form below `p`; anything else ends
//! the run with an error, because the machine proves exactly what the executor accepts.

use droste_isa::abi::ext_combine::{
    ALIGN, ALPHA, BLOCK_BYTES, BLOCK_WORDS, EXT_WORDS, RESULT, WEIGHT,
};
use droste_isa::abi::poseidon2::MODULUS;
use droste_isa::abi::{PROGRAM_START, STACK_TOP};
use p3_field::extension::BinomialExtensionField;
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
use p3_koala_bear::KoalaBear;

use crate::error::ExecError;
use crate::machine::Machine;
use crate::memory::in_ram;
use crate::poseidon2::{field_to_word, word_to_field};

/// The degree-4 extension of KoalaBear (`X^4 = 3`), droste's `Challenge`.
pub type Ext = BinomialExtensionField<KoalaBear, EXT_WORDS>;

/// The extension element whose basis coefficients have the Montgomery words `words`
/// (each below `p`).
pub fn ext_from_words(words: &[u32; EXT_WORDS]) -> Ext {
    Ext::from_basis_coefficients_fn(|d| word_to_field(words[d], true))
}

/// The Montgomery words of `x`'s basis coefficients.
pub fn ext_to_words(x: Ext) -> [u32; EXT_WORDS] {
    let c = x.as_basis_coefficients_slice();
    core::array::from_fn(|d| field_to_word(c[d], true))
}

/// One doubleword of Horner's rule: `(acc * alpha + hi) * alpha + lo`, for the values `lo`
/// (the doubleword's first word) and `hi` (its second).
pub fn horner_step(acc: Ext, alpha: Ext, lo: KoalaBear, hi: KoalaBear) -> Ext {
    (acc * alpha + hi) * alpha + lo
}

/// `w * sum_c alpha^c v_c` over Montgomery words (an even number of them, each below `p`).
pub fn combine_words(values: &[u32], alpha: Ext, w: Ext) -> Ext {
    let sum = values.rchunks_exact(2).fold(Ext::ZERO, |acc, pair| {
        horner_step(
            acc,
            alpha,
            word_to_field(pair[0], true),
            word_to_field(pair[1], true),
        )
    });
    w * sum
}

fn bad(pc: u64, reason: String) -> ExecError {
    ExecError::BadSyscall {
        pc,
        syscall: "EXT_COMBINE",
        reason,
    }
}

/// Checks that every word of `words` is below `p`, naming the first that is not.
fn check_words(pc: u64, what: &str, words: &[u32]) -> Result<(), ExecError> {
    match words.iter().position(|&w| w >= MODULUS) {
        None => Ok(()),
        Some(i) => Err(bad(
            pc,
            format!(
                "{what} {i} is {:#x}, not below the KoalaBear modulus {MODULUS:#x}",
                words[i]
            ),
        )),
    }
}

fn le_words(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect()
}

impl Machine<'_> {
    /// Combines the `count` values at `values` with the `alpha` and `w` of the block at `block`
    /// and writes the result there.
    pub(crate) fn ext_combine(
        &mut self,
        pc: u64,
        values: u64,
        count: u64,
        block: u64,
    ) -> Result<(), ExecError> {
        if values % ALIGN != 0 {
            let reason = format!("values address {values:#x} is not {ALIGN}-byte aligned");
            return Err(bad(pc, reason));
        }
        if count % 2 != 0 {
            let reason = format!("count a1 = {count} is odd: the values are whole doublewords");
            return Err(bad(pc, reason));
        }
        // The values are read in RAM only (the machine reads them as RAM cells).
        if !count.checked_mul(4).is_some_and(|len| in_ram(values, len)) {
            let reason = format!(
                "the {count} values at {values:#x} are not all in RAM [{PROGRAM_START:#x}, {STACK_TOP:#x})"
            );
            return Err(bad(pc, reason));
        }
        if block % ALIGN != 0 {
            let reason = format!("block address {block:#x} is not {ALIGN}-byte aligned");
            return Err(bad(pc, reason));
        }
        self.memory
            .check_writable(block, BLOCK_BYTES)
            .map_err(|f| f.at(pc))?;
        let mut bytes = Vec::with_capacity(4 * count as usize);
        self.memory
            .read_bytes(values, 4 * count, &mut bytes)
            .map_err(|f| f.at(pc))?;
        let value_words = le_words(&bytes);
        check_words(pc, "value", &value_words)?;
        bytes.clear();
        self.memory
            .read_bytes(block, BLOCK_BYTES, &mut bytes)
            .map_err(|f| f.at(pc))?;
        let block_words: [u32; BLOCK_WORDS] = le_words(&bytes).try_into().expect("block words");
        let ext = |at: usize| -> [u32; EXT_WORDS] {
            block_words[at..at + EXT_WORDS].try_into().expect("4 words")
        };
        let (alpha, w) = (ext(ALPHA), ext(WEIGHT));
        check_words(pc, "alpha word", &alpha)?;
        check_words(pc, "weight word", &w)?;
        let result = combine_words(&value_words, ext_from_words(&alpha), ext_from_words(&w));
        let out: Vec<u8> = ext_to_words(result)
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        self.memory
            .write_bytes(block + 4 * RESULT as u64, &out)
            .map_err(|f| f.at(pc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horner_equals_the_sum_of_powers() {
        let word = |i: u32| i.wrapping_mul(0x9e37_79b9) % MODULUS;
        let values: Vec<u32> = (0..10).map(word).collect();
        let alpha = ext_from_words(&[word(11), word(12), word(13), word(14)]);
        let w = ext_from_words(&[word(15), 0, MODULUS - 1, 1]);
        let expected: Ext = values
            .iter()
            .enumerate()
            .map(|(c, &v)| w * alpha.exp_u64(c as u64) * word_to_field(v, true))
            .sum();
        assert_eq!(combine_words(&values, alpha, w), expected);
        assert_eq!(ext_from_words(&ext_to_words(expected)), expected);
        assert_eq!(combine_words(&[], alpha, w), Ext::ZERO);
    }
}
