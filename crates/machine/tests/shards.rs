//! Shard proofs: each shard of a run proves and verifies on its own, the statements chain into
//! the whole run, and a dishonest page, path, boundary or statement is caught.

mod common;

use core::borrow::BorrowMut;

use common::*;
use droste_executor::memory_root::{MemoryTree, ShardMemoryProof};
use droste_executor::{
    execute, ExecOptions, Input, Program, RowLimits, Shard, ShardOptions, Shards,
};
use droste_isa::abi::{self, poseidon2, syscall};
use droste_isa::{Instruction as I, Opcode};
use droste_machine::bus::{MEMORY, NODE};
use droste_machine::lookup_tables::RangeCountCols;
use droste_machine::paged_memory::merkle::SiblingCols;
use droste_machine::paged_memory::pages::PageCols;
use droste_machine::trace::LIFTED_ROWS;
use droste_machine::{
    shard_row_limits, whole_run_row_limits, MachineError, MachineProver, ProvingKey, ShardStatement,
};
use droste_stark::{check_constraints, ConstraintViolation, Val};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

/// Iterations of the test program's loop.
const ROUNDS: i32 = 4;
/// The loop's data pointer advances by more than a page and not by a multiple of 8, so its
/// misaligned store at `p + 1020` straddles pages.
const STRIDE: i32 = 1030;
const STATE: i32 = 0x9_0000;
const SOURCE: i32 = 0xa_0000;

/// Each round: loads from the private input, stores (one misaligned, one on the stack), reads a
/// stream item, draws random bytes, permutes a POSEIDON2 state (and again with half of it from
/// elsewhere), writes stdout and commits output; then halts with the sum it loaded.
fn test_program() -> Program {
    let (count, ptr, input, acc, tmp) = (5, 6, 9, 8, 7);
    let mut code = li(count, ROUNDS);
    code.extend(li(ptr, DATA as i32 + 64));
    code.extend(li(input, abi::INPUT_PAYLOAD_START as i32));
    let top = code.len();
    code.push(I::i(Opcode::Ld, tmp, input, 0));
    code.push(I::r(Opcode::Add, acc, acc, tmp));
    code.push(I::i(Opcode::Addi, input, input, 8));
    code.push(I::s(Opcode::Sd, ptr, acc, 0));
    code.push(I::s(Opcode::Sd, ptr, acc, 1020));
    code.push(I::s(Opcode::Sd, 2, count, -8));
    code.extend(ecall(syscall::INPUT_LEN));
    code.push(I::i(Opcode::Addi, 11, 10, 0));
    code.push(I::i(Opcode::Addi, 10, ptr, 16));
    code.extend(ecall(syscall::INPUT_READ));
    code.push(I::i(Opcode::Addi, 10, ptr, 40));
    code.push(I::i(Opcode::Addi, 11, 0, 3));
    code.extend(ecall(syscall::RANDOM));
    code.extend(li(10, STATE));
    code.push(I::i(Opcode::Addi, 11, 0, poseidon2::CANONICAL as i32));
    code.extend(ecall(syscall::POSEIDON2));
    // Its second half from a page that nothing else touches.
    code.push(I::i(Opcode::Addi, 11, 0, poseidon2::SECOND_HALF as i32));
    code.extend(li(12, SOURCE));
    code.extend(ecall(syscall::POSEIDON2_FROM));
    code.push(I::i(Opcode::Addi, 10, 0, 1));
    code.push(I::i(Opcode::Addi, 11, ptr, 0));
    code.push(I::i(Opcode::Addi, 12, 0, 2));
    code.extend(ecall(syscall::WRITE));
    code.push(I::i(Opcode::Addi, 10, ptr, 0));
    code.push(I::i(Opcode::Addi, 11, 0, 12));
    code.extend(ecall(syscall::COMMIT));
    code.push(I::i(Opcode::Addi, ptr, ptr, STRIDE));
    code.push(I::i(Opcode::Addi, count, count, -1));
    let back = -4 * (code.len() - top) as i32;
    code.push(I::s(Opcode::Bne, count, 0, back));
    code.push(I::i(Opcode::Addi, 10, acc, 0));
    code.extend(halt());
    program(&code, b"initial data")
}

