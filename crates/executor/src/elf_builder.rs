//! Writing small RV64 ELF executables from instruction lists.
//!
//! Tests, benchmarks and the differential test against qemu need programs before (and besides)
//! the guest toolchain. The files written here are ordinary static executables: one `PT_LOAD`
//! per segment with file offsets congruent to their addresses modulo the page size (so Linux and
//! qemu-user map them), and, when symbols are given, a `.symtab`/`.strtab` pair so the profiler
//! can name functions.

use droste_isa::{encode, EncodeError, Instruction};

const PAGE: u64 = 0x1000;
const EHDR_SIZE: u64 = 64;
const PHDR_SIZE: u64 = 56;
const SHDR_SIZE: u64 = 64;
const SYM_SIZE: u64 = 24;

/// Access rights of a segment (`p_flags`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Perm {
    ReadExecute,
    ReadWrite,
    ReadWriteExecute,
}

impl Perm {
    fn p_flags(self) -> u32 {
        const X: u32 = 1;
        const W: u32 = 2;
        const R: u32 = 4;
        match self {
            Perm::ReadExecute => R | X,
            Perm::ReadWrite => R | W,
            Perm::ReadWriteExecute => R | W | X,
        }
    }
}

#[derive(Clone, Debug)]
struct SegmentSpec {
    vaddr: u64,
    data: Vec<u8>,
    mem_size: u64,
    perm: Perm,
}

/// Builds an ELF64 little-endian RISC-V `ET_EXEC` file.
#[derive(Clone, Debug)]
pub struct ElfBuilder {
    entry: u64,
    segments: Vec<SegmentSpec>,
    symbols: Vec<(String, u64, u64)>,
}

impl ElfBuilder {
    /// A file whose execution starts at `entry`.
    pub fn new(entry: u64) -> Self {
        Self {
            entry,
            segments: Vec::new(),
            symbols: Vec::new(),
        }
    }

    /// Adds a segment at `vaddr` with initialized bytes `data`, zero-filled up to `mem_size`
    /// (a `mem_size` below `data.len()` is written as is, to test loaders).
    pub fn segment(&mut self, vaddr: u64, data: Vec<u8>, mem_size: u64, perm: Perm) -> &mut Self {
        self.segments.push(SegmentSpec {
            vaddr,
            data,
            mem_size,
            perm,
        });
        self
    }

    /// Adds an executable segment at `vaddr` holding `code`.
    pub fn code(&mut self, vaddr: u64, code: &[Instruction]) -> Result<&mut Self, EncodeError> {
        let data = encode_all(code)?;
        let size = data.len() as u64;
        Ok(self.segment(vaddr, data, size, Perm::ReadExecute))
    }

    /// Adds a function symbol covering `[start, end)`.
    pub fn symbol(&mut self, name: &str, start: u64, end: u64) -> &mut Self {
        self.symbols.push((name.to_string(), start, end));
        self
    }

    /// The bytes of the ELF file.
    pub fn build(&self) -> Vec<u8> {
        let phnum = self.segments.len() as u64;
        let mut out = vec![0u8; (EHDR_SIZE + PHDR_SIZE * phnum) as usize];
        let mut phdrs = Vec::new();
        for segment in &self.segments {
            // Same offset modulo the page size as the address, as mmap-based loaders require.
            let mut offset = out.len() as u64;
            offset += (segment.vaddr % PAGE + PAGE - offset % PAGE) % PAGE;
            out.resize(offset as usize, 0);
            out.extend_from_slice(&segment.data);
            phdrs.push((segment, offset));
        }
        let (shoff, shnum) = self.write_symbols(&mut out);

        let header = &mut out[..EHDR_SIZE as usize];
        header[..4].copy_from_slice(b"\x7fELF");
        header[4] = 2; // ELFCLASS64
        header[5] = 1; // ELFDATA2LSB
        header[6] = 1; // EV_CURRENT
        put16(header, 16, 2); // ET_EXEC
        put16(header, 18, 243); // EM_RISCV
        put32(header, 20, 1);
        put64(header, 24, self.entry);
        put64(header, 32, EHDR_SIZE);
        put64(header, 40, shoff);
        put16(header, 52, EHDR_SIZE as u16);
        put16(header, 54, PHDR_SIZE as u16);
        put16(header, 56, phnum as u16);
        put16(header, 58, SHDR_SIZE as u16);
        put16(header, 60, shnum);
        put16(header, 62, shnum.saturating_sub(1)); // .shstrtab is last
        for (index, (segment, offset)) in phdrs.into_iter().enumerate() {
            let at = (EHDR_SIZE + PHDR_SIZE * index as u64) as usize;
            let ph = &mut out[at..at + PHDR_SIZE as usize];
            put32(ph, 0, 1); // PT_LOAD
            put32(ph, 4, segment.perm.p_flags());
            put64(ph, 8, offset);
            put64(ph, 16, segment.vaddr);
            put64(ph, 24, segment.vaddr);
            put64(ph, 32, segment.data.len() as u64);
            put64(ph, 40, segment.mem_size);
            put64(ph, 48, PAGE);
        }
        out
    }

