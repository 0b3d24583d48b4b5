//! The host side of droste: build a guest, give it input, execute it, read what it committed.
//!
//! ```no_run
//! use droste_sdk::{build_guest, execute, ExecOptions, Input, PublicOutput};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let elf = std::fs::read(build_guest("guests/fibonacci")?)?;
//! let input = Input::new().write_slice(&90u64.to_le_bytes());
//! let execution = execute(&elf, &input, &ExecOptions::default())?;
//! let mut output = PublicOutput::new(&execution.public_output);
//! let fib = u64::from_le_bytes(output.read_slice(8)?.try_into()?);
//! println!("fib(90) = {fib} in {} cycles", execution.cycles);
//! # Ok(())
//! # }
//! ```

mod execute;
mod guest_build;
mod input;
mod output;

pub use droste_executor::{ExecError, ExecOptions, Execution, Program};
pub use droste_zkvm::codec::CodecError;
pub use execute::{execute, ExecuteError, Guest};
pub use guest_build::{build_guest, repo_root, BuildError, GUEST_TARGET};
pub use input::Input;
pub use output::{OutputError, PublicOutput};
