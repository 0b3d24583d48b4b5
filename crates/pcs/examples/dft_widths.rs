//! How fast Plonky3's DFTs run on matrices of a given height as the width grows: the figures
//! behind the prover's LDE block width (`MIN_LDE_BLOCK_COLUMNS`) and its choice of inverse DFT.
//!
//! `cargo run --release -p droste-pcs --example dft_widths -- [LOG_HEIGHT]` (default 24, the LDE
//! height of a 2^22-row table at blowup 4). Prints nanoseconds per matrix element, best of 2.

use std::time::Instant;

use droste_pcs::Val;
use p3_dft::{Radix2DFTSmallBatch, Radix2DitParallel, TwoAdicSubgroupDft};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_matrix::bitrev::BitReversibleMatrix;
use p3_matrix::dense::RowMajorMatrix;

fn matrix(log_height: usize, width: usize) -> RowMajorMatrix<Val> {
    let values = (0..(width << log_height) as u32)
        .map(|i| Val::from_u32(i.wrapping_mul(2_654_435_761) >> 2))
        .collect();
    RowMajorMatrix::new(values, width)
}

/// Nanoseconds per element of `run` on a fresh `2^log_height x width` matrix, best of 2.
fn ns_per_element(log_height: usize, width: usize, run: impl Fn(RowMajorMatrix<Val>)) -> f64 {
    (0..2)
        .map(|_| {
            let m = matrix(log_height, width);
            let start = Instant::now();
            run(m);
            start.elapsed().as_secs_f64() * 1e9 / (width << log_height) as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let log_height: usize = std::env::args()
        .nth(1)
        .map_or(24, |a| a.parse().expect("LOG_HEIGHT is a number"));
    let parallel = Radix2DitParallel::<Val>::default();
    let small_batch = Radix2DFTSmallBatch::<Val>::default();
    println!("2^{log_height} rows, ns per element (best of 2):");
    println!("width  coset DFT (DitParallel)  inverse DFT (DitParallel)  inverse DFT (SmallBatch)");
    for width in [8, 16, 32, 64] {
        let coset = ns_per_element(log_height, width, |m| {
            drop(
                parallel
                    .coset_dft_batch(m, Val::GENERATOR)
                    .bit_reverse_rows(),
            )
        });
        let inverse = ns_per_element(log_height, width, |m| drop(parallel.idft_batch(m)));
        let inverse_small = ns_per_element(log_height, width, |m| drop(small_batch.idft_batch(m)));
        println!("{width:>5}  {coset:>23.2}  {inverse:>25.2}  {inverse_small:>24.2}");
    }
}
