//! `ecall`: the system calls of [`droste_isa::abi::syscall`].
//!
//! A row reads `a7` (whose value must be the call number its one-hot selector names) and the
//! call's two arguments: `arg0` (read and rewritten: changed only by CYCLE_COUNT, to the clock,
//! INPUT_LEN, to a private value, and PANIC, to the exit code) and `arg1`. The arguments are
//! `a0` and `a1`, except for WRITE, whose buffer is `(a1, a2)`: its row reads registers one up
//! (`10 + is_write_call`, `11 + is_write_call`, linear in the selector) and its file descriptor
//! `a0` as a third access, `arg2`, which must be 1 or 2. So every buffer is `(arg0, arg1)` and
//! the bus tuples stay linear. EXT_COMBINE and POSEIDON2_FROM read their third argument `a2`
//! (the block's, the source's address) as that third access too (register
//! `10 + 2 (is_ext_combine + is_poseidon2_from)`). Then, by call:
//!
//! - HALT / PANIC consume the output cursor and send the exit `(code, output_len)` on [`EXIT`];
//!   they are the only rows that do not pass the state token on.
//! - COMMIT, INPUT_READ, RANDOM, WRITE and PANIC hand the buffer `[arg0, arg0 + arg1)` to the
//!   `buffer` table on [`BUFFER`] and take back its end: COMMIT's bytes become public output,
//!   INPUT_READ and RANDOM write private bytes, WRITE and PANIC only prove the buffer readable
//!   (what the executor requires; the bytes stay private). COMMIT also advances the output
//!   cursor.
//! - POSEIDON2 hands `(clk, a0, a1, 0, 0)` (the state's address and representation), and
//!   POSEIDON2_FROM `(clk, a0, a1, 1, a2)` (also the half replaced, and the source's address), to
//!   the `poseidon2` table on [`POSEIDON2`], which reads and writes the state.
//! - EXT_COMBINE hands `(clk, a0, a1, a2)` (the values' address, their count below 2^27 and the
//!   block's address) to the `ext_combine` table on [`EXT_COMBINE`].
//!
//! The output cursor `(offset, min_clk)` forms one chain from the verifier's `(0, 0)` through
//! every COMMIT in clock order (`clk >= min_clk` is range-checked, each COMMIT sends
//! `clk + 1`) to the halt, so the public output is exactly the committed bytes, in order.

use core::borrow::{Borrow, BorrowMut};

use droste_isa::abi::{fd, syscall, PANIC_EXIT_CODE};
use droste_stark::Val;
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use crate::bus::{
    space, MachineBuilder, BUFFER, EXIT, EXT_COMBINE, OUTPUT_CURSOR, POSEIDON2, STATE,
};
use crate::columns::{limbs, Word};
use crate::events::EcallEvent;
use crate::fetch::{Family, Fetch};
use crate::lookup::{range_check, LookupCounter};
use crate::memory_access::{slot, timestamp, timestamp_expr, AccessCols, MemoryAccess, TS_BITS};
use crate::trace::rows_from_events;

/// The system calls in selector order: selector `i` is call number `CALLS[i]`.
pub const CALLS: [u64; 11] = [
    syscall::HALT,
    syscall::WRITE,
    syscall::COMMIT,
    syscall::PANIC,
    syscall::CYCLE_COUNT,
    syscall::INPUT_LEN,
    syscall::INPUT_READ,
    syscall::RANDOM,
    syscall::POSEIDON2,
    syscall::EXT_COMBINE,
    syscall::POSEIDON2_FROM,
];

const fn call_index(number: u64) -> usize {
    let mut i = 0;
    while i < CALLS.len() {
        if CALLS[i] == number {
            return i;
        }
        i += 1;
    }
    panic!("unknown system call");
}

