//! The interpreter: machine state and the instruction loop.
//!
//! The loop is one function, monomorphized over whether it records and whether it profiles, so
//! plain execution pays nothing for either. Instructions come from the program's predecoded
//! table; registers live in an array whose x0 entry is re-zeroed after every instruction (cheaper
//! than testing `rd != 0` on every write).

use droste_isa::alu::{alu, branch_taken, extend_load};
use droste_isa::{abi, AluOp, BranchOp, LoadOp, MemWidth, Opcode};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::error::ExecError;
use crate::memory::Memory;
use crate::profile::Collector;
use crate::program::Program;
use crate::record::{try_push, ExecutionRecord, MemoryEvent, StepEvent};
use crate::shard_rows::{Refusal, RowCounter};
use crate::syscalls::{A0, A1, A2, A7};
use crate::{ExecOptions, Input};

/// How a guest ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exit {
    /// `a0` of the HALT call, or [`abi::PANIC_EXIT_CODE`] after a PANIC call.
    pub code: u32,
    /// The message of a PANIC call (invalid UTF-8 replaced by U+FFFD).
    pub panic_message: Option<String>,
}

/// Host-side state of the system calls.
#[derive(Debug)]
pub(crate) struct Io<'a> {
    pub stream: &'a [Vec<u8>],
    pub next_item: usize,
    pub rng: Option<ChaCha20Rng>,
    pub public_output: Vec<u8>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// A running guest. [`crate::execute`] drives one to completion; tests and tools use it directly
/// to step, stop at an address, and inspect registers and memory.
#[derive(Debug)]
pub struct Machine<'a> {
    pub(crate) program: &'a Program,
    pub(crate) regs: [u64; 32],
    pub(crate) pc: u64,
    pub(crate) cycles: u64,
    pub(crate) max_cycles: u64,
    pub(crate) memory: Memory,
    pub(crate) io: Io<'a>,
    pub(crate) markers: Vec<(u64, i64)>,
    pub(crate) record: Option<ExecutionRecord>,
    /// What the profiler collects (when profiling).
    pub(crate) profile: Option<Collector>,
    /// The current shard's table rows, when shards are cut by size ([`crate::RowLimits`]).
    pub(crate) shard_rows: Option<Box<RowCounter>>,
    pub(crate) exit: Option<Exit>,
}

/// The registers at a program's entry: `sp` = [`abi::STACK_TOP`], every other register 0.
pub(crate) fn initial_registers() -> [u64; 32] {
    let mut regs = [0u64; 32];
    regs[2] = abi::STACK_TOP;
    regs
}

/// Refuses a private input longer than [`abi::INPUT_MAX_LEN`].
pub(crate) fn check_private_input(private_input: &[u8]) -> Result<(), ExecError> {
    let len = private_input.len() as u64;
    if len > abi::INPUT_MAX_LEN {
        return Err(ExecError::PrivateInputTooLarge {
            len,
            max: abi::INPUT_MAX_LEN,
        });
    }
    Ok(())
}

/// A pc no instruction can have (instruction addresses are even), so "stop at this pc" never
/// triggers.
const NO_STOP: u64 = u64::MAX;

impl<'a> Machine<'a> {
    /// A machine at the program's entry, with `sp` = [`abi::STACK_TOP`], every other register 0,
    /// the program's segments loaded and the private input mapped.
    pub fn new(
        program: &'a Program,
        input: &'a Input,
        opts: &ExecOptions,
    ) -> Result<Self, ExecError> {
        check_private_input(&input.private_input)?;
        let memory = Memory::new(program, &input.private_input);
        Ok(Self::with_state(
            program,
            input,
            opts,
            memory,
            initial_registers(),
        ))
    }

    /// A machine at the program's entry with the given memory and registers, before any cycle.
    pub(crate) fn with_state(
        program: &'a Program,
        input: &'a Input,
        opts: &ExecOptions,
        memory: Memory,
        regs: [u64; 32],
    ) -> Self {
        let record = opts
            .record
            .then(|| ExecutionRecord::reserved(regs, opts.max_cycles));
        let profile = opts
            .profile
            .then(|| Collector::new(program.code.instructions.len()));
        Machine {
            program,
            regs,
            pc: program.entry(),
            cycles: 0,
            max_cycles: opts.max_cycles,
            memory,
            io: Io {
                stream: &input.stream,
                next_item: 0,
                rng: input.entropy.map(ChaCha20Rng::from_seed),
                public_output: Vec::new(),
                stdout: Vec::new(),
                stderr: Vec::new(),
            },
            markers: Vec::new(),
            record,
            profile,
            shard_rows: None,
            exit: None,
        }
    }

    /// The pc of the next instruction.
    pub fn pc(&self) -> u64 {
        self.pc
    }

