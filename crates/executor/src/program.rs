//! Loading an ELF file into a [`Program`]: checked segments, predecoded code, function symbols.

use droste_isa::{abi, decode, Instruction};
use goblin::elf::{header, program_header, sym, Elf};

use crate::error::{ElfError, ExecError};

/// The encoding of `unimp` (`csrrw x0, cycle, x0`): what LLVM emits for a trap, so what
/// `std::process::exit` and `abort` execute on the zkvm target.
const UNIMP: u32 = 0xc000_1073;
/// RISC-V's ELF machine number.
const EM_RISCV: u16 = 243;
/// `e_flags` bit: the code contains compressed instructions.
const EF_RISCV_RVC: u32 = 0x1;
/// Upper bound on the address span covered by executable segments. The predecoded table has one
/// entry per 4 bytes of that span, so this bounds its host memory (16M instructions, 192 MiB);
/// real guests are a few MiB of code.
pub const MAX_CODE_SPAN: u64 = 64 << 20;

/// One loadable segment as the ELF file describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// First address of the segment.
    pub vaddr: u64,
    /// Size in memory; bytes past `data.len()` are zero (`.bss`).
    pub mem_size: u64,
    /// The initialized bytes (the ELF's `p_filesz` bytes).
    pub data: Vec<u8>,
    /// Instructions may be fetched from this segment.
    pub executable: bool,
    /// The ELF marks the segment writable. The executor does not enforce it: all of
    /// [`abi::PROGRAM_START`]..[`abi::STACK_TOP`] is read/write (see `docs/executor.md`).
    pub writable: bool,
}

impl Segment {
    /// End address (exclusive).
    pub fn end(&self) -> u64 {
        self.vaddr + self.mem_size
    }
}

/// A function symbol from the ELF symbol table, for the profiler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Demangled name without the Rust hash suffix.
    pub name: String,
    /// First address of the function.
    pub start: u64,
    /// End address (exclusive).
    pub end: u64,
}

/// The executable code, decoded once so that the interpreter never decodes in its loop.
#[derive(Clone, Debug)]
pub(crate) struct Code {
    /// Address of `instructions[0]`.
    pub base: u64,
    /// One entry per 4-byte slot of `[base, base + 4 * len)`: the decoded instruction, or `None`
    /// when the slot is not inside an executable segment or does not decode.
    pub instructions: Vec<Option<Instruction>>,
    /// The raw words of the same slots (0 outside executable segments), for error messages and
    /// for anything that needs the encoding (records, program commitments).
    pub words: Vec<u32>,
}

/// A loaded guest program: entry point, memory image, predecoded code and symbols.
#[derive(Clone, Debug)]
pub struct Program {
    entry: u64,
    segments: Vec<Segment>,
    symbols: Vec<Symbol>,
    pub(crate) code: Code,
}

impl Program {
    /// Parses and checks a statically linked RV64 ELF executable.
    ///
    /// Checks: 64-bit little-endian RISC-V EXEC without RVC; every `PT_LOAD` segment has
    /// `filesz <= memsz`, its bytes inside the file, lies within
    /// [`abi::PROGRAM_START`]..[`abi::HEAP_END`] and overlaps no other; the entry point is a
    /// 4-byte aligned address inside an executable segment.
    pub fn from_elf(bytes: &[u8]) -> Result<Program, ElfError> {
        check_ident(bytes)?;
        let elf = Elf::parse(bytes).map_err(|e| parse_error(&e, bytes.len()))?;
        check_header(&elf)?;
        let segments = load_segments(&elf, bytes)?;
        let entry = elf.entry;
        let in_code = segments
            .iter()
            .any(|s| s.executable && s.vaddr <= entry && entry.saturating_add(4) <= s.end());
        if entry % 4 != 0 || !in_code {
            return Err(ElfError::EntryNotExecutable { entry });
        }
        let code = predecode(&segments)?;
        let symbols = function_symbols(&elf);
        Ok(Program {
            entry,
            segments,
            symbols,
            code,
        })
    }

    /// The address of the first instruction executed.
    pub fn entry(&self) -> u64 {
        self.entry
    }

