//! The memory pass: one sequential walk over an execution record that tracks, for every memory
//! cell, the timestamp and value of its last access, and turns each step into the event of the
//! chip that proves it. Everything after it (row filling) runs in parallel per chip.

use std::collections::BTreeMap;

use droste_executor::ext_combine::{ext_from_words, ext_to_words, horner_step, Ext};
use droste_executor::paging::{Page, PAGE_BYTES};
use droste_executor::poseidon2::word_to_field;
use droste_executor::{ExecutionRecord, Input, MemoryEvent, Program};
use droste_isa::abi::{
    syscall, INPUT_HEADER_LEN, INPUT_START, PANIC_EXIT_CODE, PROGRAM_START, STACK_TOP,
};
use droste_isa::alu::{alu, extend_load};
use droste_isa::Opcode;
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing, PrimeField32};

use crate::chips::ext_combine::BLOCK_DWORDS;
use crate::error::MachineError;
use crate::events::{
    BufferEvent, DwordAccess, EcallEvent, ExtCombineEvent, ExtCombineRowEvent, FrameEvent,
    MemoryInstructionEvent, Poseidon2Event, SourceRead,
};
use crate::fetch::{RegisterUse, REGISTERS, SINK};
use crate::memory_access::{slot, timestamp};
use crate::memory_tables::{CellState, DynamicCell};
use crate::paged_memory::pages::PageWitness;
use crate::paged_memory::{PAGE_DWORDS, PAGE_SHIFT};

/// Registers read by `ecall`.
const A0: usize = 10;
const A1: usize = 11;
const A2: usize = 12;
const A7: usize = 17;

/// Everything trace generation needs, sorted by table.
#[derive(Debug, Default)]
pub struct Witness {
    /// Frame events per instruction chip, indexed like [`crate::chips::instruction_chips`].
    pub frames: Vec<Vec<FrameEvent>>,
    pub loads: Vec<MemoryInstructionEvent>,
    pub stores: Vec<MemoryInstructionEvent>,
    pub ecalls: Vec<EcallEvent>,
    pub buffers: Vec<BufferEvent>,
    pub poseidon2: Vec<Poseidon2Event>,
    pub ext_combine: Vec<ExtCombineEvent>,
    pub ext_combine_rows: Vec<ExtCombineRowEvent>,
    /// Execution count per ROM slot.
    pub rom_counts: Vec<u32>,
    pub registers_final: Vec<CellState>,
    pub image_final: Vec<CellState>,
    pub dynamic: Vec<DynamicCell>,
    /// Shards: the paged-in pages (register page first) with their cells' final states.
    pub pages: Vec<PageWitness>,
    /// The output cursor `(offset, min_clk)` after the last step.
    pub output_end: (u32, u32),
}

/// Where the cells' initial values come from.
pub enum InitialMemory<'a> {
    /// A whole run: the program's image and the private input.
    Image { image: &'a [u64], input: &'a Input },
    /// A continuation shard: its paged-in pages (the register page apart, its registers are the
    /// record's initial registers), the absolute clock of its first step (its record's memory
    /// and system call events carry absolute clocks, its proof counts from 0), and the public
    /// output committed before it.
    Pages {
        pages: &'a [Page],
        first_clk: u64,
        output_offset: u32,
    },
}

/// A RAM or input cell outside the image: its initial value and current state.
#[derive(Clone, Copy, Debug)]
struct DynamicState {
    is_input: bool,
    init: u64,
    state: CellState,
}

/// The memory model of the pass.
struct Cells<'a> {
    registers: [CellState; REGISTERS],
    image: Vec<CellState>,
    dynamic: BTreeMap<u32, DynamicState>,
    input_region: &'a [u8],
    /// Shards: the paged-in pages by index (every cell is dynamic, initialised from them);
    /// `None` for a whole run (cells outside the image start at zero or the input).
    pages: Option<BTreeMap<u32, &'a [u8; PAGE_BYTES]>>,
    /// Whether a shard accessed a page it was not given (its witness cannot be built).
    page_missing: bool,
}

