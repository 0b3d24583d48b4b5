//! Range checks and byte operations: the helpers chips call in `eval` (they send on the
//! [`RANGE`] and [`BYTE`] buses) and the counter they feed during trace generation (it becomes the
//! multiplicities of the range and byte tables).
//!
//! Why a `(x, bits)` range bus with a few fixed widths rather than only 16 bits: a timestamp
//! difference needs 27 bits and an address 30, and a 16-bit check of the high part would let a
//! difference of `2^32 - k` pass, which is a negative number in the field. Checking the high
//! part against its exact width makes one lookup per part enough.

use alloc::vec::Vec;

use core::sync::atomic::{AtomicU32, Ordering};

use droste_stark::Val;
use p3_field::PrimeCharacteristicRing;

use crate::bus::{MachineBuilder, BYTE, RANGE};

/// The widths the range table supports. Every value `< 2^16`, so one table of `2^16` rows serves
/// all of them.
pub const RANGE_WIDTHS: [u32; 3] = [16, 14, 11];

/// Index of `bits` in [`RANGE_WIDTHS`].
pub const fn range_width_index(bits: u32) -> usize {
    let mut i = 0;
    while i < RANGE_WIDTHS.len() {
        if RANGE_WIDTHS[i] == bits {
            return i;
        }
        i += 1;
    }
    panic!("unsupported range-check width");
}

/// Operations of the byte table; each row of it holds one pair of bytes `(a, b)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ByteOp {
    /// `c = a & b`.
    And = 0,
    /// `c = a | b`.
    Or = 1,
    /// `c = a ^ b`.
    Xor = 2,
    /// Both `a` and `b` are bytes; `c = 0`.
    RangePair = 3,
}

impl ByteOp {
    /// Every operation, in table column order.
    pub const ALL: [ByteOp; 4] = [ByteOp::And, ByteOp::Or, ByteOp::Xor, ByteOp::RangePair];

    /// The result of the operation on two bytes.
    pub const fn apply(self, a: u8, b: u8) -> u8 {
        match self {
            ByteOp::And => a & b,
            ByteOp::Or => a | b,
            ByteOp::Xor => a ^ b,
            ByteOp::RangePair => 0,
        }
    }
}

/// Sends `(x, bits)`: `0 <= x < 2^bits` whenever `multiplicity` is 1 (use `is_real`, so padding
/// rows check nothing).
pub fn range_check<AB: MachineBuilder>(
    builder: &mut AB,
    x: impl Into<AB::Expr>,
    bits: u32,
    multiplicity: impl Into<AB::Expr>,
) {
    let width = range_width_index(bits);
    builder.send(
        RANGE,
        [x.into(), AB::Expr::from_u32(RANGE_WIDTHS[width])],
        multiplicity,
    );
}

/// Sends `(op, a, b, c)` on the byte bus: `c = a op b` and `a`, `b` are bytes.
pub fn byte_op<AB: MachineBuilder>(
    builder: &mut AB,
    op: ByteOp,
    a: impl Into<AB::Expr>,
    b: impl Into<AB::Expr>,
    c: impl Into<AB::Expr>,
    multiplicity: impl Into<AB::Expr>,
) {
    builder.send(
        BYTE,
        [AB::Expr::from_u8(op as u8), a.into(), b.into(), c.into()],
        multiplicity,
    );
}

/// Checks that `a` and `b` are both bytes (one lookup for two bytes).
pub fn byte_pair_check<AB: MachineBuilder>(
    builder: &mut AB,
    a: impl Into<AB::Expr>,
    b: impl Into<AB::Expr>,
    multiplicity: impl Into<AB::Expr>,
) {
    byte_op(
        builder,
        ByteOp::RangePair,
        a,
        b,
        AB::Expr::ZERO,
        multiplicity,
    );
}

/// Counts the lookups made while generating traces (shared by all threads), to become the
/// multiplicity columns of the range and byte tables.
#[derive(Debug)]
pub struct LookupCounter {
    /// `range[w][x]`: checks of `x` against `RANGE_WIDTHS[w]`.
    range: Vec<Vec<AtomicU32>>,
    /// `byte[op][a * 256 + b]`.
    byte: Vec<Vec<AtomicU32>>,
}

impl Default for LookupCounter {
    fn default() -> Self {
        let zeros = |n: usize| (0..n).map(|_| AtomicU32::new(0)).collect::<Vec<_>>();
        Self {
            range: RANGE_WIDTHS.iter().map(|_| zeros(1 << 16)).collect(),
            byte: ByteOp::ALL.iter().map(|_| zeros(1 << 16)).collect(),
        }
    }
}

impl LookupCounter {
    /// Records a range check of `x` against `bits` (the trace-side twin of [`range_check`]).
    /// An out-of-range value is a bug in trace generation, so it panics.
    pub fn range(&self, x: u32, bits: u32) {
        assert!(
            u64::from(x) < 1u64 << bits,
            "range check of {x} against {bits} bits"
        );
        self.range[range_width_index(bits)][x as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Records range checks of the four limbs of `value` (16 bits each).
    pub fn range_word(&self, value: u64) {
        for limb in crate::columns::limbs(value) {
            self.range(u32::from(limb), 16);
        }
    }

    /// Records a byte operation (the twin of [`byte_op`]) and returns its result.
    pub fn byte(&self, op: ByteOp, a: u8, b: u8) -> u8 {
        self.byte[op as usize][usize::from(a) * 256 + usize::from(b)]
            .fetch_add(1, Ordering::Relaxed);
        op.apply(a, b)
    }

    /// Records a byte pair check (the twin of [`byte_pair_check`]).
    pub fn byte_pair(&self, a: u8, b: u8) {
        self.byte(ByteOp::RangePair, a, b);
    }

    /// Multiplicities of the range table: `out[w][x]`.
    pub fn range_counts(&self) -> Vec<Vec<u32>> {
        self.range.iter().map(|c| snapshot(c)).collect()
    }

    /// Multiplicities of the byte table: `out[op][a * 256 + b]`.
    pub fn byte_counts(&self) -> Vec<Vec<u32>> {
        self.byte.iter().map(|c| snapshot(c)).collect()
    }
}

fn snapshot(counts: &[AtomicU32]) -> Vec<u32> {
    counts.iter().map(|c| c.load(Ordering::Relaxed)).collect()
}

/// `x` as a field element (helper for populating columns).
pub fn val(x: impl Into<u64>) -> Val {
    Val::from_u64(x.into())
}
