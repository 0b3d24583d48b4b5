//! Continuation shards: a run cut into shards equals the whole run, each shard re-runs from its
//! snapshot alone, and the page tree's roots chain from the initial image to the final memory.

mod common;

use common::{addi, li, sys, A0, A1, DATA, TEXT};
use droste_executor::memory_root::{MemoryTree, ShardMemoryProof};
use droste_executor::paging::{page_of, PAGE_BYTES};
use droste_executor::{
    execute, run_shard, ExecError, ExecOptions, ExecutionRecord, Input, Program, RowLimits, Shard,
    ShardOptions, ShardStart, Shards,
};
use droste_isa::abi::{self, poseidon2, syscall};
use droste_isa::{Instruction, Opcode};
use droste_pcs::hash::Hasher;
use proptest::prelude::*;
use std::sync::Arc;

/// Iterations of the test program's loop.
const ROUNDS: i32 = 6;
/// The loop's data pointer advances by this much: more than a page, and not a multiple of 8,
/// so its misaligned doubleword store at `p + 1020` lands across page boundaries.
const STRIDE: i32 = 1030;
const STATE: i32 = 0x9_0000;

/// A loop that, each round: loads from the private input, stores (one misaligned, one on the
/// stack), reads a stream item, draws random bytes, permutes a POSEIDON2 state, marks a phase,
/// writes stdout and commits output; then halts with the sum it loaded.
fn test_program() -> Program {
    let (count, ptr, input, acc, tmp) = (5, 6, 9, 8, 7);
    let mut code = li(count, ROUNDS).to_vec();
    code.extend(li(ptr, DATA as i32));
    code.extend(li(input, abi::INPUT_PAYLOAD_START as i32));
    let top = code.len();
    code.push(Instruction::i(Opcode::Ld, tmp, input, 0));
    code.push(Instruction::r(Opcode::Add, acc, acc, tmp));
    code.push(addi(input, input, 8));
    code.push(Instruction::s(Opcode::Sd, ptr, acc, 0));
    code.push(Instruction::s(Opcode::Sd, ptr, acc, 1020));
    code.push(Instruction::s(Opcode::Sd, 2, count, -8));
    // a1 = INPUT_LEN(); INPUT_READ(p + 16, a1)
    code.extend(sys(syscall::INPUT_LEN));
    code.push(addi(A1, A0, 0));
    code.push(addi(A0, ptr, 16));
    code.extend(sys(syscall::INPUT_READ));
    // RANDOM(p + 40, 3)
    code.push(addi(A0, ptr, 40));
    code.push(addi(A1, 0, 3));
    code.extend(sys(syscall::RANDOM));
    // POSEIDON2(STATE, canonical)
    code.extend(li(A0, STATE));
    code.push(addi(A1, 0, poseidon2::CANONICAL as i32));
    code.extend(sys(syscall::POSEIDON2));
    code.push(addi(0, 0, 5));
    // WRITE(stdout, p, 2); COMMIT(p, 12)
    code.push(addi(A0, 0, 1));
    code.push(addi(A1, ptr, 0));
    code.push(addi(12, 0, 2));
    code.extend(sys(syscall::WRITE));
    code.push(addi(A0, ptr, 0));
    code.push(addi(A1, 0, 12));
    code.extend(sys(syscall::COMMIT));
    code.push(addi(ptr, ptr, STRIDE));
    code.push(addi(count, count, -1));
    let back = -4 * (code.len() - top) as i32;
    code.push(Instruction::s(Opcode::Bne, count, 0, back));
    code.push(addi(A0, acc, 0));
    code.extend(sys(syscall::HALT));
    Program::from_elf(&common::elf(&code, b"initial data")).expect("test ELF loads")
}

fn test_input() -> Input {
    Input {
        stream: (0..ROUNDS as usize)
            .map(|i| vec![i as u8 + 1; 1 + 3 * i])
            .collect(),
        private_input: (0..8 * ROUNDS as u32 + 5).map(|i| i as u8).collect(),
        entropy: Some([7; 32]),
    }
}

