//! Running guests: system calls, input mapping, errors with their pc, cycle budget, markers,
//! records, profiles, and the `Machine` API.

mod common;

use common::{addi, halt, li, program, run, run_with, sys, A0, A1, A2, DATA, TEXT};
use droste_executor::elf_builder::{ElfBuilder, Perm};
use droste_executor::{
    execute, Access, Activity, ExecError, ExecOptions, Input, Machine, MemoryEvent, Program,
    StepEvent, SyscallEvent, NO_SYMBOL,
};
use droste_isa::abi::{self, syscall};
use droste_isa::{Instruction, Opcode};
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// `commit(DATA, len)`.
fn commit_data(len: i32) -> Vec<Instruction> {
    let mut code = li(A0, DATA as i32).to_vec();
    code.push(addi(A1, 0, len));
    code.extend(sys(syscall::COMMIT));
    code
}

/// Stores register `r` as 8 bytes at DATA + offset.
fn store(r: u8, offset: i32) -> Vec<Instruction> {
    let mut code = li(31, DATA as i32).to_vec();
    code.push(Instruction::s(Opcode::Sd, 31, r, offset));
    code
}

#[test]
fn halt_reports_the_exit_code_and_counts_the_ecall() {
    let out = run(&halt(7)).unwrap();
    assert_eq!((out.exit_code, out.cycles, out.panic_message), (7, 3, None));
    // Only the low 32 bits of a0 are the exit code.
    let mut code = li(A0, -1).to_vec();
    code.extend(sys(syscall::HALT));
    assert_eq!(run(&code).unwrap().exit_code, u32::MAX);
}

#[test]
fn write_captures_stdout_and_stderr_and_rejects_other_fds() {
    let mut code = Vec::new();
    for (fd, offset, len) in [(1, 0, 5), (2, 5, 3), (1, 0, 2)] {
        code.push(addi(A0, 0, fd));
        code.extend(li(A1, DATA as i32 + offset));
        code.push(addi(A2, 0, len));
        code.extend(sys(syscall::WRITE));
    }
    code.extend(halt(0));
    let elf = common::elf(&code, b"helloerr");
    let out = execute(
        &Program::from_elf(&elf).unwrap(),
        &Input::default(),
        &ExecOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (&out.stdout[..], &out.stderr[..]),
        (&b"hellohe"[..], &b"err"[..])
    );

    let bad = [
        addi(A0, 0, 3),
        addi(A2, 0, 0),
        addi(17, 0, syscall::WRITE as i32),
        Instruction::system(Opcode::Ecall),
    ];
    let error = run(&bad).unwrap_err();
    assert!(
        matches!(error, ExecError::BadSyscall { pc, syscall: "WRITE", .. } if pc == TEXT + 12),
        "{error}"
    );
}

#[test]
fn commit_appends_public_output_and_panic_ends_with_101() {
    let mut code = commit_data(3);
    code.extend(commit_data(2));
    code.extend(li(A0, DATA as i32 + 3));
    code.push(addi(A1, 0, 4));
    code.extend(sys(syscall::PANIC));
    code.extend(halt(0));
    let elf = common::elf(&code, b"abcboom");
    let out = execute(
        &Program::from_elf(&elf).unwrap(),
        &Input::default(),
        &ExecOptions::default(),
    )
    .unwrap();
    assert_eq!(out.public_output, b"abcab");
    assert_eq!(out.exit_code, abi::PANIC_EXIT_CODE);
    assert_eq!(out.panic_message.as_deref(), Some("boom"));
}

#[test]
fn cycle_count_returns_instructions_before_the_ecall() {
    let mut code = vec![Instruction::nop(), Instruction::nop()];
    code.extend(sys(syscall::CYCLE_COUNT)); // ecall at clk 3
    code.extend(store(A0, 0));
    code.extend(commit_data(8));
    code.extend(halt(0));
    let out = run(&code).unwrap();
    assert_eq!(out.public_output, 3u64.to_le_bytes());
}

/// Reads every stream item: INPUT_LEN into a1, INPUT_READ into DATA + 64 * i, then commits.
fn read_items(count: usize) -> Vec<Instruction> {
    let mut code = Vec::new();
    for i in 0..count {
        code.extend(sys(syscall::INPUT_LEN));
        code.extend(store(A0, 8 * i as i32));
        code.push(addi(A1, A0, 0));
        code.extend(li(A0, DATA as i32 + 64 + 64 * i as i32));
        code.extend(sys(syscall::INPUT_READ));
    }
    code
}

