//! The prover: low-degree extensions, commitments and opening proofs.

mod deep;
mod fri;
mod open;

use alloc::vec::Vec;

use p3_dft::{Radix2DFTSmallBatch, Radix2DitParallel, TwoAdicSubgroupDft};
use p3_field::{PrimeCharacteristicRing, TwoAdicField};
use p3_matrix::bitrev::{BitReversalPerm, BitReversibleMatrix};
use p3_matrix::dense::{RowMajorMatrix, RowMajorMatrixCow, RowMajorMatrixView};
use p3_matrix::util::reverse_matrix_index_bits;
use p3_matrix::Matrix;
use p3_maybe_rayon::prelude::*;
use p3_util::reverse_bits_len;

use crate::fold::lde_shift;
use crate::hash::{Hasher, RATE};
use crate::merkle::{MerkleTree, RowSponges};
use crate::{Digest, Domain, FriParameters, PcsError, Val};

/// Bottom Merkle layers the trace, LogUp, quotient and FRI commitments do not keep: 7/8 of each
/// tree's digests (32 bytes x 2 per LDE row), recomputed for the ~100 opened leaves at the cost
/// of at most 7 row hashes per leaf and tree.
const ELIDED_MERKLE_LAYERS: usize = 3;

/// Most bytes of LDE that a commitment keeping coefficients extends at once (but at least
/// [`MIN_LDE_BLOCK_COLUMNS`] columns): [`Pcs::for_each_lde_block`] extends a height class a block
/// of columns at a time rather than all of its matrices together. 128 MiB is 32 columns at an
/// LDE height of 2^20.
const LDE_BLOCK_BYTES: usize = 1 << 27;

/// Fewest columns (a multiple of [`RATE`]) in a block of LDE, whatever its height. Plonky3's DFT
/// butterflies take a row a packed vector at a time (16 lanes with AVX-512, 8 with AVX2) and the
/// rest lane by lane, and its bit reversals move whole rows, so narrow blocks extend slowly: on
/// this project's AVX-512 machine, a coset DFT of 2^24 rows took 6.4 ns per element at 8
/// columns, 3.9 at 16 and 3.0 at 32 (`cargo run --release -p droste-pcs --example dft_widths`).
/// A proof of 2^22-row tables (LDE height 2^24) so holds 2 GiB of LDE block at a time, 1.5 GiB
/// more than 8 columns did, for a faster commit, LogUp round and opening.
const MIN_LDE_BLOCK_COLUMNS: usize = 32;

/// The prover side of the commitment scheme.
#[derive(Clone, Debug)]
pub struct Pcs {
    /// FRI parameters (blowup, queries, proof of work, arity, final polynomial length).
    pub params: FriParameters,
    hasher: Hasher,
    /// The DFT whose output the prover wants bit-reversed (LDEs, quotient cosets, FRI): Plonky3's
    /// `Radix2DitParallel` gives its bit-reversed buffer without a last reordering pass.
    dft: Radix2DitParallel<Val>,
    /// The inverse DFT (a trace's evaluations to coefficients): Plonky3's `Radix2DFTSmallBatch`
    /// ran it 1.1-2.4x faster than `Radix2DitParallel`, most on narrow matrices (example
    /// `dft_widths`).
    inverse_dft: Radix2DFTSmallBatch<Val>,
    keep_ldes: bool,
    /// [`LDE_BLOCK_BYTES`]; tests lower it to split every class into many blocks.
    lde_block_bytes: usize,
    /// [`MIN_LDE_BLOCK_COLUMNS`]; tests lower it to [`RATE`] with `lde_block_bytes`.
    min_lde_block_columns: usize,
}

