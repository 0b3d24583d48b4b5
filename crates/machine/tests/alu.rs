//! The arithmetic chips (`bitwise`, `lt`, `shift`, `mul`, `divrem`, register and immediate
//! forms) in whole programs: every opcode on edge values proves and verifies with the executor's
//! results, and a tampered witness is named by the debug checker and rejected by the verifier.
//!
//! Each program runs its opcodes on every pair of [`VALUES`] (immediate forms on every value with
//! every immediate of the chip), adds all results into `x9` and commits it, so the verified
//! public output pins every result.

mod common;

use core::borrow::BorrowMut;

use common::*;
use droste_executor::elf_builder::{ElfBuilder, Perm};
use droste_executor::{Input, Program};
use droste_isa::abi::{syscall, PROGRAM_START};
use droste_isa::alu::alu;
use droste_isa::{Instruction as I, Opcode};
use droste_machine::bus::{BYTE, MEMORY, RANGE};
use droste_machine::chips::divrem::DivRemCols;
use droste_machine::chips::lt::LtCols;
use droste_machine::chips::mul::MulCols;
use droste_machine::chips::shift::ShiftImmCols;
use droste_machine::tables_doc::column_names;
use droste_machine::{MachineProver, ProvingKey, PublicValues};
use droste_stark::{ConstraintViolation, Val};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

/// Operands: 0, 1, -1, the 64- and 32-bit extremes, 2^31, small signed values and mixed limbs.
const VALUES: [u64; 12] = [
    0,
    1,
    u64::MAX,
    i64::MIN as u64,
    i64::MAX as u64,
    i32::MIN as i64 as u64,
    i32::MAX as u64,
    u32::MAX as u64,
    1 << 31,
    7,
    -7i64 as u64,
    0x1234_5678_9abc_def0,
];

/// Index of `value` in [`VALUES`].
fn index(value: u64) -> i32 {
    VALUES.iter().position(|&v| v == value).unwrap() as i32
}

/// Address of `VALUES` (after up to 64 KiB of code).
const VALUES_ADDR: u64 = PROGRAM_START + 0x1_0000;

/// `ld rd, VALUES[index(value)]` (x5 holds the address of `VALUES`).
fn load(rd: u8, value: u64) -> I {
    I::i(Opcode::Ld, rd, 5, 8 * index(value))
}

/// The program described in the module docs, with `prelude` run first (after `x5` is set), and
/// the public output it must produce.
fn alu_program(
    prelude: &[I],
    register_ops: &[Opcode],
    immediate_ops: &[Opcode],
    immediates: &[i32],
) -> (Program, Vec<u8>) {
    let mut code = li(5, VALUES_ADDR as i32);
    code.extend_from_slice(prelude);
    let mut sum = 0u64;
    let mut run = |code: &mut Vec<I>, instruction: I, a: u64, b: u64| {
        code.push(instruction);
        code.push(I::r(Opcode::Add, 9, 9, 8));
        sum = sum.wrapping_add(alu(instruction.opcode.alu_op().unwrap(), a, b));
    };
    for &a in &VALUES {
        code.push(load(6, a));
        for &b in &VALUES {
            code.push(load(7, b));
            for &op in register_ops {
                run(&mut code, I::r(op, 8, 6, 7), a, b);
            }
        }
        for &op in immediate_ops {
            for &imm in immediates {
                run(&mut code, I::i(op, 8, 6, imm), a, imm as i64 as u64);
            }
        }
    }
    // Results that are computed but not written (rd = x0).
    for &op in register_ops {
        code.push(I::r(op, 0, 6, 7));
    }
    let out = 8 * VALUES.len() as i32;
    code.push(I::s(Opcode::Sd, 5, 9, out));
    code.extend(li(10, VALUES_ADDR as i32 + out));
    code.extend(li(11, 8));
    code.extend(ecall(syscall::COMMIT));
    code.extend(li(10, 0));
    code.extend(halt());
    let data: Vec<u8> = VALUES.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut elf = ElfBuilder::new(PROGRAM_START);
    elf.code(PROGRAM_START, &code).unwrap();
    elf.segment(
        VALUES_ADDR,
        data,
        8 * VALUES.len() as u64 + 8,
        Perm::ReadWrite,
    );
    let program = Program::from_elf(&elf.build()).unwrap();
    (program, sum.to_le_bytes().to_vec())
}

