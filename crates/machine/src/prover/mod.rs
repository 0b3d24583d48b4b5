//! Turning executions into machine proofs: setup (the keys of a program), the witness (every
//! table's trace from an execution record) and proving. Only with the `prover` feature: this is
//! the part of the crate that needs the executor, rayon and `std`.

pub mod cost;
pub mod heights;
pub mod shard;
pub mod witness;

use std::sync::Arc;

use droste_executor::memory_root::MemoryTree;
use droste_executor::{execute, ExecError, ExecOptions, Execution, Input, Program};
use droste_isa::Opcode;
use droste_stark::{ProverTable, Val};
use p3_field::TwoAdicField;
use p3_matrix::dense::RowMajorMatrix;
use p3_maybe_rayon::prelude::*;

use crate::chips::buffer::BufferTable;
use crate::chips::ecall::EcallChip;
use crate::chips::ext_combine::{ExtCombineRowTable, ExtCombineTable};
use crate::chips::memory::{LoadChip, StoreChip};
use crate::chips::poseidon2::Poseidon2Table;
use crate::error::MachineError;
use crate::key::{digest_words, public_endpoints, ProofOptions, PublicValues, VerifyingKey};
use crate::lookup::LookupCounter;
use crate::lookup_tables::{ByteTable, RangeTable};
use crate::memory_tables::{DynamicMemoryTable, ImageTable, RegisterTable};
use crate::overflow::split_rows;
use crate::program::ProgramTable;
use crate::tables::MachineTables;
use crate::trace::{event_table_height, lift_traces, padded_height};
use witness::{build_witness, image_cells, InitialMemory, Witness};

/// Most cycles a proof may cover: timestamps `8 * clk + slot` must stay below `2^27`.
pub const MAX_CYCLES: u64 = 1 << 24;

/// The most rows a table may have at `log_blowup`: its LDE must fit KoalaBear's two-adic
/// subgroup.
pub fn max_table_height(log_blowup: u8) -> usize {
    1 << (Val::TWO_ADICITY - usize::from(log_blowup))
}

impl MachineTables {
    /// The tables of `program`, with their preprocessed contents.
    pub fn for_program(program: &Program) -> Self {
        Self::new(
            ProgramTable::new(program),
            ImageTable::new(Arc::new(image_cells(program))),
        )
    }

    /// `chip_of[opcode]`: the index of the instruction chip proving `opcode`.
    fn chip_of(&self) -> Vec<Option<usize>> {
        let mut chip_of = vec![None; Opcode::COUNT];
        for (i, chip) in self.chips.iter().enumerate() {
            for &op in chip.opcodes() {
                assert!(chip_of[op as usize].is_none(), "{op:?} has two chips");
                chip_of[op as usize] = Some(i);
            }
        }
        chip_of
    }
}

/// What the prover keeps from setup.
pub struct ProvingKey {
    pub vk: VerifyingKey,
    stark: droste_stark::ProvingKey,
    pub(crate) program: Program,
    pub(crate) tables: MachineTables,
    /// The keys of the program's continuation shards.
    pub shard: shard::ShardProvingKey,
}

impl ProvingKey {
    /// Whether proofs keep every low-degree extension in memory (faster, about 1.5 times the
    /// peak memory at the default preset) or only coefficients (the default at blowup 4, see
    /// docs/pcs.md). Proofs are the same either way.
    pub fn set_ldes_kept(&mut self, keep: bool) {
        self.stark.set_ldes_kept(keep);
    }

    /// The program the keys are for.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The most rows a table of these keys' proofs may have.
    pub(crate) fn max_table_height(&self) -> usize {
        max_table_height(self.vk.stark.fri.log_blowup)
    }
}

/// Setup and proving.
pub struct MachineProver;

