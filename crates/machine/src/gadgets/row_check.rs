//! Test support for the arithmetic chips: evaluates a chip's `eval` on every row of a trace, in
//! isolation from the other tables.
//!
//! The machine-level tests prove whole programs; these checks are finer. On every row they report
//! the first failing constraint, and they check every RANGE and BYTE lookup the row sends against
//! what the range and byte tables contain (a value in range, a correct byte operation), so a
//! tampered witness that satisfies all constraints but sends an impossible lookup is caught too.
//! They also compare the lookups `eval` sends with those trace generation recorded in the
//! [`LookupCounter`], which must agree exactly for the lookup tables to balance, and check each
//! row's PROGRAM fetch against the ROM row of its event's instruction, so a control column
//! that disagrees with the program (a wrong `is_sub`, a wrong register) is caught too.

use std::collections::BTreeMap;

use droste_stark::Val;
use p3_air::{Air, AirBuilder, RowWindow};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

use droste_isa::{alu::alu, Format, Instruction, Opcode};

use crate::bus::{Bus, MachineBuilder, BYTE, PROGRAM, RANGE};
use crate::chips::InstructionChip;
use crate::columns::ColumnNames;
use crate::events::FrameEvent;
use crate::fetch::RomEntry;
use crate::lookup::{ByteOp, LookupCounter, RANGE_WIDTHS};

/// Why a trace is not a valid witness of a chip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowFailure {
    /// Constraint number `index` (in `eval` order) is not zero on `row`.
    Constraint { row: usize, index: usize },
    /// `row` sends a RANGE, BYTE or PROGRAM tuple the lookup tables (or the ROM) do not
    /// contain.
    Lookup {
        row: usize,
        bus: Bus,
        values: Vec<u32>,
    },
}

/// A lookup tuple and how often it was sent.
type Tally = BTreeMap<(Bus, Vec<u32>), u64>;

/// An `AirBuilder` on one concrete row pair that records failing constraints and sends.
pub struct RowChecker<'a> {
    main: RowWindow<'a, Val>,
    preprocessed: RowWindow<'a, Val>,
    next_constraint: usize,
    failures: Vec<usize>,
    sends: Vec<(Bus, Vec<Val>, Val)>,
}

impl<'a> AirBuilder for RowChecker<'a> {
    type F = Val;
    type Expr = Val;
    type Var = Val;
    type PreprocessedWindow = RowWindow<'a, Val>;
    type MainWindow = RowWindow<'a, Val>;
    type PublicVar = Val;
    type PeriodicVar = Val;

    fn main(&self) -> Self::MainWindow {
        self.main
    }

    fn preprocessed(&self) -> &Self::PreprocessedWindow {
        &self.preprocessed
    }

    fn is_first_row(&self) -> Val {
        unreachable!("instruction chips use no row selectors")
    }

    fn is_last_row(&self) -> Val {
        unreachable!("instruction chips use no row selectors")
    }

    fn is_transition(&self) -> Val {
        unreachable!("instruction chips use no row selectors")
    }

    fn assert_zero<I: Into<Val>>(&mut self, x: I) {
        if x.into() != Val::ZERO {
            self.failures.push(self.next_constraint);
        }
        self.next_constraint += 1;
    }
}

impl MachineBuilder for RowChecker<'_> {
    fn send<I, E>(&mut self, bus: Bus, values: I, multiplicity: impl Into<Val>)
    where
        I: IntoIterator<Item = E>,
        E: Into<Val>,
    {
        let values = values.into_iter().map(Into::into).collect();
        self.sends.push((bus, values, multiplicity.into()));
    }
}

/// Whether the range or byte table holds `values` (other buses are not checked here).
fn in_lookup_table(bus: Bus, values: &[u32]) -> bool {
    match (bus, values) {
        (RANGE, &[x, bits]) => RANGE_WIDTHS.contains(&bits) && u64::from(x) < 1 << bits,
        (BYTE, &[op, a, b, c]) => {
            let Some(&op) = ByteOp::ALL.get(op as usize) else {
                return false;
            };
            a < 256 && b < 256 && u32::from(op.apply(a as u8, b as u8)) == c
        }
        (RANGE | BYTE, _) => false,
        _ => true,
    }
}

/// The ROM of `events`: the PROGRAM tuple of each event's instruction.
fn rom_of(events: &[FrameEvent]) -> Vec<Vec<u32>> {
    events
        .iter()
        .map(|e| {
            RomEntry::of(e.pc, &e.instruction)
                .tuple()
                .iter()
                .map(|v| v.as_canonical_u32())
                .collect()
        })
        .collect()
}

