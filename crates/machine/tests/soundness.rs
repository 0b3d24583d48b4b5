//! A dishonest witness is caught: the debug checker names the failing constraint or bus, and a
//! full proof of it does not verify.

mod common;

use core::borrow::BorrowMut;

use common::*;
use droste_executor::Input;
use droste_isa::abi::syscall;
use droste_isa::{Instruction as I, Opcode};
use droste_machine::bus::{BUFFER, MEMORY, OUTPUT, PROGRAM, RANGE, STATE};
use droste_machine::chips::add_sub::{AddImmCols, AddSubCols};
use droste_machine::chips::buffer::BufferCols;
use droste_machine::chips::constant::ConstantCols;
use droste_machine::chips::control::BranchCols;
use droste_machine::chips::ecall::EcallCols;
use droste_machine::chips::memory::{LoadCols, StoreCols};
use droste_machine::lookup_tables::RangeCountCols;
use droste_machine::memory_tables::DynamicCols;
use droste_machine::{MachineError, MachineProver, ProvingKey, PublicValues};
use droste_stark::{ConstraintViolation, Val, VerifyError};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;

/// A program using add_sub, load, store, branch, jump, commit and halt.
fn sample() -> droste_executor::Program {
    let mut code = li(5, DATA as i32);
    code.push(I::i(Opcode::Ld, 6, 5, 0)); // x6 = 0x0807060504030201
    code.push(I::r(Opcode::Add, 7, 6, 6));
    code.push(I::s(Opcode::Sd, 5, 7, 8));
    code.push(I::s(Opcode::Beq, 7, 7, 8));
    code.push(I::i(Opcode::Addi, 7, 7, 1)); // skipped
    code.extend(li(10, DATA as i32 + 8));
    code.extend(li(11, 4));
    code.extend(ecall(syscall::COMMIT));
    code.extend(li(10, 9));
    code.extend(halt());
    program(&code, &(1..=8).collect::<Vec<u8>>())
}

fn setup() -> (ProvingKey, Vec<RowMajorMatrix<Val>>, PublicValues) {
    let (pk, _) = keys(&sample());
    let (traces, public) = traces(&pk, &Input::default());
    check(&pk, &traces, &public).expect("honest witness");
    (pk, traces, public)
}

#[test]
fn wrong_alu_result_fails_the_adder() {
    let (pk, mut traces, public) = setup();
    let t = table_index(&pk, "add_sub");
    let cols: &mut AddSubCols<Val> = row_mut(&mut traces[t], 0).borrow_mut();
    cols.frame.rd.value.0[0] += Val::ONE;
    assert_caught(
        &pk,
        traces,
        public,
        |violation| matches!(violation, ConstraintViolation::Constraint { table, row: 0, .. } if table == "add_sub"),
    );
}

#[test]
fn wrong_loaded_value_unbalances_memory() {
    let (pk, mut traces, public) = setup();
    let t = table_index(&pk, "load");
    let cols: &mut LoadCols<Val> = row_mut(&mut traces[t], 0).borrow_mut();
    // Change the loaded doubleword and the register value consistently: only memory checking
    // can notice.
    cols.bytes[0] += Val::ONE;
    cols.frame.rd.value.0[0] += Val::ONE;
    assert_caught(&pk, traces, public, |violation| {
        matches!(
            violation,
            ConstraintViolation::Unbalanced { bus: MEMORY, .. }
        )
    });
}

#[test]
fn wrong_stored_value_fails_the_store() {
    let (pk, mut traces, public) = setup();
    let t = table_index(&pk, "store");
    let cols: &mut StoreCols<Val> = row_mut(&mut traces[t], 0).borrow_mut();
    // A byte outside the stored doubleword's written range changes too.
    cols.new[1].0[0] += Val::ONE;
    assert_caught(
        &pk,
        traces,
        public,
        |violation| matches!(violation, ConstraintViolation::Constraint { table, row: 0, .. } if table == "store"),
    );
}

#[test]
fn skipped_instruction_breaks_the_state_chain() {
    let (pk, mut traces, public) = setup();
    let t = table_index(&pk, "add_imm");
    // Turn the first add_imm row into padding: the instruction never happened.
    row_mut(&mut traces[t], 0).fill(Val::ZERO);
    assert_caught(&pk, traces, public, |violation| {
        matches!(violation, ConstraintViolation::Unbalanced { .. })
    });
}

