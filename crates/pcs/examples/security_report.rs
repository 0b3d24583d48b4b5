//! Print the security calculator's figures for the presets (docs/security.md quotes them).
//! `cargo run -p droste-pcs --example security_report`

use droste_pcs::security::{analyze, RegimeReport, SecurityInputs};
use droste_pcs::FriParameters;

/// KoalaBear's characteristic.
const P: u32 = (1 << 31) - (1 << 24) + 1;

fn row(label: &str, r: &RegimeReport) {
    let commit = r
        .commit_rounds
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    println!(
        "  {label:<4} total {:6.1} | query {:6.1} | batching {:6.1} | commit (min) {:6.1} | ALI {:6.1} | DEEP {:6.1} | LogUp {:6.1}",
        r.total, r.query, r.batching, commit, r.ali, r.deep, r.logup
    );
}

fn main() {
    for (name, params) in [
        ("default_preset", FriParameters::default_preset()),
        ("fast_preset", FriParameters::fast_preset()),
    ] {
        println!("{name}: {params:?}");
        for log_lde in [16, 20, 24] {
            // 2^16 batched functions, 2^16 constraints of degree 3, two opening points; the
            // largest buses a verifier admits (p - 1 terms, tuples of 32 elements).
            let r = analyze(
                &SecurityInputs::koala_bear(params, log_lde, 1 << 16, 1 << 16, 3)
                    .with_buses(u64::from(P) - 1, 32),
            );
            println!(
                " LDE 2^{log_lde}: provable {:.1}, conjectured {:.1}",
                r.provable, r.conjectured
            );
            row("UDR", &r.unique_decoding);
            row("JBR", &r.johnson_bound);
        }
    }
}
