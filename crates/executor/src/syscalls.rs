//! System calls (`ecall`), as fixed by [`droste_isa::abi`].

use droste_isa::abi::poseidon2::{HALF_BYTES, STATE_BYTES};
use droste_isa::abi::{ext_combine, fd, syscall, PANIC_EXIT_CODE};
use rand_chacha::rand_core::RngCore;

use crate::error::ExecError;
use crate::machine::{Exit, Machine};
use crate::record::{aligned_pieces, try_push, ExecutionRecord, MemoryEvent, SyscallEvent};

pub(crate) const A0: usize = 10;
pub(crate) const A1: usize = 11;
pub(crate) const A2: usize = 12;
pub(crate) const A7: usize = 17;

/// What an `ecall` did, for the interpreter loop.
pub(crate) struct EcallDone {
    /// The guest ended.
    pub halted: bool,
    /// The call, as the record keeps it.
    pub call: SyscallEvent,
    /// The guest memory the call read or wrote, `(addr, len)`: its buffer, a precompile's
    /// state (and POSEIDON2_FROM's source), or EXT_COMBINE's values and block (for the
    /// profiler's first touches).
    pub memory: [Option<(u64, u64)>; 2],
}

fn bad(pc: u64, syscall: &'static str, reason: String) -> ExecError {
    ExecError::BadSyscall {
        pc,
        syscall,
        reason,
    }
}

