//! Recursion benchmark: the cost of verifying a droste proof inside droste.
//!
//! `cargo run --release -p droste-sdk --example recursion_bench -- --guest fibonacci --preset default`
//!
//! Proves the inner guest (fibonacci n = 1000 or sha256 of 1 KiB), then runs the recursion guest
//! over that proof and prints its cycles by verifier phase (the step markers of
//! `droste_pcs::phase`) and the padded height of its tallest table. With `--prove` it also
//! compresses (proves the recursion guest's run) and prints, side by side with the inner proof,
//! prove time, peak memory (VmHWM of this process), proof size and native verify time. With
//! `--fixed-point` it then verifies the compressed proof in the recursion guest too (the cost of
//! recursing on recursion proofs), compresses it again and verifies that proof in the guest (one
//! level up, where the proven run is itself a verification of a recursion proof).

use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use droste_sdk::recursion::{compress, recursion_elf, recursion_input, recursion_key, InnerProof};
use droste_sdk::{
    build_guest, execute, peak_resident_kib, proving_cost, repo_root, ExecOptions, Execution,
    Input, Proof, ProofOptions, Prover, VerifyingKey, PRESETS,
};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Guest {
    Fibonacci,
    Sha256,
}

#[derive(Parser)]
struct Args {
    /// The inner guest.
    #[arg(long, value_enum, default_value = "fibonacci")]
    guest: Guest,
    /// Preset of the inner proof and of the recursion proofs: default or fast.
    #[arg(long, default_value = "default")]
    preset: String,
    /// Prove the recursion guest's run (compress) and report its cost.
    #[arg(long)]
    prove: bool,
    /// Also verify the compressed proof in the recursion guest and compress it again.
    #[arg(long, requires = "prove")]
    fixed_point: bool,
    /// Print what proving the recursion guest's run costs, table by table and function by
    /// function (what `droste run --profile` prints); with `--fixed-point`, also for the run
    /// that verifies the compressed proof.
    #[arg(long)]
    cost: bool,
}

#[global_allocator]
static ALLOCATOR: droste_sdk::ProvingAllocator = droste_sdk::ProvingAllocator;

fn main() -> ExitCode {
    droste_sdk::tune_allocator_for_proving();
    let args = Args::parse();
    let Some(&(_, options)) = PRESETS.iter().find(|(name, _)| *name == args.preset) else {
        eprintln!("unknown preset {}", args.preset);
        return ExitCode::FAILURE;
    };
    let (name, input) = match args.guest {
        Guest::Fibonacci => (
            "fibonacci",
            Input::new().write_slice(&1000u64.to_le_bytes()),
        ),
        Guest::Sha256 => ("sha256", Input::new().write_slice(&[0x5a; 1024])),
    };
    let elf = std::fs::read(build_guest(repo_root().join("guests").join(name)).unwrap()).unwrap();
    let prover = Prover::new(&elf, options).unwrap();
    let inner = timed_proof(|| prover.prove(&input)).unwrap();
    println!(
        "inner: {name}, {} preset, {} cycles",
        args.preset,
        inner.0.stats().cycles
    );
    // The recursion guest as built from this checkout's sources: the verifier being measured
    // (`compress` proves with the shipped ELF, which `scripts/build-recursion-elf.sh` refreshes).
    let recursion =
        std::fs::read(build_guest(repo_root().join("guests/recursion")).unwrap()).unwrap();
    if recursion != recursion_elf() {
        println!("(the recursion guest built from these sources is not the shipped one)");
    }
    let in_guest = verify_in_guest(&recursion, inner.0.bytes(), prover.verifying_key(), options);
    if args.cost {
        let profile = in_guest.profile.clone().expect("profiled");
        println!("{}", proving_cost(&recursion, profile, options).unwrap());
    }
    if !args.prove {
        return ExitCode::SUCCESS;
    }
    let outer = timed_proof(|| compress(inner.0.bytes(), prover.verifying_key(), options)).unwrap();
    report("inner proof", &inner, prover.verifying_key());
    report("compressed", &outer, recursion_key(options).unwrap());
    if in_guest.cycles != outer.0.stats().cycles {
        println!(
            "(the compressed run took {} cycles)",
            outer.0.stats().cycles
        );
    }
    let heights: Vec<String> = outer
        .0
        .stats()
        .tables
        .iter()
        .filter(|t| t.rows > 0)
        .map(|t| format!("{} 2^{}", t.name, t.rows.trailing_zeros()))
        .collect();
    println!("compressed proof's tables: {}", heights.join(", "));
    if args.fixed_point {
        let recursion_built = recursion;
        let recursion = recursion_key(options).unwrap();
        let fixed_point = verify_in_guest(&recursion_built, outer.0.bytes(), recursion, options);
        if args.cost {
            let profile = fixed_point.profile.expect("profiled");
            println!(
                "{}",
                proving_cost(&recursion_built, profile, options).unwrap()
            );
        }
        match timed_proof(|| compress(outer.0.bytes(), recursion, options)) {
            Ok(again) => {
                report("compressed twice", &again, recursion);
                // One level up: a recursion proof of a run that itself verified a recursion
                // proof (taller tables than the compressed proof's), in the guest.
                verify_in_guest(&recursion_built, again.0.bytes(), recursion, options);
            }
            Err(error) => println!("compressed twice: not proven: {error}"),
        }
    }
    ExitCode::SUCCESS
}

