//! The POSEIDON2 precompile in the machine: honest calls prove in both word representations,
//! and a dishonest `poseidon2` row (wrong output, address or mode, a row without its call, a
//! call without its row, a non-canonical input word) is named by the debug checker and yields
//! no accepted proof.

mod common;

use core::borrow::BorrowMut;

use common::*;
use droste_executor::poseidon2::permute_words;
use droste_executor::Input;
use droste_isa::abi::{poseidon2, syscall};
use droste_machine::bus::{MEMORY, POSEIDON2, RANGE};
use droste_machine::chips::poseidon2::{Poseidon2Cols, Poseidon2Table};
use droste_machine::events::{DwordAccess, Poseidon2Event};
use droste_machine::lookup::LookupCounter;
use droste_machine::{ProvingKey, PublicValues};
use droste_stark::{ConstraintViolation, Val};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;

/// A state with the extremes 0, 1 and `p - 1` and spread-out words.
fn state() -> [u32; 16] {
    let mut words: [u32; 16] =
        core::array::from_fn(|i| (i as u32 + 3).wrapping_mul(0x9e37_79b9) % poseidon2::MODULUS);
    words[0] = 0;
    words[1] = 1;
    words[2] = poseidon2::MODULUS - 1;
    words
}

fn bytes(words: &[u32; 16]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Permutes the 16 words at DATA in representation `mode`, commits them and halts.
fn permuting_program(data: &[u32; 16], mode: u64) -> droste_executor::Program {
    let mut code = li(10, DATA as i32);
    code.extend(li(11, mode as i32));
    code.extend(ecall(syscall::POSEIDON2));
    code.extend(li(11, 64));
    code.extend(ecall(syscall::COMMIT));
    code.extend(li(10, 0));
    code.extend(halt());
    program(&code, &bytes(data))
}

#[test]
fn calls_prove_in_both_representations() {
    for mode in [poseidon2::CANONICAL, poseidon2::MONTGOMERY] {
        let verified = prove_and_verify(&permuting_program(&state(), mode), &Input::default());
        let expected = permute_words(&state(), mode == poseidon2::MONTGOMERY);
        assert_eq!(verified.public_output, bytes(&expected), "mode {mode}");
    }
}

/// What the table costs a verifier per query (every column is opened, each LogUp column is 4
/// base cells), pinned so that a change shows here: 315 main columns, 121 interactions in 61
/// LogUp columns, constraint degree 3 (POSEIDON2_FROM's source took 35 columns and 24
/// interactions).
#[test]
fn the_table_stays_lean() {
    let (pk, _) = keys(&permuting_program(&state(), poseidon2::CANONICAL));
    let t = table_index(&pk, "poseidon2");
    let meta = &pk.vk.stark.tables[t];
    assert_eq!(meta.main_width, 315);
    assert_eq!(meta.interactions.len(), 121);
    assert_eq!(meta.aux_columns(), 61);
    assert_eq!(meta.constraint_degree, 3);
    assert!(meta.may_be_empty);
}

/// An honest run of the canonical program, and the index of the `poseidon2` table.
fn setup() -> (ProvingKey, Vec<RowMajorMatrix<Val>>, PublicValues, usize) {
    let (pk, _) = keys(&permuting_program(&state(), poseidon2::CANONICAL));
    let (traces, public) = traces(&pk, &Input::default());
    check(&pk, &traces, &public).expect("honest witness");
    let t = table_index(&pk, "poseidon2");
    (pk, traces, public, t)
}

fn row(trace: &mut RowMajorMatrix<Val>, r: usize) -> &mut Poseidon2Cols<Val> {
    row_mut(trace, r).borrow_mut()
}

fn is_unbalanced(violation: &ConstraintViolation, buses: &[u16]) -> bool {
    matches!(violation, ConstraintViolation::Unbalanced { bus, .. } if buses.contains(bus))
}

fn in_poseidon2(violation: &ConstraintViolation) -> bool {
    matches!(violation, ConstraintViolation::Constraint { table, row: 0, .. } if table == "poseidon2")
}

#[test]
fn a_wrong_output_word_is_caught() {
    let (pk, mut traces, public, t) = setup();
    // The limb alone: the output word no longer is the permutation's output.
    let mut limb = traces.clone();
    row(&mut limb[t], 0).output[3].lo += Val::ONE;
    assert_caught(&pk, limb, public.clone(), in_poseidon2);
    // The permutation's last round alone: it no longer follows from the previous round.
    let cols = row(&mut traces[t], 0);
    cols.perm.0[cols.perm.0.len() - 1] += Val::ONE;
    assert_caught(&pk, traces, public, in_poseidon2);
}

#[test]
fn a_wrong_address_is_caught() {
    let (pk, mut traces, public, t) = setup();
    // Another aligned state: its cells do not hold these words (and the call named DATA).
    row(&mut traces[t], 0).addr += Val::from_u32(8);
    assert_caught(&pk, traces, public, |v| {
        is_unbalanced(v, &[MEMORY, POSEIDON2])
    });
}

#[test]
fn a_call_without_its_row_and_a_row_without_its_call_are_caught() {
    let (pk, traces, public, t) = setup();
    // The call's row is gone (padding), or the table is left out altogether.
    let mut missing = traces.clone();
    row_mut(&mut missing[t], 0).fill(Val::ZERO);
    assert_caught(&pk, missing, public.clone(), |v| {
        is_unbalanced(v, &[MEMORY, POSEIDON2])
    });
    let mut left_out = traces.clone();
    left_out[t] = RowMajorMatrix::new(Vec::new(), left_out[t].width);
    assert_caught(&pk, left_out, public.clone(), |v| {
        is_unbalanced(v, &[MEMORY, POSEIDON2])
    });
    // A second row repeating the call: no second call sent it.
    let mut extra = traces;
    let copy = row_mut(&mut extra[t], 0).to_vec();
    row_mut(&mut extra[t], 1).copy_from_slice(&copy);
    assert_caught(&pk, extra, public, |v| {
        is_unbalanced(v, &[MEMORY, POSEIDON2])
    });
}

/// The row of a consistent call at clock `clk` on `input` in representation `montgomery`
/// (accesses from the given previous timestamps), as trace generation writes it.
fn forged_row(
    clk: u32,
    input: [u32; 16],
    montgomery: bool,
    prev_ts: [u32; 8],
    lookups: &LookupCounter,
) -> Vec<Val> {
    let output = permute_words(&input, montgomery);
    let event = Poseidon2Event {
        clk,
        addr: DATA as u32,
        montgomery,
        input,
        output,
        accesses: prev_ts.map(|prev_ts| DwordAccess {
            prev_ts,
            ..DwordAccess::default()
        }),
        source: None,
    };
    let trace = Poseidon2Table::generate_trace(&[event], lookups);
    trace.values[..trace.width].to_vec()
}

#[test]
fn a_wrong_mode_is_caught() {
    let (pk, mut traces, public, t) = setup();
    // Flipping the flag alone breaks the word-to-element constraints.
    let mut flipped = traces.clone();
    row(&mut flipped[t], 0).montgomery = Val::ONE;
    assert_caught(&pk, flipped, public.clone(), in_poseidon2);
    // A row computed consistently in the other representation is not the call the guest made.
    let cols = row(&mut traces[t], 0);
    let clk = cols.clk.as_canonical_u32();
    let prev_ts = cols.access.map(|a| {
        8 * clk + 6 - 1 - a.diff_lo.as_canonical_u32() - (a.diff_hi.as_canonical_u32() << 16)
    });
    let forged = forged_row(clk, state(), true, prev_ts, &LookupCounter::default());
    row_mut(&mut traces[t], 0).copy_from_slice(&forged);
    assert_caught(&pk, traces, public, |v| {
        is_unbalanced(v, &[MEMORY, POSEIDON2, RANGE])
    });
    // A representation other than 0 and 1 is not boolean.
    let (pk, mut traces, public, t) = setup();
    row(&mut traces[t], 0).montgomery = Val::TWO;
    assert_caught(&pk, traces, public, in_poseidon2);
}

#[test]
fn a_non_canonical_input_word_is_refused_and_cannot_be_forged() {
    // Word 0 is p itself: the executor refuses the call.
    let mut words = state();
    words[0] = poseidon2::MODULUS;
    let refused = permuting_program(&words, poseidon2::CANONICAL);
    let pk = refused_call(&refused, "POSEIDON2", "word 0");
    // A prover that skips the check: the run on word 0 = 0 (the same field element, p mod p)
    // with the row's limbs claiming p = 0x7f00_0001, as the refused program's memory holds.
    let (honest_pk, _) = keys(&permuting_program(&state(), poseidon2::CANONICAL));
    let (mut traces, mut public) = traces(&honest_pk, &Input::default());
    public.vkey_digest = pk.vk.digest_words().unwrap();
    let t = table_index(&pk, "poseidon2");
    forge_modulus_limbs(&pk, &mut traces, |traces| {
        &mut row(&mut traces[t], 0).input[0]
    });
    assert_caught(&pk, traces, public, |v| {
        matches!(v, ConstraintViolation::Unbalanced { bus: RANGE, values, .. }
            if values[0] == Val::ORDER_U32 - 1)
    });
}
