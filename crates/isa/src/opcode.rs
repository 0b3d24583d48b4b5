//! The RV64IM opcodes and the families they belong to.
//!
//! [`Opcode`] is flat (one variant per instruction) so that an interpreter can dispatch with a
//! single `match`, and so that trace generation can count rows per opcode with an array indexed by
//! `opcode as usize`. The family helpers ([`Opcode::alu_op`], [`Opcode::branch_op`],
//! [`Opcode::load_op`], [`Opcode::store_width`]) map the register and immediate forms onto one
//! semantic operation, so the meaning of e.g. `add` and `addi` is defined once in [`crate::alu`].

/// One RV64IM instruction kind (the operands live in [`crate::Instruction`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Opcode {
    // U and J types.
    Lui,
    Auipc,
    Jal,
    Jalr,
    // Branches.
    Beq,
    Bne,
    Blt,
    Bge,
    Bltu,
    Bgeu,
    // Loads.
    Lb,
    Lh,
    Lw,
    Ld,
    Lbu,
    Lhu,
    Lwu,
    // Stores.
    Sb,
    Sh,
    Sw,
    Sd,
    // Register-immediate ALU.
    Addi,
    Slti,
    Sltiu,
    Xori,
    Ori,
    Andi,
    Slli,
    Srli,
    Srai,
    Addiw,
    Slliw,
    Srliw,
    Sraiw,
    // Register-register ALU (I base).
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Addw,
    Subw,
    Sllw,
    Srlw,
    Sraw,
    // M extension.
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
    Mulw,
    Divw,
    Divuw,
    Remw,
    Remuw,
    // System and ordering.
    Fence,
    Ecall,
    Ebreak,
}

/// The encoding format of an instruction: which fields of [`crate::Instruction`] it uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `rd, rs1, rs2`.
    R,
    /// `rd, rs1, imm` with a 12-bit signed immediate (loads, `jalr`, ALU immediates).
    I,
    /// `rd, rs1, shamt`: shift by an immediate (6 bits, or 5 bits for the `*w` forms).
    Shift,
    /// `rs1, rs2, imm` with a 12-bit signed byte offset (stores).
    S,
    /// `rs1, rs2, imm` with a 13-bit signed, even branch offset.
    B,
    /// `rd, imm` where imm holds the upper 20 bits (low 12 bits zero).
    U,
    /// `rd, imm` with a 21-bit signed, even jump offset.
    J,
    /// `fence`: `imm` holds the fm/pred/succ bits, `rd` and `rs1` the (ignored) register fields.
    Fence,
    /// `ecall` / `ebreak`: no operands.
    System,
}

/// An ALU operation, shared by the register-register and register-immediate forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AluOp {
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Addw,
    Subw,
    Sllw,
    Srlw,
    Sraw,
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
    Mulw,
    Divw,
    Divuw,
    Remw,
    Remuw,
}

/// A branch condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BranchOp {
    Eq,
    Ne,
    Lt,
    Ge,
    Ltu,
    Geu,
}

/// Width of a memory access in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MemWidth {
    Byte = 1,
    Half = 2,
    Word = 4,
    Double = 8,
}

impl MemWidth {
    /// Number of bytes accessed.
    pub const fn bytes(self) -> u64 {
        self as u64
    }
}

/// A load: how many bytes and whether the value is sign- or zero-extended to 64 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LoadOp {
    pub width: MemWidth,
    pub signed: bool,
}

impl Opcode {
    /// Every opcode, in declaration order (`ALL[op as usize] == op`).
    pub const ALL: [Opcode; 65] = {
        use Opcode::*;
        [
            Lui, Auipc, Jal, Jalr, Beq, Bne, Blt, Bge, Bltu, Bgeu, Lb, Lh, Lw, Ld, Lbu, Lhu, Lwu,
            Sb, Sh, Sw, Sd, Addi, Slti, Sltiu, Xori, Ori, Andi, Slli, Srli, Srai, Addiw, Slliw,
            Srliw, Sraiw, Add, Sub, Sll, Slt, Sltu, Xor, Srl, Sra, Or, And, Addw, Subw, Sllw, Srlw,
            Sraw, Mul, Mulh, Mulhsu, Mulhu, Div, Divu, Rem, Remu, Mulw, Divw, Divuw, Remw, Remuw,
            Fence, Ecall, Ebreak,
        ]
    };

    /// Number of opcodes (for per-opcode counters).
    pub const COUNT: usize = Self::ALL.len();

    /// The encoding format, i.e. which operand fields are meaningful.
    pub const fn format(self) -> Format {
        use Opcode::*;
        match self {
            Lui | Auipc => Format::U,
            Jal => Format::J,
            Jalr | Lb | Lh | Lw | Ld | Lbu | Lhu | Lwu => Format::I,
            Addi | Slti | Sltiu | Xori | Ori | Andi | Addiw => Format::I,
            Slli | Srli | Srai | Slliw | Srliw | Sraiw => Format::Shift,
            Beq | Bne | Blt | Bge | Bltu | Bgeu => Format::B,
            Sb | Sh | Sw | Sd => Format::S,
            Fence => Format::Fence,
            Ecall | Ebreak => Format::System,
            _ => Format::R,
        }
    }