/// What a commitment keeps of its matrices between rounds.
///
/// The LDEs are `2^log_blowup` times the traces: at blowup 4 keeping them all (main, LogUp and
/// quotient) made up most of the prover's peak memory. Coefficients are one trace-size copy;
/// each use re-extends them where needed, one height at a time: the quotient domain per table,
/// the query rows (and the rows under elided Merkle layers) once, while the out-of-domain values
/// and the DEEP batch come from the coefficients directly. The trade is an extra LDE of every
/// committed matrix, which is why blowup 2 (cheaper to keep, costlier to redo relative to its
/// other work) keeps the LDEs.
#[derive(Clone, Debug)]
enum Storage {
    /// The LDEs, bit-reversed over `GENERATOR * H`, `|H| = height * blowup`.
    Ldes(Vec<RowMajorMatrix<Val>>),
    /// The polynomials' coefficients (row `i` = coefficient of `X^i`).
    Coefficients(Vec<RowMajorMatrix<Val>>),
}

/// One committed batch: its matrices (as [`Storage`] says) and the Merkle tree over their LDEs.
#[derive(Clone, Debug)]
pub struct Committed {
    storage: Storage,
    log_heights: Vec<usize>,
    tree: MerkleTree,
}

impl Committed {
    /// The Merkle root.
    pub fn root(&self) -> Digest {
        self.tree.root()
    }

    /// Number of committed matrices.
    pub fn num_matrices(&self) -> usize {
        self.log_heights.len()
    }

    /// log2 of the (trace) height of matrix `i`.
    pub fn log_height(&self, i: usize) -> usize {
        self.log_heights[i]
    }

    /// Width of matrix `i`.
    pub fn width(&self, i: usize) -> usize {
        self.matrix(i).0.width()
    }

    /// Matrix `i` as kept: its LDE (`true`) or its coefficients (`false`).
    fn matrix(&self, i: usize) -> (&RowMajorMatrix<Val>, bool) {
        match &self.storage {
            Storage::Ldes(m) => (&m[i], true),
            Storage::Coefficients(m) => (&m[i], false),
        }
    }
}

impl Pcs {
    /// A prover for `params` (rejected if [`FriParameters::validate`] fails). It keeps the LDEs
    /// between rounds at blowup 2 and only coefficients at larger blowups (see [`Storage`]);
    /// [`Self::with_ldes_kept`] overrides that. Proofs are the same either way.
    pub fn new(params: FriParameters) -> Result<Self, PcsError> {
        params.validate()?;
        Ok(Self {
            params,
            hasher: Hasher::new(),
            dft: Radix2DitParallel::default(),
            inverse_dft: Radix2DFTSmallBatch::default(),
            keep_ldes: params.log_blowup <= 1,
            lde_block_bytes: LDE_BLOCK_BYTES,
            min_lde_block_columns: MIN_LDE_BLOCK_COLUMNS,
        })
    }

    /// Keep the LDEs between rounds (`true`: less time) or only coefficients (`false`: less
    /// memory), whatever the blowup.
    pub fn with_ldes_kept(mut self, keep: bool) -> Self {
        self.set_ldes_kept(keep);
        self
    }

    /// [`Self::with_ldes_kept`] in place. Commitments made before keep their form; opening
    /// handles either.
    pub fn set_ldes_kept(&mut self, keep: bool) {
        self.keep_ldes = keep;
    }

    /// Whether commitments keep their LDEs (see [`Storage`]); otherwise they keep coefficients,
    /// and [`Self::trace_evaluations`] gives their matrices back.
    pub fn keeps_ldes(&self) -> bool {
        self.keep_ldes
    }

    fn log_blowup(&self) -> usize {
        usize::from(self.params.log_blowup)
    }

    /// Commit a batch of matrices of possibly different power-of-two heights. Matrix `i` holds
    /// the evaluations of its columns over the subgroup of size `height` (the trace domain), in
    /// natural order.
    ///
    /// # Panics
    /// If the batch is empty, a height is not a power of two, or `height * blowup` exceeds the
    /// field's two-adic subgroup (2^24): the caller controls these shapes.
    pub fn commit_evaluations(&self, mats: Vec<RowMajorMatrix<Val>>) -> (Digest, Committed) {
        if self.keep_ldes {
            let log_blowup = self.log_blowup();
            return self.commit_ldes(mats, |m| {
                // `bit_reverse_rows` hands back the DFT's own bit-reversed buffer; converting it
                // with `to_row_major_matrix` would copy the whole LDE once more.
                self.dft
                    .coset_lde_batch(m, log_blowup, lde_shift())
                    .bit_reverse_rows()
            });
        }
        let coefficients = mats
            .into_iter()
            .map(|m| self.inverse_dft.idft_batch(m))
            .collect();
        self.commit_lean(coefficients)
    }

