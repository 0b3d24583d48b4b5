//! The commitment rounds' multi-openings and the DEEP reduction at the queried rows (verifier
//! side).
//!
//! Everything here is indexed by *distinct rows*: at LDE height `2^h` the queries reach the rows
//! `distinct(index >> (log_max_height - h))`, and the batched quotient `ro_h` is computed once
//! per such row, which is also the granularity at which FRI consumes it.

use alloc::vec::Vec;

use p3_field::PrimeCharacteristicRing;
use rkyv::vec::ArchivedVec;

#[cfg(not(target_os = "zkvm"))]
use super::combine::combine;
use super::combine::Weight;
use super::divide::Divisions;
use super::{MatrixTerms, RoundClaim};
use crate::codec::{dword_words, vals_in_place, Use};
use crate::fold::{bitrev_point, lde_shift};
use crate::hash::Hasher;
use crate::merkle::{distinct_shifted, verify_multi, LevelRows, MatrixShape, MultiScratch};
use crate::proof::ArchivedBatchMultiOpening;
use crate::{Challenge, PcsError, Val};

/// The batched DEEP quotient `ro_h` of each input height `h` (decreasing), at the distinct rows
/// the queries reach at that height (increasing row index).
pub(super) struct Reduced {
    pub by_height: Vec<(usize, Vec<Challenge>)>,
}

/// The verifier's view of the committed inputs.
pub(super) struct Inputs<'a> {
    pub hasher: &'a Hasher,
    pub claims: &'a [RoundClaim<'a>],
    pub shapes: &'a [Vec<MatrixShape>],
    pub log_max_height: usize,
    pub weights: &'a [Weight],
    /// `alpha`, whose powers the weights are (the guest's EXT_COMBINE takes it).
    #[cfg_attr(not(target_os = "zkvm"), allow(dead_code))]
    pub alpha: Weight,
    pub terms: &'a [MatrixTerms],
}

/// Whether a run may only take matrices whose batching powers continue its own: in a guest,
/// where a run is one EXT_COMBINE call over consecutive powers of `alpha`. Natively, a run takes
/// every adjacent matrix of its height and points, whatever its powers (fewer reductions).
const RUNS_OF_CONSECUTIVE_POWERS: bool = cfg!(target_os = "zkvm");

/// Per input height: the queried rows, their LDE points, and per distinct (opening point `z`,
/// weight factor `s`) the running sums, at those rows, of the matrices' first-point combinations
/// (`s` times them is their share of the batched numerator `sum alpha^k f(x)` at `z`) and of the
/// claimed values' `sum alpha^k f(z)`.
struct HeightRows {
    log_height: usize,
    rows: Vec<usize>,
    points: Vec<Val>,
    by_point: Vec<PointSums>,
}

struct PointSums {
    z: Challenge,
    shift: Challenge,
    /// Empty until the first run's combinations ([`accumulate`]).
    combined: Vec<Challenge>,
    claimed: Challenge,
}

/// Adds `values` to the sums in `into` row by row, or, while `into` is empty (nothing summed
/// yet), takes them as they are: no zeroed buffer, which a guest pays a store per word for.
fn accumulate(into: &mut Vec<Challenge>, values: impl Iterator<Item = Challenge>) {
    if into.is_empty() {
        into.extend(values);
    } else {
        for (sum, v) in into.iter_mut().zip(values) {
            *sum += v;
        }
    }
}

impl HeightRows {
    /// The index in `by_point` of the sums of opening point `z` and factor `shift`, started
    /// empty when first seen.
    fn sums(&mut self, z: Challenge, shift: Challenge) -> usize {
        match self
            .by_point
            .iter()
            .position(|p| p.z == z && p.shift == shift)
        {
            Some(at) => at,
            None => {
                self.by_point.push(PointSums {
                    z,
                    shift,
                    combined: Vec::new(),
                    claimed: Challenge::ZERO,
                });
                self.by_point.len() - 1
            }
        }
    }

