//! The buses between the machine's tables, their tuple layouts, and how a table's `eval` declares
//! its interactions.
//!
//! Every tuple layout is fixed here and nowhere else; `docs/machine.md` explains why each bus is
//! sound. Senders and receivers must agree on the layout element by element, so every send or
//! receive of a bus goes through one helper of this module or of the gadget that owns the bus
//! ([`crate::frame`], [`crate::fetch`], [`crate::memory_access`], [`crate::lookup`]).
//!
//! | bus | tuple |
//! |---|---|
//! | [`STATE`] | `(clk, pc)` |
//! | [`PROGRAM`] | `(pc, family, rd, rs1, rs2, imm_lo, imm_hi, imm_neg, target, control[5])`, see [`crate::fetch`] |
//! | [`MEMORY`] | `(space, addr, ts, value[4])` |
//! | [`RANGE`] | `(x, bits)`: `0 <= x < 2^bits`, `bits` in [`crate::lookup::RANGE_WIDTHS`] |
//! | [`BYTE`] | `(op, a, b, c)`: `c = a op b` on bytes, see [`crate::lookup::ByteOp`] |
//! | [`OUTPUT`] | `(index, byte)` |
//! | [`OUTPUT_CURSOR`] | `(offset, min_clk)` |
//! | [`EXIT`] | `(code_lo16, code_hi16, output_len)` |
//! | [`BUFFER`] | `(clk, addr, remaining, output_index, is_write, is_output)` |
//! | [`IMAGE_END`] | `(last_image_doubleword)` |
//! | [`POSEIDON2`] | `(clk, addr, montgomery)` |
//!
//! # Declaring interactions in `eval`
//!
//! A table writes its constraints *and* its sends/receives in one `eval`, generic over
//! [`MachineBuilder`]. The proof system's builders ignore the interactions (the stark crate
//! evaluates them itself from [`droste_stark::Table::interactions`]); the
//! [`InteractionCollector`] ignores the constraints and records the interactions, which is how
//! [`collect_interactions`] implements `Table::interactions` for every table. So a gadget's
//! constraints and bus traffic live in one function and cannot drift apart.

use alloc::vec::Vec;

use droste_stark::{Direction, Interaction, ProverFolder, RowEvaluator, Val, VerifierFolder};
use p3_air::{Air, AirBuilder, AirLayout, BaseAir, SymbolicAirBuilder, SymbolicExpression};

/// A bus id (the stark crate's [`droste_stark::BusId`]).
pub type Bus = droste_stark::BusId;

/// `(clk, pc)`: the machine state token passed from each instruction to the next.
pub const STATE: Bus = 1;
/// `(pc, family, rd, rs1, rs2, imm_lo, imm_hi, imm_neg, target, control[5])`: instruction
/// fetch from the program ROM (the layout is [`crate::fetch::RomEntry`]'s).
pub const PROGRAM: Bus = 2;
/// `(space, addr, ts, value[4])`: offline memory checking of registers and RAM.
pub const MEMORY: Bus = 3;
/// `(x, bits)`: range checks.
pub const RANGE: Bus = 4;
/// `(op, a, b, c)`: byte operations and byte range checks.
pub const BYTE: Bus = 5;
/// `(index, byte)`: public output bytes.
pub const OUTPUT: Bus = 6;
/// `(offset, min_clk)`: the chain of COMMIT calls, in clock order, ending at the halt.
pub const OUTPUT_CURSOR: Bus = 7;
/// `(code_lo16, code_hi16, output_len)`: the exit of the program, sent once by HALT or PANIC.
pub const EXIT: Bus = 8;
/// `(clk, addr, remaining, output_index, is_write, is_output)`: the bytes of a system call
/// buffer still to process.
pub const BUFFER: Bus = 9;
/// `(addr)`: the last doubleword of the memory image, where the dynamic memory table starts.
pub const IMAGE_END: Bus = 10;
/// `(clk, addr, montgomery)`: a POSEIDON2 call, from its `ecall` row to its `poseidon2` row.
pub const POSEIDON2: Bus = 11;

/// Memory spaces (first element of a [`MEMORY`] tuple): registers, read/write RAM
/// (`PROGRAM_START..STACK_TOP`) and the read-only private input (`INPUT_START..`). A cell
/// exists only where an init table creates it, so a store can never reach the input region or
/// a register, whatever address it computes.
pub mod space {
    /// Registers x0..x31 at addresses 0..31.
    pub const REGISTER: u32 = 0;
    /// Read/write RAM, one cell per aligned doubleword (address = byte address).
    pub const RAM: u32 = 1;
    /// The private input region, read-only, one cell per aligned doubleword.
    pub const INPUT: u32 = 2;
}

