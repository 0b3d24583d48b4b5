//! Interpreter speed in MIPS (criterion's "Melem/s": one element is one executed instruction).
//!
//! `cargo bench -p droste-executor` runs two generated workloads, each plain, recording and
//! profiling:
//! - `hash`: loads, xor, mul, shift, store, loop branch over a 4 KiB buffer (memory-heavy);
//! - `fib`: add / move / count-down loop (pure ALU and branches).
//!
//! `DROSTE_BENCH_ELF=path/to/guest.elf` benchmarks a real guest instead; its input stream items
//! come from `DROSTE_BENCH_INPUT_HEX` (comma-separated hex strings, one per item). On a busy
//! machine, `cargo run --release -p droste-executor --example mips` gives CPU-time figures.

mod workloads;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use droste_executor::{execute, ExecOptions, Program};

fn bench(c: &mut Criterion) {
    for (name, elf, input) in workloads::workloads() {
        let program = Program::from_elf(&elf).unwrap_or_else(|e| panic!("{name}: {e}"));
        let cycles = execute(&program, &input, &ExecOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .cycles;
        let mut group = c.benchmark_group(format!("execute/{name}"));
        group
            .throughput(Throughput::Elements(cycles))
            .sample_size(10);
        let modes = [
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
        ];
        for (mode, opts) in modes {
            group.bench_with_input(BenchmarkId::new(mode, cycles), &opts, |b, opts| {
                b.iter(|| execute(&program, &input, opts).expect("benchmark runs"))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