    /// `ro(x) = sum_z (numerator_z(x) - claimed_z) / (x - z)` at every queried row, each
    /// numerator the sum over its factors `s` of `s` times the combinations summed with it; the
    /// divisions by norms ([`Divisions`]), with one base-field inversion for all rows and points.
    fn reduced(&self) -> Result<Vec<Challenge>, PcsError> {
        let mut points: Vec<Challenge> = Vec::new();
        for sums in &self.by_point {
            if !points.contains(&sums.z) {
                points.push(sums.z);
            }
        }
        let divisions = Divisions::new(&self.points, &points)?;
        let mut ro = alloc::vec![Challenge::ZERO; self.rows.len()];
        let mut numerators: Vec<Challenge> = Vec::with_capacity(self.rows.len());
        for (point, &z) in points.iter().enumerate() {
            numerators.clear();
            let mut claimed = Challenge::ZERO;
            for sums in self.by_point.iter().filter(|s| s.z == z) {
                claimed += sums.claimed;
                let combined = sums.combined.iter().copied();
                if sums.shift == Challenge::ONE {
                    accumulate(&mut numerators, combined);
                } else {
                    accumulate(
                        &mut numerators,
                        combined.map(|c| crate::ext::mul(sums.shift, c)),
                    );
                }
            }
            divisions.add_quotients(point, &numerators, claimed, &mut ro);
        }
        Ok(ro)
    }
}

impl Inputs<'_> {
    /// Check every round's multi-opening at the distinct query `indices` (sorted, at the largest
    /// height) and return the batched quotients at the queried rows of each of `heights` (the
    /// distinct input heights, decreasing).
    pub fn reduce(
        &self,
        indices: &[usize],
        heights: &[usize],
        openings: &ArchivedVec<ArchivedBatchMultiOpening>,
        scratch: &mut MultiScratch,
    ) -> Result<Reduced, PcsError> {
        let mut per_height: Vec<HeightRows> = heights
            .iter()
            .map(|&h| {
                let mut rows = Vec::new();
                distinct_shifted(indices, self.log_max_height - h, &mut rows);
                let points = rows
                    .iter()
                    .map(|&r| bitrev_point(h, lde_shift(), r))
                    .collect();
                HeightRows {
                    log_height: h,
                    rows,
                    points,
                    by_point: Vec::new(),
                }
            })
            .collect();
        let mut terms = self.terms.iter();
        let mut runs: Vec<Run> = Vec::new();
        let mut combined: Vec<Challenge> = Vec::new();
        for (round, ((claim, shapes), opening)) in self
            .claims
            .iter()
            .zip(self.shapes)
            .zip(openings.iter())
            .enumerate()
        {
            crate::phase::mark::<{ crate::phase::INPUT_OPENINGS }>();
            let groups = Groups::new(shapes, &per_height)?;
            // Counted in words: two per archived doubleword.
            let words = dword_words(&opening.values);
            if words.len() != groups.total {
                return Err(PcsError::Shape {
                    what: "opened rows",
                    expected: groups.total,
                    got: words.len(),
                });
            }
            let values = vals_in_place(words, Use::HashFirst)?;
            let level_rows: Vec<LevelRows<'_>> = groups
                .levels
                .iter()
                .map(|g| LevelRows {
                    level: groups.log_tree - g.log_height,
                    width: g.width,
                    stride: g.stride,
                    rows: &values[g.start..g.start + g.stride * g.count],
                })
                .collect();
            let leaves = &per_height[groups.levels[0].height_at].rows;
            let authentic = verify_multi(
                self.hasher,
                &claim.digest,
                groups.log_tree,
                leaves,
                &level_rows,
                &opening.siblings,
                scratch,
            )?;
            if !authentic {
                return Err(PcsError::MerkleMismatch {
                    what: "commitment round",
                    round,
                });
            }
            crate::phase::mark::<{ crate::phase::DEEP }>();
            runs.clear();
            // Columns of each height's concatenated row taken by the matrices seen so far.
            let mut used: Vec<usize> = alloc::vec![0; groups.levels.len()];
            for ((m, shape), term) in claim.matrices.iter().zip(shapes).zip(terms.by_ref()) {
                let at = groups.position(shape.log_height)?;
                let height = &mut per_height[groups.levels[at].height_at];
                let sums: Vec<usize> = term
                    .points
                    .iter()
                    .map(|point| {
                        let s = height.sums(point.z, point.shift);
                        height.by_point[s].claimed += point.claimed;
                        s
                    })
                    .collect();
                let start = used[at];
                used[at] += m.width;
                let weights = self.weights[term.first_power..][..m.width].iter().copied();
                // A matrix right after one of the same height and the same points extends its
                // run: their columns are adjacent in the row and weighed alike.
                let next_power = term.first_power + m.width;
                match runs
                    .iter_mut()
                    .rev()
                    .find(|r| r.group == at)
                    .filter(|r| r.sums == sums)
                    .filter(|r| !RUNS_OF_CONSECUTIVE_POWERS || r.next_power == term.first_power)
                {
                    Some(run) => {
                        run.weights.extend(weights);
                        run.next_power = next_power;
                    }
                    None => runs.push(Run {
                        group: at,
                        start,
                        sums,
                        weights: weights.collect(),
                        next_power,
                    }),
                }
            }
            for run in &runs {
                let group = &groups.levels[run.group];
                let height = &mut per_height[group.height_at];
                combined.clear();
                self.combine_rows(run, group, values, &mut combined);
                for &s in &run.sums {
                    accumulate(&mut height.by_point[s].combined, combined.iter().copied());
                }
            }
        }
        let by_height = per_height
            .iter()
            .map(|h| Ok((h.log_height, h.reduced()?)))
            .collect::<Result<_, PcsError>>()?;
        Ok(Reduced { by_height })
    }
}

