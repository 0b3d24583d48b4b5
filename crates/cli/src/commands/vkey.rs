//! `droste vkey`: print a guest's verifying-key digest.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::input::load_guest;
use super::preset::Preset;

/// Arguments of `droste vkey`.
#[derive(clap::Args)]
pub struct Args {
    /// The guest: an ELF file, or a guest crate directory (built first).
    guest: PathBuf,
    /// Proof options (they are part of the key).
    #[arg(long, value_enum, default_value_t = Preset::Default)]
    preset: Preset,
}

/// Prints the digest as 64 hex digits.
pub fn run(args: Args) -> Result<ExitCode> {
    let (_, program) = load_guest(&args.guest)?;
    println!("{}", droste_sdk::vkey(&program, args.preset.options())?);
    Ok(ExitCode::SUCCESS)
}
