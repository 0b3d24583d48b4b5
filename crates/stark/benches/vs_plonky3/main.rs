//! droste-stark vs Plonky3 0.8, side by side in one run, same machine and parameters.
//!
//! ```text
//! cargo bench -p droste-stark --bench vs_plonky3
//! DROSTE_BENCH_LOG_ROWS=16 DROSTE_BENCH_RANGE_BITS=12 cargo bench -p droste-stark --bench vs_plonky3
//! ```
//!
//! (a) a width-32 Fibonacci-style AIR (droste vs p3-uni-stark); (b) 16 columns with 8 range-check
//! lookups into a 2^16 preprocessed table (droste vs p3-batch-stark + p3-lookup). Each
//! measurement runs in its own child process so that its peak RSS (VmHWM) is its own. Prove
//! time is the fastest of `DROSTE_BENCH_REPS` (default 3) runs after a warm-up run, reported as
//! wall time and CPU time (the CPU time is the fairer figure on a shared machine); verify time is
//! the median of `DROSTE_BENCH_VERIFY_REPS` (default 10). "RSS B/cell" is the peak RSS growth
//! during proving per main-trace cell. Below each case, the proofs' bytes by section (see
//! [`Sections`]).

mod airs;
mod plonky3;

use std::process::Command;
use std::time::Instant;

use droste_stark::{prove, setup, verify_bytes, FriParameters, ProverTable, Table};

use airs::{limb_traces, wide_fib_trace, Limbs, Range, WideFib};

