//! The POSEIDON2_FROM precompile in the machine: honest calls (either half, a source inside the
//! state, a replaced half that holds no field elements) prove, and a dishonest `poseidon2` or
//! `ecall` row (a changed source word, the other half, another source address, a call passed off
//! as POSEIDON2, a padding row that reads a source, a non-canonical source word) is named by the
//! debug checker and yields no accepted proof.

mod common;

use core::borrow::BorrowMut;

use common::*;
use droste_executor::poseidon2::permute_words;
use droste_executor::Input;
use droste_isa::abi::{poseidon2, syscall};
use droste_machine::bus::{MEMORY, POSEIDON2, RANGE};
use droste_machine::chips::ecall::EcallCols;
use droste_machine::chips::poseidon2::Poseidon2Cols;
use droste_machine::events::{DwordAccess, Poseidon2Event};
use droste_machine::lookup::LookupCounter;
use droste_machine::{ProvingKey, PublicValues};
use droste_stark::{ConstraintViolation, Val};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;

/// The state at DATA: a first half of words that are no field elements (the first call replaces
/// it), then field elements. The source at DATA + 64: field elements, word 0 zero.
fn memory(source_word_0: u32) -> Vec<u32> {
    let mut words: Vec<u32> = (0..24u32)
        .map(|i| (i + 5).wrapping_mul(0x9e37_79b9) % poseidon2::MODULUS)
        .collect();
    words[..8].fill(u32::MAX);
    words[9] = poseidon2::MODULUS - 1;
    words[16] = source_word_0;
    words
}

fn bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Three calls on the state at DATA: POSEIDON2_FROM with the source at DATA + 64 for the first
/// half (canonical), POSEIDON2_FROM with the state's own first half for its second half
/// (Montgomery), POSEIDON2 (canonical); commits the state and halts.
fn program_on(memory: &[u32]) -> droste_executor::Program {
    let mut code = li(10, DATA as i32);
    code.extend(li(11, poseidon2::CANONICAL as i32));
    code.extend(li(12, DATA as i32 + 64));
    code.extend(ecall(syscall::POSEIDON2_FROM));
    code.extend(li(
        11,
        (poseidon2::MONTGOMERY + poseidon2::SECOND_HALF) as i32,
    ));
    code.extend(li(12, DATA as i32));
    code.extend(ecall(syscall::POSEIDON2_FROM));
    code.extend(li(11, poseidon2::CANONICAL as i32));
    code.extend(ecall(syscall::POSEIDON2));
    code.extend(li(11, 64));
    code.extend(ecall(syscall::COMMIT));
    code.extend(li(10, 0));
    code.extend(halt());
    program(&code, &bytes(memory))
}

/// What the three calls leave in the state.
fn expected(memory: &[u32]) -> [u32; 16] {
    let mut first: [u32; 16] = memory[..16].try_into().unwrap();
    first[..8].copy_from_slice(&memory[16..24]);
    let after_first = permute_words(&first, false);
    let mut second = after_first;
    second.copy_within(0..8, 8);
    permute_words(&permute_words(&second, true), false)
}

#[test]
fn calls_on_either_half_prove() {
    let memory = memory(0);
    let verified = prove_and_verify(&program_on(&memory), &Input::default());
    assert_eq!(verified.public_output, bytes(&expected(&memory)));
}

/// An honest run, and the indices of the `poseidon2` and `ecall` tables (the calls are rows 0
/// to 2 of each, in order; row 3 of `poseidon2` is padding).
fn setup() -> (
    ProvingKey,
    Vec<RowMajorMatrix<Val>>,
    PublicValues,
    usize,
    usize,
) {
    let (pk, _) = keys(&program_on(&memory(0)));
    let (traces, public) = traces(&pk, &Input::default());
    check(&pk, &traces, &public).expect("honest witness");
    let t = table_index(&pk, "poseidon2");
    let e = table_index(&pk, "ecall");
    (pk, traces, public, t, e)
}

fn row(trace: &mut RowMajorMatrix<Val>, r: usize) -> &mut Poseidon2Cols<Val> {
    row_mut(trace, r).borrow_mut()
}

