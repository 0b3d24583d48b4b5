//! The `--preset` flag of `prove` and `vkey`.

use droste_sdk::ProofOptions;

/// Proof options preset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// At least 100 provable bits (blowup 4, 113 queries).
    Default,
    /// At least 100 conjectured bits: faster proving, smaller proofs (blowup 2, 77 queries).
    Fast,
}

impl Preset {
    /// The preset's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Default => "default",
            Preset::Fast => "fast",
        }
    }

    /// The SDK's options for this preset.
    pub fn options(self) -> ProofOptions {
        match self {
            Preset::Default => ProofOptions::secure(),
            Preset::Fast => ProofOptions::fast(),
        }
    }
}