/// Another program: its shard key differs from [`test_program`]'s.
fn other_program() -> Program {
    let mut code = li(10, 3);
    code.extend(halt());
    program(&code, b"")
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

/// The run's shards of at most `cycles`, recorded, each with its memory proof.
fn shards(program: &Program, input: &Input, cycles: u64) -> Vec<(Shard, ShardMemoryProof)> {
    let options = ShardOptions {
        shard_cycles: cycles,
        record: true,
        ..ShardOptions::default()
    };
    let mut tree = MemoryTree::initial(program, input).unwrap();
    Shards::new(program, input, &options)
        .unwrap()
        .map(|shard| {
            let shard = shard.unwrap();
            let memory = tree.apply(&shard);
            (shard, memory)
        })
        .collect()
}

/// The program's keys, and its shard key as bytes.
fn shard_keys(program: &Program) -> (ProvingKey, Vec<u8>) {
    let (pk, _) = keys(program);
    let shard_vk = pk.shard.vk.to_bytes().to_vec();
    (pk, shard_vk)
}

/// Index of the shard table named `name` in proving order.
fn shard_table(pk: &ProvingKey, name: &str) -> usize {
    pk.shard
        .tables()
        .iter()
        .position(|t| t.name() == name)
        .unwrap()
}

/// The debug checker on shard traces with `statement`'s endpoints.
fn check_shard(
    pk: &ProvingKey,
    traces: &[RowMajorMatrix<Val>],
    statement: &ShardStatement,
) -> Result<(), ConstraintViolation> {
    check_constraints(&pk.shard.tables(), traces, &statement.endpoints())
}

#[test]
fn every_shard_proves_and_the_statements_chain_into_the_run() {
    let (program, input) = (test_program(), test_input());
    let whole = execute(&program, &input, &ExecOptions::default()).unwrap();
    let (pk, vk) = shard_keys(&program);
    let initial = MemoryTree::initial(&program, &input).unwrap();
    for cycles in [41, 1 << 20] {
        let shards = shards(&program, &input, cycles);
        assert_eq!(shards.len() > 1, cycles == 41);
        let mut statements = Vec::new();
        for (i, (shard, memory)) in shards.iter().enumerate() {
            let (traces, statement) = MachineProver::shard_traces(&pk, shard, memory).unwrap();
            if let Err(violation) = check_shard(&pk, &traces, &statement) {
                panic!("shard {i} of {cycles}: honest witness fails: {violation}");
            }
            // Full proofs of the first, a middle and the last shard.
            if i == 0 || i == 2 || i + 1 == shards.len() {
                let proof =
                    MachineProver::prove_shard_traces(&pk, traces, statement.clone()).unwrap();
                let verified = droste_machine::verify_shard_bytes(&vk, &proof.to_bytes()).unwrap();
                assert_eq!(verified.statement, statement);
                assert_eq!(verified.shard_key, pk.vk.shard_key);
            }
            statements.push(statement);
        }
        let words = |d: [Val; 8]| d.map(|v| p3_field::PrimeField32::as_canonical_u32(&v));
        let first = &statements[0];
        assert_eq!(first.start_pc as u64, program.entry());
        assert_eq!(first.pre_ram_root, words(initial.ram_root()));
        assert_eq!(first.pre_ram_root, pk.vk.initial_ram_root);
        assert_eq!(first.input_root, words(initial.input_root()));
        let mut output: Vec<u8> = Vec::new();
        for pair in statements.windows(2) {
            assert!(!pair[0].halted);
            assert_eq!(pair[0].end_pc, pair[1].start_pc);
            assert_eq!(pair[0].post_ram_root, pair[1].pre_ram_root);
            assert_eq!(pair[0].input_root, pair[1].input_root);
            assert_eq!(
                pair[0].output_offset as usize + pair[0].output.len(),
                pair[1].output_offset as usize
            );
        }
        for s in &statements {
            output.extend(&s.output);
        }
        let last = statements.last().unwrap();
        assert!(last.halted);
        assert_eq!(last.exit_code, whole.exit_code);
        assert_eq!(output, whole.public_output);
        let cycles_total: u64 = statements.iter().map(|s| u64::from(s.cycles)).sum();
        assert_eq!(cycles_total, whole.cycles);
    }
}

/// A shard proof whose short tables are lifted (as a large shard's are, `droste_machine::trace::
/// lift_traces`), its `merkle` and `siblings` tables among them, proves the same statement.
#[test]
fn a_lifted_shard_proves_the_same_statement() {
    let (pk, vk) = shard_keys(&test_program());
    let (mut traces, statement) = honest_shards(&pk).swap_remove(1);
    let lifted = lift_every_table(&pk.shard.tables(), &mut traces);
    for name in ["merkle", "siblings"] {
        assert_eq!(
            traces[shard_table(&pk, name)].height(),
            LIFTED_ROWS,
            "{name}"
        );
    }
    assert!(lifted >= 6, "only {lifted} tables lifted");
    check_shard(&pk, &traces, &statement).expect("lifted honest shard");
    let proof = MachineProver::prove_shard_traces(&pk, traces, statement.clone()).unwrap();
    let verified = droste_machine::verify_shard_bytes(&vk, &proof.to_bytes()).unwrap();
    assert_eq!(verified.statement, statement);
}

/// A shard's traces (in proving order) and statement.
type ShardWitness = (Vec<RowMajorMatrix<Val>>, ShardStatement);

/// The shards of the test run (41 cycles each) with their traces and statements.
fn honest_shards(pk: &ProvingKey) -> Vec<ShardWitness> {
    shards(&test_program(), &test_input(), 41)
        .iter()
        .map(|(shard, memory)| MachineProver::shard_traces(pk, shard, memory).unwrap())
        .collect()
}

/// What the tamper tests edit: the test program's keys, its honest shards of 41 cycles, and the
/// index of the `pages` table.
fn tamper_fixture() -> (ProvingKey, Vec<ShardWitness>, usize) {
    let (pk, _) = shard_keys(&test_program());
    let shards = honest_shards(&pk);
    let pages = shard_table(&pk, "pages");
    (pk, shards, pages)
}

/// The debug checker rejects `traces` with `statement` on `bus`, and a full proof of them does
/// not verify.
fn assert_shard_caught(
    pk: &ProvingKey,
    traces: Vec<RowMajorMatrix<Val>>,
    statement: ShardStatement,
    bus: Option<droste_machine::bus::Bus>,
) {
    let violation = check_shard(pk, &traces, &statement).unwrap_err();
    if let Some(bus) = bus {
        assert!(
            matches!(violation, ConstraintViolation::Unbalanced { bus: b, .. } if b == bus),
            "{violation}"
        );
    }
    match MachineProver::prove_shard_traces(pk, traces, statement) {
        Ok(proof) => {
            let result =
                droste_machine::verify_shard_bytes(&pk.shard.vk.to_bytes(), &proof.to_bytes());
            assert!(
                matches!(result, Err(MachineError::Verify(_))),
                "accepted: {result:?}"
            );
        }
        Err(e) => assert!(matches!(e, MachineError::Prove(_)), "{e}"),
    }
}

/// The rows of `pages` trace for page `index`.
fn page_rows(trace: &mut RowMajorMatrix<Val>, index: u32) -> Vec<&mut PageCols<Val>> {
    let width = trace.width;
    trace
        .values
        .chunks_exact_mut(width)
        .map(|row| -> &mut PageCols<Val> { row.borrow_mut() })
        .filter(|c| c.is_real == Val::ONE && c.page == Val::from_u32(index))
        .collect()
}

/// Recomputes both sponges of a page's rows after their limbs were edited, so that every
/// permutation is honest and only what the limbs mean changes.
fn rehash(rows: &mut [&mut PageCols<Val>]) {
    let constants = droste_machine::chips::poseidon2::round_constants();
    let mut capacity = [[Val::ZERO; 8]; 2];
    for row in rows.iter_mut() {
        for (t, perm) in [&mut row.pre, &mut row.post].into_iter().enumerate() {
            let mut input = perm.cols().inputs;
            input[8..].copy_from_slice(&capacity[t]);
            perm.fill(input, &constants);
            capacity[t].copy_from_slice(&perm.output()[8..]);
        }
    }
}

#[test]
fn a_page_that_is_not_the_memory_root_s_is_caught() {
    let (pk, shards, pages) = tamper_fixture();
    let (traces, statement) = &shards[1];

    // A byte of the register page past the registers (not a cell: no memory access sees it),
    // changed before and after with honest hashes: only the leaves differ from the tree's.
    let mut t = traces.clone();
    let mut rows = page_rows(&mut t[pages], 0);
    let row = &mut rows[40];
    row.pre.cols_mut().inputs[2] += Val::ONE;
    row.post.cols_mut().inputs[2] += Val::ONE;
    rehash(&mut rows);
    // The limb's range check moves from 0 to 1.
    let range = shard_table(&pk, "range");
    for (value, change) in [(0, -1), (1, 1)] {
        let counts: &mut RangeCountCols<Val> = row_mut(&mut t[range], value).borrow_mut();
        counts.count[0] += Val::from_i32(change);
    }
    assert_shard_caught(&pk, t, statement.clone(), Some(NODE));

    // A RAM page moved to another index (its cells' addresses follow it): the tree has another
    // page there.
    let mut t = traces.clone();
    let ram_page = {
        let width = t[pages].width;
        let cols: &PageCols<Val> =
            core::borrow::Borrow::borrow(&t[pages].values[64 * width..65 * width]);
        cols.page
    };
    for row in page_rows(
        &mut t[pages],
        p3_field::PrimeField32::as_canonical_u32(&ram_page),
    ) {
        row.page += Val::ONE;
        row.addr += Val::from_u32(1024);
        row.lower[0] += Val::ONE;
        row.upper[0] -= Val::ONE;
    }
    assert!(check_shard(&pk, &t, statement).is_err());
}

#[test]
fn a_changed_final_value_or_sibling_is_caught() {
    let (pk, shards, pages) = tamper_fixture();
    let siblings = shard_table(&pk, "siblings");
    let (traces, statement) = &shards[2];

    // A register's value after the shard, with an honest hash: the memory bus no longer
    // balances (the last write said otherwise).
    let mut t = traces.clone();
    let mut rows = page_rows(&mut t[pages], 0);
    rows[3].post.cols_mut().inputs[0] += Val::ONE;
    rehash(&mut rows);
    assert_shard_caught(&pk, t, statement.clone(), Some(MEMORY));

    // A sibling: memory the shard did not touch, claimed different (in both trees).
    let mut t = traces.clone();
    let sibling: &mut SiblingCols<Val> = row_mut(&mut t[siblings], 0).borrow_mut();
    assert_eq!(sibling.is_real, Val::ONE);
    sibling.digest[0] += Val::ONE;
    assert_shard_caught(&pk, t, statement.clone(), Some(NODE));
}

#[test]
fn a_statement_that_is_not_the_shard_s_is_caught() {
    let (pk, vk) = shard_keys(&test_program());
    let shards = honest_shards(&pk);
    let (traces, statement) = &shards[1];
    type Edit = (&'static str, fn(&mut ShardStatement));
    let edits: [Edit; 9] = [
        ("pre root", |s| s.pre_ram_root[3] ^= 1),
        ("post root", |s| s.post_ram_root[0] ^= 1),
        ("input root", |s| s.input_root[7] ^= 1),
        ("start pc", |s| s.start_pc += 4),
        ("end pc", |s| s.end_pc += 4),
        ("cycles", |s| s.cycles -= 1),
        ("halts", |s| {
            s.halted = true;
            s.end_pc = 0;
            s.output_clk = 0;
        }),
        ("input length", |s| s.input_len += 8),
        ("output offset", |s| s.output_offset += 1),
    ];
    for (what, edit) in edits {
        let mut forged = statement.clone();
        edit(&mut forged);
        assert!(check_shard(&pk, traces, &forged).is_err(), "{what}");
    }
    // One full proof: a non-final shard claiming to halt.
    let mut forged = statement.clone();
    forged.halted = true;
    forged.end_pc = 0;
    forged.output_clk = 0;
    assert_shard_caught(&pk, traces.clone(), forged, None);

    // An honest proof of one shard does not verify with another shard's statement, nor under
    // the program's whole-run key.
    let proof = MachineProver::prove_shard_traces(&pk, traces.clone(), statement.clone()).unwrap();
    let mut swapped = proof.clone();
    swapped.statement = shards[2].1.clone();
    let result = droste_machine::verify_shard_bytes(&vk, &swapped.to_bytes());
    assert!(matches!(result, Err(MachineError::Verify(_))), "{result:?}");
    let (other, _) = shard_keys(&other_program());
    let result = droste_machine::verify_shard_bytes(&other.shard.vk.to_bytes(), &proof.to_bytes());
    assert!(matches!(result, Err(MachineError::WrongKey)), "{result:?}");
    let result = droste_machine::verify_shard_bytes(&pk.vk.to_bytes(), &proof.to_bytes());
    assert!(matches!(result, Err(MachineError::Format(_))), "{result:?}");
}

#[test]
fn an_input_read_past_the_declared_length_is_caught() {
    let (pk, shards, pages) = tamper_fixture();
    // The first shard pages in the input's first page; the doubleword after the payload's end
    // is not a cell. Claiming it is fails the extent check.
    let (traces, statement) = &shards[0];
    let mut t = traces.clone();
    let rows = page_rows(&mut t[pages], (abi::INPUT_START >> 10) as u32);
    assert!(!rows.is_empty(), "the first shard reads the input");
    let region_dwords = (16 + test_input().private_input.len()).div_ceil(8);
    let row = region_dwords / 2;
    let d = region_dwords % 2;
    let cols = rows.into_iter().nth(row).unwrap();
    assert_eq!(cols.is_cell[d], Val::ZERO);
    cols.is_cell[d] = Val::ONE;
    assert!(check_shard(&pk, &t, statement).is_err());
}

/// A loop on registers alone: its shards touch no memory page, only the register page.
fn register_only_program() -> Program {
    let mut code = li(5, 40);
    code.push(I::i(Opcode::Addi, 6, 6, 3));
    code.push(I::i(Opcode::Addi, 5, 5, -1));
    code.push(I::s(Opcode::Bne, 5, 0, -8));
    code.push(I::i(Opcode::Addi, 10, 6, 0));
    code.extend(halt());
    program(&code, b"")
}

#[test]
fn a_shard_that_touches_no_memory_page_proves() {
    let program = register_only_program();
    let input = Input::default();
    let (pk, vk) = shard_keys(&program);
    let shards = shards(&program, &input, 16);
    assert!(shards.len() > 3);
    for (i, (shard, memory)) in shards.iter().enumerate() {
        assert!(shard.start.pages.is_empty(), "shard {i} touches memory");
        let (traces, statement) = MachineProver::shard_traces(&pk, shard, memory).unwrap();
        if let Err(violation) = check_shard(&pk, &traces, &statement) {
            panic!("shard {i}: honest witness fails: {violation}");
        }
        if i == 1 {
            let proof = MachineProver::prove_shard_traces(&pk, traces, statement).unwrap();
            droste_machine::verify_shard_bytes(&vk, &proof.to_bytes()).unwrap();
        }
    }
    let last = &shards.last().unwrap().0;
    assert_eq!(last.end.exit.as_ref().map(|e| e.code), Some(120));
}

#[test]
fn a_shard_whose_pages_do_not_cover_its_record_is_refused() {
    let (program, input) = (test_program(), test_input());
    let (pk, _) = shard_keys(&program);
    let options = ShardOptions {
        shard_cycles: 41,
        record: true,
        ..ShardOptions::default()
    };
    let mut shard = Shards::new(&program, &input, &options)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert!(shard.start.pages.len() > 1);
    shard.start.pages.pop();
    shard.pages_after.pop();
    // A memory proof that matches the pages left, so only the record is not covered.
    let memory = MemoryTree::initial(&program, &input).unwrap().apply(&shard);
    match MachineProver::shard_traces(&pk, &shard, &memory) {
        Err(MachineError::Shard(reason)) => assert_eq!(
            reason,
            "the shard's pages do not cover the memory its record accesses"
        ),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

/// The row of the `pages` trace holding `chunk` of page `index`.
fn page_row(trace: &RowMajorMatrix<Val>, index: u32, chunk: usize) -> usize {
    trace
        .values
        .chunks_exact(trace.width)
        .position(|row| {
            let c: &PageCols<Val> = core::borrow::Borrow::borrow(row);
            c.is_real == Val::ONE
                && c.page == Val::from_u32(index)
                && c.chunk == Val::from_usize(chunk)
        })
        .unwrap()
}

/// The debug checker reports a failed `pages` constraint on `row` (the constraint the edit
/// targets; bus imbalances it causes are reported only after every constraint holds), and a
/// full proof of the witness does not verify.
fn assert_pages_row_caught(
    pk: &ProvingKey,
    traces: Vec<RowMajorMatrix<Val>>,
    statement: &ShardStatement,
    row: usize,
) {
    match check_shard(pk, &traces, statement) {
        Err(ConstraintViolation::Constraint { table, row: r, .. }) => {
            assert_eq!((table.as_str(), r), ("pages", row))
        }
        other => panic!("{other:?}"),
    }
    assert_shard_caught(pk, traces, statement.clone(), None);
}

/// A RAM page's index in a shard's `pages` trace (the first page after the register page).
fn first_ram_page(trace: &RowMajorMatrix<Val>) -> u32 {
    let cols: &PageCols<Val> =
        core::borrow::Borrow::borrow(&trace.values[64 * trace.width..65 * trace.width]);
    assert_eq!(cols.is_register_page + cols.is_input_page, Val::ZERO);
    p3_field::PrimeField32::as_canonical_u32(&cols.page)
}

#[test]
fn a_non_zero_x0_on_the_register_page_is_caught() {
    let (pk, shards, pages) = tamper_fixture();
    let (traces, statement) = &shards[1];
    // x0 paged in (and out) as 1, with honest hashes.
    let mut t = traces.clone();
    let mut rows = page_rows(&mut t[pages], 0);
    rows[0].pre.cols_mut().inputs[0] = Val::ONE;
    rows[0].post.cols_mut().inputs[0] = Val::ONE;
    rehash(&mut rows);
    let row = page_row(&t[pages], 0, 0);
    assert_pages_row_caught(&pk, t, statement, row);
}

#[test]
fn a_register_cell_past_x31_is_caught() {
    let (pk, shards, pages) = tamper_fixture();
    let (traces, statement) = &shards[1];
    // Chunk 20 of the register page claimed to hold registers 40 and 41: their cells would be
    // created and consumed unchanged (the memory bus balances), but the chunk's distance to the
    // register chunks is negative and fails its range check.
    let mut t = traces.clone();
    let mut rows = page_rows(&mut t[pages], 0);
    let cols = &mut rows[20];
    cols.is_cell = [Val::ONE; 2];
    cols.reg_gap = Val::from_i32(15 - 20);
    let violation = check_shard(&pk, &t, statement).unwrap_err();
    assert!(
        matches!(violation, ConstraintViolation::Unbalanced { bus, .. } if bus == droste_machine::bus::RANGE),
        "{violation}"
    );
    assert_shard_caught(&pk, t, statement.clone(), None);
}

#[test]
fn an_input_header_not_claimed_as_the_header_is_caught() {
    let (pk, shards, pages) = tamper_fixture();
    let (traces, statement) = &shards[0];
    let header_page = (abi::INPUT_START >> 10) as u32;

    // The header chunk said not to be the header: its length would be free of the statement's.
    let mut t = traces.clone();
    page_rows(&mut t[pages], header_page)[0].is_header = Val::ZERO;
    let row = page_row(&t[pages], header_page, 0);
    assert_pages_row_caught(&pk, t, statement, row);

    // And a RAM page's first chunk said to be the header.
    let mut t = traces.clone();
    let ram = first_ram_page(&t[pages]);
    page_rows(&mut t[pages], ram)[0].is_header = Val::ONE;
    let row = page_row(&t[pages], ram, 0);
    assert_pages_row_caught(&pk, t, statement, row);
}

#[test]
fn a_broken_sponge_chain_is_caught() {
    let (pk, shards, pages) = tamper_fixture();
    let (traces, statement) = &shards[1];
    // A RAM page's sponge restarted at chunk 5 from another capacity, each permutation from
    // there on honest: only the link from chunk 4 to chunk 5 is wrong.
    let constants = droste_machine::chips::poseidon2::round_constants();
    let mut t = traces.clone();
    let ram = first_ram_page(&t[pages]);
    let mut rows = page_rows(&mut t[pages], ram);
    let mut capacity: [Val; 8] = core::array::from_fn(|i| rows[5].pre.cols().inputs[8 + i]);
    capacity[0] += Val::ONE;
    for row in rows[5..].iter_mut() {
        let mut input = row.pre.cols().inputs;
        input[8..].copy_from_slice(&capacity);
        row.pre.fill(input, &constants);
        capacity.copy_from_slice(&row.pre.output()[8..]);
    }
    let row = page_row(&t[pages], ram, 4);
    assert_pages_row_caught(&pk, t, statement, row);
}

/// A loop of `rounds` iterations of two `addi` and a `bne`: rows in `add_sub` and `control`,
/// almost no memory.
fn counting_program(rounds: i32) -> Program {
    let (count, acc) = (5, 8);
    let mut code = li(count, rounds);
    code.push(I::i(Opcode::Addi, acc, acc, 3));
    code.push(I::i(Opcode::Addi, count, count, -1));
    code.push(I::s(Opcode::Bne, count, 0, -8));
    code.push(I::i(Opcode::Addi, 10, acc, 0));
    code.extend(halt());
    program(&code, b"")
}

/// Cuts the run into shards by the machine's row rules at `max_rows` rows per table: no
/// shard's traces are taller (the preprocessed tables aside, whose heights the key fixes), the
/// debug checker accepts each, and every shard but the last fills some table. The shard count.
fn check_cut_by_rows(program: &Program, input: &Input, max_rows: usize) -> usize {
    let (pk, _) = shard_keys(program);
    let options = ShardOptions {
        shard_cycles: 1 << 20,
        record: true,
        row_limits: Some(shard_row_limits(&pk, max_rows)),
        ..ShardOptions::default()
    };
    let fixed: Vec<bool> = pk
        .shard
        .vk
        .stark
        .tables
        .iter()
        .map(|t| t.preprocessed_log_height.is_some())
        .collect();
    let mut tree = MemoryTree::initial(program, input).unwrap();
    let shards: Vec<Shard> = Shards::new(program, input, &options)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (index, shard) in shards.iter().enumerate() {
        let memory = tree.apply(shard);
        let (traces, statement) = MachineProver::shard_traces(&pk, shard, &memory).unwrap();
        let tallest = (traces.iter().zip(&fixed))
            .filter(|(_, &fixed)| !fixed)
            .map(|(trace, _)| trace.height())
            .max()
            .unwrap();
        assert!(
            tallest <= max_rows,
            "shard {index}: a table of {tallest} rows"
        );
        if index + 1 < shards.len() {
            assert_eq!(tallest, max_rows, "shard {index} ends before it is full");
        }
        check_shard(&pk, &traces, &statement).unwrap();
    }
    shards.len()
}

#[test]
fn shards_cut_by_rows_fit_their_proofs_and_are_full() {
    // Cut by instructions: 3 * 3000 cycles, 2 rows per round in `add_sub`.
    let input = Input::default();
    assert_eq!(check_cut_by_rows(&counting_program(3000), &input, 1024), 6);
    // Cut by pages: the test program touches two new pages a round.
    assert!(check_cut_by_rows(&test_program(), &test_input(), 256) > 2);
}

/// `stores` misaligned doubleword stores 16 bytes apart from a page boundary in the heap: each
/// touches two doublewords, so the run touches `2 * stores` doublewords with `stores` rows of
/// `store`.
fn straddling_stores_program(stores: i32) -> Program {
    let (ptr, end) = (6, 7);
    let first = 0x10_0004;
    let mut code = li(ptr, first);
    code.extend(li(end, first + 16 * stores));
    code.push(I::s(Opcode::Sd, ptr, ptr, 0));
    code.push(I::i(Opcode::Addi, ptr, ptr, 16));
    code.push(I::s(Opcode::Bne, ptr, end, -8));
    code.push(I::i(Opcode::Addi, 10, 0, 0));
    code.extend(halt());
    program(&code, b"")
}

/// Whether the run's first shard under `limits` is the whole run (how the SDK decides that a
/// run fits one proof).
fn first_shard_is_the_run(program: &Program, input: &Input, limits: RowLimits) -> bool {
    let options = ShardOptions {
        shard_cycles: 1 << 20,
        row_limits: Some(limits),
        ..ShardOptions::default()
    };
    let mut shards = Shards::new(program, input, &options).unwrap();
    shards.next().unwrap().unwrap().end.exit.is_some()
}

/// The tallest whole-run table that is not preprocessed, by name.
fn tallest_whole_run_table(pk: &ProvingKey, input: &Input) -> (String, usize) {
    let run = MachineProver::record(pk, input).unwrap();
    let heights = MachineProver::table_heights(pk, &run);
    (MachineProver::tables(pk).iter().zip(&pk.vk.stark.tables))
        .zip(heights)
        .filter(|((_, key), _)| key.preprocessed_log_height.is_none())
        .map(|((table, _), rows)| (table.name().to_string(), rows))
        .max_by_key(|(_, rows)| *rows)
        .unwrap()
}

#[test]
fn a_run_within_the_whole_run_limits_fits_one_proof_and_one_past_them_does_not() {
    let (max_rows, input) = (1024, Input::default());
    // 1,100 doublewords touched by 550 stores: every shard table fits 1024 rows (9 pages of 64
    // `pages` rows), but the whole run's `dynamic_memory` table needs 1,102 rows.
    let dense = straddling_stores_program(550);
    let (pk, _) = keys(&dense);
    assert!(first_shard_is_the_run(
        &dense,
        &input,
        shard_row_limits(&pk, max_rows)
    ));
    assert!(!first_shard_is_the_run(
        &dense,
        &input,
        whole_run_row_limits(&pk, max_rows)
    ));
    assert_eq!(
        tallest_whole_run_table(&pk, &input),
        ("dynamic_memory".to_string(), 2048)
    );
    // Within the limits, no whole-run table is taller than they allow: 600 doublewords on 5
    // pages (`dynamic_memory` 602 rows), and the test program's syscalls and stores.
    for (program, input, max_rows) in [
        (straddling_stores_program(300), Input::default(), 1024),
        (test_program(), test_input(), 4096),
    ] {
        let (pk, _) = keys(&program);
        assert!(first_shard_is_the_run(
            &program,
            &input,
            whole_run_row_limits(&pk, max_rows)
        ));
        let (table, rows) = tallest_whole_run_table(&pk, &input);
        assert!(rows <= max_rows, "`{table}` has {rows} rows");
    }
}

#[test]
fn a_system_call_with_addresses_past_the_address_space_is_an_error_when_counted() {
    // EXT_COMBINE over 2^62 values from the last doubleword, and a POSEIDON2 state (and
    // POSEIDON2_FROM source) there: the row counter sees the arguments before the executor
    // checks them.
    for call in [
        syscall::EXT_COMBINE,
        syscall::POSEIDON2,
        syscall::POSEIDON2_FROM,
    ] {
        let mut code = vec![I::i(Opcode::Addi, 10, 0, -8)];
        code.extend(li(11, 1 << 30));
        code.push(I::i(Opcode::Slli, 11, 11, 33));
        code.push(I::i(Opcode::Addi, 12, 0, -8));
        code.extend(ecall(call));
        code.extend(halt());
        let program = program(&code, b"");
        let (pk, _) = keys(&program);
        let options = ShardOptions {
            row_limits: Some(shard_row_limits(&pk, 1 << 22)),
            ..ShardOptions::default()
        };
        let shards: Result<Vec<Shard>, _> = Shards::new(&program, &Input::default(), &options)
            .unwrap()
            .collect();
        let err = shards.unwrap_err();
        assert!(err.to_string().contains("pc 0x"), "call {call}: {err}");
    }
}
