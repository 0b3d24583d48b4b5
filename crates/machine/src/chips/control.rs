//! Control flow: `branch` (BEQ, BNE, BLT, BGE, BLTU, BGEU) and `jalr` (JALR). JAL has a static
//! target and lives in [`super::constant`].
//!
//! A branch compares `rs1` and `rs2` with the [`WordCompareCols`] gadget (one range lookup; a
//! signed comparison flips the sign bits, proven by the [`sign_bit`] lookups), which gives both
//! `rs1 < rs2` and whether they differ (its marker is set). The ROM gives the taken target and
//! three controls: `is_eq` (BEQ/BNE compare for equality, the others for
//! less-than), `negate` (BNE, BGE, BGEU branch when the comparison fails) and `signed` (BLT,
//! BGE). The next pc is the target when taken, else `pc + 4`, as field elements: a target
//! outside the code has no ROM row, so the next fetch cannot happen.
//!
//! JALR jumps to `(rs1 + imm) & !1` through a 64-bit adder whose upper limbs are zero (a target
//! above `2^30` is not code) and writes `pc + 4`.

use core::borrow::{Borrow, BorrowMut};

use droste_isa::Opcode;
use droste_stark::Val;
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;

use crate::bus::MachineBuilder;
use crate::chips::InstructionChip;
use crate::columns::{limbs, WORD_LIMBS};
use crate::events::FrameEvent;
use crate::fetch::{bool_controls, Family, Fetch, CONTROLS};
use crate::frame::{ImmFrameCols, ReadCols, StepCols};
use crate::gadgets::sign_bit;
use crate::gadgets::word_compare::{order_limbs, WordCompareCols};
use crate::lookup::{range_check, LookupCounter};
use crate::memory_access::slot;
use crate::trace::rows_from_events;

const BRANCHES: [Opcode; 6] = [
    Opcode::Beq,
    Opcode::Bne,
    Opcode::Blt,
    Opcode::Bge,
    Opcode::Bltu,
    Opcode::Bgeu,
];

/// The ROM controls of a branch: `[is_eq, negate, signed]`.
pub fn branch_controls(op: Opcode) -> [u32; CONTROLS] {
    use Opcode::*;
    bool_controls([
        matches!(op, Beq | Bne),
        matches!(op, Bne | Bge | Bgeu),
        matches!(op, Blt | Bge),
    ])
}

crate::columns! {
    /// One row of the `branch` chip.
    pub struct BranchCols<T> {
        pub step: StepCols<T>,
        pub rs1: ReadCols<T>,
        pub rs2: ReadCols<T>,
        /// ROM controls and the taken target.
        pub is_eq: T,
        pub negate: T,
        pub signed: T,
        pub target: T,
        /// Sign bits of `rs1` and `rs2` for signed comparisons (0 otherwise).
        pub sign: [T; 2],
        /// The comparison of the (sign-flipped) operands.
        pub compare: WordCompareCols<T>,
        /// `rs1 < rs2` (signed for BLT/BGE, unsigned otherwise).
        pub less: T,
        pub taken: T,
        pub next_pc: T,
    }
}

/// The `branch` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct BranchChip;

