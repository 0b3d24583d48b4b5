//! `proving_cost` on real guests, from an unrecorded profiled run: its tables' rows are the rows
//! trace generation produces (the record's, before padding), its heights the record's heights,
//! and the rows of the functions and of the step-marker phases each add up to them.

mod common;

use common::guest;
use droste_machine::MachineProver;
use droste_sdk::{execute, proving_cost, ExecOptions, Input, ProofOptions, ProvingCost};

/// The cost of `guests/<name>` on `input`, checked against the execution record.
fn checked_cost(name: &str, input: &Input) -> ProvingCost {
    let program = guest(name);
    let options = ProofOptions::fast();
    let (pk, _) = MachineProver::setup(&program, options).unwrap();
    let recorded = MachineProver::record(&pk, input.as_executor_input()).unwrap();
    let rows = MachineProver::table_rows(&pk, &recorded);

    let profile = ExecOptions {
        profile: true,
        ..ExecOptions::default()
    };
    let run = execute(&*program, input, &profile).unwrap();
    assert_eq!(run.exit_code, 0, "{name}");
    let cost = proving_cost(&*program, run.profile.unwrap(), options).unwrap();
    let totals: Vec<usize> = cost.tables.iter().map(|t| t.rows).collect();
    assert_eq!(totals, rows, "{name}: rows per table");
    let heights: Vec<usize> = cost.tables.iter().map(|t| t.height).collect();
    assert_eq!(
        heights,
        MachineProver::table_heights(&pk, &recorded),
        "{name}: heights"
    );
    let sums = |buckets: Vec<&Vec<usize>>| {
        let mut sum = cost.run_rows.clone();
        for rows in buckets {
            sum.iter_mut().zip(rows).for_each(|(s, r)| *s += r);
        }
        sum
    };
    let functions = cost.functions.iter().map(|(_, b)| &b.rows).collect();
    assert_eq!(sums(functions), rows, "{name}: rows of the functions");
    let markers = cost.markers.iter().map(|(_, b)| &b.rows).collect();
    assert_eq!(sums(markers), rows, "{name}: rows of the phases");
    cost
}

fn rows_of(cost: &ProvingCost, table: &str) -> usize {
    cost.tables.iter().find(|t| t.name == table).unwrap().rows
}

#[test]
fn fibonacci_and_sha256_cost_what_their_records_say() {
    let fib = checked_cost("fibonacci", &Input::new().write_slice(&30u64.to_le_bytes()));
    // The input item and the two committed values go through the buffer table.
    assert!(rows_of(&fib, "buffer") >= 3);
    let sha = checked_cost("sha256", &Input::new().write_slice(&[0x61; 200]));
    let compress = sha
        .functions
        .iter()
        .find(|(name, _)| name.contains("compress256"))
        .expect("sha256's compression function");
    assert_eq!(sha.functions[0].0, compress.0, "most cells");
    assert!(
        rows_of(&sha, "dynamic_memory") > 2,
        "the stack and the heap"
    );
}

#[test]
fn a_poseidon2_guest_costs_what_its_record_says() {
    let elements: Vec<u32> = (0..11).collect();
    let input = Input::new()
        .write("pcs-hasher")
        .unwrap()
        .write(&elements)
        .unwrap();
    let cost = checked_cost("selftest", &input);
    assert_eq!(rows_of(&cost, "poseidon2"), 4);
    let phase = |marker: i64| cost.phase(Some(marker)).unwrap();
    let poseidon2 = cost
        .tables
        .iter()
        .position(|t| t.name == "poseidon2")
        .unwrap();
    // The bare permutation between markers 1 and 2 is one row of the table, and its cells.
    assert_eq!(phase(1).rows[poseidon2], 1);
    assert!(phase(1).cells >= cost.tables[poseidon2].width());
}
