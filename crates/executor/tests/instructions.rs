//! Targeted interpreter tests per instruction family, with their edge cases. (The ALU results
//! themselves are pinned against the spec in droste-isa; these check that the interpreter wires
//! each opcode to the right operation, operands, destination and next pc.)

mod common;

use common::{addi, halt, li, registers_after, run, DATA, TEXT};
use droste_executor::ExecError;
use droste_isa::alu::alu;
use droste_isa::{Format, Instruction, Opcode};

/// Loads a 64-bit constant into `rd`: the high half with lui/addiw, then 11 + 11 + 10 low bits
/// shifted in with slli/ori (clobbers nothing else).
fn li64(rd: u8, value: u64) -> Vec<Instruction> {
    let mut code = li(rd, (value >> 32) as i32).to_vec();
    code.push(Instruction::i(Opcode::Slli, rd, rd, 11));
    code.push(Instruction::i(
        Opcode::Ori,
        rd,
        rd,
        ((value >> 21) & 0x7ff) as i32,
    ));
    code.push(Instruction::i(Opcode::Slli, rd, rd, 11));
    code.push(Instruction::i(
        Opcode::Ori,
        rd,
        rd,
        ((value >> 10) & 0x7ff) as i32,
    ));
    code.push(Instruction::i(Opcode::Slli, rd, rd, 10));
    code.push(Instruction::i(Opcode::Ori, rd, rd, (value & 0x3ff) as i32));
    code
}

const EDGES: [u64; 9] = [
    0,
    1,
    u64::MAX,
    i64::MIN as u64,
    i64::MAX as u64,
    i32::MIN as i64 as u64,
    i32::MAX as u64,
    0xffff_ffff,
    0x1234_5678_9abc_def0,
];

#[test]
fn li64_builds_every_edge_value() {
    for value in EDGES {
        assert_eq!(
            registers_after(&li64(5, value), &[5]),
            vec![value],
            "{value:#x}"
        );
    }
}

#[test]
fn every_register_alu_opcode_computes_its_operation() {
    let ops = Opcode::ALL
        .into_iter()
        .filter(|op| op.format() == Format::R);
    for op in ops {
        let alu_op = op.alu_op().unwrap();
        for a in EDGES {
            let mut code = li64(5, a);
            let mut expected = Vec::new();
            for (i, b) in EDGES.iter().enumerate() {
                code.extend(li64(6, *b));
                code.push(Instruction::r(op, 7 + i as u8, 5, 6));
                expected.push(alu(alu_op, a, *b));
            }
            let regs: Vec<u8> = (7..7 + EDGES.len() as u8).collect();
            assert_eq!(
                registers_after(&code, &regs),
                expected,
                "{op:?} with rs1 = {a:#x}"
            );
        }
    }
}

#[test]
fn every_immediate_alu_opcode_computes_its_operation() {
    let ops = Opcode::ALL
        .into_iter()
        .filter(|op| matches!(op.format(), Format::I | Format::Shift) && op.alu_op().is_some());
    for op in ops {
        let imms: &[i32] = match op.format() {
            Format::Shift if matches!(op, Opcode::Slli | Opcode::Srli | Opcode::Srai) => {
                &[0, 1, 31, 32, 63]
            }
            Format::Shift => &[0, 1, 15, 31],
            _ => &[0, 1, -1, 2047, -2048],
        };
        for a in EDGES {
            let mut code = li64(5, a);
            let mut expected = Vec::new();
            for (i, imm) in imms.iter().enumerate() {
                code.push(Instruction::i(op, 7 + i as u8, 5, *imm));
                expected.push(alu(op.alu_op().unwrap(), a, *imm as i64 as u64));
            }
            let regs: Vec<u8> = (7..7 + imms.len() as u8).collect();
            assert_eq!(
                registers_after(&code, &regs),
                expected,
                "{op:?} with rs1 = {a:#x}"
            );
        }
    }
}

#[test]
fn x0_is_hard_wired_to_zero() {
    let code = [
        addi(0, 0, 5),
        Instruction::u(Opcode::Lui, 0, 0x1000),
        Instruction::r(Opcode::Sub, 0, 0, 1),
        Instruction::i(Opcode::Ld, 0, 2, -8),
        Instruction::r(Opcode::Add, 5, 0, 0),
    ];
    // sp points at the stack top, so `ld x0, -8(sp)` is a valid load whose result vanishes.
    assert_eq!(registers_after(&code, &[0, 5]), vec![0, 0]);
}

#[test]
fn lui_and_auipc_sign_extend() {
    let code = [
        Instruction::u(Opcode::Lui, 5, i32::MIN),
        Instruction::u(Opcode::Lui, 6, 0x7fff_f000),
        Instruction::u(Opcode::Auipc, 7, -4096), // at TEXT + 8
        Instruction::u(Opcode::Auipc, 8, 0),
    ];
    let regs = registers_after(&code, &[5, 6, 7, 8]);
    assert_eq!(
        regs,
        vec![
            0xffff_ffff_8000_0000,
            0x7fff_f000,
            TEXT + 8 - 4096,
            TEXT + 12
        ]
    );
}

