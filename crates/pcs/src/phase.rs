//! Phase markers for the guest profiler.
//!
//! In a droste guest, `addi x0, x0, N` (N != 0) is a step marker: a no-op for the machine that
//! `droste run --profile` uses to bucket cycles by the latest marker executed. The verifier
//! marks its phases with the numbers below, so a recursion guest's profile shows where its
//! cycles go; compiled natively the markers are nothing.
//!
//! | marker | phase |
//! |---|---|
//! | 10 | the verifying key's digest |
//! | 11 | the STARK's transcript up to `zeta` and the constraints at `zeta` |
//! | 12 | the PCS's transcript: opened values, proof of work, folding roots, query indices |
//! | 13 | commitment rounds: Merkle multi-openings of the opened rows |
//! | 14 | DEEP reduction of the opened rows |
//! | 15 | FRI: folding-round multi-openings, folding, the final polynomial |

/// The key digest.
pub const KEY_DIGEST: i32 = 10;
/// The STARK's transcript and the constraints at `zeta`.
pub const CONSTRAINTS: i32 = 11;
/// The PCS's transcript.
pub const PCS_TRANSCRIPT: i32 = 12;
/// Merkle multi-openings of the commitment rounds.
pub const INPUT_OPENINGS: i32 = 13;
/// DEEP reduction.
pub const DEEP: i32 = 14;
/// FRI query checks.
pub const FRI: i32 = 15;

/// Marks the start of phase `N` (a step marker in the guest, nothing natively).
#[inline(always)]
pub fn mark<const N: i32>() {
    // SAFETY: writing x0 has no effect; memory is not declared untouched, so the compiler keeps
    // loads and stores on their side of the marker.
    #[cfg(target_os = "zkvm")]
    unsafe {
        core::arch::asm!("addi x0, x0, {n}", n = const N, options(nostack, preserves_flags))
    };
}
