//! RV64IM instruction model and the guest ABI, shared by the executor, the AIRs and the guest
//! runtime.
//!
//! - [`Opcode`] / [`Instruction`]: the decoded form of every RV64IM instruction droste runs.
//! - [`decode`] / [`encode`]: 32-bit words to instructions and back, with typed errors naming
//!   the unsupported extension (C, A, F/D, Zicsr, ...).
//! - [`alu`]: the semantics of every computation, as pure functions, so the interpreter and the
//!   AIR tests share one definition.
//! - [`abi`]: the memory map and system call numbers.
//!
//! The crate is `no_std` and has no dependencies so that guests (the recursion verifier) can use
//! it too.
#![no_std]

pub mod abi;
pub mod alu;
mod decode;
mod encode;
mod instruction;
mod opcode;

pub use decode::{decode, DecodeError};
pub use encode::{encode, EncodeError};
pub use instruction::Instruction;
pub use opcode::{AluOp, BranchOp, Format, LoadOp, MemWidth, Opcode};
