//! The [`PROGRAM`] bus: what the ROM holds for each instruction ([`RomEntry`]) and what an
//! instruction row sends to fetch it ([`Fetch`]).
//!
//! The tuple is `(pc, family, rd, rs1, rs2, imm_lo, imm_hi, imm_neg, target, control[5])`. The
//! ROM is committed in the verifying key, so everything in it is decoded once at setup and is
//! trusted by the chips: a chip sends its columns (or linear expressions of them) in the
//! tuple, and a row whose columns disagree with the program finds no ROM row to match. This is
//! how chips get, without constraints of their own,
//!
//! - which chip proves the instruction (`family`: a chip sends its own constant, so it can
//!   only execute its own instructions);
//! - the registers it reads and writes (a write to `x0` goes to the [`SINK`] register, which
//!   nobody reads, so every instruction with a destination writes unconditionally);
//! - its immediate, already split into limbs (`imm_lo`, `imm_hi` and the sign `imm_neg` of
//!   `imm as i64 as u64`, whose limbs 2 and 3 are `0xffff * imm_neg`);
//! - a static target (`target`: a branch's taken target, the next pc of the `constant`
//!   family);
//! - family-specific control values (`control`) that replace one-hot opcode selectors: e.g.
//!   `is_sub` and `is_word` for the adder, the byte multiplier of a shift by a constant.
//!
//! Every element is of degree 1 in a chip's columns, so the fetch packs with another
//! interaction into one LogUp column. Fields a family does not use are 0 in the ROM and sent as
//! 0 by its chip.

use droste_isa::{Format, Instruction, Opcode};
use droste_stark::Val;
use p3_field::PrimeCharacteristicRing;

use crate::bus::{MachineBuilder, PROGRAM};

/// The register that writes to `x0` go to. It is never read, so `x0` keeps its initial 0.
pub const SINK: u8 = 32;

/// Registers the machine keeps: `x0..x31` and the [`SINK`].
pub const REGISTERS: usize = 33;

/// Family-specific control values per instruction.
pub const CONTROLS: usize = 5;

/// Elements of a [`PROGRAM`] tuple.
pub const TUPLE_LEN: usize = 9 + CONTROLS;

/// The chip family that proves an instruction (the `family` element of the fetch).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Family {
    /// ROM slots without a valid instruction; no chip sends it.
    None = 0,
    AddSub,
    AddImm,
    Constant,
    Branch,
    Jalr,
    Bitwise,
    BitwiseImm,
    Lt,
    LtImm,
    Shift,
    ShiftImm,
    Mul,
    DivRem,
    Load,
    Store,
    Ecall,
}

impl Family {
    /// The family of `op` (`None` for opcodes no chip proves).
    pub fn of(op: Opcode) -> Family {
        use Opcode::*;
        match op {
            Add | Sub | Addw | Subw => Family::AddSub,
            Addi | Addiw => Family::AddImm,
            Lui | Auipc | Jal | Fence => Family::Constant,
            Beq | Bne | Blt | Bge | Bltu | Bgeu => Family::Branch,
            Jalr => Family::Jalr,
            And | Or | Xor => Family::Bitwise,
            Andi | Ori | Xori => Family::BitwiseImm,
            Slt | Sltu => Family::Lt,
            Slti | Sltiu => Family::LtImm,
            Sll | Srl | Sra | Sllw | Srlw | Sraw => Family::Shift,
            Slli | Srli | Srai | Slliw | Srliw | Sraiw => Family::ShiftImm,
            Mul | Mulh | Mulhsu | Mulhu | Mulw => Family::Mul,
            Div | Divu | Rem | Remu | Divw | Divuw | Remw | Remuw => Family::DivRem,
            Lb | Lh | Lw | Ld | Lbu | Lhu | Lwu => Family::Load,
            Sb | Sh | Sw | Sd => Family::Store,
            Ecall => Family::Ecall,
            Ebreak => Family::None,
        }
    }
}

/// The registers an instruction reads and writes in its frame (`ecall` reads and writes its
/// argument registers itself, so it has none here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegisterUse {
    pub rs1: Option<u8>,
    pub rs2: Option<u8>,
    /// The register written: `rd`, or [`SINK`] for `x0`.
    pub rd: Option<u8>,
}

