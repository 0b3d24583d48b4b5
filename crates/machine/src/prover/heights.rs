//! Every table's rows and height for a run, computed before any trace is generated: from the
//! execution record (to refuse a run too large for one proof) or from the executor's profile
//! (to show what each function and step-marker phase costs, [`super::cost`]).
//!
//! Trace generation of a run too large for one proof (a guest committing 64 MiB, a long loop)
//! takes seconds and gigabytes before the heights are known; the record tells them in one cheap
//! pass, so a prover can refuse the run at once. [`RowRules`] is the one statement of the rules
//! trace generation itself uses, which both the record and the profile go through: a
//! preprocessed table has its key's fixed height, an instruction, memory or `ecall` table one
//! row per event, the buffer table one per doubleword piece of a system call buffer, the
//! `poseidon2` and `ext_combine` tables one per call, `ext_combine_rows` one per doubleword of
//! the call's values, the dynamic memory table one per touched doubleword outside
//! the image plus the input header's two; every table is then padded ([`event_table_height`])
//! and, in a large proof, lifted ([`lifted_heights`]).
//! Tests compare these heights with the generated traces for every program they prove, so the
//! two cannot drift apart.

use std::ops::Range;
use std::sync::Arc;

use droste_executor::{DwordSet, ExecutionRecord, Program, RowLimits};
use droste_isa::abi::{syscall, INPUT_START, PROGRAM_START};
use droste_isa::Opcode;

use crate::chips::ext_combine::BLOCK_DWORDS;
use crate::chips::poseidon2::WIDTH as POSEIDON2_WORDS;
use crate::overflow::split_rows;
use crate::paged_memory::{CHUNKS, PAGE_DWORDS, PAGE_SHIFT};
use crate::prover::witness::{image_len, syscall_buffer};
use crate::prover::ProvingKey;
use crate::trace::{event_table_height, lifted_heights};

/// Where the rows of a run's events go, for one program: indices are tables in proving order.
pub struct RowRules {
    /// The table of each opcode's rows (`Opcode as usize`); `None` for `ebreak`, which no run
    /// completes.
    table_of: Vec<Option<usize>>,
    buffer: usize,
    poseidon2: usize,
    ext_combine: usize,
    dynamic: usize,
    /// The fixed height of each preprocessed table, `None` for the others.
    fixed: Vec<Option<usize>>,
    /// The first doubleword after the image table's: touched doublewords from here on are rows
    /// of the dynamic table.
    image_end: u64,
    /// Each table with an overflow twin and its twin ([`crate::overflow`]).
    twins: Vec<(usize, usize)>,
    /// The most rows a table may have under the key's blowup.
    max_height: usize,
    /// Whether each table pads with zero rows, so that a large proof lifts it
    /// ([`crate::trace::lifted_heights`]).
    liftable: Vec<bool>,
}

impl RowRules {
    /// The rules for `pk`'s program.
    pub fn new(pk: &ProvingKey) -> Self {
        let chips = pk.tables.chips.len();
        let (load, store, ecall) = (1 + chips, 2 + chips, 3 + chips);
        let table_of = pk
            .tables
            .chip_of()
            .into_iter()
            .zip(Opcode::ALL)
            .map(|(chip, op)| match chip {
                Some(chip) => Some(1 + chip),
                None if op.load_op().is_some() => Some(load),
                None if op.store_width().is_some() => Some(store),
                None if op == Opcode::Ecall => Some(ecall),
                None => None,
            })
            .collect();
        let fixed = pk
            .vk
            .stark
            .tables
            .iter()
            .map(|table| table.preprocessed_log_height.map(|log| 1 << log))
            .collect();
        let names: Vec<&str> = pk.tables.all().iter().map(|t| t.name()).collect();
        let rules = Self {
            table_of,
            buffer: ecall + 1,
            poseidon2: ecall + 2,
            ext_combine: ecall + 3,
            dynamic: ecall + 7,
            fixed,
            image_end: PROGRAM_START / 8 + image_len(&pk.program) as u64,
            twins: pk.tables.twinned().collect(),
            max_height: pk.max_table_height(),
            liftable: pk.tables.all().iter().map(|t| t.may_be_empty()).collect(),
        };
        debug_assert_eq!(
            [
                names[load],
                names[rules.buffer],
                names[rules.poseidon2],
                names[rules.ext_combine],
                names[rules.ext_combine + 1],
            ],
            [
                "load",
                "buffer",
                "poseidon2",
                "ext_combine",
                "ext_combine_rows"
            ]
        );
        debug_assert_eq!(names[rules.dynamic], "dynamic_memory");
        rules
    }

    /// Number of tables.
    pub fn tables(&self) -> usize {
        self.fixed.len()
    }

