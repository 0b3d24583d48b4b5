//! Aggregation benchmark: what one level-1 aggregation of a continuation costs, the step that
//! sets how far a long run's proving time is from a single proof's (issue 11).
//!
//! `cargo run --release -p droste-sdk --example aggregation_bench -- --prove`
//!
//! Proves `--shards` (default two; a continuation's level 1 takes up to four) consecutive shards of
//! sha256 over `--bytes` (default: the 2^27-cycle run's 2 MiB; from shard 1, full-sized ones
//! without the input) at the default preset, once: the shard
//! proofs are kept in `--cache` and reused. Then runs the recursion guest (the shipped ELF, or
//! `--elf`, e.g. an older one to compare) over them and prints its cycles and what proving that
//! run costs, table by table; `--prove` also proves it and prints the time and peak memory
//! (`--save` keeps the proof), and `--twice PROOF` measures verifying such a proof twice instead
//! (about a level-2 aggregation).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use droste_sdk::continuation::DEFAULT_SHARD_CYCLES;
use droste_sdk::recursion::{
    recursion_elf, recursion_key, recursion_vkey, request_input, Inner, InnerShard,
};
use droste_sdk::{
    build_guest, execute, peak_resident_kib, proving_cost, repo_root, ExecOptions, Input,
    ProofOptions, Prover,
};
use droste_zkvm::recursion::{InnerKind, RecursionRequest};
use rkyv::util::AlignedVec;

#[derive(Parser)]
struct Args {
    /// Bytes hashed by the guest.
    #[arg(long, default_value_t = 2_113_536)]
    bytes: usize,
    /// The first of the consecutive shards aggregated.
    #[arg(long, default_value_t = 1)]
    first_shard: usize,
    /// How many consecutive shards are aggregated: one to four (a continuation's level-1
    /// aggregation takes up to four, `SHARDS_PER_AGGREGATION`).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=4))]
    shards: u8,
    /// Where the shard proofs are kept between runs.
    #[arg(long, default_value = "target/aggregation-bench")]
    cache: PathBuf,
    /// The recursion guest's ELF (default: the shipped one).
    #[arg(long)]
    elf: Option<PathBuf>,
    /// Prove the aggregation and report its time and peak memory.
    #[arg(long)]
    prove: bool,
    /// With --prove: write the aggregation proof to this file.
    #[arg(long, requires = "prove")]
    save: Option<PathBuf>,
    /// Instead of two shards, verify this aggregation proof (one `--save`d) twice: what a
    /// level-2 aggregation costs to verify. The guest then refuses to chain the run's segment
    /// to itself and exits with 101, after both verifications.
    #[arg(long, conflicts_with = "prove")]
    twice: Option<PathBuf>,
}

#[global_allocator]
static ALLOCATOR: droste_sdk::ProvingAllocator = droste_sdk::ProvingAllocator;

fn main() -> ExitCode {
    droste_sdk::tune_allocator_for_proving();
    let args = Args::parse();
    let options = ProofOptions::default();
    let elf = std::fs::read(build_guest(repo_root().join("guests/sha256")).unwrap()).unwrap();
    let prover = Prover::new(&elf, options).unwrap();
    let input = Input::new().write_slice(&vec![0x61; args.bytes]);
    let shards: Vec<usize> = (args.first_shard..).take(args.shards.into()).collect();
    let last = *shards.last().expect("--shards is at least 1");
    std::fs::create_dir_all(&args.cache).unwrap();
    let paths: Vec<PathBuf> = shards
        .iter()
        .map(|i| {
            args.cache
                .join(format!("sha256-{}-shard{i}.proof", args.bytes))
        })
        .collect();
    if !paths.iter().all(|p| p.exists()) {
        let snapshots = prover
            .shard_snapshots(&input, DEFAULT_SHARD_CYCLES)
            .unwrap()
            .take(last + 1)
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        if snapshots.len() <= last {
            eprintln!("the run has {} shards", snapshots.len());
            return ExitCode::FAILURE;
        }
        for (&i, path) in shards.iter().zip(&paths).filter(|(_, p)| !p.exists()) {
            let start = Instant::now();
            let proof = prover.prove_snapshot(&snapshots[i]).unwrap();
            println!(
                "shard {i}: {} cycles, proven in {:.1} s",
                snapshots[i].cycles(),
                start.elapsed().as_secs_f64()
            );
            std::fs::write(path, &proof[..]).unwrap();
        }
    }
    let proofs: Vec<AlignedVec<16>> = paths
        .iter()
        .map(|path| {
            let mut proof = AlignedVec::new();
            proof.extend_from_slice(&std::fs::read(path).unwrap());
            proof
        })
        .collect();
    let (vk, shard_vk) = (prover.verifying_key(), &prover.proving_key().shard.vk);
    let inners: Vec<Inner<'_>> = proofs
        .iter()
        .map(|proof| {
            Inner::Shard(InnerShard {
                proof,
                vk,
                shard_vk,
            })
        })
        .collect();
    let request = match &args.twice {
        None => request_input(&inners, options).unwrap(),
        Some(path) => {
            let mut proof = AlignedVec::<16>::new();
            proof.extend_from_slice(&std::fs::read(path).unwrap());
            let vk = recursion_key(options).unwrap();
            if let Err(error) = droste_machine::verify(vk, &proof) {
                eprintln!(
                    "{}: not a proof of this recursion guest ({error}); make one with --prove --save",
                    path.display()
                );
                return ExitCode::FAILURE;
            }
            // Written by hand: `request_input` refuses a segment that does not chain.
            let request = RecursionRequest {
                recursion_vkey: recursion_vkey(options).unwrap().0,
                proofs: vec![InnerKind::Whole; 2],
            };
            Input::new()
                .write(&request)
                .unwrap()
                .write_proof(&proof, vk)
                .write_proof(&proof, vk)
        }
    };
    let recursion = match &args.elf {
        Some(path) => std::fs::read(path).unwrap(),
        None => recursion_elf().to_vec(),
    };
    let profile = ExecOptions {
        profile: true,
        ..ExecOptions::default()
    };
    let run = execute(&recursion[..], &request, &profile).unwrap();
    if args.twice.is_some() {
        println!(
            "the aggregation proof verified twice: {} recursion guest cycles, exit code {} ({})",
            run.cycles,
            run.exit_code,
            run.panic_message.as_deref().unwrap_or("")
        );
    } else if run.exit_code != 0 {
        eprintln!("the recursion guest failed: {:?}", run.panic_message);
        return ExitCode::FAILURE;
    } else {
        println!(
            "aggregation of shards {}-{last}: {} recursion guest cycles",
            shards[0], run.cycles
        );
    }
    let cost = proving_cost(&recursion[..], run.profile.unwrap(), options).unwrap();
    println!("{cost}");
    if args.prove {
        let start = Instant::now();
        let proof = Prover::new(&recursion, options)
            .unwrap()
            .keep_ldes(false)
            .prove(&request)
            .unwrap();
        println!(
            "aggregation proven in {:.1} s, {} KiB, peak {:.1} GiB",
            start.elapsed().as_secs_f64(),
            proof.bytes().len() / 1024,
            peak_resident_kib().unwrap_or(0) as f64 / (1 << 20) as f64
        );
        for (phase, time) in &proof.stats().phases {
            println!("  {}: {:.1} s", phase.name(), time.as_secs_f64());
        }
        if let Some(path) = &args.save {
            std::fs::write(path, proof.bytes()).unwrap();
        }
    }
    ExitCode::SUCCESS
}
