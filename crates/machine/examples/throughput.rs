//! Proving throughput on a small hand-written program (a copy-and-sum loop: ld, sd, add, 3 addi,
//! bne per iteration), for both proof presets.
//!
//! `cargo run --release -p droste-machine --example throughput [iterations]`

use std::time::Instant;

use droste_executor::elf_builder::{ElfBuilder, Perm};
use droste_executor::{Input, Program};
use droste_isa::abi::{syscall, PROGRAM_START};
use droste_isa::{Instruction as I, Opcode};
use droste_machine::{MachineProver, ProofOptions};

fn li(rd: u8, value: i32) -> [I; 2] {
    let lo = (value << 20) >> 20;
    [
        I::u(Opcode::Lui, rd, value.wrapping_sub(lo)),
        I::i(Opcode::Addi, rd, rd, lo),
    ]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations: i32 = std::env::args().nth(1).map_or(Ok(8192), |a| a.parse())?;
    let data = PROGRAM_START + 0x1000;
    let bytes = 8 * iterations as u64;
    let mut code = Vec::new();
    code.extend(li(5, data as i32));
    code.extend(li(6, (data + bytes) as i32));
    code.extend(li(7, iterations));
    code.push(I::i(Opcode::Addi, 10, 0, 0));
    code.push(I::i(Opcode::Ld, 8, 5, 0));
    code.push(I::s(Opcode::Sd, 6, 8, 0));
    code.push(I::r(Opcode::Add, 10, 10, 8));
    code.push(I::i(Opcode::Addi, 5, 5, 8));
    code.push(I::i(Opcode::Addi, 6, 6, 8));
    code.push(I::i(Opcode::Addi, 7, 7, -1));
    code.push(I::s(Opcode::Bne, 7, 0, -24));
    code.extend(li(17, syscall::HALT as i32));
    code.push(I::system(Opcode::Ecall));
    let mut elf = ElfBuilder::new(PROGRAM_START);
    elf.code(PROGRAM_START, &code)?;
    elf.segment(data, vec![1; bytes as usize], 2 * bytes, Perm::ReadWrite);
    let program = Program::from_elf(&elf.build())?;
    let run = droste_executor::execute(&program, &Input::default(), &Default::default())?;
    println!("{} cycles", run.cycles);
    for (name, options) in [
        ("fast", ProofOptions::fast()),
        ("secure", ProofOptions::secure()),
    ] {
        let (pk, vk) = MachineProver::setup(&program, options)?;
        let start = Instant::now();
        let proof = MachineProver::prove(&pk, &Input::default())?;
        let prove = start.elapsed();
        let bytes = proof.to_bytes();
        let start = Instant::now();
        droste_machine::verify(&vk, &bytes)?;
        let verify = start.elapsed();
        println!(
            "{name:>6}: prove {:.2} s ({:.0} cycles/s), proof {} KiB, verify {:.1} ms",
            prove.as_secs_f64(),
            run.cycles as f64 / prove.as_secs_f64(),
            bytes.len() / 1024,
            verify.as_secs_f64() * 1e3
        );
    }
    Ok(())
}