const HALT: usize = call_index(syscall::HALT);
const WRITE: usize = call_index(syscall::WRITE);
const COMMIT: usize = call_index(syscall::COMMIT);
const PANIC: usize = call_index(syscall::PANIC);
const CYCLE_COUNT: usize = call_index(syscall::CYCLE_COUNT);
const INPUT_LEN: usize = call_index(syscall::INPUT_LEN);
const INPUT_READ: usize = call_index(syscall::INPUT_READ);
const RANDOM: usize = call_index(syscall::RANDOM);
const POSEIDON2_CALL: usize = call_index(syscall::POSEIDON2);
const EXT_COMBINE_CALL: usize = call_index(syscall::EXT_COMBINE);
const POSEIDON2_FROM_CALL: usize = call_index(syscall::POSEIDON2_FROM);

/// Bits of a buffer address and length (`< 2^30`).
const ADDR_HI_BITS: u32 = 14;
/// Bits of the high limb of EXT_COMBINE's count (`< 2^27`, so that `a0 + 4 count` stays
/// below `p`).
const COUNT_HI_BITS: u32 = 11;

crate::columns! {
    /// One row of the `ecall` chip.
    pub struct EcallCols<T> {
        pub is_real: T,
        pub clk: T,
        pub pc: T,
        /// One-hot selector of the call, in [`CALLS`] order.
        pub selector: [T; 11],
        pub a7_access: AccessCols<T>,
        /// The first argument (`a0`; WRITE: `a1`) before and after the call.
        pub arg0: Word<T>,
        pub arg0_new: Word<T>,
        pub arg0_access: AccessCols<T>,
        /// The second argument (`a1`; WRITE: `a2`).
        pub arg1: Word<T>,
        pub arg1_access: AccessCols<T>,
        /// The third argument's limbs 0 and 1 (its upper limbs are zero): WRITE's file
        /// descriptor `a0`, EXT_COMBINE's block address `a2`, POSEIDON2_FROM's source `a2`.
        pub arg2: [T; 2],
        pub arg2_access: AccessCols<T>,
        /// Output cursor received by COMMIT, HALT and PANIC: bytes committed so far, and the
        /// smallest clock the call may have.
        pub cursor: T,
        pub min_clk: T,
        /// `clk - min_clk` as 16 + 11 bits.
        pub clk_gap: [T; 2],
    }
}

/// The `ecall` chip.
#[derive(Clone, Copy, Debug, Default)]
pub struct EcallChip;

