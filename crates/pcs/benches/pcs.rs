//! Commit and open at 2^20 rows x 32 columns, plus the two candidate DFTs for the LDE.
//! Run with `cargo bench -p droste-pcs`.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use droste_pcs::hash::Hasher;
use droste_pcs::{Challenge, FriParameters, Pcs, Transcript, Val};
use p3_dft::{Radix2Bowers, Radix2DitParallel, TwoAdicSubgroupDft};
use p3_field::{Field, PrimeCharacteristicRing, TwoAdicField};
use p3_matrix::dense::RowMajorMatrix;
use p3_symmetric::Permutation;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const LOG_HEIGHT: usize = 20;
const WIDTH: usize = 32;

fn trace() -> RowMajorMatrix<Val> {
    let mut rng = StdRng::seed_from_u64(1);
    let values = (0..WIDTH << LOG_HEIGHT)
        .map(|_| Val::from_u32(rng.gen_range(0..1 << 30)))
        .collect();
    RowMajorMatrix::new(values, WIDTH)
}

fn bench_preset(c: &mut Criterion, name: &str, params: FriParameters) {
    let pcs = Pcs::new(params).unwrap();
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.bench_function("commit_2^20x32", |b| {
        b.iter_batched(
            trace,
            |m| pcs.commit_evaluations(vec![m]),
            BatchSize::LargeInput,
        )
    });
    let (root, committed) = pcs.commit_evaluations(vec![trace()]);
    group.bench_function("open_2^20x32", |b| {
        b.iter(|| {
            let mut t = Transcript::new(b"bench");
            t.observe_digest(&root);
            let zeta: Challenge = t.sample_ext();
            let points = vec![vec![zeta, zeta * Val::two_adic_generator(LOG_HEIGHT)]];
            pcs.open(&[(&committed, points)], &mut t)
        })
    });
    group.finish();
}

fn presets(c: &mut Criterion) {
    bench_preset(c, "fast_preset", FriParameters::fast_preset());
    bench_preset(c, "default_preset", FriParameters::default_preset());
}

fn dfts(c: &mut Criterion) {
    let mut group = c.benchmark_group("coset_lde_2^20x32_blowup2");
    group.sample_size(10);
    group.bench_function("Radix2DitParallel", |b| {
        let dft = Radix2DitParallel::<Val>::default();
        b.iter_batched(
            trace,
            |m| dft.coset_lde_batch(m, 1, Val::GENERATOR),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("Radix2Bowers", |b| {
        let dft = Radix2Bowers;
        b.iter_batched(
            trace,
            |m| dft.coset_lde_batch(m, 1, Val::GENERATOR),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// One Poseidon2 permutation, scalar and 8-lane packed (the Merkle trees use the packed one).
fn poseidon2(c: &mut Criterion) {
    let hasher = Hasher::new();
    let mut group = c.benchmark_group("poseidon2_width16");
    group.bench_function("scalar", |b| {
        let mut state = [Val::ONE; 16];
        b.iter(|| hasher.permute(black_box(&mut state)))
    });
    group.bench_function("packed", |b| {
        let mut state = [<Val as Field>::Packing::ONE; 16];
        b.iter(|| hasher.perm().permute_mut(black_box(&mut state)))
    });
    group.finish();
}

criterion_group!(benches, poseidon2, presets, dfts);
criterion_main!(benches);