impl MachineProver {
    /// The keys of `program` under `options`.
    pub fn setup(
        program: &Program,
        options: ProofOptions,
    ) -> Result<(ProvingKey, VerifyingKey), MachineError> {
        let tables = MachineTables::for_program(program);
        let (stark_pk, stark_vk) = droste_stark::setup(&tables.all(), options.fri)?;
        let entry = u32::try_from(program.entry()).map_err(|_| MachineError::EntryTooLarge)?;
        let shard = shard::ShardProvingKey::setup(program, options)?;
        let initial =
            MemoryTree::initial(program, &Input::default()).map_err(MachineError::Execution)?;
        let vk = VerifyingKey {
            stark: stark_vk,
            entry,
            shard_key: shard.vk.digest_words()?,
            initial_ram_root: digest_words(&initial.ram_root()),
        };
        let pk = ProvingKey {
            vk: vk.clone(),
            stark: stark_pk,
            program: program.clone(),
            tables,
            shard,
        };
        Ok((pk, vk))
    }

    /// Runs the program on `input` and proves the run.
    pub fn prove(pk: &ProvingKey, input: &Input) -> Result<crate::MachineProof, MachineError> {
        let (traces, public) = Self::traces(pk, input)?;
        Self::prove_traces(pk, traces, public)
    }

    /// Proves given traces with given public values. [`Self::prove`] is this on the honest
    /// witness; tests and tools use it to show that a dishonest witness is rejected.
    pub fn prove_traces(
        pk: &ProvingKey,
        traces: Vec<RowMajorMatrix<Val>>,
        public: PublicValues,
    ) -> Result<crate::MachineProof, MachineError> {
        Self::prove_traces_with_progress(pk, traces, public, &mut |_| {})
    }

    /// [`Self::prove_traces`], calling `on_round` as each STARK round starts.
    pub fn prove_traces_with_progress(
        pk: &ProvingKey,
        traces: Vec<RowMajorMatrix<Val>>,
        public: PublicValues,
        on_round: &mut dyn FnMut(droste_stark::ProverRound),
    ) -> Result<crate::MachineProof, MachineError> {
        let endpoints = public_endpoints(pk.vk.entry, public.exit_code, &public.public_output);
        let proof = droste_stark::prove_with_progress(
            &pk.stark,
            &pk.tables.all(),
            traces,
            &endpoints,
            on_round,
        )?;
        Ok(crate::MachineProof {
            vkey_digest: public.vkey_digest,
            fri: pk.vk.stark.fri,
            exit_code: public.exit_code,
            public_output: public.public_output,
            proof,
        })
    }

    /// Runs the program on `input` and generates every table's main trace (in proving order),
    /// with the run's public values.
    pub fn traces(
        pk: &ProvingKey,
        input: &Input,
    ) -> Result<(Vec<RowMajorMatrix<Val>>, PublicValues), MachineError> {
        let run = Self::record(pk, input)?;
        Self::traces_of_run(pk, input, &run)
    }

    /// Runs the program on `input`, recording every step (at most [`MAX_CYCLES`]).
    pub fn record(pk: &ProvingKey, input: &Input) -> Result<Execution, MachineError> {
        let options = ExecOptions {
            max_cycles: MAX_CYCLES,
            record: true,
            profile: false,
        };
        execute(&pk.program, input, &options).map_err(|e| match e {
            ExecError::CycleLimit { .. } => MachineError::TooManyCycles { limit: MAX_CYCLES },
            other => MachineError::Execution(other),
        })
    }

    /// Every table's height (in proving order) for a run [`Self::record`]ed: what
    /// [`Self::traces_of_run`] will generate, known before it spends time and memory on it.
    pub fn table_heights(pk: &ProvingKey, run: &Execution) -> Vec<usize> {
        heights::table_heights(pk, run.record.as_ref().expect("a recorded run"))
    }

    /// Every table's rows before padding (in proving order) for a run [`Self::record`]ed.
    pub fn table_rows(pk: &ProvingKey, run: &Execution) -> Vec<usize> {
        heights::table_rows(pk, run.record.as_ref().expect("a recorded run"))
    }

