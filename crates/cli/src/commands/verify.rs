//! `droste verify`: check a proof file against a guest, or an aggregated proof against the
//! guests of its statements.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use droste_sdk::recursion::{verify_aggregate, Statement};
use droste_sdk::{guest_vkeys, read_proof_file, Program, PublicValues, VerifyError, VkeyDigest};

use super::input::load_guest;
use super::show::{output_json, output_line};

/// Arguments of `droste verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The proof file.
    proof: PathBuf,
    /// The guest the proof must be of: an ELF file, or a guest crate directory (built first).
    /// For an aggregated proof, the guests of its statements (each statement must be of one of
    /// them, and each of them must have a statement).
    #[arg(required = true)]
    guests: Vec<PathBuf>,
    /// Accept proofs of runs that ended with exit code N (and only N) instead of 0, for
    /// example 101 for a guest that panicked.
    #[arg(long, value_name = "N", default_value_t = 0)]
    exit_code: u32,
    /// Print one JSON object on stdout (vkey_digest, exit_code, public_output_hex,
    /// public_output_len; for several guests, a `statements` array of those).
    #[arg(long)]
    json: bool,
    /// Write the verified public output's bytes to FILE (one guest only).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Exit code 0 and the proven public values when the proof is valid and proves the accepted
/// exit code; otherwise the caller prints the one-line reason and exits with 1.
pub fn run(args: Args) -> Result<ExitCode> {
    // The guests first: a file that is no droste guest is the guest's fault, not the proof's.
    let guests = args
        .guests
        .iter()
        .map(|path| Ok((path.clone(), load_guest(path)?.1)))
        .collect::<Result<Vec<(PathBuf, Program)>>>()?;
    let proof = read_proof_file(&args.proof)?;
    let rejected = || format!("proof {} rejected", args.proof.display());
    if let [(_, program)] = &guests[..] {
        let public = droste_sdk::verify_exit_code(&proof, program, args.exit_code)
            .map_err(exit_code_hint)
            .with_context(rejected)?;
        if let Some(path) = &args.output {
            std::fs::write(path, &public.public_output)
                .with_context(|| format!("cannot write the public output to {}", path.display()))?;
        }
        show(&[(public, None)], args.json);
        return Ok(ExitCode::SUCCESS);
    }
    if args.output.is_some() {
        bail!("--output takes the public output of one guest's proof");
    }
    let statements = verify_aggregate(&proof).with_context(rejected)?;
    let matched = match_guests(&statements, &guests, args.exit_code).with_context(rejected)?;
    show(&matched, args.json);
    Ok(ExitCode::SUCCESS)
}

/// Adds the flag to pass to an exit-code refusal.
fn exit_code_hint(err: VerifyError) -> anyhow::Error {
    match err {
        VerifyError::ExitCode { proved, .. } => {
            anyhow::anyhow!("{err} (pass --exit-code {proved} to accept it)")
        }
        other => anyhow::Error::new(other),
    }
}

/// Each statement with the guest whose key (under a preset) it carries; every statement must
/// have one and prove the accepted exit code, and every guest must have a statement.
fn match_guests(
    statements: &[Statement],
    guests: &[(PathBuf, Program)],
    exit_code: u32,
) -> Result<Vec<(PublicValues, Option<PathBuf>)>> {
    let keys = guests
        .iter()
        .map(|(_, program)| guest_vkeys(program))
        .collect::<Result<Vec<_>, _>>()?;
    let mut used = vec![false; guests.len()];
    let mut matched = Vec::with_capacity(statements.len());
    for (index, statement) in statements.iter().enumerate() {
        let digest = VkeyDigest(statement.vkey_digest);
        let Some(guest) = keys
            .iter()
            .position(|presets| presets.iter().any(|&(_, d)| d == digest))
        else {
            bail!("statement {index} is of a program none of the guests is (vkey digest {digest})");
        };
        if statement.exit_code != exit_code {
            bail!(
                "statement {index} ({}) proves exit code {}, not {exit_code} (pass --exit-code {} \
                 to accept it)",
                guests[guest].0.display(),
                statement.exit_code,
                statement.exit_code
            );
        }
        used[guest] = true;
        matched.push((
            PublicValues {
                vkey_digest: statement.vkey_digest,
                exit_code: statement.exit_code,
                public_output: statement.public_output.clone(),
            },
            Some(guests[guest].0.clone()),
        ));
    }
    if let Some(unused) = used.iter().position(|&u| !u) {
        bail!(
            "no statement of the proof is of {}",
            guests[unused].0.display()
        );
    }
    Ok(matched)
}

/// Prints verified public values: one guest's as before, an aggregate's statement by statement.
fn show(values: &[(PublicValues, Option<PathBuf>)], json: bool) {
    let report = |public: &PublicValues, guest: &Option<PathBuf>| {
        let mut report = serde_json::json!({
            "vkey_digest": VkeyDigest(public.vkey_digest).to_string(),
            "exit_code": public.exit_code,
        });
        if let Some(guest) = guest {
            report["guest"] = guest.display().to_string().into();
        }
        output_json(&mut report, &public.public_output);
        report
    };
    if json {
        match values {
            [(public, None)] => println!("{}", report(public, &None)),
            _ => {
                let statements: Vec<_> = values.iter().map(|(p, g)| report(p, g)).collect();
                println!("{}", serde_json::json!({ "statements": statements }));
            }
        }
        return;
    }
    if let [(public, None)] = values {
        println!(
            "proof is valid (vkey digest {})",
            VkeyDigest(public.vkey_digest)
        );
        println!("exit code: {}", public.exit_code);
        println!("{}", output_line(&public.public_output));
        return;
    }
    println!("aggregated proof is valid: {} statements", values.len());
    for (index, (public, guest)) in values.iter().enumerate() {
        let guest = guest
            .as_ref()
            .map_or(String::new(), |g| g.display().to_string());
        println!(
            "statement {index}: {guest} (vkey digest {}), exit code {}",
            VkeyDigest(public.vkey_digest),
            public.exit_code
        );
        println!("  {}", output_line(&public.public_output));
    }
}
