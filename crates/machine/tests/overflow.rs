//! Overflow twins: a table's rows may be shared with its twin (the prover does so past a power of
//! two, see `droste_machine::overflow`), which proves exactly the rows one table would: any split
//! of honest rows verifies, and a dishonest row in a twin is caught as in the table itself.

mod common;

use core::borrow::BorrowMut;

use common::*;
use droste_executor::Input;
use droste_isa::abi::syscall;
use droste_isa::{Instruction as I, Opcode};
use droste_machine::bus::MEMORY;
use droste_machine::chips::add_sub::AddImmCols;
use droste_machine::chips::memory::LoadCols;
use droste_machine::overflow::MIN_SPLIT_HEIGHT;
use droste_machine::{MachineProver, ProvingKey, PublicValues};
use droste_stark::{ConstraintViolation, Val};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

/// Loads and stores, several `addi`s, a commit and a halt.
fn sample() -> droste_executor::Program {
    let mut code = li(5, DATA as i32);
    for offset in [0, 8, 16, 24] {
        code.push(I::i(Opcode::Ld, 6, 5, offset));
        code.push(I::i(Opcode::Addi, 6, 6, 3));
        code.push(I::s(Opcode::Sd, 5, 6, offset + 32));
    }
    code.extend(li(10, DATA as i32 + 32));
    code.extend(li(11, 8));
    code.extend(ecall(syscall::COMMIT));
    code.extend(li(10, 0));
    code.extend(halt());
    program(&code, &(1..=64).collect::<Vec<u8>>())
}

fn setup() -> (ProvingKey, Vec<RowMajorMatrix<Val>>, PublicValues) {
    let (pk, _) = keys(&sample());
    let (traces, public) = traces(&pk, &Input::default());
    check(&pk, &traces, &public).expect("honest witness");
    (pk, traces, public)
}

/// Real rows of a trace (they come first, padding rows are zero).
fn real_rows(trace: &RowMajorMatrix<Val>) -> usize {
    trace
        .values
        .chunks(trace.width)
        .take_while(|row| row.iter().any(|v| *v != Val::ZERO))
        .count()
}

/// Moves the rows of `name` from `keep` on into its twin (both zero-padded to powers of two).
fn move_rows(pk: &ProvingKey, traces: &mut [RowMajorMatrix<Val>], name: &str, keep: usize) {
    let (t, twin) = (table_index(pk, name), table_index(pk, &format!("{name}+")));
    assert_eq!(traces[twin].height(), 0, "the prover left {name}+ empty");
    let width = traces[t].width;
    let real = real_rows(&traces[t]);
    assert!(0 < keep && keep < real, "{name} has {real} rows");
    let padded = |rows: usize| rows.next_power_of_two().max(2) * width;
    let mut moved = traces[t].values[keep * width..real * width].to_vec();
    moved.resize(padded(real - keep), Val::ZERO);
    traces[t].values.truncate(keep * width);
    traces[t].values.resize(padded(keep), Val::ZERO);
    traces[twin] = RowMajorMatrix::new(moved, width);
}

#[test]
fn every_split_of_honest_rows_verifies() {
    let (pk, traces, public) = setup();
    for (name, keep) in [("add_imm", 1), ("add_imm", 4), ("load", 2), ("store", 3)] {
        let mut traces = traces.clone();
        move_rows(&pk, &mut traces, name, keep);
        check(&pk, &traces, &public).expect("a split honest witness");
        let proof = MachineProver::prove_traces(&pk, traces, public.clone()).unwrap();
        assert_eq!(
            droste_machine::verify(&pk.vk, &proof.to_bytes()).unwrap(),
            public
        );
    }
}

#[test]
fn a_wrong_result_in_a_twin_is_caught() {
    let (pk, mut traces, public) = setup();
    move_rows(&pk, &mut traces, "add_imm", 2);
    let twin = table_index(&pk, "add_imm+");
    let cols: &mut AddImmCols<Val> = row_mut(&mut traces[twin], 0).borrow_mut();
    cols.frame.rd.value.0[0] += Val::ONE;
    assert_caught(
        &pk,
        traces,
        public,
        |violation| matches!(violation, ConstraintViolation::Constraint { table, row: 0, .. } if table == "add_imm+"),
    );
}

#[test]
fn a_wrong_loaded_value_in_a_twin_unbalances_memory() {
    let (pk, mut traces, public) = setup();
    move_rows(&pk, &mut traces, "load", 1);
    let twin = table_index(&pk, "load+");
    let cols: &mut LoadCols<Val> = row_mut(&mut traces[twin], 0).borrow_mut();
    // The loaded doubleword and the register written change consistently: only memory checking
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
fn a_row_repeated_in_a_twin_is_caught() {
    let (pk, mut traces, public) = setup();
    let (t, twin) = (table_index(&pk, "add_imm"), table_index(&pk, "add_imm+"));
    let mut copy = row_mut(&mut traces[t], 0).to_vec();
    copy.resize(2 * traces[t].width, Val::ZERO);
    traces[twin] = RowMajorMatrix::new(copy, traces[t].width);
    assert_caught(&pk, traces, public, |violation| {
        matches!(violation, ConstraintViolation::Unbalanced { .. })
    });
}

/// A loop of `addi`s long enough that its table passes a power of two at which the prover splits
/// it: the heights estimated from the record and the profile match the split traces, and the
/// proof verifies.
#[test]
fn the_prover_splits_a_table_just_past_a_power_of_two() {
    let iterations = MIN_SPLIT_HEIGHT / 2 + 300;
    let mut code = li(6, iterations as i32);
    code.push(I::i(Opcode::Addi, 5, 5, 1));
    code.push(I::i(Opcode::Addi, 6, 6, -1));
    code.push(I::s(Opcode::Bne, 6, 0, -8));
    code.extend(li(10, 0));
    code.extend(halt());
    let program = program(&code, &[]);
    let (pk, vk) = keys(&program);
    let (traces, public) = traces(&pk, &Input::default());
    let (t, twin) = (table_index(&pk, "add_imm"), table_index(&pk, "add_imm+"));
    assert_eq!(traces[t].height(), MIN_SPLIT_HEIGHT);
    assert_eq!(
        real_rows(&traces[twin]),
        2 * iterations + 3 - MIN_SPLIT_HEIGHT
    );
    assert_eq!(traces[twin].height(), 1024);
    let proof = MachineProver::prove_traces(&pk, traces, public.clone()).unwrap();
    assert_eq!(
        droste_machine::verify(&vk, &proof.to_bytes()).unwrap(),
        public
    );
}