/// The parameters both systems run with: rate 1/2, 100 queries, 16 bits of query
/// proof-of-work, folding by 8, final polynomial of 8 coefficients.
fn params() -> FriParameters {
    FriParameters {
        log_blowup: 1,
        num_queries: 100,
        query_pow_bits: 16,
        log_folding_arity: 3,
        log_final_poly_len: 3,
        deep_pow_bits: 0,
        logup_pow_bits: 0,
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one child process reports.
pub struct Measured {
    prove_s: f64,
    prove_cpu_s: f64,
    verify_ms: f64,
    sections: Sections,
    baseline_rss: u64,
    peak_rss: u64,
}

/// Where the bytes of a proof go: the query answers (opened rows of the committed inputs, their
/// Merkle digests, FRI folding values, their Merkle digests), the final polynomial, and the
/// total (the rest is commitments, out-of-domain values and encoding overhead).
pub struct Sections {
    opened_rows: usize,
    input_merkle: usize,
    fold_values: usize,
    fold_merkle: usize,
    final_poly: usize,
    total: usize,
}

impl Sections {
    fn fields(&self) -> [usize; 6] {
        [
            self.opened_rows,
            self.input_merkle,
            self.fold_values,
            self.fold_merkle,
            self.final_poly,
            self.total,
        ]
    }

    fn from_fields(f: &[f64]) -> Self {
        Self {
            opened_rows: f[0] as usize,
            input_merkle: f[1] as usize,
            fold_values: f[2] as usize,
            fold_merkle: f[3] as usize,
            final_poly: f[4] as usize,
            total: f[5] as usize,
        }
    }

    /// droste's sections, read from the archived proof (header included in the total).
    fn of_droste(bytes: &[u8]) -> Self {
        let proof = droste_stark::proof::access(bytes).expect("own proof");
        let o = &proof.opening_proof;
        Self {
            opened_rows: o.rounds.iter().map(|r| 4 * r.values.len()).sum(),
            input_merkle: o.rounds.iter().map(|r| 32 * r.siblings.len()).sum(),
            fold_values: o.folds.iter().map(|f| 16 * f.values.len()).sum(),
            fold_merkle: o.folds.iter().map(|f| 32 * f.siblings.len()).sum(),
            final_poly: 16 * o.final_poly.len(),
            total: bytes.len(),
        }
    }
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time (user + system) of this process so far, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Kernel clock ticks are 100 per second on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// Proves once to warm up, then `DROSTE_BENCH_REPS` times (default 3) with the peak RSS reset
/// before the first; reports the fastest wall time and the smallest CPU time (the machine may be
/// shared, the minimum is the least disturbed run), and the median of 10 verifications.
pub fn measure<I, P>(
    input: impl Fn() -> I,
    prove_once: impl Fn(I) -> P,
    sections: impl Fn(&P) -> Sections,
    verify_once: impl Fn(&P),
) -> Measured {
    drop(prove_once(input()));
    // Reset VmHWM to the current RSS (Linux: "5" to clear_refs), so the peak is this proof's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let baseline_rss = status_kib("VmRSS:") * 1024;
    let mut prove_s = f64::INFINITY;
    let mut prove_cpu_s = f64::INFINITY;
    let mut proof = None;
    for _ in 0..env_usize("DROSTE_BENCH_REPS", 3).max(1) {
        let input = input();
        let (start, cpu) = (Instant::now(), cpu_seconds());
        proof = Some(prove_once(input));
        prove_s = prove_s.min(start.elapsed().as_secs_f64());
        prove_cpu_s = prove_cpu_s.min(cpu_seconds() - cpu);
    }
    let proof = proof.expect("at least one proof");
    let peak_rss = status_kib("VmHWM:") * 1024;
    let mut times: Vec<f64> = (0..env_usize("DROSTE_BENCH_VERIFY_REPS", 10))
        .map(|_| {
            let start = Instant::now();
            verify_once(&proof);
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    Measured {
        prove_s,
        prove_cpu_s,
        verify_ms: times[times.len() / 2],
        sections: sections(&proof),
        baseline_rss,
        peak_rss,
    }
}

fn droste(
    tables: &[&dyn ProverTable],
    traces: Vec<p3_matrix::dense::RowMajorMatrix<droste_stark::Val>>,
) -> Measured {
    let (pk, vk) = setup(tables, params()).expect("droste setup");
    let views: Vec<&dyn Table> = tables.iter().map(|t| t.as_table()).collect();
    measure(
        || traces.clone(),
        |traces| {
            prove(&pk, tables, traces, &[])
                .expect("droste proves")
                .to_bytes()
        },
        |bytes| Sections::of_droste(bytes),
        |bytes| verify_bytes(&vk, &views, bytes, &[]).expect("droste verifies"),
    )
}

/// Runs one measurement in this process and prints it as one line for the parent.
fn child(which: &str, log_rows: usize, bits: usize) {
    let m = match which {
        "a-droste" => droste(&[&WideFib], vec![wide_fib_trace(log_rows)]),
        "a-plonky3" => plonky3::wide_fib(&params(), wide_fib_trace(log_rows)),
        "b-droste" => {
            let (limbs, mults) = limb_traces(log_rows, bits);
            droste(&[&Limbs, &Range { bits }], vec![limbs, mults])
        }
        "b-plonky3" => {
            let (limbs, mults) = limb_traces(log_rows, bits);
            plonky3::lookups(&params(), bits, limbs, mults)
        }
        other => panic!("unknown measurement {other}"),
    };
    let sections = m.sections.fields().map(|b| b.to_string()).join(" ");
    println!(
        "RESULT {} {} {} {} {} {sections}",
        m.prove_s, m.prove_cpu_s, m.verify_ms, m.baseline_rss, m.peak_rss
    );
}

fn run_child(which: &str) -> Measured {
    let out = Command::new(std::env::current_exe().expect("own path"))
        .env("DROSTE_BENCH_CHILD", which)
        .output()
        .expect("child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("{which} failed: {}", String::from_utf8_lossy(&out.stderr)));
    let f: Vec<f64> = line
        .split(' ')
        .map(|x| x.parse().expect("number"))
        .collect();
    Measured {
        prove_s: f[0],
        prove_cpu_s: f[1],
        verify_ms: f[2],
        baseline_rss: f[3] as u64,
        peak_rss: f[4] as u64,
        sections: Sections::from_fields(&f[5..]),
    }
}

fn main() {
    let log_rows = env_usize("DROSTE_BENCH_LOG_ROWS", 20);
    let bits = env_usize("DROSTE_BENCH_RANGE_BITS", 16);
    if let Ok(which) = std::env::var("DROSTE_BENCH_CHILD") {
        child(&which, log_rows, bits);
        return;
    }
    let p = params();
    println!(
        "droste-stark vs Plonky3 0.8: 2^{log_rows} rows, range table 2^{bits}; log_blowup {}, {} queries, {} PoW bits, folding arity {}, final poly {} coefficients; {} threads",
        p.log_blowup,
        p.num_queries,
        p.query_pow_bits,
        1 << p.log_folding_arity,
        1 << p.log_final_poly_len,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    let cells_a = (1usize << log_rows) * airs::WIDE_FIB_COLUMNS;
    let cells_b = (1usize << log_rows) * airs::LIMB_COLUMNS + (1 << bits);
    println!(
        "{:<18} {:>8} {:>11} {:>10} {:>10} {:>13} {:>11}",
        "case / system",
        "prove s",
        "prove CPU s",
        "verify ms",
        "proof KiB",
        "peak RSS MiB",
        "RSS B/cell"
    );
    for (case, cells) in [("a", cells_a), ("b", cells_b)] {
        let d = run_child(&format!("{case}-droste"));
        let p3 = run_child(&format!("{case}-plonky3"));
        for (name, m) in [("droste", &d), ("plonky3", &p3)] {
            println!(
                "{:<18} {:>8.3} {:>11.2} {:>10.2} {:>10.1} {:>13.1} {:>11.1}",
                format!("({case}) {name}"),
                m.prove_s,
                m.prove_cpu_s,
                m.verify_ms,
                m.sections.total as f64 / 1024.0,
                m.peak_rss as f64 / (1 << 20) as f64,
                m.peak_rss.saturating_sub(m.baseline_rss) as f64 / cells as f64,
            );
        }
        println!(
            "({case}) plonky3/droste: prove time x{:.2} (CPU x{:.2}), verify time x{:.2}, proof size x{:.2}",
            p3.prove_s / d.prove_s,
            p3.prove_cpu_s / d.prove_cpu_s,
            p3.verify_ms / d.verify_ms,
            p3.sections.total as f64 / d.sections.total as f64,
        );
        for (name, m) in [("droste", &d), ("plonky3", &p3)] {
            let s = &m.sections;
            let kib = |b: usize| b as f64 / 1024.0;
            let named: usize = s.fields()[..5].iter().sum();
            println!(
                "({case}) {name} proof KiB: opened rows {:.1}, input Merkle {:.1}, fold values {:.1}, fold Merkle {:.1}, final poly {:.1}, rest {:.1}",
                kib(s.opened_rows),
                kib(s.input_merkle),
                kib(s.fold_values),
                kib(s.fold_merkle),
                kib(s.final_poly),
                kib(s.total.saturating_sub(named)),
            );
        }
    }
}
