//! Proving a guest: setup (keys), execution, trace generation and the STARK proof, with a
//! progress hook called at the start and end of every phase.
//!
//! The guest is executed once on its own before its trace is generated: that costs little (the
//! interpreter runs far faster than the prover) and lets a run too long for one proof fail in
//! milliseconds, naming the limit, instead of after recording it.

use std::time::{Duration, Instant};

use droste_executor::{ElfError, ExecError, ExecOptions, Program};
use droste_machine::{
    max_table_height, MachineError, MachineProver, ProofOptions, ProvingKey, PublicValues,
    VerifyingKey, MAX_CYCLES,
};
use droste_stark::ProverRound;
use p3_matrix::Matrix;
use rkyv::util::AlignedVec;

use crate::proof_file::{ProofFile, ProofFileError};
use crate::{preset_name, Guest, Input, VkeyDigest, PRESETS};

/// A phase of proving, as reported to progress hooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Deriving the proving and verifying keys (commits the program ROM and memory image).
    Setup,
    /// Running the guest to count its cycles and check that one proof holds them.
    Execute,
    /// Recording the run and filling every table's trace.
    TraceGeneration,
    /// STARK round 1: extending and committing every table's main trace.
    CommitTraces,
    /// STARK round 2: the LogUp bus columns, extended and committed.
    LogUp,
    /// STARK round 3: evaluating the constraints into the quotient, committed.
    Quotient,
    /// STARK round 4: out-of-domain openings, FRI and the query openings.
    Open,
}

impl From<ProverRound> for Phase {
    fn from(round: ProverRound) -> Self {
        match round {
            ProverRound::CommitMain => Phase::CommitTraces,
            ProverRound::LogUp => Phase::LogUp,
            ProverRound::Quotient => Phase::Quotient,
            ProverRound::Open => Phase::Open,
        }
    }
}

impl Phase {
    /// A short lowercase name for progress displays.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Execute => "execute",
            Phase::TraceGeneration => "trace generation",
            Phase::CommitTraces => "commit traces",
            Phase::LogUp => "logup",
            Phase::Quotient => "quotient",
            Phase::Open => "open (fri)",
        }
    }
}

/// What a progress hook is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressEvent {
    /// The phase begins.
    Started(Phase),
    /// The phase ended successfully after this long.
    Finished(Phase, Duration),
}

/// Why a guest could not be proven (or its keys derived).
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// The ELF file is not a droste program.
    #[error("cannot load guest ELF: {0}")]
    Elf(#[from] ElfError),
    /// A table of the run is taller than the options' largest proven domain allows (found from
    /// the execution, before any trace is generated).
    #[error(
        "table `{table}` needs {rows} rows, more than the {limit} one proof holds with {options} \
         (log_blowup {log_blowup}): {advice}"
    )]
    TableTooTall {
        /// The table.
        table: String,
        /// Its padded height.
        rows: usize,
        /// The largest height the proof options allow.
        limit: usize,
        /// log2 of the options' blowup.
        log_blowup: u8,
        /// The options: "the <name> preset" or "these options".
        options: String,
        /// What would make the run fit: a preset that holds it, or a smaller run.
        advice: String,
    },
    /// Setup, execution (including a run longer than [`MAX_CYCLES`]) or the proof failed.
    #[error(transparent)]
    Machine(#[from] MachineError),
    /// An input value could not be encoded.
    #[error("encoding an input: {0}")]
    Codec(#[from] droste_zkvm::codec::CodecError),
    /// Recursion proves only under the presets (the recursion guest's keys are published for
    /// those).
    #[error("recursion proofs are made under a preset (default or fast)")]
    NotAPreset,
    /// A proof given to aggregate does not verify under the key given with it.
    #[error("proof {index} to aggregate does not verify: {error}")]
    InnerProof {
        /// Its position in the list.
        index: usize,
        /// Why it does not verify.
        error: MachineError,
    },
    /// The proofs to aggregate do not chain (shards out of order, skipped, or of another run).
    #[error("proof {index} to aggregate: {error}")]
    Aggregate {
        /// Its position in the list.
        index: usize,
        /// Why it does not fit.
        error: droste_zkvm::recursion::UnwrapError,
    },
    /// A shard snapshot could not be read or does not reproduce its shard.
    #[error(transparent)]
    Snapshot(#[from] crate::continuation::SnapshotError),
    /// A shard has a table taller than one proof holds: shards of this program must be shorter.
    #[error(
        "shard {index}: table `{table}` needs {rows} rows, more than the {limit} one proof holds \
         with {options}: use shards of at most {fits} cycles (`--shard-cycles`)"
    )]
    ShardTooTall {
        /// The shard's position in its run.
        index: u64,
        /// The table.
        table: String,
        /// Its height.
        rows: usize,
        /// The largest height the options allow.
        limit: usize,
        /// The options: "the <name> preset" or "these options".
        options: String,
        /// A shard size (a power of two) at which the table fits, at this shard's rows per cycle.
        fits: u64,
    },
    /// Verifying the proofs in the recursion guest takes more cycles than one proof covers.
    #[error(
        "verifying {proofs} proof(s) in the recursion guest takes more than {limit} cycles, the \
         most one proof covers: aggregate fewer at a time (docs/recursion.md, costs and limits)"
    )]
    RecursionTooLong {
        /// How many proofs were given.
        proofs: usize,
        /// The cycles one proof covers.
        limit: u64,
    },
    /// The recursion guest did not exit with code 0 although every inner proof verified.
    #[error("the recursion guest failed (exit code {exit_code}): {message}")]
    RecursionFailed {
        /// Its exit code.
        exit_code: u32,
        /// Its panic message.
        message: String,
    },
}