impl Inputs<'_> {
    /// The combination of `run`'s columns in each of `group`'s rows of the round's opened
    /// `values`, into `out`.
    ///
    /// A function of its own, not inlined into [`Self::reduce`]: inside that loop nest the guest
    /// reloaded a dozen spilled registers around every row's EXT_COMBINE call, a third of the
    /// DEEP phase's loads (the recursion guest's tallest table is `load`).
    #[inline(never)]
    fn combine_rows(&self, run: &Run, group: &Group, values: &[Val], out: &mut Vec<Challenge>) {
        let rows = &values[group.start..][..group.stride * group.count][run.start..];
        #[cfg(target_os = "zkvm")]
        super::run_combine::combine_rows::<crate::precompile::CombineBlock>(
            (&self.alpha, self.weights, &run.weights),
            rows,
            group.stride,
            group.count,
            out,
        );
        #[cfg(not(target_os = "zkvm"))]
        out.extend(
            (0..group.count)
                .map(|k| combine(&run.weights, &rows[k * group.stride..][..run.weights.len()])),
        );
    }
}

/// One height of a round: its matrices' rows sit at `start..start + stride * count` of the
/// round's opened values, `width` values each and a zero after an odd count (the proof's rows
/// start on doublewords).
struct Group {
    log_height: usize,
    /// Index of this height in the verifier's list of input heights.
    height_at: usize,
    width: usize,
    stride: usize,
    count: usize,
    start: usize,
}

/// Adjacent matrices of one height of a round with the same opening points and factors: one
/// combination of their columns per queried row serves them all.
struct Run {
    /// Index of the height in the round's [`Groups::levels`].
    group: usize,
    /// First column of the run in that height's concatenated row.
    start: usize,
    /// The [`PointSums`] (indices into the height's `by_point`) the combination adds to.
    sums: Vec<usize>,
    /// `alpha^k` of each column at the matrices' first points.
    weights: Vec<Weight>,
    /// The power `k` after the run's last column.
    next_power: usize,
}

/// The layout of one round's opened values.
struct Groups {
    log_tree: usize,
    /// By decreasing height, so by increasing tree level.
    levels: Vec<Group>,
    total: usize,
}

impl Groups {
    fn new(shapes: &[MatrixShape], heights: &[HeightRows]) -> Result<Self, PcsError> {
        let mut levels: Vec<Group> = Vec::new();
        let mut total = 0usize;
        for (height_at, h) in heights.iter().enumerate() {
            if !shapes.iter().any(|s| s.log_height == h.log_height) {
                continue;
            }
            let overflow = PcsError::InvalidClaim("opened rows overflow");
            let width = shapes
                .iter()
                .filter(|s| s.log_height == h.log_height)
                .try_fold(0usize, |acc, s| acc.checked_add(s.width))
                .ok_or(overflow)?;
            let stride = width.checked_add(width & 1).ok_or(overflow)?;
            let end = stride
                .checked_mul(h.rows.len())
                .and_then(|size| total.checked_add(size))
                .ok_or(overflow)?;
            levels.push(Group {
                log_height: h.log_height,
                height_at,
                width,
                stride,
                count: h.rows.len(),
                start: total,
            });
            total = end;
        }
        let log_tree = levels
            .first()
            .map(|g| g.log_height)
            .ok_or(PcsError::InvalidClaim("a committed batch has no matrices"))?;
        Ok(Self {
            log_tree,
            levels,
            total,
        })
    }

    fn position(&self, log_height: usize) -> Result<usize, PcsError> {
        self.levels
            .iter()
            .position(|g| g.log_height == log_height)
            .ok_or(PcsError::InvalidClaim("height missing from the plan"))
    }
}
