//! The guest/host contract: memory map and system calls.
//!
//! This module is the single place where the layout of a guest's address space and the numbers of
//! its system calls are fixed. The executor, the guest runtime (`droste-zkvm`), the linker script in
//! `toolchain/` and (later) the machine's AIRs all read these constants, so they cannot drift apart.
//! `docs/abi.md` explains them for guest authors.
//!
//! # Memory map
//!
//! ```text
//! 0x0000_0000 ..= PROGRAM_START-1     unmapped (catches null-pointer accesses)
//! PROGRAM_START .. HEAP_END            ELF segments (text, rodata, data, bss), then the heap
//! HEAP_END      .. STACK_TOP           the stack (grows down from STACK_TOP)
//! INPUT_START   .. INPUT_START+16+len  private input: 16-byte header, then the payload (read-only)
//! everything else                      unmapped
//! ```
//!
//! Why these numbers: every mapped address is below 2^30, so an address (and an address plus a
//! small offset) fits in one KoalaBear field element (p = 2^31 - 2^24 + 1) with room to spare.
//! That keeps address arithmetic in the memory-checking AIRs to a single limb. The private input
//! sits above the stack so that its header and payload are 16-byte aligned and can be read in
//! place (an archived proof is a private input).
//!
//! # System calls
//!
//! A guest executes `ecall` with the call number in `a7` (x17) and arguments in `a0..a5`
//! (x10..x15); results come back in `a0` (x10). This is the Linux RISC-V convention, so existing
//! tools (disassemblers, qemu) read our guests naturally. Numbers are stable: new calls get new
//! numbers; precompiles start at [`syscall::PRECOMPILE_BASE`].

/// First mapped address. Lower addresses are unmapped so that null-pointer accesses fault.
pub const PROGRAM_START: u64 = 0x0001_0000;
/// The stack grows down from here; `sp` starts at this value.
pub const STACK_TOP: u64 = 0x2000_0000;
/// Bytes reserved for the stack below [`STACK_TOP`]; the heap may not grow into them.
pub const STACK_SIZE: u64 = 16 << 20;
/// End (exclusive) of the region where ELF segments and the heap live.
pub const HEAP_END: u64 = STACK_TOP - STACK_SIZE;
/// Start of the private input region: a 16-byte header followed by the payload.
pub const INPUT_START: u64 = 0x2000_0000;
/// Size of the private input header: `len: u32` little-endian, then 12 reserved zero bytes.
pub const INPUT_HEADER_LEN: u64 = 16;
/// Address of the first payload byte of the private input (16-byte aligned).
pub const INPUT_PAYLOAD_START: u64 = INPUT_START + INPUT_HEADER_LEN;
/// Largest private input payload, in bytes.
pub const INPUT_MAX_LEN: u64 = (256 << 20) - INPUT_HEADER_LEN;
/// End (exclusive) of all mapped memory. Every mapped address is below this bound.
pub const MEMORY_END: u64 = INPUT_START + INPUT_HEADER_LEN + INPUT_MAX_LEN;

/// log2 of the bytes of a continuation page: the unit a shard pages in and out, and a leaf of the
/// memory tree over `[0, 2^30)` (`docs/continuations.md`).
pub const PAGE_SHIFT: u32 = 10;
/// Depth of the memory tree: `2^MEMORY_TREE_DEPTH` pages cover `[0, 2^30)`.
pub const MEMORY_TREE_DEPTH: u32 = 30 - PAGE_SHIFT;

/// File descriptors accepted by [`syscall::WRITE`].
pub mod fd {
    /// Guest standard output (captured by the host, not part of the proof).
    pub const STDOUT: u64 = 1;
    /// Guest standard error (captured by the host, not part of the proof).
    pub const STDERR: u64 = 2;
}

