//! The instruction frame: the parts every instruction row is built from besides its family's
//! own columns. A chip embeds only the parts its instructions use (SP1 v6 style: a row pays for
//! its own instruction only):
//!
//! - [`StepCols`]: the state token `(clk, pc)` received on [`STATE`], `(clk + 1, next_pc)` sent
//!   on, and the [`Fetch`] of the instruction from the ROM;
//! - [`ReadCols`] per register read (`rs1`, `rs2`), [`WriteCols`] for the write of `rd`, each
//!   through a [`MemoryAccess`] at its timestamp slot, with the register number bound by the
//!   fetch;
//! - [`ImmCols`]: a 12-bit immediate as its low limb and sign, bound by the fetch.
//!
//! An instruction without `rs1` (LUI, AUIPC, JAL) or `rs2` (immediate forms) has no read of it
//! at all: nothing it does can depend on an unread register. [`RegFrameCols`] and
//! [`ImmFrameCols`] are the two frames of the ALU chips (second operand a register or an
//! immediate, falling through to `pc + 4`); [`UnaryFrameCols`] is the frame of a chip whose
//! constant operand comes from the ROM's controls (a shift by a constant).
//!
//! The chip constrains the value written (`rd.value`) and range-checks it: a value is checked
//! where it is produced, so values on the memory bus are always four 16-bit limbs.

use droste_stark::Val;
use p3_field::PrimeCharacteristicRing;

use crate::bus::{space, MachineBuilder, STATE};
use crate::columns::{Word, WORD_LIMBS};
use crate::events::FrameEvent;
use crate::fetch::{Fetch, RegisterUse};
use crate::lookup::LookupCounter;
use crate::memory_access::{slot, timestamp, timestamp_expr, AccessCols, MemoryAccess};

crate::columns! {
    /// The state of one instruction row.
    pub struct StepCols<T> {
        /// 1 on a row that executes an instruction, 0 on padding.
        pub is_real: T,
        /// The instruction's clock (its index in the execution).
        pub clk: T,
        /// Its address.
        pub pc: T,
    }
}

impl<V: Copy> StepCols<V> {
    /// Receives the state token, sends it on with `next_pc`, and fetches the instruction.
    ///
    /// The fetch binds the controls to the ROM on real rows only; on padding rows they are
    /// forced to 0. Chips use controls as lookup multiplicities (a sign check only for `*W`
    /// forms, say), and a padding row with a control of `-1` could otherwise cancel another
    /// row's out-of-range lookup.
    pub fn eval<AB>(&self, builder: &mut AB, fetch: Fetch<AB::Expr>, next_pc: AB::Expr)
    where
        AB: MachineBuilder<Var = V>,
    {
        let is_real: AB::Expr = self.is_real.into();
        let (clk, pc): (AB::Expr, AB::Expr) = (self.clk.into(), self.pc.into());
        builder.assert_bool(is_real.clone());
        for control in &fetch.control {
            builder.assert_zero((AB::Expr::ONE - is_real.clone()) * control.clone());
        }
        builder.receive(STATE, [clk.clone(), pc.clone()], is_real.clone());
        builder.send(STATE, [clk + AB::Expr::ONE, next_pc], is_real.clone());
        fetch.send(builder, pc, is_real);
    }
}

impl StepCols<Val> {
    /// Fills the step of the instruction at `clk`, `pc`.
    pub fn populate(&mut self, clk: u32, pc: u32) {
        self.is_real = Val::ONE;
        self.clk = Val::from_u32(clk);
        self.pc = Val::from_u32(pc);
    }
}

crate::columns! {
    /// A register read.
    pub struct ReadCols<T> {
        /// The register number (bound by the fetch).
        pub reg: T,
        pub value: Word<T>,
        pub access: AccessCols<T>,
    }
}

impl<V: Copy> ReadCols<V> {
    /// Reads the register at timestamp slot `slot` of clock `clk`, `multiplicity` times.
    pub fn eval<AB>(&self, builder: &mut AB, clk: V, slot: u32, multiplicity: AB::Expr)
    where
        AB: MachineBuilder<Var = V>,
    {
        let value = self.value.into_exprs::<AB::Expr>();
        MemoryAccess {
            space: AB::Expr::from_u32(space::REGISTER),
            addr: self.reg.into(),
            ts: timestamp_expr::<AB>(clk, slot),
            prev_value: value.clone(),
            value,
        }
        .eval(builder, &self.access, multiplicity);
    }
}

