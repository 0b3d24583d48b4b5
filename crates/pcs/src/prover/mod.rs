//! The prover: low-degree extensions, commitments and opening proofs.

mod deep;
mod fri;
mod open;

use alloc::vec::Vec;

use p3_dft::{Radix2DitParallel, TwoAdicSubgroupDft};
use p3_field::{PrimeCharacteristicRing, TwoAdicField};
use p3_matrix::bitrev::{BitReversalPerm, BitReversibleMatrix};
use p3_matrix::dense::{RowMajorMatrix, RowMajorMatrixView};
use p3_matrix::Matrix;

use crate::fold::lde_shift;
use crate::hash::Hasher;
use crate::merkle::MerkleTree;
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
}

/// One committed batch: the low-degree extensions (bit-reversed row order over the LDE coset
/// `GENERATOR * H`, `|H| = height * blowup`) and the Merkle tree over them.
#[derive(Clone, Debug)]
pub struct Committed {
    ldes: Vec<RowMajorMatrix<Val>>,
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
        self.ldes.len()
    }

    /// log2 of the (trace) height of matrix `i`.
    pub fn log_height(&self, i: usize) -> usize {
        self.log_heights[i]
    }

    /// Width of matrix `i`.
    pub fn width(&self, i: usize) -> usize {
        self.ldes[i].width()
    }
}

impl Pcs {
    /// A prover for `params` (rejected if [`FriParameters::validate`] fails).
    pub fn new(params: FriParameters) -> Result<Self, PcsError> {
        params.validate()?;
        Ok(Self {
            params,
            hasher: Hasher::new(),
            dft: Radix2DitParallel::default(),
        })
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
        let log_blowup = self.log_blowup();
        self.commit_with(mats, |m| {
            // `bit_reverse_rows` hands back the DFT's own bit-reversed buffer; converting it
            // with `to_row_major_matrix` would copy the whole LDE once more.
            self.dft
                .coset_lde_batch(m, log_blowup, lde_shift())
                .bit_reverse_rows()
        })
    }

    /// Same as [`Self::commit_evaluations`], but each matrix holds polynomial *coefficients*
    /// (row `i` = coefficient of `X^i`) of polynomials of degree `< height` (quotient chunks).
    pub fn commit_coefficients(&self, mats: Vec<RowMajorMatrix<Val>>) -> (Digest, Committed) {
        let log_blowup = self.log_blowup();
        self.commit_with(mats, |mut m| {
            let width = m.width();
            m.values.resize(m.values.len() << log_blowup, Val::ZERO);
            let padded = RowMajorMatrix::new(m.values, width);
            self.dft
                .coset_dft_batch(padded, lde_shift())
                .bit_reverse_rows()
        })
    }

    fn commit_with(
        &self,
        mats: Vec<RowMajorMatrix<Val>>,
        lde: impl Fn(RowMajorMatrix<Val>) -> RowMajorMatrix<Val>,
    ) -> (Digest, Committed) {
        assert!(!mats.is_empty(), "commit needs at least one matrix");
        let log_heights: Vec<usize> = mats
            .iter()
            .map(|m| {
                assert!(
                    m.height().is_power_of_two(),
                    "matrix height must be a power of two"
                );
                let log_h = m.height().trailing_zeros() as usize;
                assert!(
                    log_h + self.log_blowup() <= Val::TWO_ADICITY,
                    "LDE of height 2^{} exceeds the two-adic subgroup",
                    log_h + self.log_blowup()
                );
                log_h
            })
            .collect();
        let ldes: Vec<RowMajorMatrix<Val>> = mats.into_iter().map(lde).collect();
        let refs: Vec<&RowMajorMatrix<Val>> = ldes.iter().collect();
        let tree = MerkleTree::with_elided_layers(&self.hasher, &refs, ELIDED_MERKLE_LAYERS);
        let committed = Committed {
            ldes,
            log_heights,
            tree,
        };
        (committed.root(), committed)
    }

    /// Evaluations of committed matrix `i` over the coset `GENERATOR * H'` with
    /// `|H'| = height << log_extra` (`log_extra <= log_blowup`), read from the LDE without
    /// recomputation. Rows are in NATURAL order: row `j` is the evaluation at
    /// `domain.element(j) = GENERATOR * omega'^j`, so the "next row" of trace row `j` is row
    /// `j + 2^log_extra` (wrapping).
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
        let lde = &c.ldes[i];
        let log_n = c.log_heights[i] + log_extra;
        let width = lde.width();
        // The first 2^log_n rows of a bit-reversed LDE over g*H are exactly the bit-reversed
        // evaluations over g*H' for the subgroup H' of that size.
        let prefix = RowMajorMatrixView::new(&lde.values[..width << log_n], width);
        let domain = Domain {
            log_n,
            shift: lde_shift(),
        };
        (domain, BitReversalPerm::new_view(prefix))
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
