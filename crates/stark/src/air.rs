//! What a table declares: its columns and constraints (through `p3-air`) and its bus interactions.
//!
//! A table is an ordinary `p3-air` AIR (`BaseAir` + `Air::eval`, base-field constraints only)
//! whose `eval` also declares its [`Interaction`]s with [`crate::BusBuilder::send`] /
//! [`crate::BusBuilder::receive`]: tuples it sends to or receives from named buses, each with a
//! multiplicity, expressions over the table's own columns (current or next row, main or
//! preprocessed). So one declaration serves setup, trace generation, the packed quotient, the
//! verifier and the debug checker alike: [`Table::interactions`] collects them as symbolic
//! expressions, and the verifier evaluates them directly at the out-of-domain point
//! (`crate::bus_builder` says why).
//!
//! Row selectors (`is_first_row`...), periodic columns and AIR public values are not allowed in
//! interactions or tables: public data enters a proof through [`PublicEndpoint`]s on buses, which
//! the verifier adds itself. [`crate::setup`] rejects tables that use them.

use alloc::vec::Vec;

use p3_air::{Air, BaseAir, SymbolicAirBuilder, SymbolicExpression};
#[cfg(feature = "std")]
use p3_air::{BaseEntry, BaseLeaf, SymbolicExpr};

use crate::bus_builder::{collect_interactions, InteractionCollector};
use crate::folder::{ProverFolder, VerifierFolder};
use crate::row_eval::RowEvaluator;
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

/// A table of the proof system, as the verifier needs it: the AIR (constraints over its main and
/// optional preprocessed columns, via `p3-air`) with its bus interactions declared in `eval`.
///
/// Implement `Air<AB>` generically (`impl<AB: BusBuilder> Air<AB> for MyTable`) and this trait;
/// the prover-side bounds ([`crate::ProverTable`]) then hold automatically.
pub trait Table:
    BaseAir<Val>
    + Air<SymbolicAirBuilder<Val>>
    + Air<InteractionCollector>
    + for<'a> Air<VerifierFolder<'a>>
    + Sync
{
    /// A short name for error messages and debug reports.
    fn name(&self) -> &str;

    /// The bus interactions of one row, as `eval` declares them, in declaration order.
    fn interactions(&self) -> Vec<Interaction> {
        collect_interactions(self)
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

/// A table the prover can handle: a [`Table`] whose AIR also evaluates on the packed quotient
/// folder and on concrete rows. Implemented automatically for tables whose `Air` impl is generic
/// over the builder.
pub trait ProverTable:
    Table + for<'a> Air<ProverFolder<'a>> + for<'a> Air<RowEvaluator<'a>>
{
    /// The table as the verifier sees it.
    fn as_table(&self) -> &dyn Table;
}

impl<T> ProverTable for T
where
    T: Table + for<'a> Air<ProverFolder<'a>> + for<'a> Air<RowEvaluator<'a>>,
{
    fn as_table(&self) -> &dyn Table {
        self
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
/// [`crate::logup::MAX_TUPLE_LEN`] elements (the LogUp soundness error grows with it). Setup
/// checks this once per table; the verifier runs the same `eval` code and checks the shapes it
/// declares against the key.
#[cfg(feature = "std")]
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

#[cfg(feature = "std")]
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