impl ReadCols<Val> {
    /// Fills a read of `reg` holding `value`, last accessed at `prev_ts`, by the instruction at
    /// `clk` in `slot`.
    pub fn populate(
        &mut self,
        reg: u8,
        value: u64,
        (prev_ts, clk, slot): (u32, u32, u32),
        lookups: &LookupCounter,
    ) {
        self.reg = Val::from_u8(reg);
        self.value = Word::from_u64(value);
        self.access.populate(prev_ts, timestamp(clk, slot), lookups);
    }
}

crate::columns! {
    /// The write of the destination register.
    pub struct WriteCols<T> {
        /// The register number, [`crate::fetch::SINK`] for `x0` (bound by the fetch).
        pub reg: T,
        /// The value written (also what the instruction computes when `rd` is `x0`).
        pub value: Word<T>,
        /// The value the register held before.
        pub prev: Word<T>,
        pub access: AccessCols<T>,
    }
}

impl<V: Copy> WriteCols<V> {
    /// Writes the register at the [`slot::RD`] slot of clock `clk`, `multiplicity` times.
    pub fn eval<AB>(&self, builder: &mut AB, clk: V, multiplicity: AB::Expr)
    where
        AB: MachineBuilder<Var = V>,
    {
        MemoryAccess {
            space: AB::Expr::from_u32(space::REGISTER),
            addr: self.reg.into(),
            ts: timestamp_expr::<AB>(clk, slot::RD),
            prev_value: self.prev.into_exprs(),
            value: self.value.into_exprs(),
        }
        .eval(builder, &self.access, multiplicity);
    }
}

impl WriteCols<Val> {
    /// Fills the write of `event`'s result to its destination register.
    pub fn populate(&mut self, event: &FrameEvent, lookups: &LookupCounter) {
        let reg = RegisterUse::of(&event.instruction)
            .rd
            .expect("the instruction writes a register");
        self.reg = Val::from_u8(reg);
        self.value = Word::from_u64(event.result);
        self.prev = Word::from_u64(event.rd_prev_value);
        self.access
            .populate(event.rd_prev_ts, timestamp(event.clk, slot::RD), lookups);
    }
}

crate::columns! {
    /// A 12-bit signed immediate (or a shift amount): `imm as i64 as u64` has limbs
    /// `(lo, 0xffff neg, 0xffff neg, 0xffff neg)`.
    pub struct ImmCols<T> {
        pub lo: T,
        pub neg: T,
    }
}

impl<V: Copy> ImmCols<V> {
    /// The immediate's four limbs.
    pub fn limbs<E: PrimeCharacteristicRing>(&self) -> [E; WORD_LIMBS]
    where
        V: Into<E>,
    {
        let fill = self.neg.into() * E::from_u32(0xffff);
        [self.lo.into(), fill.clone(), fill.clone(), fill]
    }

    /// Puts the immediate into `fetch` (the ROM's `imm_lo`, `imm_hi`, `imm_neg`).
    pub fn fetch<E: PrimeCharacteristicRing>(&self, fetch: &mut Fetch<E>)
    where
        V: Into<E>,
    {
        let [lo, hi, _, _] = self.limbs::<E>();
        fetch.imm_lo = lo;
        fetch.imm_hi = hi;
        fetch.imm_neg = self.neg.into();
    }
}

impl ImmCols<Val> {
    /// Fills a 12-bit immediate.
    pub fn populate(&mut self, imm: i32) {
        self.lo = Val::from_u16(imm as u16);
        self.neg = Val::from_bool(imm < 0);
    }
}

/// `pc + 4`, the next pc of every instruction that does not jump.
pub fn pc_plus_4<AB: MachineBuilder>(step: &StepCols<AB::Var>) -> AB::Expr {
    step.pc.into() + AB::Expr::from_u32(4)
}

crate::columns! {
    /// The frame of an ALU instruction whose second operand is a register.
    pub struct RegFrameCols<T> {
        pub step: StepCols<T>,
        pub rs1: ReadCols<T>,
        pub rs2: ReadCols<T>,
        pub rd: WriteCols<T>,
    }
}

impl<V: Copy> RegFrameCols<V> {
    /// Reads `rs1` and `rs2`, writes `rd`, fetches with the registers filled into `fetch`, and
    /// falls through to `pc + 4`.
    pub fn eval<AB>(&self, builder: &mut AB, mut fetch: Fetch<AB::Expr>)
    where
        AB: MachineBuilder<Var = V>,
    {
        let is_real: AB::Expr = self.step.is_real.into();
        let clk = self.step.clk;
        self.rs1.eval(builder, clk, slot::RS1, is_real.clone());
        self.rs2.eval(builder, clk, slot::RS2, is_real.clone());
        self.rd.eval(builder, clk, is_real);
        fetch.rd = self.rd.reg.into();
        fetch.rs1 = self.rs1.reg.into();
        fetch.rs2 = self.rs2.reg.into();
        let next_pc = Into::<AB::Expr>::into(self.step.pc) + AB::Expr::from_u32(4);
        self.step.eval(builder, fetch, next_pc);
    }

