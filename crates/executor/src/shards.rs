//! Continuation shards: one run cut into pieces of at most `S` cycles, each of which can be run
//! again (and proven) from its own [`ShardStart`] alone.
//!
//! [`Shards`] streams a run shard by shard, so a run of 10^9 cycles never holds more than one
//! shard's record. Each [`Shard`] carries its boundary states, the pages it touched with their
//! contents before and after it, its system call output, and (when recording) its record.
//! [`run_shard`] re-executes a shard from its snapshot and gives back the same [`Shard`]; a
//! snapshot that lacks a page the shard touches ends that run with
//! [`ExecError::PageNotInSnapshot`]. The memory commitment over these pages is
//! [`crate::memory_root`]; `docs/continuations.md` describes the whole argument.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::machine::{Exit, Machine};
use crate::memory::Memory;
use crate::paging::{register_page, Page, REGISTER_PAGE};
use crate::program::Program;
use crate::record::ExecutionRecord;
use crate::shard_rows::{RowCounter, RowLimits};
use crate::{ExecError, ExecOptions, Input, DEFAULT_MAX_CYCLES};

/// Where the host-side streams stand at a shard boundary: what a shard needs to serve its system
/// calls exactly as the whole run did.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize,
)]
pub struct IoCursor {
    /// Input stream items read so far (the next INPUT_READ reads this one).
    pub next_input_item: u64,
    /// Bytes of public output committed so far.
    pub public_output_len: u64,
    /// 32-bit words of the RANDOM ChaCha20 stream consumed so far (0 without entropy).
    pub random_words: u128,
}

/// Everything a shard starts from, apart from the program and the input stream: what a shard
/// job receives. The pages are those the shard touches, with their contents at its start.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct ShardStart {
    /// Position of the shard in the run (0 for the first).
    pub index: u64,
    /// Cycles executed before the shard: the clock of its first instruction.
    pub cycle: u64,
    pub pc: u64,
    pub registers: [u64; 32],
    pub io: IoCursor,
    /// Length of the private input payload (the input region's mapping depends on it).
    pub input_len: u64,
    /// The memory pages the shard touches, sorted by index, as they are when it starts.
    pub pages: Vec<Page>,
}

/// The state a shard ends in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardEnd {
    /// Cycles executed by the end of the shard.
    pub cycle: u64,
    pub pc: u64,
    pub registers: [u64; 32],
    pub io: IoCursor,
    /// How the guest ended, for the last shard; `None` for the others.
    pub exit: Option<Exit>,
}

/// One shard of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shard {
    pub start: ShardStart,
    pub end: ShardEnd,
    /// The pages of `start.pages`, in the same order, as the shard leaves them.
    pub pages_after: Vec<Page>,
    /// Bytes the shard committed (the run's public output from `start.io.public_output_len`).
    pub public_output: Vec<u8>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Step markers of the shard, as in [`crate::Execution::markers`] (absolute clocks).
    pub markers: Vec<(u64, i64)>,
    /// The shard's record, when recording. Its `steps[i]` has clock `start.cycle + i`; memory
    /// and system call events carry absolute clocks.
    pub record: Option<ExecutionRecord>,
}

impl Shard {
    /// Instructions the shard executed.
    pub fn cycles(&self) -> u64 {
        self.end.cycle - self.start.cycle
    }

    /// The pages the memory argument reads at the shard's start: the register page, then the
    /// touched memory pages.
    pub fn paged_in(&self) -> Vec<Page> {
        with_registers(&self.start.registers, &self.start.pages)
    }

    /// The same pages at the shard's end.
    pub fn paged_out(&self) -> Vec<Page> {
        with_registers(&self.end.registers, &self.pages_after)
    }
}

fn with_registers(registers: &[u64; 32], pages: &[Page]) -> Vec<Page> {
    let registers = Page {
        index: REGISTER_PAGE,
        bytes: register_page(registers),
    };
    std::iter::once(registers)
        .chain(pages.iter().cloned())
        .collect()
}

/// How to cut a run into shards.
#[derive(Clone, Debug)]
pub struct ShardOptions {
    /// Most cycles per shard (at least 1).
    pub shard_cycles: u64,
    /// Most cycles of the whole run, as [`ExecOptions::max_cycles`].
    pub max_cycles: u64,
    /// Keep each shard's [`ExecutionRecord`].
    pub record: bool,
    /// Also end a shard before an instruction that would give one of its proof's tables more
    /// rows than this allows (`crate::shard_rows`); `None` cuts by cycles alone.
    pub row_limits: Option<RowLimits>,
}

/// Default most cycles per shard: 2^24, all one proof covers. With [`ShardOptions::row_limits`]
/// a shard ends earlier where one of its tables fills, so each shard is as large as one proof
/// holds (sha256 at the default preset runs to 2^24 cycles: its `bitwise` rows fit the table and
/// its overflow twin).
/// Aggregation costs the same per shard whatever its size, so the largest shards are the
/// cheapest per cycle (BENCHMARKS.md, Continuations).
pub const DEFAULT_SHARD_CYCLES: u64 = 1 << 24;

impl Default for ShardOptions {
    fn default() -> Self {
        ShardOptions {
            shard_cycles: DEFAULT_SHARD_CYCLES,
            max_cycles: DEFAULT_MAX_CYCLES,
            record: false,
            row_limits: None,
        }
    }
}

impl ShardOptions {
    fn exec_options(&self) -> Result<ExecOptions, ExecError> {
        if self.shard_cycles == 0 {
            return Err(ExecError::EmptyShards);
        }
        Ok(ExecOptions {
            max_cycles: self.max_cycles,
            record: self.record,
            profile: false,
        })
    }
}