    /// The loadable segments, sorted by address: the initial memory image.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Function symbols (sorted by start address), used to attribute cycles to functions.
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// The decoded instruction at `pc`, if `pc` is an aligned address in an executable segment
    /// holding a valid instruction.
    pub fn instruction_at(&self, pc: u64) -> Option<Instruction> {
        self.code
            .instructions
            .get(self.code_index(pc)?)
            .copied()
            .flatten()
    }

    /// The raw instruction word at `pc`, if `pc` is an aligned address in an executable segment.
    pub fn word_at(&self, pc: u64) -> Option<u32> {
        let index = self.code_index(pc)?;
        self.is_executable(pc).then(|| self.code.words[index])
    }

    /// Address of the first predecoded slot and the number of slots: the code region that
    /// [`Program::instruction_at`] covers.
    pub fn code_range(&self) -> (u64, usize) {
        (self.code.base, self.code.instructions.len())
    }

    /// Whether the 4 bytes at `pc` lie inside one executable segment.
    pub fn is_executable(&self, pc: u64) -> bool {
        self.segments
            .iter()
            .any(|s| s.executable && s.vaddr <= pc && pc.saturating_add(4) <= s.end())
    }

    fn code_index(&self, pc: u64) -> Option<usize> {
        let offset = pc.checked_sub(self.code.base)?;
        let index = usize::try_from(offset / 4).ok()?;
        (offset % 4 == 0 && index < self.code.instructions.len()).then_some(index)
    }

    /// Why fetching at `pc` (reached from the instruction at `from`) failed: the word does not
    /// decode, or `pc` is not an aligned address in an executable segment.
    pub(crate) fn fetch_error(&self, pc: u64, from: u64) -> ExecError {
        match self.word_at(pc).map(|word| (word, decode(word))) {
            Some((UNIMP, _)) => ExecError::Aborted { pc },
            Some((_, Err(source))) => ExecError::InvalidInstruction { pc, source },
            _ => ExecError::NotExecutable { pc, from },
        }
    }
}

/// The parser's error in the file's terms: goblin's reading errors ("type is too big (2) for
/// 0") mean a header or table reaches past the end of the file.
fn parse_error(error: &goblin::error::Error, len: usize) -> ElfError {
    match error {
        goblin::error::Error::Malformed(message) => ElfError::Malformed(one_line(message)),
        goblin::error::Error::BadMagic(_) => ElfError::NotElf,
        _ => ElfError::Truncated { len: len as u64 },
    }
}

/// Collapses a multi-line library message into one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks the magic, class and byte order from `e_ident` before the full parse, so that a file
/// that is no ELF, or a 32-bit or big-endian one, gets its precise error rather than whatever
/// parsing it as ELF64 hits first.
fn check_ident(bytes: &[u8]) -> Result<(), ElfError> {
    const ELFCLASS64: u8 = 2;
    const ELFDATA2LSB: u8 = 1;
    const ELF64_HEADER_LEN: usize = 64;
    match bytes {
        [0x7f, b'E', b'L', b'F', class, _, ..] if *class != ELFCLASS64 => Err(ElfError::Not64Bit),
        [0x7f, b'E', b'L', b'F', _, data, ..] if *data != ELFDATA2LSB => Err(ElfError::BigEndian),
        [0x7f, b'E', b'L', b'F', ..] if bytes.len() < ELF64_HEADER_LEN => {
            Err(ElfError::Truncated {
                len: bytes.len() as u64,
            })
        }
        [0x7f, b'E', b'L', b'F', ..] => Ok(()),
        _ if b"\x7fELF".starts_with(bytes) => Err(ElfError::Truncated {
            len: bytes.len() as u64,
        }),
        _ => Err(ElfError::NotElf),
    }
}

fn check_header(elf: &Elf) -> Result<(), ElfError> {
    if elf.header.e_machine != EM_RISCV {
        return Err(ElfError::WrongMachine {
            machine: elf.header.e_machine,
            expected: EM_RISCV,
        });
    }
    if elf.header.e_type != header::ET_EXEC {
        let kind = header::et_to_str(elf.header.e_type).to_string();
        return Err(ElfError::NotExecutable { kind });
    }
    if elf.header.e_flags & EF_RISCV_RVC != 0 {
        return Err(ElfError::CompressedCode);
    }
    Ok(())
}

