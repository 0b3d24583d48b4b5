//! The benchmark AIRs, with identical constraints on both sides. Both Plonky3's lookup API and
//! droste declare bus messages inside `eval`, through different builder traits
//! (`InteractionBuilder`, `BusBuilder`), so the lookup AIRs come in two thin wrappers around
//! shared constraint code.

use droste_stark::{BusBuilder, Table, Val};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder, LookupBus};
use p3_matrix::dense::RowMajorMatrix;

/// Case (a): `WIDE_FIB_COLUMNS / 2` independent Fibonacci pairs,
/// `(a_i, b_i)' = (b_i, a_i + b_i)` from `(a_i, b_i) = (i, 1)`.
pub const WIDE_FIB_COLUMNS: usize = 32;

#[derive(Clone, Copy)]
pub struct WideFib;

impl BaseAir<Val> for WideFib {
    fn width(&self) -> usize {
        WIDE_FIB_COLUMNS
    }
}

impl<AB: AirBuilder<F = Val>> Air<AB> for WideFib {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        for i in 0..WIDE_FIB_COLUMNS / 2 {
            let (a, b) = (local[2 * i], local[2 * i + 1]);
            builder
                .when_first_row()
                .assert_eq(a, AB::Expr::from_usize(i));
            builder.when_first_row().assert_one(b);
            builder.when_transition().assert_eq(next[2 * i], b);
            builder.when_transition().assert_eq(next[2 * i + 1], a + b);
        }
    }
}

impl Table for WideFib {
    fn name(&self) -> &str {
        "wide-fibonacci"
    }
}

pub fn wide_fib_trace(log_rows: usize) -> RowMajorMatrix<Val> {
    let n = 1 << log_rows;
    let mut values = Val::zero_vec(n * WIDE_FIB_COLUMNS);
    for i in 0..WIDE_FIB_COLUMNS / 2 {
        let (mut a, mut b) = (Val::from_usize(i), Val::ONE);
        for row in 0..n {
            values[row * WIDE_FIB_COLUMNS + 2 * i] = a;
            values[row * WIDE_FIB_COLUMNS + 2 * i + 1] = b;
            (a, b) = (b, a + b);
        }
    }
    RowMajorMatrix::new(values, WIDE_FIB_COLUMNS)
}

/// Case (b): 16 columns, `LIMBS` of them range-checked limbs `v_j`, the others their products
/// `w_j = v_j * v_(j+1 mod LIMBS)`.
pub const LIMBS: usize = 8;
pub const LIMB_COLUMNS: usize = 2 * LIMBS;
/// Bus id / name of the range checks.
pub const RANGE_BUS_ID: u16 = 7;
pub const RANGE_BUS: LookupBus<'static> = LookupBus::new("range");

fn eval_limbs<AB: AirBuilder>(builder: &mut AB) {
    let main = builder.main();
    let row = main.current_slice();
    for j in 0..LIMBS {
        builder.assert_eq(row[LIMBS + j], row[j] * row[(j + 1) % LIMBS]);
    }
}

/// The limb table for droste.
#[derive(Clone, Copy)]
pub struct Limbs;

impl BaseAir<Val> for Limbs {
    fn width(&self) -> usize {
        LIMB_COLUMNS
    }
}

impl<AB: BusBuilder> Air<AB> for Limbs {
    fn eval(&self, builder: &mut AB) {
        eval_limbs(builder);
        let main = builder.main();
        for &limb in &main.current_slice()[..LIMBS] {
            builder.send(RANGE_BUS_ID, [limb], AB::Expr::ONE);
        }
    }
}

impl Table for Limbs {
    fn name(&self) -> &str {
        "limbs"
    }
}

/// The range table for droste: preprocessed `0..2^bits`, main = multiplicities.
#[derive(Clone, Copy)]
pub struct Range {
    pub bits: usize,
}

fn range_values(bits: usize) -> RowMajorMatrix<Val> {
    RowMajorMatrix::new_col((0..1u32 << bits).map(Val::from_u32).collect())
}

impl BaseAir<Val> for Range {
    fn width(&self) -> usize {
        1
    }
    fn preprocessed_width(&self) -> usize {
        1
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        Some(range_values(self.bits))
    }
}

impl<AB: BusBuilder> Air<AB> for Range {
    fn eval(&self, builder: &mut AB) {
        let value = builder.preprocessed().current_slice()[0];
        let count = builder.main().current_slice()[0];
        builder.receive(RANGE_BUS_ID, [value], count);
    }
}

impl Table for Range {
    fn name(&self) -> &str {
        "range"
    }
}

/// Limb trace with pseudo-random `bits`-bit limbs, and the range table's multiplicities.
pub fn limb_traces(log_rows: usize, bits: usize) -> (RowMajorMatrix<Val>, RowMajorMatrix<Val>) {
    let n = 1 << log_rows;
    let mut counts = vec![0u32; 1 << bits];
    let mut values = Val::zero_vec(n * LIMB_COLUMNS);
    let mut state = 0x9E37_79B9u32;
    for row in values.chunks_exact_mut(LIMB_COLUMNS) {
        let mut limbs = [0u32; LIMBS];
        for limb in &mut limbs {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            *limb = state & ((1 << bits) - 1);
            counts[*limb as usize] += 1;
        }
        for j in 0..LIMBS {
            row[j] = Val::from_u32(limbs[j]);
            row[LIMBS + j] = Val::from_u32(limbs[j]) * Val::from_u32(limbs[(j + 1) % LIMBS]);
        }
    }
    let mults = RowMajorMatrix::new_col(counts.into_iter().map(Val::from_u32).collect());
    (RowMajorMatrix::new(values, LIMB_COLUMNS), mults)
}

/// Both tables of case (b) for Plonky3's batch prover (one AIR type per batch).
#[derive(Clone, Copy)]
pub enum P3LookupAir {
    Limbs,
    Range { bits: usize },
}

impl BaseAir<Val> for P3LookupAir {
    fn width(&self) -> usize {
        match self {
            Self::Limbs => LIMB_COLUMNS,
            Self::Range { .. } => 1,
        }
    }
    fn preprocessed_width(&self) -> usize {
        match self {
            Self::Limbs => 0,
            Self::Range { .. } => 1,
        }
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        match self {
            Self::Limbs => None,
            Self::Range { bits } => Some(range_values(*bits)),
        }
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for P3LookupAir {
    fn eval(&self, builder: &mut AB) {
        match self {
            Self::Limbs => {
                eval_limbs(builder);
                let main = builder.main();
                let row = main.current_slice().to_vec();
                for &limb in &row[..LIMBS] {
                    RANGE_BUS.lookup_key(builder, [limb], Count::from(1));
                }
            }
            Self::Range { .. } => {
                let value = builder.preprocessed().current_slice()[0];
                let mult = builder.main().current_slice()[0];
                RANGE_BUS.table_entry(builder, [value], mult);
            }
        }
    }
}