/// A run of a program, yielded shard by shard. After the shard that ends the guest, or an error,
/// it yields nothing more.
pub struct Shards<'a> {
    machine: Machine<'a>,
    shard_cycles: u64,
    index: u64,
    public_output_len: u64,
    finished: bool,
}

impl<'a> Shards<'a> {
    /// Prepares the run of `program` on `input`; nothing executes until the first `next`.
    pub fn new(
        program: &'a Program,
        input: &'a Input,
        opts: &ShardOptions,
    ) -> Result<Self, ExecError> {
        let mut machine = Machine::new(program, input, &opts.exec_options()?)?;
        machine.memory.track_pages();
        if let Some(limits) = &opts.row_limits {
            machine.shard_rows = Some(Box::new(RowCounter::new(limits.clone())?));
        }
        Ok(Shards {
            machine,
            shard_cycles: opts.shard_cycles,
            index: 0,
            public_output_len: 0,
            finished: false,
        })
    }

    /// The machine between shards (its state is the last yielded shard's end).
    pub fn machine(&self) -> &Machine<'a> {
        &self.machine
    }
}

impl Iterator for Shards<'_> {
    type Item = Result<Shard, ExecError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let start = boundary(&self.machine, self.index, self.public_output_len);
        let shard = run_from(&mut self.machine, start, self.shard_cycles);
        self.index += 1;
        match &shard {
            Ok(shard) => {
                self.public_output_len = shard.end.io.public_output_len;
                self.finished = shard.end.exit.is_some();
            }
            Err(_) => self.finished = true,
        }
        Some(shard)
    }
}

/// Runs one shard from its snapshot alone (for `opts.shard_cycles`, the shard's length; its row
/// limits are not used), with the stream items and entropy of `input` (its
/// private input is not read: the snapshot's pages are the memory). Gives back the shard the
/// whole run produced, provided the snapshot is that shard's.
pub fn run_shard(
    program: &Program,
    start: &ShardStart,
    input: &Input,
    opts: &ShardOptions,
) -> Result<Shard, ExecError> {
    let mut machine = Machine::from_shard_start(program, start, input, &opts.exec_options()?)?;
    let start = ShardStart {
        pages: Vec::new(),
        ..start.clone()
    };
    run_from(&mut machine, start, opts.shard_cycles)
}

/// The state of `machine` as the start of shard `index` (pages still to be filled in).
fn boundary(machine: &Machine, index: u64, public_output_len: u64) -> ShardStart {
    ShardStart {
        index,
        cycle: machine.cycles,
        pc: machine.pc,
        registers: machine.regs,
        io: io_cursor(machine, public_output_len),
        input_len: machine.memory.input_len(),
        pages: Vec::new(),
    }
}

fn io_cursor(machine: &Machine, public_output_len: u64) -> IoCursor {
    IoCursor {
        next_input_item: machine.io.next_item as u64,
        public_output_len,
        random_words: machine.io.rng.as_ref().map_or(0, |r| r.get_word_pos()),
    }
}

/// Runs the shard that starts at `start` (the machine's current state) for at most
/// `shard_cycles` cycles, and takes its pages, output and record from the machine.
fn run_from(
    machine: &mut Machine,
    mut start: ShardStart,
    shard_cycles: u64,
) -> Result<Shard, ExecError> {
    if let Some(counter) = machine.shard_rows.as_mut() {
        counter.reset();
    }
    machine.run_for(shard_cycles)?;
    start.pages = machine.memory.take_touched_pages();
    let pages_after = start
        .pages
        .iter()
        .map(|p| Page {
            index: p.index,
            bytes: machine.memory.page(p.index),
        })
        .collect();
    let public_output = std::mem::take(&mut machine.io.public_output);
    let public_output_len = start.io.public_output_len + public_output.len() as u64;
    let next_record = ExecutionRecord::reserved(machine.regs, shard_cycles);
    let record = machine
        .record
        .as_mut()
        .map(|record| std::mem::replace(record, next_record));
    Ok(Shard {
        end: ShardEnd {
            cycle: machine.cycles,
            pc: machine.pc,
            registers: machine.regs,
            io: io_cursor(machine, public_output_len),
            exit: machine.exit.clone(),
        },
        start,
        pages_after,
        public_output,
        stdout: std::mem::take(&mut machine.io.stdout),
        stderr: std::mem::take(&mut machine.io.stderr),
        markers: std::mem::take(&mut machine.markers),
        record,
    })
}

impl<'a> Machine<'a> {
    /// A machine at the start of a shard: its pc, registers, clock and stream positions, with
    /// only the snapshot's pages in memory. Touching another page is
    /// [`ExecError::PageNotInSnapshot`].
    pub fn from_shard_start(
        program: &'a Program,
        start: &ShardStart,
        input: &'a Input,
        opts: &ExecOptions,
    ) -> Result<Self, ExecError> {
        let bad = |reason: &str| Err(ExecError::BadSnapshot(reason.to_string()));
        if start.registers[0] != 0 {
            return bad("register x0 is not zero");
        }
        if start.io.next_input_item > input.stream.len() as u64 {
            return bad("it has read more input stream items than the input holds");
        }
        if start.io.random_words != 0 && input.entropy.is_none() {
            return bad("it has consumed random words but the input has no entropy");
        }
        let memory = Memory::from_pages(start.input_len, &start.pages)?;
        let mut machine = Machine::with_state(program, input, opts, memory, start.registers);
        machine.pc = start.pc;
        machine.cycles = start.cycle;
        machine.io.next_item = start.io.next_input_item as usize;
        machine.io.rng = input.entropy.map(|seed| {
            let mut rng = ChaCha20Rng::from_seed(seed);
            rng.set_word_pos(start.io.random_words);
            rng
        });
        Ok(machine)
    }
}
