//! A decoded instruction: opcode plus operand fields.

use core::fmt;

use crate::opcode::{Format, Opcode};

/// A decoded RV64IM instruction.
///
/// The struct is 8 bytes and `Copy` so that a predecoded program is a compact array. Fields that
/// the opcode's [`Format`] does not use are zero in every decoded instruction, which makes
/// `decode(encode(i)) == i` hold for every instruction built through the constructors.
///
/// `imm` holds the immediate already sign-extended and scaled as the instruction uses it:
/// the 12-bit value for I/S types, the byte offset for branches and `jal`, the shift amount for
/// immediate shifts, and the value `upper << 12` (as a sign-extended 32-bit number) for `lui` and
/// `auipc`. For `fence`, `imm` keeps the raw fm/pred/succ bits (`word >> 20`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instruction {
    pub opcode: Opcode,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    pub imm: i32,
}

impl Instruction {
    /// `op rd, rs1, rs2` (R type).
    pub const fn r(opcode: Opcode, rd: u8, rs1: u8, rs2: u8) -> Self {
        Self {
            opcode,
            rd,
            rs1,
            rs2,
            imm: 0,
        }
    }

    /// `op rd, rs1, imm` (I type: ALU immediates, immediate shifts, loads, `jalr`).
    pub const fn i(opcode: Opcode, rd: u8, rs1: u8, imm: i32) -> Self {
        Self {
            opcode,
            rd,
            rs1,
            rs2: 0,
            imm,
        }
    }

    /// `op rs2, imm(rs1)` (stores) and `op rs1, rs2, offset` (branches).
    pub const fn s(opcode: Opcode, rs1: u8, rs2: u8, imm: i32) -> Self {
        Self {
            opcode,
            rd: 0,
            rs1,
            rs2,
            imm,
        }
    }

    /// `op rd, imm` (`lui`, `auipc`, `jal`). For `lui`/`auipc`, `imm` is the full value
    /// `upper << 12`.
    pub const fn u(opcode: Opcode, rd: u8, imm: i32) -> Self {
        Self {
            opcode,
            rd,
            rs1: 0,
            rs2: 0,
            imm,
        }
    }

    /// An instruction without operands (`ecall`, `ebreak`).
    pub const fn system(opcode: Opcode) -> Self {
        Self {
            opcode,
            rd: 0,
            rs1: 0,
            rs2: 0,
            imm: 0,
        }
    }

    /// The canonical `fence rw, rw` (`fence iorw, iorw` in full: pred = succ = 0b1111).
    pub const fn fence() -> Self {
        Self {
            opcode: Opcode::Fence,
            rd: 0,
            rs1: 0,
            rs2: 0,
            imm: 0x0ff,
        }
    }

    /// `addi x0, x0, 0`.
    pub const fn nop() -> Self {
        Self::i(Opcode::Addi, 0, 0, 0)
    }

    /// True for `addi x0, x0, N` with `N != 0`: a step marker for the profiler (a no-op for the
    /// machine).
    pub const fn step_marker(&self) -> Option<i32> {
        match self {
            Instruction {
                opcode: Opcode::Addi,
                rd: 0,
                rs1: 0,
                imm,
                ..
            } if *imm != 0 => Some(*imm),
            _ => None,
        }
    }
}

impl fmt::Display for Instruction {
    /// Assembler syntax with numeric register names, e.g. `addi x1, x2, -3`, `sd x5, 8(x2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Instruction {
            opcode,
            rd,
            rs1,
            rs2,
            imm,
        } = *self;
        let name = opcode.mnemonic();
        match opcode.format() {
            Format::R => write!(f, "{name} x{rd}, x{rs1}, x{rs2}"),
            Format::I if opcode.load_op().is_some() || opcode == Opcode::Jalr => {
                write!(f, "{name} x{rd}, {imm}(x{rs1})")
            }
            Format::I | Format::Shift => write!(f, "{name} x{rd}, x{rs1}, {imm}"),
            Format::S => write!(f, "{name} x{rs2}, {imm}(x{rs1})"),
            Format::B => write!(f, "{name} x{rs1}, x{rs2}, {imm}"),
            Format::U => write!(f, "{name} x{rd}, {:#x}", (imm as u32) >> 12),
            Format::J => write!(f, "{name} x{rd}, {imm}"),
            Format::Fence => write!(f, "{name} {:#x}", imm),
            Format::System => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn instruction_is_eight_bytes() {
        assert_eq!(core::mem::size_of::<Instruction>(), 8);
        assert_eq!(core::mem::size_of::<Option<Instruction>>(), 8);
    }

    #[test]
    fn display_uses_assembler_syntax() {
        assert_eq!(
            Instruction::i(Opcode::Addi, 1, 2, -3).to_string(),
            "addi x1, x2, -3"
        );
        assert_eq!(
            Instruction::s(Opcode::Sd, 2, 5, 8).to_string(),
            "sd x5, 8(x2)"
        );
        assert_eq!(
            Instruction::i(Opcode::Lbu, 7, 3, -1).to_string(),
            "lbu x7, -1(x3)"
        );
        assert_eq!(
            Instruction::u(Opcode::Lui, 4, 0x12345 << 12).to_string(),
            "lui x4, 0x12345"
        );
        assert_eq!(
            Instruction::s(Opcode::Bne, 1, 2, -8).to_string(),
            "bne x1, x2, -8"
        );
        assert_eq!(Instruction::system(Opcode::Ecall).to_string(), "ecall");
    }

    #[test]
    fn step_marker_is_only_addi_x0_x0_nonzero() {
        assert_eq!(Instruction::i(Opcode::Addi, 0, 0, 7).step_marker(), Some(7));
        assert_eq!(
            Instruction::i(Opcode::Addi, 0, 0, -2).step_marker(),
            Some(-2)
        );
        assert_eq!(Instruction::nop().step_marker(), None);
        assert_eq!(Instruction::i(Opcode::Addi, 0, 1, 7).step_marker(), None);
        assert_eq!(Instruction::i(Opcode::Addi, 1, 0, 7).step_marker(), None);
        assert_eq!(Instruction::i(Opcode::Xori, 0, 0, 7).step_marker(), None);
    }
}
