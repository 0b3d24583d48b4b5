//! Committed cells per cycle of a guest run, per table: what proof size, prover memory and
//! proving time scale with. Generates the traces only (no proof), so it is quick.
//!
//! `cargo run --release -p droste-machine --example table_sizes -- <elf> [hex-item...]`
//!
//! Each `hex-item` is one item of the input stream (what `io::read_vec()` returns), in hex.

use droste_executor::{Input, Program};
use droste_machine::{MachineProver, ProofOptions};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::Matrix;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let elf = args
        .next()
        .ok_or("usage: table_sizes <elf> [hex-item...]")?;
    let mut input = Input::default();
    for item in args {
        input.stream.push(decode_hex(&item)?);
    }
    let program = Program::from_elf(&std::fs::read(&elf)?)?;
    let (pk, vk) = MachineProver::setup(&program, ProofOptions::fast())?;
    let (traces, _) = MachineProver::traces(&pk, &input)?;
    let cycles = droste_executor::execute(&program, &input, &Default::default())?.cycles as f64;
    println!("{elf}: {cycles} cycles");
    println!(
        "{:<16} {:>9} {:>9} {:>5} {:>5} {:>5} {:>10}",
        "table", "real", "height", "main", "prep", "aux", "cells/cyc"
    );
    let (mut total, mut main_total, mut aux_total) = (0.0, 0.0, 0.0);
    for ((table, trace), meta) in MachineProver::tables(&pk)
        .iter()
        .zip(&traces)
        .zip(&vk.stark.tables)
    {
        let real = trace
            .row_slices()
            .filter(|r| r.iter().any(|v| *v != droste_stark::Val::ZERO))
            .count();
        let (main, prep, aux) = (
            meta.main_width as usize,
            meta.preprocessed_width as usize,
            4 * meta.aux_columns(),
        );
        let height = trace.height() as f64;
        let cells = height * (main + prep + aux) as f64 / cycles;
        total += cells;
        main_total += height * main as f64 / cycles;
        aux_total += height * aux as f64 / cycles;
        println!(
            "{:<16} {:>9} {:>9} {:>5} {:>5} {:>5} {:>10.1}",
            table.name(),
            real,
            trace.height(),
            main,
            prep,
            aux,
            cells
        );
    }
    println!("total cells/cycle {total:.1} (main {main_total:.1}, aux {aux_total:.1})");
    Ok(())
}

fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 {
        return Err(format!("odd-length hex item {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("{s:?}: {e}")))
        .collect()
}
