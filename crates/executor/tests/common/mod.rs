//! Helpers shared by the integration tests: tiny assembler conveniences and one-call execution.
#![allow(dead_code)] // Each test binary uses a different subset.

use droste_executor::elf_builder::{ElfBuilder, Perm};
use droste_executor::{execute, ExecError, ExecOptions, Execution, Input, Program};
use droste_isa::abi::{self, syscall};
use droste_isa::{Instruction, Opcode};

/// Where test code starts.
pub const TEXT: u64 = abi::PROGRAM_START;
/// A read/write data segment for tests.
pub const DATA: u64 = 0x8_0000;
pub const DATA_LEN: u64 = 0x1000;

pub const A0: u8 = 10;
pub const A1: u8 = 11;
pub const A2: u8 = 12;
pub const A7: u8 = 17;

pub fn addi(rd: u8, rs1: u8, imm: i32) -> Instruction {
    Instruction::i(Opcode::Addi, rd, rs1, imm)
}

/// `lui`/`addiw` loading of any 32-bit signed constant (sign-extended).
pub fn li(rd: u8, value: i32) -> [Instruction; 2] {
    let upper = value.wrapping_add(0x800) & !0xfff;
    [
        Instruction::u(Opcode::Lui, rd, upper),
        Instruction::i(Opcode::Addiw, rd, rd, value.wrapping_sub(upper)),
    ]
}

/// `a7 = number; ecall`.
pub fn sys(number: u64) -> [Instruction; 2] {
    [
        addi(A7, 0, number as i32),
        Instruction::system(Opcode::Ecall),
    ]
}

/// `exit(code)`.
pub fn halt(code: i32) -> Vec<Instruction> {
    let mut code_list = vec![addi(A0, 0, code)];
    code_list.extend(sys(syscall::HALT));
    code_list
}

/// An ELF with `code` at [`TEXT`] and `data` at [`DATA`].
pub fn elf(code: &[Instruction], data: &[u8]) -> Vec<u8> {
    let mut builder = ElfBuilder::new(TEXT);
    builder.code(TEXT, code).expect("test code encodes");
    builder.segment(DATA, data.to_vec(), DATA_LEN, Perm::ReadWrite);
    builder.build()
}

pub fn program(code: &[Instruction]) -> Program {
    Program::from_elf(&elf(code, &[])).expect("test ELF loads")
}

pub fn run_with(
    code: &[Instruction],
    input: &Input,
    opts: &ExecOptions,
) -> Result<Execution, ExecError> {
    execute(&program(code), input, opts)
}

pub fn run(code: &[Instruction]) -> Result<Execution, ExecError> {
    run_with(code, &Input::default(), &ExecOptions::default())
}

/// Runs `code` followed by `commit(a0 as 8 bytes)`-style epilogue: stores `regs` (each as 8 LE
/// bytes) to DATA and commits them, then halts. Returns the committed register values.
pub fn registers_after(code: &[Instruction], regs: &[u8]) -> Vec<u64> {
    let mut all = code.to_vec();
    // x31 is the scratch base for the epilogue, so tests must not expect it.
    all.extend(li(31, DATA as i32));
    for (i, r) in regs.iter().enumerate() {
        all.push(Instruction::s(Opcode::Sd, 31, *r, 8 * i as i32));
    }
    all.extend(li(A0, DATA as i32));
    all.push(addi(A1, 0, 8 * regs.len() as i32));
    all.extend(sys(syscall::COMMIT));
    all.extend(halt(0));
    let out = run(&all).unwrap_or_else(|e| panic!("{e}"));
    out.public_output
        .chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}