impl BaseAir<Val> for BranchChip {
    fn width(&self) -> usize {
        BranchCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for BranchChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &BranchCols<AB::Var> = main.current_slice().borrow();
        let step = &local.step;
        let is_real: AB::Expr = step.is_real.into();
        let signed: AB::Expr = local.signed.into();
        let operands =
            [(&local.rs1, local.sign[0]), (&local.rs2, local.sign[1])].map(|(read, sign)| {
                sign_bit::eval(
                    builder,
                    read.value.0[WORD_LIMBS - 1].into(),
                    sign.into(),
                    signed.clone(),
                );
                order_limbs::<AB>(read.value.into_exprs(), sign.into(), &signed)
            });
        let [lhs, rhs] = operands;
        builder.assert_bool(local.less);
        local
            .compare
            .eval(builder, &lhs, &rhs, local.less.into(), is_real.clone());
        let marked: AB::Expr = local.compare.marker.iter().map(|&m| m.into()).sum();
        let (is_eq, negate): (AB::Expr, AB::Expr) = (local.is_eq.into(), local.negate.into());
        let holds =
            is_eq.clone() * (AB::Expr::ONE - marked) + (AB::Expr::ONE - is_eq) * local.less.into();
        builder.assert_eq(
            local.taken,
            holds.clone() + negate.clone() - holds * negate * AB::Expr::TWO,
        );
        let fall_through = step.pc.into() + AB::Expr::from_u32(4);
        builder.when(is_real.clone()).assert_eq(
            local.next_pc,
            fall_through.clone() + local.taken.into() * (local.target.into() - fall_through),
        );

        local
            .rs1
            .eval(builder, step.clk, slot::RS1, is_real.clone());
        local.rs2.eval(builder, step.clk, slot::RS2, is_real);
        let mut fetch = Fetch::new(Family::Branch).with_controls([
            local.is_eq.into(),
            local.negate.into(),
            local.signed.into(),
        ]);
        fetch.rs1 = local.rs1.reg.into();
        fetch.rs2 = local.rs2.reg.into();
        fetch.target = local.target.into();
        step.eval(builder, fetch, local.next_pc.into());
    }
}

crate::impl_table!(BranchChip, "branch");

impl InstructionChip for BranchChip {
    fn opcodes(&self) -> &'static [Opcode] {
        &BRANCHES
    }

    fn generate_trace(
        &self,
        events: &[FrameEvent],
        lookups: &LookupCounter,
    ) -> RowMajorMatrix<Val> {
        rows_from_events(events, BranchCols::<u8>::WIDTH, |e, row| {
            let cols: &mut BranchCols<Val> = row.borrow_mut();
            populate_branch(cols, e, lookups);
        })
    }
}

fn populate_branch(cols: &mut BranchCols<Val>, e: &FrameEvent, lookups: &LookupCounter) {
    let inst = e.instruction;
    cols.step.populate(e.clk, e.pc);
    cols.rs1.populate(
        inst.rs1,
        e.rs1_value,
        (e.rs1_prev_ts, e.clk, slot::RS1),
        lookups,
    );
    cols.rs2.populate(
        inst.rs2,
        e.rs2_value,
        (e.rs2_prev_ts, e.clk, slot::RS2),
        lookups,
    );
    let op = inst.opcode;
    let [is_eq, negate, signed, ..] = branch_controls(op).map(Val::from_u32);
    (cols.is_eq, cols.negate, cols.signed) = (is_eq, negate, signed);
    cols.target = Val::from_u32(e.pc.wrapping_add(inst.imm as u32));
    let (a, b) = (e.rs1_value, e.rs2_value);
    let signed = matches!(op, Opcode::Blt | Opcode::Bge);
    let top = WORD_LIMBS - 1;
    cols.sign[0] = sign_bit::populate(limbs(a)[top], signed, lookups);
    cols.sign[1] = sign_bit::populate(limbs(b)[top], signed, lookups);
    let less = cols.compare.populate_words((a, b), signed, lookups);
    cols.less = Val::from_bool(less);
    cols.taken = Val::from_bool(droste_isa::alu::branch_taken(
        op.branch_op().expect("branch"),
        a,
        b,
    ));
    cols.next_pc = Val::from_u32(e.next_pc);
}

const JALR: [Opcode; 1] = [Opcode::Jalr];

crate::columns! {
    /// One row of the `jalr` chip.
    pub struct JalrCols<T> {
        pub frame: ImmFrameCols<T>,
        /// The limbs (16 + 14 bits) of `rs1 + imm`, and its bit 0.
        pub target: [T; 2],
        pub bit0: T,
        pub next_pc: T,
    }
}

/// The `jalr` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct JalrChip;

