//! Benchmark workloads shared by the criterion benchmark (`benches/interpreter.rs`) and the
//! `mips` example: two generated programs, or a real guest from `DROSTE_BENCH_ELF`.

use droste_executor::elf_builder::{ElfBuilder, Perm};
use droste_executor::Input;
use droste_isa::abi::{syscall, PROGRAM_START};
use droste_isa::{Instruction, Opcode};

const DATA: u64 = 0x10_0000;
const WORDS: i32 = 512;

fn i(opcode: Opcode, rd: u8, rs1: u8, imm: i32) -> Instruction {
    Instruction::i(opcode, rd, rs1, imm)
}

fn li(rd: u8, value: i32) -> [Instruction; 2] {
    let upper = value.wrapping_add(0x800) & !0xfff;
    [
        Instruction::u(Opcode::Lui, rd, upper),
        i(Opcode::Addiw, rd, rd, value.wrapping_sub(upper)),
    ]
}

fn halt() -> [Instruction; 3] {
    [
        i(Opcode::Addi, 10, 0, 0),
        i(Opcode::Addi, 17, 0, syscall::HALT as i32),
        Instruction::system(Opcode::Ecall),
    ]
}

/// `rounds` passes over a 512-word buffer: h = (h ^ w) * k; h ^= h >> 29; store h.
fn hash_program(rounds: i32) -> Vec<u8> {
    let (base, count, key, h, ptr, left, word, tmp) = (8, 9, 5, 10, 6, 7, 28, 29);
    let mut code = li(base, DATA as i32).to_vec();
    code.extend(li(count, rounds));
    code.extend(li(key, 0x7f4a_7c15));
    let outer = code.len();
    code.push(i(Opcode::Addi, ptr, base, 0));
    code.push(i(Opcode::Addi, left, 0, WORDS));
    let inner = code.len();
    code.extend([
        i(Opcode::Ld, word, ptr, 0),
        Instruction::r(Opcode::Xor, h, h, word),
        Instruction::r(Opcode::Mul, h, h, key),
        i(Opcode::Srli, tmp, h, 29),
        Instruction::r(Opcode::Xor, h, h, tmp),
        Instruction::s(Opcode::Sd, ptr, h, 0),
        i(Opcode::Addi, ptr, ptr, 8),
        i(Opcode::Addi, left, left, -1),
    ]);
    code.push(Instruction::s(
        Opcode::Bne,
        left,
        0,
        -4 * (code.len() - inner) as i32,
    ));
    code.push(i(Opcode::Addi, count, count, -1));
    code.push(Instruction::s(
        Opcode::Bne,
        count,
        0,
        -4 * (code.len() - outer) as i32,
    ));
    code.extend(halt());
    let mut elf = ElfBuilder::new(PROGRAM_START);
    elf.code(PROGRAM_START, &code)
        .expect("benchmark code encodes");
    elf.segment(
        DATA,
        vec![0x5a; 8 * WORDS as usize],
        8 * WORDS as u64,
        Perm::ReadWrite,
    );
    elf.build()
}

/// `n` iterations of a, b = b, a + b.
fn fib_program(n: i32) -> Vec<u8> {
    let (a, b, t, left) = (5, 6, 7, 8);
    let mut code = vec![i(Opcode::Addi, a, 0, 0), i(Opcode::Addi, b, 0, 1)];
    code.extend(li(left, n));
    let body = code.len();
    code.extend([
        Instruction::r(Opcode::Add, t, a, b),
        i(Opcode::Addi, a, b, 0),
        i(Opcode::Addi, b, t, 0),
        i(Opcode::Addi, left, left, -1),
    ]);
    code.push(Instruction::s(
        Opcode::Bne,
        left,
        0,
        -4 * (code.len() - body) as i32,
    ));
    code.extend(halt());
    let mut elf = ElfBuilder::new(PROGRAM_START);
    elf.code(PROGRAM_START, &code)
        .expect("benchmark code encodes");
    elf.build()
}

/// The programs to measure: `(name, ELF bytes, input)`. With `DROSTE_BENCH_ELF=path` the guest
/// at `path`, its input stream items from `DROSTE_BENCH_INPUT_HEX` (comma-separated hex, one
/// item each); otherwise the generated `hash` and `fib` workloads.
pub fn workloads() -> Vec<(String, Vec<u8>, Input)> {
    if let Ok(path) = std::env::var("DROSTE_BENCH_ELF") {
        let elf = std::fs::read(&path).unwrap_or_else(|e| panic!("DROSTE_BENCH_ELF={path}: {e}"));
        let stream = std::env::var("DROSTE_BENCH_INPUT_HEX")
            .map(|items| {
                items
                    .split(',')
                    .map(|item| {
                        hex::decode(item.trim())
                            .unwrap_or_else(|e| panic!("DROSTE_BENCH_INPUT_HEX: {e}"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        return vec![(
            path,
            elf,
            Input {
                stream,
                ..Input::default()
            },
        )];
    }
    vec![
        ("hash".to_string(), hash_program(10_000), Input::default()),
        ("fib".to_string(), fib_program(10_000_000), Input::default()),
    ]
}
