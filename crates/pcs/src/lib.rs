//! droste-pcs: the polynomial commitment layer of droste's STARK.
//!
//! Poseidon2 Merkle commitments to batches of matrices of mixed power-of-two heights, the
//! Poseidon2 duplex-sponge Fiat-Shamir [`Transcript`], a FRI-based opening proof (DEEP quotients
//! batched across rounds and heights, FRI with configurable folding arity, a final polynomial in
//! clear, proof-of-work before the queries, queries answered by one Merkle multi-opening per tree)
//! and the [`security`] calculator behind the parameter presets.
//!
//! Why our own layer rather than p3-fri/p3-merkle-tree/p3-challenger: the verifier must be
//! `no_std` + `alloc`, must read the proof in place from an rkyv archive (field elements stored as
//! their internal Montgomery `u32`, see [`codec`]) and must return an error, never panic, on any
//! bytes. The arithmetic (field, Poseidon2, DFT, matrices) is Plonky3's.
//!
//! Features: `std` (default) adds the prover ([`Pcs`]), with rayon parallelism and p3-dft.
//! Without it only the verifier ([`verify`]) and what it needs are compiled.
//!
//! API notes (differences from the first sketch in the brief):
//! * [`Pcs`] is built with [`Pcs::new`] (it holds its Poseidon2 and DFT instances).
//! * `open`/`verify` absorb the opened values into the transcript themselves; the caller only
//!   absorbs its commitment digests. docs/pcs.md gives the exact transcript order.
//! * `query_pow_bits` is ground twice: before the batching challenge (this keeps the batching
//!   error at 100 provable bits with many columns, see docs/security.md) and before the queries;
//!   [`OpeningProof`] carries both witnesses.
//! * [`security`] (the calculator) needs floating point and is compiled with `std` only.

#![no_std]

// Proofs are little-endian archives read in place (`codec::vals_in_place` reinterprets archived
// words as field elements); every target droste runs on (x86-64, aarch64, the RV64 guest) is
// little-endian.
#[cfg(not(target_endian = "little"))]
compile_error!(
    "droste-pcs reads little-endian proof archives in place: big-endian targets are not supported"
);

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod batch;
pub mod codec;
pub mod domain;
mod error;
pub mod ext;
mod fold;
pub mod hash;
pub mod merkle;
mod params;
pub mod phase;
#[cfg(target_os = "zkvm")]
pub mod precompile;
pub mod proof;
#[cfg(feature = "std")]
pub mod security;
pub mod transcript;
mod verifier;

#[cfg(feature = "std")]
mod prover;

pub use domain::Domain;
pub use error::PcsError;
pub use params::{ArchivedFriParameters, FriParameters, MAX_LOG_BLOWUP, MAX_LOG_FOLDING_ARITY};
pub use proof::{ArchivedOpeningProof, OpeningProof};
pub use transcript::Transcript;
pub use verifier::{verify, MatrixClaim, RoundClaim};

#[cfg(feature = "std")]
pub use prover::{Committed, Pcs};

/// The base field: KoalaBear, p = 2^31 - 2^24 + 1.
pub type Val = p3_koala_bear::KoalaBear;
/// Degree of the challenge field over [`Val`].
pub const EXT_DEGREE: usize = 4;
/// The challenge field: the degree-4 binomial extension of KoalaBear.
pub type Challenge = p3_field::extension::BinomialExtensionField<Val, EXT_DEGREE>;
/// Number of field elements in a digest.
pub const DIGEST_ELEMS: usize = 8;
/// A Poseidon2 digest (Merkle roots and nodes).
pub type Digest = [Val; DIGEST_ELEMS];
