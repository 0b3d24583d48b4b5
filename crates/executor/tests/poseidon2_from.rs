//! The POSEIDON2_FROM precompile: the permutation of a state one half of which comes from a
//! second address (either half, both representations, overlapping the state or not), its errors
//! (each with the pc) and its record.

mod common;

use common::{addi, elf, halt, li, sys, A0, A1, A2, DATA};
use droste_executor::poseidon2::permute_words;
use droste_executor::{execute, ExecError, ExecOptions, Input, Poseidon2Source, Program};
use droste_isa::abi::{self, poseidon2, syscall};
use droste_isa::Instruction;

/// 24 words below p with the extremes: the state (16) and, after it, the source (8).
fn words() -> [u32; 24] {
    let mut words: [u32; 24] =
        core::array::from_fn(|i| (i as u32 + 7).wrapping_mul(0x9e37_79b9) % poseidon2::MODULUS);
    words[3] = poseidon2::MODULUS - 1;
    words[17] = 0;
    words
}

fn bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// `poseidon2_from(a0 = state, a1 = mode, a2 = source)`, then commit the 64 bytes of the state
/// and halt. The `ecall` is at instruction 8.
fn call_and_commit(state: u64, mode: u64, source: u64) -> Vec<Instruction> {
    let mut code = li(A0, state as i32).to_vec();
    code.push(addi(A1, 0, mode as i32));
    code.extend(li(A2, source as i32));
    code.push(addi(0, 0, 0));
    code.extend(sys(syscall::POSEIDON2_FROM));
    code.extend(li(A0, state as i32));
    code.push(addi(A1, 0, 64));
    code.extend(sys(syscall::COMMIT));
    code.extend(halt(0));
    code
}

const CALL_PC: u64 = abi::PROGRAM_START + 4 * 7;

fn run(
    code: &[Instruction],
    data: &[u8],
    record: bool,
) -> Result<droste_executor::Execution, ExecError> {
    let program = Program::from_elf(&elf(code, data)).unwrap();
    let opts = ExecOptions {
        record,
        ..ExecOptions::default()
    };
    execute(&program, &Input::default(), &opts)
}

fn committed(out: &droste_executor::Execution) -> Vec<u32> {
    out.public_output
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

#[test]
fn either_half_is_taken_from_the_source_in_both_representations() {
    let data = words();
    for montgomery in [false, true] {
        for second_half in [false, true] {
            let mode = u64::from(montgomery)
                + if second_half {
                    poseidon2::SECOND_HALF
                } else {
                    0
                };
            let mut expected_input: [u32; 16] = data[..16].try_into().unwrap();
            let half = if second_half { 8..16 } else { 0..8 };
            expected_input[half.clone()].copy_from_slice(&data[16..]);
            // The replaced half need not hold field elements.
            let mut state_bytes = data;
            for w in &mut state_bytes[half] {
                *w = u32::MAX;
            }
            let out = run(
                &call_and_commit(DATA, mode, DATA + 64),
                &bytes(&state_bytes),
                true,
            )
            .unwrap();
            let output = permute_words(&expected_input, montgomery);
            assert_eq!(committed(&out), output, "mode {mode}");
            let record = out.record.unwrap();
            let event = &record.poseidon2[0];
            assert_eq!(event.input[..], state_bytes[..16]);
            assert_eq!(
                event.source,
                Some(Poseidon2Source {
                    addr: (DATA + 64) as u32,
                    second_half,
                    words: data[16..].try_into().unwrap(),
                })
            );
            assert_eq!(event.output, output);
        }
    }
}

#[test]
fn the_source_is_read_before_the_state_is_written() {
    // The source is the state's own second half, standing in for its first: the input is the
    // second half twice.
    let data = words();
    let out = run(&call_and_commit(DATA, 0, DATA + 32), &bytes(&data), false).unwrap();
    let mut input: [u32; 16] = data[..16].try_into().unwrap();
    input.copy_within(8..16, 0);
    assert_eq!(committed(&out), permute_words(&input, false));
}

#[track_caller]
fn failure(state: u64, mode: u64, source: u64, data: &[u32]) -> ExecError {
    run(&call_and_commit(state, mode, source), &bytes(data), false).unwrap_err()
}

fn reason_at_call(error: &ExecError, part: &str) -> bool {
    matches!(error, ExecError::BadSyscall { syscall: "POSEIDON2_FROM", reason, pc }
        if reason.contains(part) && *pc == CALL_PC)
}

#[test]
fn bad_calls_fail_with_the_pc() {
    let good = words();
    let error = failure(DATA, 4, DATA + 64, &good);
    assert!(reason_at_call(&error, "a1 = 4"), "{error}");
    let error = failure(DATA, 0, DATA + 68, &good);
    assert!(
        reason_at_call(&error, "source address 0x80044 is not 8-byte aligned"),
        "{error}"
    );
    let error = failure(DATA + 4, 0, DATA + 64, &good);
    assert!(reason_at_call(&error, "state address"), "{error}");
    // The source must be RAM: not the input region, not past the stack.
    let error = failure(DATA, 0, abi::INPUT_START, &good);
    assert!(reason_at_call(&error, "not in RAM"), "{error}");
    let error = failure(DATA, 0, abi::STACK_TOP - 16, &good);
    assert!(reason_at_call(&error, "not in RAM"), "{error}");
    let error = failure(DATA, 0, 0x100, &good);
    assert!(reason_at_call(&error, "not in RAM"), "{error}");
    // Every source word, and every word of the kept half, is below p.
    let mut bad_source = good;
    bad_source[16 + 3] = poseidon2::MODULUS;
    let error = failure(DATA, 1, DATA + 64, &bad_source);
    assert!(
        reason_at_call(&error, "source word 3 is 0x7f000001"),
        "{error}"
    );
    let mut bad_kept = good;
    bad_kept[12] = u32::MAX;
    let error = failure(DATA, 0, DATA + 64, &bad_kept);
    assert!(reason_at_call(&error, "word 12 of the state"), "{error}");
    // Word 12 in the replaced half is not read as a field element.
    let replaced = call_and_commit(DATA, poseidon2::SECOND_HALF, DATA + 64);
    assert!(run(&replaced, &bytes(&bad_kept), false).is_ok());
}
