//! Every table's height for a recorded run, computed from the execution record before any trace
//! is generated.
//!
//! Trace generation of a run too large for one proof (a guest committing 64 MiB, a long loop)
//! takes seconds and gigabytes before the heights are known; the record tells them in one cheap
//! pass, so a prover can refuse the run at once. The heights follow the rules trace generation
//! itself uses: a preprocessed table has its key's fixed height, an instruction, memory or
//! `ecall` table [`event_table_height`] of its events, the dynamic memory table
//! [`padded_height`] of its cells. Tests compare these heights with the generated traces for
//! every program they prove, so the two cannot drift apart.

use droste_executor::{ExecutionRecord, Program};
use droste_isa::abi::{INPUT_START, MEMORY_END, PROGRAM_START};
use droste_isa::Opcode;

use crate::chips::poseidon2::WIDTH as POSEIDON2_WORDS;
use crate::prover::witness::{buffer_pieces, image_len, syscall_buffer};
use crate::prover::ProvingKey;
use crate::trace::{event_table_height, padded_height};

/// Rows of each table (in proving order) that trace generation will produce for `record`, a
/// run of `pk`'s program.
pub fn table_heights(pk: &ProvingKey, record: &ExecutionRecord) -> Vec<usize> {
    let program = &pk.program;
    let per_opcode = executions_per_opcode(program, record);
    let count = |wanted: &dyn Fn(Opcode) -> bool| -> usize {
        Opcode::ALL
            .iter()
            .filter(|&&op| wanted(op))
            .map(|&op| per_opcode[op as usize])
            .sum()
    };
    let tables = &pk.tables;
    let mut event_rows: Vec<usize> = tables
        .chips
        .iter()
        .map(|chip| count(&|op| chip.opcodes().contains(&op)))
        .collect();
    event_rows.push(count(&|op| op.load_op().is_some()));
    event_rows.push(count(&|op| op.store_width().is_some()));
    event_rows.push(count(&|op| op == Opcode::Ecall));
    let cells = MemoryCells::of(program, record);
    event_rows.push(cells.buffer_pieces);
    event_rows.push(record.poseidon2.len());
    let mut event_rows = event_rows.into_iter().map(event_table_height);

    let stark = &pk.vk.stark;
    let fixed = |index: usize| {
        let log_height = stark.tables[index]
            .preprocessed_log_height
            .expect("the machine's preprocessed tables have fixed heights");
        1usize << log_height
    };
    let mut heights = Vec::with_capacity(stark.tables.len());
    heights.push(fixed(0));
    heights.extend(event_rows.by_ref().take(tables.chips.len() + 5));
    let registers = heights.len();
    heights.extend([fixed(registers), fixed(registers + 1)]);
    heights.push(padded_height(cells.dynamic));
    heights.extend([fixed(registers + 3), fixed(registers + 4)]);
    debug_assert_eq!(heights.len(), stark.tables.len());
    heights
}

/// Executions of each opcode (indexed by `Opcode as usize`), counted per ROM slot first.
fn executions_per_opcode(program: &Program, record: &ExecutionRecord) -> Vec<usize> {
    let (base, slots) = program.code_range();
    let mut per_slot = vec![0usize; slots];
    for step in &record.steps {
        per_slot[((u64::from(step.pc) - base) / 4) as usize] += 1;
    }
    let mut per_opcode = vec![0; Opcode::COUNT];
    for (slot, &n) in per_slot.iter().enumerate() {
        if n > 0 {
            let inst = program
                .instruction_at(base + 4 * slot as u64)
                .expect("executed instructions are in the ROM");
            per_opcode[inst.opcode as usize] += n;
        }
    }
    per_opcode
}

/// The memory the machine's tables see: buffer rows and the doublewords outside the image.
struct MemoryCells {
    /// Rows of the buffer table: the doubleword pieces of every system call buffer.
    buffer_pieces: usize,
    /// Rows of the dynamic memory table: distinct doublewords outside the image that loads,
    /// stores, those buffers and POSEIDON2 states touch, plus the input header's two.
    dynamic: usize,
}

impl MemoryCells {
    fn of(program: &Program, record: &ExecutionRecord) -> Self {
        let image_end = PROGRAM_START / 8 + image_len(program) as u64;
        let mut touched = DwordSet::new();
        let mut dynamic = 0;
        let mut touch = |dword: u64| {
            if dword >= image_end && touched.insert(dword) {
                dynamic += 1;
            }
        };
        touch(INPUT_START / 8);
        touch(INPUT_START / 8 + 1);
        for event in &record.memory {
            let step = &record.steps[event.clk as usize];
            let is_ecall = program
                .instruction_at(u64::from(step.pc))
                .is_some_and(|inst| inst.opcode == Opcode::Ecall);
            if !is_ecall {
                let first = u64::from(event.addr);
                (first / 8..=(first + u64::from(event.width) - 1) / 8).for_each(&mut touch);
            }
        }
        let mut pieces = 0;
        for call in &record.syscalls {
            if let Some((addr, len)) = syscall_buffer(call.number, call.args) {
                for (piece, _) in buffer_pieces(addr, len) {
                    pieces += 1;
                    touch(u64::from(piece) / 8);
                }
            }
        }
        for call in &record.poseidon2 {
            let first = u64::from(call.addr) / 8;
            (first..first + POSEIDON2_WORDS as u64 / 2).for_each(&mut touch);
        }
        Self {
            buffer_pieces: pieces,
            dynamic,
        }
    }
}

/// A set of doubleword indices below `MEMORY_END / 8`: one bit each, allocated zeroed (the
/// operating system maps only the pages a run touches).
struct DwordSet {
    bits: Vec<u64>,
}

impl DwordSet {
    fn new() -> Self {
        Self {
            bits: vec![0; (MEMORY_END / 8).div_ceil(64) as usize],
        }
    }

    /// Adds `dword`; whether it was new.
    fn insert(&mut self, dword: u64) -> bool {
        let (word, bit) = ((dword / 64) as usize, 1u64 << (dword % 64));
        let new = self.bits[word] & bit == 0;
        self.bits[word] |= bit;
        new
    }
}
