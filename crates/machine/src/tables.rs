//! The machine's table list, in proving order: one place that both the prover and the verifier
//! build their tables from.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use droste_stark::{ProverTable, Table};

use crate::chips::buffer::BufferTable;
use crate::chips::ecall::EcallChip;
use crate::chips::ext_combine::{ExtCombineRowTable, ExtCombineTable};
use crate::chips::memory::{LoadChip, StoreChip};
use crate::chips::poseidon2::Poseidon2Table;
use crate::chips::{instruction_chips, InstructionChip};
use crate::lookup_tables::{ByteTable, RangeTable};
use crate::memory_tables::{DynamicMemoryTable, ImageTable, RegisterTable};
use crate::program::ProgramTable;

/// The tables of one program, in proving order.
pub struct MachineTables {
    pub program: ProgramTable,
    pub chips: Vec<Box<dyn InstructionChip>>,
    pub load: LoadChip,
    pub store: StoreChip,
    pub ecall: EcallChip,
    pub buffer: BufferTable,
    pub poseidon2: Poseidon2Table,
    pub ext_combine: ExtCombineTable,
    pub ext_combine_rows: ExtCombineRowTable,
    pub registers: RegisterTable,
    pub image: ImageTable,
    pub dynamic: DynamicMemoryTable,
    pub range: RangeTable,
    pub byte: ByteTable,
}

impl MachineTables {
    /// The tables with the given preprocessed program tables.
    pub(crate) fn new(program: ProgramTable, image: ImageTable) -> Self {
        let mut registers = [0u64; 32];
        registers[2] = droste_isa::abi::STACK_TOP;
        Self {
            program,
            chips: instruction_chips(),
            load: LoadChip,
            store: StoreChip,
            ecall: EcallChip,
            buffer: BufferTable,
            poseidon2: Poseidon2Table,
            ext_combine: ExtCombineTable,
            ext_combine_rows: ExtCombineRowTable,
            registers: RegisterTable::new(registers),
            image,
            dynamic: DynamicMemoryTable,
            range: RangeTable,
            byte: ByteTable,
        }
    }

    /// The tables as a verifier needs them (shapes and constraints, no program contents).
    pub fn for_verifier() -> Self {
        Self::new(ProgramTable::for_verifier(), ImageTable::for_verifier())
    }

    /// All tables, in proving order.
    pub fn all(&self) -> Vec<&dyn ProverTable> {
        let mut tables: Vec<&dyn ProverTable> = vec![&self.program];
        tables.extend(self.chips.iter().map(|c| &**c as &dyn ProverTable));
        tables.extend([
            &self.load as &dyn ProverTable,
            &self.store,
            &self.ecall,
            &self.buffer,
            &self.poseidon2,
            &self.ext_combine,
            &self.ext_combine_rows,
            &self.registers,
            &self.image,
            &self.dynamic,
            &self.range,
            &self.byte,
        ]);
        tables
    }

    /// All tables as the verifier sees them, in proving order.
    pub fn views(&self) -> Vec<&dyn Table> {
        self.all().into_iter().map(|t| t.as_table()).collect()
    }
}