    /// Same as [`Self::commit_evaluations`], but each matrix holds polynomial *coefficients*
    /// (row `i` = coefficient of `X^i`) of polynomials of degree `< height` (quotient chunks).
    pub fn commit_coefficients(&self, mats: Vec<RowMajorMatrix<Val>>) -> (Digest, Committed) {
        if self.keep_ldes {
            return self.commit_ldes(mats, |m| self.lde_of_coefficients(&m));
        }
        self.commit_lean(mats)
    }

    /// The LDE (bit-reversed, over the coset) of a matrix of coefficients.
    fn lde_of_coefficients(&self, coefficients: &RowMajorMatrix<Val>) -> RowMajorMatrix<Val> {
        let width = coefficients.width();
        let mut values = Val::zero_vec(coefficients.values.len() << self.log_blowup());
        values[..coefficients.values.len()].copy_from_slice(&coefficients.values);
        self.dft
            .coset_dft_batch(RowMajorMatrix::new(values, width), lde_shift())
            .bit_reverse_rows()
    }

    fn checked_log_heights(&self, heights: impl Iterator<Item = usize>) -> Vec<usize> {
        heights
            .map(|h| {
                assert!(h.is_power_of_two(), "matrix height must be a power of two");
                let log_h = h.trailing_zeros() as usize;
                assert!(
                    log_h + self.log_blowup() <= Val::TWO_ADICITY,
                    "LDE of height 2^{} exceeds the two-adic subgroup",
                    log_h + self.log_blowup()
                );
                log_h
            })
            .collect()
    }

    fn commit_ldes(
        &self,
        mats: Vec<RowMajorMatrix<Val>>,
        lde: impl Fn(RowMajorMatrix<Val>) -> RowMajorMatrix<Val>,
    ) -> (Digest, Committed) {
        assert!(!mats.is_empty(), "commit needs at least one matrix");
        let log_heights = self.checked_log_heights(mats.iter().map(|m| m.height()));
        let ldes: Vec<RowMajorMatrix<Val>> = mats.into_iter().map(lde).collect();
        let refs: Vec<&RowMajorMatrix<Val>> = ldes.iter().collect();
        let tree = MerkleTree::with_elided_layers(&self.hasher, &refs, ELIDED_MERKLE_LAYERS);
        let committed = Committed {
            storage: Storage::Ldes(ldes),
            log_heights,
            tree,
        };
        (committed.root(), committed)
    }

    /// Commit coefficient matrices, extending and hashing one height class at a time, a block
    /// of columns at a time ([`Self::for_each_lde_block`]).
    fn commit_lean(&self, coefficients: Vec<RowMajorMatrix<Val>>) -> (Digest, Committed) {
        assert!(!coefficients.is_empty(), "commit needs at least one matrix");
        let log_heights = self.checked_log_heights(coefficients.iter().map(|m| m.height()));
        let lde_heights: Vec<usize> = log_heights
            .iter()
            .map(|h| 1 << (h + self.log_blowup()))
            .collect();
        let tree = MerkleTree::from_row_digests(
            &self.hasher,
            &lde_heights,
            ELIDED_MERKLE_LAYERS,
            |lde_height| {
                let mut sponges = RowSponges::new(lde_height);
                self.for_each_lde_block(&coefficients, &log_heights, lde_height, |block| {
                    sponges.absorb(&self.hasher, block)
                });
                sponges.digests()
            },
        );
        let committed = Committed {
            storage: Storage::Coefficients(coefficients),
            log_heights,
            tree,
        };
        (committed.root(), committed)
    }

