//! `load` (LB, LH, LW, LD, LBU, LHU, LWU) and `store` (SB, SH, SW, SD), at any alignment.
//!
//! The address `rs1 + imm` goes through a 64-bit adder whose upper limbs must be zero and whose
//! limb 1 is below `2^14` (every mapped address is below `2^30`, so the field never wraps); its
//! carries are linear in the range-checked limbs, asserted boolean, not columns. Its
//! offset in the doubleword is a one-hot `start`; the aligned doubleword `addr - offset` must be
//! an existing cell (the init tables create only aligned ones), which pins the offset. An
//! access that runs past the doubleword (`offset + width > 8`) touches the next one too.
//! Bytes of the touched doublewords are columns (range-checked in pairs), so selection,
//! sign extension and splicing are sums of products of one-hot selectors and bytes.
//! Stores only reach RAM cells: the input region and registers live in other memory spaces.
//! The access width (one-hot) and, for loads, the sign extension come from the ROM.

use core::borrow::{Borrow, BorrowMut};

use droste_isa::{MemWidth, Opcode};
use droste_stark::Val;
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;

use crate::bus::{space, MachineBuilder};
use crate::columns::{Word, WORD_LIMBS};
use crate::events::MemoryInstructionEvent;
use crate::fetch::{bool_controls, Family, Fetch, CONTROLS};
use crate::frame::{pc_plus_4, ImmCols, ImmFrameCols, ReadCols, StepCols};
use crate::lookup::{byte_pair_check, range_check, LookupCounter};
use crate::memory_access::{slot, timestamp, timestamp_expr, AccessCols, MemoryAccess};
use crate::trace::rows_from_events;

const WIDTHS: [u32; 4] = [1, 2, 4, 8];

fn width_of(op: Opcode) -> u32 {
    op.load_op()
        .map(|l| l.width)
        .or(op.store_width())
        .map_or(0, MemWidth::bytes) as u32
}

/// The access width of `op`, one-hot over 1, 2, 4, 8 bytes.
fn width_flags(op: Opcode) -> [bool; 4] {
    WIDTHS.map(|w| w == width_of(op))
}

/// The ROM controls of the `load` family: `[width one-hot (4), signed]`.
pub fn load_controls(op: Opcode) -> [u32; CONTROLS] {
    let [w1, w2, w4, w8] = width_flags(op);
    bool_controls([w1, w2, w4, w8, op.load_op().is_some_and(|l| l.signed)])
}

/// The ROM controls of the `store` family: `[width one-hot (4)]`.
pub fn store_controls(op: Opcode) -> [u32; CONTROLS] {
    bool_controls(width_flags(op))
}

