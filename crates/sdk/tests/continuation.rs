//! Continuations: a run proven shard by shard and aggregated verifies like a proof of the whole
//! run, and shards that do not continue each other are refused, by the host before proving and
//! by the recursion guest itself.
//!
//! One continuation is proven (four shards of a small sha256 run, two aggregation levels, fast
//! preset): aggregation proves the recursion guest, the expensive part. The refusals prove only
//! shards (cheap) and execute the recursion guest.

mod common;

use common::guest;
use droste_sdk::continuation::{
    ContinuationEvent, ShardSnapshot, SnapshotError, DEFAULT_SHARD_CYCLES,
};
use droste_sdk::recursion::{
    program_identity, recursion_elf, recursion_vkey, request_input, verify_aggregate, Inner,
    InnerShard,
};
use droste_sdk::{execute, verify, ExecOptions, Input, ProofOptions, ProveError, Prover};
use droste_zkvm::recursion::{InnerKind, RecursionRequest, UnwrapError};
use rkyv::util::AlignedVec;

fn sha256_input(bytes: usize) -> Input {
    Input::new().write_slice(&vec![0x61; bytes])
}

/// The shard proofs of `input`'s run, shards of at most `shard_cycles`.
fn shard_proofs(prover: &Prover, input: &Input, shard_cycles: u64) -> Vec<AlignedVec<16>> {
    prover
        .shard_jobs(input, shard_cycles)
        .unwrap()
        .map(|job| prover.prove_shard(job.unwrap()).unwrap())
        .collect()
}

#[test]
fn a_run_proven_in_shards_verifies_like_one_proof_of_the_run() {
    let program = guest("sha256");
    let prover = Prover::new(&*program, ProofOptions::fast()).unwrap();
    let input = sha256_input(300);
    let run = execute(&*program, &input, &ExecOptions::default()).unwrap();
    let shard_cycles = run.cycles.div_ceil(5);
    let mut events = Vec::new();
    let (proof, stats) = prover
        .prove_continued(&input, shard_cycles, &mut |event| events.push(event))
        .unwrap();
    assert_eq!(
        (stats.shards, stats.levels, stats.cycles),
        (5, 2, run.cycles)
    );
    // Aggregated eagerly: four shards as soon as they exist, the last one with their aggregate
    // (a shard and an aggregate chained in one aggregation).
    let order: Vec<String> = events
        .iter()
        .map(|event| match *event {
            ContinuationEvent::ShardProven { index, .. } => format!("shard {index}"),
            ContinuationEvent::Aggregated {
                first, last, level, ..
            } => format!("{first}-{last} at {level}"),
        })
        .collect();
    assert_eq!(
        order,
        ["shard 0", "shard 1", "shard 2", "shard 3", "0-3 at 1", "shard 4", "0-4 at 2"]
    );

    // The statement of a proof of the whole run: the program's own key digest, exit code and
    // output, accepted by `verify` against the guest like a compressed proof.
    let public = verify(proof.bytes(), &*program).unwrap();
    assert_eq!(public.public_output, run.public_output);
    assert_eq!(public.exit_code, 0);
    assert_eq!(public.vkey_digest, prover.vkey().unwrap().0);
    let statements = verify_aggregate(proof.bytes()).unwrap();
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0].public_output, run.public_output);
}

