//! The instruction frame: what every instruction row carries besides its family's own columns.
//!
//! A frame is the state transition and the register traffic of one instruction:
//!
//! - receive the state token `(clk, pc)` and send `(clk + 1, next_pc)` on [`STATE`];
//! - fetch `(pc, opcode, rd, rs1, rs2, imm, flags)` from the program ROM on [`PROGRAM`], which
//!   binds the register numbers and the flags `writes_rd` / `uses_imm` to the committed program;
//! - read `rs1`, read `rs2` unless the instruction uses an immediate (then the operand columns
//!   hold the immediate), and write `rd` when `writes_rd` (never for `x0`: the ROM clears the
//!   flag), each through a [`MemoryAccess`].
//!
//! The chip supplies what depends on the instruction family: the opcode (a combination of its
//! selector columns), the immediate as it appears in the ROM, and `next_pc`. It also constrains
//! `rd_value` and range-checks it: a value is checked where it is produced, so values on the
//! memory bus are always four 16-bit limbs.

use droste_isa::Instruction;
use droste_stark::Val;
use p3_field::PrimeCharacteristicRing;

use crate::bus::{space, MachineBuilder, PROGRAM, STATE};
use crate::columns::{Word, WORD_LIMBS};
use crate::events::FrameEvent;
use crate::lookup::LookupCounter;
use crate::memory_access::{slot, timestamp, timestamp_expr, AccessCols, MemoryAccess};
use crate::program::InstructionFlags;

crate::columns! {
    /// The frame columns (30), embedded first in every instruction chip's row.
    pub struct FrameCols<T> {
        /// 1 on a row that executes an instruction, 0 on padding.
        pub is_real: T,
        /// The instruction's clock (its index in the execution).
        pub clk: T,
        /// Its address.
        pub pc: T,
        /// Register numbers, as fetched from the ROM.
        pub rd: T,
        pub rs1: T,
        pub rs2: T,
        /// ROM flag: the instruction writes `rd` and `rd != 0`.
        pub writes_rd: T,
        /// ROM flag: the second operand is the immediate, not `rs2`.
        pub uses_imm: T,
        /// Value of `rs1`.
        pub rs1_value: Word<T>,
        pub rs1_access: AccessCols<T>,
        /// Value of `rs2`, or the immediate (sign-extended to 64 bits) when `uses_imm`.
        pub rs2_or_imm: Word<T>,
        pub rs2_access: AccessCols<T>,
        /// The value the instruction computes for `rd` (also when `rd` is `x0`, where it is not
        /// written).
        pub rd_value: Word<T>,
        /// The value `rd` held before.
        pub rd_prev_value: Word<T>,
        pub rd_access: AccessCols<T>,
    }
}

/// What the chip tells the frame about its instruction.
pub struct FrameIo<E> {
    /// The opcode (`Opcode as u8`), usually `sum(selector_i * opcode_i)`.
    pub opcode: E,
    /// The immediate limbs exactly as the ROM holds them (`imm as i64 as u64`; zero for R-type).
    pub imm: [E; WORD_LIMBS],
    /// The address of the next instruction.
    pub next_pc: E,
}

/// The immediate of an ALU-style chip whose second operand is `rs2` or the immediate:
/// `uses_imm * rs2_or_imm` (zero for R-type instructions, as in the ROM).
pub fn operand_imm<AB: MachineBuilder>(frame: &FrameCols<AB::Var>) -> [AB::Expr; WORD_LIMBS] {
    frame.rs2_or_imm.0.map(|limb| limb * frame.uses_imm)
}

/// `pc + 4`, the next pc of every instruction that does not jump.
pub fn pc_plus_4<AB: MachineBuilder>(frame: &FrameCols<AB::Var>) -> AB::Expr {
    frame.pc + AB::Expr::from_u32(4)
}

/// The frame of an ALU-style instruction: the second operand is `rs2` or the immediate, and
/// execution falls through to `pc + 4`.
pub fn eval_alu_frame<AB: MachineBuilder>(
    builder: &mut AB,
    frame: &FrameCols<AB::Var>,
    opcode: AB::Expr,
) {
    let io = FrameIo {
        opcode,
        imm: operand_imm::<AB>(frame),
        next_pc: pc_plus_4::<AB>(frame),
    };
    eval_frame(builder, frame, io);
}

