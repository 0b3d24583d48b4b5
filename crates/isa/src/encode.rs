//! Encoding instructions back into 32-bit words (for tests, generated programs and fuzzing).

use core::fmt;

use crate::instruction::Instruction;
use crate::opcode::{Format, Opcode};

/// Why an [`Instruction`] has no encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// A register number is 32 or more.
    Register { instruction: Instruction },
    /// The immediate does not fit the format (range, alignment, or `lui`/`auipc` low bits).
    Immediate { instruction: Instruction },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::Register { instruction } => {
                write!(f, "register number out of range in {instruction:?}")
            }
            EncodeError::Immediate { instruction } => {
                write!(
                    f,
                    "immediate {} does not fit {}",
                    instruction.imm,
                    instruction.opcode.mnemonic()
                )
            }
        }
    }
}

impl core::error::Error for EncodeError {}

/// The fixed bits of each opcode: (major opcode, funct3, funct7 or funct6 in place).
const fn fixed_bits(opcode: Opcode) -> u32 {
    use Opcode::*;
    let (major, funct3, funct7): (u32, u32, u32) = match opcode {
        Lui => (0x37, 0, 0),
        Auipc => (0x17, 0, 0),
        Jal => (0x6f, 0, 0),
        Jalr => (0x67, 0, 0),
        Beq => (0x63, 0, 0),
        Bne => (0x63, 1, 0),
        Blt => (0x63, 4, 0),
        Bge => (0x63, 5, 0),
        Bltu => (0x63, 6, 0),
        Bgeu => (0x63, 7, 0),
        Lb => (0x03, 0, 0),
        Lh => (0x03, 1, 0),
        Lw => (0x03, 2, 0),
        Ld => (0x03, 3, 0),
        Lbu => (0x03, 4, 0),
        Lhu => (0x03, 5, 0),
        Lwu => (0x03, 6, 0),
        Sb => (0x23, 0, 0),
        Sh => (0x23, 1, 0),
        Sw => (0x23, 2, 0),
        Sd => (0x23, 3, 0),
        Addi => (0x13, 0, 0),
        Slti => (0x13, 2, 0),
        Sltiu => (0x13, 3, 0),
        Xori => (0x13, 4, 0),
        Ori => (0x13, 6, 0),
        Andi => (0x13, 7, 0),
        Slli => (0x13, 1, 0),
        Srli => (0x13, 5, 0),
        Srai => (0x13, 5, 0x20),
        Addiw => (0x1b, 0, 0),
        Slliw => (0x1b, 1, 0),
        Srliw => (0x1b, 5, 0),
        Sraiw => (0x1b, 5, 0x20),
        Add => (0x33, 0, 0),
        Sub => (0x33, 0, 0x20),
        Sll => (0x33, 1, 0),
        Slt => (0x33, 2, 0),
        Sltu => (0x33, 3, 0),
        Xor => (0x33, 4, 0),
        Srl => (0x33, 5, 0),
        Sra => (0x33, 5, 0x20),
        Or => (0x33, 6, 0),
        And => (0x33, 7, 0),
        Addw => (0x3b, 0, 0),
        Subw => (0x3b, 0, 0x20),
        Sllw => (0x3b, 1, 0),
        Srlw => (0x3b, 5, 0),
        Sraw => (0x3b, 5, 0x20),
        Mul => (0x33, 0, 1),
        Mulh => (0x33, 1, 1),
        Mulhsu => (0x33, 2, 1),
        Mulhu => (0x33, 3, 1),
        Div => (0x33, 4, 1),
        Divu => (0x33, 5, 1),
        Rem => (0x33, 6, 1),
        Remu => (0x33, 7, 1),
        Mulw => (0x3b, 0, 1),
        Divw => (0x3b, 4, 1),
        Divuw => (0x3b, 5, 1),
        Remw => (0x3b, 6, 1),
        Remuw => (0x3b, 7, 1),
        Fence => (0x0f, 0, 0),
        Ecall => (0x73, 0, 0),
        Ebreak => (0x73, 0, 0),
    };
    major | (funct3 << 12) | (funct7 << 25)
}

const fn fits_signed(value: i32, bits: u32) -> bool {
    let limit = 1i32 << (bits - 1);
    -limit <= value && value < limit
}

