//! `load` (LB, LH, LW, LD, LBU, LHU, LWU) and `store` (SB, SH, SW, SD), at any alignment.
//!
//! The address `rs1 + imm` goes through a 64-bit adder whose upper limbs must be zero and whose
//! limb 1 is below `2^14` (every mapped address is below `2^30`, so the field never wraps). Its
//! offset in the doubleword is a one-hot `start`; the aligned doubleword `addr - offset` must be
//! an existing cell (the init tables create only aligned ones), which pins the offset. An
//! access that runs past the doubleword (`offset + width > 8`) touches the next one too.
//! Bytes of the touched doublewords are columns (range-checked in pairs), so selection,
//! sign extension and splicing are sums of products of one-hot selectors and bytes.
//! Stores only reach RAM cells: the input region and registers live in other memory spaces.

use core::borrow::{Borrow, BorrowMut};

use droste_isa::{MemWidth, Opcode};
use droste_stark::Val;
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use crate::bus::{space, MachineBuilder};
use crate::columns::{limbs, WORD_LIMBS};
use crate::events::MemoryInstructionEvent;
use crate::frame::{eval_frame, operand_imm, pc_plus_4, FrameCols, FrameIo};
use crate::lookup::{byte_pair_check, range_check, LookupCounter};
use crate::memory_access::{slot, timestamp, timestamp_expr, AccessCols, MemoryAccess};
use crate::trace::rows_from_events;

const LOADS: [Opcode; 7] = [
    Opcode::Lb,
    Opcode::Lh,
    Opcode::Lw,
    Opcode::Ld,
    Opcode::Lbu,
    Opcode::Lhu,
    Opcode::Lwu,
];
const STORES: [Opcode; 4] = [Opcode::Sb, Opcode::Sh, Opcode::Sw, Opcode::Sd];
const WIDTHS: [u32; 4] = [1, 2, 4, 8];

fn width_of(op: Opcode) -> u32 {
    op.load_op()
        .map(|l| l.width)
        .or(op.store_width())
        .map_or(0, MemWidth::bytes) as u32
}

crate::columns! {
    /// The effective address of a load or store.
    pub struct AddressCols<T> {
        /// Carries of `rs1 + imm`.
        pub carry: [T; WORD_LIMBS],
        /// The address as 16 + 14 bits (its upper limbs are zero).
        pub addr: [T; 2],
        /// One-hot: the access starts at byte `j` of its doubleword.
        pub start: [T; 8],
        /// The access continues into the next doubleword.
        pub crosses: T,
        pub access: [AccessCols<T>; 2],
    }
}

/// Constrains the address and returns the aligned address of the first doubleword.
/// `width[w]` selects access width `WIDTHS[w]`.
fn eval_address<AB: MachineBuilder>(
    builder: &mut AB,
    cols: &AddressCols<AB::Var>,
    rs1: [AB::Expr; WORD_LIMBS],
    imm: [AB::Expr; WORD_LIMBS],
    width: &[AB::Expr; 4],
    is_real: AB::Expr,
) -> AB::Expr {
    let base = AB::Expr::from_u32(1 << 16);
    let sum = [
        cols.addr[0].into(),
        cols.addr[1].into(),
        AB::Expr::ZERO,
        AB::Expr::ZERO,
    ];
    let mut carry_in = AB::Expr::ZERO;
    for k in 0..WORD_LIMBS {
        builder.assert_bool(cols.carry[k]);
        builder.assert_eq(
            rs1[k].clone() + imm[k].clone() + carry_in,
            sum[k].clone() + cols.carry[k].into() * base.clone(),
        );
        carry_in = cols.carry[k].into();
    }
    range_check(builder, cols.addr[0], 16, is_real.clone());
    range_check(builder, cols.addr[1], 14, is_real.clone());
    let mut starts = AB::Expr::ZERO;
    let mut offset = AB::Expr::ZERO;
    let mut crosses = AB::Expr::ZERO;
    for (j, &s) in cols.start.iter().enumerate() {
        builder.assert_bool(s);
        starts += s.into();
        offset += s.into() * AB::Expr::from_usize(j);
        for (w, &bytes) in WIDTHS.iter().enumerate() {
            if j + bytes as usize > 8 {
                crosses += s.into() * width[w].clone();
            }
        }
    }
    builder.assert_eq(starts, is_real);
    builder.assert_eq(cols.crosses, crosses);
    cols.addr[0].into() + cols.addr[1].into() * base - offset
}