    /// The rows of a run before its first instruction, and the doublewords they hold: every
    /// preprocessed table's fixed height and the dynamic table's rows of the input header (two
    /// doublewords, present even when the guest reads neither).
    pub fn run_rows(&self) -> (Vec<usize>, DwordSet) {
        let mut rows: Vec<usize> = self.fixed.iter().map(|h| h.unwrap_or(0)).collect();
        let mut touched = DwordSet::new();
        for dword in [INPUT_START / 8, INPUT_START / 8 + 1] {
            self.add_dword(&mut rows, &mut touched, dword);
        }
        (rows, touched)
    }

    /// `count` executions of `opcode`: rows of its chip (or the load, store, `ecall` table).
    pub fn add_instructions(&self, rows: &mut [usize], opcode: Opcode, count: usize) {
        if let Some(table) = self.table_of[opcode as usize] {
            rows[table] += count;
        }
    }

    /// The table rows of a system call besides its `ecall` row: one buffer row per doubleword
    /// piece of its buffer, one `poseidon2` row per POSEIDON2(_FROM) call, one `ext_combine` row per
    /// EXT_COMBINE call and one `ext_combine_rows` row per doubleword of its values. Returns the
    /// memory it touches ([`syscall_dwords`]).
    pub fn add_syscall(&self, rows: &mut [usize], number: u64, args: [u64; 3]) -> [Range<u64>; 2] {
        let dwords = syscall_dwords(number, args);
        match number {
            syscall::POSEIDON2 | syscall::POSEIDON2_FROM => rows[self.poseidon2] += 1,
            syscall::EXT_COMBINE => {
                rows[self.ext_combine] += 1;
                rows[self.ext_combine + 1] += (args[1] / 2) as usize;
            }
            // The buffer's doublewords (none for a call without one).
            _ => rows[self.buffer] += range_len(&dwords[0]),
        }
        dwords
    }

    /// A touched doubleword: a row of the dynamic table the first time, outside the image.
    pub fn add_dword(&self, rows: &mut [usize], touched: &mut DwordSet, dword: u64) {
        if dword >= self.image_end && touched.insert(dword) {
            rows[self.dynamic] += 1;
        }
    }

    /// Whether `table` is preprocessed: its height is fixed by the key, whatever the run.
    pub fn is_fixed(&self, table: usize) -> bool {
        self.fixed[table].is_some()
    }

    /// Shares the rows counted for each table with an overflow twin between the two, as trace
    /// generation does ([`split_rows`]).
    pub fn split(&self, rows: &mut [usize]) {
        for &(table, twin) in &self.twins {
            (rows[table], rows[twin]) = split_rows(rows[table] + rows[twin], self.max_height);
        }
    }

    /// The height of each table with `rows` real rows (after [`Self::split`]): padded to a power
    /// of two, 0 for an event table without events (left out of the proof), then lifted as trace
    /// generation lifts them ([`crate::trace::lifted_heights`]). A fixed table's rows are its
    /// height.
    pub fn heights(&self, rows: &[usize]) -> Vec<usize> {
        let padded: Vec<usize> = rows.iter().map(|&rows| event_table_height(rows)).collect();
        lifted_heights(&padded, |table| self.liftable[table])
    }
}

/// The limits that cut `pk`'s continuation shards where a table of their proofs would exceed
/// `max_rows` rows (the executor counts, `droste_executor::RowLimits`), by the same rules as
/// trace generation. A shard proof's tables are the whole run's with paged memory instead of the
/// `image` and `dynamic_memory` tables: its instruction and system call tables have the rows
/// counted here; its `pages` table [`CHUNKS`] rows per page it holds, which the executor counts;
/// `merkle` (at most two nodes per level per page, 38) and `siblings` (19) fewer; the
/// preprocessed tables their fixed heights, within any limit the key allows.
pub fn shard_row_limits(pk: &ProvingKey, max_rows: usize) -> RowLimits {
    row_limits(pk, max_rows, CHUNKS)
}

/// The limits within which a whole run of `pk`'s program fits one proof with at most `max_rows`
/// rows per table: a run is within them when its first shard under them is the whole run. The
/// whole-run proof keeps memory in the `dynamic_memory` table, a row per doubleword touched
/// outside the image; counting every page the run touches as all of its [`PAGE_DWORDS`]
/// doublewords bounds that table from above (the register page the executor counts as held
/// covers the input header's two rows). The bound is conservative only for a run that touches
/// over `max_rows` doublewords' worth of pages sparsely; such a run is proven in shards.
pub fn whole_run_row_limits(pk: &ProvingKey, max_rows: usize) -> RowLimits {
    row_limits(pk, max_rows, PAGE_DWORDS)
}

