//! Cycle profile: where a run spent its instructions, by function, by step marker and by opcode.
//!
//! While running, the interpreter only counts executions per instruction slot (one increment per
//! step). Everything else is derived afterwards: a slot's function is the innermost ELF symbol
//! containing it, and marker phases follow from the list of markers and their cycles. Opcode
//! counts are what later sizes the machine's per-opcode tables.

use std::collections::BTreeMap;
use std::fmt;

use droste_isa::Opcode;

use crate::program::Program;

/// Name of the bucket for instructions outside every function symbol.
pub const NO_SYMBOL: &str = "<no symbol>";
/// Rows shown per section by `Display`.
const DISPLAY_ROWS: usize = 30;

/// Cycles attributed to one function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionCycles {
    pub name: String,
    pub cycles: u64,
}

/// Cycles spent while a step marker was the latest one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkerCycles {
    /// The `N` of `addi x0, x0, N`; `None` for the cycles before the first marker.
    pub marker: Option<i64>,
    pub cycles: u64,
}

/// The calls of one precompile and where the guest made them. A precompile call is one cycle
/// but a row of its own table, so the profile counts calls separately from cycles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrecompileCalls {
    /// The precompile (`poseidon2`).
    pub name: &'static str,
    pub calls: u64,
    /// Calls per function (the innermost ELF symbol of the `ecall`), most first.
    pub functions: Vec<(String, u64)>,
    /// Calls per step-marker phase (`None`: before the first marker), by marker value.
    pub markers: Vec<(Option<i64>, u64)>,
}

/// One precompile call as the interpreter notes it while profiling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PrecompileCall {
    pub clk: u64,
    /// Predecoded slot of the `ecall`.
    pub slot: usize,
    pub name: &'static str,
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

impl Profile {
    /// Builds the profile from per-slot execution counts and the markers seen.
    pub(crate) fn new(
        program: &Program,
        slot_counts: &[u64],
        markers: &[(u64, i64)],
        precompile_calls: &[PrecompileCall],
        total_cycles: u64,
    ) -> Profile {
        let (base, _) = program.code_range();
        let owners = innermost_symbols(program, slot_counts.len());
        let function_name = |owner: Option<u32>| {
            owner
                .map_or(NO_SYMBOL, |i| program.symbols()[i as usize].name.as_str())
                .to_string()
        };
        let mut functions: BTreeMap<Option<u32>, u64> = BTreeMap::new();
        let mut opcodes = [0u64; Opcode::COUNT];
        for (slot, &count) in slot_counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            *functions.entry(owners[slot]).or_default() += count;
            if let Some(instruction) = program.instruction_at(base + 4 * slot as u64) {
                opcodes[instruction.opcode as usize] += count;
            }
        }
        let mut functions: Vec<FunctionCycles> = functions
            .into_iter()
            .map(|(owner, cycles)| FunctionCycles {
                name: function_name(owner),
                cycles,
            })
            .collect();
        functions.sort_by(|a, b| b.cycles.cmp(&a.cycles).then_with(|| a.name.cmp(&b.name)));

        let mut opcodes: Vec<(Opcode, u64)> = Opcode::ALL
            .into_iter()
            .zip(opcodes)
            .filter(|(_, count)| *count > 0)
            .collect();
        opcodes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

        let mut precompiles: BTreeMap<&'static str, PrecompileTally> = BTreeMap::new();
        for call in precompile_calls {
            let tally = precompiles.entry(call.name).or_default();
            tally.calls += 1;
            *tally.functions.entry(owners[call.slot]).or_default() += 1;
            let phase = markers
                .iter()
                .take_while(|(cycle, _)| *cycle <= call.clk)
                .last()
                .map(|&(_, marker)| marker);
            *tally.markers.entry(phase).or_default() += 1;
        }
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
            markers: marker_phases(markers, total_cycles),
            opcodes,
            precompiles,
        }
    }

    /// A text report with at most `rows` lines per section.
    pub fn report(&self, rows: usize) -> String {
        let mut out = format!("total cycles: {}\n", self.total_cycles);
        let percent = |cycles: u64| 100.0 * cycles as f64 / self.total_cycles.max(1) as f64;
        let mut section = |title: &str, label: &str, lines: Vec<(String, u64)>| {
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
        };
        section(
            "by function (innermost ELF symbol):",
            "function",
            self.functions
                .iter()
                .map(|f| (f.name.clone(), f.cycles))
                .collect(),
        );
        section(
            "by step marker (latest `addi x0, x0, N` executed):",
            "phase",
            self.markers
                .iter()
                .map(|m| {
                    (
                        m.marker.map_or("before the first marker".to_string(), |n| {
                            format!("marker {n}")
                        }),
                        m.cycles,
                    )
                })
                .collect(),
        );
        section(
            "by opcode:",
            "opcode",
            self.opcodes
                .iter()
                .map(|(op, count)| (op.mnemonic().to_string(), *count))
                .collect(),
        );
        if !self.precompiles.is_empty() {
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
                    let phase = marker.map_or("before the first marker".to_string(), |n| {
                        format!("in marker {n}")
                    });
                    out.push_str(&format!("{calls:>14}  {} {phase}\n", p.name));
                }
            }
        }
        out
    }
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

/// Cycles per marker value: each marker's phase runs from its cycle to the next marker's.
fn marker_phases(markers: &[(u64, i64)], total_cycles: u64) -> Vec<MarkerCycles> {
    let mut phases: BTreeMap<Option<i64>, u64> = BTreeMap::new();
    let mut current = None;
    let mut since = 0;
    for &(cycle, marker) in markers {
        *phases.entry(current).or_default() += cycle - since;
        current = Some(marker);
        since = cycle;
    }
    *phases.entry(current).or_default() += total_cycles - since;
    phases
        .into_iter()
        .filter(|(_, cycles)| *cycles > 0)
        .map(|(marker, cycles)| MarkerCycles { marker, cycles })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_phases_split_at_each_marker() {
        let phases = marker_phases(&[(10, 1), (15, 2), (20, 1)], 100);
        assert_eq!(
            phases,
            vec![
                MarkerCycles {
                    marker: None,
                    cycles: 10
                },
                MarkerCycles {
                    marker: Some(1),
                    cycles: 5 + 80
                },
                MarkerCycles {
                    marker: Some(2),
                    cycles: 5
                },
            ]
        );
        assert_eq!(
            marker_phases(&[], 7),
            vec![MarkerCycles {
                marker: None,
                cycles: 7
            }]
        );
        // A marker as the very first instruction leaves no "before" phase.
        assert_eq!(
            marker_phases(&[(0, 3)], 4),
            vec![MarkerCycles {
                marker: Some(3),
                cycles: 4
            }]
        );
    }
}
