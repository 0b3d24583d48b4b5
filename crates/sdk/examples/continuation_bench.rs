//! Continuation benchmark: a run proven shard by shard and aggregated into one proof.
//!
//! `cargo run --release -p droste-sdk --example continuation_bench -- --bytes 65536 --preset fast --shard-cycles 262144`
//!
//! Proves `guests/sha256` over `--bytes` bytes with shards of at most `--shard-cycles`, prints each
//! shard's and each aggregation's time as they finish, then the totals: cycles, shards, tree
//! levels, time and kHz (overall, shards only), peak memory (VmHWM of this process), the final
//! proof's size and native verify time. Each job's line also shows the process's resident memory
//! when it finished and its peak during that job, and what `ProvingAllocator`'s large blocks hold
//! (the rest of the resident memory is glibc's heap of smaller blocks and the program), to tell a
//! job that needs more memory from memory that only grows. Before proving it cuts the run into
//! shard snapshots (the jobs for other machines) and prints their sizes. With `--compare` it first proves a run of the
//! same guest of about 2^22 cycles as a single proof (the reference), twice (on a fresh
//! heap, then on the same heap again), and prints the per-cycle ratio against both.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use droste_sdk::recursion::verify_aggregate;
use droste_sdk::{
    build_guest, peak_resident_kib, repo_root, resident_kib, verify, Input, Prover, PRESETS,
};

#[derive(Parser)]
struct Args {
    /// Bytes hashed by the guest.
    #[arg(long, default_value_t = 65536)]
    bytes: usize,
    /// Preset: default or fast.
    #[arg(long, default_value = "default")]
    preset: String,
    /// Most cycles per shard.
    #[arg(long, default_value_t = droste_sdk::continuation::DEFAULT_SHARD_CYCLES)]
    shard_cycles: u64,
    /// Also prove a single run of about 2^22 cycles, for the per-cycle ratio.
    #[arg(long)]
    compare: bool,
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
    let elf = std::fs::read(build_guest(repo_root().join("guests/sha256")).unwrap()).unwrap();
    let prover = Prover::new(&elf, options).unwrap();
    // Twice: the first proof faults its heap in afresh, as a proof in a new process does (on a
    // VM that hands freed memory back to its host that can cost seconds per GiB, see
    // BENCHMARKS.md), the second reuses it, as the continuation's jobs after its first do.
    let single = args.compare.then(|| {
        // sha256 costs about 64 cycles per byte: a run of about 2^22 cycles.
        let bytes = (1 << 22) / 64;
        let per_cycle = |what: &str| {
            let start = Instant::now();
            let proof = prover
                .prove(&Input::new().write_slice(&vec![0x61; bytes]))
                .unwrap();
            let seconds = start.elapsed().as_secs_f64();
            let cycles = proof.stats().cycles;
            println!(
                "single proof ({what}): {cycles} cycles, {seconds:.1} s, {:.1} kHz",
                cycles as f64 / seconds / 1e3
            );
            seconds / cycles as f64
        };
        (per_cycle("a fresh heap"), per_cycle("the heap reused"))
    });
    let input = Input::new().write_slice(&vec![0x61; args.bytes]);
    // The jobs a scheduler would send to other machines: one execution, no record.
    let start = Instant::now();
    let (sizes, cycles): (Vec<usize>, Vec<u64>) = prover
        .shard_snapshots(&input, args.shard_cycles)
        .unwrap()
        .map(|snapshot| {
            let snapshot = snapshot.unwrap();
            (snapshot.to_bytes().len(), snapshot.cycles())
        })
        .unzip();
    println!(
        "{} shard snapshots cut in {:.2} s (cycles {cycles:?}): {:.0} KiB largest, {:.0} KiB in all",
        sizes.len(),
        start.elapsed().as_secs_f64(),
        sizes.iter().max().copied().unwrap_or(0) as f64 / 1024.0,
        sizes.iter().sum::<usize>() as f64 / 1024.0
    );
    // The per-job peaks reset VmHWM, so the overall peak is their maximum (and the compare runs').
    let mut overall_peak = job_memory_mib().1;
    let start = Instant::now();
    let (proof, stats) = prover
        .prove_continued(&input, args.shard_cycles, &mut |event| {
            let (resident, peak) = job_memory_mib();
            overall_peak = overall_peak.max(peak);
            let blocks = droste_sdk::ProvingAllocator::large_blocks();
            println!(
                "{event} [RSS {resident} MiB, peak {peak} MiB; large blocks {} MiB mapped, {} MiB \
                 live, {} MiB most live]",
                blocks.mapped >> 20,
                blocks.live >> 20,
                blocks.peak_live >> 20
            )
        })
        .unwrap();
    let total = start.elapsed().as_secs_f64();
    // Against the guest (its keys derived from the ELF under both presets, as `droste verify`
    // does), then the proof check alone (the recursion key at hand).
    let verify_start = Instant::now();
    let public = verify(proof.bytes(), &elf).unwrap();
    let verify_ms = verify_start.elapsed().as_secs_f64() * 1e3;
    let check_start = Instant::now();
    verify_aggregate(proof.bytes()).unwrap();
    let check_ms = check_start.elapsed().as_secs_f64() * 1e3;
    println!(
        "sha256 over {} bytes, {} preset, shards of at most {} cycles",
        args.bytes, args.preset, args.shard_cycles
    );
    println!(
        "{} cycles, {} shards, {} levels: {total:.1} s ({:.1} kHz); shards {:.1} s ({:.1} kHz), \
         aggregation {:.1} s",
        stats.cycles,
        stats.shards,
        stats.levels,
        stats.cycles as f64 / total / 1e3,
        stats.shard_time.as_secs_f64(),
        stats.cycles as f64 / stats.shard_time.as_secs_f64() / 1e3,
        stats.aggregation_time.as_secs_f64(),
    );
    println!(
        "final proof {:.0} KiB, verify {verify_ms:.1} ms against the guest ({check_ms:.1} ms with \
         the keys at hand), output {}, peak RSS {} MiB",
        proof.bytes().len() as f64 / 1024.0,
        hex::encode(&public.public_output),
        overall_peak.max(job_memory_mib().1)
    );
    if let Some((fresh, reused)) = single {
        let continued = total / stats.cycles as f64;
        println!(
            "per-cycle time: continuation / single proof = {:.2} ({:.2} against the proof on a \
             reused heap)",
            continued / fresh,
            continued / reused
        );
    }
    ExitCode::SUCCESS
}

/// The resident memory now and the peak since the last call (MiB), then a new peak window: Linux
/// resets `VmHWM` to the current resident size when "5" is written to `/proc/self/clear_refs`.
fn job_memory_mib() -> (u64, u64) {
    let memory = (
        resident_kib().unwrap_or(0) / 1024,
        peak_resident_kib().unwrap_or(0) / 1024,
    );
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    memory
}
