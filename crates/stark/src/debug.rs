//! The debug constraint checker: evaluates every table's AIR constraints on every row of its
//! trace and tallies every bus, reporting the first failing constraint (table, row, index) or an
//! unbalanced bus tuple in plain terms. Proving a bad witness only yields "FRI rejected the
//! quotient" at verification; this says where the witness is wrong. Slow (scalar, per row):
//! for tests and for developing AIRs.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use p3_air::{Air, BaseAir};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

use crate::air::PublicEndpoint;
use crate::logup::signed;
use crate::row_eval::RowEvaluator;
use crate::{BusId, ProverTable, Val};

/// Why a witness does not satisfy its tables.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConstraintViolation {
    /// The number of traces differs from the number of tables.
    #[error("{traces} traces given for {tables} tables")]
    TraceCount {
        /// Number of tables.
        tables: usize,
        /// Number of traces.
        traces: usize,
    },
    /// A trace has the wrong width or a height that is not a power of two.
    #[error("table {table}: trace is {width} wide and {height} high, expected width {expected_width} and a power-of-two height")]
    Shape {
        /// Table name.
        table: String,
        /// Trace width.
        width: usize,
        /// Trace height.
        height: usize,
        /// The table's width.
        expected_width: usize,
    },
    /// The preprocessed trace does not have the main trace's height.
    #[error("table {table}: preprocessed trace has {preprocessed} rows, main trace {main}")]
    PreprocessedHeight {
        /// Table name.
        table: String,
        /// Preprocessed height.
        preprocessed: usize,
        /// Main height.
        main: usize,
    },
    /// An AIR constraint is not zero.
    #[error("table {table}: constraint #{constraint} fails on row {row}")]
    Constraint {
        /// Table name.
        table: String,
        /// Row index.
        row: usize,
        /// Index of the constraint in `eval` order.
        constraint: usize,
    },
    /// A tuple is sent and received a different number of times over all tables and endpoints.
    #[error("bus {bus}: tuple {values:?} is unbalanced by {net} (sends minus receives)")]
    Unbalanced {
        /// Bus id.
        bus: BusId,
        /// The tuple (canonical values).
        values: Vec<u32>,
        /// Net multiplicity (canonical value; `p - k` means k more receives than sends).
        net: u32,
    },
}

/// Checks every AIR constraint on every row and the balance of every bus. `traces[i]` is the
/// main trace of `tables[i]` (no rows for a table left out, if it may be); preprocessed traces
/// come from the tables themselves.
pub fn check_constraints(
    tables: &[&dyn ProverTable],
    traces: &[RowMajorMatrix<Val>],
    endpoints: &[PublicEndpoint],
) -> Result<(), ConstraintViolation> {
    if tables.len() != traces.len() {
        return Err(ConstraintViolation::TraceCount {
            tables: tables.len(),
            traces: traces.len(),
        });
    }
    let mut bus_totals: BTreeMap<(BusId, Vec<u32>), Val> = BTreeMap::new();
    for endpoint in endpoints {
        let key = (endpoint.bus, canonical(&endpoint.values));
        *bus_totals.entry(key).or_insert(Val::ZERO) += endpoint.multiplicity;
    }
    for (&table, trace) in tables.iter().zip(traces) {
        let name = || table.name().to_string();
        let height = trace.height();
        let left_out = height == 0 && table.may_be_empty();
        if trace.width() != BaseAir::<Val>::width(table) || !(height.is_power_of_two() || left_out)
        {
            return Err(ConstraintViolation::Shape {
                table: name(),
                width: trace.width(),
                height,
                expected_width: BaseAir::<Val>::width(table),
            });
        }
        let preprocessed = BaseAir::<Val>::preprocessed_trace(table);
        if let Some(p) = preprocessed.as_ref().filter(|p| p.height() != height) {
            return Err(ConstraintViolation::PreprocessedHeight {
                table: name(),
                preprocessed: p.height(),
                main: height,
            });
        }
        let interactions = table.interactions();
        for row in 0..height {
            let mut eval = RowEvaluator::at(trace, preprocessed.as_ref(), row);
            Air::<RowEvaluator<'_>>::eval(table, &mut eval);
            if let Some(&constraint) = eval.failures.first() {
                return Err(ConstraintViolation::Constraint {
                    table: name(),
                    row,
                    constraint,
                });
            }
            for interaction in &interactions {
                let m = signed(
                    interaction.direction,
                    interaction.multiplicity.resolve(&eval),
                );
                if m.is_zero() {
                    continue;
                }
                let values: Vec<Val> = interaction
                    .values
                    .iter()
                    .map(|v| v.resolve(&eval))
                    .collect();
                *bus_totals
                    .entry((interaction.bus, canonical(&values)))
                    .or_insert(Val::ZERO) += m;
            }
        }
    }
    match bus_totals.into_iter().find(|(_, net)| !net.is_zero()) {
        Some(((bus, values), net)) => Err(ConstraintViolation::Unbalanced {
            bus,
            values,
            net: net.as_canonical_u32(),
        }),
        None => Ok(()),
    }
}

fn canonical(values: &[Val]) -> Vec<u32> {
    values.iter().map(PrimeField32::as_canonical_u32).collect()
}