impl AddressCols<Val> {
    fn populate(
        &mut self,
        rs1: u64,
        imm: u64,
        e: &MemoryInstructionEvent,
        lookups: &LookupCounter,
    ) {
        let (a, b) = (limbs(rs1), limbs(imm));
        let mut carry = 0u32;
        for k in 0..WORD_LIMBS {
            carry = (u32::from(a[k]) + u32::from(b[k]) + carry) >> 16;
            self.carry[k] = Val::from_u32(carry);
        }
        let (lo, hi) = (e.addr & 0xffff, e.addr >> 16);
        self.addr = [lo, hi].map(Val::from_u32);
        lookups.range(lo, 16);
        lookups.range(hi, 14);
        self.start[(e.addr % 8) as usize] = Val::ONE;
        self.crosses = Val::from_bool(e.dwords[1].is_some());
        for (slot_index, (access, dword)) in self.access.iter_mut().zip(e.dwords).enumerate() {
            if let Some(d) = dword {
                let slot = if slot_index == 0 {
                    slot::RAM0
                } else {
                    slot::RAM1
                };
                access.populate(d.prev_ts, timestamp(e.frame.clk, slot), lookups);
            }
        }
    }
}

fn limbs_of<AB: MachineBuilder>(bytes: &[AB::Var]) -> [AB::Expr; WORD_LIMBS] {
    core::array::from_fn(|k| {
        bytes[2 * k].into() + bytes[2 * k + 1].into() * AB::Expr::from_u32(256)
    })
}

/// Range-checks 8 bytes in pairs.
fn check_bytes<AB: MachineBuilder>(builder: &mut AB, bytes: &[AB::Var], multiplicity: AB::Expr) {
    for pair in bytes.chunks_exact(2) {
        byte_pair_check(builder, pair[0], pair[1], multiplicity.clone());
    }
}

fn record_bytes(lookups: &LookupCounter, value: u64) {
    for pair in value.to_le_bytes().chunks_exact(2) {
        lookups.byte_pair(pair[0], pair[1]);
    }
}

crate::columns! {
    /// One row of the `load` chip.
    pub struct LoadCols<T> {
        pub frame: FrameCols<T>,
        /// One-hot opcode selector, in [`LOADS`] order.
        pub selector: [T; 7],
        pub address: AddressCols<T>,
        /// The two doublewords' bytes (the second only when the access crosses).
        pub bytes: [T; 16],
        /// The doubleword is in the input region, else RAM.
        pub is_input: [T; 2],
        /// The most significant loaded byte, and its top bit.
        pub top_byte: T,
        pub sign: T,
    }
}

/// The `load` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadChip;