#[test]
fn shards_that_do_not_continue_each_other_are_refused() {
    let program = guest("sha256");
    let options = ProofOptions::fast();
    let prover = Prover::new(&*program, options).unwrap();
    let input = sha256_input(100);
    let cycles = execute(&*program, &input, &ExecOptions::default())
        .unwrap()
        .cycles;
    let shard_cycles = cycles.div_ceil(3);
    let ours = shard_proofs(&prover, &input, shard_cycles);
    // Another run: the same stream, another private input (so another input root).
    let theirs = shard_proofs(
        &prover,
        &sha256_input(100).private_input(vec![7; 40]),
        shard_cycles,
    );
    assert_eq!((ours.len(), theirs.len()), (3, 3));
    let vk = prover.verifying_key();
    let shard_vk = &prover.proving_key().shard.vk;
    let shards = |proofs: &[&AlignedVec<16>]| -> Vec<Vec<u8>> {
        proofs.iter().map(|p| p.to_vec()).collect()
    };
    let refusal = |proofs: Vec<Vec<u8>>| {
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
        match request_input(&inners, options) {
            Err(ProveError::Aggregate { error, .. }) => Some(error),
            Err(other) => panic!("{other}"),
            Ok(_) => None,
        }
    };
    let discontinuous = |reason| UnwrapError::Discontinuous(reason);
    // Reordered, skipped, and taken from another run (another input: other memory).
    assert_eq!(
        refusal(shards(&[&ours[1], &ours[0]])),
        Some(discontinuous("a shard that starts the run follows another"))
    );
    assert_eq!(
        refusal(shards(&[&ours[0], &ours[2]])),
        Some(discontinuous("the pc differs"))
    );
    assert_eq!(
        refusal(shards(&[&ours[0], &theirs[1]])),
        Some(discontinuous("the private input differs"))
    );
    // Consecutive shards are fine.
    assert_eq!(refusal(shards(&[&ours[0], &ours[1]])), None);

    // The recursion guest refuses them too when a host skips its own check.
    let identity = program_identity(vk).unwrap();
    let recursion_vkey = recursion_vkey(options).unwrap().0;
    let guest_refusal = |proofs: Vec<InnerKind>, items: &dyn Fn(Input) -> Input| {
        let request = RecursionRequest {
            recursion_vkey,
            proofs,
        };
        let raw = items(Input::new().write(&request).unwrap());
        let run = execute(recursion_elf(), &raw, &ExecOptions::default()).unwrap();
        assert_ne!(run.exit_code, 0);
        run.panic_message.unwrap()
    };
    let message = guest_refusal(vec![InnerKind::Shard(identity.clone()); 2], &|raw| {
        raw.write_shard_proof(&ours[0], shard_vk)
            .write_shard_proof(&ours[2], shard_vk)
    });
    assert!(message.contains("shards out of order"), "{message}");
    // The same with the key read once (what `request_input` writes for shards of one program).
    let message = guest_refusal(
        vec![InnerKind::Shard(identity), InnerKind::NextShard],
        &|raw| {
            raw.write_shard_proof(&ours[0], shard_vk)
                .write_next_shard_proof(&ours[2])
        },
    );
    assert!(message.contains("shards out of order"), "{message}");
    // A next shard needs a shard (and its key) before it.
    let message = guest_refusal(vec![InnerKind::NextShard], &|raw| {
        raw.write_next_shard_proof(&ours[0])
    });
    assert!(message.contains("no shard before it"), "{message}");
}

