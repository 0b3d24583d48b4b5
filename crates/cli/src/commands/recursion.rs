//! `droste compress` and `droste aggregate`: proofs of the verification of proofs, by the
//! recursion guest that ships with droste (docs/recursion.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use droste_sdk::recursion::{aggregate_with_progress, recursion_key, recursion_vkey, InnerProof};
use droste_sdk::{
    preset_name, proof_options, proof_vkey, read_proof_file, verifying_key, Program, ProofOptions,
    VerifyingKey,
};

use super::input::load_guest;
use super::preset::Preset;
use super::prove::ProofOutput;

/// Arguments of `droste compress`.
#[derive(clap::Args)]
pub struct CompressArgs {
    /// The proof to compress.
    proof: PathBuf,
    /// The guest the proof is of (an ELF file or a guest crate directory); not needed for a
    /// proof that is itself compressed or aggregated.
    guest: Option<PathBuf>,
    /// Where to write the compressed proof (`-`: stdout); written atomically.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Proof options of the compressed proof [default: the inner proof's preset].
    #[arg(long, value_enum)]
    preset: Option<Preset>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Arguments of `droste aggregate`.
#[derive(clap::Args)]
pub struct AggregateArgs {
    /// The proofs to aggregate, of any guests (compressed and aggregated proofs included).
    #[arg(required = true)]
    proofs: Vec<PathBuf>,
    /// A guest some of the proofs are of (an ELF file or a guest crate directory); each proof
    /// is matched with the guest whose verifying key it carries. Repeatable.
    #[arg(long = "guest", value_name = "GUEST")]
    guests: Vec<PathBuf>,
    /// Where to write the aggregated proof (`-`: stdout); written atomically.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Proof options of the aggregated proof [default: the inner proofs' preset, when they
    /// share one].
    #[arg(long, value_enum)]
    preset: Option<Preset>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Proves the recursion guest's verification of one proof.
pub fn compress(args: CompressArgs) -> Result<ExitCode> {
    prove_aggregate(
        &[args.proof],
        args.guest.as_slice(),
        &args.output,
        args.preset,
        args.json,
    )
}

/// Proves the recursion guest's verification of several proofs.
pub fn aggregate(args: AggregateArgs) -> Result<ExitCode> {
    prove_aggregate(
        &args.proofs,
        &args.guests,
        &args.output,
        args.preset,
        args.json,
    )
}

fn prove_aggregate(
    proof_paths: &[PathBuf],
    guest_paths: &[PathBuf],
    output: &Path,
    preset: Option<Preset>,
    json: bool,
) -> Result<ExitCode> {
    let inputs: Vec<&Path> = proof_paths
        .iter()
        .chain(guest_paths)
        .map(PathBuf::as_path)
        .collect();
    let output = ProofOutput::create(output, &inputs)?;
    let guests = guest_paths
        .iter()
        .map(|path| {
            let (elf, program) = load_guest(path)?;
            output.refuse_input(&elf)?;
            Ok((path.clone(), program))
        })
        .collect::<Result<Vec<_>>>()?;
    let proofs = proof_paths
        .iter()
        .map(|path| read_proof_file(path).map_err(anyhow::Error::from))
        .collect::<Result<Vec<_>>>()?;
    let mut keys = Vec::with_capacity(proofs.len());
    for (proof, path) in proofs.iter().zip(proof_paths) {
        keys.push(inner_key(proof, &guests).with_context(|| format!("proof {}", path.display()))?);
    }
    let preset = match preset {
        Some(preset) => preset,
        None => common_preset(&proofs, proof_paths)?,
    };
    let inner: Vec<InnerProof<'_>> = proofs
        .iter()
        .zip(&keys)
        .map(|(proof, vk)| InnerProof { proof, vk })
        .collect();
    output.prove(preset, json, |progress| {
        Ok(aggregate_with_progress(&inner, preset.options(), progress)?)
    })
}

/// The key `proof` carries: the recursion guest's for a compressed or aggregated proof,
/// otherwise that of the one guest in `guests` whose key digest under the proof's preset is the
/// proof's.
fn inner_key(proof: &[u8], guests: &[(PathBuf, Program)]) -> Result<VerifyingKey> {
    let options = preset_of(proof)?;
    let digest = proof_vkey(proof)?;
    if recursion_vkey(options)? == digest {
        return Ok(recursion_key(options)?.clone());
    }
    for (_, program) in guests {
        let vk = verifying_key(program, options)?;
        if droste_sdk::VkeyDigest(vk.digest_words()?) == digest {
            return Ok(vk);
        }
    }
    if guests.is_empty() {
        bail!("the proof's vkey digest is {digest}: give the guest it is of");
    }
    bail!("the proof's vkey digest is {digest}, no given guest's under its preset")
}

/// The preset a proof says it was made with (a proof under other options is refused).
fn preset_of(proof: &[u8]) -> Result<ProofOptions> {
    let options = proof_options(proof)?;
    if preset_name(options.fri).is_none() {
        bail!("the proof was not made under a preset (default or fast)");
    }
    Ok(options)
}

/// The preset all `proofs` share, when no `--preset` chose one.
fn common_preset(proofs: &[impl AsRef<[u8]>], paths: &[PathBuf]) -> Result<Preset> {
    let presets: Vec<ProofOptions> = proofs
        .iter()
        .map(|p| preset_of(p.as_ref()))
        .collect::<Result<_>>()?;
    let preset = |options: ProofOptions| {
        if options == Preset::Fast.options() {
            Preset::Fast
        } else {
            Preset::Default
        }
    };
    let first = preset(presets[0]);
    if let Some(other) = presets.iter().position(|&o| preset(o) != first) {
        bail!(
            "{} ({} preset) and {} ({} preset) differ: choose the result's with --preset",
            paths[0].display(),
            first.name(),
            paths[other].display(),
            preset(presets[other]).name()
        );
    }
    Ok(first)
}