    /// The second operand (`rs2`).
    pub fn operand(&self) -> Word<V> {
        self.rs2.value
    }
}

impl RegFrameCols<Val> {
    /// Fills the frame of `event` and records its timestamp range checks (the chip records
    /// those of the value written).
    pub fn populate(&mut self, event: &FrameEvent, lookups: &LookupCounter) {
        let inst = event.instruction;
        self.step.populate(event.clk, event.pc);
        self.rs1.populate(
            inst.rs1,
            event.rs1_value,
            (event.rs1_prev_ts, event.clk, slot::RS1),
            lookups,
        );
        self.rs2.populate(
            inst.rs2,
            event.rs2_value,
            (event.rs2_prev_ts, event.clk, slot::RS2),
            lookups,
        );
        self.rd.populate(event, lookups);
    }
}

crate::columns! {
    /// The frame of an instruction that reads `rs1` and writes `rd` and whose other operand,
    /// if any, is a constant the ROM gives in the chip's controls (a shift by a constant).
    pub struct UnaryFrameCols<T> {
        pub step: StepCols<T>,
        pub rs1: ReadCols<T>,
        pub rd: WriteCols<T>,
    }
}

impl<V: Copy> UnaryFrameCols<V> {
    /// Reads `rs1`, writes `rd`, fetches with the registers filled into `fetch`, and falls
    /// through to `pc + 4`.
    pub fn eval<AB>(&self, builder: &mut AB, fetch: Fetch<AB::Expr>)
    where
        AB: MachineBuilder<Var = V>,
    {
        eval_unary(builder, &self.step, &self.rs1, &self.rd, fetch);
    }
}

impl UnaryFrameCols<Val> {
    /// Fills the frame of `event` and records its timestamp range checks.
    pub fn populate(&mut self, event: &FrameEvent, lookups: &LookupCounter) {
        populate_unary(&mut self.step, &mut self.rs1, &mut self.rd, event, lookups);
    }
}

/// Reads `rs1`, writes `rd`, fetches and falls through to `pc + 4`.
fn eval_unary<AB: MachineBuilder>(
    builder: &mut AB,
    step: &StepCols<AB::Var>,
    rs1: &ReadCols<AB::Var>,
    rd: &WriteCols<AB::Var>,
    mut fetch: Fetch<AB::Expr>,
) {
    let is_real: AB::Expr = step.is_real.into();
    rs1.eval(builder, step.clk, slot::RS1, is_real.clone());
    rd.eval(builder, step.clk, is_real);
    fetch.rd = rd.reg.into();
    fetch.rs1 = rs1.reg.into();
    step.eval(builder, fetch, pc_plus_4::<AB>(step));
}

fn populate_unary(
    step: &mut StepCols<Val>,
    rs1: &mut ReadCols<Val>,
    rd: &mut WriteCols<Val>,
    event: &FrameEvent,
    lookups: &LookupCounter,
) {
    step.populate(event.clk, event.pc);
    rs1.populate(
        event.instruction.rs1,
        event.rs1_value,
        (event.rs1_prev_ts, event.clk, slot::RS1),
        lookups,
    );
    rd.populate(event, lookups);
}

crate::columns! {
    /// The frame of an ALU instruction whose second operand is a 12-bit immediate.
    pub struct ImmFrameCols<T> {
        pub step: StepCols<T>,
        pub rs1: ReadCols<T>,
        pub rd: WriteCols<T>,
        pub imm: ImmCols<T>,
    }
}

impl<V: Copy> ImmFrameCols<V> {
    /// Reads `rs1`, writes `rd`, fetches with the registers and the immediate filled into
    /// `fetch`, and falls through to `pc + 4`.
    pub fn eval<AB>(&self, builder: &mut AB, mut fetch: Fetch<AB::Expr>)
    where
        AB: MachineBuilder<Var = V>,
    {
        self.imm.fetch(&mut fetch);
        eval_unary(builder, &self.step, &self.rs1, &self.rd, fetch);
    }

    /// The second operand (the immediate's limbs).
    pub fn operand<E: PrimeCharacteristicRing>(&self) -> [E; WORD_LIMBS]
    where
        V: Into<E>,
    {
        self.imm.limbs()
    }
}

impl ImmFrameCols<Val> {
    /// Fills the frame of `event` and records its timestamp range checks.
    pub fn populate(&mut self, event: &FrameEvent, lookups: &LookupCounter) {
        populate_unary(&mut self.step, &mut self.rs1, &mut self.rd, event, lookups);
        self.imm.populate(event.instruction.imm);
    }
}