/// Proves and verifies `program`, checks its output, and returns the key and honest witness for
/// tampering.
fn prove_honest(
    program: &Program,
    output: &[u8],
) -> (ProvingKey, Vec<RowMajorMatrix<Val>>, PublicValues) {
    let (pk, vk) = keys(program);
    let (traces, public) = traces(&pk, &Input::default());
    if let Err(violation) = check(&pk, &traces, &public) {
        panic!("honest witness fails: {violation}");
    }
    let proof = MachineProver::prove_traces(&pk, traces.clone(), public.clone()).unwrap();
    let verified = droste_machine::verify(&vk, &proof.to_bytes()).unwrap();
    assert_eq!(verified, public);
    assert_eq!(verified.public_output, output);
    assert_eq!(verified.exit_code, 0);
    (pk, traces, public)
}

/// Adds one to limb 0 of the result of row 0 of `table`: the debug checker must name the table's
/// constraints or an unbalanced lookup or memory bus, and the proof must be rejected.
fn wrong_result_is_rejected(
    pk: &ProvingKey,
    mut traces: Vec<RowMajorMatrix<Val>>,
    public: PublicValues,
    table: &str,
) {
    let t = table_index(pk, table);
    let frame_rd = column_names(table)
        .unwrap()
        .0
        .iter()
        .position(|name| name == "frame.rd.value[0]")
        .unwrap();
    row_mut(&mut traces[t], 0)[frame_rd] += Val::ONE;
    let violation = check(pk, &traces, &public).unwrap_err();
    assert!(
        match &violation {
            ConstraintViolation::Constraint {
                table: name,
                row: 0,
                ..
            } => name == table,
            ConstraintViolation::Unbalanced { bus, .. } => [BYTE, RANGE, MEMORY].contains(bus),
            _ => false,
        },
        "{violation}"
    );
    assert_rejected(pk, traces, public);
}

/// Every immediate form's edge immediates (12-bit signed).
const IMMEDIATES: [i32; 5] = [0, 1, -1, 2047, -2048];

#[test]
fn bitwise_proves_and_rejects_a_wrong_result() {
    use Opcode::*;
    let (program, output) = alu_program(&[], &[And, Or, Xor], &[Andi, Ori, Xori], &IMMEDIATES);
    let (pk, traces, public) = prove_honest(&program, &output);
    wrong_result_is_rejected(&pk, traces.clone(), public.clone(), "bitwise");
    wrong_result_is_rejected(&pk, traces, public, "bitwise_imm");
}

#[test]
fn lt_proves_and_rejects_a_wrong_result() {
    use Opcode::*;
    // Row 0: slt x8, -1, 0 = 1.
    let prelude = [load(6, u64::MAX), I::r(Slt, 8, 6, 0)];
    let (program, output) = alu_program(&prelude, &[Slt, Sltu], &[Slti, Sltiu], &IMMEDIATES);
    let (pk, mut traces, public) = prove_honest(&program, &output);

    // Claim -1 >= 0, with the comparison witness rewritten to match (diff' = -diff - 2): only
    // the range check of the distance can object.
    let mut forged = traces.clone();
    let t = table_index(&pk, "lt");
    let cols: &mut LtCols<Val> = row_mut(&mut forged[t], 0).borrow_mut();
    assert_eq!(cols.frame.rd.value.0[0], Val::ONE);
    cols.frame.rd.value.0[0] = Val::ZERO;
    cols.compare.diff = -cols.compare.diff - Val::TWO;
    let violation = check(&pk, &forged, &public).unwrap_err();
    assert!(
        matches!(&violation, ConstraintViolation::Unbalanced { bus, .. } if *bus == RANGE || *bus == MEMORY),
        "{violation}"
    );

    let cols: &mut LtCols<Val> = row_mut(&mut traces[t], 0).borrow_mut();
    cols.rs1_sign = Val::ZERO;
    let violation = check(&pk, &traces, &public).unwrap_err();
    assert!(
        matches!(&violation, ConstraintViolation::Constraint { table, .. } if table == "lt"),
        "{violation}"
    );
    assert_rejected(&pk, forged, public);
}

