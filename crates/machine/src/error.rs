//! Typed errors of the machine, one line each.

#[cfg(feature = "prover")]
use droste_executor::ExecError;
use droste_stark::VerifyError;
#[cfg(feature = "prover")]
use droste_stark::{ProveError, SetupError};
use thiserror::Error;

/// Why setup, proving or verification failed.
#[derive(Debug, Error)]
pub enum MachineError {
    /// The program did not run to a halt.
    #[cfg(feature = "prover")]
    #[error("execution failed: {0}")]
    Execution(ExecError),
    /// The run is longer than a proof can cover.
    #[error("the program runs more than {limit} cycles, the most one proof covers")]
    TooManyCycles {
        /// The cycle limit.
        limit: u64,
    },
    /// The entry point does not fit 32 bits.
    #[error("the entry point is above 2^32")]
    EntryTooLarge,
    /// The run executed an instruction that no table of this machine proves yet.
    #[error("no table proves `{mnemonic}` (executed at pc {pc:#x})")]
    NoChip {
        /// Address of the instruction.
        pc: u32,
        /// Its mnemonic.
        mnemonic: &'static str,
    },
    /// Deriving the keys failed.
    #[cfg(feature = "prover")]
    #[error("setup: {0}")]
    Setup(#[from] SetupError),
    /// Proving failed.
    #[cfg(feature = "prover")]
    #[error("proving: {0}")]
    Prove(#[from] ProveError),
    /// The proof does not verify.
    #[error("invalid proof: {0}")]
    Verify(#[from] VerifyError),
    /// The bytes are not a machine proof.
    #[error("machine proof format: {0}")]
    Format(&'static str),
    /// A shard cannot be proven as given (see the message).
    #[error("shard: {0}")]
    Shard(&'static str),
    /// The proof was made for another verifying key (another program or other options).
    #[error("the proof is for another verifying key")]
    WrongKey,
    /// The proof says it was made under other options than the verifying key's.
    #[error("the proof's options differ from the verifying key's")]
    WrongOptions,
}
