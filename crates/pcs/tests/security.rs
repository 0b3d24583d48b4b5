//! The security calculator against soundcalc's published reports, monotonicity, and the presets.

#![cfg(feature = "std")]

use droste_pcs::security::{analyze, koala_bear_ext_log2_order, Regime, SecurityInputs};
use droste_pcs::FriParameters;

fn fri(log_blowup: u8, num_queries: u16, pow: u8, log_arity: u8) -> FriParameters {
    FriParameters {
        log_blowup,
        num_queries,
        query_pow_bits: pow,
        log_folding_arity: log_arity,
        log_final_poly_len: 0,
        deep_pow_bits: 0,
        logup_pow_bits: 0,
    }
}

/// soundcalc (github.com/ethereum/soundcalc, reports/pico.md, circuit "riscv"): KoalaBear^4,
/// rho = 1/2, trace 2^22, 84 queries, 16 bits of query PoW, batch size 1435 with powers,
/// 4729 constraints of degree 3, 2 opening points, binary folding. Published floors:
/// UDR query 50 / batching 92 / commit round 1: 103 / ALI 111 / DEEP 99;
/// JBR query 53 / batching 69 / commit round 1: 81 / ALI 106 / DEEP 95.
#[test]
fn matches_soundcalc_pico_riscv() {
    let field = koala_bear_ext_log2_order();
    let (rate, k) = (0.5, (1u64 << 22) as f64);
    let udr = Regime::UniqueDecoding;
    let jbr = Regime::JohnsonBound;
    // Batching and folding without grinding (Pico grinds only before the queries).
    assert_eq!(udr.powers_error_bits(rate, k, 1435, field).floor(), 92.0);
    assert_eq!(jbr.powers_error_bits(rate, k, 1435, field).floor(), 69.0);
    assert_eq!(
        udr.powers_error_bits(rate, k / 2.0, 2, field).floor(),
        103.0
    );
    assert_eq!(jbr.powers_error_bits(rate, k / 2.0, 2, field).floor(), 81.0);

    let mut inputs = SecurityInputs::koala_bear(fri(1, 84, 16, 1), 23, 1435, 4729, 3);
    inputs.num_opening_points = 2;
    let r = analyze(&inputs);
    assert_eq!(r.unique_decoding.query.floor(), 50.0);
    assert_eq!(r.johnson_bound.query.floor(), 53.0);
    assert_eq!(r.unique_decoding.ali.floor(), 111.0);
    assert_eq!(r.johnson_bound.ali.floor(), 106.0);
    assert_eq!(r.unique_decoding.deep.floor(), 99.0);
    assert_eq!(r.johnson_bound.deep.floor(), 95.0);
}

/// soundcalc reports/sp1.md, circuit "core": KoalaBear^4, blowup 4, 124 queries, 16 bits of
/// PoW: 100 bits for the query phase in the unique-decoding regime.
#[test]
fn matches_soundcalc_sp1_core_query_phase() {
    let r = analyze(&SecurityInputs::koala_bear(fri(2, 124, 16, 1), 24, 2, 1, 2));
    assert_eq!(r.unique_decoding.query.floor(), 100.0);
}

#[test]
fn more_queries_or_pow_never_lower_bits_and_more_functions_never_raise_them() {
    let base = SecurityInputs::koala_bear(fri(2, 50, 8, 2), 20, 512, 1000, 3);
    let mut last = analyze(&base);
    for q in 51..200 {
        let r = analyze(&SecurityInputs {
            params: fri(2, q, 8, 2),
            ..base
        });
        assert!(r.unique_decoding.total >= last.unique_decoding.total);
        assert!(r.johnson_bound.total >= last.johnson_bound.total);
        assert!(r.provable >= last.provable && r.conjectured >= last.conjectured);
        last = r;
    }
    for pow in 9..=26 {
        let r = analyze(&SecurityInputs {
            params: fri(2, 50, pow, 2),
            ..base
        });
        let before = analyze(&SecurityInputs {
            params: fri(2, 50, pow - 1, 2),
            ..base
        });
        assert!(r.provable >= before.provable && r.conjectured >= before.conjectured);
    }
    let mut last = analyze(&base);
    for functions in [1024, 4096, 1 << 16, 1 << 20] {
        let r = analyze(&SecurityInputs {
            num_functions: functions,
            ..base
        });
        assert!(r.unique_decoding.batching <= last.unique_decoding.batching);
        assert!(r.provable <= last.provable);
        last = r;
    }
}

#[test]
fn default_preset_is_provably_100_bits_up_to_2_pow_24() {
    let p = FriParameters::default_preset();
    p.validate().unwrap();
    // Up to 2^16 batched functions (e.g. 32768 columns at two points), 2^16 constraints of
    // degree at most 4, any LDE domain the field supports.
    for log_lde in (u32::from(p.log_blowup) + 1)..=24 {
        for degree in [2, 3, 4] {
            let r = analyze(&SecurityInputs::koala_bear(
                p,
                log_lde,
                1 << 16,
                1 << 16,
                degree,
            ));
            assert!(r.provable >= 100.0, "2^{log_lde}, degree {degree}: {:?}", r);
        }
    }
}

#[test]
fn fast_preset_is_conjecturally_100_bits() {
    let p = FriParameters::fast_preset();
    p.validate().unwrap();
    for log_lde in (u32::from(p.log_blowup) + 1)..=24 {
        let r = analyze(&SecurityInputs::koala_bear(p, log_lde, 1 << 16, 1 << 16, 3));
        assert!(r.conjectured >= 100.0, "2^{log_lde}: {}", r.conjectured);
    }
}
