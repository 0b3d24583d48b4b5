//! Trace generation helpers shared by all tables.

use droste_stark::Val;
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
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
