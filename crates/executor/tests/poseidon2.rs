//! The POSEIDON2 precompile: the permutation in both word representations, its errors (each
//! with the pc), and how records and profiles show it.

mod common;

use common::{addi, elf, halt, li, sys, A0, A1, DATA, TEXT};
use droste_executor::elf_builder::ElfBuilder;
use droste_executor::{execute, ExecError, ExecOptions, Execution, Input, Poseidon2Event, Program};
use droste_isa::abi::{self, poseidon2, syscall};
use droste_isa::{Instruction, Opcode};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::{default_koalabear_poseidon2_16, KoalaBear};
use p3_symmetric::Permutation;

/// A state with the extremes (0, 1, p - 1) and spread-out words.
fn state() -> [u32; 16] {
    let mut words: [u32; 16] =
        core::array::from_fn(|i| (i as u32).wrapping_mul(0x9e37_79b9) % poseidon2::MODULUS);
    words[1] = 1;
    words[2] = poseidon2::MODULUS - 1;
    words
}

fn bytes(words: &[u32; 16]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn words(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// `poseidon2(a0 = addr, a1 = mode)`, then commit the 64 bytes at DATA and the registers a0, a1,
/// and halt.
fn permute_and_commit(addr: u64, mode: u64) -> Vec<Instruction> {
    let mut code = li(A0, addr as i32).to_vec();
    code.push(addi(A1, 0, mode as i32));
    code.extend(sys(syscall::POSEIDON2));
    code.extend(li(31, DATA as i32 + 64));
    code.push(Instruction::s(Opcode::Sd, 31, A0, 0));
    code.push(Instruction::s(Opcode::Sd, 31, A1, 8));
    code.extend(li(A0, DATA as i32));
    code.push(addi(A1, 0, 80));
    code.extend(sys(syscall::COMMIT));
    code.extend(halt(0));
    code
}

fn run_on(code: &[Instruction], data: &[u8], opts: &ExecOptions) -> Result<Execution, ExecError> {
    let program = Program::from_elf(&elf(code, data)).unwrap();
    execute(&program, &Input::default(), opts)
}

fn native(words: [u32; 16]) -> [KoalaBear; 16] {
    default_koalabear_poseidon2_16().permute(words.map(KoalaBear::from_u32))
}

#[test]
fn the_state_is_permuted_in_place_in_both_representations() {
    let input = state();
    let expected = native(input);
    let montgomery = |x: KoalaBear| (x * KoalaBear::from_u64(1 << 32)).as_canonical_u32();
    for (mode, data, output) in [
        (
            poseidon2::CANONICAL,
            input,
            expected.map(|x| x.as_canonical_u32()),
        ),
        (
            poseidon2::MONTGOMERY,
            input.map(|w| montgomery(KoalaBear::from_u32(w))),
            expected.map(montgomery),
        ),
    ] {
        let out = run_on(
            &permute_and_commit(DATA, mode),
            &bytes(&data),
            &ExecOptions::default(),
        )
        .unwrap();
        let committed = words(&out.public_output);
        assert_eq!(committed[..16], output, "mode {mode}");
        // a0 and a1 are unchanged.
        assert_eq!(committed[16..], [DATA as u32, 0, mode as u32, 0]);
    }
    // Straight-line code: every instruction, the call included, is one cycle.
    let code = permute_and_commit(DATA, 0);
    let out = run_on(&code, &bytes(&input), &ExecOptions::default()).unwrap();
    assert_eq!(out.cycles, code.len() as u64);
}

/// The error of a POSEIDON2 call on `data` at `addr` with `mode`, and the pc of its `ecall`.
fn failure(addr: u64, mode: u64, data: &[u8], input: &Input) -> (ExecError, u64) {
    let code = permute_and_commit(addr, mode);
    let program = Program::from_elf(&elf(&code, data)).unwrap();
    let error = execute(&program, input, &ExecOptions::default()).unwrap_err();
    (error, TEXT + 4 * 4)
}

#[test]
fn bad_calls_fail_with_the_pc() {
    let good = bytes(&state());
    let (error, pc) = failure(DATA, 2, &good, &Input::default());
    assert!(
        matches!(&error, ExecError::BadSyscall { syscall: "POSEIDON2", reason, pc: p }
            if reason.contains("a1 = 2") && *p == pc),
        "{error}"
    );
    let (error, pc) = failure(DATA + 4, 0, &good, &Input::default());
    assert!(
        matches!(&error, ExecError::BadSyscall { reason, pc: p, .. }
            if reason.contains("not 8-byte aligned") && *p == pc),
        "{error}"
    );
    let (error, pc) = failure(0x100, 0, &good, &Input::default());
    assert!(
        matches!(error, ExecError::Unmapped { addr: 0x100, len: 64, pc: p, .. } if p == pc),
        "{error}"
    );
    // The private input is read-only.
    let input = Input {
        private_input: vec![0; 64],
        ..Input::default()
    };
    let (error, pc) = failure(abi::INPUT_PAYLOAD_START, 0, &good, &input);
    assert!(
        matches!(error, ExecError::ReadOnly { pc: p, .. } if p == pc),
        "{error}"
    );
    // The state may not run past the end of RAM either.
    let (error, _) = failure(abi::STACK_TOP - 32, 0, &good, &Input::default());
    assert!(
        matches!(
            error,
            ExecError::Unmapped { .. } | ExecError::ReadOnly { .. }
        ),
        "{error}"
    );
    for mode in [poseidon2::CANONICAL, poseidon2::MONTGOMERY] {
        let mut words = state();
        words[5] = poseidon2::MODULUS;
        let (error, pc) = failure(DATA, mode, &bytes(&words), &Input::default());
        assert!(
            matches!(&error, ExecError::BadSyscall { reason, pc: p, .. }
                if reason.contains("word 5") && reason.contains("0x7f000001") && *p == pc),
            "{error}"
        );
    }
}

#[test]
fn records_and_profiles_show_each_call() {
    // marker 3, a call of `hash` (at TEXT + 20), halt; `hash` permutes DATA and returns.
    let mut code = vec![addi(0, 0, 3), Instruction::u(Opcode::Jal, 1, 16)];
    code.extend(halt(0));
    let hash_at = TEXT + 4 * code.len() as u64;
    assert_eq!(hash_at, TEXT + 20);
    code.extend(li(A0, DATA as i32));
    code.push(addi(A1, 0, 1));
    code.extend(sys(syscall::POSEIDON2));
    code.push(Instruction::i(Opcode::Jalr, 0, 1, 0));
    let input =
        state().map(|w| (KoalaBear::from_u32(w) * KoalaBear::from_u64(1 << 32)).as_canonical_u32());
    let mut builder = ElfBuilder::new(TEXT);
    builder.code(TEXT, &code).unwrap();
    builder.segment(
        DATA,
        bytes(&input),
        64,
        droste_executor::elf_builder::Perm::ReadWrite,
    );
    builder.symbol("hash", hash_at, hash_at + 24);
    let program = Program::from_elf(&builder.build()).unwrap();
    let opts = ExecOptions {
        record: true,
        profile: true,
        ..ExecOptions::default()
    };
    let out = execute(&program, &Input::default(), &opts).unwrap();
    let record = out.record.unwrap();
    let call_clk = 2 + 4;
    assert_eq!(
        record.poseidon2,
        [Poseidon2Event {
            clk: call_clk,
            pc: (hash_at + 16) as u32,
            addr: DATA as u32,
            montgomery: true,
            input,
            source: None,
            output: droste_executor::poseidon2::permute_words(&input, true),
        }]
    );
    assert!(record
        .syscalls
        .iter()
        .any(|s| s.clk == call_clk && s.number == syscall::POSEIDON2));
    let profile = out.profile.unwrap();
    assert_eq!(profile.precompiles.len(), 1);
    let calls = &profile.precompiles[0];
    assert_eq!((calls.name, calls.calls), ("poseidon2", 1));
    assert_eq!(calls.functions, [("hash".to_string(), 1)]);
    assert_eq!(calls.markers, [(Some(3), 1)]);
    // The state's 8 doublewords are first touched by the call, in `hash` and in marker 3.
    let state_dwords: Vec<u32> = (0..8).map(|i| (DATA / 8) as u32 + i).collect();
    let hash = profile.functions.iter().find(|f| f.name == "hash").unwrap();
    assert_eq!(hash.activity.new_dwords, state_dwords);
    assert_eq!(profile.markers[0].activity.new_dwords, state_dwords);
    let report = profile.to_string();
    assert!(report.contains("poseidon2 in hash"), "{report}");
    assert!(report.contains("poseidon2 in marker 3"), "{report}");
}
