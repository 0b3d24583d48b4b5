//! Interaction expressions compiled for evaluation on every row of a trace.
//!
//! The LogUp round evaluates every interaction's tuple and multiplicity on every row. Walking the
//! `p3-air` expression tree for each of them was most of that round's trace work, yet nearly all
//! of them are affine in the row's cells (a column, a column plus a constant, a small linear
//! combination): those become a constant and a list of `(cell, coefficient)` terms, and only the
//! others keep the tree walk.

use alloc::vec;
use alloc::vec::Vec;

use p3_air::{BaseEntry, BaseLeaf, SymbolicExpr, SymbolicExpression};
use p3_field::PrimeCharacteristicRing;

use crate::row_eval::RowEvaluator;
use crate::Val;

/// A cell of the two-row window an expression reads.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cell {
    Main { index: usize, next: bool },
    Preprocessed { index: usize, next: bool },
}

/// The rows an expression is evaluated on: main and preprocessed, current and next.
pub(crate) struct Window<'a> {
    pub main: &'a [Val],
    pub main_next: &'a [Val],
    pub preprocessed: &'a [Val],
    pub preprocessed_next: &'a [Val],
}

/// One compiled expression.
#[derive(Clone, Debug)]
pub(crate) enum RowExpr {
    /// `constant + sum coefficient * cell`.
    Affine {
        constant: Val,
        terms: Vec<(Cell, Val)>,
    },
    /// Anything else, walked as a tree on a [`RowEvaluator`].
    Tree(SymbolicExpression<Val>),
}

impl RowExpr {
    /// Compiles `expr`, as an affine combination when it is one.
    pub fn compile(expr: &SymbolicExpression<Val>) -> Self {
        match affine(expr) {
            Some((constant, terms)) => Self::Affine { constant, terms },
            None => Self::Tree(expr.clone()),
        }
    }

    /// Whether evaluating it needs a [`RowEvaluator`].
    pub fn is_tree(&self) -> bool {
        matches!(self, Self::Tree(_))
    }

    /// The value on `window`; `tree` is the same rows as an evaluator, required by trees only.
    #[inline]
    pub fn eval(&self, window: &Window<'_>, tree: Option<&RowEvaluator<'_>>) -> Val {
        match self {
            Self::Affine { constant, terms } => {
                terms.iter().fold(*constant, |acc, &(cell, coefficient)| {
                    let value = match cell {
                        Cell::Main { index, next: false } => window.main[index],
                        Cell::Main { index, next: true } => window.main_next[index],
                        Cell::Preprocessed { index, next: false } => window.preprocessed[index],
                        Cell::Preprocessed { index, next: true } => window.preprocessed_next[index],
                    };
                    acc + coefficient * value
                })
            }
            Self::Tree(expr) => expr.resolve(tree.expect("tree expressions get an evaluator")),
        }
    }
}

/// `expr` as `constant + sum coefficient * cell`, or `None` if it is not affine in the cells
/// (a product of two non-constant parts, a row selector, or another kind of entry).
fn affine(expr: &SymbolicExpression<Val>) -> Option<(Val, Vec<(Cell, Val)>)> {
    let scaled = |(c, terms): (Val, Vec<(Cell, Val)>), by: Val| {
        (
            c * by,
            terms.into_iter().map(|(cell, k)| (cell, k * by)).collect(),
        )
    };
    match expr {
        SymbolicExpr::Leaf(BaseLeaf::Constant(c)) => Some((*c, Vec::new())),
        SymbolicExpr::Leaf(BaseLeaf::Variable(v)) => {
            let cell = match v.entry {
                BaseEntry::Main { offset } if offset <= 1 => Cell::Main {
                    index: v.index,
                    next: offset == 1,
                },
                BaseEntry::Preprocessed { offset } if offset <= 1 => Cell::Preprocessed {
                    index: v.index,
                    next: offset == 1,
                },
                _ => return None,
            };
            Some((Val::ZERO, vec![(cell, Val::ONE)]))
        }
        SymbolicExpr::Leaf(_) => None,
        SymbolicExpr::Add { x, y, .. } => {
            let (a, mut terms) = affine(x)?;
            let (b, more) = affine(y)?;
            terms.extend(more);
            Some((a + b, terms))
        }
        SymbolicExpr::Sub { x, y, .. } => {
            let (a, mut terms) = affine(x)?;
            let (b, more) = scaled(affine(y)?, Val::NEG_ONE);
            terms.extend(more);
            Some((a + b, terms))
        }
        SymbolicExpr::Neg { x, .. } => Some(scaled(affine(x)?, Val::NEG_ONE)),
        SymbolicExpr::Mul { x, y, .. } => {
            let (x, y) = (affine(x)?, affine(y)?);
            match (x.1.is_empty(), y.1.is_empty()) {
                (true, _) => Some(scaled(y, x.0)),
                (_, true) => Some(scaled(x, y.0)),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use p3_air::SymbolicVariable;
    use p3_matrix::dense::RowMajorMatrix;

    use super::*;

    fn var(entry: BaseEntry, index: usize) -> SymbolicExpression<Val> {
        SymbolicVariable::new(entry, index).into()
    }

    #[test]
    fn compiled_expressions_agree_with_the_tree_walk() {
        let main = |i| var(BaseEntry::Main { offset: 0 }, i);
        let next = |i| var(BaseEntry::Main { offset: 1 }, i);
        let prep = |i| var(BaseEntry::Preprocessed { offset: 0 }, i);
        let k = |v: u32| SymbolicExpression::from(Val::from_u32(v));
        let exprs = [
            main(0),
            main(1) + k(7),
            (main(0) - next(2)) * k(3) + prep(1),
            -(k(5) * (prep(0) + main(2))) - k(1),
            main(0) * main(1),
        ];
        let main_trace = RowMajorMatrix::new((1..=9).map(Val::from_u32).collect(), 3);
        let prep_trace = RowMajorMatrix::new((20..26).map(Val::from_u32).collect(), 2);
        for row in 0..3 {
            let next_row = (row + 1) % 3;
            let tree = RowEvaluator::at(&main_trace, Some(&prep_trace), row);
            let window = Window {
                main: &main_trace.values[row * 3..row * 3 + 3],
                main_next: &main_trace.values[next_row * 3..next_row * 3 + 3],
                preprocessed: &prep_trace.values[row * 2..row * 2 + 2],
                preprocessed_next: &prep_trace.values[next_row * 2..next_row * 2 + 2],
            };
            for (e, expr) in exprs.iter().enumerate() {
                let compiled = RowExpr::compile(expr);
                assert_eq!(compiled.is_tree(), e == 4, "expression {e}");
                assert_eq!(
                    compiled.eval(&window, Some(&tree)),
                    expr.resolve(&tree),
                    "expression {e}, row {row}"
                );
            }
        }
    }
}
