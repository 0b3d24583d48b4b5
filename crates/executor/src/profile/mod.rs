//! Cycle profile: where a run spent its instructions, by function, by step marker and by opcode,
//! and what each function and phase did that sizes a proof's tables.
//!
//! While running, the interpreter counts executions per instruction slot and per opcode of the
//! current step-marker phase (two increments per step), and notes system calls and the
//! doublewords it touches for the first time ([`collector`]). Everything else is derived
//! afterwards: a slot's function is the innermost ELF symbol containing it. Turning the
//! [`Activity`] of a function or phase into rows per table is the machine's business
//! (`droste_machine::prover::cost`), which keeps the table rules in one place.

mod collector;

use std::collections::BTreeMap;
use std::fmt;

use droste_isa::Opcode;

pub(crate) use collector::Collector;
pub use collector::DwordSet;

use crate::poseidon2::precompile_name;
use crate::program::Program;
use crate::record::SyscallEvent;

/// Name of the bucket for instructions outside every function symbol.
pub const NO_SYMBOL: &str = "<no symbol>";
/// Rows shown per section by `Display`.
const DISPLAY_ROWS: usize = 30;

/// What one function or one step-marker phase did that sizes a proof's tables. Cycles alone do
/// not: each instruction family has a table of its own, system call buffers and precompile
/// calls have theirs, and memory costs a row per doubleword touched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    /// Executions per opcode, most first (non-zero counts only).
    pub opcodes: Vec<(Opcode, u64)>,
    /// System calls, in clock order, as the execution record would hold them.
    pub syscalls: Vec<SyscallEvent>,
    /// Doublewords (`address / 8`) touched for the first time in the run: by a load, a store,
    /// a system call buffer or a precompile's state. Each touched doubleword is in exactly one
    /// function's list and one phase's list.
    pub new_dwords: Vec<u32>,
}

/// Cycles attributed to one function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionCycles {
    pub name: String,
    pub cycles: u64,
    /// What the function's own instructions did (inlined code counts for its caller).
    pub activity: Activity,
}

/// Cycles spent while a step marker was the latest one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkerCycles {
    /// The `N` of `addi x0, x0, N`; `None` for the cycles before the first marker.
    pub marker: Option<i64>,
    pub cycles: u64,
    /// What the phase did.
    pub activity: Activity,
}

/// The calls of one precompile and where the guest made them. A precompile call is one cycle
/// but a row of its own table, so the profile counts calls separately from cycles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrecompileCalls {
    /// The precompile (`poseidon2`, `ext_combine`).
    pub name: &'static str,
    pub calls: u64,
    /// Calls per function (the innermost ELF symbol of the `ecall`), most first.
    pub functions: Vec<(String, u64)>,
    /// Calls per step-marker phase (`None`: before the first marker), by marker value.
    pub markers: Vec<(Option<i64>, u64)>,
}

/// Where a run's cycles went. Each cycle list sums to `total_cycles`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub total_cycles: u64,
    /// Sorted by cycles, largest first.
    pub functions: Vec<FunctionCycles>,
    /// Sorted by marker value (`None` first).
    pub markers: Vec<MarkerCycles>,
    /// Executed opcodes, sorted by count, largest first.
    pub opcodes: Vec<(Opcode, u64)>,
    /// Precompile calls, by precompile name.
    pub precompiles: Vec<PrecompileCalls>,
}

/// An [`Activity`] being summed up, with its cycles.
struct Tally {
    cycles: u64,
    opcodes: [u64; Opcode::COUNT],
    syscalls: Vec<SyscallEvent>,
    new_dwords: Vec<u32>,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            cycles: 0,
            opcodes: [0; Opcode::COUNT],
            syscalls: Vec::new(),
            new_dwords: Vec::new(),
        }
    }
}

impl Tally {
    fn into_activity(mut self) -> (u64, Activity) {
        self.syscalls.sort_by_key(|call| call.clk);
        let activity = Activity {
            opcodes: nonzero_by_count(&self.opcodes),
            syscalls: self.syscalls,
            new_dwords: self.new_dwords,
        };
        (self.cycles, activity)
    }
}

