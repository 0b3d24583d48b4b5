//! The EXT_COMBINE precompile in the machine: honest calls prove (several per run, an empty
//! one, values overlapping the block), and a dishonest witness (a wrong result or accumulator, a
//! wrong or reordered value, a skipped row, an unpaired call, a non-canonical word) is named by
//! the debug checker and yields no accepted proof.

mod common;

use core::borrow::BorrowMut;

use common::*;
use droste_executor::ext_combine::{combine_words, ext_from_words, Ext};
use droste_executor::{ExecError, Input};
use droste_isa::abi::{ext_combine, poseidon2::MODULUS, syscall, PROGRAM_START};
use droste_machine::bus::{EXT_COMBINE, EXT_COMBINE_ROW, MEMORY, RANGE};
use droste_machine::chips::ext_combine::{ExtCombineCols, ExtCombineRowCols};
use droste_machine::memory_tables::FinalCols;
use droste_machine::{MachineError, MachineProver, ProvingKey, PublicValues};
use droste_stark::{ConstraintViolation, Val};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;

/// Bytes of the block at DATA; the values follow it.
const BLOCK: u64 = ext_combine::BLOCK_BYTES;

/// Spread-out words below `p`, with the extremes 0, 1 and `p - 1` first.
fn words(n: usize, seed: u32) -> Vec<u32> {
    (0..n as u32)
        .map(|i| match i {
            0 => 0,
            1 => 1,
            2 => MODULUS - 1,
            _ => (i + seed).wrapping_mul(0x9e37_79b9) % MODULUS,
        })
        .collect()
}

fn bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// The block (`alpha`, `w`, a zero result) and then `values`, at DATA.
fn data(values: &[u32]) -> Vec<u32> {
    let mut data = vec![5];
    data.extend(&words(10, 17)[3..]);
    data.extend([0; 4]);
    assert_eq!(data.len(), ext_combine::BLOCK_WORDS);
    data.extend(values);
    data
}

/// One EXT_COMBINE call per `(first value, count)`, each committing the result, then halt.
fn combining_program(values: &[u32], calls: &[(u64, u64)]) -> droste_executor::Program {
    let mut code = Vec::new();
    for &(first, count) in calls {
        code.extend(li(10, (DATA + BLOCK + 4 * first) as i32));
        code.extend(li(11, count as i32));
        code.extend(li(12, DATA as i32));
        code.extend(ecall(syscall::EXT_COMBINE));
        code.extend(li(10, (DATA + 32) as i32));
        code.extend(li(11, 16));
        code.extend(ecall(syscall::COMMIT));
    }
    code.extend(li(10, 0));
    code.extend(halt());
    program(&code, &bytes(&data(values)))
}

fn expected(values: &[u32], calls: &[(u64, u64)]) -> Vec<u8> {
    let block = data(&[]);
    let ext = |at: usize| ext_from_words(&block[at..at + 4].try_into().unwrap());
    calls
        .iter()
        .flat_map(|&(first, count)| {
            let v = &values[first as usize..(first + count) as usize];
            let result: Ext = combine_words(v, ext(0), ext(4));
            bytes(&droste_executor::ext_combine::ext_to_words(result))
        })
        .collect()
}

#[test]
fn calls_prove() {
    let values = words(10, 3);
    let calls = [(0, 10), (2, 0), (4, 2)];
    let verified = prove_and_verify(&combining_program(&values, &calls), &Input::default());
    assert_eq!(verified.public_output, expected(&values, &calls));
}

/// The values may overlap the block: they are read before the result is written.
#[test]
fn values_overlapping_the_block_prove() {
    let values = words(4, 5);
    let code = {
        let mut code = li(10, DATA as i32);
        code.extend(li(11, 12));
        code.extend(li(12, DATA as i32));
        code.extend(ecall(syscall::EXT_COMBINE));
        code.extend(li(10, (DATA + 32) as i32));
        code.extend(li(11, 16));
        code.extend(ecall(syscall::COMMIT));
        code.extend(li(10, 0));
        code.extend(halt());
        code
    };
    let block = data(&values);
    let verified = prove_and_verify(&program(&code, &bytes(&block)), &Input::default());
    let ext = |at: usize| ext_from_words(&block[at..at + 4].try_into().unwrap());
    let result = combine_words(&block[..12], ext(0), ext(4));
    assert_eq!(
        verified.public_output,
        bytes(&droste_executor::ext_combine::ext_to_words(result))
    );
}

