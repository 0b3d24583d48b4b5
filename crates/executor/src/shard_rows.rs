//! Cutting shards by the size of their proofs, not only by cycles.
//!
//! One proof holds at most so many rows per table (2^22 at the default preset; a table the prover
//! spreads over an overflow twin twice that, [`RowLimits::capacity`]), and how many rows
//! a cycle costs depends on the program: sha256 puts about 0.37 rows per cycle into the `bitwise`
//! table, a memory-bound loop a row per cycle into `load`, a guest hashing with the POSEIDON2
//! precompile rows into `poseidon2`. A shard size in cycles that fits one program overflows
//! another, and one that fits every program wastes most of a proof on the others. So a shard
//! also ends *before the instruction that would give one of its tables more rows than one proof
//! holds*: the prover, which knows the tables, says where each instruction's and each system
//! call's rows go ([`RowLimits`]); the executor counts them as it runs, in the same pass that
//! tracks the shard's pages, and stops there. The largest shard that fits is then found in one
//! execution, whatever the program, and no shard is refused after its traces are built.
//!
//! Where a shard ends does not matter to soundness (any cut gives shards that chain, see
//! `docs/continuations.md`), only to cost; a snapshot names its shard's length, so a worker that
//! replays it needs no limits.

use std::fmt;
use std::sync::Arc;

use droste_isa::Opcode;

use crate::ExecError;

/// The rows a system call adds besides its `ecall` row, from its number and arguments `a0..a2`
/// (added to the counts it is given, indexed like [`RowLimits::opcode_table`]'s tables), and
/// the most pages its memory can span.
pub type SyscallRows = dyn Fn(u64, [u64; 3], &mut [usize]) -> usize + Send + Sync;

/// What a shard's tables may hold, as the prover counts them.
#[derive(Clone)]
pub struct RowLimits {
    /// Most rows of any table of a shard proof (the page table's limit, and the one errors name).
    pub max_rows: usize,
    /// Most rows each counted table may take (the indices `opcode_table` and `syscall_rows`
    /// use): `max_rows`, or more for a table whose rows the prover spreads over several tables
    /// of the proof (an overflow twin doubles it).
    pub capacity: Vec<usize>,
    /// The table one execution of each opcode adds a row to (`Opcode as usize`), if any.
    pub opcode_table: Vec<Option<usize>>,
    /// Rows of the page table per page the shard holds (it holds the register page and every
    /// page it touches).
    pub rows_per_page: usize,
    /// Rows and pages of a system call.
    pub syscall_rows: Arc<SyscallRows>,
}

impl fmt::Debug for RowLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowLimits")
            .field("max_rows", &self.max_rows)
            .field("capacity", &self.capacity)
            .field("rows_per_page", &self.rows_per_page)
            .finish_non_exhaustive()
    }
}

/// Pages one load or store can touch (an access that straddles a page boundary).
const ACCESS_PAGES: usize = 2;

/// Pages every shard holds besides those it touches: the register page.
const HELD_PAGES: usize = 1;

/// A shard's rows so far, against its limits.
#[derive(Clone, Debug)]
pub(crate) struct RowCounter {
    limits: RowLimits,
    rows: Vec<usize>,
    scratch: Vec<usize>,
    /// Instructions admitted since the shard began.
    admitted: u64,
}

/// Why the next instruction was not admitted.
pub(crate) enum Refusal {
    /// The shard is full: it ends before this instruction.
    Full,
    /// The instruction alone (a system call) needs more rows than an empty shard has: `rows`
    /// of one table.
    TooLarge { rows: usize },
}

impl RowCounter {
    /// A counter for shards under `limits`, which must leave room for any one instruction
    /// besides a system call (the register page and the two pages one access can touch).
    pub(crate) fn new(limits: RowLimits) -> Result<Self, ExecError> {
        let least = ((HELD_PAGES + ACCESS_PAGES) * limits.rows_per_page).max(1);
        if limits.max_rows < least {
            return Err(ExecError::ShardRowsTooFew {
                max_rows: limits.max_rows,
                least,
            });
        }
        let tables = limits.capacity.len();
        Ok(Self {
            limits,
            rows: vec![0; tables],
            scratch: vec![0; tables],
            admitted: 0,
        })
    }

    /// Most rows of any table.
    pub(crate) fn max_rows(&self) -> usize {
        self.limits.max_rows
    }

    /// Starts a new shard.
    pub(crate) fn reset(&mut self) {
        self.rows.fill(0);
        self.admitted = 0;
    }

    /// Counts the next instruction, `opcode` with `args` (`a7, a0, a1, a2`, read for a system
    /// call), in a shard that has touched `touched_pages` pages so far, if its rows fit.
    #[inline(always)]
    pub(crate) fn admit(
        &mut self,
        opcode: Opcode,
        args: impl FnOnce() -> (u64, [u64; 3]),
        touched_pages: usize,
    ) -> Result<(), Refusal> {
        let max = self.limits.max_rows;
        let page_rows =
            |new_pages| (HELD_PAGES + touched_pages + new_pages) * self.limits.rows_per_page;
        let table = self.limits.opcode_table[opcode as usize];
        if opcode != Opcode::Ecall {
            let capacity = &self.limits.capacity;
            if page_rows(ACCESS_PAGES) > max || table.is_some_and(|t| self.rows[t] >= capacity[t]) {
                return Err(Refusal::Full);
            }
            if let Some(table) = table {
                self.rows[table] += 1;
            }
        } else {
            let (number, args) = args();
            self.scratch.copy_from_slice(&self.rows);
            let new_pages = (self.limits.syscall_rows)(number, args, &mut self.scratch);
            if let Some(table) = table {
                self.scratch[table] += 1;
            }
            let over = self
                .scratch
                .iter()
                .zip(&self.limits.capacity)
                .filter(|(rows, capacity)| rows > capacity)
                .map(|(&rows, _)| rows)
                .chain(Some(page_rows(new_pages)).filter(|&rows| rows > max))
                .max();
            if let Some(rows) = over {
                return Err(match self.admitted {
                    0 => Refusal::TooLarge { rows },
                    _ => Refusal::Full,
                });
            }
            std::mem::swap(&mut self.rows, &mut self.scratch);
        }
        self.admitted += 1;
        Ok(())
    }
}
