//! The `sys_*` functions that Rust's std calls on `target_os = "zkvm"`.
//!
//! std declares them in `library/std/src/sys/pal/zkvm/abi.rs` (the names and signatures come from
//! RISC Zero's platform crate) and `panic_abort` calls `sys_panic`. Each one maps onto a droste
//! system call. Calls droste has no meaning for end the guest with a message that says so:
//! computing a plausible-looking wrong answer would be worse.

use core::alloc::Layout;
use core::slice;
use droste_isa::abi;

use crate::entry::{allocate, heap, out_of_memory};
use crate::syscall;

/// std's `fileno` values (RISC Zero's numbering), as passed to `sys_read` / `sys_write`.
mod fileno {
    pub const STDIN: u32 = 0;
    pub const STDOUT: u32 = 1;
    pub const STDERR: u32 = 2;
}

fn unsupported(message: &str) -> ! {
    syscall::panic(message.as_bytes())
}

/// Ends the guest with exit code 0.
#[unsafe(no_mangle)]
pub extern "C" fn sys_halt() -> ! {
    syscall::halt(0)
}

/// RISC Zero's journal words. droste's public output is `droste_zkvm::io::commit`.
#[unsafe(no_mangle)]
pub extern "C" fn sys_output(_output_id: u32, _output_value: u32) {
    unsupported(
        "sys_output is not supported by droste: commit public output with droste_zkvm::io::commit",
    )
}

/// RISC Zero's SHA-256 accelerator; droste has none (use the `sha2` crate).
#[unsafe(no_mangle)]
pub extern "C" fn sys_sha_compress(
    _out_state: *mut [u32; 8],
    _in_state: *const [u32; 8],
    _block1: *const [u32; 8],
    _block2: *const [u32; 8],
) {
    unsupported(
        "sys_sha_compress is not supported by droste: use a software SHA-256 (the sha2 crate)",
    )
}

/// RISC Zero's SHA-256 accelerator; droste has none (use the `sha2` crate).
#[unsafe(no_mangle)]
pub extern "C" fn sys_sha_buffer(
    _out_state: *mut [u32; 8],
    _in_state: *const [u32; 8],
    _buf: *const u8,
    _count: u32,
) {
    unsupported(
        "sys_sha_buffer is not supported by droste: use a software SHA-256 (the sha2 crate)",
    )
}

/// Fills `words` words with host entropy (std's randomness, e.g. `HashMap`'s seed). Ends the
/// guest with an error when the host supplied no entropy.
///
/// # Safety
/// `recv_buf` must be valid for writing `words` `u32`s.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sys_rand(recv_buf: *mut u32, words: usize) {
    let Some(len) = words.checked_mul(4) else {
        unsupported("sys_rand: request too large")
    };
    // SAFETY: the caller guarantees `recv_buf` is valid for `words` words.
    syscall::random(unsafe { slice::from_raw_parts_mut(recv_buf.cast::<u8>(), len) });
}

/// Ends the guest as a panic with the given UTF-8 message.
///
/// # Safety
/// `msg_ptr` must be valid for reading `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sys_panic(msg_ptr: *const u8, len: usize) -> ! {
    // SAFETY: the caller guarantees `msg_ptr` is valid for `len` bytes.
    syscall::panic(unsafe { slice::from_raw_parts(msg_ptr, len) })
}

/// Writes one log line to the host's stderr.
///
/// # Safety
/// `msg_ptr` must be valid for reading `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sys_log(msg_ptr: *const u8, len: usize) {
    // SAFETY: the caller guarantees `msg_ptr` is valid for `len` bytes.
    syscall::write(abi::fd::STDERR, unsafe {
        slice::from_raw_parts(msg_ptr, len)
    });
    syscall::write(abi::fd::STDERR, b"\n");
}

/// Instructions executed so far.
#[unsafe(no_mangle)]
pub extern "C" fn sys_cycle_count() -> usize {
    syscall::cycle_count() as usize
}

/// Guest stdin is always at end of file: guest input is the typed input stream (`io::read`).
#[unsafe(no_mangle)]
pub extern "C" fn sys_read(fd: u32, _recv_buf: *mut u8, _nrequested: usize) -> usize {
    if fd != fileno::STDIN {
        unsupported("sys_read: only stdin can be read")
    }
    0
}

/// Writes to the host's stdout or stderr (captured by the host, not proven).
///
/// # Safety
/// `write_buf` must be valid for reading `nbytes` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sys_write(fd: u32, write_buf: *const u8, nbytes: usize) {
    let fd = match fd {
        fileno::STDOUT => abi::fd::STDOUT,
        fileno::STDERR => abi::fd::STDERR,
        _ => unsupported("sys_write: only stdout and stderr can be written"),
    };
    // SAFETY: the caller guarantees `write_buf` is valid for `nbytes` bytes.
    syscall::write(fd, unsafe { slice::from_raw_parts(write_buf, nbytes) });
}

/// Guests have no environment variables: every lookup finds nothing (`usize::MAX`).
#[unsafe(no_mangle)]
pub extern "C" fn sys_getenv(
    _recv_buf: *mut u32,
    _words: usize,
    _varname: *const u8,
    _varname_len: usize,
) -> usize {
    usize::MAX
}

/// Guests have no command-line arguments.
#[unsafe(no_mangle)]
pub extern "C" fn sys_argc() -> usize {
    0
}

/// Guests have no command-line arguments, so no index is valid.
#[unsafe(no_mangle)]
pub extern "C" fn sys_argv(_out_words: *mut u32, _out_nwords: usize, _arg_index: usize) -> usize {
    unsupported("sys_argv: guests have no command-line arguments")
}

/// Allocates `nwords` 4-byte words from the guest heap.
#[unsafe(no_mangle)]
pub extern "C" fn sys_alloc_words(nwords: usize) -> *mut u32 {
    let bytes = nwords.saturating_mul(4);
    match Layout::from_size_align(bytes, 4) {
        Ok(layout) => allocate(layout).cast(),
        Err(_) => out_of_memory(heap().out_of_memory(bytes, 4)),
    }
}

/// Allocates `bytes` bytes aligned to `align` from the guest heap (std's `System` allocator).
#[unsafe(no_mangle)]
pub extern "C" fn sys_alloc_aligned(bytes: usize, align: usize) -> *mut u8 {
    match Layout::from_size_align(bytes, align) {
        Ok(layout) => allocate(layout),
        Err(_) => {
            unsupported("sys_alloc_aligned: alignment is not a power of two or size overflows")
        }
    }
}
