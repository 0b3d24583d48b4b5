//! The presets' LogUp term at the largest buses a verifier accepts: fewer than `p` bus terms
//! (`check_interaction_bound`) and tuples of at most `MAX_TUPLE_LEN` elements (setup and the
//! verifier refuse longer ones). Every other term of the presets is tested in droste-pcs.

use droste_pcs::security::{analyze, SecurityInputs};
use droste_stark::logup::MAX_TUPLE_LEN;
use droste_stark::FriParameters;
use p3_field::PrimeField32;

/// The most bus terms a proof can have.
const MAX_BUS_TERMS: u64 = droste_stark::Val::ORDER_U32 as u64 - 1;

fn worst_case(params: FriParameters, log_lde: u32) -> SecurityInputs {
    SecurityInputs::koala_bear(params, log_lde, 1 << 16, 1 << 16, 3)
        .with_buses(MAX_BUS_TERMS, MAX_TUPLE_LEN as u64)
}

#[test]
fn default_preset_keeps_100_provable_bits_at_the_largest_buses() {
    let params = FriParameters::default_preset();
    for log_lde in (u32::from(params.log_blowup) + 1)..=24 {
        let r = analyze(&worst_case(params, log_lde));
        assert!(r.unique_decoding.logup >= 100.0, "2^{log_lde}: {r:?}");
        assert!(r.provable >= 100.0, "2^{log_lde}: {r:?}");
    }
}

#[test]
fn fast_preset_keeps_100_conjectured_bits_at_the_largest_buses() {
    let params = FriParameters::fast_preset();
    for log_lde in (u32::from(params.log_blowup) + 1)..=24 {
        let r = analyze(&worst_case(params, log_lde));
        assert!(r.conjectured >= 100.0, "2^{log_lde}: {r:?}");
    }
}

/// Without the grinding, the review's example (2^28.6 bus terms, tuples of 14) is below 100
/// bits: the term the calculator now counts is what the grinding is for.
#[test]
fn without_grinding_the_logup_term_is_below_100_bits() {
    let params = FriParameters {
        logup_pow_bits: 0,
        ..FriParameters::default_preset()
    };
    let terms = 2f64.powf(28.6) as u64;
    let r =
        analyze(&SecurityInputs::koala_bear(params, 24, 1 << 16, 1 << 16, 3).with_buses(terms, 14));
    assert!((r.unique_decoding.logup - 91.5).abs() < 0.1, "{r:?}");
    assert!(r.provable < 100.0);
}
