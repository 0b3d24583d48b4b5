//! The memory access gadget: offline memory checking for one access to one cell.
//!
//! Every cell (a register, a RAM doubleword, an input doubleword) carries the timestamp and value
//! of its last access on the [`MEMORY`] bus. An access at timestamp `ts` receives
//! `(space, addr, prev_ts, prev_value)` and sends `(space, addr, ts, value)` (`value =
//! prev_value` for a read), and proves `prev_ts < ts`. The init tables send every cell once with
//! timestamp 0 and the final tables receive its last state, so the bus balances exactly when the
//! accesses of each cell form one chain in timestamp order: every read returns the last value
//! written (see `docs/machine.md`).
//!
//! The witness is the difference `ts - prev_ts - 1 = diff_lo + 2^16 * diff_hi` with `diff_lo` in
//! 16 bits and `diff_hi` in 11: it is at most `2^27 - 1`, while a "negative" difference would be
//! at least `p - 2^30` in the field. Storing the difference rather than `prev_ts` saves a column.

use droste_stark::Val;
use p3_field::PrimeCharacteristicRing;

use crate::bus::{MachineBuilder, MEMORY};
use crate::columns::WORD_LIMBS;
use crate::lookup::{range_check, LookupCounter};

/// Bits of a timestamp difference (`8 * 2^24` cycles).
pub const TS_BITS: u32 = 27;

/// Timestamp slots within one instruction: `ts = 8 * clk + slot`. Timestamp 0 is the init
/// tables', so every slot is at least 1, and the slots of one instruction are ordered the way it
/// reads and writes (sources before the destination).
pub mod slot {
    /// `rs1`; for `ecall`, `a7`.
    pub const RS1: u32 = 1;
    /// `rs2`; for `ecall`, `a0` (read, and written by calls that return a value; WRITE: `a1`).
    pub const RS2: u32 = 2;
    /// For `ecall`: `a1` (WRITE: `a2`).
    pub const A1: u32 = 3;
    /// For `ecall` WRITE: `a0`, the file descriptor.
    pub const FD: u32 = 4;
    /// The first (or only) RAM doubleword of a load, store or system call buffer piece.
    pub const RAM0: u32 = 5;
    /// The second RAM doubleword of a misaligned load or store.
    pub const RAM1: u32 = 6;
    /// `rd`.
    pub const RD: u32 = 7;
}

/// The timestamp of `slot` in the instruction at clock `clk`.
pub const fn timestamp(clk: u32, slot: u32) -> u32 {
    8 * clk + slot
}

/// The timestamp expression of `slot` at clock `clk`.
pub fn timestamp_expr<AB: MachineBuilder>(clk: impl Into<AB::Expr>, slot: u32) -> AB::Expr {
    clk.into() * AB::Expr::from_u32(8) + AB::Expr::from_u32(slot)
}

crate::columns! {
    /// Witness of one access: how long ago the cell was last accessed.
    pub struct AccessCols<T> {
        /// Low 16 bits of `ts - prev_ts - 1`.
        pub diff_lo: T,
        /// High 11 bits of `ts - prev_ts - 1`.
        pub diff_hi: T,
    }
}

impl AccessCols<Val> {
    /// Fills the witness for an access at `ts` to a cell last accessed at `prev_ts`, and records
    /// its two range checks.
    pub fn populate(&mut self, prev_ts: u32, ts: u32, lookups: &LookupCounter) {
        assert!(prev_ts < ts, "memory access at {ts} after {prev_ts}");
        let diff = ts - prev_ts - 1;
        let (lo, hi) = (diff & 0xffff, diff >> 16);
        self.diff_lo = Val::from_u32(lo);
        self.diff_hi = Val::from_u32(hi);
        lookups.range(lo, 16);
        lookups.range(hi, TS_BITS - 16);
    }
}

/// One access to a cell, as `eval` sees it.
pub struct MemoryAccess<E> {
    /// [`crate::bus::space`] of the cell.
    pub space: E,
    /// Its address in that space.
    pub addr: E,
    /// Timestamp of this access.
    pub ts: E,
    /// The value before the access.
    pub prev_value: [E; WORD_LIMBS],
    /// The value after it (equal to `prev_value` for a read).
    pub value: [E; WORD_LIMBS],
}

impl<E: PrimeCharacteristicRing + Clone> MemoryAccess<E> {
    /// Receives the cell's previous state, sends its new one and checks that time went forward,
    /// all `multiplicity` times (0 or 1: a padding row or a disabled access passes 0).
    pub fn eval<AB>(self, builder: &mut AB, cols: &AccessCols<AB::Var>, multiplicity: AB::Expr)
    where
        AB: MachineBuilder<Expr = E>,
    {
        let diff_lo: AB::Expr = cols.diff_lo.into();
        let diff_hi: AB::Expr = cols.diff_hi.into();
        let prev_ts = self.ts.clone()
            - AB::Expr::ONE
            - diff_lo.clone()
            - diff_hi.clone() * AB::Expr::from_u32(1 << 16);
        let head = |ts: E| [self.space.clone(), self.addr.clone(), ts];
        builder.receive(
            MEMORY,
            head(prev_ts).into_iter().chain(self.prev_value),
            multiplicity.clone(),
        );
        builder.send(
            MEMORY,
            head(self.ts.clone()).into_iter().chain(self.value),
            multiplicity.clone(),
        );
        range_check(builder, diff_lo, 16, multiplicity.clone());
        range_check(builder, diff_hi, TS_BITS - 16, multiplicity);
    }
}