/// Checks `rows` of `trace` against `chip` (its fetches against `rom`, when given) and returns
/// the RANGE and BYTE lookups they send.
fn check_rows<C>(
    chip: &C,
    trace: &RowMajorMatrix<Val>,
    rom: Option<&[Vec<u32>]>,
    rows: impl IntoIterator<Item = usize>,
) -> Result<Tally, RowFailure>
where
    C: for<'a> Air<RowChecker<'a>>,
{
    let width = trace.width();
    let height = trace.height();
    let mut tally = Tally::new();
    for row in rows {
        let next = (row + 1) % height;
        let mut checker = RowChecker {
            main: RowWindow::from_two_rows(
                &trace.values[row * width..(row + 1) * width],
                &trace.values[next * width..(next + 1) * width],
            ),
            preprocessed: RowWindow::from_two_rows(&[], &[]),
            next_constraint: 0,
            failures: Vec::new(),
            sends: Vec::new(),
        };
        chip.eval(&mut checker);
        if let Some(&index) = checker.failures.first() {
            return Err(RowFailure::Constraint { row, index });
        }
        for (bus, values, multiplicity) in checker.sends {
            if multiplicity == Val::ZERO || !(bus == RANGE || bus == BYTE || bus == PROGRAM) {
                continue;
            }
            let values: Vec<u32> = values.iter().map(|v| v.as_canonical_u32()).collect();
            if bus == PROGRAM {
                let Some(rom) = rom else { continue };
                if multiplicity != Val::ONE || !rom.contains(&values) {
                    return Err(RowFailure::Lookup { row, bus, values });
                }
                continue;
            }
            if multiplicity != Val::ONE || !in_lookup_table(bus, &values) {
                return Err(RowFailure::Lookup { row, bus, values });
            }
            *tally.entry((bus, values)).or_default() += 1;
        }
    }
    Ok(tally)
}

/// The lookups recorded in `counter`, in the layout `eval` sends them.
fn recorded(counter: &LookupCounter) -> Tally {
    let mut tally = Tally::new();
    for (w, counts) in counter.range_counts().iter().enumerate() {
        for (x, &n) in counts.iter().enumerate().filter(|(_, &n)| n > 0) {
            tally.insert((RANGE, vec![x as u32, RANGE_WIDTHS[w]]), u64::from(n));
        }
    }
    for (op, counts) in ByteOp::ALL.iter().zip(counter.byte_counts()) {
        for (ab, &n) in counts.iter().enumerate().filter(|(_, &n)| n > 0) {
            let (a, b) = ((ab / 256) as u8, (ab % 256) as u8);
            let values = vec![
                *op as u32,
                u32::from(a),
                u32::from(b),
                u32::from(op.apply(a, b)),
            ];
            tally.insert((BYTE, values), u64::from(n));
        }
    }
    tally
}

/// Checks an honest trace of `events`: every row satisfies `chip`, and the lookups it sends are
/// exactly those trace generation recorded in `counter`. Panics with the first problem.
pub fn assert_honest<C>(
    chip: &C,
    trace: &RowMajorMatrix<Val>,
    events: &[FrameEvent],
    counter: &LookupCounter,
) where
    C: for<'a> Air<RowChecker<'a>>,
{
    let sent = check_rows(chip, trace, Some(&rom_of(events)), 0..trace.height())
        .unwrap_or_else(|failure| panic!("{failure:?}"));
    assert_eq!(
        sent,
        recorded(counter),
        "sent lookups differ from the recorded ones"
    );
}

/// The first problem of row `row` of a trace of `events`, if any. The instruction chips never
/// read the next row, so after tampering with one row, checking that row is checking the trace.
pub fn first_failure<C>(
    chip: &C,
    trace: &RowMajorMatrix<Val>,
    events: &[FrameEvent],
    row: usize,
) -> Option<RowFailure>
where
    C: for<'a> Air<RowChecker<'a>>,
{
    check_rows(chip, trace, Some(&rom_of(events)), [row]).err()
}

/// [`first_failure`] for a chip whose rows fetch instructions no [`FrameEvent`] describes (the
/// `ecall` chip): everything but the PROGRAM fetch is checked.
pub fn first_failure_unfetched<C>(
    chip: &C,
    trace: &RowMajorMatrix<Val>,
    row: usize,
) -> Option<RowFailure>
where
    C: for<'a> Air<RowChecker<'a>>,
{
    check_rows(chip, trace, None, [row]).err()
}

/// For each result limb `frame.rd.value[m]` of row `row`: the first problem of that row once the
/// limb alone is off by one (what every chip's "wrong result" test asks to be `Some`).
pub fn result_limb_failures<Cols, C>(
    chip: &C,
    trace: &RowMajorMatrix<Val>,
    events: &[FrameEvent],
    row: usize,
) -> Vec<Option<RowFailure>>
where
    Cols: ColumnNames,
    C: for<'a> Air<RowChecker<'a>>,
{
    (0..crate::columns::WORD_LIMBS)
        .map(|m| {
            let name = format!("frame.rd.value[{m}]");
            let bad = cell::<Cols>(trace, row, &name) + Val::ONE;
            first_failure(
                chip,
                &with_cell::<Cols>(trace, row, &name, bad),
                events,
                row,
            )
        })
        .collect()
}