/// Encodes an instruction. Fields that the opcode's format does not use are ignored.
pub fn encode(instruction: &Instruction) -> Result<u32, EncodeError> {
    let Instruction {
        opcode,
        rd,
        rs1,
        rs2,
        imm,
    } = *instruction;
    if rd >= 32 || rs1 >= 32 || rs2 >= 32 {
        return Err(EncodeError::Register {
            instruction: *instruction,
        });
    }
    let bad_imm = Err(EncodeError::Immediate {
        instruction: *instruction,
    });
    let (rd, rs1, rs2) = (
        u32::from(rd) << 7,
        u32::from(rs1) << 15,
        u32::from(rs2) << 20,
    );
    let uimm = imm as u32;
    let fields = match opcode.format() {
        Format::R => rd | rs1 | rs2,
        Format::I if fits_signed(imm, 12) => rd | rs1 | (uimm << 20),
        Format::Shift => {
            let shamt_bits = if matches!(opcode, Opcode::Slli | Opcode::Srli | Opcode::Srai) {
                6
            } else {
                5
            };
            if imm < 0 || imm >= 1 << shamt_bits {
                return bad_imm;
            }
            rd | rs1 | (uimm << 20)
        }
        Format::S if fits_signed(imm, 12) => {
            rs1 | rs2 | ((uimm & 0x1f) << 7) | (((uimm >> 5) & 0x7f) << 25)
        }
        Format::B if fits_signed(imm, 13) && imm % 2 == 0 => {
            let b = |hi: u32, lo: u32| (uimm >> lo) & ((1 << (hi - lo + 1)) - 1);
            rs1 | rs2 | (b(12, 12) << 31) | (b(10, 5) << 25) | (b(4, 1) << 8) | (b(11, 11) << 7)
        }
        Format::U if uimm & 0xfff == 0 => rd | uimm,
        Format::J if fits_signed(imm, 21) && imm % 2 == 0 => {
            let b = |hi: u32, lo: u32| (uimm >> lo) & ((1 << (hi - lo + 1)) - 1);
            rd | (b(20, 20) << 31) | (b(10, 1) << 21) | (b(11, 11) << 20) | (b(19, 12) << 12)
        }
        Format::Fence if (0..1 << 12).contains(&imm) => rd | rs1 | (uimm << 20),
        Format::System => match opcode {
            Opcode::Ebreak => 1 << 20,
            _ => 0,
        },
        Format::I | Format::S | Format::B | Format::U | Format::J | Format::Fence => {
            return bad_imm;
        }
    };
    Ok(fixed_bits(opcode) | fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;

    #[test]
    fn rejects_out_of_range_operands() {
        let bad = [
            Instruction::i(Opcode::Addi, 1, 2, 2048),
            Instruction::i(Opcode::Addi, 1, 2, -2049),
            Instruction::i(Opcode::Slli, 1, 2, 64),
            Instruction::i(Opcode::Slliw, 1, 2, 32),
            Instruction::i(Opcode::Srai, 1, 2, -1),
            Instruction::s(Opcode::Beq, 1, 2, 3),
            Instruction::s(Opcode::Beq, 1, 2, 4096),
            Instruction::u(Opcode::Jal, 1, 1 << 20),
            Instruction::u(Opcode::Lui, 1, 0x123),
            Instruction::s(Opcode::Sd, 1, 2, 2048),
        ];
        for instruction in bad {
            assert_eq!(
                encode(&instruction),
                Err(EncodeError::Immediate { instruction })
            );
        }
        let instruction = Instruction::r(Opcode::Add, 32, 0, 0);
        assert_eq!(
            encode(&instruction),
            Err(EncodeError::Register { instruction })
        );
    }

    #[test]
    fn extreme_immediates_round_trip() {
        let cases = [
            Instruction::i(Opcode::Addi, 31, 31, 2047),
            Instruction::i(Opcode::Addi, 31, 31, -2048),
            Instruction::s(Opcode::Sb, 31, 31, -2048),
            Instruction::s(Opcode::Bgeu, 1, 2, 4094),
            Instruction::s(Opcode::Bgeu, 1, 2, -4096),
            Instruction::u(Opcode::Jal, 1, (1 << 20) - 2),
            Instruction::u(Opcode::Jal, 1, -(1 << 20)),
            Instruction::u(Opcode::Lui, 1, i32::MIN),
            Instruction::u(Opcode::Auipc, 1, -4096),
            Instruction::i(Opcode::Srai, 1, 2, 63),
            Instruction::i(Opcode::Sraiw, 1, 2, 31),
        ];
        for instruction in cases {
            let word = encode(&instruction).unwrap();
            assert_eq!(decode(word), Ok(instruction), "{word:#010x}");
        }
    }
}
