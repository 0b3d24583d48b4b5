//! Decoding 32-bit RV64IM instruction words.

use core::fmt;

use crate::instruction::Instruction;
use crate::opcode::Opcode;

/// Why a 32-bit word is not an RV64IM instruction that droste executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The low two bits are not `0b11`: a 16-bit compressed (C extension) instruction.
    Compressed { word: u32 },
    /// A valid RISC-V encoding from an extension droste does not implement.
    UnsupportedExtension { word: u32, extension: &'static str },
    /// Not a valid encoding in any extension droste knows about.
    Unknown { word: u32 },
}

impl DecodeError {
    /// The word that failed to decode.
    pub const fn word(&self) -> u32 {
        match *self {
            DecodeError::Compressed { word }
            | DecodeError::UnsupportedExtension { word, .. }
            | DecodeError::Unknown { word } => word,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Compressed { word } => write!(
                f,
                "instruction {word:#010x} is compressed (C extension), which droste does not support"
            ),
            DecodeError::UnsupportedExtension { word, extension } => write!(
                f,
                "instruction {word:#010x} is from the {extension}, which droste does not support"
            ),
            DecodeError::Unknown { word } => {
                write!(f, "{word:#010x} is not a valid RV64IM instruction")
            }
        }
    }
}

impl core::error::Error for DecodeError {}

const fn bits(word: u32, hi: u32, lo: u32) -> u32 {
    (word >> lo) & ((1 << (hi - lo + 1)) - 1)
}

const fn reg(word: u32, lo: u32) -> u8 {
    bits(word, lo + 4, lo) as u8
}

/// Sign-extends the low `width` bits of `value`.
const fn sign_extend(value: u32, width: u32) -> i32 {
    ((value << (32 - width)) as i32) >> (32 - width)
}

const fn imm_i(word: u32) -> i32 {
    (word as i32) >> 20
}

const fn imm_s(word: u32) -> i32 {
    sign_extend((bits(word, 31, 25) << 5) | bits(word, 11, 7), 12)
}

const fn imm_b(word: u32) -> i32 {
    let value = (bits(word, 31, 31) << 12)
        | (bits(word, 7, 7) << 11)
        | (bits(word, 30, 25) << 5)
        | (bits(word, 11, 8) << 1);
    sign_extend(value, 13)
}

const fn imm_j(word: u32) -> i32 {
    let value = (bits(word, 31, 31) << 20)
        | (bits(word, 19, 12) << 12)
        | (bits(word, 20, 20) << 11)
        | (bits(word, 30, 21) << 1);
    sign_extend(value, 21)
}

