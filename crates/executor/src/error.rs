//! Typed errors: one line each, naming the cause and, for execution errors, the pc.

use droste_isa::{abi, DecodeError};

/// Why an ELF file cannot be loaded as a droste program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElfError {
    #[error("not an ELF file (it does not start with the ELF magic bytes)")]
    NotElf,
    #[error("the ELF file is truncated or corrupt: its headers point past its end ({len} bytes)")]
    Truncated { len: u64 },
    #[error("malformed ELF: {0}")]
    Malformed(String),
    #[error("ELF file is 32-bit; droste runs 64-bit RISC-V (RV64IM) programs")]
    Not64Bit,
    #[error("ELF file is big-endian; droste runs little-endian RISC-V programs")]
    BigEndian,
    #[error("ELF machine is {machine}, expected RISC-V ({expected})")]
    WrongMachine { machine: u16, expected: u16 },
    #[error("ELF type is {kind}, expected EXEC (a statically linked executable)")]
    NotExecutable { kind: String },
    #[error(
        "ELF flags say the code uses compressed (RVC) instructions; build for rv64im without C"
    )]
    CompressedCode,
    #[error(
        "ELF has no loadable segment: not a droste guest (a guest depends on droste-zkvm and \
         declares its main with droste_zkvm::entrypoint!)"
    )]
    NoLoadSegment,
    #[error("segment at {vaddr:#x}: file size {file_size:#x} exceeds memory size {mem_size:#x}")]
    FileSizeExceedsMemSize {
        vaddr: u64,
        file_size: u64,
        mem_size: u64,
    },
    #[error("segment at {vaddr:#x}: bytes {offset:#x}+{file_size:#x} lie outside the {file_len:#x}-byte file")]
    SegmentDataOutsideFile {
        vaddr: u64,
        offset: u64,
        file_size: u64,
        file_len: u64,
    },
    #[error("segment [{start:#x}, {end:#x}) is outside the program region [{region_start:#x}, {region_end:#x})")]
    SegmentOutsideMap {
        start: u64,
        end: u64,
        region_start: u64,
        region_end: u64,
    },
    #[error("segments [{first_start:#x}, {first_end:#x}) and [{second_start:#x}, {second_end:#x}) overlap")]
    OverlappingSegments {
        first_start: u64,
        first_end: u64,
        second_start: u64,
        second_end: u64,
    },
    #[error("entry point {entry:#x} is not 4-byte aligned inside an executable segment")]
    EntryNotExecutable { entry: u64 },
    #[error("executable segments span {span:#x} bytes, more than the supported {max:#x}")]
    CodeTooLarge { span: u64, max: u64 },
}

/// What kind of memory access failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Load,
    Store,
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Access::Load => "load",
            Access::Store => "store",
        })
    }
}