/// What the tables cost a verifier per query, pinned so that a change shows here: the call
/// table 65 main columns and 47 interactions (24 LogUp columns), the value rows 23 and 8 (4); both of degree 3 (LogUp pairs).
#[test]
fn the_tables_stay_lean() {
    let (pk, _) = keys(&combining_program(&words(4, 3), &[(0, 4)]));
    let call = &pk.vk.stark.tables[table_index(&pk, "ext_combine")];
    let rows = &pk.vk.stark.tables[table_index(&pk, "ext_combine_rows")];
    assert_eq!(call.main_width, 65);
    assert_eq!(call.interactions.len(), 47);
    assert_eq!(call.aux_columns(), 24);
    assert_eq!(call.constraint_degree, 3);
    assert!(call.may_be_empty);
    assert_eq!(rows.main_width, 23);
    assert_eq!(rows.interactions.len(), 8);
    assert_eq!(rows.aux_columns(), 4);
    assert_eq!(rows.constraint_degree, 3);
    assert!(rows.may_be_empty);
}

/// An honest run of one call on 6 values, and the indices of the two tables.
fn setup() -> (
    ProvingKey,
    Vec<RowMajorMatrix<Val>>,
    PublicValues,
    usize,
    usize,
) {
    let (pk, _) = keys(&combining_program(&words(6, 3), &[(0, 6)]));
    let (traces, public) = traces(&pk, &Input::default());
    check(&pk, &traces, &public).expect("honest witness");
    let call = table_index(&pk, "ext_combine");
    let rows = table_index(&pk, "ext_combine_rows");
    (pk, traces, public, call, rows)
}

fn call_row(trace: &mut RowMajorMatrix<Val>) -> &mut ExtCombineCols<Val> {
    row_mut(trace, 0).borrow_mut()
}

fn value_row(trace: &mut RowMajorMatrix<Val>, r: usize) -> &mut ExtCombineRowCols<Val> {
    row_mut(trace, r).borrow_mut()
}

fn is_unbalanced(violation: &ConstraintViolation, buses: &[u16]) -> bool {
    matches!(violation, ConstraintViolation::Unbalanced { bus, .. } if buses.contains(bus))
}

fn in_table(name: &'static str) -> impl Fn(&ConstraintViolation) -> bool {
    move |v| matches!(v, ConstraintViolation::Constraint { table, .. } if table == name)
}

#[test]
fn a_wrong_result_is_caught() {
    let (pk, traces, public, call, _) = setup();
    // A result word's limb: no longer w * sum.
    let mut limb = traces.clone();
    call_row(&mut limb[call]).result[1].lo += Val::ONE;
    assert_caught(&pk, limb, public.clone(), in_table("ext_combine"));
    // Another sum: the rows' token ends elsewhere.
    let mut sum = traces;
    call_row(&mut sum[call]).sum[2] += Val::ONE;
    assert_caught(&pk, sum, public, in_table("ext_combine"));
}

#[test]
fn a_wrong_accumulator_is_caught() {
    let (pk, traces, public, _, rows) = setup();
    // The step's output alone breaks the row's Horner constraints.
    let mut out = traces.clone();
    value_row(&mut out[rows], 1).acc_out[0] += Val::ONE;
    assert_caught(&pk, out, public.clone(), in_table("ext_combine_rows"));
    // A row starting from another accumulator, consistent with it: the token it receives was
    // never sent.
    let mut acc = traces;
    let cols = value_row(&mut acc[rows], 2);
    cols.acc[0] += Val::ONE;
    // acc_out moves by alpha^2 times the shift of 1.
    let alpha = Ext::from_basis_coefficients_fn(|d| cols.alpha[d]);
    let shift = alpha * alpha;
    for (out, d) in cols
        .acc_out
        .iter_mut()
        .zip(BasedVectorSpace::<Val>::as_basis_coefficients_slice(&shift))
    {
        *out += *d;
    }
    assert_caught(&pk, acc, public, |v| is_unbalanced(v, &[EXT_COMBINE_ROW]));
}

#[test]
fn a_wrong_or_reordered_value_is_caught() {
    let (pk, traces, public, _, rows) = setup();
    // A value's limb: the cell holds another word.
    let mut value = traces.clone();
    value_row(&mut value[rows], 0).value[1].lo += Val::ONE;
    assert_caught(&pk, value, public.clone(), |v| {
        in_table("ext_combine_rows")(v) || is_unbalanced(v, &[MEMORY])
    });
    // Two rows' doublewords exchanged (values combined in another order): each row reads its
    // own address, so the memory no longer balances.
    let mut swapped = traces;
    let (a, b) = (
        value_row(&mut swapped[rows], 0).value,
        value_row(&mut swapped[rows], 2).value,
    );
    value_row(&mut swapped[rows], 0).value = b;
    value_row(&mut swapped[rows], 2).value = a;
    assert_caught(&pk, swapped, public, |v| {
        in_table("ext_combine_rows")(v) || is_unbalanced(v, &[MEMORY])
    });
}