fn shards(program: &Program, input: &Input, shard_cycles: u64) -> Vec<Shard> {
    let opts = ShardOptions {
        shard_cycles,
        record: true,
        ..ShardOptions::default()
    };
    Shards::new(program, input, &opts)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The concatenation of the shards' records, as one record of the whole run.
fn concatenate(shards: &[Shard]) -> ExecutionRecord {
    let mut whole = ExecutionRecord {
        initial_registers: shards[0].start.registers,
        ..ExecutionRecord::default()
    };
    for shard in shards {
        let record = shard.record.as_ref().expect("recorded");
        assert_eq!(record.initial_registers, shard.start.registers);
        whole.steps.extend_from_slice(&record.steps);
        whole.memory.extend_from_slice(&record.memory);
        whole.syscalls.extend_from_slice(&record.syscalls);
        whole.poseidon2.extend_from_slice(&record.poseidon2);
    }
    whole
}

/// The shards of a run, checked against the monolithic run: records, boundaries, output.
fn check_against_monolithic(shard_cycles: u64) {
    let (program, input) = (test_program(), test_input());
    let opts = ExecOptions {
        record: true,
        ..ExecOptions::default()
    };
    let whole = execute(&program, &input, &opts).unwrap();
    let loaded: u64 = (0..ROUNDS as u64)
        .map(|i| u64::from_le_bytes(core::array::from_fn(|b| (8 * i + b as u64) as u8)))
        .fold(0, u64::wrapping_add);
    assert_eq!(whole.exit_code, loaded as u32);
    assert_eq!(whole.public_output.len(), 12 * ROUNDS as usize);
    assert_eq!(
        whole.record.as_ref().unwrap().poseidon2.len(),
        ROUNDS as usize
    );
    let shards = shards(&program, &input, shard_cycles);
    assert_eq!(shards.len() as u64, whole.cycles.div_ceil(shard_cycles));
    assert_eq!(concatenate(&shards), whole.record.clone().unwrap());
    for (i, pair) in shards.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        assert_eq!(a.cycles(), shard_cycles);
        assert_eq!((b.start.index, b.start.cycle), (i as u64 + 1, a.end.cycle));
        assert_eq!((b.start.pc, b.start.registers), (a.end.pc, a.end.registers));
        assert_eq!(b.start.io, a.end.io);
        assert!(a.end.exit.is_none());
    }
    let last = shards.last().unwrap();
    assert_eq!(last.end.cycle, whole.cycles);
    assert_eq!(
        last.end.exit.as_ref().map(|e| e.code),
        Some(whole.exit_code)
    );
    assert_eq!(last.end.io.next_input_item, ROUNDS as u64);
    let concat = |f: fn(&Shard) -> &Vec<u8>| shards.iter().flat_map(f).copied().collect::<Vec<_>>();
    assert_eq!(concat(|s| &s.public_output), whole.public_output);
    assert_eq!(concat(|s| &s.stdout), whole.stdout);
    let markers: Vec<_> = shards.iter().flat_map(|s| s.markers.clone()).collect();
    assert_eq!(markers, whole.markers);
    assert_eq!(
        last.end.io.public_output_len,
        whole.public_output.len() as u64
    );
}

#[test]
fn shards_of_one_cycle_and_larger_than_the_run_equal_the_whole_run() {
    check_against_monolithic(1);
    check_against_monolithic(1 << 20);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn shards_of_any_size_equal_the_whole_run(shard_cycles in 2u64..150) {
        check_against_monolithic(shard_cycles);
    }
}