impl BaseAir<Val> for LoadChip {
    fn width(&self) -> usize {
        LoadCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for LoadChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &LoadCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let is_real: AB::Expr = frame.is_real.into();
        let s = |i: usize| -> AB::Expr { local.selector[i].into() };
        let mut selected = AB::Expr::ZERO;
        let mut opcode = AB::Expr::ZERO;
        for (&sel, op) in local.selector.iter().zip(LOADS) {
            builder.assert_bool(sel);
            selected += sel.into();
            opcode += sel.into() * AB::Expr::from_u8(op as u8);
        }
        builder.assert_eq(selected, is_real.clone());
        let width = [s(0) + s(4), s(1) + s(5), s(2) + s(6), s(3)];
        let signed = s(0) + s(1) + s(2);

        let dw0 = eval_address(
            builder,
            &local.address,
            frame.rs1_value.into_exprs(),
            frame.rs2_or_imm.into_exprs(),
            &width,
            is_real.clone(),
        );
        let crosses: AB::Expr = local.address.crosses.into();
        for (i, multiplicity) in [(0, is_real.clone()), (1, crosses.clone())] {
            builder.assert_bool(local.is_input[i]);
            let bytes = &local.bytes[8 * i..8 * i + 8];
            check_bytes(builder, bytes, multiplicity.clone());
            let value = limbs_of::<AB>(bytes);
            MemoryAccess {
                space: AB::Expr::from_u32(space::RAM) + local.is_input[i].into(),
                addr: dw0.clone() + AB::Expr::from_usize(8 * i),
                ts: timestamp_expr::<AB>(frame.clk, if i == 0 { slot::RAM0 } else { slot::RAM1 }),
                prev_value: value.clone(),
                value,
            }
            .eval(builder, &local.address.access[i], multiplicity);
        }

        // loaded[j] = bytes[offset + j].
        let loaded: [AB::Expr; 8] = core::array::from_fn(|j| {
            local
                .address
                .start
                .iter()
                .enumerate()
                .fold(AB::Expr::ZERO, |acc, (k, &st)| {
                    acc + st.into() * local.bytes[k + j].into()
                })
        });
        let top = WIDTHS
            .iter()
            .zip(&width)
            .fold(AB::Expr::ZERO, |acc, (&w, sel)| {
                acc + sel.clone() * loaded[w as usize - 1].clone()
            });
        builder.assert_eq(local.top_byte, top);
        builder.assert_bool(local.sign);
        let rest = local.top_byte.into() - local.sign.into() * AB::Expr::from_u32(128);
        byte_pair_check(
            builder,
            rest * AB::Expr::TWO,
            AB::Expr::ZERO,
            is_real.clone(),
        );
        let ext = local.sign.into() * signed * AB::Expr::from_u32(255);
        let rd_byte = |j: usize| -> AB::Expr {
            let in_width = WIDTHS
                .iter()
                .zip(&width)
                .filter(|(&w, _)| w as usize > j)
                .fold(AB::Expr::ZERO, |acc, (_, sel)| acc + sel.clone());
            in_width.clone() * loaded[j].clone() + (AB::Expr::ONE - in_width) * ext.clone()
        };
        for k in 0..WORD_LIMBS {
            builder.assert_eq(
                frame.rd_value.0[k],
                rd_byte(2 * k) + rd_byte(2 * k + 1) * AB::Expr::from_u32(256),
            );
        }

        let io = FrameIo {
            opcode,
            imm: operand_imm::<AB>(frame),
            next_pc: pc_plus_4::<AB>(frame),
        };
        eval_frame(builder, frame, io);
    }
}

crate::impl_table!(LoadChip, "load");

impl LoadChip {
    /// The chip's main trace.
    pub fn generate_trace(
        events: &[MemoryInstructionEvent],
        lookups: &LookupCounter,
    ) -> RowMajorMatrix<Val> {
        rows_from_events(events, LoadCols::<u8>::WIDTH, |e, row| {
            let cols: &mut LoadCols<Val> = row.borrow_mut();
            let op = e.frame.instruction.opcode;
            cols.frame.populate(&e.frame, lookups);
            cols.selector[LOADS.iter().position(|&o| o == op).expect("load")] = Val::ONE;
            cols.address
                .populate(e.frame.rs1_value, e.frame.operand_b(), e, lookups);
            let mut bytes = [0u8; 16];
            for (i, dword) in e.dwords.iter().enumerate() {
                if let Some(d) = dword {
                    bytes[8 * i..8 * i + 8].copy_from_slice(&d.value.to_le_bytes());
                    cols.is_input[i] = Val::from_bool(d.is_input);
                    record_bytes(lookups, d.value);
                }
            }
            cols.bytes = bytes.map(Val::from_u8);
            let offset = (e.addr % 8) as usize;
            let top = bytes[offset + width_of(op) as usize - 1];
            cols.top_byte = Val::from_u8(top);
            cols.sign = Val::from_u8(top >> 7);
            lookups.byte_pair(2 * (top & 0x7f), 0);
        })
    }
}

crate::columns! {
    /// One row of the `store` chip.
    pub struct StoreCols<T> {
        pub frame: FrameCols<T>,
        /// One-hot opcode selector, in [`STORES`] order.
        pub selector: [T; 4],
        /// The 12-bit immediate: its low limb and its sign (`imm = lo - 2^16 * sign`).
        pub imm_lo: T,
        pub imm_sign: T,
        pub address: AddressCols<T>,
        /// Bytes of `rs2`.
        pub value_bytes: [T; 8],
        /// The doublewords' bytes before and after the store.
        pub old: [T; 16],
        pub new: [T; 16],
    }
}

/// The `store` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreChip;