/// Height of one table in a proof.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TableHeight {
    /// The table's name.
    pub name: String,
    /// Its row count (a power of two).
    pub rows: usize,
}

/// What proving measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProveStats {
    /// Instructions executed, including the final `ecall`.
    pub cycles: u64,
    /// Every table's height, in proving order.
    pub tables: Vec<TableHeight>,
    /// The guest's panic message when it panicked (the proof says exit code 101; the message
    /// itself is not proven).
    pub panic_message: Option<String>,
    /// Time spent in each phase, in order (setup only when the keys were derived for this proof).
    pub phases: Vec<(Phase, Duration)>,
}

impl ProveStats {
    /// Total time of all phases but setup: what proving one more input with the same keys costs.
    pub fn prove_time(&self) -> Duration {
        self.phases
            .iter()
            .filter(|(phase, _)| *phase != Phase::Setup)
            .map(|(_, time)| *time)
            .sum()
    }
}

/// A proof of one run of a guest: its bytes (the machine proof format, 16-byte aligned), the
/// public values it proves, and what proving it measured.
#[derive(Clone, Debug)]
pub struct Proof {
    bytes: AlignedVec<16>,
    public: PublicValues,
    stats: ProveStats,
}

impl Proof {
    /// The proof as written to a file and read by [`crate::verify`].
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The public values the proof vouches for (verified proofs return the same).
    pub fn public_values(&self) -> &PublicValues {
        &self.public
    }

    /// Cycles, table heights and phase times.
    pub fn stats(&self) -> &ProveStats {
        &self.stats
    }

    /// Writes the proof to `path` atomically: a complete file or none (an existing file stays
    /// untouched on failure).
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<(), ProofFileError> {
        ProofFile::create(path.as_ref())?.write(self.bytes())
    }
}

/// A guest's keys for one set of proof options, ready to prove any number of inputs.
pub struct Prover {
    program: Program,
    pk: ProvingKey,
    vk: VerifyingKey,
    options: ProofOptions,
}

impl Prover {
    /// Keep every low-degree extension in memory while proving: faster at the default preset,
    /// about 1.5 times its peak memory (by default the prover keeps coefficients there and
    /// re-extends them; docs/pcs.md). The proofs are identical.
    pub fn keep_ldes(mut self, keep: bool) -> Self {
        self.pk.set_ldes_kept(keep);
        self
    }