impl Cells<'_> {
    fn reg_read(&mut self, r: u8, ts: u32) -> (u32, u64) {
        let cell = &mut self.registers[usize::from(r)];
        let prev = *cell;
        cell.0 = ts;
        prev
    }

    fn reg_write(&mut self, r: u8, ts: u32, value: u64) -> (u32, u64) {
        let cell = &mut self.registers[usize::from(r)];
        let prev = *cell;
        *cell = (ts, value);
        prev
    }

    /// Accesses the doubleword at `addr` (aligned) at `ts`; `update` turns its value into the
    /// new one (identity for reads).
    fn dword(&mut self, addr: u32, ts: u32, update: impl FnOnce(u64) -> u64) -> DwordAccess {
        let index = (u64::from(addr) - PROGRAM_START) / 8;
        let (is_input, cell) = if let Some(cell) = self.image.get_mut(index as usize) {
            (false, cell)
        } else {
            let is_input = u64::from(addr) >= INPUT_START;
            let init = if self.pages.is_some() {
                self.page_dword(addr)
            } else if is_input {
                self.input_dword(addr)
            } else {
                0
            };
            let entry = self.dynamic.entry(addr / 8).or_insert(DynamicState {
                is_input,
                init,
                state: (0, init),
            });
            (is_input, &mut entry.state)
        };
        let (prev_ts, prev_value) = *cell;
        let value = update(prev_value);
        *cell = (ts, value);
        DwordAccess {
            addr,
            is_input,
            prev_ts,
            prev_value,
            value,
        }
    }

    /// A shard's initial doubleword at `addr`, from its pages (the executor pages in every page
    /// the shard touches; a page missing is noted, and the witness refused at the end).
    fn page_dword(&mut self, addr: u32) -> u64 {
        let index = addr >> PAGE_SHIFT;
        let Some(page) = self.pages.as_ref().and_then(|pages| pages.get(&index)) else {
            self.page_missing = true;
            return 0;
        };
        let offset = (addr as usize) & (PAGE_BYTES - 1);
        u64::from_le_bytes(page[offset..offset + 8].try_into().expect("8 bytes"))
    }

    fn input_dword(&self, addr: u32) -> u64 {
        let offset = (u64::from(addr) - INPUT_START) as usize;
        let mut bytes = [0u8; 8];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = self.input_region.get(offset + i).copied().unwrap_or(0);
        }
        u64::from_le_bytes(bytes)
    }
}

/// The number of doublewords of the image: `[PROGRAM_START, end of the last segment)`, at least
/// one.
pub fn image_len(program: &Program) -> usize {
    let end = program
        .segments()
        .iter()
        .map(|s| s.end())
        .max()
        .unwrap_or(PROGRAM_START);
    (end.max(PROGRAM_START + 8) - PROGRAM_START).div_ceil(8) as usize
}

/// The initial doublewords of the image: `[PROGRAM_START, end of the last segment)`.
pub fn image_cells(program: &Program) -> Vec<u64> {
    let mut bytes = vec![0u8; image_len(program) * 8];
    for segment in program.segments() {
        let start = (segment.vaddr - PROGRAM_START) as usize;
        bytes[start..start + segment.data.len()].copy_from_slice(&segment.data);
    }
    bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect()
}

/// The input region as the guest sees it: the 16-byte header, then the payload.
fn input_region(input: &Input) -> Vec<u8> {
    let mut region = Vec::with_capacity(INPUT_HEADER_LEN as usize + input.private_input.len());
    region.extend_from_slice(&(input.private_input.len() as u32).to_le_bytes());
    region.resize(INPUT_HEADER_LEN as usize, 0);
    region.extend_from_slice(&input.private_input);
    region
}

/// The memory buffer `(addr, len)` a system call reads or writes through the `buffer` table, if
/// any: COMMIT, PANIC, INPUT_READ and RANDOM take it in `a0`, `a1`; WRITE in `a1`, `a2` (its fd is
/// `a0`, see the `ecall` chip). One rule for the witness and for the height estimate.
pub(crate) fn syscall_buffer(number: u64, args: [u64; 3]) -> Option<(u32, u32)> {
    match number {
        syscall::COMMIT | syscall::PANIC | syscall::INPUT_READ | syscall::RANDOM => {
            Some((args[0] as u32, args[1] as u32))
        }
        syscall::WRITE => Some((args[1] as u32, args[2] as u32)),
        _ => None,
    }
}

/// Splits `[addr, addr + len)` into doubleword pieces `(addr, len)`.
pub(crate) fn buffer_pieces(addr: u32, len: u32) -> impl Iterator<Item = (u32, u32)> {
    let end = addr + len;
    let mut at = addr;
    std::iter::from_fn(move || {
        (at < end).then(|| {
            let piece = (8 - at % 8).min(end - at);
            let out = (at, piece);
            at += piece;
            out
        })
    })
}