impl Machine<'_> {
    /// Performs the system call selected by `a7`. With `RECORD`, appends the call and its
    /// buffer accesses to `record`.
    pub(crate) fn ecall<const RECORD: bool>(
        &mut self,
        pc: u64,
        clk: u64,
        record: &mut ExecutionRecord,
    ) -> Result<EcallDone, ExecError> {
        let number = self.regs[A7];
        let (a0, a1, a2) = (self.regs[A0], self.regs[A1], self.regs[A2]);
        let mut halted = false;
        // Each arm names the guest memory it read or wrote; EXT_COMBINE also its block,
        // POSEIDON2_FROM its source.
        let mut block = None;
        let memory = match number {
            syscall::HALT => {
                self.exit = Some(Exit {
                    code: a0 as u32,
                    panic_message: None,
                });
                halted = true;
                None
            }
            syscall::WRITE => {
                let bytes = self.read_guest::<RECORD>(pc, clk, a1, a2, record)?;
                match a0 {
                    fd::STDOUT => self.io.stdout.extend_from_slice(&bytes),
                    fd::STDERR => self.io.stderr.extend_from_slice(&bytes),
                    other => {
                        let reason =
                            format!("file descriptor {other} is neither stdout (1) nor stderr (2)");
                        return Err(bad(pc, "WRITE", reason));
                    }
                }
                Some((a1, a2))
            }
            syscall::COMMIT => {
                let bytes = self.read_guest::<RECORD>(pc, clk, a0, a1, record)?;
                self.io.public_output.extend_from_slice(&bytes);
                Some((a0, a1))
            }
            syscall::PANIC => {
                let bytes = self.read_guest::<RECORD>(pc, clk, a0, a1, record)?;
                let message = String::from_utf8_lossy(&bytes).into_owned();
                self.exit = Some(Exit {
                    code: PANIC_EXIT_CODE,
                    panic_message: Some(message),
                });
                halted = true;
                Some((a0, a1))
            }
            syscall::CYCLE_COUNT => {
                self.regs[A0] = clk;
                None
            }
            syscall::INPUT_LEN => {
                let len = self
                    .io
                    .stream
                    .get(self.io.next_item)
                    .map(|item| item.len() as u64);
                self.regs[A0] = len.unwrap_or(u64::MAX);
                None
            }
            syscall::INPUT_READ => {
                let stream = self.io.stream;
                let Some(item) = stream.get(self.io.next_item) else {
                    return Err(bad(
                        pc,
                        "INPUT_READ",
                        "the input stream is exhausted".to_string(),
                    ));
                };
                if a1 != item.len() as u64 {
                    let reason = format!(
                        "buffer of {a1} bytes for an input item of {} bytes",
                        item.len()
                    );
                    return Err(bad(pc, "INPUT_READ", reason));
                }
                self.write_guest::<RECORD>(pc, clk, a0, item, record)?;
                self.io.next_item += 1;
                Some((a0, a1))
            }
            syscall::RANDOM => {
                // Check the range before allocating a host buffer of the guest-chosen size.
                self.memory.check_writable(a0, a1).map_err(|f| f.at(pc))?;
                let Some(rng) = self.io.rng.as_mut() else {
                    return Err(ExecError::NoEntropy { pc });
                };
                let mut bytes = vec![0u8; a1 as usize];
                rng.fill_bytes(&mut bytes);
                self.write_guest::<RECORD>(pc, clk, a0, &bytes, record)?;
                Some((a0, a1))
            }
            syscall::POSEIDON2 => {
                self.poseidon2::<RECORD>(pc, clk, (a0, a1), None, record)?;
                Some((a0, STATE_BYTES))
            }
            syscall::POSEIDON2_FROM => {
                self.poseidon2::<RECORD>(pc, clk, (a0, a1), Some(a2), record)?;
                block = Some((a2, HALF_BYTES));
                Some((a0, STATE_BYTES))
            }
            syscall::EXT_COMBINE => {
                self.ext_combine(pc, a0, a1, a2)?;
                block = Some((a2, ext_combine::BLOCK_BYTES));
                Some((a0, 4 * a1))
            }
            number => return Err(ExecError::UnknownSyscall { pc, number }),
        };
        let call = SyscallEvent {
            clk,
            number,
            args: [a0, a1, a2],
            result: self.regs[A0],
        };
        if RECORD {
            try_push(&mut record.syscalls, call)
                .map_err(|_| ExecError::RecordTooLarge { pc, cycles: clk })?;
        }
        Ok(EcallDone {
            halted,
            call,
            memory: [memory, block],
        })
    }

    /// Copies `len` guest bytes at `addr` for a system call, recording the reads.
    fn read_guest<const RECORD: bool>(
        &mut self,
        pc: u64,
        clk: u64,
        addr: u64,
        len: u64,
        record: &mut ExecutionRecord,
    ) -> Result<Vec<u8>, ExecError> {
        let mut bytes = Vec::new();
        self.memory
            .read_bytes(addr, len, &mut bytes)
            .map_err(|f| f.at(pc))?;
        if RECORD {
            record_buffer(record, pc, clk, addr, &bytes, None)?;
        }
        Ok(bytes)
    }

    /// Writes `bytes` into guest memory for a system call, recording the writes with the bytes
    /// they replace.
    fn write_guest<const RECORD: bool>(
        &mut self,
        pc: u64,
        clk: u64,
        addr: u64,
        bytes: &[u8],
        record: &mut ExecutionRecord,
    ) -> Result<(), ExecError> {
        let mut previous = Vec::new();
        if RECORD {
            self.memory
                .read_bytes(addr, bytes.len() as u64, &mut previous)
                .map_err(|f| f.at(pc))?;
        }
        self.memory.write_bytes(addr, bytes).map_err(|f| f.at(pc))?;
        if RECORD {
            record_buffer(record, pc, clk, addr, bytes, Some(&previous))?;
        }
        Ok(())
    }
}

/// Records a system call buffer as aligned pieces; `previous` is the old content for writes.
fn record_buffer(
    record: &mut ExecutionRecord,
    pc: u64,
    clk: u64,
    addr: u64,
    bytes: &[u8],
    previous: Option<&[u8]>,
) -> Result<(), ExecError> {
    let le = |slice: &[u8]| {
        slice
            .iter()
            .rev()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
    };
    for (offset, width) in aligned_pieces(addr, bytes.len() as u64) {
        let range = offset as usize..offset as usize + usize::from(width);
        let value = le(&bytes[range.clone()]);
        let event = MemoryEvent {
            clk,
            addr: (addr + offset) as u32,
            width,
            write: previous.is_some(),
            value,
            prev_value: previous.map_or(value, |p| le(&p[range])),
        };
        try_push(&mut record.memory, event)
            .map_err(|_| ExecError::RecordTooLarge { pc, cycles: clk })?;
    }
    Ok(())
}