/// Every shard re-runs from its (serialized) snapshot alone to the same shard; the page tree's
/// roots chain, start at the initial image and end at the final memory; the proofs verify.
fn check_snapshots_and_roots(shard_cycles: u64) {
    let (program, input) = (test_program(), test_input());
    let opts = ShardOptions {
        shard_cycles,
        record: true,
        ..ShardOptions::default()
    };
    let mut run = Shards::new(&program, &input, &opts).unwrap();
    let hasher = Hasher::new();
    let mut tree = MemoryTree::initial(&program, &input).unwrap();
    let initial_root = tree.root();
    let input_root = tree.input_root();
    let mut previous_post_root = None;
    let mut shard_input = input.clone();
    shard_input.private_input.clear();
    for shard in run.by_ref() {
        let shard = shard.unwrap();
        let bytes = rkyv::to_bytes::<rkyv::rancor::Error>(&shard.start).unwrap();
        let start: ShardStart = rkyv::from_bytes::<_, rkyv::rancor::Error>(&bytes).unwrap();
        assert_eq!(
            run_shard(&program, &start, &shard_input, &opts).unwrap(),
            shard
        );

        let proof = tree.apply(&shard);
        assert_eq!(proof.pre_root, previous_post_root.unwrap_or(initial_root));
        assert!(proof.verify(&hasher, &shard.paged_in(), &shard.paged_out()));
        assert_eq!(tree.input_root(), input_root);
        previous_post_root = Some(proof.post_root);
    }
    let from_scratch = MemoryTree::of_machine(run.machine());
    assert_eq!(previous_post_root, Some(from_scratch.root()));
    assert_eq!(tree.root(), from_scratch.root());
}

#[test]
fn snapshots_rerun_and_roots_chain_from_the_image_to_the_final_memory() {
    for shard_cycles in [1, 29, 1 << 20] {
        check_snapshots_and_roots(shard_cycles);
    }
}

/// The shard that runs the first POSEIDON2 call, with 17-cycle shards.
fn a_busy_shard() -> (Program, Input, ShardOptions, Shard) {
    let (program, input) = (test_program(), test_input());
    let opts = ShardOptions {
        shard_cycles: 17,
        ..ShardOptions::default()
    };
    let shard = Shards::new(&program, &input, &opts)
        .unwrap()
        .map(Result::unwrap)
        .find(|s| s.start.pages.len() >= 3)
        .expect("a shard touching three pages");
    (program, input, opts, shard)
}

#[test]
fn a_snapshot_without_a_touched_page_is_a_clean_error() {
    let (program, input, opts, shard) = a_busy_shard();
    for missing in 0..shard.start.pages.len() {
        let mut start = shard.start.clone();
        let page = start.pages.remove(missing).index;
        let error = run_shard(&program, &start, &input, &opts).unwrap_err();
        assert!(
            matches!(error, ExecError::PageNotInSnapshot { page: p, .. } if p == page),
            "{error}"
        );
        assert!(error.to_string().contains("snapshot"), "{error}");
    }
}

#[test]
fn malformed_snapshots_and_empty_shards_are_refused() {
    let (program, input, opts, shard) = a_busy_shard();
    let refuse = |start: &ShardStart, input: &Input| {
        let error = run_shard(&program, start, input, &opts).unwrap_err();
        assert!(matches!(error, ExecError::BadSnapshot(_)), "{error}");
    };
    let mut unsorted = shard.start.clone();
    unsorted.pages.swap(0, 1);
    refuse(&unsorted, &input);
    let mut unmapped = shard.start.clone();
    unmapped.pages[0].index = page_of(abi::PROGRAM_START) - 1;
    refuse(&unmapped, &input);
    let mut x0 = shard.start.clone();
    x0.registers[0] = 1;
    refuse(&x0, &input);
    let mut beyond = shard.start.clone();
    beyond.io.next_input_item = ROUNDS as u64 + 1;
    refuse(&beyond, &input);
    let without_entropy = Input {
        entropy: None,
        ..input.clone()
    };
    let mut random = shard.start.clone();
    random.io.random_words = 1;
    refuse(&random, &without_entropy);

    let zero = ShardOptions {
        shard_cycles: 0,
        ..opts.clone()
    };
    let error = Shards::new(&program, &input, &zero).err().unwrap();
    assert!(matches!(error, ExecError::EmptyShards), "{error}");
    assert!(matches!(
        run_shard(&program, &shard.start, &input, &zero),
        Err(ExecError::EmptyShards)
    ));
}

