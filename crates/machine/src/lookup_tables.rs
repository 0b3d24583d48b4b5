//! The fixed lookup tables: `range` (every `x < 2^16`, serving each width of
//! [`RANGE_WIDTHS`]) and `byte` (every pair of bytes with its AND, OR and XOR). Both are
//! preprocessed, so their contents are committed in the verifying key; their main columns are
//! the multiplicities counted by [`LookupCounter`].
//!
//! Row `i` of the range table answers `(i mod 2^w, w)` for every width `w`: rows past `2^w`
//! repeat valid tuples, so no row can vouch for an out-of-range value and no constraint is needed.

use core::borrow::{Borrow, BorrowMut};

use droste_stark::{Table, Val};
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use crate::bus::{MachineBuilder, BYTE, RANGE};
use crate::lookup::{ByteOp, LookupCounter, RANGE_WIDTHS};

const ROWS: usize = 1 << 16;
const WIDTHS: usize = RANGE_WIDTHS.len();
const OPS: usize = ByteOp::ALL.len();

crate::columns! {
    /// Preprocessed columns of the range table.
    pub struct RangeValueCols<T> {
        /// `i mod 2^w` for each width `w` of [`RANGE_WIDTHS`].
        pub value: [T; WIDTHS],
    }
}

crate::columns! {
    /// Main columns of the range table.
    pub struct RangeCountCols<T> {
        /// Lookups of `(value[w], RANGE_WIDTHS[w])`.
        pub count: [T; WIDTHS],
    }
}

crate::columns! {
    /// Preprocessed columns of the byte table.
    pub struct BytePairCols<T> {
        pub a: T,
        pub b: T,
        pub and: T,
        pub or: T,
        pub xor: T,
    }
}

crate::columns! {
    /// Main columns of the byte table.
    pub struct ByteCountCols<T> {
        /// Lookups per [`ByteOp`], in [`ByteOp::ALL`] order.
        pub count: [T; OPS],
    }
}

/// The range table.
#[derive(Clone, Copy, Debug, Default)]
pub struct RangeTable;

impl RangeTable {
    /// The main trace from the counted lookups.
    pub fn generate_trace(lookups: &LookupCounter) -> RowMajorMatrix<Val> {
        let counts = lookups.range_counts();
        let mut values = vec![Val::ZERO; ROWS * WIDTHS];
        for (i, row) in values.chunks_exact_mut(WIDTHS).enumerate() {
            let cols: &mut RangeCountCols<Val> = row.borrow_mut();
            for (count, per_value) in cols.count.iter_mut().zip(&counts) {
                *count = Val::from_u32(per_value[i]);
            }
        }
        RowMajorMatrix::new(values, WIDTHS)
    }
}

impl BaseAir<Val> for RangeTable {
    fn width(&self) -> usize {
        RangeCountCols::<u8>::WIDTH
    }

    fn preprocessed_width(&self) -> usize {
        RangeValueCols::<u8>::WIDTH
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        let values = (0..ROWS as u32)
            .flat_map(|i| RANGE_WIDTHS.map(|w| Val::from_u32(i & ((1 << w) - 1))))
            .collect();
        Some(RowMajorMatrix::new(values, WIDTHS))
    }
}

impl<AB: MachineBuilder> Air<AB> for RangeTable {
    fn eval(&self, builder: &mut AB) {
        let prep = builder.preprocessed().clone();
        let fixed: &RangeValueCols<AB::Var> = prep.current_slice().borrow();
        let main = builder.main();
        let counts: &RangeCountCols<AB::Var> = main.current_slice().borrow();
        for (w, bits) in RANGE_WIDTHS.into_iter().enumerate() {
            builder.receive(
                RANGE,
                [fixed.value[w].into(), AB::Expr::from_u32(bits)],
                counts.count[w],
            );
        }
    }
}

impl Table for RangeTable {
    fn name(&self) -> &str {
        "range"
    }
}

/// The byte table.
#[derive(Clone, Copy, Debug, Default)]
pub struct ByteTable;

impl ByteTable {
    /// The main trace from the counted lookups.
    pub fn generate_trace(lookups: &LookupCounter) -> RowMajorMatrix<Val> {
        let counts = lookups.byte_counts();
        let mut values = vec![Val::ZERO; ROWS * OPS];
        for (i, row) in values.chunks_exact_mut(OPS).enumerate() {
            let cols: &mut ByteCountCols<Val> = row.borrow_mut();
            for (count, per_pair) in cols.count.iter_mut().zip(&counts) {
                *count = Val::from_u32(per_pair[i]);
            }
        }
        RowMajorMatrix::new(values, OPS)
    }
}

impl BaseAir<Val> for ByteTable {
    fn width(&self) -> usize {
        ByteCountCols::<u8>::WIDTH
    }

    fn preprocessed_width(&self) -> usize {
        BytePairCols::<u8>::WIDTH
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        let values = (0..ROWS)
            .flat_map(|i| {
                let (a, b) = ((i >> 8) as u8, i as u8);
                [a, b, a & b, a | b, a ^ b].map(Val::from_u8)
            })
            .collect();
        Some(RowMajorMatrix::new(values, BytePairCols::<u8>::WIDTH))
    }
}

impl<AB: MachineBuilder> Air<AB> for ByteTable {
    fn eval(&self, builder: &mut AB) {
        let prep = builder.preprocessed().clone();
        let pair: &BytePairCols<AB::Var> = prep.current_slice().borrow();
        let main = builder.main();
        let counts: &ByteCountCols<AB::Var> = main.current_slice().borrow();
        for op in ByteOp::ALL {
            let c: AB::Expr = match op {
                ByteOp::And => pair.and.into(),
                ByteOp::Or => pair.or.into(),
                ByteOp::Xor => pair.xor.into(),
                ByteOp::RangePair => AB::Expr::ZERO,
            };
            builder.receive(
                BYTE,
                [AB::Expr::from_u8(op as u8), pair.a.into(), pair.b.into(), c],
                counts.count[op as usize],
            );
        }
    }
}

impl Table for ByteTable {
    fn name(&self) -> &str {
        "byte"
    }
}