    /// Appends `.symtab`, `.strtab`, `.shstrtab` and the section header table; returns the
    /// section header offset and count (0, 0 when there are no symbols).
    fn write_symbols(&self, out: &mut Vec<u8>) -> (u64, u16) {
        if self.symbols.is_empty() {
            return (0, 0);
        }
        let mut strtab = vec![0u8];
        let mut symtab = vec![0u8; SYM_SIZE as usize];
        for (name, start, end) in &self.symbols {
            let mut sym = [0u8; SYM_SIZE as usize];
            put32(&mut sym, 0, strtab.len() as u32);
            sym[4] = 0x12; // STB_GLOBAL, STT_FUNC
            put16(&mut sym, 6, 0xfff1); // SHN_ABS
            put64(&mut sym, 8, *start);
            put64(&mut sym, 16, end.saturating_sub(*start));
            symtab.extend_from_slice(&sym);
            strtab.extend_from_slice(name.as_bytes());
            strtab.push(0);
        }
        let shstrtab = b"\0.symtab\0.strtab\0.shstrtab\0";
        let mut place = |bytes: &[u8], align: usize| {
            out.resize(out.len().next_multiple_of(align), 0);
            let offset = out.len() as u64;
            out.extend_from_slice(bytes);
            offset
        };
        let symtab_off = place(&symtab, 8);
        let strtab_off = place(&strtab, 1);
        let shstrtab_off = place(shstrtab, 1);
        out.resize(out.len().next_multiple_of(8), 0);
        let shoff = out.len() as u64;
        // (name offset in .shstrtab, type, offset, size, link, info, entsize)
        let sections = [
            (0, 0, 0, 0, 0, 0, 0),
            (1, 2, symtab_off, symtab.len() as u64, 2, 1, SYM_SIZE),
            (9, 3, strtab_off, strtab.len() as u64, 0, 0, 0),
            (17, 3, shstrtab_off, shstrtab.len() as u64, 0, 0, 0),
        ];
        for (name, kind, offset, size, link, info, entsize) in sections {
            let mut sh = [0u8; SHDR_SIZE as usize];
            put32(&mut sh, 0, name);
            put32(&mut sh, 4, kind);
            put64(&mut sh, 24, offset);
            put64(&mut sh, 32, size);
            put32(&mut sh, 40, link);
            put32(&mut sh, 44, info);
            put64(
                &mut sh,
                48,
                match kind {
                    0 => 0,
                    2 => 8,
                    _ => 1,
                },
            );
            put64(&mut sh, 56, entsize);
            out.extend_from_slice(&sh);
        }
        (shoff, sections.len() as u16)
    }
}

/// Encodes instructions into little-endian bytes.
pub fn encode_all(code: &[Instruction]) -> Result<Vec<u8>, EncodeError> {
    let mut bytes = Vec::with_capacity(code.len() * 4);
    for instruction in code {
        bytes.extend_from_slice(&encode(instruction)?.to_le_bytes());
    }
    Ok(bytes)
}

fn put16(buf: &mut [u8], at: usize, value: u16) {
    buf[at..at + 2].copy_from_slice(&value.to_le_bytes());
}

fn put32(buf: &mut [u8], at: usize, value: u32) {
    buf[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn put64(buf: &mut [u8], at: usize, value: u64) {
    buf[at..at + 8].copy_from_slice(&value.to_le_bytes());
}
