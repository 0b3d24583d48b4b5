//! Runs droste guests: loads an RV64IM ELF, interprets it, serves its system calls, and
//! optionally records every step (for STARK trace generation) and profiles its cycles.
//!
//! ```no_run
//! use droste_executor::{execute, ExecOptions, Input, Program};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let program = Program::from_elf(&std::fs::read("guest.elf")?)?;
//! let input = Input { stream: vec![5u64.to_le_bytes().to_vec()], ..Input::default() };
//! let run = execute(&program, &input, &ExecOptions::default())?;
//! println!("exit {} after {} cycles", run.exit_code, run.cycles);
//! # Ok(())
//! # }
//! ```
//!
//! The design, the record format and the error list are in `docs/executor.md`; the guest ABI in
//! `docs/abi.md`.

pub mod elf_builder;
mod error;
pub mod ext_combine;
mod machine;
mod memory;
pub mod memory_root;
pub mod paging;
pub mod poseidon2;
mod profile;
mod program;
mod record;
mod shard_rows;
mod shards;
mod syscalls;

/// The example of `docs/executor.md`, compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/executor.md")]
pub struct ExecutorDocExamples;

pub use error::{Access, ElfError, ExecError};
pub use machine::{Exit, Machine};
pub use profile::{
    phase_name, Activity, DwordSet, FunctionCycles, MarkerCycles, PrecompileCalls, Profile,
    NO_SYMBOL,
};
pub use program::{Program, Segment, Symbol, MAX_CODE_SPAN};
pub use record::{
    ExecutionRecord, MemoryEvent, Poseidon2Event, Poseidon2Source, StepEvent, SyscallEvent,
};
pub use shard_rows::{RowLimits, SyscallRows};
pub use shards::{
    run_shard, IoCursor, Shard, ShardEnd, ShardOptions, ShardStart, Shards, DEFAULT_SHARD_CYCLES,
};

/// What the host gives a guest.
#[derive(Default, Clone, Debug)]
pub struct Input {
    /// Items read in order by the INPUT_LEN / INPUT_READ system calls.
    pub stream: Vec<Vec<u8>>,
    /// Mapped read-only at `abi::INPUT_START` behind a 16-byte header.
    pub private_input: Vec<u8>,
    /// Seed of the ChaCha20 stream served by the RANDOM system call; without it RANDOM fails.
    pub entropy: Option<[u8; 32]>,
}

/// How to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecOptions {
    /// Most instructions to execute before failing with [`ExecError::CycleLimit`].
    pub max_cycles: u64,
    /// Keep an [`ExecutionRecord`] (about 40 bytes of host memory per cycle).
    pub record: bool,
    /// Build a [`Profile`].
    pub profile: bool,
}

/// Default cycle budget: 2^32 instructions, a few tens of seconds of interpretation. It stops
/// runaway guests while leaving room for any run worth proving; raise it explicitly for more.
pub const DEFAULT_MAX_CYCLES: u64 = 1 << 32;

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            max_cycles: DEFAULT_MAX_CYCLES,
            record: false,
            profile: false,
        }
    }
}

/// The outcome of a run that ended with HALT or PANIC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// HALT's `a0` (low 32 bits), or `abi::PANIC_EXIT_CODE` after a panic.
    pub exit_code: u32,
    pub panic_message: Option<String>,
    /// Instructions executed, including the final `ecall`.
    pub cycles: u64,
    /// Bytes committed with COMMIT, in order.
    pub public_output: Vec<u8>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Step markers: (cycles executed before the marker, N) for each `addi x0, x0, N`, N != 0.
    pub markers: Vec<(u64, i64)>,
    pub record: Option<ExecutionRecord>,
    pub profile: Option<Profile>,
}

/// Runs `program` on `input` until it halts or panics.
pub fn execute(
    program: &Program,
    input: &Input,
    opts: &ExecOptions,
) -> Result<Execution, ExecError> {
    let mut machine = Machine::new(program, input, opts)?;
    machine.run()?;
    Ok(machine.into_execution())
}

impl Machine<'_> {
    /// The outcome so far: exit code and panic message are those of the exit, or 0 / `None` if
    /// the guest has not ended yet.
    pub fn into_execution(self) -> Execution {
        let profile = self
            .profile
            .as_ref()
            .map(|collector| Profile::new(self.program, collector, self.cycles));
        let exit = self.exit.unwrap_or(Exit {
            code: 0,
            panic_message: None,
        });
        Execution {
            exit_code: exit.code,
            panic_message: exit.panic_message,
            cycles: self.cycles,
            public_output: self.io.public_output,
            stdout: self.io.stdout,
            stderr: self.io.stderr,
            markers: self.markers,
            record: self.record,
            profile,
        }
    }
}
