//! Evaluating a table on one concrete row of its trace: for the LogUp trace (interaction
//! expressions), the debug checker and setup's check that all-zero rows are valid padding.

use alloc::vec::Vec;

use p3_air::{AirBuilder, RowWindow};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

use crate::Val;

/// Evaluates a table on one concrete row pair (current, next; the last row wraps to the first)
/// of its trace, in the base field: interaction expressions for the auxiliary trace, and AIR
/// constraints for the debug checker, which records the index of every constraint that is not
/// zero. Row selectors evaluate to their 0/1 values on the trace domain.
#[derive(Debug)]
pub struct RowEvaluator<'a> {
    main: RowWindow<'a, Val>,
    preprocessed: RowWindow<'a, Val>,
    row: usize,
    height: usize,
    next_constraint: usize,
    pub(crate) failures: Vec<usize>,
}

impl<'a> RowEvaluator<'a> {
    /// The window of row `row` (and its cyclic successor) of `main` and `preprocessed`.
    pub fn at(
        main: &'a RowMajorMatrix<Val>,
        preprocessed: Option<&'a RowMajorMatrix<Val>>,
        row: usize,
    ) -> Self {
        let height = main.height();
        let next = (row + 1) % height;
        let window = |m: &'a RowMajorMatrix<Val>| {
            let w = m.width;
            RowWindow::from_two_rows(
                &m.values[row * w..(row + 1) * w],
                &m.values[next * w..(next + 1) * w],
            )
        };
        Self {
            main: window(main),
            preprocessed: preprocessed.map_or(RowWindow::from_two_rows(&[], &[]), window),
            row,
            height,
            next_constraint: 0,
            failures: Vec::new(),
        }
    }
}

impl crate::BusBuilder for RowEvaluator<'_> {}

impl<'a> AirBuilder for RowEvaluator<'a> {
    type F = Val;
    type Expr = Val;
    type Var = Val;
    type PreprocessedWindow = RowWindow<'a, Val>;
    type MainWindow = RowWindow<'a, Val>;
    type PublicVar = Val;
    type PeriodicVar = Val;

    fn main(&self) -> Self::MainWindow {
        self.main
    }

    fn preprocessed(&self) -> &Self::PreprocessedWindow {
        &self.preprocessed
    }

    fn is_first_row(&self) -> Val {
        Val::from_bool(self.row == 0)
    }

    fn is_last_row(&self) -> Val {
        Val::from_bool(self.row + 1 == self.height)
    }

    fn is_transition(&self) -> Val {
        Val::from_bool(self.row + 1 != self.height)
    }

    fn assert_zero<I: Into<Val>>(&mut self, x: I) {
        if !x.into().is_zero() {
            self.failures.push(self.next_constraint);
        }
        self.next_constraint += 1;
    }
}
