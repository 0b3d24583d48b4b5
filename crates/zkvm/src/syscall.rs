//! Raw `ecall`s: number in `a7`, arguments in `a0..`, result in `a0` (see `droste_isa::abi`).
//! Calls without a result still declare `a0` clobbered, so the host may leave anything there.

use core::arch::asm;
use core::mem::MaybeUninit;
use droste_isa::abi::syscall;

/// Ends execution with `code`.
pub fn halt(code: u32) -> ! {
    // SAFETY: HALT reads only registers and never returns.
    unsafe {
        asm!("ecall", in("a7") syscall::HALT, in("a0") u64::from(code), options(noreturn, nostack));
    }
}

/// Ends execution as a panic with `message`; the host reports exit code
/// [`droste_isa::abi::PANIC_EXIT_CODE`].
pub fn panic(message: &[u8]) -> ! {
    // SAFETY: PANIC reads `message` (valid for its length) and never returns.
    unsafe {
        asm!(
            "ecall",
            in("a7") syscall::PANIC,
            in("a0") message.as_ptr(),
            in("a1") message.len(),
            options(noreturn, nostack, readonly)
        );
    }
}

/// Writes `bytes` to the host's file descriptor `fd` (`droste_isa::abi::fd`).
pub fn write(fd: u64, bytes: &[u8]) {
    // SAFETY: WRITE only reads `bytes`, which is valid for its length.
    unsafe {
        asm!(
            "ecall",
            in("a7") syscall::WRITE,
            inlateout("a0") fd => _,
            in("a1") bytes.as_ptr(),
            in("a2") bytes.len(),
            options(nostack, readonly, preserves_flags)
        );
    }
}

/// Appends `bytes` to the public output.
pub fn commit(bytes: &[u8]) {
    // SAFETY: COMMIT only reads `bytes`, which is valid for its length.
    unsafe {
        asm!(
            "ecall",
            in("a7") syscall::COMMIT,
            inlateout("a0") bytes.as_ptr() => _,
            in("a1") bytes.len(),
            options(nostack, readonly, preserves_flags)
        );
    }
}

/// Instructions executed before this call.
pub fn cycle_count() -> u64 {
    let cycles: u64;
    // SAFETY: CYCLE_COUNT touches no memory.
    unsafe {
        asm!(
            "ecall",
            in("a7") syscall::CYCLE_COUNT,
            lateout("a0") cycles,
            options(nostack, nomem, preserves_flags)
        );
    }
    cycles
}

/// Length of the next input item, or `None` when the input stream is exhausted.
pub fn input_len() -> Option<usize> {
    let len: u64;
    // SAFETY: INPUT_LEN touches no guest memory.
    unsafe {
        asm!(
            "ecall",
            in("a7") syscall::INPUT_LEN,
            lateout("a0") len,
            options(nostack, nomem, preserves_flags)
        );
    }
    (len != u64::MAX).then_some(len as usize)
}

/// Moves the next input item into `buffer`, whose length must be [`input_len`].
pub fn input_read(buffer: &mut [MaybeUninit<u8>]) {
    // SAFETY: INPUT_READ writes exactly `buffer.len()` bytes into `buffer`.
    unsafe {
        asm!(
            "ecall",
            in("a7") syscall::INPUT_READ,
            inlateout("a0") buffer.as_mut_ptr() => _,
            in("a1") buffer.len(),
            options(nostack, preserves_flags)
        );
    }
}

/// Replaces the 16 words at `state` by their Poseidon2 permutation in `representation`
/// (`droste_isa::abi::poseidon2`).
///
/// # Safety
/// `state` must be valid for reading and writing 64 bytes and 8-byte aligned.
pub unsafe fn poseidon2(state: *mut u32, representation: u64) {
    // SAFETY: the caller guarantees `state`; the call changes only those 64 bytes.
    unsafe {
        asm!(
            "ecall",
            in("a7") syscall::POSEIDON2,
            in("a0") state,
            in("a1") representation,
            options(nostack, preserves_flags)
        );
    }
}

/// Replaces the 16 words at `state` by the Poseidon2 permutation of those words with one half
/// taken from the 8 words at `words` instead: `mode` is the representation
/// (`droste_isa::abi::poseidon2`), plus `SECOND_HALF` for the second half.
///
/// # Safety
/// `state` must be valid for reading and writing 64 bytes and 8-byte aligned; `words` valid for
/// reading 32 bytes, 8-byte aligned and in RAM (below `STACK_TOP`).
pub unsafe fn poseidon2_from(state: *mut u32, mode: u64, words: *const u32) {
    // SAFETY: the caller guarantees `state` and `words`; the call changes only the state.
    unsafe {
        asm!(
            "ecall",
            in("a7") syscall::POSEIDON2_FROM,
            in("a0") state,
            in("a1") mode,
            in("a2") words,
            options(nostack, preserves_flags)
        );
    }
}

/// Writes `w * sum_c alpha^c v_c` over the `count` Montgomery words at `values` into the
/// block at `block` (`droste_isa::abi::ext_combine`).
///
/// # Safety
/// `values` must be valid for reading `4 * count` bytes, 8-byte aligned, with `count` even, and
/// `block` valid for reading and writing 48 bytes and 8-byte aligned.
pub unsafe fn ext_combine(values: *const u32, count: usize, block: *mut u32) {
    // SAFETY: the caller guarantees both ranges; the call writes only the block's result.
    unsafe {
        asm!(
            "ecall",
            in("a7") syscall::EXT_COMBINE,
            in("a0") values,
            in("a1") count,
            in("a2") block,
            options(nostack, preserves_flags)
        );
    }
}

/// Fills `buffer` with host-supplied entropy (execution fails if the host supplied none).
pub fn random(buffer: &mut [u8]) {
    // SAFETY: RANDOM writes exactly `buffer.len()` bytes into `buffer`.
    unsafe {
        asm!(
            "ecall",
            in("a7") syscall::RANDOM,
            inlateout("a0") buffer.as_mut_ptr() => _,
            in("a1") buffer.len(),
            options(nostack, preserves_flags)
        );
    }
}