impl RegisterUse {
    /// The registers of `inst`.
    pub fn of(inst: &Instruction) -> Self {
        let rd = Some(if inst.rd == 0 { SINK } else { inst.rd });
        let (rs1, rs2) = (Some(inst.rs1), Some(inst.rs2));
        let (rs1, rs2, rd) = match inst.opcode.format() {
            Format::R => (rs1, rs2, rd),
            Format::I | Format::Shift => (rs1, None, rd),
            Format::S | Format::B => (rs1, rs2, None),
            Format::U | Format::J => (None, None, rd),
            // A no-op: it writes 0 to the sink, like every `constant` instruction writes.
            Format::Fence => (None, None, Some(SINK)),
            Format::System => (None, None, None),
        };
        Self { rs1, rs2, rd }
    }
}

/// One ROM row: the [`PROGRAM`] tuple of the instruction at `pc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RomEntry {
    pub pc: u32,
    pub family: Family,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    pub imm_lo: u16,
    pub imm_hi: u16,
    pub imm_neg: bool,
    pub target: u32,
    pub control: [u32; CONTROLS],
}

impl RomEntry {
    /// The ROM row of a slot without a valid instruction.
    pub fn empty(pc: u32) -> Self {
        Self {
            pc,
            family: Family::None,
            rd: 0,
            rs1: 0,
            rs2: 0,
            imm_lo: 0,
            imm_hi: 0,
            imm_neg: false,
            target: 0,
            control: [0; CONTROLS],
        }
    }

    /// The ROM row of `inst` at `pc`.
    pub fn of(pc: u32, inst: &Instruction) -> Self {
        use crate::chips::*;
        let op = inst.opcode;
        let family = Family::of(op);
        let regs = RegisterUse::of(inst);
        let mut entry = Self {
            family,
            rd: regs.rd.unwrap_or(0),
            rs1: regs.rs1.unwrap_or(0),
            rs2: regs.rs2.unwrap_or(0),
            ..Self::empty(pc)
        };
        match (family, op.format()) {
            // The value written is the immediate, and the next pc a constant.
            (Family::Constant, _) => {
                let (value, next) = constant::value_and_next(pc, inst);
                entry.set_imm(value);
                entry.target = next;
            }
            (Family::Branch, _) => entry.target = pc.wrapping_add(inst.imm as u32),
            // The shift amount is decoded into the controls instead.
            (Family::ShiftImm, _) => {}
            (_, Format::I | Format::Shift | Format::S) => entry.set_imm(inst.imm as i64 as u64),
            _ => {}
        }
        entry.control = match family {
            Family::AddSub => add_sub::controls(op),
            Family::AddImm => add_sub::imm_controls(op),
            Family::Branch => control::branch_controls(op),
            Family::Bitwise => bitwise::controls(op),
            Family::BitwiseImm => bitwise::imm_controls(op),
            Family::Lt | Family::LtImm => lt::controls(op),
            Family::Shift => shift::controls(op),
            Family::ShiftImm => shift::imm_controls(op, inst.imm as u32),
            Family::Mul => mul::controls(op),
            Family::DivRem => divrem::controls(op),
            Family::Load => memory::load_controls(op),
            Family::Store => memory::store_controls(op),
            Family::Constant | Family::Jalr | Family::Ecall | Family::None => [0; CONTROLS],
        };
        entry
    }

    /// Sets the immediate fields to the limbs of `value`, a value in `[-2^32, 2^32)` (limbs 2
    /// and 3 both 0 or both `0xffff`).
    fn set_imm(&mut self, value: u64) {
        debug_assert!(matches!(value >> 32, 0 | 0xffff_ffff), "{value:#x}");
        self.imm_lo = value as u16;
        self.imm_hi = (value >> 16) as u16;
        self.imm_neg = value >> 32 != 0;
    }