#[test]
fn a_changed_page_or_root_fails_the_shard_proof() {
    let (program, input) = (test_program(), test_input());
    let hasher = Hasher::new();
    let mut tree = MemoryTree::initial(&program, &input).unwrap();
    let mut run = Shards::new(&program, &input, &ShardOptions::default()).unwrap();
    let shard = run.next().unwrap().unwrap();
    assert!(run.next().is_none(), "one shard holds the whole run");
    let proof = tree.apply(&shard);
    let (before, after) = (shard.paged_in(), shard.paged_out());
    assert!(proof.verify(&hasher, &before, &after));
    for k in 0..before.len() {
        let mut changed = before.clone();
        changed[k].bytes[k % PAGE_BYTES] ^= 0x80;
        assert!(!proof.verify(&hasher, &changed, &after));
        let mut changed = after.clone();
        changed[k].bytes[PAGE_BYTES - 1 - k] ^= 1;
        assert!(!proof.verify(&hasher, &before, &changed));
    }
    let swapped = ShardMemoryProof {
        pre_root: proof.post_root,
        post_root: proof.pre_root,
        siblings: proof.siblings.clone(),
    };
    assert!(!swapped.verify(&hasher, &before, &after));
    assert!(!proof.verify(&hasher, &before[1..], &after[1..]));
}

#[test]
fn the_ram_root_does_not_depend_on_the_private_input() {
    let program = test_program();
    let tree = |private_input: Vec<u8>| {
        let input = Input {
            private_input,
            ..Input::default()
        };
        MemoryTree::initial(&program, &input).unwrap()
    };
    let (a, b) = (tree(vec![1, 2, 3]), tree(vec![1, 2, 4]));
    assert_eq!(a.ram_root(), b.ram_root());
    assert_ne!(a.input_root(), b.input_root());
    assert_ne!(a.root(), b.root());
}

#[test]
fn a_failing_run_yields_its_error_then_ends() {
    let mut code = vec![Instruction::nop(); 5];
    code.push(Instruction::i(Opcode::Ld, A0, 0, 8));
    let program = Program::from_elf(&common::elf(&code, &[])).unwrap();
    let input = Input::default();
    let opts = ShardOptions {
        shard_cycles: 2,
        ..ShardOptions::default()
    };
    let results: Vec<_> = Shards::new(&program, &input, &opts).unwrap().collect();
    assert_eq!(results.len(), 3);
    assert!(results[..2].iter().all(Result::is_ok));
    let error = results[2].as_ref().unwrap_err();
    assert!(
        matches!(error, ExecError::Unmapped { pc, .. } if *pc == TEXT + 20),
        "{error}"
    );
}

/// The most pages a range of `len` bytes can span.
fn pages_spanned(len: u64) -> usize {
    (len.div_ceil(PAGE_BYTES as u64) + 1) as usize
}

/// Row limits for the test program: table 0 the ALU and control instructions, 1 loads and
/// stores, 2 `ecall`s, 3 POSEIDON2 calls, 4 a row per 8 bytes (or part) of a buffer call.
fn test_limits(max_rows: usize, rows_per_page: usize) -> RowLimits {
    let opcode_table = Opcode::ALL
        .iter()
        .map(|op| match op {
            Opcode::Ecall => Some(2),
            op if op.load_op().is_some() || op.store_width().is_some() => Some(1),
            _ => Some(0),
        })
        .collect();
    RowLimits {
        max_rows,
        capacity: vec![max_rows; 5],
        opcode_table,
        rows_per_page,
        syscall_rows: Arc::new(|number, args, rows: &mut [usize]| match number {
            syscall::POSEIDON2 => {
                rows[3] += 1;
                pages_spanned(poseidon2::STATE_BYTES)
            }
            syscall::WRITE | syscall::COMMIT | syscall::INPUT_READ | syscall::RANDOM => {
                let len = if number == syscall::WRITE {
                    args[2]
                } else {
                    args[1]
                };
                rows[4] += len.div_ceil(8) as usize;
                pages_spanned(len)
            }
            _ => 0,
        }),
    }
}