impl BaseAir<Val> for EcallChip {
    fn width(&self) -> usize {
        EcallCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for EcallChip {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &EcallCols<AB::Var> = main.current_slice().borrow();
        let is_real: AB::Expr = local.is_real.into();
        let sel = |i: usize| -> AB::Expr { local.selector[i].into() };
        builder.assert_bool(is_real.clone());
        let mut selected = AB::Expr::ZERO;
        let mut number = AB::Expr::ZERO;
        for (i, &s) in local.selector.iter().enumerate() {
            builder.assert_bool(s);
            selected += s.into();
            number += s.into() * AB::Expr::from_u64(CALLS[i]);
        }
        builder.assert_eq(selected, is_real.clone());
        let ends = sel(HALT) + sel(PANIC);
        let uses_buffer = sel(COMMIT) + sel(INPUT_READ) + sel(RANDOM) + sel(WRITE) + sel(PANIC);
        let writes_a0 = sel(CYCLE_COUNT) + sel(INPUT_LEN);
        let uses_cursor = sel(COMMIT) + ends.clone();
        let base = AB::Expr::from_u32(1 << 16);
        let poseidon2 = sel(POSEIDON2_CALL) + sel(POSEIDON2_FROM_CALL);
        let reads_a2 = sel(EXT_COMBINE_CALL) + sel(POSEIDON2_FROM_CALL);

        builder.receive(STATE, [local.clk.into(), local.pc.into()], is_real.clone());
        builder.send(
            STATE,
            [
                local.clk.into() + AB::Expr::ONE,
                local.pc.into() + AB::Expr::from_u32(4),
            ],
            is_real.clone() - ends.clone(),
        );
        Fetch::new(Family::Ecall).send(builder, local.pc.into(), is_real.clone());

        let register = |r: u32| AB::Expr::from_u32(r);
        let a7 = [number, AB::Expr::ZERO, AB::Expr::ZERO, AB::Expr::ZERO];
        MemoryAccess {
            space: register(space::REGISTER),
            addr: register(17),
            ts: timestamp_expr::<AB>(local.clk, slot::RS1),
            prev_value: a7.clone(),
            value: a7,
        }
        .eval(builder, &local.a7_access, is_real.clone());
        MemoryAccess {
            space: register(space::REGISTER),
            addr: register(10) + sel(WRITE),
            ts: timestamp_expr::<AB>(local.clk, slot::RS2),
            prev_value: local.arg0.into_exprs(),
            value: local.arg0_new.into_exprs(),
        }
        .eval(builder, &local.arg0_access, is_real.clone());
        let a1 = local.arg1.into_exprs::<AB::Expr>();
        MemoryAccess {
            space: register(space::REGISTER),
            addr: register(11) + sel(WRITE),
            ts: timestamp_expr::<AB>(local.clk, slot::A1),
            prev_value: a1.clone(),
            value: a1,
        }
        .eval(builder, &local.arg1_access, is_real.clone());
        let arg2 = [
            local.arg2[0].into(),
            local.arg2[1].into(),
            AB::Expr::ZERO,
            AB::Expr::ZERO,
        ];
        MemoryAccess {
            space: register(space::REGISTER),
            addr: register(10) + reads_a2.clone() * AB::Expr::TWO,
            ts: timestamp_expr::<AB>(local.clk, slot::FD),
            prev_value: arg2.clone(),
            value: arg2,
        }
        .eval(builder, &local.arg2_access, sel(WRITE) + reads_a2.clone());
        let fd: AB::Expr = local.arg2[0].into();
        builder.assert_zero(
            sel(WRITE)
                * (fd.clone() - AB::Expr::from_u64(fd::STDOUT))
                * (fd - AB::Expr::from_u64(fd::STDERR)),
        );
        builder.when(sel(WRITE)).assert_zero(local.arg2[1]);

        // a0 changes only for CYCLE_COUNT (to clk), INPUT_LEN (to a range-checked value) and
        // PANIC (to the panic exit code, so that the exit code is `arg0_new` for both endings).
        let panic_code = limbs(u64::from(PANIC_EXIT_CODE));
        for ((&new, &old), code) in local.arg0_new.0.iter().zip(&local.arg0.0).zip(panic_code) {
            builder
                .when(AB::Expr::ONE - writes_a0.clone() - sel(PANIC))
                .assert_eq(new, old);
            builder
                .when(sel(PANIC))
                .assert_eq(new, AB::Expr::from_u16(code));
            range_check(builder, new, 16, writes_a0.clone());
        }
        let mut cycle = builder.when(sel(CYCLE_COUNT));
        cycle.assert_eq(
            local.arg0_new.0[0].into() + local.arg0_new.0[1].into() * base.clone(),
            local.clk,
        );
        cycle.assert_zero(local.arg0_new.0[2]);
        cycle.assert_zero(local.arg0_new.0[3]);

        // Buffer calls: address a0 and length a1 below 2^30; POSEIDON2(_FROM): address a0 below
        // 2^30 (its alignment is the memory's: only aligned cells exist) and a1 its mode.
        // The high limb of a0 (which these calls leave unchanged) is checked together with the
        // cycle count's, which must be below 2^30 too so that its two limbs cannot wrap around
        // the field.
        let addr = local.arg0.0[0].into() + local.arg0.0[1].into() * base.clone();
        let len = local.arg1.0[0].into() + local.arg1.0[1].into() * base.clone();
        let uses_address = uses_buffer.clone() + poseidon2.clone() + sel(EXT_COMBINE_CALL);
        for limb in [local.arg0.0[2], local.arg0.0[3]] {
            builder.when(uses_address.clone()).assert_zero(limb);
        }
        for limb in [local.arg1.0[2], local.arg1.0[3]] {
            builder
                .when(uses_buffer.clone() + sel(EXT_COMBINE_CALL))
                .assert_zero(limb);
        }
        for limb in &local.arg1.0[1..] {
            builder.when(poseidon2.clone()).assert_zero(*limb);
        }
        range_check(
            builder,
            local.arg0_new.0[1],
            ADDR_HI_BITS,
            uses_address - sel(PANIC) + sel(CYCLE_COUNT),
        );
        // PANIC replaces its address by the exit code, so its address is checked before.
        range_check(builder, local.arg0.0[1], ADDR_HI_BITS, sel(PANIC));
        // The source (POSEIDON2_FROM's a2, 0 for POSEIDON2) below 2^30 like EXT_COMBINE's block.
        let arg2_addr = local.arg2[0].into() + local.arg2[1].into() * base.clone();
        builder.send(
            POSEIDON2,
            [
                local.clk.into(),
                addr.clone(),
                local.arg1.0[0].into(),
                sel(POSEIDON2_FROM_CALL),
                arg2_addr.clone(),
            ],
            poseidon2,
        );
        range_check(builder, local.arg1.0[1], ADDR_HI_BITS, uses_buffer.clone());
        // EXT_COMBINE: a0 below 2^30 (above), the count below 2^27, the block below 2^30.
        range_check(
            builder,
            local.arg1.0[1],
            COUNT_HI_BITS,
            sel(EXT_COMBINE_CALL),
        );
        range_check(builder, local.arg2[1], ADDR_HI_BITS, reads_a2);
        builder.send(
            EXT_COMBINE,
            [local.clk.into(), addr.clone(), len.clone(), arg2_addr],
            sel(EXT_COMBINE_CALL),
        );
        let is_write = sel(INPUT_READ) + sel(RANDOM);
        let cursor: AB::Expr = local.cursor.into();
        builder.send(
            BUFFER,
            [
                local.clk.into(),
                addr.clone(),
                len.clone(),
                cursor.clone(),
                is_write.clone(),
                sel(COMMIT),
            ],
            uses_buffer.clone(),
        );
        builder.receive(
            BUFFER,
            [
                local.clk.into(),
                addr + len.clone(),
                AB::Expr::ZERO,
                cursor.clone() + len.clone(),
                is_write,
                sel(COMMIT),
            ],
            uses_buffer,
        );

        // The output cursor chain, in clock order.
        builder.receive(
            OUTPUT_CURSOR,
            [cursor.clone(), local.min_clk.into()],
            uses_cursor.clone(),
        );
        builder.when(uses_cursor.clone()).assert_eq(
            local.clk_gap[0].into() + local.clk_gap[1].into() * base,
            local.clk.into() - local.min_clk.into(),
        );
        range_check(builder, local.clk_gap[0], 16, uses_cursor.clone());
        range_check(builder, local.clk_gap[1], TS_BITS - 16, uses_cursor);
        builder.send(
            OUTPUT_CURSOR,
            [cursor.clone() + len, local.clk.into() + AB::Expr::ONE],
            sel(COMMIT),
        );
        builder.send(
            EXIT,
            [
                local.arg0_new.0[0].into(),
                local.arg0_new.0[1].into(),
                cursor,
            ],
            ends,
        );
    }
}

crate::impl_table!(EcallChip, "ecall");

impl EcallChip {
    /// The chip's main trace.
    pub fn generate_trace(events: &[EcallEvent], lookups: &LookupCounter) -> RowMajorMatrix<Val> {
        rows_from_events(events, EcallCols::<u8>::WIDTH, |event, row| {
            let cols: &mut EcallCols<Val> = row.borrow_mut();
            populate(cols, event, lookups);
        })
    }
}

fn populate(cols: &mut EcallCols<Val>, e: &EcallEvent, lookups: &LookupCounter) {
    let call = call_index_checked(e.number);
    cols.is_real = Val::ONE;
    cols.clk = Val::from_u32(e.clk);
    cols.pc = Val::from_u32(e.pc);
    cols.selector[call] = Val::ONE;
    cols.a7_access
        .populate(e.a7_prev_ts, timestamp(e.clk, slot::RS1), lookups);
    cols.arg0 = Word::from_u64(e.arg0);
    cols.arg0_new = Word::from_u64(e.arg0_new);
    cols.arg0_access
        .populate(e.arg0_prev_ts, timestamp(e.clk, slot::RS2), lookups);
    cols.arg1 = Word::from_u64(e.arg1);
    cols.arg1_access
        .populate(e.arg1_prev_ts, timestamp(e.clk, slot::A1), lookups);
    let high = |value: u64| (value >> 16) as u32 & 0xffff;
    if matches!(call, WRITE | EXT_COMBINE_CALL | POSEIDON2_FROM_CALL) {
        cols.arg2 = [e.arg2 as u32 & 0xffff, high(e.arg2)].map(Val::from_u32);
        cols.arg2_access
            .populate(e.arg2_prev_ts, timestamp(e.clk, slot::FD), lookups);
    }
    if call == EXT_COMBINE_CALL {
        lookups.range(high(e.arg1), COUNT_HI_BITS);
    }
    if matches!(call, EXT_COMBINE_CALL | POSEIDON2_FROM_CALL) {
        lookups.range(high(e.arg2), ADDR_HI_BITS);
    }
    if call == CYCLE_COUNT || call == INPUT_LEN {
        lookups.range_word(e.arg0_new);
    }
    if matches!(
        call,
        CYCLE_COUNT
            | COMMIT
            | INPUT_READ
            | RANDOM
            | WRITE
            | POSEIDON2_CALL
            | EXT_COMBINE_CALL
            | POSEIDON2_FROM_CALL
    ) {
        lookups.range(high(e.arg0_new), ADDR_HI_BITS);
    }
    if call == PANIC {
        lookups.range(high(e.arg0), ADDR_HI_BITS);
    }
    if matches!(call, COMMIT | INPUT_READ | RANDOM | WRITE | PANIC) {
        lookups.range(high(e.arg1), ADDR_HI_BITS);
    }
    // The buffer token starts at the cursor for every buffer call (only COMMIT's index names
    // output bytes).
    cols.cursor = Val::from_u32(e.output_cursor);
    if matches!(call, COMMIT | HALT | PANIC) {
        cols.min_clk = Val::from_u32(e.output_min_clk);
        let gap = e.clk - e.output_min_clk;
        cols.clk_gap = [gap & 0xffff, gap >> 16].map(Val::from_u32);
        lookups.range(gap & 0xffff, 16);
        lookups.range(gap >> 16, TS_BITS - 16);
    }
}

fn call_index_checked(number: u64) -> usize {
    CALLS
        .iter()
        .position(|&c| c == number)
        .expect("the executor runs only known system calls")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::row_check::{first_failure_unfetched, RowFailure};

    /// A PANIC at clock 1 with its message at `addr` (4 bytes).
    fn panic_row(addr: u64) -> RowMajorMatrix<Val> {
        let event = EcallEvent {
            clk: 1,
            pc: 0x1_0000,
            number: syscall::PANIC,
            arg0: addr,
            arg0_new: u64::from(PANIC_EXIT_CODE),
            arg1: 4,
            ..EcallEvent::default()
        };
        EcallChip::generate_trace(&[event], &LookupCounter::default())
    }

    #[test]
    fn a_panic_message_address_is_below_2_30() {
        let trace = panic_row(0x1_1000);
        assert_eq!(first_failure_unfetched(&EcallChip, &trace, 0), None);
        // a0 = 0x8001_1000 names, as a field element, the mapped 0x8001_1000 - p: PANIC
        // overwrites a0 with its exit code, so its address limb is checked on its own.
        let mut tampered = trace.clone();
        let cols: &mut EcallCols<Val> = tampered.values[..EcallCols::<u8>::WIDTH].borrow_mut();
        cols.arg0.0[1] = Val::from_u32(0x8001);
        assert_eq!(
            first_failure_unfetched(&EcallChip, &tampered, 0),
            Some(RowFailure::Lookup {
                row: 0,
                bus: crate::bus::RANGE,
                values: vec![0x8001, ADDR_HI_BITS],
            })
        );
    }
}
