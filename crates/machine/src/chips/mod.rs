//! The instruction chips: one table per instruction family, each row an instruction frame plus
//! the family's own columns. [`instruction_chips`] is the registry of the chips whose rows are
//! built from [`FrameEvent`]s alone; the machine proves every table it lists.

use alloc::boxed::Box;
use alloc::vec::Vec;

use droste_isa::Opcode;
use droste_stark::{ProverTable, Val};
use p3_matrix::dense::RowMajorMatrix;

use crate::events::FrameEvent;
use crate::lookup::LookupCounter;

pub mod add_sub;
pub mod bitwise;
pub mod buffer;
pub mod constant;
pub mod control;
pub mod divrem;
pub mod ecall;
pub mod ext_combine;
pub mod lt;
pub mod memory;
pub mod mul;
pub mod poseidon2;
pub mod shift;

/// A chip proving the instructions of some opcodes from their [`FrameEvent`]s.
pub trait InstructionChip: ProverTable {
    /// The opcodes whose executions this chip proves. Every opcode is proven by exactly one chip.
    fn opcodes(&self) -> &'static [Opcode];

    /// The chip's main trace for `events` (all of them have one of [`Self::opcodes`]), padded
    /// with zero rows to a power of two; records every lookup it makes in `lookups`.
    fn generate_trace(&self, events: &[FrameEvent], lookups: &LookupCounter)
        -> RowMajorMatrix<Val>;
}

/// Implements [`InstructionChip`] for a chip whose trace is one `$cols` row per event, filled by
/// `$populate(&mut $cols<Val>, &FrameEvent, &LookupCounter)`, and which proves the opcodes in
/// `$opcodes`.
#[macro_export]
macro_rules! impl_instruction_chip {
    ($chip:ty, $cols:ident, $opcodes:expr, $populate:path) => {
        impl $crate::chips::InstructionChip for $chip {
            fn opcodes(&self) -> &'static [droste_isa::Opcode] {
                &$opcodes
            }

            fn generate_trace(
                &self,
                events: &[$crate::events::FrameEvent],
                lookups: &$crate::lookup::LookupCounter,
            ) -> p3_matrix::dense::RowMajorMatrix<droste_stark::Val> {
                $crate::trace::rows_from_events(events, $cols::<u8>::WIDTH, |event, row| {
                    let cols: &mut $cols<droste_stark::Val> =
                        core::borrow::BorrowMut::borrow_mut(row);
                    $populate(cols, event, lookups);
                })
            }
        }
    };
}

/// The instruction chips, in proving order. Add a chip with one line here.
pub fn instruction_chips() -> Vec<Box<dyn InstructionChip>> {
    vec![
        Box::new(add_sub::AddSubChip),
        Box::new(add_sub::AddImmChip),
        Box::new(constant::ConstantChip),
        Box::new(control::BranchChip),
        Box::new(control::JalrChip),
        Box::new(bitwise::BitwiseChip),
        Box::new(bitwise::BitwiseImmChip),
        Box::new(lt::LtChip),
        Box::new(lt::LtImmChip),
        Box::new(shift::ShiftChip),
        Box::new(shift::ShiftImmChip),
        Box::new(mul::MulChip),
        Box::new(divrem::DivRemChip),
    ]
}

/// Implements [`droste_stark::Table`] for a chip whose `Air` impl is generic over
/// [`crate::bus::MachineBuilder`]: its name, and its interactions collected from `eval`. A chip's
/// rows are independent uses of the buses, gated by `is_real`, so a proof leaves out a chip that
/// ran nothing (`may_be_empty`; setup checks that all-zero rows are valid padding that touches no
/// bus, so leaving the chip out claims nothing more).
#[macro_export]
macro_rules! impl_table {
    ($chip:ty, $name:literal) => {
        impl ::droste_stark::Table for $chip {
            fn name(&self) -> &str {
                $name
            }

            fn may_be_empty(&self) -> bool {
                true
            }
        }
    };
}