#[test]
fn leaving_out_a_chip_that_ran_breaks_the_state_chain() {
    let (pk, mut traces, public) = setup();
    let t = table_index(&pk, "add_sub");
    let width = traces[t].width;
    traces[t] = RowMajorMatrix::new(Vec::new(), width);
    assert_caught(&pk, traces, public, |violation| {
        matches!(violation, ConstraintViolation::Unbalanced { .. })
    });
}

#[test]
fn repeated_instruction_breaks_the_state_chain() {
    let (pk, mut traces, public) = setup();
    let t = table_index(&pk, "add_imm");
    let real = traces[t]
        .values
        .chunks(traces[t].width)
        .take_while(|r| r[0] == Val::ONE)
        .count();
    let copy = row_mut(&mut traces[t], 0).to_vec();
    row_mut(&mut traces[t], real).copy_from_slice(&copy);
    assert_caught(&pk, traces, public, |violation| {
        matches!(violation, ConstraintViolation::Unbalanced { .. })
    });
}

#[test]
fn wrong_branch_target_fails_the_branch() {
    let (pk, mut traces, public) = setup();
    let t = table_index(&pk, "branch");
    let cols: &mut BranchCols<Val> = row_mut(&mut traces[t], 0).borrow_mut();
    cols.next_pc += Val::from_u32(4);
    assert_caught(
        &pk,
        traces,
        public,
        |violation| matches!(violation, ConstraintViolation::Constraint { table, .. } if table == "branch"),
    );
}

#[test]
fn wrong_pc_is_not_in_the_rom() {
    let (pk, mut traces, public) = setup();
    let t = table_index(&pk, "add_sub");
    let cols: &mut AddSubCols<Val> = row_mut(&mut traces[t], 0).borrow_mut();
    cols.frame.step.pc += Val::from_u32(4);
    assert_caught(
        &pk,
        traces,
        public,
        |violation| matches!(violation, ConstraintViolation::Unbalanced { bus, .. } if *bus == STATE || *bus == PROGRAM),
    );
}

#[test]
fn a_write_to_x0_cannot_stick() {
    // addi x0, x0, 5 then a0 = x0: the ROM sends the addi's write to the sink register.
    let mut code = vec![I::i(Opcode::Addi, 0, 0, 5), I::r(Opcode::Add, 10, 0, 0)];
    code.extend(halt());
    let (pk, _) = keys(&program(&code, &[]));
    let (mut traces, public) = traces(&pk, &Input::default());
    let t = table_index(&pk, "add_imm");
    let cols: &mut AddImmCols<Val> = row_mut(&mut traces[t], 0).borrow_mut();
    assert_eq!(cols.frame.rd.reg, Val::from_u8(droste_machine::fetch::SINK));
    assert_eq!(cols.frame.rd.value.0[0], Val::from_u8(5));
    cols.frame.rd.reg = Val::ZERO;
    assert_caught(
        &pk,
        traces,
        public,
        |violation| matches!(violation, ConstraintViolation::Unbalanced { bus, .. } if *bus == PROGRAM || *bus == MEMORY),
    );
}

#[test]
fn forged_output_and_exit_code_are_rejected() {
    let (pk, traces, public) = setup();
    assert_eq!(public.public_output, [2, 4, 6, 8]);
    let mut forged = public.clone();
    forged.public_output[1] = 5;
    let violation = check(&pk, &traces, &forged).unwrap_err();
    assert!(
        matches!(
            &violation,
            ConstraintViolation::Unbalanced { bus: OUTPUT, .. }
        ),
        "{violation}"
    );
    let honest = MachineProver::prove_traces(&pk, traces.clone(), public.clone()).unwrap();
    let verified = droste_machine::verify(&pk.vk, &honest.to_bytes()).unwrap();
    assert_eq!(verified.exit_code, 9);
    for tamper in [
        |p: &mut droste_machine::MachineProof| p.public_output[1] = 5,
        |p: &mut droste_machine::MachineProof| p.public_output.push(0),
        |p: &mut droste_machine::MachineProof| p.public_output.truncate(3),
        |p: &mut droste_machine::MachineProof| p.exit_code = 0,
    ] {
        let mut proof = honest.clone();
        tamper(&mut proof);
        let err = droste_machine::verify(&pk.vk, &proof.to_bytes()).unwrap_err();
        // The public values are absorbed before any challenge, so the mismatch shows as a
        // failed constraint check or an unbalanced bus, depending on where it surfaces first.
        assert!(
            matches!(
                err,
                MachineError::Verify(
                    VerifyError::Unbalanced | VerifyError::ConstraintMismatch { .. }
                )
            ),
            "{err}"
        );
    }
    assert_rejected(&pk, traces, forged);
}

