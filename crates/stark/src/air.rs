//! What a table declares: its columns and constraints (through `p3-air`) and its bus interactions.
//!
//! A table is an ordinary `p3-air` AIR (`BaseAir` + `Air::eval`, base-field constraints only) plus
//! a list of [`Interaction`]s: tuples it sends to or receives from named buses, each with a
//! multiplicity. Tuples and multiplicities are symbolic expressions over the table's own columns
//! (current or next row, main or preprocessed), so one declaration serves trace generation, the
//! packed quotient, the verifier and the debug checker alike (each evaluates it with
//! [`SymbolicExpression::resolve`] on its own builder).
//!
//! Row selectors (`is_first_row`...), periodic columns and AIR public values are not allowed in
//! interactions or tables: public data enters a proof through [`PublicEndpoint`]s on buses, which
//! the verifier adds itself. [`crate::setup`] rejects tables that use them.

use alloc::vec::Vec;

use p3_air::{
    Air, BaseAir, BaseEntry, BaseLeaf, SymbolicAirBuilder, SymbolicExpr, SymbolicExpression,
    SymbolicVariable,
};

use crate::folder::VerifierFolder;
use crate::Val;

/// A bus identifier. It is part of every compressed tuple, so tuples on different buses can
/// never cancel each other.
pub type BusId = u16;

/// Whether an interaction adds its tuple to the bus (send) or takes it away (receive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Counts `+multiplicity` copies of the tuple.
    Send,
    /// Counts `-multiplicity` copies of the tuple.
    Receive,
}

/// One bus interaction of a table: on every row, `multiplicity` copies of `values` are sent to or
/// received from `bus`. A proof is only accepted when every bus balances over all tables plus the
/// public endpoints.
///
/// The balance is a field identity, so it says "sent as often as received" only modulo p. The
/// table's constraints must keep each row's multiplicity in `{0, 1}` (a boolean column, a
/// constant, a product of booleans), except on the receiving side of a lookup table whose tuples
/// are distinct (a preprocessed range or byte table), where the multiplicity is a free count. The
/// prover and verifier then bound the number of interaction terms below p
/// ([`crate::logup::check_interaction_bound`]), which turns the identity into exact counting.
#[derive(Clone, Debug)]
pub struct Interaction {
    /// The bus this interaction talks to.
    pub bus: BusId,
    /// Send or receive.
    pub direction: Direction,
    /// The tuple, one expression per element.
    pub values: Vec<SymbolicExpression<Val>>,
    /// How many copies of the tuple this row contributes (0 disables the row).
    pub multiplicity: SymbolicExpression<Val>,
}

impl Interaction {
    /// `multiplicity` copies of `values` sent to `bus` on every row.
    pub fn send(
        bus: BusId,
        values: impl IntoIterator<Item = impl Into<SymbolicExpression<Val>>>,
        multiplicity: impl Into<SymbolicExpression<Val>>,
    ) -> Self {
        Self::new(bus, Direction::Send, values, multiplicity)
    }

    /// `multiplicity` copies of `values` received from `bus` on every row.
    pub fn receive(
        bus: BusId,
        values: impl IntoIterator<Item = impl Into<SymbolicExpression<Val>>>,
        multiplicity: impl Into<SymbolicExpression<Val>>,
    ) -> Self {
        Self::new(bus, Direction::Receive, values, multiplicity)
    }

    fn new(
        bus: BusId,
        direction: Direction,
        values: impl IntoIterator<Item = impl Into<SymbolicExpression<Val>>>,
        multiplicity: impl Into<SymbolicExpression<Val>>,
    ) -> Self {
        Self {
            bus,
            direction,
            values: values.into_iter().map(Into::into).collect(),
            multiplicity: multiplicity.into(),
        }
    }

    /// Degree (in trace polynomials) of the compressed tuple: the largest degree of its values.
    pub fn tuple_degree(&self) -> usize {
        self.values
            .iter()
            .map(SymbolicExpression::degree_multiple)
            .max()
            .unwrap_or(0)
    }

    /// Degree (in trace polynomials) of the multiplicity.
    pub fn multiplicity_degree(&self) -> usize {
        self.multiplicity.degree_multiple()
    }
}

/// Symbolic variables for the current row of a table's main trace, for writing interactions
/// (`main_row(WIDTH)[3]` is column 3). Borrow them as a typed column struct if the table has one.
pub fn main_row(width: usize) -> Vec<SymbolicVariable<Val>> {
    row(BaseEntry::Main { offset: 0 }, width)
}

/// Symbolic variables for the next row of a table's main trace.
pub fn main_next_row(width: usize) -> Vec<SymbolicVariable<Val>> {
    row(BaseEntry::Main { offset: 1 }, width)
}

