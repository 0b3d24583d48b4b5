//! RV64IM instruction model and the guest ABI.
#![no_std]

pub mod abi;