#[test]
fn jal_and_jalr_link_and_jump() {
    let code = [
        Instruction::u(Opcode::Jal, 1, 8), // TEXT+0: skip the next instruction
        addi(5, 0, 99),                    // TEXT+4: skipped
        Instruction::u(Opcode::Auipc, 6, 0), // TEXT+8
        Instruction::i(Opcode::Jalr, 6, 6, 13), // TEXT+12: rd == rs1; target TEXT+8+13 with bit 0 cleared = TEXT+20
        addi(5, 0, 98),                         // TEXT+16: skipped
        Instruction::u(Opcode::Jal, 0, 8),      // TEXT+20: rd = x0 jump
        addi(5, 0, 97),                         // TEXT+24: skipped
    ];
    assert_eq!(
        registers_after(&code, &[1, 5, 6]),
        vec![TEXT + 4, 0, TEXT + 16]
    );
}

#[test]
fn branches_compare_signed_and_unsigned() {
    // For each (op, a, b, taken): set x20 to 1 unless the branch skips the addi.
    let cases = [
        (Opcode::Beq, 5, 5, true),
        (Opcode::Beq, 5, 6, false),
        (Opcode::Bne, 5, 6, true),
        (Opcode::Bne, 5, 5, false),
        (Opcode::Blt, -1, 0, true),
        (Opcode::Blt, 0, -1, false),
        (Opcode::Bge, 0, -1, true),
        (Opcode::Bge, -1, -1, true),
        (Opcode::Bge, -2, -1, false),
        (Opcode::Bltu, 0, -1, true),
        (Opcode::Bltu, -1, 0, false),
        (Opcode::Bgeu, -1, 0, true),
        (Opcode::Bgeu, 0, 1, false),
    ];
    for (op, a, b, taken) in cases {
        let code = [
            addi(5, 0, a),
            addi(6, 0, b),
            addi(20, 0, 0),
            Instruction::s(op, 5, 6, 8),
            addi(20, 0, 1),
        ];
        assert_eq!(
            registers_after(&code, &[20]),
            vec![u64::from(!taken)],
            "{op:?} {a} {b}"
        );
    }
    // A backward branch loops: count down from 5.
    let code = [
        addi(5, 0, 5),
        addi(6, 0, 0),
        addi(6, 6, 2),
        addi(5, 5, -1),
        Instruction::s(Opcode::Bne, 5, 0, -8),
    ];
    assert_eq!(registers_after(&code, &[5, 6]), vec![0, 10]);
}

#[test]
fn loads_extend_and_stores_truncate_at_any_alignment() {
    let mut code = li(5, DATA as i32).to_vec();
    code.extend(li64(6, 0x8182_8384_8586_8788));
    code.push(Instruction::s(Opcode::Sd, 5, 6, 1)); // misaligned doubleword at DATA+1
    let loads = [
        (Opcode::Lb, 1, 0xffff_ffff_ffff_ff88),
        (Opcode::Lbu, 1, 0x88),
        (Opcode::Lh, 2, 0xffff_ffff_ffff_8687),
        (Opcode::Lhu, 2, 0x8687),
        (Opcode::Lw, 3, 0xffff_ffff_8384_8586),
        (Opcode::Lwu, 3, 0x8384_8586),
        (Opcode::Ld, 1, 0x8182_8384_8586_8788),
        (Opcode::Ld, 0, 0x8283_8485_8687_8800),
    ];
    for (i, (op, offset, _)) in loads.iter().enumerate() {
        code.push(Instruction::i(*op, 7 + i as u8, 5, *offset));
    }
    // Narrow stores keep only their low bytes.
    code.push(Instruction::s(Opcode::Sb, 5, 6, 0x101));
    code.push(Instruction::s(Opcode::Sh, 5, 6, 0x203));
    code.push(Instruction::s(Opcode::Sw, 5, 6, 0x305));
    code.push(Instruction::i(Opcode::Ld, 20, 5, 0x100));
    code.push(Instruction::i(Opcode::Ld, 21, 5, 0x200));
    code.push(Instruction::i(Opcode::Ld, 22, 5, 0x300));
    let mut regs: Vec<u8> = (7..7 + loads.len() as u8).collect();
    regs.extend([20, 21, 22]);
    let mut expected: Vec<u64> = loads.iter().map(|l| l.2).collect();
    expected.extend([0x8800, 0x0087_8800_0000, 0x8687_8800_0000_0000]);
    assert_eq!(registers_after(&code, &regs), expected);
}

#[test]
fn fence_is_a_no_op_and_ebreak_is_an_error() {
    let mut code = vec![Instruction::fence(), addi(5, 0, 1)];
    assert_eq!(registers_after(&code, &[5]), vec![1]);
    code.push(Instruction::system(Opcode::Ebreak));
    code.extend(halt(0));
    assert_eq!(
        run(&code).unwrap_err(),
        ExecError::Breakpoint { pc: TEXT + 8 }
    );
}
