//! The proof format: one rkyv archive (little-endian, 16-byte aligned) after a 16-byte header
//! (8-byte magic, `u32` format version, `u32` reserved = 0), so the archive keeps the buffer's
//! alignment. Field elements are raw `u32` words in the verifier's own (Montgomery)
//! representation, checked canonical when read ([`droste_pcs::codec`]). The verifier reads the
//! archive in place after `rkyv::access` has validated its structure (bytecheck) and
//! [`crate::canonical`] its layout (zero padding, data where the serializer puts it), so a proof
//! has exactly one encoding.

use alloc::vec::Vec;

use droste_pcs::proof::{
    ArchivedBatchMultiOpening, ArchivedFoldMultiOpening, ArchivedOpeningProof, DigestWords,
    ExtWords,
};
use droste_pcs::OpeningProof;

use crate::canonical::{Layout, NotCanonical};
use crate::fields;
use crate::wire::WireHeader;

use crate::VerifyError;

/// The first 8 bytes of every proof.
pub const PROOF_MAGIC: [u8; 8] = *b"DROSTEpf";
/// Version of the proof layout; bump on any change of [`Proof`] or of the protocol.
pub const PROOF_VERSION: u32 = 5;
/// Length of the header before the archive.
pub use crate::wire::HEADER_LEN;

const HEADER: WireHeader = WireHeader {
    magic: PROOF_MAGIC,
    version: PROOF_VERSION,
    missing_magic: "missing proof magic",
    unsupported_version: "unsupported proof version",
    misaligned: "proof bytes are not 16-byte aligned",
};

/// The `log_heights` entry of a table left out of the proof because it has no rows (only tables
/// whose key allows it, [`crate::Table::may_be_empty`]): it has no matrix in any commitment, no
/// claimed sum and empty openings.
pub const NO_ROWS: u8 = u8::MAX;

/// The number of rows a `log_heights` entry stands for (0 for [`NO_ROWS`]).
pub fn table_rows(log_height: u8) -> usize {
    if log_height == NO_ROWS {
        0
    } else {
        1usize << log_height
    }
}

/// A proof for a set of tables under one verifying key.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct Proof {
    /// log2 of each table's height, in table order ([`NO_ROWS`] for a table left out).
    pub log_heights: Vec<u8>,
    /// Root of the main traces (one matrix per table present).
    pub main_commitment: DigestWords,
    /// Proof-of-work witness ground after the main commitment, before the LogUp challenges
    /// are drawn (`logup_pow_bits` of the key's parameters).
    pub logup_pow_witness: u64,
    /// Root of the LogUp auxiliary traces (one matrix per table present with interactions);
    /// `None` when no such table is.
    pub aux_commitment: Option<DigestWords>,
    /// LogUp claimed sum of each table present with interactions, in table order.
    pub claimed_sums: Vec<ExtWords>,
    /// Root of the quotient chunks (one matrix per table present).
    pub quotient_commitment: DigestWords,
    /// Proof-of-work witness ground after the quotient commitment, before `zeta` is drawn
    /// (`deep_pow_bits` of the key's parameters).
    pub deep_pow_witness: u64,
    /// Values opened at the out-of-domain point, per table (all lists empty for a table left
    /// out).
    pub openings: Vec<TableOpenings>,
    /// The PCS opening proof (FRI) for all of them.
    pub opening_proof: OpeningProof,
}

/// The values of one table opened at `zeta` (`local`) and `zeta * omega` (`next`), one
/// extension element per committed base column. Auxiliary columns are committed as their 4 base
/// coordinates, quotient chunks likewise, so those lists have 4 entries per extension column.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct TableOpenings {
    /// Preprocessed columns at `zeta` (empty if the table has none).
    pub preprocessed_local: Vec<ExtWords>,
    /// Preprocessed columns at `zeta * omega`.
    pub preprocessed_next: Vec<ExtWords>,
    /// Main columns at `zeta`.
    pub main_local: Vec<ExtWords>,
    /// Main columns at `zeta * omega`.
    pub main_next: Vec<ExtWords>,
    /// Auxiliary base columns at `zeta` (empty without interactions).
    pub aux_local: Vec<ExtWords>,
    /// Auxiliary base columns at `zeta * omega`.
    pub aux_next: Vec<ExtWords>,
    /// Quotient chunk base columns at `zeta`.
    pub quotient: Vec<ExtWords>,
}