/// The event of `op` at clock `clk` on `rs1` and the second operand `b`: `rs2` for register
/// forms (x5 = x6 op x7), the immediate for immediate forms (x5 = x6 op imm), with the result the
/// executor computes.
pub fn event(op: Opcode, rs1: u64, b: u64, clk: u32) -> FrameEvent {
    let instruction = match op.format() {
        Format::R => Instruction::r(op, 5, 6, 7),
        _ => Instruction::i(op, 5, 6, b as i32),
    };
    let rs2_value = if op.format() == Format::R { b } else { 0 };
    let alu_op = op.alu_op().expect("an ALU opcode");
    let pc = 0x1000 + 4 * clk;
    FrameEvent {
        clk,
        pc,
        next_pc: pc + 4,
        instruction,
        rs1_value: rs1,
        rs2_value,
        result: alu(alu_op, rs1, b),
        rs1_prev_ts: 0,
        rs2_prev_ts: 0,
        rd_prev_ts: 0,
        rd_prev_value: 0,
    }
}

/// `b` cut to what the second operand of `op` can hold: anything for register forms, 12 signed
/// bits for immediates, a 6- or 5-bit amount for immediate shifts.
fn cut_operand(op: Opcode, b: u64) -> u64 {
    match op.format() {
        Format::R => b,
        Format::Shift => {
            b & if op.alu_op().is_some_and(is_word_shift) {
                31
            } else {
                63
            }
        }
        _ => (b as i64 as i32).wrapping_shl(20).wrapping_shr(20) as i64 as u64,
    }
}

fn is_word_shift(op: droste_isa::AluOp) -> bool {
    use droste_isa::AluOp::*;
    matches!(op, Sllw | Srlw | Sraw)
}

/// Events of each of `ops` on every pair of `values` (the second operand cut to what the opcode
/// can hold).
pub fn events_on_pairs(ops: &[Opcode], values: &[u64]) -> Vec<FrameEvent> {
    let pairs: Vec<(u64, u64)> = values
        .iter()
        .flat_map(|&a| values.iter().map(move |&b| (a, b)))
        .collect();
    events_on(ops, &pairs)
}

/// Events of each of `ops` on each of `pairs` (the second operand cut to what the opcode can
/// hold).
pub fn events_on(ops: &[Opcode], pairs: &[(u64, u64)]) -> Vec<FrameEvent> {
    let mut events = Vec::new();
    for &op in ops {
        for &(a, b) in pairs {
            events.push(event(op, a, cut_operand(op, b), events.len() as u32 + 1));
        }
    }
    events
}

/// Edge values of 64-bit operands: 0, 1, -1, the 64- and 32-bit extremes and a few mixed limbs.
pub const EDGE_VALUES: [u64; 12] = [
    0,
    1,
    2,
    u64::MAX,
    i64::MIN as u64,
    i64::MAX as u64,
    i32::MIN as i64 as u64,
    i32::MAX as u64,
    u32::MAX as u64,
    0x8000,
    0x1234_5678_9abc_def0,
    0xfedc_ba98_7654_3210,
];

/// `n` pseudo-random operand pairs that stress limb-wise logic: independent words, words that
/// differ in one limb only, small values, and words built from 0, `0xffff` and `0x8000` limbs.
pub fn random_pairs(n: usize, seed: u64) -> Vec<(u64, u64)> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let special = |rng: &mut rand::rngs::StdRng| -> u64 {
        (0..4).fold(0, |acc, i| {
            acc | [0, 0xffff, 0x8000, 1][rng.gen_range(0..4)] << (16 * i)
        })
    };
    (0..n)
        .map(|i| match i % 4 {
            0 => (rng.gen(), rng.gen()),
            1 => {
                let a: u64 = rng.gen();
                let limb = 16 * rng.gen_range(0..4);
                (a, a ^ (u64::from(rng.gen::<u16>()) << limb))
            }
            2 => (rng.gen_range(0..100), rng.gen_range(0..100)),
            _ => (special(&mut rng), special(&mut rng)),
        })
        .collect()
}

/// Generates the trace of `events` and checks it as [`assert_honest`] does.
pub fn assert_chip_honest<C>(chip: &C, events: &[FrameEvent]) -> RowMajorMatrix<Val>
where
    C: InstructionChip + for<'a> Air<RowChecker<'a>>,
{
    let counter = LookupCounter::default();
    let trace = chip.generate_trace(events, &counter);
    assert_honest(chip, &trace, events, &counter);
    trace
}

/// `trace` with the cell of column `name` (as `Cols::<Col>::names()` spells it) in `row` set
/// to `value`.
pub fn with_cell<Cols: ColumnNames>(
    trace: &RowMajorMatrix<Val>,
    row: usize,
    name: &str,
    value: Val,
) -> RowMajorMatrix<Val> {
    let names = Cols::names();
    let column = names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    let mut tampered = trace.clone();
    tampered.values[row * trace.width() + column] = value;
    tampered
}

/// The value of column `name` in `row`.
pub fn cell<Cols: ColumnNames>(trace: &RowMajorMatrix<Val>, row: usize, name: &str) -> Val {
    let column = Cols::names()
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    trace.values[row * trace.width() + column]
}