impl BaseAir<Val> for JalrChip {
    fn width(&self) -> usize {
        JalrCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for JalrChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &JalrCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let is_real: AB::Expr = frame.step.is_real.into();
        let base = AB::Expr::from_u32(1 << 16);
        let inv_base = Val::from_u32(1 << 16).inverse();

        // (rs1 + imm) & !1 with zero upper limbs; the carries are linear in the limbs.
        let b = frame.operand::<AB::Expr>();
        let target = [
            local.target[0].into(),
            local.target[1].into(),
            AB::Expr::ZERO,
            AB::Expr::ZERO,
        ];
        let mut carry = AB::Expr::ZERO;
        for (k, (b_k, t_k)) in b.into_iter().zip(target).enumerate() {
            carry = (frame.rs1.value.0[k].into() + b_k + carry - t_k) * inv_base;
            builder.assert_bool(carry.clone());
        }
        range_check(builder, local.target[0], 16, is_real.clone());
        range_check(builder, local.target[1], 14, is_real.clone());
        builder.assert_bool(local.bit0);
        builder.assert_eq(
            local.next_pc,
            local.target[0].into() - local.bit0.into() + local.target[1].into() * base.clone(),
        );

        // rd = pc + 4 (below 2^30).
        let rd = frame.rd.value.0;
        builder.when(is_real.clone()).assert_eq(
            rd[0].into() + rd[1].into() * base,
            frame.step.pc.into() + AB::Expr::from_u32(4),
        );
        builder.assert_zero(rd[2]);
        builder.assert_zero(rd[3]);
        range_check(builder, rd[0], 16, is_real.clone());
        range_check(builder, rd[1], 14, is_real.clone());

        let clk = frame.step.clk;
        frame.rs1.eval(builder, clk, slot::RS1, is_real.clone());
        frame.rd.eval(builder, clk, is_real);
        let mut fetch = Fetch::new(Family::Jalr);
        fetch.rd = frame.rd.reg.into();
        fetch.rs1 = frame.rs1.reg.into();
        frame.imm.fetch(&mut fetch);
        frame.step.eval(builder, fetch, local.next_pc.into());
    }
}

crate::impl_table!(JalrChip, "jalr");

crate::impl_instruction_chip!(JalrChip, JalrCols, JALR, populate_jalr);

