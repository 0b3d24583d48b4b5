//! Gadgets of the arithmetic chips (`bitwise`, `lt`, `shift`, `mul`, `divrem`): reusable
//! operations that own both their witness filling (`populate`) and their constraints and lookups
//! (`eval`).

pub mod abs_word;
pub mod byte_split;
pub mod mul_add128;
pub mod opcode_selector;
pub mod sign_bit;
pub mod word_compare;

#[cfg(test)]
pub mod row_check;
