//! What the interpreter collects while profiling, per step-marker phase: executions per
//! instruction slot and per opcode, system calls, and the doublewords of memory touched for the
//! first time. It is everything the proving-cost profile needs (which table gets how many rows)
//! without an execution record, so a run far longer than one proof can be profiled in little
//! memory: a few counters per instruction, one entry per system call and per doubleword.

use std::collections::BTreeMap;

use droste_isa::abi::MEMORY_END;
use droste_isa::Opcode;

use crate::record::SyscallEvent;

/// One phase: the cycles from a step marker to the next (or from the start, `marker: None`).
/// A marker value seen again continues its phase.
#[derive(Clone, Debug)]
pub(crate) struct Phase {
    pub marker: Option<i64>,
    /// Executions per opcode (`Opcode as usize`), while another phase runs (the running
    /// phase's live counts are [`Collector::opcodes`]).
    opcodes: [u64; Opcode::COUNT],
    /// System calls with the predecoded slot of their `ecall`, in clock order.
    pub syscalls: Vec<(u32, SyscallEvent)>,
    /// Doublewords first touched in this phase, with the slot of the instruction that did it.
    pub new_dwords: Vec<(u32, u32)>,
}

impl Phase {
    fn new(marker: Option<i64>) -> Self {
        Self {
            marker,
            opcodes: [0; Opcode::COUNT],
            syscalls: Vec::new(),
            new_dwords: Vec::new(),
        }
    }
}

/// The profiling state of one run, kept across slices of `Machine::run_for`.
#[derive(Clone, Debug)]
pub(crate) struct Collector {
    /// Executions per predecoded slot.
    pub slot_counts: Vec<u64>,
    /// Executions per opcode in the running phase: one increment per step into a small array
    /// (the interpreter's local copy while it runs), swapped when a marker changes the phase
    /// (markers are rare, steps are not).
    pub opcodes: [u64; Opcode::COUNT],
    current: usize,
    phases: Vec<Phase>,
    phase_of: BTreeMap<Option<i64>, usize>,
    touched: DwordSet,
}

impl Default for Collector {
    /// An empty collector that allocates nothing (the interpreter's placeholder when it does
    /// not profile).
    fn default() -> Self {
        Self {
            slot_counts: Vec::new(),
            opcodes: [0; Opcode::COUNT],
            current: 0,
            phases: Vec::new(),
            phase_of: BTreeMap::new(),
            touched: DwordSet { bits: Vec::new() },
        }
    }
}

impl Collector {
    /// A collector for a program of `slots` predecoded instruction slots, in the phase before
    /// the first marker.
    pub fn new(slots: usize) -> Self {
        Self {
            slot_counts: vec![0; slots],
            phases: vec![Phase::new(None)],
            phase_of: BTreeMap::from([(None, 0)]),
            touched: DwordSet::new(),
            ..Self::default()
        }
    }

    /// Step marker `marker` executes: it and the steps after it belong to its phase. `live` are
    /// the running phase's opcode counts, replaced by the new phase's.
    pub fn enter_phase(&mut self, marker: i64, live: &mut [u64; Opcode::COUNT]) {
        let next = *self.phase_of.entry(Some(marker)).or_insert_with(|| {
            self.phases.push(Phase::new(Some(marker)));
            self.phases.len() - 1
        });
        if next != self.current {
            self.phases[self.current].opcodes = *live;
            *live = self.phases[next].opcodes;
            self.current = next;
        }
    }

    /// The instruction in `slot` accessed `len > 0` bytes at `addr` (an access that succeeded,
    /// so inside mapped memory): notes the doublewords no earlier access touched.
    #[inline(always)]
    pub fn touch(&mut self, addr: u64, len: u64, slot: usize) {
        let (first, last) = (addr / 8, (addr + len - 1) / 8);
        // Nearly every access is to memory touched before: two bit tests, no loop.
        if !(self.touched.contains(first) && self.touched.contains(last)) {
            self.touch_new(first, last, slot);
        }
    }

    #[cold]
    fn touch_new(&mut self, first: u64, last: u64, slot: usize) {
        for dword in first..=last {
            if self.touched.insert(dword) {
                self.phases[self.current]
                    .new_dwords
                    .push((dword as u32, slot as u32));
            }
        }
    }

    /// The `ecall` in `slot` made `call`.
    pub fn syscall(&mut self, slot: usize, call: SyscallEvent) {
        self.phases[self.current].syscalls.push((slot as u32, call));
    }

    /// The phases seen so far, in order of first entry, each with its opcode counts.
    pub fn phases(&self) -> impl Iterator<Item = (&Phase, &[u64; Opcode::COUNT])> {
        self.phases.iter().enumerate().map(|(i, phase)| {
            let opcodes = if i == self.current {
                &self.opcodes
            } else {
                &phase.opcodes
            };
            (phase, opcodes)
        })
    }
}

/// A set of doubleword indices (`address / 8`) below `MEMORY_END / 8`: one bit each, allocated
/// zeroed, so the operating system maps only the pages of the regions a run touches. The
/// profiler uses it for first touches, and the machine's height rules for the doublewords its
/// memory tables hold.
#[derive(Clone, Debug)]
pub struct DwordSet {
    bits: Vec<u64>,
}

impl DwordSet {
    /// The empty set.
    pub fn new() -> Self {
        Self {
            bits: vec![0; (MEMORY_END / 8).div_ceil(64) as usize],
        }
    }

    /// Whether `dword` is in the set (indices past the memory map count as present: they are
    /// never added).
    #[inline(always)]
    pub fn contains(&self, dword: u64) -> bool {
        let (word, bit) = ((dword / 64) as usize, 1u64 << (dword % 64));
        self.bits.get(word).is_none_or(|bits| bits & bit != 0)
    }

    /// Adds `dword`; whether it was new (never for an index at or above `MEMORY_END / 8`, which
    /// no mapped address has).
    #[inline(always)]
    pub fn insert(&mut self, dword: u64) -> bool {
        let (word, bit) = ((dword / 64) as usize, 1u64 << (dword % 64));
        match self.bits.get_mut(word) {
            Some(bits) if *bits & bit == 0 => {
                *bits |= bit;
                true
            }
            _ => false,
        }
    }
}

impl Default for DwordSet {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_switch_phases_and_a_repeated_marker_continues_its_own() {
        let mut c = Collector::new(4);
        let mut live = [0; Opcode::COUNT];
        live[Opcode::Addi as usize] += 2;
        c.enter_phase(5, &mut live);
        live[Opcode::Add as usize] += 1;
        c.touch(0x1_0007, 2, 3);
        c.enter_phase(6, &mut live);
        live[Opcode::Sub as usize] += 1;
        c.enter_phase(5, &mut live);
        live[Opcode::Add as usize] += 4;
        c.touch(0x1_0000, 8, 1);
        c.opcodes = live;
        let phases: Vec<_> = c
            .phases()
            .map(|(p, ops)| (p.marker, ops.iter().sum::<u64>(), p.new_dwords.clone()))
            .collect();
        let dw = (0x1_0000 / 8) as u32;
        assert_eq!(
            phases,
            vec![
                (None, 2, vec![]),
                (Some(5), 5, vec![(dw, 3), (dw + 1, 3)]),
                (Some(6), 1, vec![]),
            ]
        );
    }

    #[test]
    fn dword_sets_refuse_indices_past_the_memory_map() {
        let mut set = DwordSet::new();
        assert!(set.insert(0) && !set.insert(0));
        assert!(set.insert(MEMORY_END / 8 - 1));
        assert!(!set.insert(MEMORY_END / 8 + 64));
    }
}
