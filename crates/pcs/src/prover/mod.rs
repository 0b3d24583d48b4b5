//! The prover: low-degree extensions, commitments and opening proofs.

mod deep;
mod fri;
mod open;

use alloc::borrow::Cow;
use alloc::vec::Vec;

use p3_dft::{Radix2DitParallel, TwoAdicSubgroupDft};
use p3_field::{PrimeCharacteristicRing, TwoAdicField};
use p3_matrix::bitrev::{BitReversalPerm, BitReversibleMatrix};
use p3_matrix::dense::{RowMajorMatrix, RowMajorMatrixCow, RowMajorMatrixView};
use p3_matrix::Matrix;

use crate::fold::lde_shift;
use crate::hash::Hasher;
use crate::merkle::{hash_rows, MerkleTree};
use crate::{Digest, Domain, FriParameters, PcsError, Val};

/// Bottom Merkle layers the trace, LogUp, quotient and FRI commitments do not keep: 7/8 of each
/// tree's digests (32 bytes x 2 per LDE row), recomputed for the ~100 opened leaves at the cost
/// of at most 7 row hashes per leaf and tree.
const ELIDED_MERKLE_LAYERS: usize = 3;

/// The prover side of the commitment scheme.
#[derive(Clone, Debug)]
pub struct Pcs {
    /// FRI parameters (blowup, queries, proof of work, arity, final polynomial length).
    pub params: FriParameters,
    hasher: Hasher,
    dft: Radix2DitParallel<Val>,
    keep_ldes: bool,
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
            keep_ldes: params.log_blowup <= 1,
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
        let coefficients = mats.into_iter().map(|m| self.dft.idft_batch(m)).collect();
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

    /// Commit coefficient matrices, extending and hashing one height class at a time.
    fn commit_lean(&self, coefficients: Vec<RowMajorMatrix<Val>>) -> (Digest, Committed) {
        assert!(!coefficients.is_empty(), "commit needs at least one matrix");
        let log_heights = self.checked_log_heights(coefficients.iter().map(|m| m.height()));
        let storage = Storage::Coefficients(coefficients);
        let lde_heights: Vec<usize> = log_heights
            .iter()
            .map(|h| 1 << (h + self.log_blowup()))
            .collect();
        let tree = MerkleTree::from_row_digests(
            &self.hasher,
            &lde_heights,
            ELIDED_MERKLE_LAYERS,
            |lde_height| {
                let ldes = self.class_ldes(&storage, &log_heights, lde_height);
                let refs: Vec<&RowMajorMatrix<Val>> = ldes.iter().map(|m| m.as_ref()).collect();
                hash_rows(&self.hasher, &refs, lde_height)
            },
        );
        let committed = Committed {
            storage,
            log_heights,
            tree,
        };
        (committed.root(), committed)
    }

    /// The LDEs of the matrices of LDE height `lde_height`, in batch order: borrowed when kept,
    /// recomputed from the coefficients otherwise.
    fn class_ldes<'a>(
        &self,
        storage: &'a Storage,
        log_heights: &[usize],
        lde_height: usize,
    ) -> Vec<Cow<'a, RowMajorMatrix<Val>>> {
        let log_height = lde_height.trailing_zeros() as usize - self.log_blowup();
        (0..log_heights.len())
            .filter(|&i| log_heights[i] == log_height)
            .map(|i| match storage {
                Storage::Ldes(ldes) => Cow::Borrowed(&ldes[i]),
                Storage::Coefficients(coefficients) => {
                    Cow::Owned(self.lde_of_coefficients(&coefficients[i]))
                }
            })
            .collect()
    }

    /// Evaluations of committed matrix `i` over the coset `GENERATOR * H'` with
    /// `|H'| = height << log_extra` (`log_extra <= log_blowup`): read from the LDE when kept,
    /// computed from the coefficients otherwise. Rows are in NATURAL order: row `j` is the
    /// evaluation at `domain.element(j) = GENERATOR * omega'^j`, so the "next row" of trace row
    /// `j` is row `j + 2^log_extra` (wrapping).
    ///
    /// # Panics
    /// If `i` is out of range or `log_extra > log_blowup`.
    pub fn evaluations_on_quotient_domain<'a>(
        &self,
        c: &'a Committed,
        i: usize,
        log_extra: usize,
    ) -> (Domain, impl Matrix<Val> + 'a) {
        assert!(
            log_extra <= self.log_blowup(),
            "quotient domain larger than the LDE"
        );
        let log_n = c.log_heights[i] + log_extra;
        let domain = Domain {
            log_n,
            shift: lde_shift(),
        };
        // Bit-reversed evaluations over g*H'; the first 2^log_n rows of a bit-reversed LDE over
        // g*H are exactly those for the subgroup H' of that size.
        let bit_reversed: RowMajorMatrixCow<'a, Val> = match &c.storage {
            Storage::Ldes(ldes) => {
                let lde = &ldes[i];
                RowMajorMatrixView::new(&lde.values[..lde.width() << log_n], lde.width()).as_cow()
            }
            Storage::Coefficients(coefficients) => {
                let m = &coefficients[i];
                let mut values = Val::zero_vec(m.values.len() << log_extra);
                values[..m.values.len()].copy_from_slice(&m.values);
                self.dft
                    .coset_dft_batch(RowMajorMatrix::new(values, m.width()), lde_shift())
                    .bit_reverse_rows()
                    .as_cow()
            }
        };
        (domain, BitReversalPerm::new_view(bit_reversed))
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
