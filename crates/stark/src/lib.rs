//! droste-stark: the multi-table STARK of droste, with LogUp buses between tables.
//!
//! A proof covers any number of [`Table`]s (AIRs written with `p3-air`, plus bus
//! [`Interaction`]s) of different power-of-two heights, some with preprocessed columns committed
//! once in the [`VerifyingKey`]. The protocol (rounds, openings, LogUp packing, key digest) is
//! described in `docs/stark.md`, the Fiat-Shamir order in `docs/transcript.md`.
//!
//! - [`setup`] derives the proving and verifying keys from the tables.
//! - [`prove`] (feature `std`) proves main traces for them, with public bus endpoints.
//! - [`verify_bytes`] is the one verifier: `no_std` + `alloc`, reading the rkyv archive in place,
//!   returning a [`VerifyError`] (never panicking) on any bytes. [`verify`] serializes an owned
//!   [`Proof`] and delegates to it.
//! - [`check_constraints`] (feature `std`) is the debug checker that names the failing
//!   constraint and row, or the unbalanced bus tuple.

#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod air;
pub mod bus_builder;
pub mod canonical;
mod error;
mod folder;
pub mod logup;
pub mod proof;
mod row_eval;
mod verifier;
pub mod vk;
pub mod wire;

#[cfg(feature = "std")]
mod aux_trace;
#[cfg(feature = "std")]
pub mod debug;
#[cfg(feature = "std")]
mod prover;
#[cfg(feature = "std")]
mod quotient;
#[cfg(feature = "std")]
mod row_expr;

pub use air::{BusId, Direction, Interaction, ProverTable, PublicEndpoint, Table};
pub use bus_builder::{BusBuilder, InteractionCollector};
pub use droste_pcs::{Challenge, Digest, FriParameters, Val, EXT_DEGREE};
pub use error::VerifyError;
pub use folder::{ProverFolder, VerifierFolder};
pub use proof::{ArchivedProof, Proof};
pub use row_eval::RowEvaluator;
pub use verifier::{verify, verify_archived, verify_bytes};
pub use vk::{ArchivedVerifyingKey, DigestedKey, VerifyingKey};

#[cfg(feature = "std")]
pub use debug::{check_constraints, ConstraintViolation};
#[cfg(feature = "std")]
pub use error::{ProveError, SetupError};
#[cfg(feature = "std")]
pub use prover::{prove, prove_with_progress, setup, ProverRound, ProvingKey};

/// The SIMD packing of [`Val`] the prover evaluates constraints with.
pub type PackedVal = <Val as p3_field::Field>::Packing;
/// The SIMD packing of [`Challenge`].
pub type PackedChallenge = <Challenge as p3_field::ExtensionField<Val>>::ExtensionPacking;

/// Domain separator of droste-stark transcripts.
pub const TRANSCRIPT_DOMAIN: &[u8] = b"droste-stark/v2";