    /// Instructions executed so far.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Register `index` (x0..x31; x0 reads 0). Panics if `index >= 32`, like slice indexing.
    pub fn reg(&self, index: usize) -> u64 {
        self.regs[index]
    }

    /// All 32 registers.
    pub fn registers(&self) -> &[u64; 32] {
        &self.regs
    }

    /// Sets register `index` (writes to x0 are ignored). Panics if `index >= 32`.
    pub fn set_reg(&mut self, index: usize, value: u64) {
        if index != 0 {
            self.regs[index] = value;
        }
    }

    /// Reads `len` bytes of guest memory at `addr` (the same rules as a guest load).
    pub fn read_memory(&self, addr: u64, len: u64) -> Result<Vec<u8>, ExecError> {
        let mut bytes = Vec::new();
        self.memory
            .copy_bytes(addr, len, &mut bytes)
            .map_err(|f| f.at(self.pc))?;
        Ok(bytes)
    }

    /// Writes guest memory at `addr` (the same rules as a guest store).
    pub fn write_memory(&mut self, addr: u64, bytes: &[u8]) -> Result<(), ExecError> {
        self.memory
            .write_bytes(addr, bytes)
            .map_err(|f| f.at(self.pc))
    }

    /// How the guest ended, once it has.
    pub fn exit(&self) -> Option<&Exit> {
        self.exit.as_ref()
    }

    /// Executes one instruction (nothing once the guest has ended).
    pub fn step(&mut self) -> Result<(), ExecError> {
        self.dispatch(NO_STOP, 1)
    }

    /// Runs until the guest ends.
    pub fn run(&mut self) -> Result<(), ExecError> {
        self.dispatch(NO_STOP, u64::MAX)
    }

    /// Runs at most `steps` instructions (fewer when the guest ends first): a long run in
    /// slices, with progress reported between them.
    pub fn run_for(&mut self, steps: u64) -> Result<(), ExecError> {
        self.dispatch(NO_STOP, steps)
    }

    /// Runs until the next instruction would be the one at `pc` (returns `true`), or the guest
    /// ends first (returns `false`). Returns at once if the machine is already at `pc`.
    pub fn run_until_pc(&mut self, pc: u64) -> Result<bool, ExecError> {
        self.dispatch(pc, u64::MAX)?;
        Ok(self.exit.is_none())
    }

    fn dispatch(&mut self, stop_pc: u64, step_limit: u64) -> Result<(), ExecError> {
        let (record, profile) = (self.record.is_some(), self.profile.is_some());
        match (record, profile, self.memory.tracks_pages()) {
            (false, false, false) => self.run_loop::<false, false, false>(stop_pc, step_limit),
            (true, false, false) => self.run_loop::<true, false, false>(stop_pc, step_limit),
            (false, true, false) => self.run_loop::<false, true, false>(stop_pc, step_limit),
            (true, true, false) => self.run_loop::<true, true, false>(stop_pc, step_limit),
            (false, false, true) => self.run_loop::<false, false, true>(stop_pc, step_limit),
            (true, false, true) => self.run_loop::<true, false, true>(stop_pc, step_limit),
            (false, true, true) => self.run_loop::<false, true, true>(stop_pc, step_limit),
            (true, true, true) => self.run_loop::<true, true, true>(stop_pc, step_limit),
        }
    }