/// Why a guest stopped abnormally. Every variant that arises while running carries the pc of the
/// instruction that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    #[error("{access} of {len} bytes at {addr:#x} is outside mapped memory (pc {pc:#x})")]
    Unmapped {
        pc: u64,
        access: Access,
        addr: u64,
        len: u64,
    },
    #[error("store of {len} bytes at {addr:#x} writes the read-only private input (pc {pc:#x})")]
    ReadOnly { pc: u64, addr: u64, len: u64 },
    #[error("{source} (pc {pc:#x})")]
    InvalidInstruction { pc: u64, source: DecodeError },
    #[error(
        "jump to {pc:#x}, which is not an instruction in an executable segment (from pc {from:#x})"
    )]
    NotExecutable { pc: u64, from: u64 },
    #[error(
        "{access} of {len} bytes at {addr:#x}: stack overflow (sp {sp:#x} is below the {} MiB \
         stack at [{:#x}, {:#x})) (pc {pc:#x})",
        abi::STACK_SIZE >> 20, abi::HEAP_END, abi::STACK_TOP
    )]
    StackOverflow {
        pc: u64,
        access: Access,
        addr: u64,
        len: u64,
        sp: u64,
    },
    #[error(
        "the guest aborted: it executed `unimp` (pc {pc:#x}), which is how std::process::exit \
         and std::process::abort end a program on the zkvm target; droste does not support \
         them: end the guest with droste_zkvm::halt(exit_code)"
    )]
    Aborted { pc: u64 },
    #[error("ebreak executed (pc {pc:#x})")]
    Breakpoint { pc: u64 },
    #[error("cycle budget of {max_cycles} exceeded (pc {pc:#x})")]
    CycleLimit { pc: u64, max_cycles: u64 },
    #[error("unknown system call {number} (pc {pc:#x})")]
    UnknownSyscall { pc: u64, number: u64 },
    #[error("{syscall}: {reason} (pc {pc:#x})")]
    BadSyscall {
        pc: u64,
        syscall: &'static str,
        reason: String,
    },
    #[error("the guest asked for randomness (RANDOM system call; std's HashMap::new seeds its hasher this way) but the host supplied no entropy: pass `--entropy <64 hex digits>` / `Input::entropy`, or use BTreeMap or HashMap::with_hasher (pc {pc:#x})")]
    NoEntropy { pc: u64 },
    #[error("private input is {len} bytes, more than the maximum {max}")]
    PrivateInputTooLarge { len: u64, max: u64 },
    #[error("out of host memory for the execution record after {cycles} cycles (pc {pc:#x})")]
    RecordTooLarge { pc: u64, cycles: u64 },
    #[error(
        "{access} at {addr:#x} touches page {page} ({:#x}), which the shard snapshot does not \
         hold: the snapshot is not this shard's start (pc {pc:#x})",
        crate::paging::page_address(*page)
    )]
    PageNotInSnapshot {
        pc: u64,
        access: Access,
        addr: u64,
        page: u32,
    },
    #[error("the shard size is 0 cycles; a shard executes at least one instruction")]
    EmptyShards,
    #[error(
        "system call {number} needs {rows} rows of one table, more than the {max_rows} one shard \
         proof holds (pc {pc:#x})"
    )]
    SyscallTooLarge {
        pc: u64,
        number: u64,
        rows: usize,
        max_rows: usize,
    },
    #[error("shards of at most {max_rows} rows per table leave no room for one instruction (at least {least})")]
    ShardRowsTooFew { max_rows: usize, least: usize },
    #[error("malformed shard snapshot: {0}")]
    BadSnapshot(String),
}

impl ExecError {
    /// A memory fault while the stack pointer lies below the stack's region is a stack
    /// overflow: the stack grew through the heap and the program until it left mapped memory.
    pub(crate) fn with_stack_pointer(self, sp: u64) -> Self {
        match self {
            ExecError::Unmapped {
                pc,
                access,
                addr,
                len,
            } if sp < abi::HEAP_END => ExecError::StackOverflow {
                pc,
                access,
                addr,
                len,
                sp,
            },
            other => other,
        }
    }

    /// The pc of the failing instruction, when the error arose while running.
    pub fn pc(&self) -> Option<u64> {
        match *self {
            ExecError::Unmapped { pc, .. }
            | ExecError::ReadOnly { pc, .. }
            | ExecError::StackOverflow { pc, .. }
            | ExecError::Aborted { pc }
            | ExecError::InvalidInstruction { pc, .. }
            | ExecError::NotExecutable { pc, .. }
            | ExecError::Breakpoint { pc }
            | ExecError::CycleLimit { pc, .. }
            | ExecError::UnknownSyscall { pc, .. }
            | ExecError::BadSyscall { pc, .. }
            | ExecError::NoEntropy { pc }
            | ExecError::RecordTooLarge { pc, .. }
            | ExecError::PageNotInSnapshot { pc, .. }
            | ExecError::SyscallTooLarge { pc, .. } => Some(pc),
            ExecError::PrivateInputTooLarge { .. }
            | ExecError::EmptyShards
            | ExecError::ShardRowsTooFew { .. }
            | ExecError::BadSnapshot(_) => None,
        }
    }
}
