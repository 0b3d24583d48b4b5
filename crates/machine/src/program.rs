//! The program ROM: a preprocessed table with one row per 4-byte slot of the program's code,
//! committed in the verifying key, from which every instruction row fetches its instruction on
//! the [`PROGRAM`] bus. Its main column counts how often each instruction ran.
//!
//! Each row is the [`RomEntry`] of its instruction: decoded once at setup (family, registers,
//! immediate limbs, static target, controls), so chips never re-derive it, and a chip that lies
//! about it cannot find a ROM row to match. Slots that hold no valid instruction, and the
//! padding rows, get [`crate::fetch::Family::None`], which no chip ever sends, so they can never be fetched.

use alloc::sync::Arc;

#[cfg(feature = "prover")]
use droste_executor::Program;
use droste_stark::{Table, Val};
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use crate::bus::{MachineBuilder, PROGRAM};
use crate::fetch::TUPLE_LEN;
#[cfg(feature = "prover")]
use crate::{fetch::RomEntry, trace::padded_height};

crate::columns! {
    /// Preprocessed columns of the ROM: the [`PROGRAM`] tuple of one code slot
    /// (`RomEntry::tuple`).
    pub struct RomCols<T> {
        pub tuple: [T; TUPLE_LEN],
    }
}

crate::columns! {
    /// Main columns of the ROM.
    pub struct RomCountCols<T> {
        /// How many times the instruction executed.
        pub count: T,
    }
}

/// The program ROM table. The prover builds it from the program; the verifier only needs its
/// shape (the contents are committed in the verifying key).
#[derive(Clone, Debug, Default)]
pub struct ProgramTable {
    rom: Option<Arc<RowMajorMatrix<Val>>>,
}

impl ProgramTable {
    /// The ROM of `program`'s code: one row per 4-byte slot starting at its code base.
    #[cfg(feature = "prover")]
    pub fn new(program: &Program) -> Self {
        let (base, slots) = program.code_range();
        let height = padded_height(slots);
        let mut values = vec![Val::ZERO; height * RomCols::<u8>::WIDTH];
        for (slot, row) in values.chunks_exact_mut(RomCols::<u8>::WIDTH).enumerate() {
            let cols: &mut RomCols<Val> = core::borrow::BorrowMut::borrow_mut(row);
            let pc = base + 4 * slot as u64;
            let entry = match program.instruction_at(pc) {
                Some(inst) if slot < slots => RomEntry::of(pc as u32, &inst),
                _ if slot < slots => RomEntry::empty(pc as u32),
                _ => RomEntry::empty(0),
            };
            cols.tuple = entry.tuple();
        }
        Self {
            rom: Some(Arc::new(RowMajorMatrix::new(values, RomCols::<u8>::WIDTH))),
        }
    }

    /// The shape-only table a verifier uses.
    pub fn for_verifier() -> Self {
        Self { rom: None }
    }

    /// The main trace: execution counts per slot, `counts[(pc - base) / 4]`.
    pub fn generate_trace(counts: &[u32], height: usize) -> RowMajorMatrix<Val> {
        let mut values = vec![Val::ZERO; height];
        for (v, &c) in values.iter_mut().zip(counts) {
            *v = Val::from_u32(c);
        }
        RowMajorMatrix::new(values, RomCountCols::<u8>::WIDTH)
    }

    /// Number of rows of the ROM (a power of two), when built from a program.
    pub fn height(&self) -> Option<usize> {
        self.rom
            .as_ref()
            .map(|m| m.values.len() / RomCols::<u8>::WIDTH)
    }
}

impl BaseAir<Val> for ProgramTable {
    fn width(&self) -> usize {
        RomCountCols::<u8>::WIDTH
    }

    fn preprocessed_width(&self) -> usize {
        RomCols::<u8>::WIDTH
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        self.rom.as_deref().cloned()
    }
}

impl<AB: MachineBuilder> Air<AB> for ProgramTable {
    fn eval(&self, builder: &mut AB) {
        let prep = builder.preprocessed().clone();
        let rom: &RomCols<AB::Var> = core::borrow::Borrow::borrow(prep.current_slice());
        let main = builder.main();
        let count: &RomCountCols<AB::Var> = core::borrow::Borrow::borrow(main.current_slice());
        builder.receive(PROGRAM, rom.tuple, count.count);
    }
}

impl Table for ProgramTable {
    fn name(&self) -> &str {
        "program"
    }
}
