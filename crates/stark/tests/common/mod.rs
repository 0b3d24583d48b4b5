//! Small real tables shared by the integration tests.

#![allow(dead_code)]

use droste_stark::{BusBuilder, FriParameters, ProverTable, Table, Val};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

/// Small but complete parameters: fast tests, every code path (folding, queries, PoW) exercised.
pub fn test_params() -> FriParameters {
    FriParameters {
        log_blowup: 1,
        num_queries: 16,
        query_pow_bits: 2,
        log_folding_arity: 2,
        log_final_poly_len: 1,
        deep_pow_bits: 1,
        logup_pow_bits: 1,
    }
}

/// The verifier's view of prover tables.
pub fn as_tables<'a>(tables: &[&'a dyn ProverTable]) -> Vec<&'a dyn Table> {
    tables.iter().map(|t| t.as_table()).collect()
}

/// Bus on which the Fibonacci table publishes its last value.
pub const OUTPUT_BUS: u16 = 1;
/// Bus of byte range checks.
pub const RANGE_BUS: u16 = 2;

/// Fibonacci: columns (a, b, is_last). a_0 = 0, b_0 = 1, (a, b)' = (b, a + b); `is_last` is 1
/// exactly on the last row, where the table sends `b` on the output bus.
pub struct FibTable;

impl BaseAir<Val> for FibTable {
    fn width(&self) -> usize {
        3
    }
}

impl<AB: BusBuilder> Air<AB> for FibTable {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (a, b, last) = (
            main.current_slice()[0],
            main.current_slice()[1],
            main.current_slice()[2],
        );
        let (a_next, b_next) = (main.next_slice()[0], main.next_slice()[1]);
        builder.when_first_row().assert_zero(a);
        builder.when_first_row().assert_one(b);
        builder.when_transition().assert_eq(a_next, b);
        builder.when_transition().assert_eq(b_next, a + b);
        builder.when_transition().assert_zero(last);
        builder.when_last_row().assert_one(last);
        builder.send(OUTPUT_BUS, [b], last);
    }
}

impl Table for FibTable {
    fn name(&self) -> &str {
        "fibonacci"
    }
}

/// The Fibonacci trace of `2^log_height` rows and its last `b`.
pub fn fib_trace(log_height: usize) -> (RowMajorMatrix<Val>, Val) {
    let n = 1 << log_height;
    let mut values = Vec::with_capacity(3 * n);
    let (mut a, mut b) = (Val::ZERO, Val::ONE);
    for row in 0..n {
        values.extend([a, b, Val::from_bool(row == n - 1)]);
        (a, b) = (b, a + b);
    }
    let last_b = values[3 * (n - 1) + 1];
    (RowMajorMatrix::new(values, 3), last_b)
}

/// Byte table: preprocessed column 0..=255, main column = how often each byte is looked up.
pub struct ByteTable {
    /// Offset added to the preprocessed values (a different "program" for vk tests).
    pub offset: u32,
}

impl BaseAir<Val> for ByteTable {
    fn width(&self) -> usize {
        1
    }

    fn preprocessed_width(&self) -> usize {
        1
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        Some(RowMajorMatrix::new_col(
            (0..256u32)
                .map(|v| Val::from_u32((v + self.offset) % 256))
                .collect(),
        ))
    }
}

impl<AB: BusBuilder> Air<AB> for ByteTable {
    fn eval(&self, builder: &mut AB) {
        let byte = builder.preprocessed().current_slice()[0];
        let count = builder.main().current_slice()[0];
        builder.receive(RANGE_BUS, [byte], count);
    }
}

impl Table for ByteTable {
    fn name(&self) -> &str {
        "bytes"
    }
}

/// Four byte columns and their sum, with every byte range-checked on the range bus (4 lookups per
/// row, packed two per LogUp column).
pub struct SumOfBytesTable;

impl BaseAir<Val> for SumOfBytesTable {
    fn width(&self) -> usize {
        5
    }
}

impl<AB: BusBuilder> Air<AB> for SumOfBytesTable {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let row = main.current_slice();
        let sum = row[0] + row[1] + row[2] + row[3];
        builder.assert_eq(row[4], sum);
        for &byte in &row[..4] {
            builder.send(RANGE_BUS, [byte], AB::Expr::ONE);
        }
    }
}

impl Table for SumOfBytesTable {
    fn name(&self) -> &str {
        "sum-of-bytes"
    }
}

/// [`SumOfBytesTable`] with a selector column (`is_real`, the sixth) gating its lookups, so an
/// all-zero row is padding; a proof may leave it out when it has no rows.
pub struct OptionalSumOfBytesTable;

impl BaseAir<Val> for OptionalSumOfBytesTable {
    fn width(&self) -> usize {
        6
    }
}

impl<AB: BusBuilder> Air<AB> for OptionalSumOfBytesTable {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let row = main.current_slice();
        let sum = row[0] + row[1] + row[2] + row[3];
        builder.assert_eq(row[4], sum);
        builder.assert_bool(row[5]);
        for &byte in &row[..4] {
            builder.send(RANGE_BUS, [byte], row[5]);
        }
    }
}

impl Table for OptionalSumOfBytesTable {
    fn name(&self) -> &str {
        "optional-sum-of-bytes"
    }

    fn may_be_empty(&self) -> bool {
        true
    }
}

/// A [`SumOfBytesTable`] trace with the `is_real = 1` column of [`OptionalSumOfBytesTable`].
pub fn with_selector(values: &RowMajorMatrix<Val>) -> RowMajorMatrix<Val> {
    let rows = values
        .values
        .chunks_exact(5)
        .flat_map(|r| r.iter().copied().chain([Val::ONE]))
        .collect();
    RowMajorMatrix::new(rows, 6)
}

/// A `2^log_height`-row trace of [`SumOfBytesTable`] with pseudo-random bytes, and the matching
/// [`ByteTable`] multiplicities.
pub fn bytes_traces(log_height: usize, seed: u32) -> (RowMajorMatrix<Val>, RowMajorMatrix<Val>) {
    let n = 1 << log_height;
    let mut counts = [0u32; 256];
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let mut values = Vec::with_capacity(5 * n);
    for _ in 0..n {
        let mut sum = 0;
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let byte = state % 256;
            counts[byte as usize] += 1;
            sum += byte;
            values.push(Val::from_u32(byte));
        }
        values.push(Val::from_u32(sum));
    }
    let mults = RowMajorMatrix::new_col(counts.iter().map(|&c| Val::from_u32(c)).collect());
    (RowMajorMatrix::new(values, 5), mults)
}