impl BaseAir<Val> for StoreChip {
    fn width(&self) -> usize {
        StoreCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for StoreChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &StoreCols<AB::Var> = main.current_slice().borrow();
        let frame = &local.frame;
        let is_real: AB::Expr = frame.is_real.into();
        let mut selected = AB::Expr::ZERO;
        let mut opcode = AB::Expr::ZERO;
        for (&sel, op) in local.selector.iter().zip(STORES) {
            builder.assert_bool(sel);
            selected += sel.into();
            opcode += sel.into() * AB::Expr::from_u8(op as u8);
        }
        builder.assert_eq(selected, is_real.clone());
        let width: [AB::Expr; 4] = local.selector.map(Into::into);
        builder.assert_bool(local.imm_sign);
        let ones = local.imm_sign.into() * AB::Expr::from_u32(0xffff);
        let imm = [local.imm_lo.into(), ones.clone(), ones.clone(), ones];

        let dw0 = eval_address(
            builder,
            &local.address,
            frame.rs1_value.into_exprs(),
            imm.clone(),
            &width,
            is_real.clone(),
        );
        for k in 0..WORD_LIMBS {
            builder.assert_eq(
                frame.rs2_or_imm.0[k],
                local.value_bytes[2 * k].into()
                    + local.value_bytes[2 * k + 1].into() * AB::Expr::from_u32(256),
            );
        }
        check_bytes(builder, &local.value_bytes, is_real.clone());
        // new[p] = value_bytes[p - offset] inside the stored range, old[p] elsewhere.
        for p in 0..16 {
            let mut written = AB::Expr::ZERO;
            for (k, &st) in local.address.start.iter().enumerate() {
                if p < k || p - k >= 8 {
                    continue;
                }
                let j = p - k;
                for (w, &bytes) in WIDTHS.iter().enumerate() {
                    if j < bytes as usize {
                        written += st.into()
                            * width[w].clone()
                            * (local.value_bytes[j].into() - local.old[p].into());
                    }
                }
            }
            builder.assert_eq(local.new[p].into() - local.old[p].into(), written);
        }
        let crosses: AB::Expr = local.address.crosses.into();
        for (i, multiplicity) in [(0, is_real.clone()), (1, crosses)] {
            check_bytes(builder, &local.old[8 * i..8 * i + 8], multiplicity.clone());
            MemoryAccess {
                space: AB::Expr::from_u32(space::RAM),
                addr: dw0.clone() + AB::Expr::from_usize(8 * i),
                ts: timestamp_expr::<AB>(frame.clk, if i == 0 { slot::RAM0 } else { slot::RAM1 }),
                prev_value: limbs_of::<AB>(&local.old[8 * i..8 * i + 8]),
                value: limbs_of::<AB>(&local.new[8 * i..8 * i + 8]),
            }
            .eval(builder, &local.address.access[i], multiplicity);
        }

        let io = FrameIo {
            opcode,
            imm,
            next_pc: pc_plus_4::<AB>(frame),
        };
        eval_frame(builder, frame, io);
    }
}

crate::impl_table!(StoreChip, "store");

impl StoreChip {
    /// The chip's main trace.
    pub fn generate_trace(
        events: &[MemoryInstructionEvent],
        lookups: &LookupCounter,
    ) -> RowMajorMatrix<Val> {
        rows_from_events(events, StoreCols::<u8>::WIDTH, |e, row| {
            let cols: &mut StoreCols<Val> = row.borrow_mut();
            let op = e.frame.instruction.opcode;
            cols.frame.populate(&e.frame, lookups);
            cols.selector[STORES.iter().position(|&o| o == op).expect("store")] = Val::ONE;
            let imm = e.frame.instruction.imm;
            cols.imm_lo = Val::from_u32(imm as u32 & 0xffff);
            cols.imm_sign = Val::from_bool(imm < 0);
            cols.address
                .populate(e.frame.rs1_value, imm as i64 as u64, e, lookups);
            cols.value_bytes = e.frame.rs2_value.to_le_bytes().map(Val::from_u8);
            record_bytes(lookups, e.frame.rs2_value);
            let (mut old, mut new) = ([0u8; 16], [0u8; 16]);
            for (i, dword) in e.dwords.iter().enumerate() {
                if let Some(d) = dword {
                    old[8 * i..8 * i + 8].copy_from_slice(&d.prev_value.to_le_bytes());
                    new[8 * i..8 * i + 8].copy_from_slice(&d.value.to_le_bytes());
                    record_bytes(lookups, d.prev_value);
                }
            }
            cols.old = old.map(Val::from_u8);
            cols.new = new.map(Val::from_u8);
        })
    }
}
