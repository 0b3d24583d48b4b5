//! Prints interpreter speed in MIPS for the benchmark workloads (see `benches/workloads`), by
//! wall clock and by process CPU time. CPU time stays meaningful on a shared, busy machine, where
//! wall-clock benchmarks mostly measure the other processes.
//!
//! `cargo run --release -p droste-executor --example mips` (same `DROSTE_BENCH_ELF` /
//! `DROSTE_BENCH_INPUT_HEX` variables as the criterion benchmark).

#[path = "../benches/workloads/mod.rs"]
mod workloads;

use std::time::Instant;

use droste_executor::{execute, ExecOptions, Program};

/// User + system CPU time of this process, in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

fn main() {
    const RUNS: usize = 5;
    for (name, elf, input) in workloads::workloads() {
        let program = Program::from_elf(&elf).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (mode, opts) in [
            ("plain", ExecOptions::default()),
            (
                "record",
                ExecOptions {
                    record: true,
                    ..ExecOptions::default()
                },
            ),
            (
                "profile",
                ExecOptions {
                    profile: true,
                    ..ExecOptions::default()
                },
            ),
        ] {
            let (mut best_wall, mut best_cpu, mut cycles) = (f64::MAX, f64::MAX, 0);
            for _ in 0..RUNS {
                let (wall, cpu) = (Instant::now(), cpu_seconds());
                let run =
                    execute(&program, &input, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
                cycles = run.cycles;
                drop(run); // freeing the record is part of the cost
                best_cpu = best_cpu.min(cpu_seconds() - cpu);
                best_wall = best_wall.min(wall.elapsed().as_secs_f64());
            }
            let mips = |seconds: f64| cycles as f64 / seconds / 1e6;
            println!(
                "{name:>10} {mode:>8}: {cycles:>11} instructions  {:>7.1} MIPS (wall)  {:>7.1} MIPS (cpu)  best of {RUNS}",
                mips(best_wall),
                mips(best_cpu)
            );
        }
    }
}