#[test]
fn a_shard_snapshot_proves_elsewhere_as_the_shard_itself() {
    let program = guest("sha256");
    let prover = Prover::new(&*program, ProofOptions::fast()).unwrap();
    let input = sha256_input(150).entropy([3; 32]);
    let cycles = execute(&*program, &input, &ExecOptions::default())
        .unwrap()
        .cycles;
    let shard_cycles = cycles.div_ceil(3);
    let proofs = shard_proofs(&prover, &input, shard_cycles);
    let snapshots: Vec<Vec<u8>> = prover
        .shard_snapshots(&input, shard_cycles)
        .unwrap()
        .map(|snapshot| snapshot.unwrap().to_bytes().to_vec())
        .collect();
    assert_eq!((proofs.len(), snapshots.len()), (3, 3));

    // Another machine: the guest's ELF and the snapshot's bytes, nothing of the run.
    let worker = Prover::new(&*program, ProofOptions::fast()).unwrap();
    for (index, (bytes, proof)) in snapshots.iter().zip(&proofs).enumerate() {
        let snapshot = ShardSnapshot::from_bytes(bytes).unwrap();
        assert_eq!(snapshot.index(), index as u64);
        assert!(snapshot.pages() > 0);
        assert_eq!(
            worker.prove_snapshot(&snapshot).unwrap().as_slice(),
            proof.as_slice(),
            "shard {index}"
        );
    }

    // Refused before proving: not a snapshot, truncated, another version.
    let format = |bytes: &[u8]| match ShardSnapshot::from_bytes(bytes) {
        Err(SnapshotError::Format(reason)) => reason,
        other => panic!("{other:?}"),
    };
    assert_eq!(format(&proofs[0]), "missing shard snapshot magic");
    assert_eq!(
        format(&snapshots[1][..snapshots[1].len() - 9]),
        "malformed shard snapshot archive"
    );
    let mut newer = snapshots[1].clone();
    newer[8] += 1;
    assert_eq!(format(&newer), "unsupported shard snapshot version");

    // The input item the first shard hashes, changed: the shard no longer ends in its recorded
    // memory.
    let mut forged = snapshots[0].clone();
    let item = forged
        .windows(150)
        .position(|w| w.iter().all(|b| *b == 0x61))
        .unwrap();
    forged[item + 70] ^= 1;
    let forged = ShardSnapshot::from_bytes(&forged).unwrap();
    match worker.snapshot_job(&forged) {
        Err(ProveError::Snapshot(SnapshotError::Mismatch { index: 0, reason })) => {
            assert_eq!(reason, "its pages do not give the recorded memory roots")
        }
        other => panic!("{:?}", other.err()),
    }

    // A worker for another program: the shard does not run there as it did.
    let other = Prover::new(&*guest("fibonacci"), ProofOptions::fast()).unwrap();
    let middle = ShardSnapshot::from_bytes(&snapshots[1]).unwrap();
    assert!(other.snapshot_job(&middle).is_err());

    // No flipped byte makes reading or re-executing a snapshot panic.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..300 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut bytes = snapshots[1].clone();
        bytes[(state >> 8) as usize % snapshots[1].len()] ^= 1 << (state % 8);
        if let Ok(snapshot) = ShardSnapshot::from_bytes(&bytes) {
            let _ = worker.snapshot_job(&snapshot);
        }
    }
}

/// Whether a run fits one proof counts table rows, not only cycles. sha256 puts about 0.37 rows
/// per cycle into `bitwise`: over 200 KiB (about 13M cycles, under the 2^24 one proof covers)
/// that is more than the 2^22 rows one table holds at the default preset, and the run fits
/// because the rows past them go to the overflow twin `bitwise+` (the fast preset holds 2^23 per
/// table). Over 300 KiB (about 20M cycles) the first shard runs to the clock's limit, its tables
/// within one proof's. Nothing is proven.
#[test]
fn a_run_fits_one_proof_by_its_rows_and_shards_run_to_the_clock_limit() {
    let program = guest("sha256");
    let default = Prover::new(&*program, ProofOptions::secure()).unwrap();
    let fast = Prover::new(&*program, ProofOptions::fast()).unwrap();
    let input = sha256_input(200 << 10);
    let cycles = execute(&*program, &input, &ExecOptions::default())
        .unwrap()
        .cycles;
    assert!((1 << 23..1 << 24).contains(&cycles), "{cycles} cycles");
    assert!(default.fits_one_proof(&input).unwrap());
    assert!(fast.fits_one_proof(&input).unwrap());

    let input = sha256_input(300 << 10);
    assert!(!default.fits_one_proof(&input).unwrap());
    let shards: Vec<u64> = default
        .shard_snapshots(&input, DEFAULT_SHARD_CYCLES)
        .unwrap()
        .map(|snapshot| snapshot.unwrap().cycles())
        .collect();
    assert_eq!(shards.len(), 2, "{shards:?}");
    assert_eq!(shards[0], 1 << 24, "{shards:?}");
}
