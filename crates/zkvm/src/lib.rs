//! The droste guest runtime.
//!
//! A guest is an ordinary Rust `std` program built for the `riscv64im-droste-zkvm` target (see
//! `toolchain/` and `docs/guests.md`). Rust's standard library implements `target_os = "zkvm"` on
//! top of a handful of `sys_*` functions; this crate exports them, provides the program entry
//! (`_start`), the heap, and the guest side of droste's I/O:
//!
//! ```ignore
//! #![no_main]
//! droste_zkvm::entrypoint!(main);
//!
//! fn main() {
//!     let n: u64 = droste_zkvm::io::read();
//!     droste_zkvm::io::commit(&(n * 2));
//! }
//! ```
//!
//! The crate is also a host workspace member: the parts that do not touch the machine (the item
//! encoding shared with the host SDK, the heap's bookkeeping) compile and are tested on the host.
//! Everything that executes `ecall`s or defines linker-visible symbols is compiled only for
//! `target_os = "zkvm"`.

pub mod codec;
pub mod heap;
pub mod recursion;
#[cfg(feature = "verify")]
pub mod verify;

#[cfg(target_os = "zkvm")]
mod entry;
#[cfg(target_os = "zkvm")]
pub mod ext_combine;
#[cfg(target_os = "zkvm")]
pub mod io;
#[cfg(target_os = "zkvm")]
pub mod poseidon2;
#[cfg(target_os = "zkvm")]
mod sys;
#[cfg(target_os = "zkvm")]
mod syscall;

#[cfg(target_os = "zkvm")]
pub use entry::{cycle_count, halt, step_marker};

/// Declares the guest's `main` function.
///
/// Guests are `#![no_main]`: the runtime's `_start` sets up the stack, installs the panic hook,
/// calls the function named here and halts with exit code 0 when it returns.
#[macro_export]
macro_rules! entrypoint {
    ($main:path) => {
        const _: () = {
            /// Called by `droste_zkvm`'s `_start` once the runtime is set up.
            #[unsafe(no_mangle)]
            fn __droste_guest_main() {
                let main: fn() = $main;
                main()
            }
        };
    };
}
