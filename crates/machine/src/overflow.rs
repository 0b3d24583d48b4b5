//! Overflow tables: a second instance of an event table that takes its rows past a power of two.
//!
//! # Why
//!
//! A table's height is a power of two, so a table of `n` rows is padded to the next one: a table
//! just past `2^k` rows costs twice the cells of one just under it. That is where the recursion
//! guest's tables sit (its `load` table at 1.01 x 2^21 rows when it aggregates two shard proofs):
//! padding, not the verifier's work, set a quarter of that proof's cells. And one proof holds at
//! most 2^22 rows per table, so a shard ended where its tallest table filled, long before the
//! 2^24-cycle limit (sha256: `bitwise` at 11.2M cycles).
//!
//! So every instruction chip and the `load` and `store` tables have an **overflow twin**: the same
//! AIR as a separate table, appended after the machine's own tables. A table's rows are shared
//! between the two by [`split_rows`]: the table keeps the largest power of two below its row
//! count and the twin takes the rest (padded on its own) when that saves at least a quarter of
//! the table's padded height, or when the rows do not fit one table. A twin without rows is left
//! out of the proof and costs nothing.
//!
//! # Why it is sound
//!
//! These tables' rows are independent uses of the buses (they are [`Table::may_be_empty`]: no
//! transition or boundary constraint, every interaction gated by the row itself), so a row's
//! validity does not depend on which table holds it or on its neighbours. Each instance is
//! checked against the full AIR on its own rows, and the buses balance over the sum of all tables'
//! terms, where which instance sent a term does not appear. A proof with its rows split holds
//! exactly the rows a single taller table would; a twin with any invalid row fails its
//! constraints like the table itself would (tests in `tests/overflow.rs`).
//!
//! # What it costs
//!
//! A twin with rows is one more table to open per query and to evaluate at the out-of-domain
//! point: its width in proof bytes per distinct query index and some verifier work (in the
//! recursion guest about a table's share of the DEEP and leaf hashing). [`MIN_SPLIT_HEIGHT`]
//! keeps the split to tables where the cells saved outweigh that.

use alloc::boxed::Box;
use alloc::string::String;

use droste_stark::Table;
use p3_air::{Air, AirBuilder, BaseAir};
use p3_matrix::dense::RowMajorMatrix;

/// The smallest power of two a table keeps when its rows are split. A twin in use costs a
/// recursion guest a few 10^4 cycles to verify (its openings' leaf hashes and DEEP terms, its
/// constraints at the out-of-domain point), a few million cells of the proof that verifies it;
/// from here on a split saves at least 2^18 rows, over 8 x 10^6 cells even for the narrowest.
pub const MIN_SPLIT_HEIGHT: usize = 1 << 19;

/// How `rows` real rows of a table with an overflow twin are shared: `(table, twin)`. The table
/// keeps them all unless they exceed `max_height` (then it keeps `max_height`, the twin the rest;
/// past twice that they fit no proof, and the table keeps them all for the prover to refuse) or
/// the twin's share, padded, would save at least a quarter of the table's padded height: past a
/// power of two `2^k >= MIN_SPLIT_HEIGHT` by at most `2^(k-1)` rows, the table keeps `2^k`.
pub fn split_rows(rows: usize, max_height: usize) -> (usize, usize) {
    if rows > 2 * max_height {
        return (rows, 0);
    }
    if rows > max_height {
        return (max_height, rows - max_height);
    }
    if rows < MIN_SPLIT_HEIGHT || rows.is_power_of_two() {
        return (rows, 0);
    }
    let kept = 1 << rows.ilog2();
    if rows - kept <= kept / 2 {
        (kept, rows - kept)
    } else {
        (rows, 0)
    }
}

/// The second instance of a table: the same columns, constraints and interactions under the name
/// `{name}+`.
pub struct Overflow<T: ?Sized> {
    name: String,
    table: Box<T>,
}

impl<T: ?Sized + Table> Overflow<T> {
    /// The twin of `table`, which must allow being left out of a proof (its rows are independent
    /// uses of the buses).
    pub fn of(table: Box<T>) -> Self {
        assert!(
            table.may_be_empty(),
            "{} has obligations of its own: its rows cannot be split",
            table.name()
        );
        Self {
            name: alloc::format!("{}+", table.name()),
            table,
        }
    }
}

impl<F, T: ?Sized + BaseAir<F>> BaseAir<F> for Overflow<T> {
    fn width(&self) -> usize {
        self.table.width()
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        self.table.preprocessed_trace()
    }

    fn preprocessed_width(&self) -> usize {
        self.table.preprocessed_width()
    }

    fn main_next_row_columns(&self) -> alloc::vec::Vec<usize> {
        self.table.main_next_row_columns()
    }

    fn preprocessed_next_row_columns(&self) -> alloc::vec::Vec<usize> {
        self.table.preprocessed_next_row_columns()
    }

    fn num_constraints(&self) -> Option<usize> {
        self.table.num_constraints()
    }

    fn max_constraint_degree(&self) -> Option<usize> {
        self.table.max_constraint_degree()
    }
}

impl<AB: AirBuilder, T: ?Sized + Air<AB>> Air<AB> for Overflow<T> {
    fn eval(&self, builder: &mut AB) {
        self.table.eval(builder);
    }
}

impl<T: ?Sized + Table> Table for Overflow<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn may_be_empty(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::{split_rows, MIN_SPLIT_HEIGHT};

    #[test]
    fn rows_are_split_only_where_it_saves_a_quarter_or_must() {
        let max = 1 << 22;
        let k = MIN_SPLIT_HEIGHT;
        assert_eq!(split_rows(0, max), (0, 0));
        assert_eq!(split_rows(k - 1, max), (k - 1, 0));
        assert_eq!(split_rows(2 * k, max), (2 * k, 0));
        assert_eq!(split_rows(2 * k + 1, max), (2 * k, 1));
        assert_eq!(split_rows(3 * k, max), (2 * k, k));
        assert_eq!(split_rows(3 * k + 1, max), (3 * k + 1, 0));
        assert_eq!(split_rows(k + k / 2, max), (k, k / 2));
        assert_eq!(split_rows(max + 5, max), (max, 5));
        assert_eq!(split_rows(2 * max, max), (max, max));
        assert_eq!(split_rows(2 * max + 1, max), (2 * max + 1, 0));
    }
}