/// A proof with its wall time and the process's peak memory afterwards.
type Timed = (Proof, f64, u64);

fn timed_proof<E>(prove: impl FnOnce() -> Result<Proof, E>) -> Result<Timed, E> {
    let start = Instant::now();
    let proof = prove()?;
    Ok((
        proof,
        start.elapsed().as_secs_f64(),
        peak_resident_kib().unwrap_or(0),
    ))
}

/// Runs the recursion guest `elf` over `proof` and prints its cycles by verifier phase.
fn verify_in_guest(
    elf: &[u8],
    proof: &[u8],
    vk: &VerifyingKey,
    options: ProofOptions,
) -> Execution {
    let input = recursion_input(&[InnerProof { proof, vk }], options).unwrap();
    let profile = ExecOptions {
        profile: true,
        ..ExecOptions::default()
    };
    let run = execute(elf, &input, &profile).unwrap();
    assert_eq!(run.exit_code, 0, "{:?}", run.panic_message);
    println!(
        "recursion guest verifying a {}-byte proof: {} cycles",
        proof.len(),
        run.cycles
    );
    let names = [
        (10, "key digest"),
        (11, "transcript and constraints at zeta"),
        (12, "PCS transcript, batching powers"),
        (13, "commitment rounds: Merkle multi-openings"),
        (14, "DEEP reduction"),
        (15, "FRI: folding rounds and final polynomial"),
    ];
    let markers = &run.profile.as_ref().expect("profiled").markers;
    for (marker, what) in names {
        let cycles: u64 = markers
            .iter()
            .filter(|m| m.marker == Some(marker))
            .map(|m| m.cycles)
            .sum();
        println!("  {marker}  {what:<42} {cycles:>10}");
    }
    let rest: u64 = markers
        .iter()
        .filter(|m| !names.iter().any(|(n, _)| m.marker == Some(*n)))
        .map(|m| m.cycles)
        .sum();
    println!("      {:<42} {rest:>10}", "the guest around the verifier");
    run
}

/// Prints a proof's cost, with the padded height of its tallest table; the verify time is the
/// native verification under the key (best of 5), without deriving the key.
fn report(what: &str, (proof, seconds, peak_kib): &Timed, vk: &VerifyingKey) {
    let tallest = proof
        .stats()
        .tables
        .iter()
        .max_by_key(|t| t.rows)
        .expect("a proof has tables");
    let mut verified = true;
    let mut verify_ms = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        verified &= droste_machine::verify(vk, proof.bytes()).is_ok();
        verify_ms = verify_ms.min(start.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "{what:<17} {:>10} cycles  prove {seconds:7.1} s  peak {:>6} MiB  proof {:>7.1} KiB  \
         verify {verify_ms:6.1} ms ({})  tallest table {} (2^{})",
        proof.stats().cycles,
        peak_kib / 1024,
        proof.bytes().len() as f64 / 1024.0,
        if verified { "ok" } else { "FAILED" },
        tallest.name,
        tallest.rows.trailing_zeros()
    );
}
