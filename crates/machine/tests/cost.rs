//! The proving-cost profile: rows per table for each function and step-marker phase, from an
//! unrecorded run. The totals are the record's rows (checked by `common::traces` for every
//! program the machine tests prove); here, each bucket gets exactly the rows its instructions,
//! buffers, precompile calls and first-touched doublewords make.

mod common;

use common::*;
use droste_executor::elf_builder::{ElfBuilder, Perm};
use droste_executor::{ExecOptions, Input, Program};
use droste_isa::abi::{syscall, INPUT_START, PROGRAM_START};
use droste_isa::{Instruction as I, Opcode};
use droste_machine::{BucketCost, ProvingCost, ProvingKey};

const SP: u8 = 2;

/// `main` (marker 1) stores two stack doublewords and calls `helper`, which loads one of them,
/// stores a third and loads the input header; then (marker 2) it commits 12 bytes of its data
/// and permutes a fresh 64-byte state on the stack with POSEIDON2.
fn program() -> Program {
    let mut main = vec![
        I::i(Opcode::Addi, 0, 0, 1),
        I::i(Opcode::Addi, SP, SP, -16),
        I::s(Opcode::Sd, SP, 0, 0),
        I::s(Opcode::Sd, SP, 0, 8),
    ];
    let call_at = main.len();
    main.push(I::nop());
    main.push(I::i(Opcode::Addi, 0, 0, 2));
    main.extend(li(10, DATA as i32));
    main.extend(li(11, 12));
    main.extend(ecall(syscall::COMMIT));
    main.push(I::i(Opcode::Addi, 10, SP, -80));
    main.extend(li(11, 0));
    main.extend(ecall(syscall::POSEIDON2));
    main.extend(li(10, 0));
    main.extend(halt());
    let helper_at = PROGRAM_START + 4 * main.len() as u64;
    main[call_at] = I::u(Opcode::Jal, 1, 4 * (main.len() - call_at) as i32);
    let mut helper = vec![I::i(Opcode::Ld, 6, SP, 0), I::s(Opcode::Sd, SP, 0, -8)];
    helper.extend(li(7, INPUT_START as i32));
    helper.push(I::i(Opcode::Ld, 8, 7, 0));
    helper.push(I::i(Opcode::Jalr, 0, 1, 0));
    let helper_end = helper_at + 4 * helper.len() as u64;

    let code: Vec<I> = main.into_iter().chain(helper).collect();
    let mut elf = ElfBuilder::new(PROGRAM_START);
    elf.code(PROGRAM_START, &code).unwrap();
    elf.segment(DATA, vec![7; 16], 64, Perm::ReadWrite);
    elf.symbol("main", PROGRAM_START, helper_at)
        .symbol("helper", helper_at, helper_end);
    Program::from_elf(&elf.build()).unwrap()
}

fn cost(pk: &ProvingKey) -> ProvingCost {
    let options = ExecOptions {
        profile: true,
        ..ExecOptions::default()
    };
    let run = droste_executor::execute(pk.program(), &Input::default(), &options).unwrap();
    ProvingCost::new(pk, run.profile.unwrap())
}

/// The rows `bucket` adds to the tables named in `tables`.
fn rows(pk: &ProvingKey, bucket: &BucketCost, tables: &[&str]) -> Vec<usize> {
    tables
        .iter()
        .map(|name| bucket.rows[table_index(pk, name)])
        .collect()
}

const TABLES: [&str; 7] = [
    "load",
    "store",
    "ecall",
    "buffer",
    "poseidon2",
    "dynamic_memory",
    "jalr",
];

#[test]
fn each_function_and_phase_gets_the_rows_it_makes() {
    let (pk, _) = keys(&program());
    // The totals equal the record's rows before padding, and each bucket list adds up to them.
    traces(&pk, &Input::default());
    let cost = cost(&pk);

    let function = |name: &str| cost.function(name).unwrap();
    // main: 2 stores, 3 ecalls, 2 buffer pieces (8 + 4 bytes of the image: no memory rows), one
    // permutation whose 8 stack doublewords are new, and its 2 new stack doublewords.
    assert_eq!(rows(&pk, function("main"), &TABLES), [0, 2, 3, 2, 1, 10, 0]);
    // helper: the doubleword it loads is main's, the input header is the run's: one new row.
    assert_eq!(
        rows(&pk, function("helper"), &TABLES),
        [2, 1, 0, 0, 0, 1, 1]
    );
    assert_eq!(function("helper").cycles, 6);

    let phase = |marker: i64| cost.phase(Some(marker)).unwrap();
    assert_eq!(rows(&pk, phase(1), &TABLES), [2, 3, 0, 0, 0, 3, 1]);
    assert_eq!(rows(&pk, phase(2), &TABLES), [0, 0, 3, 2, 1, 8, 0]);
    assert_eq!(cost.markers.len(), 2, "no cycles before the first marker");
    assert_eq!(phase(1).cycles, 5 + 6);

    // The input header's two doublewords are the run's, like the fixed tables.
    let dynamic = table_index(&pk, "dynamic_memory");
    assert_eq!(cost.run_rows[dynamic], 2);
    let program_rom = table_index(&pk, "program");
    assert!(cost.tables[program_rom].fixed);
    assert_eq!(cost.run_rows[program_rom], cost.tables[program_rom].height);

    // Cells: a bucket's are its rows times each table's main and LogUp columns.
    let main = function("main");
    let cells: usize = cost
        .tables
        .iter()
        .zip(&main.rows)
        .map(|(t, r)| r * (t.main_columns + t.logup_columns))
        .sum();
    assert_eq!(main.cells, cells);
    assert_eq!(
        cost.cells(),
        cost.tables.iter().map(|t| t.height * t.width()).sum()
    );
    assert!(cost.functions[0].1.cells >= cost.functions[1].1.cells);
}

#[test]
fn the_report_names_the_tallest_table_and_accounts_for_every_cell() {
    let (pk, _) = keys(&program());
    let cost = cost(&pk);
    // Lookup tables (2^16 rows) outgrow this tiny run's tables.
    let tallest: Vec<&str> = cost.tallest().iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tallest, ["range", "byte"]);
    let growing = cost.tallest_growing().unwrap();
    assert!(!cost.tables[growing].fixed);

    let report = cost.report(1);
    for expected in [
        "tallest: range, byte (2^16 rows), which sets the largest LDE domain: 2^17 points at \
         log_blowup 1",
        "  main  [",
        "(1 more)",
        "marker 2",
        "(fixed tables and the input header: every run)",
        "(padding to powers of two)",
        "poseidon2 in main",
    ] {
        assert!(report.contains(expected), "{expected:?} missing:\n{report}");
    }
    assert!(!report.contains("does not fit one proof"), "{report}");

    // Functions, the run's rows and the padding add up to the tables' cells.
    let attributed: usize = cost.functions.iter().map(|(_, b)| b.cells).sum();
    assert!(cost.run_cells() + attributed <= cost.cells());
}