impl Proof {
    /// The proof as bytes: header, then the archive. The buffer is 16-byte aligned, as
    /// [`access`] requires of the bytes it is given.
    pub fn to_bytes(&self) -> rkyv::util::AlignedVec<16> {
        let archive = rkyv::to_bytes::<rkyv::rancor::Error>(self)
            .expect("serializing into memory cannot fail");
        HEADER.prepend(&archive)
    }
}

/// Checks the header and validates the archive in place (structure, bounds, alignment), without
/// copying or deserializing it. The bytes must start at a 16-byte aligned address.
pub fn access(bytes: &[u8]) -> Result<&ArchivedProof, VerifyError> {
    let archive = HEADER.strip(bytes).map_err(VerifyError::Format)?;
    let proof = rkyv::access::<ArchivedProof, rkyv::rancor::Failure>(archive)
        .map_err(|_| VerifyError::Format("malformed proof archive"))?;
    Layout::new(archive)
        .root(proof, layout_deps, layout_padding)
        .map_err(VerifyError::Format)?;
    Ok(proof)
}

/// The out-of-line data of a proof in serialization order (see [`crate::canonical`]); the
/// machine proof, which holds a proof inline, walks it with this too.
pub fn layout_deps(layout: &mut Layout, proof: &ArchivedProof) -> Result<(), NotCanonical> {
    layout.plain_vec(&proof.log_heights)?;
    layout.plain_vec(&proof.claimed_sums)?;
    layout.vec(
        &proof.openings,
        |layout, o| {
            for list in [
                &o.preprocessed_local,
                &o.preprocessed_next,
                &o.main_local,
                &o.main_next,
                &o.aux_local,
                &o.aux_next,
                &o.quotient,
            ] {
                layout.plain_vec(list)?;
            }
            Ok(())
        },
        |layout, o| {
            layout.zero_outside(
                o,
                &fields!(layout, o; preprocessed_local, preprocessed_next, main_local, main_next,
                    aux_local, aux_next, quotient),
            )
        },
    )?;
    opening_deps(layout, &proof.opening_proof)
}

/// The padding inside a proof's inline bytes (see [`crate::canonical`]).
pub fn layout_padding(layout: &Layout, proof: &ArchivedProof) -> Result<(), NotCanonical> {
    layout.zero_outside(
        proof,
        &fields!(layout, proof; log_heights, main_commitment, logup_pow_witness, aux_commitment,
            claimed_sums, quotient_commitment, deep_pow_witness, openings, opening_proof),
    )?;
    layout.option(&proof.aux_commitment, |_, _| Ok(()))?;
    let opening = &proof.opening_proof;
    layout.zero_outside(
        opening,
        &fields!(layout, opening; batch_pow_witness, fold_roots, final_poly, pow_witness, rounds,
            folds),
    )
}

fn opening_deps(layout: &mut Layout, opening: &ArchivedOpeningProof) -> Result<(), NotCanonical> {
    layout.plain_vec(&opening.fold_roots)?;
    layout.plain_vec(&opening.final_poly)?;
    layout.vec(
        &opening.rounds,
        |layout, round: &ArchivedBatchMultiOpening| {
            layout.plain_vec(&round.values)?;
            layout.plain_vec(&round.siblings)
        },
        |layout, round| layout.zero_outside(round, &fields!(layout, round; values, siblings)),
    )?;
    layout.vec(
        &opening.folds,
        |layout, fold: &ArchivedFoldMultiOpening| {
            layout.plain_vec(&fold.values)?;
            layout.plain_vec(&fold.siblings)
        },
        |layout, fold| layout.zero_outside(fold, &fields!(layout, fold; values, siblings)),
    )
}