    /// The LDE (bit-reversed, over the coset) of the coefficient matrices of LDE height
    /// `lde_height`, their columns concatenated in batch order, handed to `visit` a block of
    /// columns at a time, left to right: at most [`LDE_BLOCK_BYTES`] (or [`RATE`] columns) of
    /// LDE is alive, not the whole class's. Every block but the last has a multiple of [`RATE`]
    /// columns, so a leaf sponge over the concatenated rows can absorb block by block.
    fn for_each_lde_block(
        &self,
        coefficients: &[RowMajorMatrix<Val>],
        log_heights: &[usize],
        lde_height: usize,
        mut visit: impl FnMut(&RowMajorMatrix<Val>),
    ) {
        let log_height = lde_height.trailing_zeros() as usize - self.log_blowup();
        let height = 1usize << log_height;
        let class: Vec<&RowMajorMatrix<Val>> = coefficients
            .iter()
            .zip(log_heights)
            .filter(|&(_, &h)| h == log_height)
            .map(|(m, _)| m)
            .collect();
        let total: usize = class.iter().map(|m| m.width()).sum();
        let block_width = (self.lde_block_bytes / (lde_height * size_of::<Val>()) / RATE * RATE)
            .max(self.min_lde_block_columns);
        let mut start = 0;
        while start < total {
            let end = (start + block_width).min(total);
            let width = end - start;
            // Per class matrix overlapping the block: (matrix, its columns, where they go).
            let mut pieces = Vec::new();
            let mut offset = 0;
            for m in &class {
                let (from, to) = (start.max(offset), end.min(offset + m.width()));
                if from < to {
                    pieces.push((*m, from - offset..to - offset, from - start));
                }
                offset += m.width();
            }
            let mut values = Val::zero_vec(lde_height * width);
            values[..height * width]
                .par_chunks_exact_mut(width)
                .enumerate()
                .for_each(|(r, out)| {
                    for (m, columns, at) in &pieces {
                        let row = &m.values[r * m.width()..(r + 1) * m.width()];
                        out[*at..*at + columns.len()].copy_from_slice(&row[columns.clone()]);
                    }
                });
            let lde = self
                .dft
                .coset_dft_batch(RowMajorMatrix::new(values, width), lde_shift())
                .bit_reverse_rows();
            visit(&lde);
            start = end;
        }
    }

    /// Rows `rows` of the committed matrices of LDE height `lde_height`, each the concatenation
    /// of that row of every such matrix in batch order (a Merkle leaf's or injected node's
    /// input): read from the kept LDEs, or from one block of the recomputed LDE at a time.
    fn class_rows(&self, c: &Committed, lde_height: usize, rows: &[usize]) -> Vec<Vec<Val>> {
        let log_height = lde_height.trailing_zeros() as usize - self.log_blowup();
        match &c.storage {
            Storage::Ldes(ldes) => rows
                .iter()
                .map(|&r| {
                    ldes.iter()
                        .zip(&c.log_heights)
                        .filter(|&(_, &h)| h == log_height)
                        .flat_map(|(m, _)| m.values[r * m.width()..(r + 1) * m.width()].to_vec())
                        .collect()
                })
                .collect(),
            Storage::Coefficients(coefficients) => {
                let mut out = alloc::vec![Vec::new(); rows.len()];
                self.for_each_lde_block(coefficients, &c.log_heights, lde_height, |block| {
                    for (row, &r) in out.iter_mut().zip(rows) {
                        row.extend_from_slice(
                            &block.values[r * block.width()..(r + 1) * block.width()],
                        );
                    }
                });
                out
            }
        }
    }

    /// The quotient domain of committed matrix `i` with `2^log_extra` points per trace row: the
    /// coset `GENERATOR * H'` with `|H'| = height << log_extra`.
    pub fn quotient_domain(&self, c: &Committed, i: usize, log_extra: usize) -> Domain {
        Domain {
            log_n: c.log_heights[i] + log_extra,
            shift: lde_shift(),
        }
    }