/// Symbolic variables for the current row of a table's preprocessed trace.
pub fn preprocessed_row(width: usize) -> Vec<SymbolicVariable<Val>> {
    row(BaseEntry::Preprocessed { offset: 0 }, width)
}

fn row(entry: BaseEntry, width: usize) -> Vec<SymbolicVariable<Val>> {
    (0..width)
        .map(|index| SymbolicVariable::new(entry, index))
        .collect()
}

/// A table of the proof system, as the verifier needs it: the AIR (constraints over its main and
/// optional preprocessed columns, via `p3-air`) and its bus interactions.
///
/// Implement `Air<AB>` generically (`impl<AB: AirBuilder> Air<AB> for MyTable`) and this trait;
/// the prover-side bounds ([`crate::ProverTable`]) then hold automatically.
pub trait Table:
    BaseAir<Val> + Air<SymbolicAirBuilder<Val>> + for<'a> Air<VerifierFolder<'a>> + Sync
{
    /// A short name for error messages and debug reports.
    fn name(&self) -> &str;

    /// The bus interactions of one row. Called at setup, proving and verification; must return
    /// the same list every time.
    fn interactions(&self) -> Vec<Interaction> {
        Vec::new()
    }

    /// Whether a proof may leave this table out when it has no rows ([`crate::proof::NO_ROWS`]):
    /// it is then in no commitment and its constraints are not checked. Say yes only for a table
    /// without preprocessed columns whose rows are independent uses of the buses, with no
    /// obligation of its own (no first- or last-row constraint that forces a bus term): an absent
    /// table then means exactly what a table of padding rows means, nothing on any bus. Part of
    /// the verifying key.
    fn may_be_empty(&self) -> bool {
        false
    }
}

/// A term the verifier adds to a bus itself: `multiplicity` copies of a public tuple (public
/// output bytes, program inputs...). A send has a positive multiplicity, a receive a negative one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicEndpoint {
    /// The bus the tuple is added to.
    pub bus: BusId,
    /// The public tuple.
    pub values: Vec<Val>,
    /// Signed multiplicity (`+m` sends, `-m` receives).
    pub multiplicity: Val,
}

impl PublicEndpoint {
    /// The verifier sends `multiplicity` copies of `values` on `bus`.
    pub fn send(bus: BusId, values: Vec<Val>, multiplicity: Val) -> Self {
        Self {
            bus,
            values,
            multiplicity,
        }
    }

    /// The verifier receives `multiplicity` copies of `values` from `bus`.
    pub fn receive(bus: BusId, values: Vec<Val>, multiplicity: Val) -> Self {
        Self {
            bus,
            values,
            multiplicity: -multiplicity,
        }
    }
}

/// Checks that an interaction only reads the table's own columns (current or next row, within
/// the widths) and constants: no row selectors, public values or periodic columns, whose values
/// on the trace domain the LogUp columns could not reproduce; and that its tuple has at most
/// [`crate::logup::MAX_TUPLE_LEN`] elements (the LogUp soundness error grows with it).
pub(crate) fn validate_interaction(
    interaction: &Interaction,
    main_width: usize,
    preprocessed_width: usize,
) -> Result<(), &'static str> {
    if interaction.values.len() > crate::logup::MAX_TUPLE_LEN {
        return Err("interaction tuple longer than 32 elements");
    }
    for expr in interaction.values.iter().chain([&interaction.multiplicity]) {
        validate_expression(expr, main_width, preprocessed_width)?;
    }
    Ok(())
}

fn validate_expression(
    expr: &SymbolicExpression<Val>,
    main_width: usize,
    preprocessed_width: usize,
) -> Result<(), &'static str> {
    match expr {
        SymbolicExpr::Leaf(BaseLeaf::Constant(_)) => Ok(()),
        SymbolicExpr::Leaf(BaseLeaf::Variable(v)) => match v.entry {
            BaseEntry::Main { offset } if offset <= 1 && v.index < main_width => Ok(()),
            BaseEntry::Preprocessed { offset } if offset <= 1 && v.index < preprocessed_width => {
                Ok(())
            }
            BaseEntry::Main { .. } | BaseEntry::Preprocessed { .. } => {
                Err("interaction reads a column outside the table")
            }
            BaseEntry::Public | BaseEntry::Periodic => {
                Err("interaction reads a public value or periodic column")
            }
        },
        SymbolicExpr::Leaf(_) => Err("interaction uses a row selector"),
        SymbolicExpr::Add { x, y, .. }
        | SymbolicExpr::Sub { x, y, .. }
        | SymbolicExpr::Mul { x, y, .. } => {
            validate_expression(x, main_width, preprocessed_width)?;
            validate_expression(y, main_width, preprocessed_width)
        }
        SymbolicExpr::Neg { x, .. } => validate_expression(x, main_width, preprocessed_width),
    }
}
