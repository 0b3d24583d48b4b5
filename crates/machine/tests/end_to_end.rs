//! Whole programs prove and verify, with the right public values.

mod common;

use common::*;
use droste_executor::Input;
use droste_isa::abi::syscall;
use droste_isa::{Instruction as I, Opcode};

#[test]
fn arithmetic_then_halt() {
    let mut code = li(5, 40);
    code.extend(li(6, 2));
    code.push(I::r(Opcode::Add, 10, 5, 6));
    code.extend(halt());
    let public = prove_and_verify(&program(&code, &[]), &Input::default());
    assert_eq!(public.exit_code, 42);
    assert!(public.public_output.is_empty());
}

#[test]
fn commit_and_loads_stores() {
    let mut code = li(5, DATA as i32);
    code.push(I::i(Opcode::Ld, 6, 5, 0));
    code.push(I::s(Opcode::Sd, 5, 6, 13));
    code.push(I::i(Opcode::Lhu, 7, 5, 14));
    code.push(I::s(Opcode::Sw, 5, 7, 30));
    code.extend(li(10, DATA as i32 + 11));
    code.extend(li(11, 9));
    code.extend(ecall(syscall::COMMIT));
    code.extend(li(10, 3));
    code.extend(halt());
    let data: Vec<u8> = (1..=16).collect();
    let public = prove_and_verify(&program(&code, &data), &Input::default());
    assert_eq!(public.exit_code, 3);
    assert_eq!(public.public_output, [12, 13, 1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn loops_calls_and_branches() {
    // Sum 1..=10 in a loop, call a function with jal/jalr, exercise every branch condition.
    let mut code = li(5, 0); // sum
    code.extend(li(6, 10)); // counter
    code.push(I::r(Opcode::Add, 5, 5, 6)); // loop: sum += counter
    code.push(I::i(Opcode::Addi, 6, 6, -1));
    code.push(I::s(Opcode::Bne, 6, 0, -8));
    code.push(I::u(Opcode::Jal, 1, 12)); // call double (3 instructions ahead)
    code.push(I::i(Opcode::Addi, 10, 5, 0)); // a0 = sum after return
    code.push(I::u(Opcode::Jal, 0, 12)); // skip the function
    code.push(I::r(Opcode::Add, 5, 5, 5)); // double: sum *= 2
    code.push(I::i(Opcode::Jalr, 0, 1, 0)); // return
    code.extend(li(7, -1));
    code.push(I::s(Opcode::Blt, 7, 0, 8)); // -1 < 0 signed: taken
    code.push(I::i(Opcode::Addi, 10, 10, 100)); // skipped
    code.push(I::s(Opcode::Bltu, 7, 0, 8)); // u64::MAX < 0: not taken
    code.push(I::i(Opcode::Addi, 10, 10, 1));
    code.push(I::s(Opcode::Bge, 0, 7, 8)); // 0 >= -1: taken
    code.push(I::i(Opcode::Addi, 10, 10, 100)); // skipped
    code.push(I::s(Opcode::Bgeu, 0, 7, 8)); // 0 >= MAX unsigned: not taken
    code.push(I::i(Opcode::Addi, 10, 10, 1));
    code.push(I::s(Opcode::Beq, 7, 7, 8)); // taken
    code.push(I::i(Opcode::Addi, 10, 10, 100)); // skipped
    code.extend(halt());
    let public = prove_and_verify(&program(&code, &[]), &Input::default());
    assert_eq!(public.exit_code, 110 + 2);
}

/// Reads one input item into a buffer and commits it back: system call buffers of every length
/// and alignment, spanning several doublewords, prove (both the INPUT_READ writes and the COMMIT
/// reads of the buffer table).
#[test]
fn input_read_and_commit_buffers_of_every_shape() {
    for (offset, len) in [
        (0u64, 9u8),
        (0, 16),
        (0, 40),
        (3, 9),
        (5, 1),
        (7, 2),
        (1, 23),
    ] {
        let mut code = ecall(syscall::INPUT_LEN);
        code.push(I::i(Opcode::Addi, 8, 10, 0));
        for call in [syscall::INPUT_READ, syscall::COMMIT] {
            code.extend(li(10, (DATA + offset) as i32));
            code.push(I::i(Opcode::Addi, 11, 8, 0));
            code.extend(ecall(call));
        }
        code.extend(li(10, 0));
        code.extend(halt());
        let program = program(&code, &[]);
        let (pk, _) = keys(&program);
        let data: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
        let input = Input {
            stream: vec![data.clone()],
            ..Input::default()
        };
        let (traces, public) = traces(&pk, &input);
        assert_eq!(public.public_output, data);
        if let Err(violation) = check(&pk, &traces, &public) {
            panic!("buffer at +{offset}, {len} bytes: {violation}");
        }
    }
}

/// Buffers after a COMMIT: an INPUT_READ and a WRITE whose buffer tokens start at the output
/// cursor (not only COMMIT's), and a second COMMIT continuing the output.
#[test]
fn buffers_after_a_commit() {
    let mut code = li(10, DATA as i32);
    code.extend(li(11, 3));
    code.extend(ecall(syscall::COMMIT));
    code.extend(li(10, DATA as i32 + 8));
    code.extend(li(11, 5));
    code.extend(ecall(syscall::INPUT_READ));
    code.extend(li(10, 2));
    code.extend(li(11, DATA as i32 + 8));
    code.extend(li(12, 5));
    code.extend(ecall(syscall::WRITE));
    code.extend(li(10, DATA as i32 + 8));
    code.extend(li(11, 5));
    code.extend(ecall(syscall::COMMIT));
    code.extend(li(10, 0));
    code.extend(halt());
    let input = Input {
        stream: vec![b"droste".to_vec()[..5].to_vec()],
        ..Input::default()
    };
    let verified = prove_and_verify(&program(&code, b"abc"), &input);
    assert_eq!(verified.public_output, b"abcdrost");
}
