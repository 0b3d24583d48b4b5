//! Constraint folders: the `p3-air` builders that evaluate a table's constraints, one for the
//! verifier (scalars at the out-of-domain point `zeta`) and, with `std`, a packed one for the
//! prover (SIMD lanes of the quotient coset). Both fold constraints in the same order with the
//! same powers of `alpha`: the table's AIR constraints in `eval` order, then its LogUp columns.

use alloc::vec::Vec;

use droste_pcs::ext::PrecompiledExt;
use p3_air::{AirBuilder, RowWindow};

use crate::air::Direction;
use crate::bus_builder::{BusBuilder, EvaluatedInteraction};
use crate::logup::{signed, BusChallenges};
use crate::{BusId, Challenge, Val};

/// Evaluates constraints at one point from opened values and folds them with `alpha`
/// (`acc = acc * alpha + c` per constraint), and evaluates the bus interactions the table
/// declares in the same `eval` (their LogUp terms at that point, in declaration order).
///
/// Its expressions are [`PrecompiledExt`]: every extension product an AIR writes is
/// [`droste_pcs::ext::mul`], one EXT_COMBINE call when the recursion guest verifies.
#[derive(Debug)]
pub struct VerifierFolder<'a> {
    pub(crate) main: RowWindow<'a, PrecompiledExt>,
    pub(crate) preprocessed: RowWindow<'a, PrecompiledExt>,
    pub(crate) is_first_row: Challenge,
    pub(crate) is_last_row: Challenge,
    pub(crate) is_transition: Challenge,
    pub(crate) alpha: Challenge,
    pub(crate) accumulator: Challenge,
    pub(crate) challenges: &'a BusChallenges,
    pub(crate) interactions: Vec<EvaluatedInteraction<Challenge>>,
}

impl VerifierFolder<'_> {
    fn interact<I, E>(
        &mut self,
        bus: BusId,
        direction: Direction,
        values: I,
        multiplicity: Challenge,
    ) where
        I: IntoIterator<Item = E>,
        E: Into<PrecompiledExt>,
    {
        let (fingerprint, tuple_len) = self
            .challenges
            .fingerprint_and_len(bus, values.into_iter().map(|v| v.into().0));
        self.interactions.push(EvaluatedInteraction {
            bus,
            direction,
            tuple_len,
            signed_multiplicity: signed(direction, multiplicity),
            fingerprint,
        });
    }
}

impl BusBuilder for VerifierFolder<'_> {
    fn send<I, E>(&mut self, bus: BusId, values: I, multiplicity: impl Into<PrecompiledExt>)
    where
        I: IntoIterator<Item = E>,
        E: Into<PrecompiledExt>,
    {
        self.interact(bus, Direction::Send, values, multiplicity.into().0);
    }

    fn receive<I, E>(&mut self, bus: BusId, values: I, multiplicity: impl Into<PrecompiledExt>)
    where
        I: IntoIterator<Item = E>,
        E: Into<PrecompiledExt>,
    {
        self.interact(bus, Direction::Receive, values, multiplicity.into().0);
    }
}

impl VerifierFolder<'_> {
    /// Folds one extension-field constraint (used for the LogUp columns).
    pub(crate) fn fold(&mut self, constraint: Challenge) {
        self.accumulator = droste_pcs::ext::mul(self.accumulator, self.alpha) + constraint;
    }
}

impl<'a> AirBuilder for VerifierFolder<'a> {
    type F = Val;
    type Expr = PrecompiledExt;
    type Var = PrecompiledExt;
    type PreprocessedWindow = RowWindow<'a, PrecompiledExt>;
    type MainWindow = RowWindow<'a, PrecompiledExt>;
    type PublicVar = Val;
    type PeriodicVar = PrecompiledExt;

    fn main(&self) -> Self::MainWindow {
        self.main
    }

    fn preprocessed(&self) -> &Self::PreprocessedWindow {
        &self.preprocessed
    }

    fn is_first_row(&self) -> Self::Expr {
        PrecompiledExt(self.is_first_row)
    }

    fn is_last_row(&self) -> Self::Expr {
        PrecompiledExt(self.is_last_row)
    }

    fn is_transition(&self) -> Self::Expr {
        PrecompiledExt(self.is_transition)
    }

    fn assert_zero<I: Into<Self::Expr>>(&mut self, x: I) {
        self.fold(x.into().0);
    }
}

pub use prover::ProverFolder;

mod prover {
    use super::*;
    use crate::{PackedChallenge, PackedVal};
    use alloc::vec::Vec;
    use p3_field::{Algebra, BasedVectorSpace};

    /// Evaluates a table's AIR constraints on `PackedVal::WIDTH` points of the quotient coset at
    /// once and collects them; [`ProverFolder::fold`] then combines them with the powers of
    /// `alpha`, split into base-field coordinates so the sum is a few packed dot products.
    #[derive(Debug)]
    pub struct ProverFolder<'a> {
        pub(crate) main: RowWindow<'a, PackedVal>,
        pub(crate) preprocessed: RowWindow<'a, PackedVal>,
        pub(crate) is_first_row: PackedVal,
        pub(crate) is_last_row: PackedVal,
        pub(crate) is_transition: PackedVal,
        pub(crate) constraints: Vec<PackedVal>,
    }

    impl ProverFolder<'_> {
        /// `sum_i alpha_powers[i] * constraints[i]`, with `base_alpha_powers[d][i]` the `d`-th
        /// coordinate of the power of `alpha` that weighs AIR constraint `i`.
        #[inline]
        pub fn fold(&self, base_alpha_powers: &[Vec<Val>]) -> PackedChallenge {
            PackedChallenge::from_basis_coefficients_fn(|d| {
                PackedVal::batched_linear_combination(&self.constraints, &base_alpha_powers[d])
            })
        }
    }

    impl crate::BusBuilder for ProverFolder<'_> {}

    impl<'a> AirBuilder for ProverFolder<'a> {
        type F = Val;
        type Expr = PackedVal;
        type Var = PackedVal;
        type PreprocessedWindow = RowWindow<'a, PackedVal>;
        type MainWindow = RowWindow<'a, PackedVal>;
        type PublicVar = Val;
        type PeriodicVar = PackedVal;

        #[inline]
        fn main(&self) -> Self::MainWindow {
            self.main
        }

        #[inline]
        fn preprocessed(&self) -> &Self::PreprocessedWindow {
            &self.preprocessed
        }

        #[inline]
        fn is_first_row(&self) -> Self::Expr {
            self.is_first_row
        }

        #[inline]
        fn is_last_row(&self) -> Self::Expr {
            self.is_last_row
        }

        #[inline]
        fn is_transition(&self) -> Self::Expr {
            self.is_transition
        }

        #[inline]
        fn assert_zero<I: Into<Self::Expr>>(&mut self, x: I) {
            self.constraints.push(x.into());
        }

        #[inline]
        fn assert_zeros<const N: usize, I: Into<Self::Expr>>(&mut self, array: [I; N]) {
            self.constraints.extend(array.map(Into::into));
        }
    }
}
