//! Small hand-encoded programs and the helpers every test uses.

#![allow(dead_code)]

use droste_executor::elf_builder::{ElfBuilder, Perm};
use droste_executor::{ExecOptions, Input, Program};
use droste_isa::abi::{syscall, PROGRAM_START};
use droste_isa::{Instruction as I, Opcode};
use droste_machine::{
    MachineError, MachineProver, ProofOptions, ProvingCost, ProvingKey, PublicValues, VerifyingKey,
};
use droste_stark::{check_constraints, ConstraintViolation, FriParameters, Val};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

/// Small but complete FRI parameters: fast tests, every code path exercised.
pub fn test_options() -> ProofOptions {
    ProofOptions {
        fri: FriParameters {
            log_blowup: 1,
            num_queries: 16,
            query_pow_bits: 2,
            log_folding_arity: 2,
            log_final_poly_len: 1,
            deep_pow_bits: 0,
            logup_pow_bits: 0,
        },
    }
}

/// Address of the data segment of test programs.
pub const DATA: u64 = PROGRAM_START + 0x1000;

/// A program of `code` at `PROGRAM_START`, with `data` (padded to 64 bytes of bss) at [`DATA`].
pub fn program(code: &[I], data: &[u8]) -> Program {
    let mut elf = ElfBuilder::new(PROGRAM_START);
    elf.code(PROGRAM_START, code).unwrap();
    elf.segment(DATA, data.to_vec(), data.len() as u64 + 64, Perm::ReadWrite);
    Program::from_elf(&elf.build()).unwrap()
}

/// `li rd, value` for a value that fits 32 bits signed (lui + addi).
pub fn li(rd: u8, value: i32) -> Vec<I> {
    let lo = (value << 20) >> 20;
    let hi = value.wrapping_sub(lo);
    let mut out = Vec::new();
    if hi != 0 {
        out.push(I::u(Opcode::Lui, rd, hi));
        out.push(I::i(Opcode::Addi, rd, rd, lo));
    } else {
        out.push(I::i(Opcode::Addi, rd, 0, lo));
    }
    out
}

/// `ecall` number `call`.
pub fn ecall(call: u64) -> Vec<I> {
    let mut out = li(17, call as i32);
    out.push(I::system(Opcode::Ecall));
    out
}

/// Halt with the exit code in `a0`.
pub fn halt() -> Vec<I> {
    ecall(syscall::HALT)
}

/// Keys with the test options.
pub fn keys(program: &Program) -> (ProvingKey, VerifyingKey) {
    MachineProver::setup(program, test_options()).unwrap()
}

/// Traces and public values of a run. Checks that the heights estimated from the execution
/// record (what a prover refuses too large runs with) are the generated traces' heights, and
/// that the proving-cost profile (from an unrecorded run) finds the same rows.
pub fn traces(pk: &ProvingKey, input: &Input) -> (Vec<RowMajorMatrix<Val>>, PublicValues) {
    let run = MachineProver::record(pk, input).unwrap();
    let estimated = MachineProver::table_heights(pk, &run);
    let (traces, public) = MachineProver::traces_of_run(pk, input, &run).unwrap();
    let heights: Vec<usize> = traces.iter().map(|t| t.height()).collect();
    assert_eq!(estimated, heights, "estimated table heights");
    check_cost_profile(pk, input, &MachineProver::table_rows(pk, &run));
    (traces, public)
}

/// Checks the proving-cost profile of the run of `pk`'s program on `input`: its tables have
/// `rows` (the record's rows before padding), and its functions' and its phases' rows each add
/// up to them with the rows of the run itself.
pub fn check_cost_profile(pk: &ProvingKey, input: &Input, rows: &[usize]) {
    let options = ExecOptions {
        profile: true,
        ..ExecOptions::default()
    };
    let run = droste_executor::execute(pk.program(), input, &options).unwrap();
    let cost = ProvingCost::new(pk, run.profile.unwrap());
    let totals: Vec<usize> = cost.tables.iter().map(|t| t.rows).collect();
    assert_eq!(totals, rows, "profiled rows per table");
    let sums = |buckets: Vec<&Vec<usize>>| -> Vec<usize> {
        let mut sum = cost.run_rows.clone();
        for rows in buckets {
            sum.iter_mut().zip(rows).for_each(|(s, r)| *s += r);
        }
        sum
    };
    // A function's or phase's rows are counted in a table, before they are shared with its
    // overflow twin `{table}+`.
    let mut unsplit = rows.to_vec();
    for (twin, table) in MachineProver::tables(pk).iter().enumerate() {
        if let Some(name) = table.name().strip_suffix('+') {
            unsplit[table_index(pk, name)] += unsplit[twin];
            unsplit[twin] = 0;
        }
    }
    assert_eq!(
        sums(cost.functions.iter().map(|(_, b)| &b.rows).collect()),
        unsplit
    );
    assert_eq!(
        sums(cost.markers.iter().map(|(_, b)| &b.rows).collect()),
        unsplit
    );
}

