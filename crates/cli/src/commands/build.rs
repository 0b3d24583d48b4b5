//! `droste build <guest-crate-dir>`: build a guest and print its ELF path.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

/// Arguments of `droste build`.
#[derive(clap::Args)]
pub struct Args {
    /// The guest crate's directory (holding its Cargo.toml).
    guest: PathBuf,
}

/// Builds the guest; build progress goes to stderr, the ELF path to stdout.
pub fn run(args: Args) -> Result<ExitCode> {
    let elf = droste_sdk::build_guest(&args.guest)?;
    println!("{}", elf.display());
    Ok(ExitCode::SUCCESS)
}
