//! Executing a guest without proving it: cycles, public output, captured stdout/stderr.

use std::borrow::Cow;

use droste_executor::{ElfError, ExecError, ExecOptions, Execution, Machine, Profile, Program};
use droste_machine::{MachineProver, ProofOptions, ProvingCost};

use crate::{Input, ProveError};

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

/// Instructions run between two progress reports of [`execute_with_progress`]: a few tens of
/// milliseconds of interpretation.
const PROGRESS_STEPS: u64 = 1 << 22;

/// [`execute`], telling `progress` the cycles run so far every few million instructions (a long
/// run can show that it is alive).
pub fn execute_with_progress<'a>(
    guest: impl Into<Guest<'a>>,
    input: &Input,
    options: &ExecOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<Execution, ExecuteError> {
    let program = guest.into().load()?;
    let mut machine = Machine::new(&program, input.as_executor_input(), options)?;
    while machine.exit().is_none() {
        machine.run_for(PROGRESS_STEPS)?;
        progress(machine.cycles());
    }
    Ok(machine.into_execution())
}

/// What proving a profiled run of `guest` costs: every table's rows, height and cells, and the
/// rows each function and step-marker phase adds (`docs/cli.md`, `droste run --profile`).
/// `profile` is the [`Execution::profile`] of a run with [`ExecOptions::profile`]; no execution
/// record is needed. The keys are derived under `options` (a fraction of a second): tables' widths
/// come from them, and their blowup sets the LDE domain and the largest table one proof holds.
pub fn proving_cost<'a>(
    guest: impl Into<Guest<'a>>,
    profile: Profile,
    options: ProofOptions,
) -> Result<ProvingCost, ProveError> {
    let program = guest.into().load()?;
    let (pk, _) = MachineProver::setup(&program, options)?;
    Ok(ProvingCost::new(&pk, profile))
}

#[cfg(test)]
mod tests {
    use droste_executor::elf_builder::ElfBuilder;
    use droste_isa::abi::{syscall, PROGRAM_START};
    use droste_isa::{Instruction as I, Opcode};

    use super::*;

    #[test]
    fn progress_reports_cycles_of_the_same_run() {
        // Counts a1 up to 2^22 (two instructions per turn), then halts.
        let code = [
            I::u(Opcode::Lui, 12, 1 << 22),
            I::i(Opcode::Addi, 11, 11, 1),
            I::s(Opcode::Bne, 11, 12, -4),
            I::i(Opcode::Addi, 17, 0, syscall::HALT as i32),
            I::system(Opcode::Ecall),
        ];
        let mut elf = ElfBuilder::new(PROGRAM_START);
        elf.code(PROGRAM_START, &code).unwrap();
        let elf = elf.build();
        let options = ExecOptions::default();
        let plain = execute(&elf, &Input::new(), &options).unwrap();
        let mut reports = Vec::new();
        let reported =
            execute_with_progress(&elf, &Input::new(), &options, &mut |c| reports.push(c)).unwrap();
        assert_eq!(reported.cycles, plain.cycles);
        assert_eq!(reported.exit_code, plain.exit_code);
        assert_eq!(reports, [PROGRESS_STEPS, 2 * PROGRESS_STEPS, plain.cycles]);
    }
}