#[test]
fn shift_proves_and_rejects_a_wrong_result() {
    use Opcode::*;
    // Row 0: sra x8, MIN, 4 (sign fill).
    let prelude = [load(6, i64::MIN as u64), I::i(Srai, 8, 6, 4)];
    let (program, output) = alu_program(
        &prelude,
        &[Sll, Srl, Sra, Sllw, Srlw, Sraw],
        &[Slli, Srli, Srai, Slliw, Srliw, Sraiw],
        &[0, 1, 15, 16, 31],
    );
    let (pk, traces, public) = prove_honest(&program, &output);
    let t = table_index(&pk, "shift_imm");
    let mut unsigned = traces.clone();
    let cols: &mut ShiftImmCols<Val> = row_mut(&mut unsigned[t], 0).borrow_mut();
    cols.core.sign = Val::ZERO;
    assert!(check(&pk, &unsigned, &public).is_err());
    wrong_result_is_rejected(&pk, traces.clone(), public.clone(), "shift");
    wrong_result_is_rejected(&pk, traces, public, "shift_imm");
}

#[test]
fn mul_proves_and_rejects_a_product_wrapped_around_the_field() {
    use Opcode::*;
    // Row 0: mul x0, x0, x0 = 0 (written to the sink register, which nobody reads).
    let prelude = [I::r(Mul, 0, 0, 0)];
    let (program, output) = alu_program(&prelude, &[Mul, Mulh, Mulhsu, Mulhu, Mulw], &[], &[]);
    let (pk, mut traces, public) = prove_honest(&program, &output);

    // 0 * 0 = p: product limbs (1, 0x7f00) and a first carry of 0x7f00 satisfy every
    // constraint in the field; the 14-bit carry check is what rejects it.
    let t = table_index(&pk, "mul");
    let cols: &mut MulCols<Val> = row_mut(&mut traces[t], 0).borrow_mut();
    let p = Val::ORDER_U32;
    let (low, high) = (Val::from_u32(p & 0xffff), Val::from_u32(p >> 16));
    cols.product[0] = low;
    cols.product[1] = high;
    cols.mul.carry[0] = high;
    cols.frame.rd.value.0[0] = low;
    cols.frame.rd.value.0[1] = high;
    // The next write to the sink takes the forged value as its previous one, so the memory
    // bus balances.
    let sink = Val::from_u8(droste_machine::fetch::SINK);
    let next = (1..traces[t].height())
        .find(|&row| {
            let cols: &mut MulCols<Val> = row_mut(&mut traces[t], row).borrow_mut();
            cols.frame.rd.reg == sink
        })
        .unwrap();
    let cols: &mut MulCols<Val> = row_mut(&mut traces[t], next).borrow_mut();
    cols.frame.rd.prev.0[0] = low;
    cols.frame.rd.prev.0[1] = high;
    let violation = check(&pk, &traces, &public).unwrap_err();
    assert!(
        matches!(
            &violation,
            ConstraintViolation::Unbalanced { bus: RANGE, .. }
        ),
        "{violation}"
    );
    assert_rejected(&pk, traces, public);
}

#[test]
fn divrem_proves_and_rejects_wrong_edge_cases() {
    use Opcode::*;
    // Rows 0 and 1: MIN / -1 (overflow); row 2: MIN / 0 (zero divisor).
    let prelude = [
        load(6, i64::MIN as u64),
        load(7, u64::MAX),
        I::r(Div, 8, 6, 7),
        I::r(Rem, 8, 6, 7),
        I::r(Divu, 8, 6, 0),
    ];
    let ops = [Div, Divu, Rem, Remu, Divw, Divuw, Remw, Remuw];
    let (program, output) = alu_program(&prelude, &ops, &[], &[]);
    let (pk, traces, public) = prove_honest(&program, &output);
    let t = table_index(&pk, "divrem");

    for (row, flag) in [
        (0, "is_overflow"),
        (1, "is_overflow"),
        (2, "is_zero_divisor"),
    ] {
        let mut tampered = traces.clone();
        let cols: &mut DivRemCols<Val> = row_mut(&mut tampered[t], row).borrow_mut();
        match flag {
            "is_overflow" => cols.is_overflow = Val::ZERO,
            _ => cols.is_zero_divisor = Val::ZERO,
        }
        let violation = check(&pk, &tampered, &public).unwrap_err();
        assert!(
            matches!(&violation, ConstraintViolation::Constraint { table, row: r, .. } if table == "divrem" && *r == row),
            "{flag}: {violation}"
        );
    }
    wrong_result_is_rejected(&pk, traces, public, "divrem");
}