    /// The interpreter loop. Stops before executing the instruction at `stop_pc`, after
    /// `step_limit` instructions, when the guest ends, or with an error. With `PAGES`, loads and
    /// stores record the pages they touch (for continuation shards).
    #[inline(never)]
    fn run_loop<const RECORD: bool, const PROFILE: bool, const PAGES: bool>(
        &mut self,
        stop_pc: u64,
        step_limit: u64,
    ) -> Result<(), ExecError> {
        if self.exit.is_some() {
            return Ok(());
        }
        let program = self.program;
        let code = &program.code.instructions[..];
        let base = program.code.base;
        let start = self.cycles;
        let stop_cycle = start.saturating_add(step_limit).min(self.max_cycles);
        let mut clk = start;
        let mut pc = self.pc;
        // The previous instruction's pc, for "jump to a non-executable address" errors.
        let mut from = pc;
        // The record and the profiler's counters live in locals while the loop runs (no Option
        // test or pointer chase per step); they go back into `self` when it stops.
        let mut record = match RECORD {
            true => self.record.take().unwrap_or_default(),
            false => ExecutionRecord::default(),
        };
        let mut profile = match PROFILE {
            true => self.profile.take().unwrap_or_default(),
            false => Collector::default(),
        };
        // The two counters every step increments, apart from the rest of the collector, whose
        // address its methods take (locals stay in registers).
        let mut slot_counts = std::mem::take(&mut profile.slot_counts);
        let mut shard_rows = match PAGES {
            true => self.shard_rows.take(),
            false => None,
        };
        let mut phase_opcodes = profile.opcodes;

        macro_rules! reg {
            ($index:expr) => {
                self.regs[($index & 31) as usize]
            };
        }
        macro_rules! fail {
            ($error:expr) => {
                break Err($error)
            };
        }
        macro_rules! record_memory {
            ($addr:expr, $width:expr, $write:expr, $value:expr, $prev:expr) => {
                if RECORD {
                    let event = MemoryEvent {
                        clk,
                        addr: $addr as u32,
                        width: $width as u8,
                        write: $write,
                        value: $value,
                        prev_value: $prev,
                    };
                    if try_push(&mut record.memory, event).is_err() {
                        fail!(ExecError::RecordTooLarge { pc, cycles: clk });
                    }
                }
            };
        }

        let result = loop {
            if pc == stop_pc {
                break Ok(());
            }
            if clk >= stop_cycle {
                if clk - start >= step_limit {
                    break Ok(());
                }
                fail!(ExecError::CycleLimit {
                    pc,
                    max_cycles: self.max_cycles
                });
            }
            let offset = pc.wrapping_sub(base);
            let slot = (offset >> 2) as usize;
            let inst = match code.get(slot) {
                Some(Some(inst)) if offset & 3 == 0 => *inst,
                _ => fail!(program.fetch_error(pc, from)),
            };
            if let Some(counter) = shard_rows.as_mut() {
                let touched = self.memory.touched_page_count();
                let args = || {
                    let r = &self.regs;
                    (r[A7], [r[A0], r[A1], r[A2]])
                };
                match counter.admit(inst.opcode, args, touched) {
                    Ok(()) => {}
                    Err(Refusal::Full) => break Ok(()),
                    Err(Refusal::TooLarge { rows }) => fail!(ExecError::SyscallTooLarge {
                        pc,
                        number: self.regs[A7],
                        rows,
                        max_rows: counter.max_rows(),
                    }),
                }
            }
            let rs1 = reg!(inst.rs1);
            let rs2 = reg!(inst.rs2);
            let imm = inst.imm as i64 as u64;
            let rd = (inst.rd & 31) as usize;
            let mut next = pc.wrapping_add(4);
            let mut halted = false;

            macro_rules! op {
                ($alu:ident, $b:expr) => {
                    self.regs[rd] = alu(AluOp::$alu, rs1, $b)
                };
            }
            macro_rules! branch {
                ($cond:ident) => {
                    if branch_taken(BranchOp::$cond, rs1, rs2) {
                        next = pc.wrapping_add(imm);
                    }
                };
            }
            macro_rules! load {
                ($width:ident, $signed:expr) => {{
                    const W: usize = MemWidth::$width as usize;
                    let addr = rs1.wrapping_add(imm);
                    let loaded = if PAGES {
                        self.memory.load_tracked::<W>(addr)
                    } else {
                        self.memory.load::<W>(addr)
                    };
                    let raw = match loaded {
                        Ok(raw) => raw,
                        Err(fault) => fail!(fault.at(pc).with_stack_pointer(self.regs[2])),
                    };
                    record_memory!(addr, W, false, raw, raw);
                    if PROFILE {
                        profile.touch(addr, W as u64, slot);
                    }
                    self.regs[rd] = extend_load(
                        LoadOp {
                            width: MemWidth::$width,
                            signed: $signed,
                        },
                        raw,
                    );
                }};
            }
            macro_rules! store {
                ($width:ident) => {{
                    const W: usize = MemWidth::$width as usize;
                    let addr = rs1.wrapping_add(imm);
                    let prev = if RECORD {
                        self.memory.load::<W>(addr).unwrap_or(0)
                    } else {
                        0
                    };
                    let stored = if PAGES {
                        self.memory.store_tracked::<W>(addr, rs2)
                    } else {
                        self.memory.store::<W>(addr, rs2)
                    };
                    if let Err(fault) = stored {
                        fail!(fault.at(pc).with_stack_pointer(self.regs[2]));
                    }
                    let mask = u64::MAX >> (64 - 8 * W);
                    record_memory!(addr, W, true, rs2 & mask, prev);
                    if PROFILE {
                        profile.touch(addr, W as u64, slot);
                    }
                }};
            }

            match inst.opcode {
                Opcode::Lui => self.regs[rd] = imm,
                Opcode::Auipc => self.regs[rd] = pc.wrapping_add(imm),
                Opcode::Jal => {
                    self.regs[rd] = next;
                    next = pc.wrapping_add(imm);
                }
                Opcode::Jalr => {
                    let target = rs1.wrapping_add(imm) & !1;
                    self.regs[rd] = next;
                    next = target;
                }
                Opcode::Beq => branch!(Eq),
                Opcode::Bne => branch!(Ne),
                Opcode::Blt => branch!(Lt),
                Opcode::Bge => branch!(Ge),
                Opcode::Bltu => branch!(Ltu),
                Opcode::Bgeu => branch!(Geu),
                Opcode::Lb => load!(Byte, true),
                Opcode::Lh => load!(Half, true),
                Opcode::Lw => load!(Word, true),
                Opcode::Ld => load!(Double, true),
                Opcode::Lbu => load!(Byte, false),
                Opcode::Lhu => load!(Half, false),
                Opcode::Lwu => load!(Word, false),
                Opcode::Sb => store!(Byte),
                Opcode::Sh => store!(Half),
                Opcode::Sw => store!(Word),
                Opcode::Sd => store!(Double),
                Opcode::Addi => {
                    if rd == 0 && inst.rs1 == 0 && imm != 0 {
                        self.markers.push((clk, imm as i64));
                        if PROFILE {
                            profile.enter_phase(imm as i64, &mut phase_opcodes);
                        }
                    }
                    op!(Add, imm)
                }
                Opcode::Slti => op!(Slt, imm),
                Opcode::Sltiu => op!(Sltu, imm),
                Opcode::Xori => op!(Xor, imm),
                Opcode::Ori => op!(Or, imm),
                Opcode::Andi => op!(And, imm),
                Opcode::Slli => op!(Sll, imm),
                Opcode::Srli => op!(Srl, imm),
                Opcode::Srai => op!(Sra, imm),
                Opcode::Addiw => op!(Addw, imm),
                Opcode::Slliw => op!(Sllw, imm),
                Opcode::Srliw => op!(Srlw, imm),
                Opcode::Sraiw => op!(Sraw, imm),
                Opcode::Add => op!(Add, rs2),
                Opcode::Sub => op!(Sub, rs2),
                Opcode::Sll => op!(Sll, rs2),
                Opcode::Slt => op!(Slt, rs2),
                Opcode::Sltu => op!(Sltu, rs2),
                Opcode::Xor => op!(Xor, rs2),
                Opcode::Srl => op!(Srl, rs2),
                Opcode::Sra => op!(Sra, rs2),
                Opcode::Or => op!(Or, rs2),
                Opcode::And => op!(And, rs2),
                Opcode::Addw => op!(Addw, rs2),
                Opcode::Subw => op!(Subw, rs2),
                Opcode::Sllw => op!(Sllw, rs2),
                Opcode::Srlw => op!(Srlw, rs2),
                Opcode::Sraw => op!(Sraw, rs2),
                Opcode::Mul => op!(Mul, rs2),
                Opcode::Mulh => op!(Mulh, rs2),
                Opcode::Mulhsu => op!(Mulhsu, rs2),
                Opcode::Mulhu => op!(Mulhu, rs2),
                Opcode::Div => op!(Div, rs2),
                Opcode::Divu => op!(Divu, rs2),
                Opcode::Rem => op!(Rem, rs2),
                Opcode::Remu => op!(Remu, rs2),
                Opcode::Mulw => op!(Mulw, rs2),
                Opcode::Divw => op!(Divw, rs2),
                Opcode::Divuw => op!(Divuw, rs2),
                Opcode::Remw => op!(Remw, rs2),
                Opcode::Remuw => op!(Remuw, rs2),
                Opcode::Fence => {}
                Opcode::Ecall => {
                    let done = match self.ecall::<RECORD>(pc, clk, &mut record) {
                        Ok(done) => done,
                        Err(error) => fail!(error),
                    };
                    halted = done.halted;
                    if PROFILE {
                        profile.syscall(slot, done.call);
                        for (addr, len) in done.memory.into_iter().flatten() {
                            if len > 0 {
                                profile.touch(addr, len, slot);
                            }
                        }
                    }
                }
                Opcode::Ebreak => fail!(ExecError::Breakpoint { pc }),
            }
            self.regs[0] = 0;

            if RECORD {
                let event = StepEvent {
                    pc: pc as u32,
                    next_pc: next as u32,
                    rs1_value: rs1,
                    rs2_value: rs2,
                    rd_value: self.regs[rd],
                };
                if try_push(&mut record.steps, event).is_err() {
                    fail!(ExecError::RecordTooLarge { pc, cycles: clk });
                }
            }
            if PROFILE {
                if let Some(count) = slot_counts.get_mut(slot) {
                    *count += 1;
                }
                phase_opcodes[inst.opcode as usize] += 1;
            }
            clk += 1;
            from = pc;
            pc = next;
            if halted {
                break Ok(());
            }
        };
        self.pc = pc;
        self.cycles = clk;
        if PAGES {
            self.shard_rows = shard_rows;
        }
        if RECORD {
            self.record = Some(record);
        }
        if PROFILE {
            profile.slot_counts = slot_counts;
            profile.opcodes = phase_opcodes;
            self.profile = Some(profile);
        }
        result
    }
}
