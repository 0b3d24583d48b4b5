//! The host side of droste: build a guest, give it input, execute it, prove and verify its runs,
//! read what it committed.
//!
//! ```no_run
//! use droste_sdk::{build_guest, execute, prove, verify, ExecOptions, Input, ProofOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let elf = std::fs::read(build_guest("guests/fibonacci")?)?;
//! let input = Input::new().write_slice(&90u64.to_le_bytes());
//! let execution = execute(&elf, &input, &ExecOptions::default())?;
//! println!("{} cycles", execution.cycles);
//!
//! let proof = prove(&elf, &input, ProofOptions::default())?;
//! proof.save("fib.proof")?;
//! let public = verify(proof.bytes(), &elf)?;
//! let fib = u64::from_le_bytes(public.public_output[..8].try_into()?);
//! println!("fib(90) = {fib}, exit code {}", public.exit_code);
//! # Ok(())
//! # }
//! ```

mod allocator;
pub mod continuation;
mod execute;
mod guest_build;
mod input;
mod inspect;
mod output;
mod proof_file;
mod prove;
pub mod recursion;
mod verify;

/// The host examples of the README and docs, compiled as doc tests. Guest examples are marked
/// `ignore` there (they compile for the guest target only); `tests/examples.rs` builds and runs
/// them as guests.
#[cfg(doctest)]
pub mod doc_examples {
    #[doc = include_str!("../../../README.md")]
    pub struct Readme;
    #[doc = include_str!("../../../docs/cli.md")]
    pub struct Cli;
    #[doc = include_str!("../../../docs/guests.md")]
    pub struct Guests;
    #[doc = include_str!("../../../docs/chains.md")]
    pub struct Chains;
}

pub use allocator::{
    peak_resident_kib, resident_kib, tune_allocator_for_proving, LargeBlocks, ProvingAllocator,
};
pub use droste_executor::{ExecError, ExecOptions, Execution, Profile, Program};
pub use droste_machine::{
    BucketCost, MachineError, ProofOptions, ProvingCost, PublicValues, TableCost, VerifyingKey,
    MAX_CYCLES,
};
pub use droste_zkvm::codec::CodecError;
pub use execute::{execute, execute_with_progress, proving_cost, ExecuteError, Guest};
pub use guest_build::{build_guest, repo_root, BuildError, GUEST_TARGET};
pub use input::Input;
pub use inspect::{
    inspect, AggregateReport, ComponentBits, InspectError, ParametersReport, ProofReport,
    SectionSize, SecurityFigures, StatementReport, TableReport,
};
pub use output::{OutputError, PublicOutput};
pub use proof_file::{read_capped, read_proof_file, ProofFile, ProofFileError, MAX_PROOF_FILE_LEN};
pub use prove::{
    prove, prove_with_progress, Phase, ProgressEvent, Proof, ProveError, ProveStats, Prover,
    TableHeight,
};
pub use verify::{
    guest_vkeys, preset, preset_name, proof_options, proof_vkey, statement, verify,
    verify_exit_code, verifying_key, vkey, Verifier, VerifyError, VkeyDigest, PRESETS,
};
