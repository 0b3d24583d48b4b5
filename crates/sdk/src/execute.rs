//! Executing a guest without proving it: cycles, public output, captured stdout/stderr.

use std::borrow::Cow;

use droste_executor::{ElfError, ExecError, ExecOptions, Execution, Program};

use crate::Input;

/// A guest to execute: raw ELF bytes (loaded first) or an already loaded [`Program`] (to run the
/// same guest many times without parsing it again).
#[derive(Clone, Copy)]
pub enum Guest<'a> {
    /// An ELF file's bytes.
    Elf(&'a [u8]),
    /// A loaded program.
    Program(&'a Program),
}

impl<'a> Guest<'a> {
    /// The loaded program: parses an ELF, borrows a [`Program`].
    pub fn load(self) -> Result<Cow<'a, Program>, ElfError> {
        match self {
            Guest::Program(program) => Ok(Cow::Borrowed(program)),
            Guest::Elf(elf) => Ok(Cow::Owned(Program::from_elf(elf)?)),
        }
    }
}

impl<'a> From<&'a [u8]> for Guest<'a> {
    fn from(elf: &'a [u8]) -> Self {
        Guest::Elf(elf)
    }
}

impl<'a> From<&'a Vec<u8>> for Guest<'a> {
    fn from(elf: &'a Vec<u8>) -> Self {
        Guest::Elf(elf)
    }
}

impl<'a> From<&'a Program> for Guest<'a> {
    fn from(program: &'a Program) -> Self {
        Guest::Program(program)
    }
}

/// Why a guest could not be executed. A guest that panics is not an error here: its
/// [`Execution`] says so (`exit_code`, `panic_message`).
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// The ELF file is not a droste program.
    #[error("cannot load guest ELF: {0}")]
    Elf(#[from] ElfError),
    /// The machine stopped abnormally (bad access, unknown instruction, cycle budget...).
    #[error("execution failed: {0}")]
    Exec(#[from] ExecError),
}

/// Runs `guest` on `input` to completion (halt or panic).
pub fn execute<'a>(
    guest: impl Into<Guest<'a>>,
    input: &Input,
    options: &ExecOptions,
) -> Result<Execution, ExecuteError> {
    let program = guest.into().load()?;
    Ok(droste_executor::execute(
        &program,
        input.as_executor_input(),
        options,
    )?)
}
