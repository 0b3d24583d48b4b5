//! What continuation shards cost the executor: runs a guest whose one input stream item is `len`
//! bytes, in one of these modes, and prints cycles, shards, touched pages and speed.
//!
//! - `plain`: [`execute`] without a record (the baseline);
//! - `record`: [`execute`] with a record;
//! - `shards`: [`Shards`] (page tracking, snapshots), without records;
//! - `shards-record`: [`Shards`] with each shard's record;
//! - `roots`: `shards` plus the page tree: initial root, then each shard's pre/post roots and
//!   siblings.
//!
//! `cargo run --release -p droste-executor --example shard_cost -- <guest.elf> <len> <mode>
//! [shard_cycles]`; run it under `/usr/bin/time -v` for CPU time and peak memory.

use std::time::Instant;

use droste_executor::memory_root::MemoryTree;
use droste_executor::{execute, ExecOptions, Input, Program, ShardOptions, Shards};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, elf, len, mode, rest @ ..] = &args[..] else {
        panic!("usage: shard_cost <guest.elf> <input bytes> <mode> [shard_cycles]");
    };
    let program = Program::from_elf(&std::fs::read(elf).expect("ELF readable")).expect("ELF");
    let len: usize = len.parse().expect("input length");
    let input = Input {
        stream: vec![(0..len).map(|i| (i * 31 % 251) as u8).collect()],
        ..Input::default()
    };
    let shard_cycles = rest
        .first()
        .map_or(1 << 22, |s| s.parse().expect("shard cycles"));
    let started = Instant::now();
    let (cycles, shards, pages) = match mode.as_str() {
        "plain" | "record" => {
            let opts = ExecOptions {
                record: mode == "record",
                ..ExecOptions::default()
            };
            (
                execute(&program, &input, &opts).expect("runs").cycles,
                0,
                vec![],
            )
        }
        "shards" | "shards-record" | "roots" => {
            let opts = ShardOptions {
                shard_cycles,
                record: mode == "shards-record",
                ..ShardOptions::default()
            };
            let mut tree =
                (mode == "roots").then(|| MemoryTree::initial(&program, &input).unwrap());
            let (mut cycles, mut count, mut pages) = (0, 0, Vec::new());
            for shard in Shards::new(&program, &input, &opts).expect("starts") {
                let shard = shard.expect("runs");
                if let Some(tree) = tree.as_mut() {
                    tree.apply(&shard);
                }
                cycles = shard.end.cycle;
                count += 1;
                pages.push(shard.start.pages.len());
            }
            (cycles, count, pages)
        }
        other => panic!("unknown mode {other}"),
    };
    let seconds = started.elapsed().as_secs_f64();
    let max_pages = pages.iter().max().copied().unwrap_or(0);
    let mean_pages = pages.iter().sum::<usize>() as f64 / pages.len().max(1) as f64;
    println!(
        "{mode}: {cycles} cycles, {shards} shards of <= {shard_cycles}, pages/shard mean {mean_pages:.0} max {max_pages}, {seconds:.3} s, {:.1} MIPS",
        cycles as f64 / seconds / 1e6
    );
}
