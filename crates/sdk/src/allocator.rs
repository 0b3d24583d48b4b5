//! One process-wide allocator setting for programs that prove, and the process's peak memory.

/// Has glibc serve large allocations from its heap rather than mapping a fresh block for each.
///
/// A proof allocates and frees buffers of hundreds of MiB many times over: LDEs, DFT scratch,
/// quotient-domain evaluations, and more of them at blowup 4, where droste-pcs recomputes LDEs
/// from coefficients instead of keeping them. glibc maps every block above its mmap threshold
/// when it is allocated and unmaps it when it is freed, so each reuse faults the pages in again
/// and the kernel zeroes them: on a sha256 proof of 2^20 cycles at the default preset that was
/// 3.9 million page faults and 14.7 s of system time out of 49 s of CPU (prove time 26 s). With
/// the threshold raised, freed blocks stay in the heap for the next allocation (0.6 million
/// faults, 1.9 s of system time, prove time 19 s; BENCHMARKS.md).
///
/// Call it once at the start of a program that proves (the `droste` CLI does). It only changes
/// where glibc takes large blocks from; elsewhere than glibc it does nothing.
pub fn tune_allocator_for_proving() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets an allocator parameter; any value is valid (glibc refuses
    // values it does not support by returning 0, which leaves the default in place).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, i32::MAX);
    }
}

/// The peak resident memory of this process so far (`VmHWM`), in KiB: what benchmarks report as
/// a prove's peak memory. `None` where `/proc/self/status` does not say (outside Linux).
pub fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}