    /// Derives the keys of `guest` under `options`.
    pub fn new<'a>(guest: impl Into<Guest<'a>>, options: ProofOptions) -> Result<Self, ProveError> {
        let program = guest.into().load()?.into_owned();
        let (pk, vk) = MachineProver::setup(&program, options)?;
        Ok(Self {
            program,
            pk,
            vk,
            options,
        })
    }

    /// The program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The proving key (whose `shard` part proves continuation shards).
    pub fn proving_key(&self) -> &ProvingKey {
        &self.pk
    }

    /// The proof options.
    pub fn options(&self) -> ProofOptions {
        self.options
    }

    /// The verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.vk
    }

    /// The verifying key's digest: what proofs of this guest under these options carry.
    pub fn vkey(&self) -> Result<VkeyDigest, ProveError> {
        Ok(VkeyDigest(self.vk.digest_words()?))
    }

    /// Proves the run of the guest on `input`.
    pub fn prove(&self, input: &Input) -> Result<Proof, ProveError> {
        self.prove_with_progress(input, &mut |_| {})
    }

    /// Proves the run of the guest on `input`, telling `progress` when each phase starts and
    /// ends.
    pub fn prove_with_progress(
        &self,
        input: &Input,
        progress: &mut dyn FnMut(ProgressEvent),
    ) -> Result<Proof, ProveError> {
        let mut phases = PhaseTimer::new(progress);
        self.prove_phases(input, &mut phases)
    }

    fn prove_phases(&self, input: &Input, timer: &mut PhaseTimer) -> Result<Proof, ProveError> {
        let input = input.as_executor_input();
        let (cycles, panic_message) = timer.run(Phase::Execute, || self.count_cycles(input))?;
        let (tables, traces, public) = timer.run(Phase::TraceGeneration, || {
            let run = MachineProver::record(&self.pk, input)?;
            let tables: Vec<TableHeight> = MachineProver::tables(&self.pk)
                .iter()
                .zip(MachineProver::table_heights(&self.pk, &run))
                .map(|(table, rows)| TableHeight {
                    name: table.name().to_string(),
                    rows,
                })
                .collect();
            self.check_heights(&tables)?;
            let (traces, public) = MachineProver::traces_of_run(&self.pk, input, &run)?;
            debug_assert!(
                tables
                    .iter()
                    .zip(&traces)
                    .all(|(t, trace)| t.rows == trace.height()),
                "estimated heights are the traces' heights"
            );
            Ok::<_, ProveError>((tables, traces, public))
        })?;
        let proof = timer.run_rounds(|on_round| {
            MachineProver::prove_traces_with_progress(&self.pk, traces, public.clone(), on_round)
        })?;
        Ok(Proof {
            bytes: proof.to_bytes(),
            public,
            stats: ProveStats {
                cycles,
                tables,
                panic_message,
                phases: std::mem::take(&mut timer.phases),
            },
        })
    }

    /// Executes without recording: the cycles and the panic message; a run over [`MAX_CYCLES`]
    /// fails here.
    fn count_cycles(
        &self,
        input: &droste_executor::Input,
    ) -> Result<(u64, Option<String>), MachineError> {
        let options = ExecOptions {
            max_cycles: MAX_CYCLES,
            ..ExecOptions::default()
        };
        match droste_executor::execute(&self.program, input, &options) {
            Ok(run) => Ok((run.cycles, run.panic_message)),
            Err(ExecError::CycleLimit { .. }) => {
                Err(MachineError::TooManyCycles { limit: MAX_CYCLES })
            }
            Err(other) => Err(MachineError::Execution(other)),
        }
    }

    /// Refuses tables taller than the options' largest trace domain, before their traces are
    /// generated, with advice that applies to these options.
    fn check_heights(&self, tables: &[TableHeight]) -> Result<(), ProveError> {
        let log_blowup = self.options.fri.log_blowup;
        let limit = max_table_height(log_blowup);
        let Some(table) = tables.iter().find(|table| table.rows > limit) else {
            return Ok(());
        };
        Err(ProveError::TableTooTall {
            table: table.name.clone(),
            rows: table.rows,
            limit,
            log_blowup,
            options: options_phrase(self.options),
            advice: advice(table, log_blowup),
        })
    }
}

/// "the default preset", or "these options" when they are no preset's (for messages).
pub(crate) fn options_phrase(options: ProofOptions) -> String {
    preset_name(options.fri).map_or_else(
        || "these options".to_string(),
        |name| format!("the {name} preset"),
    )
}

/// How a run whose `table` is too tall at `log_blowup` could be proven: a preset with a smaller
/// blowup when one holds the table, or a continuation, or a smaller run (what to reduce depends
/// on the table).
fn advice(table: &TableHeight, log_blowup: u8) -> String {
    let fits = PRESETS.iter().find(|(_, options)| {
        options.fri.log_blowup < log_blowup
            && table.rows <= max_table_height(options.fri.log_blowup)
    });
    if let Some((name, options)) = fits {
        return format!(
            "the {name} preset holds {} rows (`--preset {name}`), or prove it in shards \
             (`--shard-cycles`)",
            max_table_height(options.fri.log_blowup)
        );
    }
    let what = match table.name.as_str() {
        "buffer" => "commit, read or draw fewer bytes",
        "dynamic_memory" => "touch less memory",
        _ => "execute fewer instructions",
    };
    format!("no preset holds it in one proof; prove it in shards (`--shard-cycles`) or {what}")
}

/// Times phases and reports them to a progress hook.
struct PhaseTimer<'a> {
    progress: &'a mut dyn FnMut(ProgressEvent),
    phases: Vec<(Phase, Duration)>,
}

