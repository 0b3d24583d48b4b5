//! `add_sub`: ADD, SUB, ADDI, ADDW, SUBW, ADDIW, LUI, AUIPC, and FENCE (a no-op that computes
//! an unused `rs1 + imm`, as its ROM flags never write `rd`).
//!
//! One 64-bit adder with carries serves all of them: `x + b = rd` for additions and
//! `rd + b = x` for subtractions, where `x` is `rs1` (or `pc` for AUIPC; LUI reads `x0`) and `b`
//! is `rs2` or the immediate. The `*W` forms add only the low two limbs and sign-extend limb 1
//! into limbs 2 and 3.

use core::borrow::Borrow;

use droste_isa::Opcode;
use droste_stark::Val;
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;

use crate::bus::MachineBuilder;
use crate::columns::{limbs, WORD_LIMBS};
use crate::events::FrameEvent;
use crate::frame::{eval_alu_frame, FrameCols};
use crate::lookup::{range_check, LookupCounter};

/// The opcodes of this chip, in selector order.
const OPCODES: [Opcode; 9] = [
    Opcode::Add,
    Opcode::Addi,
    Opcode::Sub,
    Opcode::Addw,
    Opcode::Addiw,
    Opcode::Subw,
    Opcode::Lui,
    Opcode::Auipc,
    Opcode::Fence,
];

crate::columns! {
    /// One row of the `add_sub` chip.
    pub struct AddSubCols<T> {
        pub frame: FrameCols<T>,
        /// One-hot selector of the opcode, in the order of [`OPCODES`].
        pub selector: [T; 9],
        /// `pc` as two limbs (16 + 14 bits), for AUIPC.
        pub pc_limbs: [T; 2],
        /// Carry out of each limb of the adder.
        pub carry: [T; WORD_LIMBS],
        /// Sign bit of a `*W` result (bit 15 of limb 1).
        pub word_sign: T,
    }
}

/// The `add_sub` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct AddSubChip;

impl BaseAir<Val> for AddSubChip {
    fn width(&self) -> usize {
        AddSubCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for AddSubChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &AddSubCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let [_add, _addi, sub, addw, addiw, subw, _lui, auipc, _fence] = local.selector;

        let mut selected = AB::Expr::ZERO;
        let mut opcode = AB::Expr::ZERO;
        for (&s, op) in local.selector.iter().zip(OPCODES) {
            builder.assert_bool(s);
            selected += s.into();
            opcode += s.into() * AB::Expr::from_u8(op as u8);
        }
        builder.assert_eq(selected, frame.is_real);
        let is_sub: AB::Expr = sub.into() + subw.into();
        let is_word: AB::Expr = addw.into() + addiw.into() + subw.into();

        // x = pc for AUIPC, rs1 otherwise; AUIPC and the subtractions never share a row, so the
        // adder's inputs stay of degree 2.
        let pc_limbs = [
            local.pc_limbs[0].into(),
            local.pc_limbs[1].into(),
            AB::Expr::ZERO,
            AB::Expr::ZERO,
        ];
        builder.when(auipc).assert_eq(
            frame.pc,
            local.pc_limbs[0].into() + local.pc_limbs[1].into() * AB::Expr::from_u32(1 << 16),
        );
        range_check(builder, local.pc_limbs[0], 16, auipc);
        range_check(builder, local.pc_limbs[1], 14, auipc);

        let base = AB::Expr::from_u32(1 << 16);
        let mut carry_in = AB::Expr::ZERO;
        for (k, pc_limb) in pc_limbs.into_iter().enumerate() {
            let rs1: AB::Expr = frame.rs1_value.0[k].into();
            let rd: AB::Expr = frame.rd_value.0[k].into();
            let b: AB::Expr = frame.rs2_or_imm.0[k].into();
            let x = rs1.clone() + auipc.into() * (pc_limb - rs1.clone());
            let left = x + is_sub.clone() * (rd.clone() - rs1.clone());
            let right = rd.clone() + is_sub.clone() * (rs1 - rd);
            let carry: AB::Expr = local.carry[k].into();
            builder.assert_bool(carry.clone());
            let limb_sum = left + b + carry_in - right - carry.clone() * base.clone();
            if k < 2 {
                builder.assert_zero(limb_sum);
            } else {
                builder.assert_zero((AB::Expr::ONE - is_word.clone()) * limb_sum);
            }
            carry_in = carry;
        }

        // *W: limbs 2 and 3 repeat the sign bit of limb 1, which is range-checked below.
        builder.assert_bool(local.word_sign);
        let ones = AB::Expr::from_u32(0xffff);
        for k in 2..WORD_LIMBS {
            builder
                .when(is_word.clone())
                .assert_eq(frame.rd_value.0[k], local.word_sign.into() * ones.clone());
        }
        let rest =
            frame.rd_value.0[1].into() - local.word_sign.into() * AB::Expr::from_u32(1 << 15);
        range_check(builder, rest * AB::Expr::TWO, 16, is_word);
        for k in 0..WORD_LIMBS {
            range_check(builder, frame.rd_value.0[k], 16, frame.is_real);
        }

        eval_alu_frame(builder, frame, opcode);
    }
}

crate::impl_table!(AddSubChip, "add_sub");

crate::impl_instruction_chip!(AddSubChip, AddSubCols, OPCODES, populate);

fn populate(cols: &mut AddSubCols<Val>, event: &FrameEvent, lookups: &LookupCounter) {
    cols.frame.populate(event, lookups);
    let op = event.instruction.opcode;
    let index = OPCODES
        .iter()
        .position(|&o| o == op)
        .expect("add_sub opcode");
    cols.selector[index] = Val::ONE;
    let is_sub = matches!(op, Opcode::Sub | Opcode::Subw);
    let is_word = matches!(op, Opcode::Addw | Opcode::Addiw | Opcode::Subw);
    if op == Opcode::Auipc {
        cols.pc_limbs = [event.pc & 0xffff, event.pc >> 16].map(Val::from_u32);
        lookups.range(event.pc & 0xffff, 16);
        lookups.range(event.pc >> 16, 14);
    }
    let x = if op == Opcode::Auipc {
        u64::from(event.pc)
    } else {
        event.rs1_value
    };
    let b = event.operand_b();
    let (left, right) = if is_sub {
        (event.result, x)
    } else {
        (x, event.result)
    };
    let (left, b_limbs, right) = (limbs(left), limbs(b), limbs(right));
    let mut carry = 0u32;
    for k in 0..WORD_LIMBS {
        let sum = u32::from(left[k]) + u32::from(b_limbs[k]) + carry;
        carry = sum >> 16;
        debug_assert!(k >= 2 && is_word || sum & 0xffff == u32::from(right[k]));
        cols.carry[k] = Val::from_u32(carry);
    }
    let rd_limbs = limbs(event.result);
    if is_word {
        let sign = u32::from(rd_limbs[1] >> 15);
        cols.word_sign = Val::from_u32(sign);
        lookups.range(2 * (u32::from(rd_limbs[1]) - (sign << 15)), 16);
    }
    lookups.range_word(event.result);
}
