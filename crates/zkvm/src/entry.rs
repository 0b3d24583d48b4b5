//! Program entry, the global allocator, the panic hook, and small machine helpers.

use core::alloc::{GlobalAlloc, Layout};
use core::fmt::{self, Write as _};
use droste_isa::abi;

use crate::heap::{BumpHeap, OutOfMemory};
use crate::syscall;

// `_start` is the ELF entry (see `toolchain/droste.ld`). It sets the global pointer (the loader
// leaves it zero) and the stack pointer (so the runtime does not rely on the loader for it) before
// any Rust code runs.
// `.option norelax` keeps the linker from rewriting `la gp` into a gp-relative access of itself.
core::arch::global_asm!(
    ".section .text._start, \"ax\", @progbits",
    ".globl _start",
    ".type _start, @function",
    "_start:",
    ".option push",
    ".option norelax",
    "la gp, __global_pointer$",
    ".option pop",
    "li sp, {stack_top}",
    "call {start}",
    stack_top = const abi::STACK_TOP,
    start = sym droste_start,
);

unsafe extern "C" {
    /// First address after the program's segments (defined by the linker script).
    static _end: u8;
}

unsafe extern "Rust" {
    /// The guest's `main`, defined by [`crate::entrypoint!`].
    fn __droste_guest_main();
}

extern "C" fn droste_start() -> ! {
    heap().init((&raw const _end) as usize, abi::HEAP_END as usize);
    std::panic::set_hook(Box::new(|info| {
        syscall::panic(info.to_string().as_bytes());
    }));
    // SAFETY: `entrypoint!` defines this symbol as a safe `fn()`.
    unsafe { __droste_guest_main() };
    syscall::halt(0)
}

/// Ends the guest now with `code` as its exit code (`std::process::exit` is not available on
/// `target_os = "zkvm"`).
pub fn halt(code: u32) -> ! {
    syscall::halt(code)
}

/// Instructions executed so far (by this guest, up to this call).
pub fn cycle_count() -> u64 {
    syscall::cycle_count()
}

/// Marks the start of profiling phase `N` with `addi x0, x0, N`, a no-op that the profiler sees
/// (`droste run --profile` buckets cycles by the latest marker). `N` is a non-zero 12-bit signed
/// immediate, checked at compile time.
#[inline(always)]
pub fn step_marker<const N: i32>() {
    const {
        assert!(
            N != 0 && N >= -2048 && N <= 2047,
            "step marker must be a non-zero 12-bit signed immediate"
        )
    };
    // SAFETY: writing x0 has no effect. Memory is not declared untouched, so the compiler keeps
    // loads and stores on their side of the marker.
    unsafe { core::arch::asm!("addi x0, x0, {n}", n = const N, options(nostack, preserves_flags)) };
}

/// The guest's heap. Guests have exactly one thread, so unsynchronised access is sound.
struct GuestHeap(BumpHeap);

// SAFETY: a guest runs on one hart with no threads or interrupts: no concurrent access exists.
unsafe impl Sync for GuestHeap {}

static HEAP: GuestHeap = GuestHeap(BumpHeap::empty());

pub(crate) fn heap() -> &'static BumpHeap {
    &HEAP.0
}

/// Allocates `layout` or ends the guest with a panic message naming the request.
pub(crate) fn allocate(layout: Layout) -> *mut u8 {
    match heap().alloc(layout) {
        Ok(address) => address as *mut u8,
        Err(error) => out_of_memory(error),
    }
}

/// Ends the guest reporting `error`. Formats into a stack buffer: the heap is full.
pub(crate) fn out_of_memory(error: OutOfMemory) -> ! {
    let mut message = StackMessage {
        bytes: [0; 160],
        len: 0,
    };
    // Truncation is the only possible failure and still leaves a readable message.
    let _ = write!(message, "{error}");
    syscall::panic(&message.bytes[..message.len])
}

struct StackMessage {
    bytes: [u8; 160],
    len: usize,
}

impl fmt::Write for StackMessage {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = self.bytes.len() - self.len;
        let taken = text.len().min(room);
        self.bytes[self.len..self.len + taken].copy_from_slice(&text.as_bytes()[..taken]);
        self.len += taken;
        if taken == text.len() {
            Ok(())
        } else {
            Err(fmt::Error)
        }
    }
}

/// The `#[global_allocator]`: the bump heap, with in-place growth of the newest block.
struct GuestAllocator;

#[global_allocator]
static ALLOCATOR: GuestAllocator = GuestAllocator;

// SAFETY: blocks come from `BumpHeap`, which hands out disjoint, aligned ranges inside
// `[_end, HEAP_END)`; running out ends the guest instead of returning null.
unsafe impl GlobalAlloc for GuestAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        allocate(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let (address, dirty) = match heap().alloc_with_dirty_prefix(layout) {
            Ok(block) => block,
            Err(error) => out_of_memory(error),
        };
        let ptr = address as *mut u8;
        // SAFETY: the block is live and `dirty <= layout.size()`; the rest is still zero.
        unsafe { core::ptr::write_bytes(ptr, 0, dirty) };
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        heap().dealloc(ptr as usize, layout);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if heap().resize_in_place(ptr as usize, layout.size(), new_size) {
            return ptr;
        }
        // SAFETY: the caller guarantees `new_size`, rounded up to `layout.align()`, fits `isize`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let new_ptr = allocate(new_layout);
        // SAFETY: both blocks are live, disjoint, and at least `min(old, new)` bytes long.
        unsafe { core::ptr::copy_nonoverlapping(ptr, new_ptr, layout.size().min(new_size)) };
        new_ptr
    }
}