    /// The ALU operation computed by this opcode, for both register and immediate forms
    /// (`addi` and `add` both give [`AluOp::Add`]). `None` for non-ALU opcodes.
    pub const fn alu_op(self) -> Option<AluOp> {
        use Opcode::*;
        Some(match self {
            Add | Addi => AluOp::Add,
            Sub => AluOp::Sub,
            Sll | Slli => AluOp::Sll,
            Slt | Slti => AluOp::Slt,
            Sltu | Sltiu => AluOp::Sltu,
            Xor | Xori => AluOp::Xor,
            Srl | Srli => AluOp::Srl,
            Sra | Srai => AluOp::Sra,
            Or | Ori => AluOp::Or,
            And | Andi => AluOp::And,
            Addw | Addiw => AluOp::Addw,
            Subw => AluOp::Subw,
            Sllw | Slliw => AluOp::Sllw,
            Srlw | Srliw => AluOp::Srlw,
            Sraw | Sraiw => AluOp::Sraw,
            Mul => AluOp::Mul,
            Mulh => AluOp::Mulh,
            Mulhsu => AluOp::Mulhsu,
            Mulhu => AluOp::Mulhu,
            Div => AluOp::Div,
            Divu => AluOp::Divu,
            Rem => AluOp::Rem,
            Remu => AluOp::Remu,
            Mulw => AluOp::Mulw,
            Divw => AluOp::Divw,
            Divuw => AluOp::Divuw,
            Remw => AluOp::Remw,
            Remuw => AluOp::Remuw,
            _ => return None,
        })
    }

    /// The branch condition of a branch opcode.
    pub const fn branch_op(self) -> Option<BranchOp> {
        use Opcode::*;
        Some(match self {
            Beq => BranchOp::Eq,
            Bne => BranchOp::Ne,
            Blt => BranchOp::Lt,
            Bge => BranchOp::Ge,
            Bltu => BranchOp::Ltu,
            Bgeu => BranchOp::Geu,
            _ => return None,
        })
    }

    /// Width and extension of a load opcode.
    pub const fn load_op(self) -> Option<LoadOp> {
        use MemWidth::*;
        use Opcode::*;
        let (width, signed) = match self {
            Lb => (Byte, true),
            Lh => (Half, true),
            Lw => (Word, true),
            Ld => (Double, true),
            Lbu => (Byte, false),
            Lhu => (Half, false),
            Lwu => (Word, false),
            _ => return None,
        };
        Some(LoadOp { width, signed })
    }

    /// Width of a store opcode.
    pub const fn store_width(self) -> Option<MemWidth> {
        use Opcode::*;
        match self {
            Sb => Some(MemWidth::Byte),
            Sh => Some(MemWidth::Half),
            Sw => Some(MemWidth::Word),
            Sd => Some(MemWidth::Double),
            _ => None,
        }
    }

    /// The assembler mnemonic (`"addiw"`, `"mulhsu"`, ...).
    pub const fn mnemonic(self) -> &'static str {
        use Opcode::*;
        match self {
            Lui => "lui",
            Auipc => "auipc",
            Jal => "jal",
            Jalr => "jalr",
            Beq => "beq",
            Bne => "bne",
            Blt => "blt",
            Bge => "bge",
            Bltu => "bltu",
            Bgeu => "bgeu",
            Lb => "lb",
            Lh => "lh",
            Lw => "lw",
            Ld => "ld",
            Lbu => "lbu",
            Lhu => "lhu",
            Lwu => "lwu",
            Sb => "sb",
            Sh => "sh",
            Sw => "sw",
            Sd => "sd",
            Addi => "addi",
            Slti => "slti",
            Sltiu => "sltiu",
            Xori => "xori",
            Ori => "ori",
            Andi => "andi",
            Slli => "slli",
            Srli => "srli",
            Srai => "srai",
            Addiw => "addiw",
            Slliw => "slliw",
            Srliw => "srliw",
            Sraiw => "sraiw",
            Add => "add",
            Sub => "sub",
            Sll => "sll",
            Slt => "slt",
            Sltu => "sltu",
            Xor => "xor",
            Srl => "srl",
            Sra => "sra",
            Or => "or",
            And => "and",
            Addw => "addw",
            Subw => "subw",
            Sllw => "sllw",
            Srlw => "srlw",
            Sraw => "sraw",
            Mul => "mul",
            Mulh => "mulh",
            Mulhsu => "mulhsu",
            Mulhu => "mulhu",
            Div => "div",
            Divu => "divu",
            Rem => "rem",
            Remu => "remu",
            Mulw => "mulw",
            Divw => "divw",
            Divuw => "divuw",
            Remw => "remw",
            Remuw => "remuw",
            Fence => "fence",
            Ecall => "ecall",
            Ebreak => "ebreak",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_opcode_in_declaration_order() {
        for (index, op) in Opcode::ALL.iter().enumerate() {
            assert_eq!(*op as usize, index, "{op:?}");
        }
        assert_eq!(Opcode::Ebreak as usize + 1, Opcode::COUNT);
    }

    #[test]
    fn every_opcode_belongs_to_exactly_one_family() {
        for op in Opcode::ALL {
            let families = [
                op.alu_op().is_some(),
                op.branch_op().is_some(),
                op.load_op().is_some(),
                op.store_width().is_some(),
                matches!(
                    op,
                    Opcode::Lui
                        | Opcode::Auipc
                        | Opcode::Jal
                        | Opcode::Jalr
                        | Opcode::Fence
                        | Opcode::Ecall
                        | Opcode::Ebreak
                ),
            ];
            assert_eq!(families.iter().filter(|f| **f).count(), 1, "{op:?}");
        }
    }
}