/// The debug checker on traces with the honest public endpoints.
pub fn check(
    pk: &ProvingKey,
    traces: &[RowMajorMatrix<Val>],
    public: &PublicValues,
) -> Result<(), ConstraintViolation> {
    let endpoints =
        droste_machine::public_endpoints(pk.vk.entry, public.exit_code, &public.public_output);
    check_constraints(&MachineProver::tables(pk), traces, &endpoints)
}

/// Index of the table named `name` in proving order.
pub fn table_index(pk: &ProvingKey, name: &str) -> usize {
    MachineProver::tables(pk)
        .iter()
        .position(|t| t.name() == name)
        .unwrap_or_else(|| panic!("no table {name}"))
}

/// Proves and verifies `program` on `input`; returns the verified public values.
pub fn prove_and_verify(program: &Program, input: &Input) -> PublicValues {
    let (pk, vk) = keys(program);
    let (traces, public) = traces(&pk, input);
    if let Err(violation) = check(&pk, &traces, &public) {
        panic!("honest witness fails: {violation}");
    }
    let proof = MachineProver::prove(&pk, input).unwrap();
    let verified = droste_machine::verify(&vk, &proof.to_bytes()).unwrap();
    assert_eq!(verified, public);
    verified
}

/// Lifts every table of `tables` that may be empty and has rows to
/// [`droste_machine::trace::LIFTED_ROWS`] rows with zero rows, as trace generation lifts a large
/// proof's short tables whatever their height; returns how many it lifted.
pub fn lift_every_table(
    tables: &[&dyn droste_stark::ProverTable],
    traces: &mut [RowMajorMatrix<Val>],
) -> usize {
    let rows = droste_machine::trace::LIFTED_ROWS;
    let mut lifted = 0;
    for (table, trace) in tables.iter().zip(traces) {
        if table.may_be_empty() && trace.height() > 0 && trace.height() < rows {
            trace.values.resize(rows * trace.width, Val::ZERO);
            lifted += 1;
        }
    }
    lifted
}

/// Row `row` of `trace`, mutable, for tampering.
pub fn row_mut(trace: &mut RowMajorMatrix<Val>, row: usize) -> &mut [Val] {
    let w = trace.width;
    &mut trace.values[row * w..(row + 1) * w]
}

/// The debug checker reports a violation that `expected` accepts, and proving the same witness
/// fully yields no accepted proof.
pub fn assert_caught(
    pk: &ProvingKey,
    traces: Vec<RowMajorMatrix<Val>>,
    public: PublicValues,
    expected: impl Fn(&ConstraintViolation) -> bool,
) {
    let violation = check(pk, &traces, &public).unwrap_err();
    assert!(expected(&violation), "{violation}");
    assert_rejected(pk, traces, public);
}

/// Proves the (tampered) witness and expects the verifier to reject it.
pub fn assert_rejected(pk: &ProvingKey, traces: Vec<RowMajorMatrix<Val>>, public: PublicValues) {
    match MachineProver::prove_traces(pk, traces, public) {
        Ok(proof) => {
            let result = droste_machine::verify(&pk.vk, &proof.to_bytes());
            assert!(
                matches!(result, Err(MachineError::Verify(_))),
                "accepted: {result:?}"
            );
        }
        // The prover may refuse a malformed witness outright (e.g. a zero fingerprint).
        Err(e) => assert!(matches!(e, MachineError::Prove(_)), "{e}"),
    }
}

/// Makes `word` (an honest 0, `p mod p`) claim the non-canonical limbs of `p = 0x7f00_0001`, and
/// moves the range count of its canonical check (`0x7eff + 1 - 0`, now `0x7eff - 0x7f00 = -1`),
/// so that only the negative value is unmatched on the RANGE bus.
pub fn forge_modulus_limbs(
    pk: &ProvingKey,
    traces: &mut [RowMajorMatrix<Val>],
    word: impl FnOnce(
        &mut [RowMajorMatrix<Val>],
    ) -> &mut droste_machine::gadgets::canonical_word::CanonicalWord<Val>,
) {
    use core::borrow::BorrowMut;
    let word = word(traces);
    assert_eq!(
        (word.lo, word.hi, word.lo_zero),
        (Val::ZERO, Val::ZERO, Val::ONE)
    );
    word.lo = Val::ONE;
    word.hi = Val::from_u32(0x7f00);
    word.lo_zero = Val::ZERO;
    let range = table_index(pk, "range");
    let counts: &mut droste_machine::lookup_tables::RangeCountCols<Val> =
        row_mut(&mut traces[range], 0x7f00).borrow_mut();
    counts.count[0] -= Val::ONE;
}

/// The keys of `program`, whose proving the executor refuses: a `syscall` call with bad
/// arguments, the reason naming `part`.
pub fn refused_call(program: &Program, syscall: &str, part: &str) -> ProvingKey {
    let (pk, _) = keys(program);
    let err = MachineProver::prove(&pk, &Input::default()).unwrap_err();
    assert!(
        matches!(
            &err,
            MachineError::Execution(droste_executor::ExecError::BadSyscall { syscall: s, reason, .. })
                if *s == syscall && reason.contains(part)
        ),
        "{err}"
    );
    pk
}
