//! How a table declares its bus interactions: in its `eval`, next to its constraints.
//!
//! A table writes its constraints *and* its sends/receives in one `Air::eval`, generic over
//! [`BusBuilder`], so a gadget's constraints and its bus traffic live in one function and cannot
//! drift apart. Each builder does what its user needs with the interactions:
//!
//! - [`InteractionCollector`] ignores the constraints and records the interactions as symbolic
//!   expressions: that is [`crate::Table::interactions`], which setup (shapes, LogUp packing) and
//!   the prover (LogUp trace, quotient) use;
//! - the [`crate::VerifierFolder`] evaluates them at the out-of-domain point while it folds the
//!   constraints, so the verifier never builds a symbolic expression (it runs in the recursion
//!   guest, where allocating expression trees per table per proof would cost millions of cycles);
//! - the other builders (symbolic constraint counting, the packed prover folder, the row
//!   evaluator of the debug checker) ignore them.

use alloc::vec::Vec;

use p3_air::{Air, AirBuilder, AirLayout, BaseAir, SymbolicAirBuilder, SymbolicExpression};

use crate::air::{BusId, Direction, Interaction};
use crate::Val;

/// An `AirBuilder` on which a table can also send and receive bus tuples.
///
/// The default methods ignore the interaction; builders that need interactions override them.
pub trait BusBuilder: AirBuilder<F = Val> {
    /// Adds `multiplicity` copies of `values` to `bus` (this row sends).
    fn send<I, E>(&mut self, bus: BusId, values: I, multiplicity: impl Into<Self::Expr>)
    where
        I: IntoIterator<Item = E>,
        E: Into<Self::Expr>,
    {
        let _ = (bus, values, multiplicity);
    }

    /// Takes `multiplicity` copies of `values` from `bus` (this row receives).
    fn receive<I, E>(&mut self, bus: BusId, values: I, multiplicity: impl Into<Self::Expr>)
    where
        I: IntoIterator<Item = E>,
        E: Into<Self::Expr>,
    {
        let _ = (bus, values, multiplicity);
    }
}

impl BusBuilder for SymbolicAirBuilder<Val> {}

/// Runs a table's `eval` symbolically and keeps its interactions (and nothing else).
pub struct InteractionCollector {
    inner: SymbolicAirBuilder<Val>,
    interactions: Vec<Interaction>,
}

impl AirBuilder for InteractionCollector {
    type F = Val;
    type Expr = SymbolicExpression<Val>;
    type Var = <SymbolicAirBuilder<Val> as AirBuilder>::Var;
    type PreprocessedWindow = <SymbolicAirBuilder<Val> as AirBuilder>::PreprocessedWindow;
    type MainWindow = <SymbolicAirBuilder<Val> as AirBuilder>::MainWindow;
    type PublicVar = <SymbolicAirBuilder<Val> as AirBuilder>::PublicVar;
    type PeriodicVar = <SymbolicAirBuilder<Val> as AirBuilder>::PeriodicVar;

    fn main(&self) -> Self::MainWindow {
        self.inner.main()
    }

    fn preprocessed(&self) -> &Self::PreprocessedWindow {
        self.inner.preprocessed()
    }

    fn is_first_row(&self) -> Self::Expr {
        self.inner.is_first_row()
    }

    fn is_last_row(&self) -> Self::Expr {
        self.inner.is_last_row()
    }

    fn is_transition(&self) -> Self::Expr {
        self.inner.is_transition()
    }

    fn assert_zero<I: Into<Self::Expr>>(&mut self, _x: I) {}
}

impl BusBuilder for InteractionCollector {
    fn send<I, E>(&mut self, bus: BusId, values: I, multiplicity: impl Into<Self::Expr>)
    where
        I: IntoIterator<Item = E>,
        E: Into<Self::Expr>,
    {
        self.interactions
            .push(Interaction::send(bus, values, multiplicity.into()));
    }

    fn receive<I, E>(&mut self, bus: BusId, values: I, multiplicity: impl Into<Self::Expr>)
    where
        I: IntoIterator<Item = E>,
        E: Into<Self::Expr>,
    {
        self.interactions
            .push(Interaction::receive(bus, values, multiplicity.into()));
    }
}

/// The interactions `table`'s `eval` declares, in declaration order (what
/// [`crate::Table::interactions`] returns).
pub fn collect_interactions<A>(table: &A) -> Vec<Interaction>
where
    A: BaseAir<Val> + Air<InteractionCollector> + ?Sized,
{
    let layout = AirLayout {
        preprocessed_width: table.preprocessed_width(),
        main_width: table.width(),
        ..AirLayout::default()
    };
    let mut collector = InteractionCollector {
        inner: SymbolicAirBuilder::new(layout),
        interactions: Vec::new(),
    };
    table.eval(&mut collector);
    collector.interactions
}

/// One interaction as the verifier evaluated it at the out-of-domain point: its shape (checked
/// against the key) and its LogUp term `signed multiplicity / fingerprint`.
#[derive(Clone, Copy, Debug)]
pub struct EvaluatedInteraction<EF> {
    /// The bus.
    pub bus: BusId,
    /// Send or receive.
    pub direction: Direction,
    /// Number of tuple elements.
    pub tuple_len: usize,
    /// The multiplicity, negated for a receive.
    pub signed_multiplicity: EF,
    /// `gamma - (bus + sum_j beta^(j+1) v_j)`.
    pub fingerprint: EF,
}