fn load_segments(elf: &Elf, bytes: &[u8]) -> Result<Vec<Segment>, ElfError> {
    let mut segments = Vec::new();
    for ph in &elf.program_headers {
        if ph.p_type != program_header::PT_LOAD || ph.p_memsz == 0 {
            continue;
        }
        let (vaddr, file_size, mem_size) = (ph.p_vaddr, ph.p_filesz, ph.p_memsz);
        if file_size > mem_size {
            return Err(ElfError::FileSizeExceedsMemSize {
                vaddr,
                file_size,
                mem_size,
            });
        }
        let data = ph
            .p_offset
            .checked_add(file_size)
            .and_then(|end| {
                bytes.get(usize::try_from(ph.p_offset).ok()?..usize::try_from(end).ok()?)
            })
            .ok_or(ElfError::SegmentDataOutsideFile {
                vaddr,
                offset: ph.p_offset,
                file_size,
                file_len: bytes.len() as u64,
            })?;
        let end = vaddr.saturating_add(mem_size);
        if vaddr < abi::PROGRAM_START || end > abi::HEAP_END {
            return Err(ElfError::SegmentOutsideMap {
                start: vaddr,
                end,
                region_start: abi::PROGRAM_START,
                region_end: abi::HEAP_END,
            });
        }
        segments.push(Segment {
            vaddr,
            mem_size,
            data: data.to_vec(),
            executable: ph.is_executable(),
            writable: ph.is_write(),
        });
    }
    if segments.is_empty() {
        return Err(ElfError::NoLoadSegment);
    }
    segments.sort_by_key(|s| s.vaddr);
    for pair in segments.windows(2) {
        if pair[0].end() > pair[1].vaddr {
            return Err(ElfError::OverlappingSegments {
                first_start: pair[0].vaddr,
                first_end: pair[0].end(),
                second_start: pair[1].vaddr,
                second_end: pair[1].end(),
            });
        }
    }
    Ok(segments)
}

fn predecode(segments: &[Segment]) -> Result<Code, ElfError> {
    let executable = || segments.iter().filter(|s| s.executable);
    // The entry check guarantees at least one executable segment.
    let base = executable().map(|s| s.vaddr).min().unwrap_or(0) & !3;
    let end = executable().map(Segment::end).max().unwrap_or(base);
    let span = end - base;
    if span > MAX_CODE_SPAN {
        return Err(ElfError::CodeTooLarge {
            span,
            max: MAX_CODE_SPAN,
        });
    }
    let slots = (span / 4) as usize;
    let mut instructions = vec![None; slots];
    let mut words = vec![0u32; slots];
    for segment in executable() {
        let first_slot = segment.vaddr.div_ceil(4) * 4;
        let mut pc = first_slot;
        while pc + 4 <= segment.end() {
            let offset = (pc - segment.vaddr) as usize;
            let mut bytes = [0u8; 4];
            for (i, byte) in bytes.iter_mut().enumerate() {
                *byte = segment.data.get(offset + i).copied().unwrap_or(0);
            }
            let word = u32::from_le_bytes(bytes);
            let slot = ((pc - base) / 4) as usize;
            words[slot] = word;
            instructions[slot] = decode(word).ok();
            pc += 4;
        }
    }
    Ok(Code {
        base,
        instructions,
        words,
    })
}

/// Function symbols with a non-zero size, demangled, sorted by start address.
fn function_symbols(elf: &Elf) -> Vec<Symbol> {
    let mut symbols: Vec<Symbol> = elf
        .syms
        .iter()
        .filter(|s| s.st_type() == sym::STT_FUNC && s.st_size > 0)
        .filter_map(|s| {
            let name = elf.strtab.get_at(s.st_name)?;
            Some(Symbol {
                name: format!("{:#}", rustc_demangle::demangle(name)),
                start: s.st_value,
                end: s.st_value.saturating_add(s.st_size),
            })
        })
        .collect();
    symbols.sort_by_key(|s| (s.start, s.end));
    symbols.dedup_by(|a, b| a.start == b.start && a.end == b.end);
    symbols
}
