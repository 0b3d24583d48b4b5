//! The program ROM: a preprocessed table with one row per 4-byte slot of the program's code,
//! committed in the verifying key, from which every instruction row fetches its instruction on
//! the [`PROGRAM`] bus. Its main column counts how often each instruction ran.
//!
//! The ROM also carries flags derived once from the ELF ([`InstructionFlags`]), so chips never
//! re-derive them, and a chip that lies about them cannot find a ROM row to match. Slots that
//! hold no valid instruction, and the padding rows, get an opcode no chip ever sends
//! ([`NO_INSTRUCTION`]), so they can never be fetched.

use std::sync::Arc;

use droste_executor::Program;
use droste_isa::{Format, Instruction, Opcode};
use droste_stark::{Table, Val};
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use crate::bus::{collect_interactions, MachineBuilder, PROGRAM};
use crate::columns::{Word, WORD_LIMBS};
use crate::trace::padded_height;

/// The opcode of ROM rows that hold no instruction: one past the last real opcode.
pub const NO_INSTRUCTION: u8 = Opcode::COUNT as u8;

/// Facts about an instruction fixed by the program, sent with it on the [`PROGRAM`] bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstructionFlags {
    /// The instruction writes `rd` and `rd` is not `x0`. Writes to `x0` are never issued, so it
    /// keeps its initial 0 forever.
    pub writes_rd: bool,
    /// The second operand is the immediate (I, shift, U, J and fence formats), so `rs2` is not
    /// read.
    pub uses_imm: bool,
}

impl InstructionFlags {
    /// The flags of `instruction`.
    pub fn of(instruction: &Instruction) -> Self {
        let op = instruction.opcode;
        let has_rd = op.branch_op().is_none()
            && op.store_width().is_none()
            && !matches!(op, Opcode::Fence | Opcode::Ecall | Opcode::Ebreak);
        Self {
            writes_rd: has_rd && instruction.rd != 0,
            uses_imm: matches!(
                op.format(),
                Format::I | Format::Shift | Format::U | Format::J | Format::Fence
            ),
        }
    }

    /// The encoding on the bus: `writes_rd + 2 * uses_imm`.
    pub fn encode(self) -> u32 {
        u32::from(self.writes_rd) + 2 * u32::from(self.uses_imm)
    }
}

crate::columns! {
    /// Preprocessed columns of the ROM: the [`PROGRAM`] tuple of one code slot.
    pub struct RomCols<T> {
        pub pc: T,
        pub opcode: T,
        pub rd: T,
        pub rs1: T,
        pub rs2: T,
        /// `imm as i64 as u64`.
        pub imm: Word<T>,
        /// [`InstructionFlags::encode`].
        pub flags: T,
    }
}

crate::columns! {
    /// Main columns of the ROM.
    pub struct RomCountCols<T> {
        /// How many times the instruction executed.
        pub count: T,
    }
}

/// The program ROM table. The prover builds it from the program; the verifier only needs its
/// shape (the contents are committed in the verifying key).
#[derive(Clone, Debug, Default)]
pub struct ProgramTable {
    rom: Option<Arc<RowMajorMatrix<Val>>>,
}

impl ProgramTable {
    /// The ROM of `program`'s code: one row per 4-byte slot starting at its code base.
    pub fn new(program: &Program) -> Self {
        let (base, slots) = program.code_range();
        let height = padded_height(slots);
        let mut values = vec![Val::ZERO; height * RomCols::<u8>::WIDTH];
        for (slot, row) in values.chunks_exact_mut(RomCols::<u8>::WIDTH).enumerate() {
            let cols: &mut RomCols<Val> = core::borrow::BorrowMut::borrow_mut(row);
            let pc = base + 4 * slot as u64;
            cols.opcode = Val::from_u8(NO_INSTRUCTION);
            if slot >= slots {
                continue;
            }
            cols.pc = Val::from_u64(pc);
            if let Some(inst) = program.instruction_at(pc) {
                cols.opcode = Val::from_u8(inst.opcode as u8);
                cols.rd = Val::from_u8(inst.rd);
                cols.rs1 = Val::from_u8(inst.rs1);
                cols.rs2 = Val::from_u8(inst.rs2);
                cols.imm = Word::from_u64(inst.imm as i64 as u64);
                cols.flags = Val::from_u32(InstructionFlags::of(&inst).encode());
            }
        }
        Self {
            rom: Some(Arc::new(RowMajorMatrix::new(values, RomCols::<u8>::WIDTH))),
        }
    }

    /// The shape-only table a verifier uses.
    pub fn for_verifier() -> Self {
        Self { rom: None }
    }

    /// The main trace: execution counts per slot, `counts[(pc - base) / 4]`.
    pub fn generate_trace(counts: &[u32], height: usize) -> RowMajorMatrix<Val> {
        let mut values = vec![Val::ZERO; height];
        for (v, &c) in values.iter_mut().zip(counts) {
            *v = Val::from_u32(c);
        }
        RowMajorMatrix::new(values, RomCountCols::<u8>::WIDTH)
    }

    /// Number of rows of the ROM (a power of two), when built from a program.
    pub fn height(&self) -> Option<usize> {
        self.rom
            .as_ref()
            .map(|m| m.values.len() / RomCols::<u8>::WIDTH)
    }
}

impl BaseAir<Val> for ProgramTable {
    fn width(&self) -> usize {
        RomCountCols::<u8>::WIDTH
    }

    fn preprocessed_width(&self) -> usize {
        RomCols::<u8>::WIDTH
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        self.rom.as_deref().cloned()
    }
}

impl<AB: MachineBuilder> Air<AB> for ProgramTable {
    fn eval(&self, builder: &mut AB) {
        let prep = builder.preprocessed().clone();
        let rom: &RomCols<AB::Var> = core::borrow::Borrow::borrow(prep.current_slice());
        let main = builder.main();
        let count: &RomCountCols<AB::Var> = core::borrow::Borrow::borrow(main.current_slice());
        let tuple: [AB::Expr; 5 + WORD_LIMBS + 1] = [
            rom.pc.into(),
            rom.opcode.into(),
            rom.rd.into(),
            rom.rs1.into(),
            rom.rs2.into(),
            rom.imm.0[0].into(),
            rom.imm.0[1].into(),
            rom.imm.0[2].into(),
            rom.imm.0[3].into(),
            rom.flags.into(),
        ];
        builder.receive(PROGRAM, tuple, count.count);
    }
}

impl Table for ProgramTable {
    fn name(&self) -> &str {
        "program"
    }

    fn interactions(&self) -> Vec<droste_stark::Interaction> {
        collect_interactions::<Self>(self)
    }
}