#[test]
fn a_proof_of_another_program_is_rejected() {
    let (pk, _) = keys(&sample());
    let mut other_code = li(10, 9);
    other_code.extend(halt());
    let (other_pk, other_vk) = keys(&program(&other_code, &[]));
    assert_ne!(pk.vk.digest().unwrap(), other_vk.digest().unwrap());
    let proof = MachineProver::prove(&other_pk, &Input::default()).unwrap();
    let err = droste_machine::verify(&pk.vk, &proof.to_bytes()).unwrap_err();
    assert!(matches!(err, MachineError::WrongKey), "{err}");
    // Claiming the right key digest does not help: the transcript and commitments differ.
    let mut relabeled = proof;
    relabeled.vkey_digest = pk.vk.digest_words().unwrap();
    let err = droste_machine::verify(&pk.vk, &relabeled.to_bytes()).unwrap_err();
    assert!(matches!(err, MachineError::Verify(_)), "{err}");
}

#[test]
fn malformed_bytes_are_an_error() {
    let (pk, _) = keys(&sample());
    for bytes in [&b""[..], b"DROSTEmp", &[0u8; 64]] {
        assert!(matches!(
            droste_machine::verify(&pk.vk, bytes),
            Err(MachineError::Format(_))
        ));
    }
    let proof = MachineProver::prove(&pk, &Input::default()).unwrap();
    let bytes = proof.to_bytes();
    let cut = &bytes[..bytes.len() / 2];
    assert!(droste_machine::verify(&pk.vk, cut).is_err());
}

/// `ld x6, 16(INPUT_START)` (the first payload doubleword) on an 8-byte private input, and the
/// index of the dynamic memory table.
fn input_reader() -> (ProvingKey, Vec<RowMajorMatrix<Val>>, PublicValues, usize) {
    let mut code = li(5, droste_isa::abi::INPUT_START as i32);
    code.push(I::i(Opcode::Ld, 6, 5, 16));
    code.extend(halt());
    let (pk, _) = keys(&program(&code, &[]));
    let input = Input {
        private_input: vec![7; 8],
        ..Input::default()
    };
    let (traces, public) = traces(&pk, &input);
    check(&pk, &traces, &public).expect("honest witness");
    let t = table_index(&pk, "dynamic_memory");
    (pk, traces, public, t)
}

/// The dynamic memory rows of the input region, in order (header, header end, payload).
fn input_rows(trace: &mut RowMajorMatrix<Val>) -> Vec<&mut DynamicCols<Val>> {
    let width = trace.width;
    trace
        .values
        .chunks_exact_mut(width)
        .map(|row| -> &mut DynamicCols<Val> { row.borrow_mut() })
        .filter(|cols| cols.is_input == Val::ONE)
        .collect()
}

#[test]
fn a_read_past_the_declared_input_is_rejected() {
    let (pk, mut traces, public, t) = input_reader();
    // Claim an empty input: the payload doubleword then lies past the region's end, and the
    // distance to the end is negative.
    let rows = input_rows(&mut traces[t]);
    assert_eq!(rows.len(), 3);
    for (row, to_end) in rows.into_iter().zip([15, 7, -1]) {
        if row.is_header == Val::ONE {
            row.init.0[0] = Val::ZERO;
            row.last.value.0[0] = Val::ZERO;
        }
        row.input_len = Val::ZERO;
        row.to_input_end = [Val::from_i32(to_end), Val::ZERO];
    }
    // The distances were 23, 15, 7 and are now 15, 7, -1, and the header's low limb is 0, not
    // 8: move the range table's counts over, so that only the negative distance is unmatched.
    let range = table_index(&pk, "range");
    for (value, change) in [(23, -1), (8, -1), (0, 1)] {
        let counts: &mut RangeCountCols<Val> = row_mut(&mut traces[range], value).borrow_mut();
        counts.count[0] += Val::from_i32(change);
    }
    assert_caught(
        &pk,
        traces,
        public,
        |violation| matches!(violation, ConstraintViolation::Unbalanced { bus: RANGE, values, .. } if values[0] == Val::ORDER_U32 - 1),
    );
}