#[test]
fn the_input_stream_is_read_in_order_and_exhaustion_is_reported() {
    let input = Input {
        stream: vec![b"first".to_vec(), vec![], b"third!".to_vec()],
        ..Input::default()
    };
    let mut code = read_items(3);
    code.extend(sys(syscall::INPUT_LEN));
    code.extend(store(A0, 24));
    code.extend(commit_data(64 * 4));
    code.extend(halt(0));
    let out = run_with(&code, &input, &ExecOptions::default()).unwrap();
    let word =
        |i: usize| u64::from_le_bytes(out.public_output[8 * i..8 * i + 8].try_into().unwrap());
    assert_eq!([word(0), word(1), word(2), word(3)], [5, 0, 6, u64::MAX]);
    assert_eq!(&out.public_output[64..69], b"first");
    assert_eq!(&out.public_output[192..198], b"third!");

    // Reading past the end fails; INPUT_READ computes a0 and a1 from INPUT_LEN = u64::MAX.
    let mut code = read_items(1);
    code.extend(li(A0, DATA as i32));
    code.push(addi(A1, 0, 1));
    code.extend(sys(syscall::INPUT_READ));
    let error = run_with(
        &code,
        &Input {
            stream: vec![vec![1]],
            ..Input::default()
        },
        &ExecOptions::default(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("exhausted"), "{error}");
}

#[test]
fn input_read_requires_the_exact_length() {
    let mut code = li(A0, DATA as i32).to_vec();
    code.push(addi(A1, 0, 4));
    code.extend(sys(syscall::INPUT_READ));
    let input = Input {
        stream: vec![b"five!".to_vec()],
        ..Input::default()
    };
    let error = run_with(&code, &input, &ExecOptions::default()).unwrap_err();
    assert!(
        matches!(&error, ExecError::BadSyscall { syscall: "INPUT_READ", pc, .. } if *pc == TEXT + 16),
        "{error}"
    );
}

#[test]
fn private_input_is_mapped_behind_its_header_and_read_only() {
    let payload = b"private payload".to_vec();
    let input = Input {
        private_input: payload.clone(),
        ..Input::default()
    };
    let mut code = li(5, abi::INPUT_START as i32).to_vec();
    code.push(Instruction::i(Opcode::Lwu, 6, 5, 0)); // length from the header
    code.extend(store(6, 0));
    code.extend(li(A0, abi::INPUT_PAYLOAD_START as i32));
    code.push(addi(A1, 6, 0));
    code.extend(sys(syscall::COMMIT));
    code.extend(commit_data(8));
    code.extend(halt(0));
    let out = run_with(&code, &input, &ExecOptions::default()).unwrap();
    assert_eq!(&out.public_output[..payload.len()], &payload[..]);
    assert_eq!(
        &out.public_output[payload.len()..],
        &(payload.len() as u64).to_le_bytes()
    );

    let mut write = li(5, abi::INPUT_PAYLOAD_START as i32).to_vec();
    write.push(Instruction::s(Opcode::Sb, 5, 0, 0));
    let error = run_with(&write, &input, &ExecOptions::default()).unwrap_err();
    assert_eq!(
        error,
        ExecError::ReadOnly {
            pc: TEXT + 8,
            addr: abi::INPUT_PAYLOAD_START,
            len: 1
        }
    );
    // One byte past the payload is unmapped.
    let mut past = li(5, (abi::INPUT_PAYLOAD_START + payload.len() as u64) as i32).to_vec();
    past.push(Instruction::i(Opcode::Lbu, 6, 5, 0));
    let error = run_with(&past, &input, &ExecOptions::default()).unwrap_err();
    assert!(
        matches!(
            error,
            ExecError::Unmapped {
                access: Access::Load,
                len: 1,
                ..
            }
        ),
        "{error}"
    );

    let huge = Input {
        private_input: vec![0; abi::INPUT_MAX_LEN as usize + 1],
        ..Input::default()
    };
    assert!(matches!(
        run_with(&halt(0), &huge, &ExecOptions::default()),
        Err(ExecError::PrivateInputTooLarge { .. })
    ));
}

#[test]
fn random_serves_the_chacha20_stream_of_the_entropy_and_fails_without_it() {
    let mut code = li(A0, DATA as i32).to_vec();
    code.push(addi(A1, 0, 40));
    code.extend(sys(syscall::RANDOM));
    code.extend(commit_data(40));
    code.extend(halt(0));
    let seed = [7u8; 32];
    let with = |entropy| {
        run_with(
            &code,
            &Input {
                entropy,
                ..Input::default()
            },
            &ExecOptions::default(),
        )
    };
    let mut expected = vec![0u8; 40];
    rand_chacha::ChaCha20Rng::from_seed(seed).fill_bytes(&mut expected);
    assert_eq!(with(Some(seed)).unwrap().public_output, expected);
    assert_ne!(with(Some([8; 32])).unwrap().public_output, expected);
    assert_eq!(
        with(None).unwrap_err(),
        ExecError::NoEntropy { pc: TEXT + 16 }
    );
}

#[test]
fn unknown_syscalls_and_bad_buffers_fail_with_the_pc() {
    let code = [addi(17, 0, 0x7ff), Instruction::system(Opcode::Ecall)];
    assert_eq!(
        run(&code).unwrap_err(),
        ExecError::UnknownSyscall {
            pc: TEXT + 4,
            number: 0x7ff
        }
    );
    // COMMIT from unmapped memory.
    let code = [
        addi(A0, 0, 16),
        addi(A1, 0, 4),
        addi(17, 0, syscall::COMMIT as i32),
        Instruction::system(Opcode::Ecall),
    ];
    assert_eq!(
        run(&code).unwrap_err(),
        ExecError::Unmapped {
            pc: TEXT + 12,
            access: Access::Load,
            addr: 16,
            len: 4
        }
    );
    // RANDOM into the read-only input region.
    let mut code = li(A0, abi::INPUT_START as i32).to_vec();
    code.push(addi(A1, 0, 4));
    code.extend(sys(syscall::RANDOM));
    let input = Input {
        entropy: Some([1; 32]),
        private_input: vec![0; 8],
        ..Input::default()
    };
    let error = run_with(&code, &input, &ExecOptions::default()).unwrap_err();
    assert!(
        matches!(error, ExecError::ReadOnly { pc, .. } if pc == TEXT + 16),
        "{error}"
    );
}

#[test]
fn memory_faults_name_address_width_and_pc() {
    let code = [addi(5, 0, 8), Instruction::i(Opcode::Lw, 6, 5, 0)];
    assert_eq!(
        run(&code).unwrap_err(),
        ExecError::Unmapped {
            pc: TEXT + 4,
            access: Access::Load,
            addr: 8,
            len: 4
        }
    );
    let mut code = li(5, abi::STACK_TOP as i32).to_vec();
    code.push(Instruction::s(Opcode::Sh, 5, 0, -1)); // straddles the stack top into the header
    assert_eq!(
        run(&code).unwrap_err(),
        ExecError::ReadOnly {
            pc: TEXT + 8,
            addr: abi::STACK_TOP - 1,
            len: 2
        }
    );
    let code = [addi(5, 0, -8), Instruction::s(Opcode::Sd, 5, 0, 0)];
    let error = run(&code).unwrap_err();
    assert_eq!(
        error,
        ExecError::Unmapped {
            pc: TEXT + 4,
            access: Access::Store,
            addr: u64::MAX - 7,
            len: 8
        }
    );
    assert_eq!(
        error.to_string(),
        "store of 8 bytes at 0xfffffffffffffff8 is outside mapped memory (pc 0x10004)"
    );
}

#[test]
fn bad_instructions_and_jumps_fail_with_the_pc() {
    let mut builder = ElfBuilder::new(TEXT);
    builder.segment(
        TEXT,
        [0x13, 0, 0, 0, 0xff, 0xff, 0xff, 0xff].to_vec(),
        8,
        Perm::ReadExecute,
    );
    let program = Program::from_elf(&builder.build()).unwrap();
    let error = execute(&program, &Input::default(), &ExecOptions::default()).unwrap_err();
    assert!(
        matches!(error, ExecError::InvalidInstruction { pc, .. } if pc == TEXT + 4),
        "{error}"
    );
    assert!(error.to_string().contains("0xffffffff"), "{error}");

    // Into the data segment, to a misaligned address, and off the end of the code.
    for (target, from) in [
        (DATA as i32, TEXT + 8),
        (TEXT as i32 + 2, TEXT + 8),
        (TEXT as i32 + 12, TEXT + 8),
    ] {
        let mut code = li(5, target).to_vec();
        code.push(Instruction::i(Opcode::Jalr, 0, 5, 0));
        let error = run(&code).unwrap_err();
        assert_eq!(
            error,
            ExecError::NotExecutable {
                pc: target as u64,
                from
            },
            "{error}"
        );
    }
}

#[test]
fn std_process_exit_and_abort_are_named_as_unsupported() {
    // `unimp`, what std::process::exit and abort execute on the zkvm target.
    let mut builder = ElfBuilder::new(TEXT);
    builder.segment(
        TEXT,
        [0x13, 0, 0, 0, 0x73, 0x10, 0x00, 0xc0].to_vec(),
        8,
        Perm::ReadExecute,
    );
    let program = Program::from_elf(&builder.build()).unwrap();
    let error = execute(&program, &Input::default(), &ExecOptions::default()).unwrap_err();
    assert_eq!(error, ExecError::Aborted { pc: TEXT + 4 });
    let message = error.to_string();
    assert!(
        message.contains("std::process::exit") && message.contains("droste_zkvm::halt"),
        "{message}"
    );
}

#[test]
fn a_stack_that_grows_out_of_memory_is_a_stack_overflow() {
    // Each "call" pushes a 4 KiB frame: sp runs down through the heap and the program until the
    // store leaves mapped memory.
    let code = [
        addi(2, 2, -2048),
        addi(2, 2, -2048),
        Instruction::s(Opcode::Sd, 2, 0, 0),
        Instruction::s(Opcode::Beq, 0, 0, -12),
    ];
    let error = run(&code).unwrap_err();
    let ExecError::StackOverflow { pc, sp, addr, .. } = error else {
        panic!("{error}");
    };
    assert_eq!(pc, TEXT + 8);
    assert_eq!(addr, sp, "the frame's store at 0(sp)");
    assert!(sp < abi::PROGRAM_START, "{error}");
    assert!(error.to_string().contains("stack overflow"), "{error}");

    // A fault with the stack where it belongs stays a plain fault.
    let mut code = li(5, 8).to_vec();
    code.push(Instruction::s(Opcode::Sd, 5, 0, 0));
    assert!(matches!(run(&code), Err(ExecError::Unmapped { .. })));
}

#[test]
fn the_cycle_budget_is_exact() {
    let code = halt(0); // three instructions
    let opts = |max_cycles| ExecOptions {
        max_cycles,
        ..ExecOptions::default()
    };
    assert_eq!(
        run_with(&code, &Input::default(), &opts(3)).unwrap().cycles,
        3
    );
    let error = run_with(&code, &Input::default(), &opts(2)).unwrap_err();
    assert_eq!(
        error,
        ExecError::CycleLimit {
            pc: TEXT + 8,
            max_cycles: 2
        }
    );
    let spin = [Instruction::u(Opcode::Jal, 0, 0)];
    let error = run_with(&spin, &Input::default(), &opts(1000)).unwrap_err();
    assert_eq!(
        error,
        ExecError::CycleLimit {
            pc: TEXT,
            max_cycles: 1000
        }
    );
}

#[test]
fn step_markers_are_recorded_with_their_cycle() {
    let code = [
        addi(0, 0, 1),
        Instruction::nop(),
        addi(0, 0, -3),
        addi(0, 5, 9),
        addi(5, 0, 4),
    ];
    let mut all = code.to_vec();
    all.extend(halt(0));
    let out = run(&all).unwrap();
    assert_eq!(out.markers, vec![(0, 1), (2, -3)]);
}

#[test]
fn stores_into_code_do_not_change_the_program() {
    // Overwrite the instruction at `patched` with `addi x6, x0, 1` and read it back.
    let mut code = li(5, TEXT as i32).to_vec(); // 0, 4
    code.extend(li(7, droste_isa::encode(&addi(6, 0, 1)).unwrap() as i32)); // 8, 12
    code.push(Instruction::s(Opcode::Sw, 5, 7, 24)); // 16: store over the instruction at 24
    code.push(Instruction::i(Opcode::Lwu, 8, 5, 24)); // 20
    code.push(addi(6, 0, 2)); // 24: still executes as written
    code.extend(store(6, 0));
    code.extend(store(8, 8));
    code.extend(commit_data(16));
    code.extend(halt(0));
    let out = run(&code).unwrap();
    let word =
        |i: usize| u64::from_le_bytes(out.public_output[8 * i..8 * i + 8].try_into().unwrap());
    assert_eq!(word(0), 2, "the original instruction ran");
    assert_eq!(
        word(1),
        u64::from(droste_isa::encode(&addi(6, 0, 1)).unwrap()),
        "memory holds the store"
    );
}

#[test]
fn records_capture_steps_memory_and_syscalls() {
    let mut code = li(5, DATA as i32).to_vec(); // 0, 4
    code.push(addi(6, 0, -1)); // 8
    code.push(Instruction::s(Opcode::Sh, 5, 6, 3)); // 12
    code.push(Instruction::i(Opcode::Lbu, 7, 5, 4)); // 16
    code.push(Instruction::s(Opcode::Beq, 0, 0, 8)); // 20: taken
    code.push(Instruction::nop()); // 24: skipped
    code.extend(li(A0, DATA as i32 + 1)); // 28, 32
    code.push(addi(A1, 0, 10)); // 36
    code.extend(sys(syscall::COMMIT)); // 40, 44
    code.extend(halt(0)); // 48, 52, 56
    let elf = common::elf(&code, &[0xaa; 16]);
    let program = Program::from_elf(&elf).unwrap();
    let opts = ExecOptions {
        record: true,
        ..ExecOptions::default()
    };
    let out = execute(&program, &Input::default(), &opts).unwrap();
    let record = out.record.unwrap();
    assert_eq!(record.steps.len() as u64, out.cycles);
    assert_eq!(record.initial_registers[2], abi::STACK_TOP);
    let pc = |clk: usize| record.steps[clk].pc as u64;
    assert_eq!(pc(0), TEXT);
    assert_eq!(
        record.steps[3],
        StepEvent {
            pc: (TEXT + 12) as u32,
            next_pc: (TEXT + 16) as u32,
            rs1_value: DATA,
            rs2_value: u64::MAX,
            rd_value: 0
        }
    );
    assert_eq!(record.steps[4].rd_value, 0xff);
    assert_eq!(
        (record.steps[5].next_pc as u64, pc(6)),
        (TEXT + 28, TEXT + 28)
    );
    for (clk, step) in record.steps.iter().enumerate().skip(1) {
        assert_eq!(
            step.pc,
            record.steps[clk - 1].next_pc,
            "steps chain at clk {clk}"
        );
    }
    let store = MemoryEvent {
        clk: 3,
        addr: DATA as u32 + 3,
        width: 2,
        write: true,
        value: 0xffff,
        prev_value: 0xaaaa,
    };
    let load = MemoryEvent {
        clk: 4,
        addr: DATA as u32 + 4,
        width: 1,
        write: false,
        value: 0xff,
        prev_value: 0xff,
    };
    assert_eq!(&record.memory[..2], &[store, load]);
    // COMMIT of DATA+1..DATA+11 in aligned pieces: 1, 2, 4, 2, 1 bytes.
    let pieces: Vec<(u32, u8, u64)> = record.memory[2..]
        .iter()
        .map(|e| (e.addr - DATA as u32, e.width, e.value))
        .collect();
    assert_eq!(
        pieces,
        vec![
            (1, 1, 0xaa),
            (2, 2, 0xffaa),
            (4, 4, 0xaaaa_aaff),
            (8, 2, 0xaaaa),
            (10, 1, 0xaa)
        ]
    );
    assert!(record.memory[2..].iter().all(|e| e.clk == 10 && !e.write));
    assert_eq!(record.syscalls.len(), 2);
    assert_eq!(
        (
            record.syscalls[0].clk,
            record.syscalls[0].number,
            record.syscalls[0].args
        ),
        (10, syscall::COMMIT, [DATA + 1, 10, 0])
    );
    assert_eq!(record.syscalls[1].number, syscall::HALT);
}

#[test]
fn records_capture_syscall_writes_with_previous_values() {
    let mut code = li(A0, DATA as i32).to_vec();
    code.push(addi(A1, 0, 3));
    code.extend(sys(syscall::INPUT_READ));
    code.extend(halt(0));
    let elf = common::elf(&code, &[9, 9, 9]);
    let input = Input {
        stream: vec![vec![1, 2, 3]],
        ..Input::default()
    };
    let opts = ExecOptions {
        record: true,
        ..ExecOptions::default()
    };
    let record = execute(&Program::from_elf(&elf).unwrap(), &input, &opts)
        .unwrap()
        .record
        .unwrap();
    let writes: Vec<_> = record
        .memory
        .iter()
        .map(|e| {
            (
                e.addr - DATA as u32,
                e.width,
                e.write,
                e.value,
                e.prev_value,
            )
        })
        .collect();
    assert_eq!(
        writes,
        vec![(0, 2, true, 0x0201, 0x0909), (2, 1, true, 3, 9)]
    );
}

#[test]
fn profiles_bucket_cycles_by_function_marker_and_opcode() {
    // main: marker 1, call helper (3 instructions), marker 2, halt.
    let code = [
        addi(0, 0, 1),                         // 0  main
        Instruction::u(Opcode::Jal, 1, 24),    // 4  -> helper at 28
        addi(0, 0, 2),                         // 8
        addi(A0, 0, 0),                        // 12
        addi(17, 0, 0),                        // 16
        Instruction::system(Opcode::Ecall),    // 20
        Instruction::nop(),                    // 24 (outside every symbol, never run)
        addi(5, 0, 1),                         // 28 helper
        addi(5, 5, 1),                         // 32
        Instruction::i(Opcode::Jalr, 0, 1, 0), // 36
    ];
    let mut builder = ElfBuilder::new(TEXT);
    builder.code(TEXT, &code).unwrap();
    builder
        .symbol("main", TEXT, TEXT + 24)
        .symbol("helper", TEXT + 28, TEXT + 40);
    let program = Program::from_elf(&builder.build()).unwrap();
    let opts = ExecOptions {
        profile: true,
        ..ExecOptions::default()
    };
    let out = execute(&program, &Input::default(), &opts).unwrap();
    let profile = out.profile.unwrap();
    assert_eq!(profile.total_cycles, 9);
    let functions: Vec<(&str, u64)> = profile
        .functions
        .iter()
        .map(|f| (f.name.as_str(), f.cycles))
        .collect();
    assert_eq!(functions, vec![("main", 6), ("helper", 3)]);
    let markers: Vec<(Option<i64>, u64)> = profile
        .markers
        .iter()
        .map(|m| (m.marker, m.cycles))
        .collect();
    assert_eq!(markers, vec![(Some(1), 5), (Some(2), 4)]);
    assert_eq!(profile.opcodes[0], (Opcode::Addi, 6));
    let report = profile.to_string();
    assert!(
        report.contains("main") && report.contains("marker 2") && report.contains("jalr"),
        "{report}"
    );
    assert!(!report.contains(NO_SYMBOL));

    // Code outside every symbol lands in the NO_SYMBOL bucket.
    let bare = execute(&common::program(&halt(0)), &Input::default(), &opts)
        .unwrap()
        .profile
        .unwrap();
    assert_eq!(bare.functions[0].name, NO_SYMBOL);
}

#[test]
fn the_machine_steps_stops_at_a_pc_and_exposes_state() {
    let mut code = vec![addi(5, 0, 1), addi(5, 5, 1), addi(5, 5, 1)];
    code.extend(halt(3));
    let program = program(&code);
    let input = Input::default();
    let mut machine = Machine::new(&program, &input, &ExecOptions::default()).unwrap();
    assert_eq!((machine.pc(), machine.reg(2)), (TEXT, abi::STACK_TOP));
    machine.step().unwrap();
    assert_eq!(
        (machine.pc(), machine.reg(5), machine.cycles()),
        (TEXT + 4, 1, 1)
    );
    assert!(machine.run_until_pc(TEXT + 12).unwrap());
    assert_eq!((machine.pc(), machine.reg(5)), (TEXT + 12, 3));
    machine.set_reg(5, 40);
    machine.set_reg(0, 9);
    assert_eq!((machine.reg(5), machine.reg(0)), (40, 0));
    machine.write_memory(DATA, b"xyz").unwrap();
    assert_eq!(machine.read_memory(DATA, 3).unwrap(), b"xyz");
    assert!(machine.read_memory(8, 1).is_err());
    assert!(
        !machine.run_until_pc(TEXT + 4).unwrap(),
        "halts before reaching a pc behind it"
    );
    assert_eq!(machine.exit().map(|e| e.code), Some(3));
    machine.step().unwrap();
    let out = machine.into_execution();
    assert_eq!((out.exit_code, out.cycles), (3, 6));
}

/// A loop with misaligned memory traffic after a marker, then a commit.
fn busy_program() -> Program {
    let mut code = li(5, DATA as i32).to_vec();
    code.push(addi(6, 0, 50));
    code.push(addi(0, 0, 7));
    code.push(Instruction::i(Opcode::Ld, 7, 5, 3)); // loop:
    code.push(Instruction::r(Opcode::Mul, 7, 7, 6));
    code.push(Instruction::s(Opcode::Sd, 5, 7, 3));
    code.push(addi(6, 6, -1));
    code.push(Instruction::s(Opcode::Bne, 6, 0, -16));
    code.extend(commit_data(16));
    code.extend(halt(0));
    Program::from_elf(&common::elf(&code, &[3; 16])).unwrap()
}

#[test]
fn every_mode_computes_the_same_run() {
    let program = busy_program();
    let run = |record, profile| {
        let opts = ExecOptions {
            record,
            profile,
            ..ExecOptions::default()
        };
        execute(&program, &Input::default(), &opts).unwrap()
    };
    let plain = run(false, false);
    for (record, profile) in [(true, false), (false, true), (true, true)] {
        let other = run(record, profile);
        assert_eq!(
            (&other.public_output, other.cycles, &other.markers),
            (&plain.public_output, plain.cycles, &plain.markers)
        );
        assert_eq!(
            other.record.as_ref().map(|r| r.steps.len() as u64),
            record.then_some(plain.cycles)
        );
        assert_eq!(
            other.profile.as_ref().map(|p| p.total_cycles),
            profile.then_some(plain.cycles)
        );
    }
    assert_eq!(plain.markers, vec![(3, 7)]);
}

#[test]
fn profile_activity_is_what_the_record_holds() {
    let opts = ExecOptions {
        record: true,
        profile: true,
        ..ExecOptions::default()
    };
    let out = execute(&busy_program(), &Input::default(), &opts).unwrap();
    let (record, profile) = (out.record.unwrap(), out.profile.unwrap());
    let mut dwords: Vec<u32> = record
        .memory
        .iter()
        .flat_map(|e| e.addr / 8..=(e.addr + u32::from(e.width) - 1) / 8)
        .collect();
    dwords.sort();
    dwords.dedup();
    // The loop's misaligned doubleword spans two cells, which the commit reads again.
    assert_eq!(dwords.len(), 2);
    let activities: [Vec<&Activity>; 2] = [
        profile.functions.iter().map(|f| &f.activity).collect(),
        profile.markers.iter().map(|m| &m.activity).collect(),
    ];
    for buckets in activities {
        let mut new: Vec<u32> = buckets.iter().flat_map(|a| a.new_dwords.clone()).collect();
        new.sort();
        assert_eq!(new, dwords, "each touched doubleword is new exactly once");
        let mut calls: Vec<SyscallEvent> =
            buckets.iter().flat_map(|a| a.syscalls.clone()).collect();
        calls.sort_by_key(|c| c.clk);
        assert_eq!(calls, record.syscalls);
        let mut opcodes = [0u64; Opcode::COUNT];
        for (op, count) in buckets.iter().flat_map(|a| &a.opcodes) {
            opcodes[*op as usize] += count;
        }
        for (op, count) in &profile.opcodes {
            assert_eq!(opcodes[*op as usize], *count, "{op:?}");
        }
    }
    // Marker 7 starts before the loop: the loop's doublewords are new in its phase.
    let phase = profile
        .markers
        .iter()
        .find(|m| m.marker == Some(7))
        .unwrap();
    assert_eq!(phase.activity.new_dwords, dwords);
    assert_eq!(phase.activity.syscalls.len(), 2);
    assert_eq!(
        phase.cycles,
        phase.activity.opcodes.iter().map(|(_, c)| c).sum::<u64>()
    );
}

#[test]
fn a_profile_collected_in_slices_is_the_profile_of_the_whole_run() {
    let program = busy_program();
    let opts = ExecOptions {
        profile: true,
        ..ExecOptions::default()
    };
    let whole = execute(&program, &Input::default(), &opts).unwrap();
    let input = Input::default();
    let mut machine = Machine::new(&program, &input, &opts).unwrap();
    while machine.exit().is_none() {
        machine.run_for(7).unwrap();
    }
    assert_eq!(machine.into_execution().profile, whole.profile);
}
