//! Control flow: `branch` (BEQ, BNE, BLT, BGE, BLTU, BGEU) and `jalr` (JALR). JAL has a static
//! target and lives in [`super::constant`].
//!
//! A branch computes `diff = rs1 - rs2` with a 64-bit adder (`rs2 + diff = rs1`; the carries are
//! linear in the range-checked limbs and the last one is `rs1 <u rs2`), equality from `diff`
//! being zero (an inverse witness), and the signed comparison from the sign bits. The ROM gives
//! the taken target and three controls: `is_eq` (BEQ/BNE compare for equality, the others for
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
use crate::columns::{limbs, Word, WORD_LIMBS};
use crate::events::FrameEvent;
use crate::fetch::{bool_controls, Family, Fetch, CONTROLS};
use crate::frame::{ImmFrameCols, ReadCols, StepCols};
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
        /// `rs1 - rs2` (mod 2^64).
        pub diff: Word<T>,
        /// Sign bits of `rs1` and `rs2`, and whether they differ.
        pub sign: [T; 2],
        pub signs_differ: T,
        /// `diff != 0`, with the inverse of the limb sum as witness.
        pub not_equal: T,
        pub sum_inverse: T,
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
        let (rs1, rs2) = (local.rs1.value.0, local.rs2.value.0);
        let inv_base = Val::from_u32(1 << 16).inverse();

        // rs2 + diff = rs1: the carry out of limb 3 is the borrow of rs1 - rs2.
        let mut carry = AB::Expr::ZERO;
        let mut sum = AB::Expr::ZERO;
        for k in 0..WORD_LIMBS {
            carry = (rs2[k].into() + local.diff.0[k].into() + carry - rs1[k].into()) * inv_base;
            builder.assert_bool(carry.clone());
            sum += local.diff.0[k].into();
            range_check(builder, local.diff.0[k], 16, is_real.clone());
        }
        let below_unsigned = carry;
        for (i, value) in [rs1, rs2].into_iter().enumerate() {
            builder.assert_bool(local.sign[i]);
            let rest = value[3].into() - local.sign[i].into() * AB::Expr::from_u32(1 << 15);
            range_check(builder, rest * AB::Expr::TWO, 16, is_real.clone());
        }
        let (s1, s2): (AB::Expr, AB::Expr) = (local.sign[0].into(), local.sign[1].into());
        builder.assert_eq(
            local.signs_differ,
            s1.clone() + s2.clone() - s1.clone() * s2 * AB::Expr::TWO,
        );
        builder.assert_eq(local.not_equal, sum.clone() * local.sum_inverse.into());
        builder.assert_zero((AB::Expr::ONE - local.not_equal.into()) * sum);
        builder.assert_eq(
            local.less,
            below_unsigned.clone()
                + local.signed.into() * local.signs_differ.into() * (s1 - below_unsigned),
        );
        let (is_eq, negate): (AB::Expr, AB::Expr) = (local.is_eq.into(), local.negate.into());
        let holds = is_eq.clone() * (AB::Expr::ONE - local.not_equal.into())
            + (AB::Expr::ONE - is_eq) * local.less.into();
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
    let diff = a.wrapping_sub(b);
    cols.diff = Word::from_u64(diff);
    let mut sum = 0u32;
    for limb in limbs(diff) {
        sum += u32::from(limb);
        lookups.range(u32::from(limb), 16);
    }
    let signs = [a >> 63, b >> 63];
    for (i, value) in [a, b].into_iter().enumerate() {
        cols.sign[i] = Val::from_u64(signs[i]);
        lookups.range(2 * ((value >> 48) as u32 & 0x7fff), 16);
    }
    cols.signs_differ = Val::from_bool(signs[0] != signs[1]);
    cols.not_equal = Val::from_bool(sum != 0);
    cols.sum_inverse = Val::from_u32(sum).try_inverse().unwrap_or(Val::ZERO);
    let less = if matches!(op, Opcode::Blt | Opcode::Bge) {
        (a as i64) < (b as i64)
    } else {
        a < b
    };
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
    fn a_wrong_borrow_is_caught() {
        // 5 - 9: diff limbs of 2^64 - 4; claiming diff = 4 breaks the carry chain.
        let events: Vec<_> = branch_events()
            .into_iter()
            .filter(|e| e.rs1_value == 1 && e.rs2_value == 2)
            .collect();
        let trace = assert_chip_honest(&BranchChip, &events);
        let mut tampered = trace.clone();
        for k in 0..WORD_LIMBS {
            let value = if k == 0 { 1 } else { 0 };
            tampered = with_cell::<BranchCols<Col>>(
                &tampered,
                0,
                &format!("diff[{k}]"),
                Val::from_u32(value),
            );
        }
        assert!(first_failure(&BranchChip, &tampered, &events, 0).is_some());
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
