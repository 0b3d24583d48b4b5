//! The commitment rounds' multi-openings and the DEEP reduction at the queried rows (verifier
//! side).
//!
//! Everything here is indexed by *distinct rows*: at LDE height `2^h` the queries reach the rows
//! `distinct(index >> (log_max_height - h))`, and the batched quotient `ro_h` is computed once
//! per such row, which is also the granularity at which FRI consumes it.

use alloc::vec::Vec;

use p3_field::Field;
use rkyv::vec::ArchivedVec;

use super::{PointTerm, RoundClaim};
use crate::codec::vals_from_archived;
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
    pub alpha_pows: &'a [Challenge],
    pub terms: &'a [PointTerm],
}

/// Per input height: the queried rows, their LDE points and the inverses `1 / (x - z)` computed
/// so far (one list per distinct opening point).
struct HeightRows {
    log_height: usize,
    rows: Vec<usize>,
    points: Vec<Val>,
    inverses: Vec<(Challenge, Vec<Challenge>)>,
}

impl HeightRows {
    fn inverses(&mut self, z: Challenge) -> Result<&[Challenge], PcsError> {
        let at = match self.inverses.iter().position(|(p, _)| *p == z) {
            Some(at) => at,
            None => {
                let inv = self
                    .points
                    .iter()
                    .map(|&x| (-z + x).try_inverse().ok_or(PcsError::PointInDomain))
                    .collect::<Result<Vec<_>, _>>()?;
                self.inverses.push((z, inv));
                self.inverses.len() - 1
            }
        };
        Ok(&self.inverses[at].1)
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
                    inverses: Vec::new(),
                }
            })
            .collect();
        let mut by_height: Vec<(usize, Vec<Challenge>)> = per_height
            .iter()
            .map(|h| {
                (
                    h.log_height,
                    alloc::vec![Challenge::default(); h.rows.len()],
                )
            })
            .collect();
        let mut terms = self.terms.iter();
        let mut values = Vec::new();
        let mut combined: Vec<Challenge> = Vec::new();
        for (round, ((claim, shapes), opening)) in self
            .claims
            .iter()
            .zip(self.shapes)
            .zip(openings.iter())
            .enumerate()
        {
            let groups = Groups::new(shapes, &per_height)?;
            if opening.values.len() != groups.total {
                return Err(PcsError::Shape {
                    what: "opened rows",
                    expected: groups.total,
                    got: opening.values.len(),
                });
            }
            values.clear();
            vals_from_archived(&opening.values, &mut values)?;
            let level_rows: Vec<LevelRows<'_>> = groups
                .levels
                .iter()
                .map(|g| LevelRows {
                    level: groups.log_tree - g.log_height,
                    width: g.width,
                    rows: &values[g.start..g.start + g.width * g.count],
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
            // Columns of each height's concatenated row taken by the matrices seen so far.
            let mut used: Vec<usize> = alloc::vec![0; groups.levels.len()];
            for (m, shape) in claim.matrices.iter().zip(shapes) {
                let at = groups.position(shape.log_height)?;
                let group = &groups.levels[at];
                let offset = group.start + used[at];
                used[at] += m.width;
                combined.clear();
                combined.extend((0..group.count).map(|k| {
                    let row = &values[offset + k * group.width..][..m.width];
                    row.iter()
                        .zip(self.alpha_pows)
                        .map(|(&f, &a)| a * f)
                        .sum::<Challenge>()
                }));
                let height = &mut per_height[group.height_at];
                let acc = &mut by_height[group.height_at].1;
                for term in terms.by_ref().take(m.points.len()) {
                    let inverses = height.inverses(term.z)?;
                    for ((a, &c), &inv) in acc.iter_mut().zip(&combined).zip(inverses) {
                        *a += term.alpha_offset * (c - term.combined_value) * inv;
                    }
                }
            }
        }
        Ok(Reduced { by_height })
    }
}

/// One height of a round: its matrices' rows sit at `start..start + width * count` of the
/// round's opened values.
struct Group {
    log_height: usize,
    /// Index of this height in the verifier's list of input heights.
    height_at: usize,
    width: usize,
    count: usize,
    start: usize,
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
            let end = width
                .checked_mul(h.rows.len())
                .and_then(|size| total.checked_add(size))
                .ok_or(overflow)?;
            levels.push(Group {
                log_height: h.log_height,
                height_at,
                width,
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