/// A shard's rows per table by `limits` (from its record), and the pages it holds.
fn rows_of(program: &Program, shard: &Shard, limits: &RowLimits) -> (Vec<usize>, usize) {
    let record = shard.record.as_ref().expect("recorded");
    let mut rows = vec![0; limits.capacity.len()];
    for step in &record.steps {
        let op = program.instruction_at(u64::from(step.pc)).unwrap().opcode;
        if let Some(table) = limits.opcode_table[op as usize] {
            rows[table] += 1;
        }
    }
    for call in &record.syscalls {
        (limits.syscall_rows)(call.number, call.args, &mut rows);
    }
    (rows, 1 + shard.start.pages.len())
}

/// Shards cut by rows: none holds more than the limits allow, each but the last is full (its
/// successor's first instruction would not have fitted), and together they are the whole run.
fn check_cut_by_rows(limits: RowLimits) {
    let (program, input) = (test_program(), test_input());
    let opts = ShardOptions {
        shard_cycles: 1 << 20,
        record: true,
        row_limits: Some(limits.clone()),
        ..ShardOptions::default()
    };
    let shards: Vec<Shard> = Shards::new(&program, &input, &opts)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(shards.len() > 2, "{} shards", shards.len());
    let whole = execute(
        &program,
        &input,
        &ExecOptions {
            record: true,
            ..ExecOptions::default()
        },
    );
    assert_eq!(concatenate(&shards), whole.unwrap().record.unwrap());
    let max = limits.max_rows;
    for pair in shards.windows(2) {
        let (mut rows, pages) = rows_of(&program, &pair[0], &limits);
        let within = |rows: &[usize]| rows.iter().zip(&limits.capacity).all(|(r, c)| r <= c);
        assert!(within(&rows) && pages * limits.rows_per_page <= max);
        let next = pair[1].record.as_ref().unwrap();
        let op = program.instruction_at(pair[1].start.pc).unwrap().opcode;
        let mut new_pages = 2;
        if op == Opcode::Ecall {
            let call = &next.syscalls[0];
            new_pages = (limits.syscall_rows)(call.number, call.args, &mut rows);
        }
        rows[limits.opcode_table[op as usize].unwrap()] += 1;
        let pages_rows = (pages + new_pages) * limits.rows_per_page;
        assert!(
            !within(&rows) || pages_rows > max,
            "shard {} is not full",
            pair[0].start.index
        );
    }
}

#[test]
fn shards_end_before_a_table_overflows() {
    // Instructions bind (pages cost nothing), then pages bind.
    check_cut_by_rows(test_limits(40, 1));
    check_cut_by_rows(test_limits(300, 40));
    // A table the prover spreads over two (an overflow twin) holds twice as many.
    let mut limits = test_limits(20, 1);
    limits.capacity[0] = 40;
    check_cut_by_rows(limits);
}

#[test]
fn a_system_call_larger_than_a_shard_is_refused_and_tiny_limits_are_refused() {
    let (program, input) = (test_program(), test_input());
    // Each round COMMITs 12 bytes (2 rows of table 4): a shard of 1 row per table cannot hold it.
    let mut limits = test_limits(1, 0);
    let opts = ShardOptions {
        row_limits: Some(limits.clone()),
        ..ShardOptions::default()
    };
    let error = Shards::new(&program, &input, &opts)
        .unwrap()
        .find_map(Result::err)
        .expect("a call too large for any shard");
    assert!(
        matches!(
            error,
            ExecError::SyscallTooLarge {
                rows: 2,
                max_rows: 1,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("more than the 1 one shard proof holds (pc 0x"),
        "{error}"
    );

    limits.rows_per_page = 64;
    limits.max_rows = 100;
    let opts = ShardOptions {
        row_limits: Some(limits),
        ..ShardOptions::default()
    };
    let error = Shards::new(&program, &input, &opts).err().unwrap();
    assert!(
        matches!(error, ExecError::ShardRowsTooFew { least: 192, .. }),
        "{error}"
    );
}