impl<'a> PhaseTimer<'a> {
    fn new(progress: &'a mut dyn FnMut(ProgressEvent)) -> Self {
        Self {
            progress,
            phases: Vec::new(),
        }
    }

    fn run<T, E>(&mut self, phase: Phase, work: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        (self.progress)(ProgressEvent::Started(phase));
        let start = Instant::now();
        let result = work()?;
        self.finish(phase, start.elapsed());
        Ok(result)
    }

    /// Runs the STARK, one phase per round it reports: a round ends when the next starts, the
    /// last when `work` returns successfully.
    fn run_rounds<T, E>(
        &mut self,
        work: impl FnOnce(&mut dyn FnMut(ProverRound)) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut current: Option<(Phase, Instant)> = None;
        let result = work(&mut |round| {
            if let Some((phase, start)) = current.take() {
                self.finish(phase, start.elapsed());
            }
            let phase = Phase::from(round);
            (self.progress)(ProgressEvent::Started(phase));
            current = Some((phase, Instant::now()));
        })?;
        if let Some((phase, start)) = current {
            self.finish(phase, start.elapsed());
        }
        Ok(result)
    }

    fn finish(&mut self, phase: Phase, elapsed: Duration) {
        self.phases.push((phase, elapsed));
        (self.progress)(ProgressEvent::Finished(phase, elapsed));
    }
}

/// Derives the keys of `guest` and proves its run on `input`.
pub fn prove<'a>(
    guest: impl Into<Guest<'a>>,
    input: &Input,
    options: ProofOptions,
) -> Result<Proof, ProveError> {
    prove_with_progress(guest, input, options, &mut |_| {})
}

/// [`prove`], telling `progress` when each phase (setup included) starts and ends.
pub fn prove_with_progress<'a>(
    guest: impl Into<Guest<'a>>,
    input: &Input,
    options: ProofOptions,
    progress: &mut dyn FnMut(ProgressEvent),
) -> Result<Proof, ProveError> {
    let guest = guest.into();
    let mut timer = PhaseTimer::new(progress);
    let prover = timer.run(Phase::Setup, || Prover::new(guest, options))?;
    prover.prove_phases(input, &mut timer)
}

#[cfg(test)]
mod tests {
    use droste_executor::elf_builder::ElfBuilder;
    use droste_isa::abi::PROGRAM_START;
    use droste_isa::{Instruction, Opcode};

    use super::*;

    #[test]
    fn tables_taller_than_the_options_allow_are_refused() {
        let mut elf = ElfBuilder::new(PROGRAM_START);
        elf.code(PROGRAM_START, &[Instruction::system(Opcode::Ecall)])
            .unwrap();
        let prover = Prover::new(&elf.build(), ProofOptions::secure()).unwrap();
        let tables = |rows| {
            vec![TableHeight {
                name: "add_sub".to_string(),
                rows,
            }]
        };
        // Blowup 4: the LDE of 2^22 rows fills the field's 2^24 two-adic subgroup.
        assert!(prover.check_heights(&tables(1 << 22)).is_ok());
        let err = prover.check_heights(&tables(1 << 23)).unwrap_err();
        assert!(
            matches!(
                err,
                ProveError::TableTooTall {
                    rows: 0x80_0000,
                    limit: 0x40_0000,
                    log_blowup: 2,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "table `add_sub` needs 8388608 rows, more than the 4194304 one proof holds with the \
             default preset (log_blowup 2): the fast preset holds 8388608 rows (`--preset fast`), \
             or prove it in shards (`--shard-cycles`)"
        );
    }

    #[test]
    fn the_advice_applies_to_the_options_and_the_table() {
        let table = |name: &str, rows| TableHeight {
            name: name.to_string(),
            rows,
        };
        assert_eq!(
            advice(&table("add_sub", 1 << 23), 2),
            "the fast preset holds 8388608 rows (`--preset fast`), or prove it in shards \
             (`--shard-cycles`)"
        );
        // The fast preset has the smallest blowup: nothing holds more.
        assert_eq!(
            advice(&table("add_sub", 1 << 24), 1),
            "no preset holds it in one proof; prove it in shards (`--shard-cycles`) or execute fewer instructions"
        );
        assert_eq!(
            advice(&table("buffer", 1 << 24), 2),
            "no preset holds it in one proof; prove it in shards (`--shard-cycles`) or commit, read or draw fewer bytes"
        );
        assert_eq!(
            advice(&table("dynamic_memory", 1 << 24), 1),
            "no preset holds it in one proof; prove it in shards (`--shard-cycles`) or touch less memory"
        );
    }
}