fn unbalanced_or_poseidon2(violation: &ConstraintViolation) -> bool {
    match violation {
        ConstraintViolation::Unbalanced { bus, .. } => [MEMORY, POSEIDON2, RANGE].contains(bus),
        ConstraintViolation::Constraint { table, .. } => table == "poseidon2",
        _ => false,
    }
}

#[test]
fn a_changed_source_word_is_caught() {
    let (pk, mut traces, public, t, _) = setup();
    // The word no longer is the permutation's input (nor the memory's value).
    row(&mut traces[t], 0).source_words[2].lo += Val::ONE;
    assert_caught(&pk, traces, public, unbalanced_or_poseidon2);
}

#[test]
fn the_other_half_is_caught() {
    let (pk, mut traces, public, t, _) = setup();
    let cols = row(&mut traces[t], 0);
    (cols.from_first, cols.from_second) = (Val::ZERO, Val::ONE);
    assert_caught(&pk, traces, public, unbalanced_or_poseidon2);
}

#[test]
fn another_source_address_is_caught() {
    // In the table: those cells do not hold these words, and the call named DATA + 64.
    let (pk, mut traces, public, t, e) = setup();
    let mut table = traces.clone();
    row(&mut table[t], 0).source += Val::from_u32(8);
    assert_caught(
        &pk,
        table,
        public.clone(),
        |v| matches!(v, ConstraintViolation::Unbalanced { bus, .. } if [MEMORY, POSEIDON2].contains(bus)),
    );
    // In the `ecall` row: a2 does not hold it.
    let ecall: &mut EcallCols<Val> = row_mut(&mut traces[e], 0).borrow_mut();
    ecall.arg2[0] += Val::from_u32(8);
    assert_caught(
        &pk,
        traces,
        public,
        |v| matches!(v, ConstraintViolation::Unbalanced { bus, .. } if [MEMORY, POSEIDON2].contains(bus)),
    );
}

#[test]
fn a_call_passed_off_as_poseidon2_is_caught() {
    // The second call's row computed as a POSEIDON2 of the state in memory (no source): not the
    // call the guest made.
    let (pk, mut traces, public, t, _) = setup();
    let cols = row(&mut traces[t], 1);
    let clk = cols.clk.as_canonical_u32();
    let input: [u32; 16] = core::array::from_fn(|i| {
        cols.input[i].lo.as_canonical_u32() + (cols.input[i].hi.as_canonical_u32() << 16)
    });
    let prev_ts = cols.access.map(|a| {
        8 * clk + 6 - 1 - a.diff_lo.as_canonical_u32() - (a.diff_hi.as_canonical_u32() << 16)
    });
    let event = Poseidon2Event {
        clk,
        addr: DATA as u32,
        montgomery: true,
        input,
        output: permute_words(&input, true),
        accesses: prev_ts.map(|prev_ts| DwordAccess {
            prev_ts,
            ..DwordAccess::default()
        }),
        source: None,
    };
    let forged = droste_machine::chips::poseidon2::Poseidon2Table::generate_trace(
        &[event],
        &LookupCounter::default(),
    );
    row_mut(&mut traces[t], 1).copy_from_slice(&forged.values[..forged.width]);
    assert_caught(
        &pk,
        traces,
        public,
        |v| matches!(v, ConstraintViolation::Unbalanced { bus, .. } if [MEMORY, POSEIDON2, RANGE].contains(bus)),
    );
}

#[test]
fn a_padding_row_reading_a_source_is_caught() {
    let (pk, mut traces, public, t, _) = setup();
    row(&mut traces[t], 3).from_first = Val::ONE;
    assert_caught(
        &pk,
        traces,
        public,
        |v| matches!(v, ConstraintViolation::Constraint { table, row: 3, .. } if table == "poseidon2"),
    );
}

#[test]
fn a_non_canonical_source_word_is_refused() {
    // Source word 0 is p itself: the executor refuses the call (the `poseidon2` table's unit
    // tests forge such a word's limbs in a row).
    refused_call(
        &program_on(&memory(poseidon2::MODULUS)),
        "POSEIDON2_FROM",
        "source word 0",
    );
}
