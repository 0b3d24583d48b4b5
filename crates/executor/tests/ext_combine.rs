//! The EXT_COMBINE precompile: the combination it writes, its errors (each with the pc), and
//! how profiles show it.

mod common;

use common::{elf, halt, li, sys, A0, A1, A2, DATA, TEXT};
use droste_executor::ext_combine::{combine_words, ext_from_words, ext_to_words};
use droste_executor::{execute, ExecError, ExecOptions, Input, Program};
use droste_isa::abi::{self, ext_combine, poseidon2::MODULUS, syscall};
use droste_isa::Instruction;

/// The block (alpha, w, a zero result) and 6 values after it, all below p.
fn data() -> Vec<u32> {
    let mut words: Vec<u32> = (0..18u32)
        .map(|i| (i + 3).wrapping_mul(0x9e37_79b9) % MODULUS)
        .collect();
    words[8..12].fill(0);
    words[12] = MODULUS - 1;
    words
}

fn bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// `ext_combine(values, count, block)`, then commit the block's result and halt.
fn combine_and_commit(values: u64, count: u64, block: u64) -> Vec<Instruction> {
    let mut code = li(A0, values as i32).to_vec();
    code.extend(li(A1, count as i32));
    code.extend(li(A2, block as i32));
    code.extend(sys(syscall::EXT_COMBINE));
    code.extend(li(A0, (DATA + 32) as i32));
    code.extend(li(A1, 16));
    code.extend(sys(syscall::COMMIT));
    code.extend(halt(0));
    code
}

fn run_on(code: &[Instruction], data: &[u8], input: &Input) -> Result<Vec<u8>, ExecError> {
    let program = Program::from_elf(&elf(code, data)).unwrap();
    let options = ExecOptions {
        profile: true,
        ..ExecOptions::default()
    };
    let run = execute(&program, input, &options)?;
    let profile = run.profile.unwrap();
    let calls = &profile.precompiles[0];
    assert_eq!((calls.name, calls.calls), ("ext_combine", 1));
    Ok(run.public_output)
}

#[test]
fn the_result_is_the_combination() {
    let words = data();
    let block = |at: usize| ext_from_words(&words[at..at + 4].try_into().unwrap());
    for count in [0, 2, 6] {
        let out = run_on(
            &combine_and_commit(DATA + 48, count, DATA),
            &bytes(&words),
            &Input::default(),
        )
        .unwrap();
        let values = &words[12..12 + count as usize];
        let expected = ext_to_words(combine_words(values, block(0), block(4)));
        assert_eq!(out, bytes(&expected), "count {count}");
    }
}

/// The error of a call, and the pc of its `ecall`.
fn failure(values: u64, count: u64, block: u64, data: &[u32], input: &Input) -> (ExecError, u64) {
    let code = combine_and_commit(values, count, block);
    let error = run_on(&code, &bytes(data), input).unwrap_err();
    (error, TEXT + 4 * 7)
}

fn bad_syscall(error: &ExecError, pc: u64, part: &str) -> bool {
    matches!(error, ExecError::BadSyscall { syscall: "EXT_COMBINE", reason, pc: p }
        if reason.contains(part) && *p == pc)
}

#[test]
fn bad_calls_fail_with_the_pc() {
    let good = data();
    let none = Input::default();
    let (error, pc) = failure(DATA + 52, 2, DATA, &good, &none);
    assert!(bad_syscall(&error, pc, "not 8-byte aligned"), "{error}");
    let (error, pc) = failure(DATA + 48, 3, DATA, &good, &none);
    assert!(bad_syscall(&error, pc, "is odd"), "{error}");
    let (error, pc) = failure(DATA + 48, 2, DATA + 4, &good, &none);
    assert!(bad_syscall(&error, pc, "block address"), "{error}");
    // Values outside RAM: unmapped, past its end (a count too large), in the private input.
    let (error, pc) = failure(0x100, 2, DATA, &good, &none);
    assert!(bad_syscall(&error, pc, "not all in RAM"), "{error}");
    let (error, pc) = failure(DATA + 48, 1 << 28, DATA, &good, &none);
    assert!(bad_syscall(&error, pc, "not all in RAM"), "{error}");
    let input = Input {
        private_input: vec![0; 64],
        ..Input::default()
    };
    let (error, pc) = failure(abi::INPUT_PAYLOAD_START, 2, DATA, &good, &input);
    assert!(bad_syscall(&error, pc, "not all in RAM"), "{error}");
    // The block must be writable RAM.
    let (error, pc) = failure(DATA + 48, 2, abi::INPUT_PAYLOAD_START, &good, &input);
    assert!(
        matches!(error, ExecError::ReadOnly { pc: p, .. } if p == pc),
        "{error}"
    );
    let (error, pc) = failure(DATA + 48, 2, 0x100, &good, &none);
    assert!(
        matches!(error, ExecError::Unmapped { pc: p, .. } if p == pc),
        "{error}"
    );
    // Words not below p, each named.
    for (at, what) in [(13, "value 1"), (2, "alpha word 2"), (7, "weight word 3")] {
        let mut words = good.clone();
        words[at] = MODULUS;
        let (error, pc) = failure(DATA + 48, 2, DATA, &words, &none);
        assert!(bad_syscall(&error, pc, what), "{what}: {error}");
    }
    assert_eq!(ext_combine::BLOCK_BYTES, 48);
}
