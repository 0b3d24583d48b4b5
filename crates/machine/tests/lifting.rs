//! Lifting: a large proof pads its short event tables with zero rows up to `LIFTED_ROWS`
//! (`droste_machine::trace::lift_traces`), so that FRI's final polynomial can be longer. Zero rows
//! are padding in every table that may be empty, so a lifted proof proves exactly what the
//! unlifted one does, and a lifted row that is not padding is caught like any other row (shard
//! proofs, with their `merkle` and `siblings` tables: `tests/shards.rs`).

mod common;

use core::borrow::BorrowMut;

use common::*;
use droste_executor::Input;
use droste_isa::abi::syscall;
use droste_isa::{Instruction as I, Opcode};
use droste_machine::chips::add_sub::AddImmCols;
use droste_machine::trace::{lifted_heights, LIFTED_ROWS, LIFT_FROM_ROWS};
use droste_machine::{MachineProver, ProvingKey, PublicValues};
use droste_stark::Val;
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

/// A load, a store, an `addi` and a commit: rows in a handful of event tables.
fn sample() -> droste_executor::Program {
    let mut code = li(5, DATA as i32);
    code.push(I::i(Opcode::Ld, 6, 5, 0));
    code.push(I::i(Opcode::Addi, 6, 6, 3));
    code.push(I::s(Opcode::Sd, 5, 6, 8));
    code.extend(li(10, DATA as i32 + 8));
    code.extend(li(11, 8));
    code.extend(ecall(syscall::COMMIT));
    code.extend(li(10, 0));
    code.extend(halt());
    program(&code, &[7; 16])
}

/// The sample's traces with every table that may be empty and has rows lifted to
/// [`LIFTED_ROWS`], as `lift_traces` lifts a large proof's.
fn lifted() -> (ProvingKey, Vec<RowMajorMatrix<Val>>, PublicValues) {
    let (pk, _) = keys(&sample());
    let (mut traces, public) = traces(&pk, &Input::default());
    let lifted = lift_every_table(&MachineProver::tables(&pk), &mut traces);
    assert!(lifted >= 4, "only {lifted} tables lifted");
    (pk, traces, public)
}

#[test]
fn lifted_traces_prove_the_same_statement() {
    let (pk, traces, public) = lifted();
    check(&pk, &traces, &public).expect("lifted honest witness");
    let proof = MachineProver::prove_traces(&pk, traces, public.clone()).unwrap();
    assert_eq!(
        droste_machine::verify(&pk.vk, &proof.to_bytes()).unwrap(),
        public
    );
}

#[test]
fn a_lifted_row_that_is_not_padding_is_caught() {
    let (pk, mut traces, public) = lifted();
    // The last lifted row of `add_imm` claims to be a real `addi`.
    let add_imm = table_index(&pk, "add_imm");
    let row: &mut AddImmCols<Val> = row_mut(&mut traces[add_imm], LIFTED_ROWS - 1).borrow_mut();
    row.frame.step.is_real = Val::ONE;
    assert_caught(&pk, traces, public, |_| true);
}

#[test]
fn only_large_proofs_lift_and_only_tables_with_rows_that_may_be_empty() {
    let liftable = |table: usize| table != 1;
    // No table reaches the threshold: nothing moves.
    let small = [LIFT_FROM_ROWS / 2, 4, 2, 0];
    assert_eq!(lifted_heights(&small, liftable), small);
    // One does: short liftable tables with rows rise to LIFTED_ROWS, the others keep theirs.
    let large = [LIFT_FROM_ROWS, 4, 2, 0, 2 * LIFTED_ROWS];
    assert_eq!(
        lifted_heights(&large, liftable),
        [LIFT_FROM_ROWS, 4, LIFTED_ROWS, 0, 2 * LIFTED_ROWS]
    );
}