/// The non-zero counts of `per_opcode`, largest first.
fn nonzero_by_count(per_opcode: &[u64; Opcode::COUNT]) -> Vec<(Opcode, u64)> {
    let mut opcodes: Vec<(Opcode, u64)> = Opcode::ALL
        .into_iter()
        .zip(per_opcode.iter().copied())
        .filter(|(_, count)| *count > 0)
        .collect();
    opcodes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    opcodes
}

impl Profile {
    /// Builds the profile from what `collector` saw in a run of `program`.
    pub(crate) fn new(program: &Program, collector: &Collector, total_cycles: u64) -> Profile {
        let (base, _) = program.code_range();
        let owners = innermost_symbols(program, collector.slot_counts.len());
        let function_name = |owner: Option<u32>| {
            owner
                .map_or(NO_SYMBOL, |i| program.symbols()[i as usize].name.as_str())
                .to_string()
        };
        let owner_of = |slot: u32| owners[slot as usize];

        let mut functions: BTreeMap<Option<u32>, Tally> = BTreeMap::new();
        let mut all_opcodes = [0u64; Opcode::COUNT];
        let counted = collector.slot_counts.iter().enumerate();
        for (slot, &count) in counted.filter(|(_, c)| **c > 0) {
            let tally = functions.entry(owners[slot]).or_default();
            tally.cycles += count;
            if let Some(instruction) = program.instruction_at(base + 4 * slot as u64) {
                tally.opcodes[instruction.opcode as usize] += count;
                all_opcodes[instruction.opcode as usize] += count;
            }
        }
        let mut markers = Vec::new();
        let mut precompiles: BTreeMap<&'static str, PrecompileTally> = BTreeMap::new();
        for (phase, opcodes) in collector.phases() {
            for &(slot, call) in &phase.syscalls {
                functions
                    .entry(owner_of(slot))
                    .or_default()
                    .syscalls
                    .push(call);
                if let Some(name) = precompile_name(call.number) {
                    let tally = precompiles.entry(name).or_default();
                    tally.calls += 1;
                    *tally.functions.entry(owner_of(slot)).or_default() += 1;
                    *tally.markers.entry(phase.marker).or_default() += 1;
                }
            }
            for &(dword, slot) in &phase.new_dwords {
                functions
                    .entry(owner_of(slot))
                    .or_default()
                    .new_dwords
                    .push(dword);
            }
            let cycles: u64 = opcodes.iter().sum();
            if cycles > 0 {
                let tally = Tally {
                    cycles,
                    opcodes: *opcodes,
                    syscalls: phase.syscalls.iter().map(|&(_, call)| call).collect(),
                    new_dwords: phase.new_dwords.iter().map(|&(dword, _)| dword).collect(),
                };
                markers.push((phase.marker, tally));
            }
        }
        markers.sort_by_key(|(marker, _)| *marker);
        let markers = markers
            .into_iter()
            .map(|(marker, tally)| {
                let (cycles, activity) = tally.into_activity();
                MarkerCycles {
                    marker,
                    cycles,
                    activity,
                }
            })
            .collect();

        let mut functions: Vec<FunctionCycles> = functions
            .into_iter()
            .map(|(owner, tally)| {
                let (cycles, activity) = tally.into_activity();
                FunctionCycles {
                    name: function_name(owner),
                    cycles,
                    activity,
                }
            })
            .collect();
        functions.sort_by(|a, b| b.cycles.cmp(&a.cycles).then_with(|| a.name.cmp(&b.name)));

        let precompiles = precompiles
            .into_iter()
            .map(|(name, tally)| {
                let mut functions: Vec<(String, u64)> = tally
                    .functions
                    .into_iter()
                    .map(|(owner, calls)| (function_name(owner), calls))
                    .collect();
                functions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                PrecompileCalls {
                    name,
                    calls: tally.calls,
                    functions,
                    markers: tally.markers.into_iter().collect(),
                }
            })
            .collect();

        Profile {
            total_cycles,
            functions,
            markers,
            opcodes: nonzero_by_count(&all_opcodes),
            precompiles,
        }
    }