/// Decodes one instruction word.
///
/// Accepts exactly RV64I + M, `fence` (any fm/pred/succ, as the spec asks implementations to
/// treat unknown fence modes as a full fence), `ecall` and `ebreak`. Everything else is an error
/// naming the extension when it is a known one (C, A, F/D, Zicsr, Zifencei, privileged).
pub fn decode(word: u32) -> Result<Instruction, DecodeError> {
    use Opcode::*;
    if word & 0b11 != 0b11 {
        return Err(DecodeError::Compressed { word });
    }
    let unknown = DecodeError::Unknown { word };
    let unsupported = |extension| DecodeError::UnsupportedExtension { word, extension };
    let rd = reg(word, 7);
    let rs1 = reg(word, 15);
    let rs2 = reg(word, 20);
    let funct3 = bits(word, 14, 12);
    let funct7 = bits(word, 31, 25);
    let r = |opcode| Ok(Instruction::r(opcode, rd, rs1, rs2));
    let i = |opcode| Ok(Instruction::i(opcode, rd, rs1, imm_i(word)));
    match bits(word, 6, 0) {
        0x37 => Ok(Instruction::u(Lui, rd, (word & 0xffff_f000) as i32)),
        0x17 => Ok(Instruction::u(Auipc, rd, (word & 0xffff_f000) as i32)),
        0x6f => Ok(Instruction::u(Jal, rd, imm_j(word))),
        0x67 if funct3 == 0 => i(Jalr),
        0x63 => {
            let opcode = match funct3 {
                0 => Beq,
                1 => Bne,
                4 => Blt,
                5 => Bge,
                6 => Bltu,
                7 => Bgeu,
                _ => return Err(unknown),
            };
            Ok(Instruction::s(opcode, rs1, rs2, imm_b(word)))
        }
        0x03 => i(match funct3 {
            0 => Lb,
            1 => Lh,
            2 => Lw,
            3 => Ld,
            4 => Lbu,
            5 => Lhu,
            6 => Lwu,
            _ => return Err(unknown),
        }),
        0x23 => {
            let opcode = match funct3 {
                0 => Sb,
                1 => Sh,
                2 => Sw,
                3 => Sd,
                _ => return Err(unknown),
            };
            Ok(Instruction::s(opcode, rs1, rs2, imm_s(word)))
        }
        0x13 => {
            let shift = |opcode| Ok(Instruction::i(opcode, rd, rs1, bits(word, 25, 20) as i32));
            match (funct3, bits(word, 31, 26)) {
                (0, _) => i(Addi),
                (2, _) => i(Slti),
                (3, _) => i(Sltiu),
                (4, _) => i(Xori),
                (6, _) => i(Ori),
                (7, _) => i(Andi),
                (1, 0x00) => shift(Slli),
                (5, 0x00) => shift(Srli),
                (5, 0x10) => shift(Srai),
                _ => Err(unknown),
            }
        }
        0x1b => {
            let shift = |opcode| Ok(Instruction::i(opcode, rd, rs1, bits(word, 24, 20) as i32));
            match (funct3, funct7) {
                (0, _) => i(Addiw),
                (1, 0x00) => shift(Slliw),
                (5, 0x00) => shift(Srliw),
                (5, 0x20) => shift(Sraiw),
                _ => Err(unknown),
            }
        }
        0x33 => match (funct7, funct3) {
            (0x00, 0) => r(Add),
            (0x20, 0) => r(Sub),
            (0x00, 1) => r(Sll),
            (0x00, 2) => r(Slt),
            (0x00, 3) => r(Sltu),
            (0x00, 4) => r(Xor),
            (0x00, 5) => r(Srl),
            (0x20, 5) => r(Sra),
            (0x00, 6) => r(Or),
            (0x00, 7) => r(And),
            (0x01, 0) => r(Mul),
            (0x01, 1) => r(Mulh),
            (0x01, 2) => r(Mulhsu),
            (0x01, 3) => r(Mulhu),
            (0x01, 4) => r(Div),
            (0x01, 5) => r(Divu),
            (0x01, 6) => r(Rem),
            (0x01, 7) => r(Remu),
            _ => Err(unsupported(BEYOND_IM)),
        },
        0x3b => match (funct7, funct3) {
            (0x00, 0) => r(Addw),
            (0x20, 0) => r(Subw),
            (0x00, 1) => r(Sllw),
            (0x00, 5) => r(Srlw),
            (0x20, 5) => r(Sraw),
            (0x01, 0) => r(Mulw),
            (0x01, 4) => r(Divw),
            (0x01, 5) => r(Divuw),
            (0x01, 6) => r(Remw),
            (0x01, 7) => r(Remuw),
            _ => Err(unsupported(BEYOND_IM)),
        },
        0x0f => match funct3 {
            0 => Ok(Instruction {
                opcode: Fence,
                rd,
                rs1,
                rs2: 0,
                imm: (word >> 20) as i32,
            }),
            1 => Err(unsupported("Zifencei extension (fence.i)")),
            _ => Err(unknown),
        },
        0x73 => match word {
            0x0000_0073 => Ok(Instruction::system(Ecall)),
            0x0010_0073 => Ok(Instruction::system(Ebreak)),
            _ if funct3 != 0 && funct3 != 4 => Err(unsupported("Zicsr extension (CSR access)")),
            _ => Err(unsupported("privileged architecture")),
        },
        0x2f => Err(unsupported("A extension (atomics)")),
        0x07 | 0x27 | 0x43 | 0x47 | 0x4b | 0x4f | 0x53 => {
            Err(unsupported("F/D extensions (floating point)"))
        }
        _ => Err(unknown),
    }
}

