//! Proving benchmark of the whole machine on an example guest at a target cycle count: prints
//! cycles, prove time (wall and process CPU) and cycles/s, peak memory (VmHWM) per cycle, proof
//! size and native verify time. One configuration per process, so that the peak memory is that
//! configuration's. CPU time is reported because the machine is often shared: on an idle
//! machine wall time approaches CPU time divided by the cores.
//!
//! `cargo run --release -p droste-sdk --example prove_bench -- --guest fibonacci --log-cycles 20 --preset default`
//!
//! The guest's input is sized so that the run takes at most 2^log-cycles cycles (fibonacci: n,
//! sha256: the message length), found by measuring two runs and interpolating (both guests'
//! cycles grow linearly with their input).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use droste_sdk::{
    build_guest, execute, repo_root, ExecOptions, Input, Program, ProgressEvent, Prover, Verifier,
};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Guest {
    Fibonacci,
    Sha256,
}

impl Guest {
    fn name(self) -> &'static str {
        match self {
            Guest::Fibonacci => "fibonacci",
            Guest::Sha256 => "sha256",
        }
    }

    /// The input of size `size` (fibonacci: n; sha256: message bytes).
    fn input(self, size: u64) -> Input {
        match self {
            Guest::Fibonacci => Input::new().write_slice(&size.to_le_bytes()),
            Guest::Sha256 => Input::new().write_slice(&message(size as usize)),
        }
    }
}

fn message(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 % 251) as u8).collect()
}

#[derive(Parser)]
struct Args {
    /// The example guest to prove.
    #[arg(long, value_enum)]
    guest: Guest,
    /// log2 of the cycle budget the input is sized for.
    #[arg(long)]
    log_cycles: u32,
    /// Proof options preset: default or fast.
    #[arg(long, default_value = "default")]
    preset: String,
    /// Keep every LDE in memory while proving (faster, more memory; the default preset keeps
    /// only coefficients, see docs/pcs.md).
    #[arg(long)]
    keep_ldes: bool,
    /// Native verifications to time (the minimum is reported).
    #[arg(long, default_value_t = 5)]
    verify_runs: u32,
}

#[global_allocator]
static ALLOCATOR: droste_sdk::ProvingAllocator = droste_sdk::ProvingAllocator;

fn main() -> ExitCode {
    droste_sdk::tune_allocator_for_proving();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let options = droste_sdk::preset(&args.preset)
        .ok_or_else(|| format!("unknown preset {:?} (default or fast)", args.preset))?;
    let elf = std::fs::read(build_guest(
        repo_root().join("guests").join(args.guest.name()),
    )?)?;
    let program = Program::from_elf(&elf)?;
    let target = 1u64 << args.log_cycles;
    let size = size_for(&program, args.guest, target)?;
    let input = args.guest.input(size);

    let start = Instant::now();
    let prover = Prover::new(&program, options)?.keep_ldes(args.keep_ldes);
    let setup = start.elapsed();
    let cpu_before = process_cpu_time();
    // The peak so far at the end of each phase shows which phase sets the overall peak.
    let mut peaks = Vec::new();
    let proof = prover.prove_with_progress(&input, &mut |event| {
        if let ProgressEvent::Finished(phase, _) = event {
            if let Ok(peak) = peak_rss_bytes() {
                peaks.push(format!(
                    "{} {:.0}",
                    phase.name(),
                    peak as f64 / (1 << 20) as f64
                ));
            }
        }
    })?;
    let prove_cpu = process_cpu_time() - cpu_before;
    let stats = proof.stats();
    let prove = stats.prove_time();
    let peak = peak_rss_bytes()?;
    let verifier = Verifier::new(&program, options)?;
    let verify = (0..args.verify_runs.max(1))
        .map(|_| {
            let start = Instant::now();
            verifier.verify(proof.bytes()).map(|_| start.elapsed())
        })
        .collect::<Result<Vec<Duration>, _>>()
        .map(|times| times.into_iter().min().unwrap_or_default());

    println!(
        "{} (input size {size}), {} preset, target 2^{} cycles",
        args.guest.name(),
        args.preset,
        args.log_cycles
    );
    println!("cycles:       {}", stats.cycles);
    println!("setup:        {:.2} s", setup.as_secs_f64());
    let phases: Vec<String> = stats
        .phases
        .iter()
        .map(|(phase, time)| format!("{} {:.2} s", phase.name(), time.as_secs_f64()))
        .collect();
    println!(
        "prove:        {:.2} s wall ({}), {:.1} kHz",
        prove.as_secs_f64(),
        phases.join(", "),
        stats.cycles as f64 / prove.as_secs_f64() / 1e3
    );
    println!(
        "prove CPU:    {:.2} s (user + system, all threads)",
        prove_cpu.as_secs_f64()
    );
    println!(
        "peak RSS:     {:.0} MiB, {:.0} bytes per cycle",
        peak as f64 / (1 << 20) as f64,
        peak as f64 / stats.cycles as f64
    );
    println!(
        "peak by phase: {} (MiB, peak so far when the phase ends)",
        peaks.join(", ")
    );
    println!(
        "proof:        {} bytes ({:.0} KiB)",
        proof.bytes().len(),
        proof.bytes().len() as f64 / 1024.0
    );
    let mut tables: Vec<_> = stats.tables.iter().collect();
    tables.sort_by_key(|t| std::cmp::Reverse(t.rows));
    let tallest: Vec<String> = tables
        .iter()
        .take(6)
        .map(|t| format!("{} 2^{}", t.name, t.rows.trailing_zeros()))
        .collect();
    println!("tallest:      {}", tallest.join(", "));
    match verify {
        Ok(time) => {
            println!("verify:       {:.1} ms", time.as_secs_f64() * 1e3);
            Ok(())
        }
        Err(err) => Err(format!("verify: the proof does not verify: {err}").into()),
    }
}

/// The largest input size whose run takes at most `target` cycles.
fn size_for(
    program: &Program,
    guest: Guest,
    target: u64,
) -> Result<u64, Box<dyn std::error::Error>> {
    let cycles = |size: u64| -> Result<u64, Box<dyn std::error::Error>> {
        Ok(execute(program, &guest.input(size), &ExecOptions::default())?.cycles)
    };
    let (small, large) = (1_000u64, 100_000u64);
    let (c_small, c_large) = (cycles(small)?, cycles(large)?);
    let per_unit = (c_large - c_small) as f64 / (large - small) as f64;
    let mut size = small + ((target.saturating_sub(c_small)) as f64 / per_unit) as u64;
    // The interpolation is within a block's worth of cycles; step down until it fits.
    while size > 0 && cycles(size)? > target {
        size -= (size / 1000).max(1);
    }
    Ok(size)
}

/// User plus system CPU time of this process, all threads (getrusage).
fn process_cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given; a zeroed rusage is a valid value.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// This process's peak resident set size (VmHWM in /proc/self/status).
fn peak_rss_bytes() -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kib * 1024)
}
