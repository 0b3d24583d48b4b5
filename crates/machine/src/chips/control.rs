//! Control flow: `branch` (BEQ, BNE, BLT, BGE, BLTU, BGEU) and `jump` (JAL, JALR).
//!
//! A branch computes `diff = rs1 - rs2` with a 64-bit adder (`rs2 + diff = rs1`, the last carry
//! is `rs1 <u rs2`), equality from `diff` being zero (an inverse witness), and the signed
//! comparison from the sign bits. The next pc is `pc + imm` when taken, else `pc + 4`, as field
//! elements: a target outside the code has no ROM row, so the next fetch cannot happen.
//!
//! JAL jumps to `pc + imm`; JALR to `(rs1 + imm) & !1` through a 64-bit adder whose upper limbs
//! are zero (a target above `2^30` is not code). Both write `pc + 4`.

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
use crate::frame::{eval_frame, operand_imm, FrameCols, FrameIo};
use crate::lookup::{range_check, LookupCounter};
use crate::trace::rows_from_events;

const BRANCHES: [Opcode; 6] = [
    Opcode::Beq,
    Opcode::Bne,
    Opcode::Blt,
    Opcode::Bge,
    Opcode::Bltu,
    Opcode::Bgeu,
];
const JUMPS: [Opcode; 2] = [Opcode::Jal, Opcode::Jalr];

/// `sum(selector_i * op_i)`, checking the selectors are one-hot on real rows.
fn eval_selector<AB: MachineBuilder>(
    builder: &mut AB,
    selector: &[AB::Var],
    opcodes: &[Opcode],
    is_real: AB::Var,
) -> AB::Expr {
    let mut selected = AB::Expr::ZERO;
    let mut opcode = AB::Expr::ZERO;
    for (&s, &op) in selector.iter().zip(opcodes) {
        builder.assert_bool(s);
        selected += s.into();
        opcode += s.into() * AB::Expr::from_u8(op as u8);
    }
    builder.assert_eq(selected, is_real);
    opcode
}

crate::columns! {
    /// One row of the `branch` chip.
    pub struct BranchCols<T> {
        pub frame: FrameCols<T>,
        pub selector: [T; 6],
        /// The offset: `imm = imm_lo - 2^16 * imm_sign`.
        pub imm_lo: T,
        pub imm_sign: T,
        /// `rs1 - rs2` (mod 2^64) and the carries of `rs2 + diff`.
        pub diff: Word<T>,
        pub carry: [T; WORD_LIMBS],
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
        let frame = &local.frame;
        let opcode = eval_selector(builder, &local.selector, &BRANCHES, frame.is_real);
        let s = |i: usize| -> AB::Expr { local.selector[i].into() };
        let base = AB::Expr::from_u32(1 << 16);

        let mut carry_in = AB::Expr::ZERO;
        let mut sum = AB::Expr::ZERO;
        for k in 0..WORD_LIMBS {
            builder.assert_bool(local.carry[k]);
            builder.assert_eq(
                frame.rs2_or_imm.0[k].into() + local.diff.0[k].into() + carry_in,
                frame.rs1_value.0[k].into() + local.carry[k].into() * base.clone(),
            );
            carry_in = local.carry[k].into();
            sum += local.diff.0[k].into();
            range_check(builder, local.diff.0[k], 16, frame.is_real);
        }
        let below_unsigned = local.carry[3];
        for (i, value) in [frame.rs1_value, frame.rs2_or_imm].into_iter().enumerate() {
            builder.assert_bool(local.sign[i]);
            let rest = value.0[3].into() - local.sign[i].into() * AB::Expr::from_u32(1 << 15);
            range_check(builder, rest * AB::Expr::TWO, 16, frame.is_real);
        }
        let (s1, s2): (AB::Expr, AB::Expr) = (local.sign[0].into(), local.sign[1].into());
        builder.assert_eq(
            local.signs_differ,
            s1.clone() + s2.clone() - s1.clone() * s2 * AB::Expr::TWO,
        );
        builder.assert_eq(local.not_equal, sum.clone() * local.sum_inverse.into());
        builder.assert_zero((AB::Expr::ONE - local.not_equal.into()) * sum);
        let signed = s(2) + s(3);
        builder.assert_eq(
            local.less,
            below_unsigned.into()
                + signed * local.signs_differ.into() * (s1 - below_unsigned.into()),
        );
        let equal = AB::Expr::ONE - local.not_equal.into();
        let less: AB::Expr = local.less.into();
        builder.assert_eq(
            local.taken,
            s(0) * equal.clone()
                + s(1) * (AB::Expr::ONE - equal)
                + (s(2) + s(4)) * less.clone()
                + (s(3) + s(5)) * (AB::Expr::ONE - less),
        );
        builder.assert_bool(local.imm_sign);
        let imm = local.imm_lo.into() - local.imm_sign.into() * base;
        builder.when(frame.is_real).assert_eq(
            local.next_pc,
            frame.pc.into()
                + AB::Expr::from_u32(4)
                + local.taken.into() * (imm - AB::Expr::from_u32(4)),
        );
        let ones = local.imm_sign.into() * AB::Expr::from_u32(0xffff);
        let io = FrameIo {
            opcode,
            imm: [local.imm_lo.into(), ones.clone(), ones.clone(), ones],
            next_pc: local.next_pc.into(),
        };
        eval_frame(builder, frame, io);
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
            cols.frame.populate(e, lookups);
            let op = e.instruction.opcode;
            cols.selector[BRANCHES.iter().position(|&o| o == op).expect("branch")] = Val::ONE;
            let imm = e.instruction.imm;
            cols.imm_lo = Val::from_u32(imm as u32 & 0xffff);
            cols.imm_sign = Val::from_bool(imm < 0);
            let (a, b) = (e.rs1_value, e.rs2_value);
            let diff = a.wrapping_sub(b);
            cols.diff = Word::from_u64(diff);
            let (b_limbs, d_limbs) = (limbs(b), limbs(diff));
            let mut carry = 0u32;
            let mut sum = 0u32;
            for k in 0..WORD_LIMBS {
                carry = (u32::from(b_limbs[k]) + u32::from(d_limbs[k]) + carry) >> 16;
                cols.carry[k] = Val::from_u32(carry);
                sum += u32::from(d_limbs[k]);
                lookups.range(u32::from(d_limbs[k]), 16);
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
        })
    }
}