/// OP and OP-32 words outside I and M are bit manipulation (Zb*), Zicond, or reserved.
const BEYOND_IM: &str = "B extension (bit manipulation) or another extension beyond RV64IM";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_reference_encodings() {
        // Words produced by `llvm-mc -triple=riscv64 -show-encoding` for the listed instructions.
        let cases: &[(u32, Instruction)] = &[
            (0x00000013, Instruction::nop()),
            (0xfff00093, Instruction::i(Opcode::Addi, 1, 0, -1)),
            (0x123452b7, Instruction::u(Opcode::Lui, 5, 0x12345000)),
            (0xfffff317, Instruction::u(Opcode::Auipc, 6, -4096)),
            (0x008000ef, Instruction::u(Opcode::Jal, 1, 8)),
            (0xffdff06f, Instruction::u(Opcode::Jal, 0, -4)),
            (0x00008067, Instruction::i(Opcode::Jalr, 0, 1, 0)),
            (0xfe209ee3, Instruction::s(Opcode::Bne, 1, 2, -4)),
            (0x0020c463, Instruction::s(Opcode::Blt, 1, 2, 8)),
            (0xff813183, Instruction::i(Opcode::Ld, 3, 2, -8)),
            (0x00b13423, Instruction::s(Opcode::Sd, 2, 11, 8)),
            (0x03f31293, Instruction::i(Opcode::Slli, 5, 6, 63)),
            (0x4013d293, Instruction::i(Opcode::Srai, 5, 7, 1)),
            (0x41f3d29b, Instruction::i(Opcode::Sraiw, 5, 7, 31)),
            (0x40b50533, Instruction::r(Opcode::Sub, 10, 10, 11)),
            (0x02b535b3, Instruction::r(Opcode::Mulhu, 11, 10, 11)),
            (0x02c5c53b, Instruction::r(Opcode::Divw, 10, 11, 12)),
            (0x02c5f53b, Instruction::r(Opcode::Remuw, 10, 11, 12)),
            (0x00000073, Instruction::system(Opcode::Ecall)),
            (0x00100073, Instruction::system(Opcode::Ebreak)),
            (0x0ff0000f, Instruction::fence()),
        ];
        for &(word, expected) in cases {
            assert_eq!(decode(word), Ok(expected), "{word:#010x}");
        }
    }

    #[test]
    fn rejects_other_extensions_with_a_reason() {
        assert_eq!(
            decode(0x4501),
            Err(DecodeError::Compressed { word: 0x4501 })
        );
        let unsupported =
            |word| matches!(decode(word), Err(DecodeError::UnsupportedExtension { .. }));
        assert!(unsupported(0x100522af)); // lr.w t0, (a0)
        assert!(unsupported(0x00052007)); // flw f0, 0(a0)
        assert!(unsupported(0x02b57553)); // fadd.d
        assert!(unsupported(0xc0002573)); // rdcycle a0 (csrrs)
        assert!(unsupported(0x0000100f)); // fence.i
        assert!(unsupported(0x30200073)); // mret
        assert!(unsupported(0x40b57533)); // andn (Zbb)
        assert_eq!(
            decode(0xffff_ffff),
            Err(DecodeError::Unknown { word: 0xffff_ffff })
        );
        assert_eq!(
            decode(0x0000_7003),
            Err(DecodeError::Unknown { word: 0x7003 })
        ); // load funct3 7
        assert_eq!(
            decode(0x0000_2063),
            Err(DecodeError::Unknown { word: 0x2063 })
        ); // branch funct3 2
        assert_eq!(
            decode(0x0000_4023),
            Err(DecodeError::Unknown { word: 0x4023 })
        ); // store funct3 4
        assert_eq!(
            decode(0x4000_1013),
            Err(DecodeError::Unknown { word: 0x40001013 })
        ); // slli, bad funct6
        assert_eq!(
            decode(0x0200_109b),
            Err(DecodeError::Unknown { word: 0x0200_109b })
        ); // slliw, bad funct7
        assert_eq!(
            decode(0x0000_1067),
            Err(DecodeError::Unknown { word: 0x1067 })
        ); // jalr funct3 1
    }

    #[test]
    fn error_messages_are_one_line_and_name_the_word() {
        extern crate std;
        use std::string::ToString;
        for err in [decode(0x4501), decode(0x100522af), decode(0xffff_ffff)] {
            let message = err.unwrap_err().to_string();
            assert!(!message.contains('\n'));
            assert!(message.contains("0x"), "{message}");
        }
    }
}