#[test]
fn the_input_header_cannot_be_left_out() {
    let (pk, traces, public, t) = input_reader();
    // Without the header flag the first input row has no length to be bounded by.
    let mut unflagged = traces.clone();
    input_rows(&mut unflagged[t])[0].is_header = Val::ZERO;
    let violation = check(&pk, &unflagged, &public).unwrap_err();
    assert!(
        matches!(&violation, ConstraintViolation::Constraint { table, .. } if table == "dynamic_memory"),
        "{violation}"
    );
    // The reserved header bytes are zero.
    let mut reserved = traces.clone();
    let mut rows = input_rows(&mut reserved[t]);
    rows[0].init.0[3] = Val::ONE;
    rows[0].last.value.0[3] = Val::ONE;
    let violation = check(&pk, &reserved, &public).unwrap_err();
    assert!(
        matches!(&violation, ConstraintViolation::Constraint { table, .. } if table == "dynamic_memory"),
        "{violation}"
    );
    assert_rejected(&pk, unflagged, public);
}

#[test]
fn a_panic_exits_with_the_panic_code_only() {
    let mut code = li(10, 0);
    code.extend(li(11, 0));
    code.extend(ecall(syscall::PANIC));
    let program = program(&code, &[]);
    let verified = prove_and_verify(&program, &Input::default());
    assert_eq!(verified.exit_code, droste_isa::abi::PANIC_EXIT_CODE);
    // The panic's a0 carries the exit code to the verifier; it cannot be another one.
    let (pk, _) = keys(&program);
    let (mut traces, mut public) = traces(&pk, &Input::default());
    let t = table_index(&pk, "ecall");
    let cols: &mut EcallCols<Val> = row_mut(&mut traces[t], 0).borrow_mut();
    cols.arg0_new.0[0] = Val::ZERO;
    cols.arg0_new.0[1] = Val::ZERO;
    public.exit_code = 0;
    assert_caught(
        &pk,
        traces,
        public,
        |violation| matches!(violation, ConstraintViolation::Constraint { table, .. } if table == "ecall"),
    );
}

/// `write(fd, DATA, 4)`, then commit the same 4 bytes and halt 0: the shape of issue 10's run.
fn writer(fd: i32) -> droste_executor::Program {
    let mut code = li(10, fd);
    code.extend(li(11, DATA as i32));
    code.extend(li(12, 4));
    code.extend(ecall(syscall::WRITE));
    code.extend(li(10, DATA as i32));
    code.extend(li(11, 4));
    code.extend(ecall(syscall::COMMIT));
    code.extend(li(10, 0));
    code.extend(halt());
    program(&code, b"OK!!")
}

/// `program`'s first system call has a buffer: leaving out its `buffer` rows (the call without
/// its buffer: the buffer token and the memory accesses of the rows go unmatched) is caught.
fn assert_buffer_rows_needed(program: &droste_executor::Program) {
    let (pk, _) = keys(program);
    let (mut traces, public) = traces(&pk, &Input::default());
    let ecall = table_index(&pk, "ecall");
    let call: &EcallCols<Val> = row_mut(&mut traces[ecall], 0).borrow_mut();
    let clk = call.clk;
    let t = table_index(&pk, "buffer");
    let width = traces[t].width;
    let mut dropped = 0;
    for row in traces[t].values.chunks_exact_mut(width) {
        let cols: &mut BufferCols<Val> = row.borrow_mut();
        if cols.is_real == Val::ONE && cols.clk == clk {
            row.fill(Val::ZERO);
            dropped += 1;
        }
    }
    assert!(dropped > 0, "the call has buffer rows");
    assert_caught(
        &pk,
        traces,
        public,
        |violation| matches!(violation, ConstraintViolation::Unbalanced { bus, .. } if [MEMORY, BUFFER].contains(bus)),
    );
}

