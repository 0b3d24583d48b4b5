//! `droste verify`: check a proof file against a guest.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use droste_sdk::read_proof_file;

use super::input::guest_elf;

/// Arguments of `droste verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The proof file.
    proof: PathBuf,
    /// The guest the proof must be of: an ELF file, or a guest crate directory (built first).
    guest: PathBuf,
    /// Print one JSON object on stdout (vkey_digest, exit_code, public_output_hex).
    #[arg(long)]
    json: bool,
}

/// Exit code 0 and the proven public values when the proof is valid; otherwise the caller
/// prints the one-line reason and exits with 1.
pub fn run(args: Args) -> Result<ExitCode> {
    let proof = read_proof_file(&args.proof)?;
    let elf = guest_elf(&args.guest)?;
    let public = droste_sdk::verify(&proof, &elf)
        .with_context(|| format!("proof {} rejected", args.proof.display()))?;
    let digest = droste_sdk::VkeyDigest(public.vkey_digest);
    let output = hex::encode(&public.public_output);
    if args.json {
        let report = serde_json::json!({
            "vkey_digest": digest.to_string(),
            "exit_code": public.exit_code,
            "public_output_hex": output,
        });
        println!("{report}");
    } else {
        println!("proof is valid (vkey digest {digest})");
        println!("exit code: {}", public.exit_code);
        println!(
            "public output ({} bytes): {output}",
            public.public_output.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
