//! Gadgets of the arithmetic chips (`bitwise`, `lt`, `shift`, `mul`, `divrem`) and the precompile
//! tables (`poseidon2`, `ext_combine`): reusable operations that own both their witness filling (`populate`) and their constraints and lookups
//! (`eval`).

pub mod abs_word;
pub mod byte_split;
pub mod canonical_word;
pub mod mul_add128;
pub mod opcode_selector;
pub mod sign_bit;
pub mod word_compare;

#[cfg(test)]
pub mod row_check;