#[test]
fn write_needs_stdout_or_stderr() {
    for fd in [1, 2] {
        let verified = prove_and_verify(&writer(fd), &Input::default());
        assert_eq!(verified.public_output, b"OK!!");
    }
    let (bad_pk, _) = keys(&writer(3));
    let err = MachineProver::prove(&bad_pk, &Input::default()).unwrap_err();
    assert!(
        matches!(
            err,
            MachineError::Execution(droste_executor::ExecError::BadSyscall {
                syscall: "WRITE",
                ..
            })
        ),
        "{err}"
    );
    // A prover that skips the executor's check: the run of `writer(1)` with the `li a0, 3` of
    // `writer(3)` (the same code but that immediate) computing 3 into a0, which the WRITE row
    // reads as its fd. Memory and the program are consistent; only the fd check fails.
    let (pk, _) = keys(&writer(1));
    let (mut traces, mut public) = traces(&pk, &Input::default());
    public.vkey_digest = bad_pk.vk.digest_words().unwrap();
    let three = Val::from_u32(3);
    let add_imm = table_index(&pk, "add_imm");
    let li_fd: &mut AddImmCols<Val> = row_mut(&mut traces[add_imm], 0).borrow_mut();
    assert_eq!(
        (li_fd.frame.rd.reg, li_fd.frame.imm.lo),
        (Val::from_u8(10), Val::ONE)
    );
    li_fd.frame.imm.lo = three;
    li_fd.frame.rd.value.0[0] = three;
    let range = table_index(&pk, "range");
    for (value, change) in [(1, -1), (3, 1)] {
        let counts: &mut RangeCountCols<Val> = row_mut(&mut traces[range], value).borrow_mut();
        counts.count[0] += Val::from_i32(change);
    }
    // The next write of a0 (the `lui` of `li a0, DATA`) saw 3 there.
    let constant = table_index(&pk, "constant");
    let width = traces[constant].width;
    let next = traces[constant]
        .values
        .chunks_exact_mut(width)
        .map(|row| -> &mut ConstantCols<Val> { row.borrow_mut() })
        .find(|cols| cols.rd.reg == Val::from_u8(10))
        .unwrap();
    assert_eq!(next.rd.prev.0[0], Val::ONE);
    next.rd.prev.0[0] = three;
    let ecall = table_index(&pk, "ecall");
    let write: &mut EcallCols<Val> = row_mut(&mut traces[ecall], 0).borrow_mut();
    assert_eq!(write.arg2[0], Val::ONE);
    write.arg2[0] = three;
    assert_caught(
        &bad_pk,
        traces,
        public,
        |violation| matches!(violation, ConstraintViolation::Constraint { table, row: 0, .. } if table == "ecall"),
    );
}

#[test]
fn write_and_panic_buffers_must_be_read() {
    // WRITE: the executor refuses an unmapped buffer; the machine needs its buffer rows.
    let mut code = li(10, 1);
    code.extend(li(11, 0x100));
    code.extend(li(12, 4));
    code.extend(ecall(syscall::WRITE));
    code.extend(li(10, 0));
    code.extend(halt());
    let (pk, _) = keys(&program(&code, &[]));
    let err = MachineProver::prove(&pk, &Input::default()).unwrap_err();
    assert!(err.to_string().contains("outside mapped memory"), "{err}");
    assert_buffer_rows_needed(&writer(1));

    // PANIC: the same for its message, which may lie in the private input too.
    let mut code = li(10, 0x100);
    code.extend(li(11, 4));
    code.extend(ecall(syscall::PANIC));
    let (pk, _) = keys(&program(&code, &[]));
    let err = MachineProver::prove(&pk, &Input::default()).unwrap_err();
    assert!(err.to_string().contains("outside mapped memory"), "{err}");
    let mut code = li(10, DATA as i32);
    code.extend(li(11, 4));
    code.extend(ecall(syscall::PANIC));
    let panicker = program(&code, b"oops");
    assert_eq!(
        prove_and_verify(&panicker, &Input::default()).exit_code,
        droste_isa::abi::PANIC_EXIT_CODE
    );
    let mut code = li(10, droste_isa::abi::INPUT_PAYLOAD_START as i32);
    code.extend(li(11, 3));
    code.extend(ecall(syscall::PANIC));
    let input = Input {
        private_input: b"bad".to_vec(),
        ..Input::default()
    };
    prove_and_verify(&program(&code, &[]), &input);
    assert_buffer_rows_needed(&panicker);
}