/// A table with an overflow twin holds twice `max_rows` when that is the most one table may have
/// (the rows past it go to the twin); under a smaller limit it holds the limit, since trace
/// generation splits rows by the key's maximum, not by a caller's limit.
fn row_limits(pk: &ProvingKey, max_rows: usize, rows_per_page: usize) -> RowLimits {
    let rules = Arc::new(RowRules::new(pk));
    let syscall_rules = Arc::clone(&rules);
    let mut capacity = vec![max_rows; rules.tables()];
    if max_rows == rules.max_height {
        for &(table, _) in &rules.twins {
            capacity[table] = 2 * max_rows;
        }
    }
    RowLimits {
        max_rows,
        capacity,
        opcode_table: rules.table_of.clone(),
        rows_per_page,
        syscall_rows: Arc::new(move |number, args, rows: &mut [usize]| {
            let [first, second] = syscall_rules
                .add_syscall(rows, number, args)
                .map(|dwords| page_span(&dwords));
            let shared = first.start.max(second.start)..first.end.min(second.end);
            range_len(&first) + range_len(&second) - range_len(&shared)
        }),
    }
}

/// The doublewords a system call's buffer, a POSEIDON2 state (and POSEIDON2_FROM's source)
/// or EXT_COMBINE's values and block cover: two ranges (empty where the call has fewer). Saturating: the arguments are the
/// guest's, counted before the executor checks the addresses (a range past the address space
/// only makes the call too large for a shard).
fn syscall_dwords(number: u64, args: [u64; 3]) -> [Range<u64>; 2] {
    if let Some((addr, len)) = syscall_buffer(number, args) {
        let (addr, len) = (u64::from(addr), u64::from(len));
        let end = match len {
            0 => addr / 8,
            _ => (addr + len - 1) / 8 + 1,
        };
        return [addr / 8..end, 0..0];
    }
    if matches!(number, syscall::POSEIDON2 | syscall::POSEIDON2_FROM) {
        let first = args[0] / 8;
        let state = first..first.saturating_add(POSEIDON2_WORDS as u64 / 2);
        if number == syscall::POSEIDON2 {
            return [state, 0..0];
        }
        let source = args[2] / 8;
        return [
            state,
            source..source.saturating_add(POSEIDON2_WORDS as u64 / 4),
        ];
    }
    if number == syscall::EXT_COMBINE {
        let (values, block) = (args[0] / 8, args[2] / 8);
        return [
            values..values.saturating_add(args[1] / 2),
            block..block.saturating_add(BLOCK_DWORDS as u64),
        ];
    }
    [0..0, 0..0]
}

/// The number of values in `range` (0 when it is empty or reversed).
fn range_len(range: &Range<u64>) -> usize {
    usize::try_from(range.end.saturating_sub(range.start)).expect("ranges are of the address space")
}

/// The pages `dwords` spans (empty for no doublewords).
fn page_span(dwords: &Range<u64>) -> Range<u64> {
    if dwords.is_empty() {
        return 0..0;
    }
    let page = |dword: u64| dword >> (PAGE_SHIFT - 3);
    page(dwords.start)..page(dwords.end - 1) + 1
}

/// Rows of each table (in proving order, before padding) that trace generation will produce
/// for `record`, a run of `pk`'s program.
pub fn table_rows(pk: &ProvingKey, record: &ExecutionRecord) -> Vec<usize> {
    let rules = RowRules::new(pk);
    let program = &pk.program;
    let (mut rows, mut touched) = rules.run_rows();
    for (op, count) in executions_per_opcode(program, record) {
        rules.add_instructions(&mut rows, op, count);
    }
    for event in &record.memory {
        let step = &record.steps[event.clk as usize];
        let is_ecall = program
            .instruction_at(u64::from(step.pc))
            .is_some_and(|inst| inst.opcode == Opcode::Ecall);
        if !is_ecall {
            let first = u64::from(event.addr);
            for dword in first / 8..=(first + u64::from(event.width) - 1) / 8 {
                rules.add_dword(&mut rows, &mut touched, dword);
            }
        }
    }
    for call in &record.syscalls {
        for dword in rules
            .add_syscall(&mut rows, call.number, call.args)
            .into_iter()
            .flatten()
        {
            rules.add_dword(&mut rows, &mut touched, dword);
        }
    }
    rules.split(&mut rows);
    rows
}

/// Rows of each table (in proving order) that trace generation will produce for `record`, a
/// run of `pk`'s program.
pub fn table_heights(pk: &ProvingKey, record: &ExecutionRecord) -> Vec<usize> {
    RowRules::new(pk).heights(&table_rows(pk, record))
}

/// Executions of each executed opcode, counted per ROM slot first.
fn executions_per_opcode(program: &Program, record: &ExecutionRecord) -> Vec<(Opcode, usize)> {
    let (base, slots) = program.code_range();
    let mut per_slot = vec![0usize; slots];
    for step in &record.steps {
        per_slot[((u64::from(step.pc) - base) / 4) as usize] += 1;
    }
    per_slot
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(slot, &n)| {
            let inst = program
                .instruction_at(base + 4 * slot as u64)
                .expect("executed instructions are in the ROM");
            (inst.opcode, n)
        })
        .collect()
}
