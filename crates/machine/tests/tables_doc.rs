//! Generates `docs/machine-tables.md` and checks the committed copy is current. Run with
//! `DROSTE_UPDATE_DOCS=1` to rewrite it.

mod common;

use common::*;
use droste_executor::Input;
use droste_isa::{Instruction as I, Opcode};
use droste_machine::tables_doc::{render, render_tables, TableSize};
use droste_machine::MachineProver;
use p3_matrix::Matrix;

/// A loop copying 256 doublewords and summing them, with one instruction of every other
/// arithmetic chip per iteration.
fn sample() -> (Vec<I>, &'static str) {
    let mut code = li(5, DATA as i32); // src
    code.extend(li(6, DATA as i32 + 2048)); // dst
    code.extend(li(7, 256)); // count
    code.extend(li(10, 0)); // sum
    code.push(I::i(Opcode::Ld, 8, 5, 0));
    code.push(I::s(Opcode::Sd, 6, 8, 0));
    code.push(I::r(Opcode::Add, 10, 10, 8));
    code.push(I::i(Opcode::Addi, 5, 5, 8));
    code.push(I::i(Opcode::Addi, 6, 6, 8));
    code.push(I::r(Opcode::Mul, 9, 8, 7));
    code.push(I::r(Opcode::Xor, 9, 9, 8));
    code.push(I::r(Opcode::Sltu, 9, 9, 8));
    code.push(I::i(Opcode::Srli, 9, 8, 3));
    code.push(I::r(Opcode::Divu, 9, 8, 7));
    code.push(I::i(Opcode::Addi, 7, 7, -1));
    code.push(I::s(Opcode::Bne, 7, 0, -44));
    code.extend(halt());
    (
        code,
        "a loop over 256 doublewords (ld, sd, add, 3 addi, mul, xor, sltu, srli, divu, bne per \
         iteration)",
    )
}

#[test]
fn machine_tables_doc_is_current() {
    let (code, description) = sample();
    let program = program(&code, &[1u8; 2048]);
    let (pk, _) = keys(&program);
    let (traces, _) = traces(&pk, &Input::default());
    let run = droste_executor::execute(&program, &Input::default(), &Default::default()).unwrap();
    // The overflow twins (`load+`...) repeat their tables' columns and are empty in this run.
    let twins = |name: &str| name.ends_with('+');
    let (tables, sized): (Vec<_>, Vec<_>) = MachineProver::tables(&pk)
        .into_iter()
        .zip(traces.iter().zip(&pk.vk.stark.tables))
        .filter(|(table, _)| !twins(table.name()))
        .unzip();
    let sizes: Vec<TableSize> = tables
        .iter()
        .zip(sized)
        .map(|(table, (trace, meta))| {
            let real_rows = trace
                .row_slices()
                .filter(|r| {
                    r.iter()
                        .any(|v| *v != p3_field::PrimeCharacteristicRing::ZERO)
                })
                .count();
            TableSize {
                name: table.name().to_string(),
                real_rows,
                height: trace.height(),
                main_width: meta.main_width as usize,
                preprocessed_width: meta.preprocessed_width as usize,
                aux_width: 4 * meta.aux_columns(),
            }
        })
        .collect();
    let mut doc = render(&tables, &sizes, run.cycles, description);
    assert!(MachineProver::tables(&pk)
        .iter()
        .zip(&traces)
        .all(|(table, trace)| !twins(table.name()) || trace.height() == 0));
    doc.push_str(
        "# Overflow twins\n\nEvery instruction chip, `load` and `store` has an overflow twin \
         `{name}+`: the same columns, constraints and interactions as a table of its own, after \
         all the tables above. The prover moves a table's rows past a power of two into it where \
         that saves at least a quarter of the table's padded cells, and past the most rows one \
         table holds (`droste_machine::overflow`, `docs/machine.md`). The twins are empty in the \
         sample above.\n\n",
    );
    doc.push_str(
        "# Shard proofs\n\nA shard proof has the tables above except `image` and `dynamic_memory`, \
         and these (`docs/continuations.md`); its `registers` table creates only the sink.\n\n",
    );
    let paged: Vec<_> = pk
        .shard
        .tables()
        .into_iter()
        .filter(|t| matches!(t.name(), "pages" | "merkle" | "siblings"))
        .collect();
    doc.push_str(&render_tables(&paged));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/machine-tables.md");
    if std::env::var_os("DROSTE_UPDATE_DOCS").is_some() {
        std::fs::write(path, &doc).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == doc,
        "docs/machine-tables.md is stale: rerun with DROSTE_UPDATE_DOCS=1"
    );
}