    /// Every table's main trace (in proving order) for a run [`Self::record`]ed on `input`,
    /// with the run's public values.
    pub fn traces_of_run(
        pk: &ProvingKey,
        input: &Input,
        run: &Execution,
    ) -> Result<(Vec<RowMajorMatrix<Val>>, PublicValues), MachineError> {
        let record = run.record.as_ref().expect("a recorded run");
        let tables = &pk.tables;
        let image = image_cells(&pk.program);
        let witness = build_witness(
            &pk.program,
            InitialMemory::Image {
                image: &image,
                input,
            },
            record,
            &tables.chip_of(),
            tables.chips.len(),
        )?;
        let lookups = LookupCounter::default();
        let mut traces = execution_traces(tables, &witness, &lookups);
        traces.push(ImageTable::generate_trace(
            &witness.image_final,
            padded_height(image.len()),
        ));
        let image_last = ((image.len() as u64 - 1) * 8 + droste_isa::abi::PROGRAM_START) / 8;
        traces.push(DynamicMemoryTable::generate_trace(
            &witness.dynamic,
            image_last as u32,
            &lookups,
        ));
        traces.push(RangeTable::generate_trace(&lookups));
        traces.push(ByteTable::generate_trace(&lookups));
        append_overflow(tables, &mut traces, &witness, pk.max_table_height());
        lift_traces(&tables.all(), &mut traces);
        let public = PublicValues {
            vkey_digest: pk.vk.digest_words()?,
            exit_code: run.exit_code,
            public_output: run.public_output.clone(),
        };
        Ok((traces, public))
    }

    /// The tables of `pk` (for the debug checker).
    pub fn tables(pk: &ProvingKey) -> Vec<&dyn ProverTable> {
        pk.tables.all()
    }
}

/// Moves the rows of each table with an overflow twin that [`split_rows`] gives the twin into a
/// trace of its own, appended in the twins' order: `traces` holds every other table's trace, in
/// proving order, each padded from the witness's events.
pub(crate) fn append_overflow(
    tables: &MachineTables,
    traces: &mut Vec<RowMajorMatrix<Val>>,
    witness: &Witness,
    max_height: usize,
) {
    let rows = witness
        .frames
        .iter()
        .map(Vec::len)
        .chain([witness.loads.len(), witness.stores.len()]);
    let twins: Vec<RowMajorMatrix<Val>> = tables
        .twinned()
        .zip(rows)
        .map(|((table, _), rows)| {
            let trace = &mut traces[table];
            let (kept, moved) = split_rows(rows, max_height);
            let width = trace.width;
            if moved == 0 {
                return RowMajorMatrix::new(Vec::new(), width);
            }
            let twin_rows = kept..kept + event_table_height(moved);
            let twin = trace.values[twin_rows.start * width..twin_rows.end * width].to_vec();
            trace.values.truncate(kept * width);
            RowMajorMatrix::new(twin, width)
        })
        .collect();
    traces.extend(twins);
}

/// The traces of the tables every proof has, from the ROM to the registers, in proving order.
pub(crate) fn execution_traces(
    tables: &MachineTables,
    witness: &Witness,
    lookups: &LookupCounter,
) -> Vec<RowMajorMatrix<Val>> {
    let rom_height = tables.program.height().expect("prover tables have the ROM");
    let mut traces = vec![ProgramTable::generate_trace(
        &witness.rom_counts,
        rom_height,
    )];
    let chip_traces: Vec<RowMajorMatrix<Val>> = tables
        .chips
        .par_iter()
        .zip(witness.frames.par_iter())
        .map(|(chip, events)| chip.generate_trace(events, lookups))
        .collect();
    traces.extend(chip_traces);
    traces.push(LoadChip::generate_trace(&witness.loads, lookups));
    traces.push(StoreChip::generate_trace(&witness.stores, lookups));
    traces.push(EcallChip::generate_trace(&witness.ecalls, lookups));
    traces.push(BufferTable::generate_trace(&witness.buffers, lookups));
    traces.push(Poseidon2Table::generate_trace(&witness.poseidon2, lookups));
    traces.push(ExtCombineTable::generate_trace(
        &witness.ext_combine,
        lookups,
    ));
    traces.push(ExtCombineRowTable::generate_trace(
        &witness.ext_combine_rows,
        lookups,
    ));
    let registers: [_; crate::fetch::REGISTERS] = witness
        .registers_final
        .clone()
        .try_into()
        .expect("every register");
    traces.push(RegisterTable::generate_trace(&registers));
    traces
}
