//! Trace generation helpers shared by all tables.

use alloc::vec::Vec;

use droste_stark::Val;
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use p3_maybe_rayon::prelude::*;

/// Fewest rows a table with rows gets (padding rows are all zero, `is_real = 0`): two, the
/// smallest height with a transition. Every query opens a row of every table, so a short table
/// costs its width in the proof once per distinct LDE row: fewer rows, fewer bytes.
pub const MIN_ROWS: usize = 2;

/// The power-of-two height of a table with `rows` real rows.
pub fn padded_height(rows: usize) -> usize {
    rows.next_power_of_two().max(MIN_ROWS)
}

/// The height of a table with one row per event: none without events (such tables may be left
/// out of a proof), else [`padded_height`].
pub fn event_table_height(events: usize) -> usize {
    if events == 0 {
        0
    } else {
        padded_height(events)
    }
}

/// The height every table of a large proof is lifted to at least: the final polynomial of FRI can
/// be no longer than the shortest table's trace (`droste_pcs::fold::FoldPlan`), and with every
/// table at `2^10` rows or more the presets' `2^10`-coefficient final polynomial ends FRI three
/// folding rounds earlier. A recursion guest verifying a shard or aggregation proof then skips
/// those rounds' cosets and Merkle paths, and the small tables' heights merge into one DEEP
/// quotient instead of one per height.
pub const LIFTED_ROWS: usize = 1 << 10;

/// The tallest table from which a proof lifts its short tables to [`LIFTED_ROWS`]. Lifting opens
/// more rows of a short table (up to one per query instead of one per LDE row), so it pays only
/// where FRI is long and the short tables few: the continuation shards and the recursion guest's
/// runs, whose tables reach `2^21` rows and whose short tables are a handful.
pub const LIFT_FROM_ROWS: usize = 1 << 18;

/// The heights of a proof's tables after lifting: when the tallest of `heights` reaches
/// [`LIFT_FROM_ROWS`], every table that `liftable` says pads with zero rows (an event table:
/// [`droste_stark::Table::may_be_empty`]) and has rows gets at least [`LIFTED_ROWS`].
pub fn lifted_heights(heights: &[usize], liftable: impl Fn(usize) -> bool) -> Vec<usize> {
    let lift = heights.iter().any(|&h| h >= LIFT_FROM_ROWS);
    heights
        .iter()
        .enumerate()
        .map(|(table, &h)| {
            if lift && h > 0 && liftable(table) {
                h.max(LIFTED_ROWS)
            } else {
                h
            }
        })
        .collect()
}

/// Lifts the traces of `tables` ([`lifted_heights`]) by appending zero rows, which are padding
/// rows of every table that may be empty (their traces come from [`rows_from_events`]).
pub fn lift_traces(tables: &[&dyn droste_stark::ProverTable], traces: &mut [RowMajorMatrix<Val>]) {
    let heights: Vec<usize> = traces.iter().map(|t| t.height()).collect();
    let lifted = lifted_heights(&heights, |table| tables[table].may_be_empty());
    for (trace, height) in traces.iter_mut().zip(lifted) {
        trace.values.resize(height * trace.width, Val::ZERO);
    }
}

/// A zero-padded trace of `width` columns with one row per event, filled in parallel by `fill`
/// (which gets a zeroed row); no rows at all without events (the chips built this way may be
/// left out of a proof, see [`crate::impl_table`]).
pub fn rows_from_events<E: Sync>(
    events: &[E],
    width: usize,
    fill: impl Fn(&E, &mut [Val]) + Sync + Send,
) -> RowMajorMatrix<Val> {
    let height = event_table_height(events.len());
    let mut values = vec![Val::ZERO; height * width];
    values[..events.len() * width]
        .par_chunks_mut(width)
        .zip(events.par_iter())
        .for_each(|(row, event)| fill(event, row));
    RowMajorMatrix::new(values, width)
}
