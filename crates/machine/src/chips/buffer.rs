//! `buffer`: the memory side of COMMIT, WRITE, PANIC, INPUT_READ and RANDOM, one row per
//! doubleword piece.
//!
//! The `ecall` row sends the token `(clk, addr, len, output_index, is_write, is_output)` on
//! [`BUFFER`] and receives `(clk, addr + len, 0, output_index + len, is_write, is_output)`. Each
//! row takes the token, covers the `k >= 1` bytes `[addr, addr + k)` of one doubleword (all the
//! rest of it, or the last `remaining` bytes), and passes `(clk, addr + k, remaining - k,
//! output_index + k, is_write, is_output)` on. As `remaining` only decreases by at least 1 per
//! row, the rows of one call cover its buffer exactly once. COMMIT's rows (`is_output`) send each
//! byte on [`OUTPUT`]; WRITE's and PANIC's rows only read their doublewords, which proves the
//! buffer mapped, as the executor requires (the bytes are not part of the statement); a write
//! (INPUT_READ, RANDOM: private bytes) may change only the covered bytes, and only in RAM.

use core::borrow::{Borrow, BorrowMut};

use droste_stark::Val;
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use crate::bus::{space, MachineBuilder, BUFFER, OUTPUT};
use crate::events::BufferEvent;
use crate::lookup::{byte_pair_check, LookupCounter};
use crate::memory_access::{slot, timestamp, timestamp_expr, AccessCols, MemoryAccess};
use crate::trace::rows_from_events;

crate::columns! {
    /// One row of the `buffer` table.
    pub struct BufferCols<T> {
        pub is_real: T,
        pub clk: T,
        /// First byte address of the piece.
        pub addr: T,
        /// Bytes of the buffer from `addr` on.
        pub remaining: T,
        pub output_index: T,
        pub is_write: T,
        /// COMMIT: the bytes are public output.
        pub is_output: T,
        /// The doubleword is in the input region (reads only).
        pub is_input: T,
        /// One-hot: the piece starts at byte `j` of its doubleword.
        pub start: [T; 8],
        /// Byte `j` of the doubleword belongs to the piece.
        pub mask: [T; 8],
        /// The doubleword's bytes before and after the call.
        pub old: [T; 8],
        pub new: [T; 8],
        pub access: AccessCols<T>,
    }
}

/// The `buffer` table.
#[derive(Clone, Copy, Debug, Default)]
pub struct BufferTable;

impl BaseAir<Val> for BufferTable {
    fn width(&self) -> usize {
        BufferCols::<u8>::WIDTH
    }
}

fn limbs_of<AB: MachineBuilder>(bytes: &[AB::Var; 8]) -> [AB::Expr; 4] {
    core::array::from_fn(|k| {
        bytes[2 * k].into() + bytes[2 * k + 1].into() * AB::Expr::from_u32(256)
    })
}

impl<AB: MachineBuilder> Air<AB> for BufferTable {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &BufferCols<AB::Var> = main.current_slice().borrow();
        let is_real: AB::Expr = local.is_real.into();
        let is_write: AB::Expr = local.is_write.into();
        builder.assert_bool(is_real.clone());
        builder.assert_bool(is_write.clone());
        builder.assert_bool(local.is_output);
        builder.assert_bool(local.is_input);
        builder.assert_zero(local.is_input.into() * is_write.clone());