/// System call numbers (value of `a7` at `ecall`).
pub mod syscall {
    /// End execution. `a0` = exit code (low 32 bits). Never returns.
    pub const HALT: u64 = 0;
    /// Write `a2` bytes at address `a1` to file descriptor `a0` ([`super::fd`]). Not proven output.
    pub const WRITE: u64 = 1;
    /// Append `a1` bytes at address `a0` to the public output (committed by the proof).
    pub const COMMIT: u64 = 2;
    /// End execution as a panic: `a1` bytes of UTF-8 message at address `a0` are reported to the
    /// host, and the exit code is [`super::PANIC_EXIT_CODE`]. Never returns.
    pub const PANIC: u64 = 3;
    /// Returns in `a0` the number of instructions executed before this `ecall`.
    pub const CYCLE_COUNT: u64 = 4;
    /// Returns in `a0` the byte length of the next item of the input stream, or `u64::MAX` when
    /// the stream is exhausted. Does not consume the item.
    pub const INPUT_LEN: u64 = 5;
    /// Copy the next item of the input stream to address `a0`, whose buffer is `a1` bytes long;
    /// `a1` must equal the item's length. Consumes the item.
    pub const INPUT_READ: u64 = 6;
    /// Fill `a1` bytes at address `a0` with host-supplied entropy. Execution fails with a clear
    /// error when the host supplied none: silently fixed "randomness" would be a security bug.
    pub const RANDOM: u64 = 7;
    /// Precompiles (accelerated operations) are numbered from here.
    pub const PRECOMPILE_BASE: u64 = 0x100;
    /// Replace the 16 KoalaBear words at address `a0` (64 bytes, 8-byte aligned, writable RAM)
    /// by their Poseidon2 permutation (width 16, Plonky3's constants). `a1` is the words'
    /// representation, [`super::poseidon2::CANONICAL`] or [`super::poseidon2::MONTGOMERY`]; the
    /// output uses the same one. Every word must be below [`super::poseidon2::MODULUS`].
    pub const POSEIDON2: u64 = PRECOMPILE_BASE;
    /// Write to the block at `a2` the combination `w * sum_c alpha^c v_c` of the `a1` KoalaBear
    /// values `v_c` at `a0` (8-byte aligned, `a1` even, in RAM), with `alpha` and `w` degree-4
    /// extension elements read from the same block; see [`super::ext_combine`].
    pub const EXT_COMBINE: u64 = PRECOMPILE_BASE + 1;
    /// [`POSEIDON2`] with one half of its input taken from elsewhere: the 8 KoalaBear words at
    /// `a2` (32 bytes, 8-byte aligned, in RAM) stand in for the state's first half (words 0..8)
    /// when `a1` is a representation, for its second half (words 8..16) when `a1` is a
    /// representation plus [`super::poseidon2::SECOND_HALF`]. The permutation of that input
    /// overwrites the 16 words at `a0`. The words at `a2` and the state's other half must be
    /// below [`super::poseidon2::MODULUS`]; the replaced half is not read as field elements.
    /// `a2` is read before the state is written, so it may lie in the state. A sponge absorbs a
    /// block, or a Merkle path takes in a sibling, without copying it into the state first.
    pub const POSEIDON2_FROM: u64 = PRECOMPILE_BASE + 2;
}

/// The [`syscall::EXT_COMBINE`] precompile's block layout.
///
/// Every word is the Montgomery form `x * 2^32 mod p` of a KoalaBear element (the in-memory form
/// of Plonky3's `KoalaBear`), below [`poseidon2::MODULUS`]. An extension element is its 4 basis
/// coefficients over `X^4 = 3` (Plonky3's `BinomialExtensionField<KoalaBear, 4>`, droste's
/// `Challenge`). The block holds `alpha` (words 0..4), `w` (4..8) and the result (8..12), which
/// the call writes; the values are read before the result is written.
pub mod ext_combine {
    /// Words of an extension element.
    pub const EXT_WORDS: usize = 4;
    /// Words of the block: `alpha`, `w`, result.
    pub const BLOCK_WORDS: usize = 3 * EXT_WORDS;
    /// Bytes of the block.
    pub const BLOCK_BYTES: u64 = 4 * BLOCK_WORDS as u64;
    /// Required alignment of the block and of the values: whole doublewords, the machine's
    /// memory cells.
    pub const ALIGN: u64 = 8;
    /// Word offset of `alpha` in the block.
    pub const ALPHA: usize = 0;
    /// Word offset of the weight `w` of the first value.
    pub const WEIGHT: usize = EXT_WORDS;
    /// Word offset of the result.
    pub const RESULT: usize = 2 * EXT_WORDS;
    /// The extension's `W`: its generator `X` satisfies `X^4 = W`.
    pub const W: u32 = 3;
}

/// The [`syscall::POSEIDON2`] precompile's state layout and word representations.
pub mod poseidon2 {
    /// Words in the state.
    pub const WIDTH: usize = 16;
    /// Bytes of the state in guest memory.
    pub const STATE_BYTES: u64 = 4 * WIDTH as u64;
    /// Required alignment of the state's address: whole doublewords, the machine's memory cells.
    pub const STATE_ALIGN: u64 = 8;
    /// The KoalaBear modulus `2^31 - 2^24 + 1`: every word must be below it.
    pub const MODULUS: u32 = 0x7f00_0001;
    /// `a1`: each word is the field element itself.
    pub const CANONICAL: u64 = 0;
    /// `a1`: each word is `x * 2^32 mod p` for the field element `x` (the in-memory form of
    /// Plonky3's `KoalaBear`, so a `[KoalaBear; 16]` can be passed as it is).
    pub const MONTGOMERY: u64 = 1;
    /// [`super::syscall::POSEIDON2_FROM`]'s `a1`: added to the representation when the words
    /// at `a2` replace the state's second half rather than its first.
    pub const SECOND_HALF: u64 = 2;
    /// Words [`super::syscall::POSEIDON2_FROM`] reads at `a2`: half the state.
    pub const HALF: usize = WIDTH / 2;
    /// Bytes [`super::syscall::POSEIDON2_FROM`] reads at `a2`.
    pub const HALF_BYTES: u64 = STATE_BYTES / 2;
}

/// Exit code reported when a guest panics (the same as a panicking native Rust program).
pub const PANIC_EXIT_CODE: u32 = 101;

// The map is ordered, the payload is 16-byte aligned, and every mapped address plus a doubleword
// stays below the KoalaBear modulus. Checked at compile time.
const _: () = {
    assert!(PROGRAM_START < HEAP_END && HEAP_END < STACK_TOP && STACK_TOP <= INPUT_START);
    assert!(INPUT_PAYLOAD_START % 16 == 0);
    assert!(MEMORY_END + 8 < (1 << 31) - (1 << 24) + 1);
};
