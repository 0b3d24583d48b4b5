//! The machine's table list, its verifying key, and setup / prove / verify.

use std::sync::Arc;

use droste_executor::{execute, ExecError, ExecOptions, Execution, Input, Program};
use droste_isa::Opcode;
use droste_pcs::hash::Hasher;
use droste_stark::{Digest, FriParameters, ProverTable, PublicEndpoint, Table, Val};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;
use p3_maybe_rayon::prelude::*;

use crate::bus::{EXIT, OUTPUT, OUTPUT_CURSOR, STATE};
use crate::chips::buffer::BufferTable;
use crate::chips::ecall::EcallChip;
use crate::chips::memory::{LoadChip, StoreChip};
use crate::chips::{instruction_chips, InstructionChip};
use crate::error::MachineError;
use crate::lookup::LookupCounter;
use crate::lookup_tables::{ByteTable, RangeTable};
use crate::memory_tables::{DynamicMemoryTable, ImageTable, RegisterTable};
use crate::program::ProgramTable;
use crate::trace::padded_height;
use crate::witness::{build_witness, image_cells};

/// Most cycles a proof may cover: timestamps `8 * clk + slot` must stay below `2^27`.
pub const MAX_CYCLES: u64 = 1 << 24;

/// The tables of one program, in proving order.
pub struct MachineTables {
    pub program: ProgramTable,
    pub chips: Vec<Box<dyn InstructionChip>>,
    pub load: LoadChip,
    pub store: StoreChip,
    pub ecall: EcallChip,
    pub buffer: BufferTable,
    pub registers: RegisterTable,
    pub image: ImageTable,
    pub dynamic: DynamicMemoryTable,
    pub range: RangeTable,
    pub byte: ByteTable,
}

impl MachineTables {
    fn new(program: ProgramTable, image: ImageTable) -> Self {
        let mut registers = [0u64; 32];
        registers[2] = droste_isa::abi::STACK_TOP;
        Self {
            program,
            chips: instruction_chips(),
            load: LoadChip,
            store: StoreChip,
            ecall: EcallChip,
            buffer: BufferTable,
            registers: RegisterTable::new(registers),
            image,
            dynamic: DynamicMemoryTable,
            range: RangeTable,
            byte: ByteTable,
        }
    }

    /// The tables of `program`, with their preprocessed contents.
    pub fn for_program(program: &Program) -> Self {
        Self::new(
            ProgramTable::new(program),
            ImageTable::new(Arc::new(image_cells(program))),
        )
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
            &self.registers,
            &self.image,
            &self.dynamic,
            &self.range,
            &self.byte,
        ]);
        tables
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

/// The verifying key of a program: the key of its tables (preprocessed commitment, shapes, FRI
/// parameters) and its entry point. Depends only on the ELF and the proof options.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct VerifyingKey {
    pub stark: droste_stark::VerifyingKey,
    pub entry: u32,
}

impl VerifyingKey {
    /// Poseidon2 digest of the stark key's encoding followed by the entry point: what a proof
    /// and a recursion guest commit to.
    pub fn digest(&self) -> Result<Digest, MachineError> {
        let mut encoding = self.stark.encode()?;
        encoding.push(Val::from_u32(self.entry));
        Ok(Hasher::new().hash_slice(&encoding))
    }

    /// The digest as canonical `u32` words.
    pub fn digest_words(&self) -> Result<[u32; 8], MachineError> {
        Ok(self.digest()?.map(|v| v.as_canonical_u32()))
    }
}

/// What the prover keeps from setup.
pub struct ProvingKey {
    pub vk: VerifyingKey,
    stark: droste_stark::ProvingKey,
    pub(crate) program: Program,
    pub(crate) tables: MachineTables,
}

impl ProvingKey {
    /// Whether proofs keep every low-degree extension in memory (faster, about 1.5 times the
    /// peak memory at the default preset) or only coefficients (the default at blowup 4, see
    /// docs/pcs.md). Proofs are the same either way.
    pub fn set_ldes_kept(&mut self, keep: bool) {
        self.stark.set_ldes_kept(keep);
    }
}

/// Proof parameters: the FRI presets of droste-pcs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofOptions {
    pub fri: FriParameters,
}

impl ProofOptions {
    /// At least 100 provable bits.
    pub const fn secure() -> Self {
        Self {
            fri: FriParameters::default_preset(),
        }
    }