        let mut starts = AB::Expr::ZERO;
        let mut first_taken = AB::Expr::ZERO;
        let mut offset = AB::Expr::ZERO;
        let mut taken = AB::Expr::ZERO;
        let mut started_before = AB::Expr::ZERO;
        for j in 0..8 {
            let (s, m) = (local.start[j], local.mask[j]);
            builder.assert_bool(s);
            builder.assert_bool(m);
            starts += s.into();
            first_taken += s.into() * m.into();
            offset += s.into() * AB::Expr::from_usize(j);
            taken += m.into();
            // No byte before the start, and no gap after it.
            builder.assert_zero(m.into() * (AB::Expr::ONE - starts.clone()));
            if j > 0 {
                builder.assert_zero(
                    m.into() * (AB::Expr::ONE - local.mask[j - 1].into()) * started_before.clone(),
                );
            }
            started_before = starts.clone();
            // Only covered bytes of a write change.
            let unchanged = local.new[j].into() - local.old[j].into();
            builder.assert_zero((AB::Expr::ONE - m.into()) * unchanged.clone());
            builder.assert_zero((AB::Expr::ONE - is_write.clone()) * unchanged);
            builder.send(
                OUTPUT,
                [
                    local.output_index.into() + AB::Expr::from_usize(j) - offset.clone(),
                    local.old[j].into(),
                ],
                m * local.is_output,
            );
        }
        builder.assert_eq(starts, is_real.clone());
        builder.assert_eq(first_taken, is_real.clone());
        // A piece that stops before the doubleword's end is the buffer's last.
        builder.assert_zero(
            (AB::Expr::ONE - local.mask[7].into()) * (local.remaining.into() - taken.clone()),
        );

        for pair in 0..4 {
            byte_pair_check(
                builder,
                local.old[2 * pair],
                local.old[2 * pair + 1],
                is_real.clone(),
            );
            byte_pair_check(
                builder,
                local.new[2 * pair],
                local.new[2 * pair + 1],
                is_write.clone(),
            );
        }
        MemoryAccess {
            space: AB::Expr::from_u32(space::RAM) + local.is_input.into(),
            addr: local.addr.into() - offset,
            ts: timestamp_expr::<AB>(local.clk, slot::RAM0),
            prev_value: limbs_of::<AB>(&local.old),
            value: limbs_of::<AB>(&local.new),
        }
        .eval(builder, &local.access, is_real.clone());

        let token = |addr: AB::Expr, remaining: AB::Expr, index: AB::Expr| {
            [
                local.clk.into(),
                addr,
                remaining,
                index,
                local.is_write.into(),
                local.is_output.into(),
            ]
        };
        builder.receive(
            BUFFER,
            token(
                local.addr.into(),
                local.remaining.into(),
                local.output_index.into(),
            ),
            is_real.clone(),
        );
        builder.send(
            BUFFER,
            token(
                local.addr.into() + taken.clone(),
                local.remaining.into() - taken.clone(),
                local.output_index.into() + taken,
            ),
            is_real,
        );
    }
}

crate::impl_table!(BufferTable, "buffer");

impl BufferTable {
    /// The table's main trace.
    pub fn generate_trace(events: &[BufferEvent], lookups: &LookupCounter) -> RowMajorMatrix<Val> {
        rows_from_events(events, BufferCols::<u8>::WIDTH, |e, row| {
            let cols: &mut BufferCols<Val> = row.borrow_mut();
            let offset = (e.addr % 8) as usize;
            cols.is_real = Val::ONE;
            cols.clk = Val::from_u32(e.clk);
            cols.addr = Val::from_u32(e.addr);
            cols.remaining = Val::from_u32(e.remaining);
            cols.output_index = Val::from_u32(e.output_index);
            cols.is_write = Val::from_bool(e.is_write);
            cols.is_output = Val::from_bool(e.is_output);
            cols.is_input = Val::from_bool(e.access.is_input);
            cols.start[offset] = Val::ONE;
            for j in offset..offset + e.len as usize {
                cols.mask[j] = Val::ONE;
            }
            let (old, new) = (
                e.access.prev_value.to_le_bytes(),
                e.access.value.to_le_bytes(),
            );
            cols.old = old.map(Val::from_u8);
            cols.new = new.map(Val::from_u8);
            for pair in 0..4 {
                lookups.byte_pair(old[2 * pair], old[2 * pair + 1]);
                if e.is_write {
                    lookups.byte_pair(new[2 * pair], new[2 * pair + 1]);
                }
            }
            cols.access
                .populate(e.access.prev_ts, timestamp(e.clk, slot::RAM0), lookups);
        })
    }
}
