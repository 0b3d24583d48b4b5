//! FRI parameters and the presets chosen with the security calculator.

use crate::transcript::MAX_POW_BITS;
use crate::PcsError;

/// Largest supported folding arity (2^3 = 8).
pub const MAX_LOG_FOLDING_ARITY: u8 = 3;
/// Largest supported blowup (2^4 = 16 times the trace length).
pub const MAX_LOG_BLOWUP: u8 = 4;

/// FRI parameters. Part of the verifying key, so archivable and fixed-width.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize,
)]
#[rkyv(derive(Debug))]
pub struct FriParameters {
    /// log2 of the Reed-Solomon blowup factor (rate rho = 2^-log_blowup).
    pub log_blowup: u8,
    /// Number of FRI query repetitions.
    pub num_queries: u16,
    /// Proof-of-work bits, ground twice: before the batching challenge (it divides the batching
    /// error, which grows with the number of opened columns) and before the query indices.
    pub query_pow_bits: u8,
    /// log2 of the folding arity (1 = fold by 2, 2 = by 4, 3 = by 8).
    pub log_folding_arity: u8,
    /// log2 of the number of coefficients of the final polynomial sent in clear (a proof sends at
    /// most as many as its shortest trace has rows). The presets send `2^10`: a longer
    /// final polynomial ends FRI earlier, and with arity 8 each three more bits save a folding
    /// round, whose cosets and Merkle paths cost a guest verifier far more per query than
    /// evaluating 1,024 coefficients by EXT_COMBINE (`verifier/final_poly.rs`).
    pub log_final_poly_len: u8,
    /// Proof-of-work bits the STARK grinds after committing to the quotient and before drawing
    /// the out-of-domain point `zeta`: they add to the DEEP term of the security calculator,
    /// which is what limits a blowup-4 proof at 2^22 rows (DEEP error ~ degree x height / |F|).
    pub deep_pow_bits: u8,
    /// Proof-of-work bits the STARK grinds after committing to the main traces and before
    /// drawing the LogUp challenges `gamma, beta`: they add to the LogUp term of the security
    /// calculator, whose error grows with the number of bus terms (up to `p`) times the longest
    /// tuple (docs/security.md).
    pub logup_pow_bits: u8,
}

impl From<&ArchivedFriParameters> for FriParameters {
    fn from(archived: &ArchivedFriParameters) -> Self {
        Self {
            log_blowup: archived.log_blowup,
            num_queries: archived.num_queries.to_native(),
            query_pow_bits: archived.query_pow_bits,
            log_folding_arity: archived.log_folding_arity,
            log_final_poly_len: archived.log_final_poly_len,
            deep_pow_bits: archived.deep_pow_bits,
            logup_pow_bits: archived.logup_pow_bits,
        }
    }
}

impl FriParameters {
    /// Reject parameters this implementation cannot run (or would run insecurely by mistake).
    pub fn validate(&self) -> Result<(), PcsError> {
        if self.log_blowup == 0 || self.log_blowup > MAX_LOG_BLOWUP {
            return Err(PcsError::InvalidParameters("log_blowup must be in 1..=4"));
        }
        if self.num_queries == 0 {
            return Err(PcsError::InvalidParameters("num_queries must be positive"));
        }
        if self.query_pow_bits > MAX_POW_BITS {
            return Err(PcsError::InvalidParameters(
                "query_pow_bits must be at most 26",
            ));
        }
        if self.log_folding_arity == 0 || self.log_folding_arity > MAX_LOG_FOLDING_ARITY {
            return Err(PcsError::InvalidParameters(
                "log_folding_arity must be in 1..=3",
            ));
        }
        if self.deep_pow_bits > MAX_POW_BITS {
            return Err(PcsError::InvalidParameters(
                "deep_pow_bits must be at most 26",
            ));
        }
        if self.logup_pow_bits > MAX_POW_BITS {
            return Err(PcsError::InvalidParameters(
                "logup_pow_bits must be at most 26",
            ));
        }
        if self.log_final_poly_len > 16 {
            return Err(PcsError::InvalidParameters(
                "log_final_poly_len must be at most 16",
            ));
        }
        Ok(())
    }

    /// Default preset: at least 100 *provable* bits (unique-decoding regime) for every LDE domain
    /// the field has (up to 2^24, i.e. traces up to 2^22 rows at blowup 4), constraint degree up
    /// to 4 and 2^16 batched functions, as computed by [`crate::security`] (docs/security.md has
    /// the numbers). Blowup 4 rather than 8 halves the prover's LDE work and memory and reaches
    /// 2^22 rows; it costs 124 queries instead of 102 (at 16 bits of grinding) and one bit of
    /// DEEP grinding. 24 bits of query grinding (about a second per search on two cores) replace
    /// 11 of those queries, which every verifier pays for, the recursion guest most. The 13 bits
    /// ground before the LogUp challenges keep the LogUp term above 100 bits for every bus size
    /// the verifier accepts (fewer than `p` terms, tuples of at most 32 elements).
    pub const fn default_preset() -> Self {
        Self {
            log_blowup: 2,
            num_queries: 113,
            query_pow_bits: 24,
            log_folding_arity: 3,
            log_final_poly_len: 10,
            deep_pow_bits: 1,
            logup_pow_bits: 13,
        }
    }

    /// Faster preset: at least 100 *conjectured* bits (ethSTARK conjecture), for users who accept
    /// that conjecture. The same 24 bits of grinding as the default replace 8 queries.
    pub const fn fast_preset() -> Self {
        Self {
            log_blowup: 1,
            num_queries: 77,
            query_pow_bits: 24,
            log_folding_arity: 3,
            log_final_poly_len: 10,
            deep_pow_bits: 1,
            logup_pow_bits: 13,
        }
    }
}