    /// Evaluations of committed matrix `i` over coset `coset` of its quotient domain `D`
    /// ([`Self::quotient_domain`], `log_extra <= log_blowup`): row `m` is the value at
    /// `D.element(m * 2^log_extra + coset)`. These points form the coset `D.element(coset) * H`
    /// of the trace domain `H`, in natural order, so the next trace row of row `m` is row
    /// `m + 1` (wrapping). Read from the LDE when kept (the coset is one block of rows of its
    /// bit-reversed prefix), computed from the coefficients otherwise (one trace-size DFT).
    ///
    /// Why cosets: a constraint at a point of `D` reads that point's row and the next trace
    /// row's, which lie in the same coset; taking `D` a coset at a time keeps one trace-size
    /// extension of a matrix alive instead of `2^log_extra` of them.
    ///
    /// # Panics
    /// If `i` is out of range, `log_extra > log_blowup` or `coset >= 2^log_extra`.
    pub fn evaluations_on_quotient_coset<'a>(
        &self,
        c: &'a Committed,
        i: usize,
        log_extra: usize,
        coset: usize,
    ) -> impl Matrix<Val> + 'a {
        assert!(
            log_extra <= self.log_blowup(),
            "quotient domain larger than the LDE"
        );
        assert!(coset < 1 << log_extra, "no such coset");
        let log_height = c.log_heights[i];
        let bit_reversed: RowMajorMatrixCow<'a, Val> = match &c.storage {
            Storage::Ldes(ldes) => {
                // The first `2^(log_height + log_extra)` rows of the bit-reversed LDE are the
                // bit-reversed evaluations over D; the point `m * 2^log_extra + coset` sits at
                // `bitrev(coset) * height + bitrev(m)` there.
                let lde = &ldes[i];
                let width = lde.width();
                let first = reverse_bits_len(coset, log_extra) << log_height;
                let rows = &lde.values[first * width..(first + (1 << log_height)) * width];
                RowMajorMatrixView::new(rows, width).as_cow()
            }
            Storage::Coefficients(coefficients) => {
                let shift = self.quotient_domain(c, i, log_extra).element(coset);
                self.dft
                    .coset_dft_batch(coefficients[i].clone(), shift)
                    .bit_reverse_rows()
                    .as_cow()
            }
        };
        BitReversalPerm::new_view(bit_reversed)
    }

    /// Committed matrix `i` as [`Self::commit_evaluations`] took it: its evaluations over the
    /// trace domain `H` in natural order, one DFT of the kept coefficients. A caller that needs
    /// a matrix again after committing it (the STARK's LogUp round) can so drop its own copy.
    ///
    /// # Panics
    /// If `c` keeps LDEs (their prefix is over the coset `g * H`, not `H`; callers keep their
    /// matrices when [`Self::keeps_ldes`]) or `i` is out of range.
    pub fn trace_evaluations(&self, c: &Committed, i: usize) -> RowMajorMatrix<Val> {
        let Storage::Coefficients(coefficients) = &c.storage else {
            panic!("trace evaluations are recomputed only from kept coefficients");
        };
        let mut evaluations = self
            .dft
            .dft_batch(coefficients[i].clone())
            .bit_reverse_rows();
        reverse_matrix_index_bits(&mut evaluations);
        evaluations
    }

    /// The Poseidon2 instance (shared with callers that hash outside the tree, e.g. tests).
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }
}

/// `x_i` for every row of a bit-reversed coset `shift * H` of size `2^log_n`.
pub(crate) fn bitrev_coset_points(log_n: usize, shift: Val) -> Vec<Val> {
    let mut points: Vec<Val> = Val::two_adic_generator(log_n)
        .shifted_powers(shift)
        .take(1 << log_n)
        .collect();
    p3_util::reverse_slice_index_bits(&mut points);
    points
}

#[cfg(test)]
mod tests;