    /// A text report with at most `rows` lines per section.
    pub fn report(&self, rows: usize) -> String {
        let mut out = format!("total cycles: {}\n", self.total_cycles);
        let functions = self.functions.iter().map(|f| (f.name.clone(), f.cycles));
        self.cycle_section(
            &mut out,
            "by function (innermost ELF symbol):",
            "function",
            functions.collect(),
            rows,
        );
        let markers = self
            .markers
            .iter()
            .map(|m| (phase_name(m.marker), m.cycles));
        self.cycle_section(
            &mut out,
            "by step marker (latest `addi x0, x0, N` executed):",
            "phase",
            markers.collect(),
            rows,
        );
        out.push_str(&self.opcode_report(rows));
        out.push_str(&self.precompile_report(rows));
        out
    }

    /// The report's section of executed opcodes (at most `rows` lines).
    pub fn opcode_report(&self, rows: usize) -> String {
        let mut out = String::new();
        let opcodes = self.opcodes.iter();
        self.cycle_section(
            &mut out,
            "by opcode:",
            "opcode",
            opcodes
                .map(|(op, count)| (op.mnemonic().to_string(), *count))
                .collect(),
            rows,
        );
        out
    }

    /// The report's section of precompile calls (empty without calls).
    pub fn precompile_report(&self, rows: usize) -> String {
        let mut out = String::new();
        if self.precompiles.is_empty() {
            return out;
        }
        out.push_str(&format!(
            "\nprecompile calls (one cycle each, a row of the precompile's table):\n{:>14}  where\n",
            "calls"
        ));
        for p in &self.precompiles {
            out.push_str(&format!("{:>14}  {} (all)\n", p.calls, p.name));
            for (function, calls) in p.functions.iter().take(rows) {
                out.push_str(&format!("{calls:>14}  {} in {function}\n", p.name));
            }
            for (marker, calls) in &p.markers {
                let phase = match marker {
                    Some(n) => format!("in marker {n}"),
                    None => phase_name(None),
                };
                out.push_str(&format!("{calls:>14}  {} {phase}\n", p.name));
            }
        }
        out
    }

    /// One section of `(label, cycles)` lines with their share of the run, the rest summed up.
    fn cycle_section(
        &self,
        out: &mut String,
        title: &str,
        label: &str,
        lines: Vec<(String, u64)>,
        rows: usize,
    ) {
        let percent = |cycles: u64| 100.0 * cycles as f64 / self.total_cycles.max(1) as f64;
        out.push_str(&format!(
            "\n{title}\n{:>14}  {:>6}  {label}\n",
            "cycles", "%"
        ));
        let hidden = lines.len().saturating_sub(rows);
        for (label, cycles) in lines.iter().take(rows) {
            out.push_str(&format!(
                "{cycles:>14}  {:>5.1}%  {label}\n",
                percent(*cycles)
            ));
        }
        if hidden > 0 {
            let rest: u64 = lines.iter().skip(rows).map(|(_, c)| c).sum();
            out.push_str(&format!(
                "{rest:>14}  {:>5.1}%  ({hidden} more)\n",
                percent(rest)
            ));
        }
    }
}

/// How reports name a step-marker phase.
pub fn phase_name(marker: Option<i64>) -> String {
    marker.map_or("before the first marker".to_string(), |n| {
        format!("marker {n}")
    })
}

impl fmt::Display for Profile {
    /// The report with the top rows of each section.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report(DISPLAY_ROWS))
    }
}

/// For each code slot, the index of the smallest function symbol containing it. Symbols are
/// painted largest first, so nested (inlined or local) symbols overwrite their parents.
fn innermost_symbols(program: &Program, slots: usize) -> Vec<Option<u32>> {
    let (base, _) = program.code_range();
    let mut owners = vec![None; slots];
    let mut order: Vec<usize> = (0..program.symbols().len()).collect();
    order
        .sort_by_key(|&i| std::cmp::Reverse(program.symbols()[i].end - program.symbols()[i].start));
    for index in order {
        let symbol = &program.symbols()[index];
        let first = symbol.start.saturating_sub(base).div_ceil(4) as usize;
        let last = (symbol.end.saturating_sub(base).div_ceil(4) as usize).min(slots);
        for owner in owners.iter_mut().take(last).skip(first) {
            *owner = Some(index as u32);
        }
    }
    owners
}

/// Precompile calls being counted: per function owner and per marker phase.
#[derive(Default)]
struct PrecompileTally {
    calls: u64,
    functions: BTreeMap<Option<u32>, u64>,
    markers: BTreeMap<Option<i64>, u64>,
}