    /// The tuple as field elements.
    pub fn tuple(&self) -> [Val; TUPLE_LEN] {
        let head = [
            Val::from_u32(self.pc),
            Val::from_u8(self.family as u8),
            Val::from_u8(self.rd),
            Val::from_u8(self.rs1),
            Val::from_u8(self.rs2),
            Val::from_u16(self.imm_lo),
            Val::from_u16(self.imm_hi),
            Val::from_bool(self.imm_neg),
            Val::from_u32(self.target),
        ];
        core::array::from_fn(|i| match i.checked_sub(head.len()) {
            None => head[i],
            Some(c) => Val::from_u32(self.control[c]),
        })
    }
}

/// What an instruction row sends to fetch its instruction: the tuple of [`RomEntry`] as
/// expressions over the row's columns (build with [`Fetch::new`] and set what the family uses).
#[derive(Clone, Debug)]
pub struct Fetch<E> {
    pub family: Family,
    pub rd: E,
    pub rs1: E,
    pub rs2: E,
    pub imm_lo: E,
    pub imm_hi: E,
    pub imm_neg: E,
    pub target: E,
    pub control: [E; CONTROLS],
}

impl<E: PrimeCharacteristicRing> Fetch<E> {
    /// A fetch of `family` with every other field 0.
    pub fn new(family: Family) -> Self {
        Self {
            family,
            rd: E::ZERO,
            rs1: E::ZERO,
            rs2: E::ZERO,
            imm_lo: E::ZERO,
            imm_hi: E::ZERO,
            imm_neg: E::ZERO,
            target: E::ZERO,
            control: core::array::from_fn(|_| E::ZERO),
        }
    }

    /// Sets the family-specific controls (the rest stay 0).
    pub fn with_controls(mut self, controls: impl IntoIterator<Item = E>) -> Self {
        for (slot, value) in self.control.iter_mut().zip(controls) {
            *slot = value;
        }
        self
    }

    /// Sends the fetch of the instruction at `pc`, `multiplicity` times.
    pub fn send<AB>(self, builder: &mut AB, pc: E, multiplicity: E)
    where
        AB: MachineBuilder<Expr = E>,
    {
        let tuple = [
            pc,
            E::from_u8(self.family as u8),
            self.rd,
            self.rs1,
            self.rs2,
            self.imm_lo,
            self.imm_hi,
            self.imm_neg,
            self.target,
        ]
        .into_iter()
        .chain(self.control);
        builder.send(PROGRAM, tuple, multiplicity);
    }
}

/// The controls of a family as field elements, from booleans.
pub fn bool_controls<const N: usize>(flags: [bool; N]) -> [u32; CONTROLS] {
    let mut out = [0; CONTROLS];
    for (slot, flag) in out.iter_mut().zip(flags) {
        *slot = u32::from(flag);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_proven_opcode_has_a_family_and_writes_x0_to_the_sink() {
        for op in Opcode::ALL {
            assert_eq!(
                Family::of(op) == Family::None,
                op == Opcode::Ebreak,
                "{op:?}"
            );
        }
        let addi = Instruction::i(Opcode::Addi, 0, 5, 3);
        assert_eq!(RegisterUse::of(&addi).rd, Some(SINK));
        assert_eq!(RomEntry::of(0x1000, &addi).rd, SINK);
        let sd = Instruction::s(Opcode::Sd, 2, 0, -8);
        let regs = RegisterUse::of(&sd);
        assert_eq!((regs.rs1, regs.rs2, regs.rd), (Some(2), Some(0), None));
    }

    #[test]
    fn immediates_are_split_into_limbs_and_sign() {
        let entry = RomEntry::of(0x1000, &Instruction::i(Opcode::Addi, 1, 2, -3));
        assert_eq!(
            (entry.imm_lo, entry.imm_hi, entry.imm_neg),
            (0xfffd, 0xffff, true)
        );
        let entry = RomEntry::of(0x1000, &Instruction::u(Opcode::Lui, 1, 0x1234_5000));
        assert_eq!(
            (entry.imm_lo, entry.imm_hi, entry.imm_neg),
            (0x5000, 0x1234, false)
        );
        let beq = Instruction::s(Opcode::Beq, 1, 2, -8);
        assert_eq!(RomEntry::of(0x1000, &beq).target, 0x0ff8);
    }
}