crate::columns! {
    /// The effective address of a load or store.
    pub struct AddressCols<T> {
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
    let inv_base = Val::from_u32(1 << 16).inverse();
    let sum = [
        cols.addr[0].into(),
        cols.addr[1].into(),
        AB::Expr::ZERO,
        AB::Expr::ZERO,
    ];
    let mut carry = AB::Expr::ZERO;
    for k in 0..WORD_LIMBS {
        carry = (rs1[k].clone() + imm[k].clone() + carry - sum[k].clone()) * inv_base;
        builder.assert_bool(carry.clone());
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
    fn populate(&mut self, e: &MemoryInstructionEvent, lookups: &LookupCounter) {
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
        pub frame: ImmFrameCols<T>,
        /// ROM controls: the access width, one-hot over 1, 2, 4, 8 bytes, and the sign extension.
        pub width: [T; 4],
        pub signed: T,
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
        let is_real: AB::Expr = frame.step.is_real.into();
        let width: [AB::Expr; 4] = local.width.map(Into::into);
        let signed: AB::Expr = local.signed.into();

        let dw0 = eval_address(
            builder,
            &local.address,
            frame.rs1.value.into_exprs(),
            frame.operand(),
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
                ts: timestamp_expr::<AB>(
                    frame.step.clk,
                    if i == 0 { slot::RAM0 } else { slot::RAM1 },
                ),
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
        let ext = local.sign.into() * signed.clone() * AB::Expr::from_u32(255);
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
                frame.rd.value.0[k],
                rd_byte(2 * k) + rd_byte(2 * k + 1) * AB::Expr::from_u32(256),
            );
        }

        let controls = width.into_iter().chain([signed]);
        frame.eval(builder, Fetch::new(Family::Load).with_controls(controls));
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
            let controls = load_controls(op).map(Val::from_u32);
            cols.width.copy_from_slice(&controls[..4]);
            cols.signed = controls[4];
            cols.address.populate(e, lookups);
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
        pub step: StepCols<T>,
        pub rs1: ReadCols<T>,
        /// The register read for the value stored, and its access (its value is
        /// `value_bytes`).
        pub rs2: T,
        pub rs2_access: AccessCols<T>,
        pub imm: ImmCols<T>,
        /// ROM control: the access width, one-hot over 1, 2, 4, 8 bytes.
        pub width: [T; 4],
        pub address: AddressCols<T>,
        /// Bytes of `rs2`.
        pub value_bytes: [T; 8],
        /// The doublewords' bytes before the store, and their limbs after it.
        pub old: [T; 16],
        pub new: [Word<T>; 2],
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
        let (step, clk) = (&local.step, local.step.clk);
        let is_real: AB::Expr = step.is_real.into();
        let width: [AB::Expr; 4] = local.width.map(Into::into);

        let dw0 = eval_address(
            builder,
            &local.address,
            local.rs1.value.into_exprs(),
            local.imm.limbs(),
            &width,
            is_real.clone(),
        );
        check_bytes(builder, &local.value_bytes, is_real.clone());
        // Byte p after the store: value_bytes[p - offset] inside the stored range, old[p]
        // elsewhere; each limb of `new` is two of them (a degree-3 expression, which is why the
        // limbs are columns: the memory bus takes degree-1 tuples).
        let new_byte = |p: usize| {
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
            Into::<AB::Expr>::into(local.old[p]) + written
        };
        for (i, new) in local.new.iter().enumerate() {
            for (m, &limb) in new.0.iter().enumerate() {
                let p = 8 * i + 2 * m;
                builder.assert_eq(
                    limb,
                    new_byte(p) + new_byte(p + 1) * AB::Expr::from_u32(256),
                );
            }
        }
        let crosses: AB::Expr = local.address.crosses.into();
        for (i, multiplicity) in [(0, is_real.clone()), (1, crosses)] {
            check_bytes(builder, &local.old[8 * i..8 * i + 8], multiplicity.clone());
            MemoryAccess {
                space: AB::Expr::from_u32(space::RAM),
                addr: dw0.clone() + AB::Expr::from_usize(8 * i),
                ts: timestamp_expr::<AB>(clk, if i == 0 { slot::RAM0 } else { slot::RAM1 }),
                prev_value: limbs_of::<AB>(&local.old[8 * i..8 * i + 8]),
                value: local.new[i].into_exprs(),
            }
            .eval(builder, &local.address.access[i], multiplicity);
        }

        local.rs1.eval(builder, clk, slot::RS1, is_real.clone());
        let stored = limbs_of::<AB>(&local.value_bytes);
        MemoryAccess {
            space: AB::Expr::from_u32(space::REGISTER),
            addr: local.rs2.into(),
            ts: timestamp_expr::<AB>(clk, slot::RS2),
            prev_value: stored.clone(),
            value: stored,
        }
        .eval(builder, &local.rs2_access, is_real);
        let mut fetch = Fetch::new(Family::Store).with_controls(width);
        fetch.rs1 = local.rs1.reg.into();
        fetch.rs2 = local.rs2.into();
        local.imm.fetch(&mut fetch);
        step.eval(builder, fetch, pc_plus_4::<AB>(step));
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
            let (f, inst) = (&e.frame, e.frame.instruction);
            cols.step.populate(f.clk, f.pc);
            cols.rs1.populate(
                inst.rs1,
                f.rs1_value,
                (f.rs1_prev_ts, f.clk, slot::RS1),
                lookups,
            );
            cols.rs2 = Val::from_u8(inst.rs2);
            cols.rs2_access
                .populate(f.rs2_prev_ts, timestamp(f.clk, slot::RS2), lookups);
            cols.imm.populate(inst.imm);
            cols.width = width_flags(op).map(Val::from_bool);
            cols.address.populate(e, lookups);
            cols.value_bytes = e.frame.rs2_value.to_le_bytes().map(Val::from_u8);
            record_bytes(lookups, e.frame.rs2_value);
            let mut old = [0u8; 16];
            for (i, dword) in e.dwords.iter().enumerate() {
                if let Some(d) = dword {
                    old[8 * i..8 * i + 8].copy_from_slice(&d.prev_value.to_le_bytes());
                    cols.new[i] = Word::from_u64(d.value);
                    record_bytes(lookups, d.prev_value);
                }
            }
            cols.old = old.map(Val::from_u8);
        })
    }
}