crate::columns! {
    /// One row of the `jump` chip.
    pub struct JumpCols<T> {
        pub frame: FrameCols<T>,
        pub selector: [T; 2],
        /// JALR: carries of `rs1 + imm`, the target's limbs (16 + 14 bits) and its bit 0.
        pub carry: [T; WORD_LIMBS],
        pub target: [T; 2],
        pub bit0: T,
        pub next_pc: T,
    }
}

/// The `jump` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct JumpChip;

impl BaseAir<Val> for JumpChip {
    fn width(&self) -> usize {
        JumpCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for JumpChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &JumpCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let opcode = eval_selector(builder, &local.selector, &JUMPS, frame.is_real);
        let [jal, jalr] = local.selector;
        let base = AB::Expr::from_u32(1 << 16);
        let b = frame.rs2_or_imm.0;

        // JAL: pc + imm, the immediate's field value read from its sign-extended limbs.
        let two_32_over_ones = Val::from_u64(1 << 32) * Val::from_u32(0xffff).inverse();
        let imm = b[0].into() + b[1].into() * base.clone()
            - b[3].into() * AB::Expr::from(two_32_over_ones);
        // JALR: (rs1 + imm) & !1 with zero upper limbs.
        let target = [
            local.target[0].into(),
            local.target[1].into(),
            AB::Expr::ZERO,
            AB::Expr::ZERO,
        ];
        let mut carry_in = AB::Expr::ZERO;
        for k in 0..WORD_LIMBS {
            builder.assert_bool(local.carry[k]);
            builder.when(jalr).assert_eq(
                frame.rs1_value.0[k].into() + b[k].into() + carry_in,
                target[k].clone() + local.carry[k].into() * base.clone(),
            );
            carry_in = local.carry[k].into();
        }
        range_check(builder, local.target[0], 16, jalr);
        range_check(builder, local.target[1], 14, jalr);
        builder.assert_bool(local.bit0);
        let jalr_target =
            local.target[0].into() - local.bit0.into() + local.target[1].into() * base.clone();
        builder.assert_eq(
            local.next_pc,
            jal.into() * (frame.pc.into() + imm) + jalr.into() * jalr_target,
        );

        // rd = pc + 4 (below 2^30).
        builder.when(frame.is_real).assert_eq(
            frame.rd_value.0[0].into() + frame.rd_value.0[1].into() * base,
            frame.pc.into() + AB::Expr::from_u32(4),
        );
        builder.assert_zero(frame.rd_value.0[2]);
        builder.assert_zero(frame.rd_value.0[3]);
        range_check(builder, frame.rd_value.0[0], 16, frame.is_real);
        range_check(builder, frame.rd_value.0[1], 14, frame.is_real);

        let io = FrameIo {
            opcode,
            imm: operand_imm::<AB>(frame),
            next_pc: local.next_pc.into(),
        };
        eval_frame(builder, frame, io);
    }
}

crate::impl_table!(JumpChip, "jump");

impl InstructionChip for JumpChip {
    fn opcodes(&self) -> &'static [Opcode] {
        &JUMPS
    }

    fn generate_trace(
        &self,
        events: &[FrameEvent],
        lookups: &LookupCounter,
    ) -> RowMajorMatrix<Val> {
        rows_from_events(events, JumpCols::<u8>::WIDTH, |e, row| {
            let cols: &mut JumpCols<Val> = row.borrow_mut();
            cols.frame.populate(e, lookups);
            let is_jalr = e.instruction.opcode == Opcode::Jalr;
            cols.selector[usize::from(is_jalr)] = Val::ONE;
            if is_jalr {
                let imm = e.instruction.imm as i64 as u64;
                let sum = e.rs1_value.wrapping_add(imm);
                let (a, b) = (limbs(e.rs1_value), limbs(imm));
                let mut carry = 0u32;
                for k in 0..WORD_LIMBS {
                    carry = (u32::from(a[k]) + u32::from(b[k]) + carry) >> 16;
                    cols.carry[k] = Val::from_u32(carry);
                }
                let (lo, hi) = (sum as u32 & 0xffff, (sum >> 16) as u32 & 0xffff);
                cols.target = [lo, hi].map(Val::from_u32);
                cols.bit0 = Val::from_u64(sum & 1);
                lookups.range(lo, 16);
                lookups.range(hi, 14);
            }
            cols.next_pc = Val::from_u32(e.next_pc);
            let link = e.pc + 4;
            lookups.range(link & 0xffff, 16);
            lookups.range(link >> 16, 14);
        })
    }
}