/// Evaluates the frame's constraints and interactions.
pub fn eval_frame<AB: MachineBuilder>(
    builder: &mut AB,
    cols: &FrameCols<AB::Var>,
    io: FrameIo<AB::Expr>,
) {
    let is_real: AB::Expr = cols.is_real.into();
    builder.assert_bool(is_real.clone());
    builder.assert_bool(cols.writes_rd);
    builder.assert_bool(cols.uses_imm);
    // Flags are bound to the ROM only on real rows; padding rows must not enable an access.
    builder.assert_zero((AB::Expr::ONE - is_real.clone()) * cols.writes_rd);
    builder.assert_zero((AB::Expr::ONE - is_real.clone()) * cols.uses_imm);

    builder.receive(STATE, [cols.clk.into(), cols.pc.into()], is_real.clone());
    builder.send(
        STATE,
        [cols.clk.into() + AB::Expr::ONE, io.next_pc],
        is_real.clone(),
    );

    let flags: AB::Expr = cols.writes_rd.into() + cols.uses_imm.into() * AB::Expr::TWO;
    let fetch = [
        cols.pc.into(),
        io.opcode,
        cols.rd.into(),
        cols.rs1.into(),
        cols.rs2.into(),
    ]
    .into_iter()
    .chain(io.imm)
    .chain([flags]);
    builder.send(PROGRAM, fetch, is_real.clone());

    let register = || AB::Expr::from_u32(space::REGISTER);
    let rs1_value = cols.rs1_value.into_exprs::<AB::Expr>();
    MemoryAccess {
        space: register(),
        addr: cols.rs1.into(),
        ts: timestamp_expr::<AB>(cols.clk, slot::RS1),
        prev_value: rs1_value.clone(),
        value: rs1_value,
    }
    .eval(builder, &cols.rs1_access, is_real.clone());

    let rs2_value = cols.rs2_or_imm.into_exprs::<AB::Expr>();
    MemoryAccess {
        space: register(),
        addr: cols.rs2.into(),
        ts: timestamp_expr::<AB>(cols.clk, slot::RS2),
        prev_value: rs2_value.clone(),
        value: rs2_value,
    }
    .eval(builder, &cols.rs2_access, is_real - cols.uses_imm.into());

    MemoryAccess {
        space: register(),
        addr: cols.rd.into(),
        ts: timestamp_expr::<AB>(cols.clk, slot::RD),
        prev_value: cols.rd_prev_value.into_exprs(),
        value: cols.rd_value.into_exprs(),
    }
    .eval(builder, &cols.rd_access, cols.writes_rd.into());
}

impl FrameCols<Val> {
    /// Fills the frame of `event` and records its lookups (the timestamp range checks; the
    /// chip records the range checks of `rd_value`).
    pub fn populate(&mut self, event: &FrameEvent, lookups: &LookupCounter) {
        let Instruction { rd, rs1, rs2, .. } = event.instruction;
        let flags = InstructionFlags::of(&event.instruction);
        self.is_real = Val::ONE;
        self.clk = Val::from_u32(event.clk);
        self.pc = Val::from_u32(event.pc);
        self.rd = Val::from_u8(rd);
        self.rs1 = Val::from_u8(rs1);
        self.rs2 = Val::from_u8(rs2);
        self.writes_rd = Val::from_bool(flags.writes_rd);
        self.uses_imm = Val::from_bool(flags.uses_imm);
        self.rs1_value = Word::from_u64(event.rs1_value);
        self.rs1_access
            .populate(event.rs1_prev_ts, timestamp(event.clk, slot::RS1), lookups);
        if flags.uses_imm {
            self.rs2_or_imm = Word::from_u64(event.instruction.imm as i64 as u64);
        } else {
            self.rs2_or_imm = Word::from_u64(event.rs2_value);
            self.rs2_access
                .populate(event.rs2_prev_ts, timestamp(event.clk, slot::RS2), lookups);
        }
        self.rd_value = Word::from_u64(event.result);
        if flags.writes_rd {
            self.rd_prev_value = Word::from_u64(event.rd_prev_value);
            self.rd_access
                .populate(event.rd_prev_ts, timestamp(event.clk, slot::RD), lookups);
        }
    }
}
