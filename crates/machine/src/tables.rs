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
use crate::overflow::Overflow;
use crate::paged_memory::merkle::{MerkleTable, SiblingTable};
use crate::paged_memory::pages::PageTable;
use crate::program::ProgramTable;

/// How a proof creates its memory cells.
pub enum MemoryTables {
    /// A whole run: the initial image (preprocessed) and the cells it touches beyond it.
    Monolithic {
        image: ImageTable,
        dynamic: DynamicMemoryTable,
    },
    /// A continuation shard: the pages it pages in, proven against its memory roots.
    Paged {
        pages: PageTable,
        merkle: MerkleTable,
        siblings: SiblingTable,
    },
}

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
    pub memory: MemoryTables,
    pub range: RangeTable,
    pub byte: ByteTable,
    /// The overflow twins of the instruction chips, `load` and `store`, in that order
    /// ([`crate::overflow`]): the last tables.
    pub overflow: Vec<Overflow<dyn ProverTable>>,
}

impl MachineTables {
    /// The tables of a whole run with the given preprocessed program tables.
    pub(crate) fn new(program: ProgramTable, image: ImageTable) -> Self {
        let mut registers = [0u64; 32];
        registers[2] = droste_isa::abi::STACK_TOP;
        Self::with_memory(
            program,
            RegisterTable::new(registers),
            MemoryTables::Monolithic {
                image,
                dynamic: DynamicMemoryTable,
            },
        )
    }

    /// The tables of a shard proof of the program whose ROM is `program`.
    pub(crate) fn paged(program: ProgramTable) -> Self {
        Self::with_memory(
            program,
            RegisterTable::sink_only(),
            MemoryTables::Paged {
                pages: PageTable,
                merkle: MerkleTable,
                siblings: SiblingTable,
            },
        )
    }

    fn with_memory(program: ProgramTable, registers: RegisterTable, memory: MemoryTables) -> Self {
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
            registers,
            memory,
            range: RangeTable,
            byte: ByteTable,
            overflow: overflow_twins(),
        }
    }

    /// The index (in proving order) of each table with an overflow twin, paired with its twin's.
    pub fn twinned(&self) -> impl Iterator<Item = (usize, usize)> {
        let first_twin = self.all().len() - self.overflow.len();
        (0..self.overflow.len()).map(move |i| (1 + i, first_twin + i))
    }

    /// The tables as a verifier needs them (shapes and constraints, no program contents).
    pub fn for_verifier() -> Self {
        Self::new(ProgramTable::for_verifier(), ImageTable::for_verifier())
    }

    /// The tables of shard proofs as a verifier needs them.
    pub fn paged_for_verifier() -> Self {
        Self::paged(ProgramTable::for_verifier())
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
        ]);
        match &self.memory {
            MemoryTables::Monolithic { image, dynamic } => {
                tables.extend([image as &dyn ProverTable, dynamic]);
            }
            MemoryTables::Paged {
                pages,
                merkle,
                siblings,
            } => tables.extend([pages as &dyn ProverTable, merkle, siblings]),
        }
        tables.extend([&self.range as &dyn ProverTable, &self.byte]);
        tables.extend(self.overflow.iter().map(|t| t as &dyn ProverTable));
        tables
    }

    /// All tables as the verifier sees them, in proving order.
    pub fn views(&self) -> Vec<&dyn Table> {
        self.all().into_iter().map(|t| t.as_table()).collect()
    }
}

/// The overflow twins of the tables that have one: the instruction chips, `load` and `store`,
/// which are the first tables after the ROM, in the same order.
fn overflow_twins() -> Vec<Overflow<dyn ProverTable>> {
    let chips = instruction_chips()
        .into_iter()
        .map(|chip| chip as Box<dyn ProverTable>);
    chips
        .chain([
            Box::new(LoadChip) as Box<dyn ProverTable>,
            Box::new(StoreChip),
        ])
        .map(Overflow::of)
        .collect()
}
