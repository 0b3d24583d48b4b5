//! `droste verify`: check a proof file against a guest.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use droste_sdk::{read_proof_file, VerifyError};

use super::input::load_guest;
use super::show::{output_json, output_line};

/// Arguments of `droste verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The proof file.
    proof: PathBuf,
    /// The guest the proof must be of: an ELF file, or a guest crate directory (built first).
    guest: PathBuf,
    /// Accept a proof of a run that ended with exit code N (and only N) instead of 0, for
    /// example 101 for a guest that panicked.
    #[arg(long, value_name = "N", default_value_t = 0)]
    exit_code: u32,
    /// Print one JSON object on stdout (vkey_digest, exit_code, public_output_hex,
    /// public_output_len).
    #[arg(long)]
    json: bool,
    /// Write the verified public output's bytes to FILE.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Exit code 0 and the proven public values when the proof is valid and proves the accepted
/// exit code; otherwise the caller prints the one-line reason and exits with 1.
pub fn run(args: Args) -> Result<ExitCode> {
    // The guest first: a file that is no droste guest is the guest's fault, not the proof's.
    let (_, program) = load_guest(&args.guest)?;
    let proof = read_proof_file(&args.proof)?;
    let public = droste_sdk::verify_exit_code(&proof, &program, args.exit_code)
        .map_err(|err| match err {
            VerifyError::ExitCode { proved, .. } => {
                anyhow::anyhow!("{err} (pass --exit-code {proved} to accept it)")
            }
            other => anyhow::Error::new(other),
        })
        .with_context(|| format!("proof {} rejected", args.proof.display()))?;
    if let Some(path) = &args.output {
        std::fs::write(path, &public.public_output)
            .with_context(|| format!("cannot write the public output to {}", path.display()))?;
    }
    let digest = droste_sdk::VkeyDigest(public.vkey_digest);
    if args.json {
        let mut report = serde_json::json!({
            "vkey_digest": digest.to_string(),
            "exit_code": public.exit_code,
        });
        output_json(&mut report, &public.public_output);
        println!("{report}");
    } else {
        println!("proof is valid (vkey digest {digest})");
        println!("exit code: {}", public.exit_code);
        println!("{}", output_line(&public.public_output));
    }
    Ok(ExitCode::SUCCESS)
}