/// Replaces bytes `[offset, offset + len)` of `value` by those of `bytes`.
fn splice(value: u64, offset: u32, bytes: &[u8]) -> u64 {
    let mut out = value.to_le_bytes();
    out[offset as usize..offset as usize + bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(out)
}

/// A system call's stores grouped by the doubleword they fall in, each group in the order the
/// call made them: what its buffer's rows write, looked up per piece. (Scanning the call's events
/// for every piece was quadratic in the buffer: an `INPUT_READ` of a 1.5 MiB proof is 2^17.6
/// pieces, and the recursion guest's trace generation for two shard proofs took 99.9 s instead
/// of 18.5 s.)
fn writes_by_dword(events: &[MemoryEvent]) -> BTreeMap<u32, Vec<&MemoryEvent>> {
    let mut writes: BTreeMap<u32, Vec<_>> = BTreeMap::new();
    for e in events.iter().filter(|e| e.write) {
        writes.entry(e.addr & !7).or_default().push(e);
    }
    writes
}

/// Runs the memory pass. `chip_of[opcode]` is the instruction chip proving `opcode` (loads,
/// stores and `ecall` have their own tables).
pub fn build_witness(
    program: &Program,
    memory: InitialMemory<'_>,
    record: &ExecutionRecord,
    chip_of: &[Option<usize>],
    num_chips: usize,
) -> Result<Witness, MachineError> {
    let (image, region, pages, first_clk, output_offset) = match memory {
        InitialMemory::Image { image, input } => (image, input_region(input), None, 0, 0),
        InitialMemory::Pages {
            pages,
            first_clk,
            output_offset,
        } => (&[][..], Vec::new(), Some(pages), first_clk, output_offset),
    };
    let mut registers = [(0, 0); REGISTERS];
    for (cell, &value) in registers.iter_mut().zip(&record.initial_registers) {
        *cell = (0, value);
    }
    let mut cells = Cells {
        registers,
        image: image.iter().map(|&v| (0, v)).collect(),
        dynamic: BTreeMap::new(),
        input_region: &region,
        pages: pages.map(|pages| pages.iter().map(|p| (p.index, &p.bytes)).collect()),
        page_missing: false,
    };
    let (code_base, slots) = program.code_range();
    let mut w = Witness {
        frames: vec![Vec::new(); num_chips],
        rom_counts: vec![0; slots],
        ..Witness::default()
    };
    let mut memory = record.memory.iter().peekable();
    let mut syscalls = record.syscalls.iter();
    let mut poseidon2_calls = record.poseidon2.iter();
    let mut output_cursor = output_offset;
    let mut output_min_clk = 0u32;
    for (clk, step) in record.steps.iter().enumerate() {
        let clk = clk as u32;
        let pc = u64::from(step.pc);
        let inst = program
            .instruction_at(pc)
            .expect("executed instructions are in the ROM");
        w.rom_counts[((pc - code_base) / 4) as usize] += 1;
        let mut events_here = Vec::new();
        while let Some(e) = memory.next_if(|e| e.clk == first_clk + u64::from(clk)) {
            events_here.push(*e);
        }
        if inst.opcode == Opcode::Ecall {
            let call = syscalls.next().expect("every ecall has a syscall event");
            let (a7_prev_ts, _) = cells.reg_read(A7 as u8, timestamp(clk, slot::RS1));
            // WRITE's arguments are a1 and a2 (its fd a0 is read apart); see the `ecall` chip.
            let has_fd = call.number == syscall::WRITE;
            let shift = usize::from(has_fd);
            let (arg0, arg1) = (call.args[shift], call.args[shift + 1]);
            // PANIC leaves its exit code in a0 (see the `ecall` chip).
            let arg0_new = match call.number {
                syscall::PANIC => u64::from(PANIC_EXIT_CODE),
                syscall::WRITE => arg0,
                _ => call.result,
            };
            let (arg0_prev_ts, _) =
                cells.reg_write((A0 + shift) as u8, timestamp(clk, slot::RS2), arg0_new);
            let (arg1_prev_ts, _) = cells.reg_read((A1 + shift) as u8, timestamp(clk, slot::A1));
            // The third argument: WRITE's fd a0, EXT_COMBINE's block a2, POSEIDON2_FROM's
            // source a2.
            let arg2 = match call.number {
                syscall::WRITE => Some((A0, call.args[0])),
                syscall::EXT_COMBINE | syscall::POSEIDON2_FROM => Some((A2, call.args[2])),
                _ => None,
            };
            let arg2_prev_ts = arg2.map_or(0, |(r, _)| {
                cells.reg_read(r as u8, timestamp(clk, slot::FD)).0
            });
            w.ecalls.push(EcallEvent {
                clk,
                pc: step.pc,
                number: call.number,
                a7_prev_ts,
                arg0,
                arg0_new,
                arg0_prev_ts,
                arg1,
                arg1_prev_ts,
                arg2: arg2.map_or(0, |(_, value)| value),
                arg2_prev_ts,
                output_cursor,
                output_min_clk,
            });
            if matches!(call.number, syscall::POSEIDON2 | syscall::POSEIDON2_FROM) {
                let call = poseidon2_calls
                    .next()
                    .expect("every POSEIDON2 ecall has its event");
                w.poseidon2
                    .push(poseidon2_event(&mut cells, clk, first_clk, call));
                continue;
            }
            if call.number == syscall::EXT_COMBINE {
                ext_combine_events(&mut cells, clk, call.args, &mut w);
                continue;
            }
            let is_write = matches!(call.number, syscall::INPUT_READ | syscall::RANDOM);
            if let Some((addr, len)) = syscall_buffer(call.number, call.args) {
                let writes = if is_write {
                    writes_by_dword(&events_here)
                } else {
                    BTreeMap::new()
                };
                let mut remaining = len;
                for (piece_addr, piece_len) in buffer_pieces(addr, len) {
                    let dw = piece_addr & !7;
                    let offset = piece_addr % 8;
                    let access = cells.dword(dw, timestamp(clk, slot::RAM0), |old| {
                        writes.get(&dw).map_or(old, |writes| {
                            writes.iter().fold(old, |v, e| {
                                let bytes = e.value.to_le_bytes();
                                splice(v, e.addr % 8, &bytes[..usize::from(e.width)])
                            })
                        })
                    });
                    w.buffers.push(BufferEvent {
                        clk,
                        addr: piece_addr,
                        remaining,
                        // The buffer token advances its index on every row (the AIR does
                        // not branch on the direction); only reads send it on OUTPUT.
                        output_index: output_cursor + (len - remaining),
                        is_write,
                        is_output: call.number == syscall::COMMIT,
                        len: piece_len,
                        access,
                    });
                    debug_assert!(offset + piece_len <= 8);
                    remaining -= piece_len;
                }
                if call.number == syscall::COMMIT {
                    output_cursor += len;
                    output_min_clk = clk + 1;
                }
            }
            continue;
        }
        let regs = RegisterUse::of(&inst);
        let (mut rs1_prev_ts, mut rs1_value) = (0, 0);
        if let Some(rs1) = regs.rs1 {
            (rs1_prev_ts, rs1_value) = cells.reg_read(rs1, timestamp(clk, slot::RS1));
            debug_assert_eq!(rs1_value, step.rs1_value, "rs1 at clk {clk}");
        }
        let (mut rs2_prev_ts, mut rs2_value) = (0, 0);
        if let Some(rs2) = regs.rs2 {
            (rs2_prev_ts, rs2_value) = cells.reg_read(rs2, timestamp(clk, slot::RS2));
        }
        let imm = inst.imm as i64 as u64;
        let b = if regs.rs2.is_none() { imm } else { rs2_value };
        let mut frame = FrameEvent {
            clk,
            pc: step.pc,
            next_pc: step.next_pc,
            instruction: inst,
            rs1_value,
            rs2_value,
            result: 0,
            rs1_prev_ts,
            rs2_prev_ts,
            rd_prev_ts: 0,
            rd_prev_value: 0,
        };
        let mut memory_event = None;
        frame.result = match inst.opcode {
            Opcode::Lui | Opcode::Auipc | Opcode::Jal | Opcode::Fence => {
                crate::chips::constant::value_and_next(step.pc, &inst).0
            }
            Opcode::Jalr => pc + 4,
            op if op.alu_op().is_some() => alu(op.alu_op().expect("alu op"), rs1_value, b),
            op if op.load_op().is_some() || op.store_width().is_some() => {
                let e = events_here
                    .first()
                    .expect("a memory instruction has its event");
                memory_event = Some(memory_instruction(&mut cells, clk, e));
                match op.load_op() {
                    Some(load) => extend_load(load, e.value),
                    None => 0,
                }
            }
            _ => 0,
        };
        if let Some(rd) = regs.rd {
            let (prev_ts, prev_value) = cells.reg_write(rd, timestamp(clk, slot::RD), frame.result);
            debug_assert!(
                rd == SINK || frame.result == step.rd_value,
                "rd at clk {clk}"
            );
            frame.rd_prev_ts = prev_ts;
            frame.rd_prev_value = prev_value;
        }
        match (memory_event, chip_of[inst.opcode as usize]) {
            (Some((addr, dwords)), _) => {
                let event = MemoryInstructionEvent {
                    frame,
                    addr,
                    dwords,
                };
                if inst.opcode.load_op().is_some() {
                    w.loads.push(event);
                } else {
                    w.stores.push(event);
                }
            }
            (None, Some(chip)) => w.frames[chip].push(frame),
            (None, None) => {
                return Err(MachineError::NoChip {
                    pc: step.pc,
                    mnemonic: inst.opcode.mnemonic(),
                })
            }
        }
    }
    w.output_end = (output_cursor, output_min_clk);
    if cells.page_missing {
        return Err(MachineError::Shard(
            "the shard's pages do not cover the memory its record accesses",
        ));
    }
    if let Some(pages) = pages {
        w.pages = paged_witness(&cells, &record.initial_registers, pages);
    } else {
        // The input header's doublewords are always cells: the first carries the input length
        // that bounds the input region (see `memory_tables`).
        for header in [INPUT_START as u32, INPUT_START as u32 + 8] {
            let init = cells.input_dword(header);
            cells.dynamic.entry(header / 8).or_insert(DynamicState {
                is_input: true,
                init,
                state: (0, init),
            });
        }
    }
    w.registers_final = cells.registers.to_vec();
    w.image_final = cells.image;
    w.dynamic = cells
        .dynamic
        .into_iter()
        .map(|(index, d)| (index, d.is_input, d.init, d.state))
        .collect();
    debug_assert!(w
        .dynamic
        .iter()
        .all(|d| u64::from(d.0) * 8 < STACK_TOP || d.1));
    Ok(w)
}

/// A shard's pages as the `pages` table proves them: the register page, then `pages`, each
/// doubleword with its initial value and final state.
fn paged_witness(cells: &Cells<'_>, registers: &[u64; 32], pages: &[Page]) -> Vec<PageWitness> {
    let register_page = PageWitness {
        index: 0,
        init: core::array::from_fn(|j| registers.get(j).copied().unwrap_or(0)),
        finals: core::array::from_fn(|j| {
            cells
                .registers
                .get(j)
                .filter(|_| j < 32)
                .copied()
                .unwrap_or((0, 0))
        }),
    };
    let memory = pages.iter().map(|page| {
        let init: [u64; PAGE_DWORDS] = core::array::from_fn(|j| {
            u64::from_le_bytes(page.bytes[8 * j..8 * j + 8].try_into().expect("8 bytes"))
        });
        let base = page.index << (PAGE_SHIFT - 3);
        PageWitness {
            index: page.index,
            init,
            finals: core::array::from_fn(|j| {
                cells
                    .dynamic
                    .get(&(base + j as u32))
                    .map_or((0, init[j]), |d| d.state)
            }),
        }
    });
    std::iter::once(register_page).chain(memory).collect()
}

/// The machine's view of a POSEIDON2 or POSEIDON2_FROM call: the source's 4 doublewords read
/// at slot 5 (POSEIDON2_FROM), then the 8 doublewords of the state at slot 6, each read as the
/// input words and written as the output words.
fn poseidon2_event(
    cells: &mut Cells<'_>,
    clk: u32,
    first_clk: u64,
    call: &droste_executor::Poseidon2Event,
) -> Poseidon2Event {
    debug_assert_eq!(call.clk, first_clk + u64::from(clk));
    let dword =
        |words: &[u32], j: usize| u64::from(words[2 * j]) | u64::from(words[2 * j + 1]) << 32;
    let source = call.source.map(|source| SourceRead {
        addr: source.addr,
        second_half: source.second_half,
        words: source.words,
        accesses: core::array::from_fn(|j| {
            cells.dword(
                source.addr + 8 * j as u32,
                timestamp(clk, slot::RAM0),
                |old| {
                    debug_assert_eq!(
                        old,
                        dword(&source.words, j),
                        "POSEIDON2_FROM source at clk {clk}"
                    );
                    old
                },
            )
        }),
    });
    let accesses = core::array::from_fn(|j| {
        let access = cells.dword(
            call.addr + 8 * j as u32,
            timestamp(clk, slot::RAM1),
            |old| {
                debug_assert_eq!(old, dword(&call.input, j), "POSEIDON2 input at clk {clk}");
                dword(&call.output, j)
            },
        );
        debug_assert!(!access.is_input, "the executor permutes only RAM");
        access
    });
    Poseidon2Event {
        clk,
        addr: call.addr,
        montgomery: call.montgomery,
        input: call.input,
        output: call.output,
        accesses,
        source,
    }
}

/// The machine's view of an EXT_COMBINE call: its values read as `ext_combine_rows` rows at
/// slot 5, from the last doubleword down (Horner's rule), then its block at slot 6 (`alpha` and
/// `w` read, the result written).
fn ext_combine_events(cells: &mut Cells<'_>, clk: u32, args: [u64; 3], w: &mut Witness) {
    let (values, count, block) = (args[0] as u32, args[1] as u32, args[2] as u32);
    let words = |dword: u64| [dword as u32, (dword >> 32) as u32];
    let reads: Vec<DwordAccess> = (0..count / 2)
        .rev()
        .map(|j| cells.dword(values + 8 * j, timestamp(clk, slot::RAM0), |v| v))
        .collect();
    let mut accesses = [DwordAccess::default(); BLOCK_DWORDS];
    for (j, access) in accesses[..4].iter_mut().enumerate() {
        *access = cells.dword(block + 8 * j as u32, timestamp(clk, slot::RAM1), |v| v);
    }
    let ext_words = |first: &DwordAccess, second: &DwordAccess| {
        let [a, b] = words(first.value);
        let [c, d] = words(second.value);
        [a, b, c, d]
    };
    let alpha_words = ext_words(&accesses[0], &accesses[1]);
    let weight_words = ext_words(&accesses[2], &accesses[3]);
    let alpha = ext_from_words(&alpha_words);
    let coordinates = |x: Ext| -> [u32; 4] {
        let c = BasedVectorSpace::<p3_koala_bear::KoalaBear>::as_basis_coefficients_slice(&x);
        core::array::from_fn(|d| c[d].as_canonical_u32())
    };
    let mut acc = Ext::ZERO;
    for read in &reads {
        let [lo, hi] = words(read.value);
        let acc_out = horner_step(acc, alpha, word_to_field(lo, true), word_to_field(hi, true));
        w.ext_combine_rows.push(ExtCombineRowEvent {
            clk,
            addr: read.addr,
            alpha: coordinates(alpha),
            acc: coordinates(acc),
            acc_out: coordinates(acc_out),
            words: [lo, hi],
            prev_ts: read.prev_ts,
        });
        acc = acc_out;
    }
    let result = ext_to_words(ext_from_words(&weight_words) * acc);
    for (k, access) in accesses[4..].iter_mut().enumerate() {
        let dword = u64::from(result[2 * k]) | u64::from(result[2 * k + 1]) << 32;
        *access = cells.dword(
            block + 32 + 8 * k as u32,
            timestamp(clk, slot::RAM1),
            |_| dword,
        );
    }
    w.ext_combine.push(ExtCombineEvent {
        clk,
        values,
        count,
        block,
        alpha: alpha_words,
        weight: weight_words,
        result,
        sum: coordinates(acc),
        accesses,
    });
}

/// The doubleword accesses of a load or store event.
fn memory_instruction(
    cells: &mut Cells<'_>,
    clk: u32,
    e: &droste_executor::MemoryEvent,
) -> (u32, [Option<DwordAccess>; 2]) {
    let width = u32::from(e.width);
    let first = e.addr & !7;
    let offset = e.addr % 8;
    let in_first = width.min(8 - offset);
    let bytes = e.value.to_le_bytes();
    let first_access = cells.dword(first, timestamp(clk, slot::RAM0), |old| {
        if e.write {
            splice(old, offset, &bytes[..in_first as usize])
        } else {
            old
        }
    });
    let second = (offset + width > 8).then(|| {
        cells.dword(first + 8, timestamp(clk, slot::RAM1), |old| {
            if e.write {
                splice(old, 0, &bytes[in_first as usize..width as usize])
            } else {
                old
            }
        })
    });
    (e.addr, [Some(first_access), second])
}