fn populate_jalr(cols: &mut JalrCols<Val>, e: &FrameEvent, lookups: &LookupCounter) {
    cols.frame.populate(e, lookups);
    let sum = e.rs1_value.wrapping_add(e.instruction.imm as i64 as u64);
    let (lo, hi) = (sum as u32 & 0xffff, (sum >> 16) as u32 & 0xffff);
    cols.target = [lo, hi].map(Val::from_u32);
    cols.bit0 = Val::from_u64(sum & 1);
    lookups.range(lo, 16);
    lookups.range(hi, 14);
    cols.next_pc = Val::from_u32(e.next_pc);
    let link = e.pc + 4;
    lookups.range(link & 0xffff, 16);
    lookups.range(link >> 16, 14);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::PROGRAM;
    use crate::columns::Col;
    use crate::gadgets::row_check::*;
    use droste_isa::Instruction;

    /// Every branch on every pair of edge values, with a backward offset.
    fn branch_events() -> Vec<FrameEvent> {
        let mut events = Vec::new();
        for op in BRANCHES {
            for &a in &EDGE_VALUES {
                for &b in &EDGE_VALUES {
                    let clk = events.len() as u32 + 1;
                    let pc = 0x1000 + 4 * clk;
                    let taken = droste_isa::alu::branch_taken(op.branch_op().unwrap(), a, b);
                    events.push(FrameEvent {
                        clk,
                        pc,
                        next_pc: if taken { pc - 8 } else { pc + 4 },
                        instruction: Instruction::s(op, 6, 7, -8),
                        rs1_value: a,
                        rs2_value: b,
                        result: 0,
                        rs1_prev_ts: 0,
                        rs2_prev_ts: 0,
                        rd_prev_ts: 0,
                        rd_prev_value: 0,
                    });
                }
            }
        }
        events
    }

    #[test]
    fn every_branch_on_edge_values_satisfies_the_chip() {
        let events = branch_events();
        let trace = assert_chip_honest(&BranchChip, &events);
        for row in 0..events.len() {
            // The other direction, with a consistent next pc, fails the comparison.
            let taken = cell::<BranchCols<Col>>(&trace, row, "taken");
            let next = cell::<BranchCols<Col>>(&trace, row, "next_pc");
            let flip = Val::ONE - taken;
            let moved = if taken == Val::ONE {
                next + Val::from_u32(12)
            } else {
                next - Val::from_u32(12)
            };
            let tampered = with_cell::<BranchCols<Col>>(&trace, row, "taken", flip);
            let tampered = with_cell::<BranchCols<Col>>(&tampered, row, "next_pc", moved);
            assert!(
                first_failure(&BranchChip, &tampered, &events, row).is_some(),
                "{:?}",
                events[row]
            );
        }
    }

    #[test]
    fn a_wrong_control_or_target_is_not_in_the_rom() {
        let events = branch_events();
        let trace = assert_chip_honest(&BranchChip, &events);
        for name in ["is_eq", "negate", "signed"] {
            let flipped = Val::ONE - cell::<BranchCols<Col>>(&trace, 3, name);
            let tampered = with_cell::<BranchCols<Col>>(&trace, 3, name, flipped);
            assert!(
                first_failure(&BranchChip, &tampered, &events, 3).is_some(),
                "{name}"
            );
        }
        let target = cell::<BranchCols<Col>>(&trace, 3, "target") + Val::from_u32(4);
        let tampered = with_cell::<BranchCols<Col>>(&trace, 3, "target", target);
        assert!(matches!(
            first_failure(&BranchChip, &tampered, &events, 3),
            Some(RowFailure::Lookup { bus: PROGRAM, .. }) | Some(RowFailure::Constraint { .. })
        ));
    }

    #[test]
    fn equal_operands_cannot_be_claimed_different() {
        // BEQ 1, 1 not taken: a marker on equal limbs makes the distance negative.
        let events: Vec<_> = branch_events()
            .into_iter()
            .filter(|e| e.instruction.opcode == Opcode::Beq && e.rs1_value == 1 && e.rs2_value == 1)
            .collect();
        let trace = assert_chip_honest(&BranchChip, &events);
        let next = cell::<BranchCols<Col>>(&trace, 0, "next_pc") + Val::from_u32(12);
        let mut tampered = with_cell::<BranchCols<Col>>(&trace, 0, "taken", Val::ZERO);
        tampered = with_cell::<BranchCols<Col>>(&tampered, 0, "next_pc", next);
        for (name, value) in [
            ("compare.marker[0]", Val::ONE),
            ("compare.lhs_at_marker", Val::ONE),
            ("compare.rhs_at_marker", Val::ONE),
            ("compare.diff", -Val::ONE),
        ] {
            tampered = with_cell::<BranchCols<Col>>(&tampered, 0, name, value);
        }
        assert!(matches!(
            first_failure(&BranchChip, &tampered, &events, 0),
            Some(RowFailure::Lookup {
                bus: crate::bus::RANGE,
                ..
            })
        ));
    }

    #[test]
    fn jalr_targets_and_links_satisfy_the_chip() {
        let pairs = [(0x2000_0100, 8), (0x2000_0101, -1), (0x3fff_fff0, 15)];
        let events: Vec<_> = pairs
            .iter()
            .enumerate()
            .map(|(i, &(rs1, imm)): (usize, &(u64, i32))| {
                let target = rs1.wrapping_add(imm as i64 as u64) & !1;
                FrameEvent {
                    clk: i as u32 + 1,
                    pc: 0x1000 + 4 * i as u32,
                    next_pc: target as u32,
                    instruction: Instruction::i(Opcode::Jalr, 1, 6, imm),
                    rs1_value: rs1,
                    rs2_value: 0,
                    result: 0x1000 + 4 * i as u64 + 4,
                    rs1_prev_ts: 0,
                    rs2_prev_ts: 0,
                    rd_prev_ts: 0,
                    rd_prev_value: 0,
                }
            })
            .collect();
        let trace = assert_chip_honest(&JalrChip, &events);
        for row in 0..events.len() {
            for name in ["next_pc", "frame.rd.value[0]", "target[1]"] {
                let bad = cell::<JalrCols<Col>>(&trace, row, name) + Val::from_u32(4);
                let tampered = with_cell::<JalrCols<Col>>(&trace, row, name, bad);
                assert!(
                    first_failure(&JalrChip, &tampered, &events, row).is_some(),
                    "{name}"
                );
            }
        }
    }
}