/// An `AirBuilder` on which a table can also send and receive bus tuples.
///
/// The default methods ignore the interaction: only the [`InteractionCollector`] records them.
pub trait MachineBuilder: AirBuilder<F = Val> {
    /// Adds `multiplicity` copies of `values` to `bus` (this row sends).
    fn send<I, E>(&mut self, bus: Bus, values: I, multiplicity: impl Into<Self::Expr>)
    where
        I: IntoIterator<Item = E>,
        E: Into<Self::Expr>,
    {
        let _ = (bus, values, multiplicity);
    }

    /// Takes `multiplicity` copies of `values` from `bus` (this row receives).
    fn receive<I, E>(&mut self, bus: Bus, values: I, multiplicity: impl Into<Self::Expr>)
    where
        I: IntoIterator<Item = E>,
        E: Into<Self::Expr>,
    {
        let _ = (bus, values, multiplicity);
    }
}

impl MachineBuilder for SymbolicAirBuilder<Val> {}
impl MachineBuilder for VerifierFolder<'_> {}
impl MachineBuilder for ProverFolder<'_> {}
impl MachineBuilder for RowEvaluator<'_> {}

/// Runs a table's `eval` symbolically and keeps its interactions (and nothing else).
pub struct InteractionCollector {
    inner: SymbolicAirBuilder<Val>,
    interactions: Vec<Interaction>,
}

impl AirBuilder for InteractionCollector {
    type F = Val;
    type Expr = SymbolicExpression<Val>;
    type Var = <SymbolicAirBuilder<Val> as AirBuilder>::Var;
    type PreprocessedWindow = <SymbolicAirBuilder<Val> as AirBuilder>::PreprocessedWindow;
    type MainWindow = <SymbolicAirBuilder<Val> as AirBuilder>::MainWindow;
    type PublicVar = <SymbolicAirBuilder<Val> as AirBuilder>::PublicVar;
    type PeriodicVar = <SymbolicAirBuilder<Val> as AirBuilder>::PeriodicVar;

    fn main(&self) -> Self::MainWindow {
        self.inner.main()
    }

    fn preprocessed(&self) -> &Self::PreprocessedWindow {
        self.inner.preprocessed()
    }

    fn is_first_row(&self) -> Self::Expr {
        self.inner.is_first_row()
    }

    fn is_last_row(&self) -> Self::Expr {
        self.inner.is_last_row()
    }

    fn is_transition(&self) -> Self::Expr {
        self.inner.is_transition()
    }

    fn assert_zero<I: Into<Self::Expr>>(&mut self, _x: I) {}
}

impl MachineBuilder for InteractionCollector {
    fn send<I, E>(&mut self, bus: Bus, values: I, multiplicity: impl Into<Self::Expr>)
    where
        I: IntoIterator<Item = E>,
        E: Into<Self::Expr>,
    {
        self.push(bus, Direction::Send, values, multiplicity.into());
    }

    fn receive<I, E>(&mut self, bus: Bus, values: I, multiplicity: impl Into<Self::Expr>)
    where
        I: IntoIterator<Item = E>,
        E: Into<Self::Expr>,
    {
        self.push(bus, Direction::Receive, values, multiplicity.into());
    }
}

impl InteractionCollector {
    fn push<I, E>(
        &mut self,
        bus: Bus,
        direction: Direction,
        values: I,
        multiplicity: SymbolicExpression<Val>,
    ) where
        I: IntoIterator<Item = E>,
        E: Into<SymbolicExpression<Val>>,
    {
        let values: Vec<SymbolicExpression<Val>> = values.into_iter().map(Into::into).collect();
        self.interactions.push(match direction {
            Direction::Send => Interaction::send(bus, values, multiplicity),
            Direction::Receive => Interaction::receive(bus, values, multiplicity),
        });
    }
}

/// The interactions `table`'s `eval` declares, in declaration order: the implementation of
/// [`droste_stark::Table::interactions`] for every machine table.
pub fn collect_interactions<A>(table: &A) -> Vec<Interaction>
where
    A: BaseAir<Val> + Air<InteractionCollector>,
{
    let layout = AirLayout {
        preprocessed_width: table.preprocessed_width(),
        main_width: table.width(),
        ..AirLayout::default()
    };
    let mut collector = InteractionCollector {
        inner: SymbolicAirBuilder::new(layout),
        interactions: Vec::new(),
    };
    table.eval(&mut collector);
    collector.interactions
}