    /// At least 100 conjectured bits, faster.
    pub const fn fast() -> Self {
        Self {
            fri: FriParameters::fast_preset(),
        }
    }
}

impl Default for ProofOptions {
    fn default() -> Self {
        Self::secure()
    }
}

/// The public values a verified proof vouches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicValues {
    /// Digest of the verifying key the proof was checked against.
    pub vkey_digest: [u32; 8],
    /// Exit code (HALT's `a0`, or the panic exit code).
    pub exit_code: u32,
    /// The bytes the program committed, in order.
    pub public_output: Vec<u8>,
}

/// The public bus endpoints of a run with these public values from `entry`.
pub fn public_endpoints(entry: u32, exit_code: u32, output: &[u8]) -> Vec<PublicEndpoint> {
    let v = Val::from_u32;
    let mut endpoints = vec![
        PublicEndpoint::send(STATE, vec![Val::ZERO, v(entry)], Val::ONE),
        PublicEndpoint::send(OUTPUT_CURSOR, vec![Val::ZERO, Val::ZERO], Val::ONE),
        PublicEndpoint::receive(
            EXIT,
            vec![
                v(exit_code & 0xffff),
                v(exit_code >> 16),
                v(output.len() as u32),
            ],
            Val::ONE,
        ),
    ];
    endpoints.extend(output.iter().enumerate().map(|(i, &byte)| {
        PublicEndpoint::receive(OUTPUT, vec![v(i as u32), Val::from_u8(byte)], Val::ONE)
    }));
    endpoints
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
        let vk = VerifyingKey {
            stark: stark_vk,
            entry,
        };
        let pk = ProvingKey {
            vk: vk.clone(),
            stark: stark_pk,
            program: program.clone(),
            tables,
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
        crate::heights::table_heights(pk, run.record.as_ref().expect("a recorded run"))
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
            input,
            record,
            &image,
            &tables.chip_of(),
            tables.chips.len(),
        )?;
        let lookups = LookupCounter::default();
        let rom_height = tables.program.height().expect("prover tables have the ROM");
        let mut traces = vec![ProgramTable::generate_trace(
            &witness.rom_counts,
            rom_height,
        )];
        let chip_traces: Vec<RowMajorMatrix<Val>> = tables
            .chips
            .par_iter()
            .zip(witness.frames.par_iter())
            .map(|(chip, events)| chip.generate_trace(events, &lookups))
            .collect();
        traces.extend(chip_traces);
        traces.push(LoadChip::generate_trace(&witness.loads, &lookups));
        traces.push(StoreChip::generate_trace(&witness.stores, &lookups));
        traces.push(EcallChip::generate_trace(&witness.ecalls, &lookups));
        traces.push(BufferTable::generate_trace(&witness.buffers, &lookups));
        let registers: [_; crate::fetch::REGISTERS] = witness
            .registers_final
            .clone()
            .try_into()
            .expect("every register");
        traces.push(RegisterTable::generate_trace(&registers));
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

    /// Verifies proof bytes (as written by [`crate::MachineProof::to_bytes`]) against `vk` and
    /// returns the public values they prove.
    pub fn verify(vk: &VerifyingKey, bytes: &[u8]) -> Result<PublicValues, MachineError> {
        let aligned;
        let bytes = if bytes.as_ptr() as usize % 16 == 0 {
            bytes
        } else {
            let mut copy = rkyv::util::AlignedVec::<16>::with_capacity(bytes.len());
            copy.extend_from_slice(bytes);
            aligned = copy;
            &aligned[..]
        };
        let archived = crate::proof::access(bytes)?;
        let digest = vk.digest_words()?;
        if archived.vkey_digest.map(|w| w.to_native()) != digest {
            return Err(MachineError::WrongKey);
        }
        if crate::proof::fri_parameters(&archived.fri) != vk.stark.fri {
            return Err(MachineError::WrongOptions);
        }
        let exit_code = archived.exit_code.to_native();
        let output: &[u8] = &archived.public_output;
        let endpoints = public_endpoints(vk.entry, exit_code, output);
        let tables = MachineTables::for_verifier();
        let views: Vec<&dyn Table> = tables.all().iter().map(|t| t.as_table()).collect();
        droste_stark::verify_archived(&vk.stark, &views, &archived.proof, &endpoints)?;
        Ok(PublicValues {
            vkey_digest: digest,
            exit_code,
            public_output: output.to_vec(),
        })
    }
}