#[test]
fn a_skipped_row_is_caught() {
    let (pk, mut traces, public, _, rows) = setup();
    row_mut(&mut traces[rows], 1).fill(Val::ZERO);
    assert_caught(&pk, traces, public, |v| {
        is_unbalanced(v, &[MEMORY, EXT_COMBINE_ROW])
    });
}

#[test]
fn an_unpaired_call_or_row_is_caught() {
    let (pk, traces, public, call, rows) = setup();
    // The call's row gone, or the tables left out.
    let mut missing = traces.clone();
    row_mut(&mut missing[call], 0).fill(Val::ZERO);
    assert_caught(&pk, missing, public.clone(), |v| {
        is_unbalanced(v, &[MEMORY, EXT_COMBINE, EXT_COMBINE_ROW])
    });
    let mut left_out = traces.clone();
    for t in [call, rows] {
        left_out[t] = RowMajorMatrix::new(Vec::new(), left_out[t].width);
    }
    assert_caught(&pk, left_out, public.clone(), |v| {
        is_unbalanced(v, &[MEMORY, EXT_COMBINE, EXT_COMBINE_ROW])
    });
    // A second call row repeating the call: no second ecall sent it.
    let mut extra = traces;
    let copy = row_mut(&mut extra[call], 0).to_vec();
    row_mut(&mut extra[call], 1).copy_from_slice(&copy);
    assert_caught(&pk, extra, public, |v| {
        is_unbalanced(v, &[MEMORY, EXT_COMBINE, EXT_COMBINE_ROW])
    });
}

#[test]
fn a_non_canonical_value_is_refused_and_cannot_be_forged() {
    // Value 0 is p itself: the executor refuses the call.
    let mut values = words(6, 3);
    values[0] = MODULUS;
    let refused = combining_program(&values, &[(0, 6)]);
    let pk = refused_call(&refused, "EXT_COMBINE", "value 0");
    // A prover that skips the check: the honest run on value 0 = 0 (the same element, p mod p)
    // with the row's limbs claiming p = 0x7f00_0001, as the refused program's memory holds.
    let (_, mut traces, mut public, _, rows) = setup();
    public.vkey_digest = pk.vk.digest_words().unwrap();
    // Value 0 is the low word of the last row's doubleword (Horner starts at the top).
    forge_modulus_limbs(&pk, &mut traces, |t| {
        &mut value_row(&mut t[rows], 2).value[0]
    });
    // The cell's last state is what the row read: the image holds p there.
    let image = table_index(&pk, "image");
    let cell = ((DATA + BLOCK - PROGRAM_START) / 8) as usize;
    let last: &mut FinalCols<Val> = row_mut(&mut traces[image], cell).borrow_mut();
    last.value.0[0] = Val::ONE;
    last.value.0[1] = Val::from_u32(0x7f00);
    assert_caught(&pk, traces, public, |v| {
        matches!(v, ConstraintViolation::Unbalanced { bus: RANGE, values, .. }
            if values[0] == Val::ORDER_U32 - 1)
    });
}

#[test]
fn a_non_canonical_alpha_is_refused() {
    let program = {
        let values = words(2, 3);
        let mut d = data(&values);
        d[2] = u32::MAX;
        let mut code = li(10, (DATA + BLOCK) as i32);
        code.extend(li(11, 2));
        code.extend(li(12, DATA as i32));
        code.extend(ecall(syscall::EXT_COMBINE));
        code.extend(li(10, 0));
        code.extend(halt());
        program(&code, &bytes(&d))
    };
    let (pk, _) = keys(&program);
    let err = MachineProver::prove(&pk, &Input::default()).unwrap_err();
    assert!(
        matches!(
            &err,
            MachineError::Execution(ExecError::BadSyscall { syscall: "EXT_COMBINE", reason, .. })
                if reason.contains("alpha word 2")
        ),
        "{err}"
    );
}

#[test]
fn wrong_call_arguments_are_caught() {
    let (pk, traces, public, call, _) = setup();
    // Fewer values (the chain would end early) or other values than the ecall named.
    for edit in [
        |c: &mut ExtCombineCols<Val>| c.count -= Val::TWO,
        |c: &mut ExtCombineCols<Val>| c.values += Val::from_u32(8),
        |c: &mut ExtCombineCols<Val>| c.block += Val::from_u32(8),
    ] {
        let mut tampered = traces.clone();
        edit(call_row(&mut tampered[call]));
        assert_caught(&pk, tampered, public.clone(), |v| {
            is_unbalanced(v, &[MEMORY, EXT_COMBINE, EXT_COMBINE_ROW])
        });
    }
}
