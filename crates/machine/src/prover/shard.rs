//! Proving one continuation shard: its record's witness with memory from its pages, the page and
//! Merkle tables from its memory proof, and its statement.

use droste_executor::memory_root::{MerklePaths, ShardMemoryProof};
use droste_executor::Shard;
use droste_pcs::hash::Hasher;
use droste_stark::{ProverTable, Val};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;

use super::witness::{build_witness, InitialMemory};
use super::{append_overflow, execution_traces, MachineProver, ProvingKey, MAX_CYCLES};
use crate::error::MachineError;
use crate::key::ProofOptions;
use crate::lookup::LookupCounter;
use crate::lookup_tables::{ByteTable, RangeTable};
use crate::paged_memory::merkle::{MerkleEvent, MerkleTable, SiblingEvent, SiblingTable};
use crate::paged_memory::pages::PageTable;
use crate::paged_memory::{POST, PRE, ROOT_CHILD_LEVEL};
use crate::program::ProgramTable;
use crate::shard::{ShardProof, ShardStatement, ShardVerifyingKey};
use crate::tables::MachineTables;
use crate::trace::lift_traces;
use droste_executor::Program;

/// What the prover keeps of a program's shard keys (part of its [`ProvingKey`]).
pub struct ShardProvingKey {
    pub vk: ShardVerifyingKey,
    stark: droste_stark::ProvingKey,
    tables: MachineTables,
}

impl ShardProvingKey {
    /// The shard keys of `program` under `options`: the same ROM as the whole-run key's, paged
    /// memory instead of the image.
    pub(crate) fn setup(program: &Program, options: ProofOptions) -> Result<Self, MachineError> {
        let tables = MachineTables::paged(ProgramTable::new(program));
        let (stark, vk) = droste_stark::setup(&tables.all(), options.fri)?;
        Ok(Self {
            vk: ShardVerifyingKey { stark: vk },
            stark,
            tables,
        })
    }

    /// The shard tables, in proving order (for the debug checker).
    pub fn tables(&self) -> Vec<&dyn ProverTable> {
        self.tables.all()
    }
}

impl MachineProver {
    /// Proves given shard traces with a given statement ([`Self::shard_traces`] gives the honest
    /// witness; tests use it to show that a dishonest one is rejected).
    pub fn prove_shard_traces(
        pk: &ProvingKey,
        traces: Vec<RowMajorMatrix<Val>>,
        statement: ShardStatement,
    ) -> Result<ShardProof, MachineError> {
        let shard = &pk.shard;
        let proof = droste_stark::prove_with_progress(
            &shard.stark,
            &shard.tables.all(),
            traces,
            &statement.endpoints(),
            &mut |_| {},
        )?;
        Ok(ShardProof {
            vkey_digest: shard.vk.digest_words()?,
            fri: shard.vk.stark.fri,
            statement,
            proof,
        })
    }

    /// Every table's trace (in proving order) of a recorded `shard`, and its statement.
    pub fn shard_traces(
        pk: &ProvingKey,
        shard: &Shard,
        memory: &ShardMemoryProof,
    ) -> Result<(Vec<RowMajorMatrix<Val>>, ShardStatement), MachineError> {
        let record = shard
            .record
            .as_ref()
            .ok_or(MachineError::Shard("the shard was not recorded"))?;
        if shard.cycles() > MAX_CYCLES {
            return Err(MachineError::TooManyCycles { limit: MAX_CYCLES });
        }
        let hasher = Hasher::new();
        let (before, after) = (shard.paged_in(), shard.paged_out());
        let pre = MerklePaths::of(&hasher, &before, &memory.siblings)
            .filter(|p| p.root == memory.pre_root)
            .ok_or(MachineError::Shard("the memory proof is not the shard's"))?;
        let post = MerklePaths::of(&hasher, &after, &memory.siblings)
            .filter(|p| p.root == memory.post_root && p.siblings == pre.siblings)
            .ok_or(MachineError::Shard("the memory proof is not the shard's"))?;
        let [pre_ram, input] = pre.root_children();
        let [post_ram, post_input] = post.root_children();
        if post_input != input {
            return Err(MachineError::Shard("the shard changed the input"));
        }

        let tables = &pk.shard.tables;
        let output_offset = u32::try_from(shard.start.io.public_output_len)
            .map_err(|_| MachineError::Shard("the public output is above 4 GiB"))?;
        let witness = build_witness(
            &pk.program,
            InitialMemory::Pages {
                pages: &shard.start.pages,
                first_clk: shard.start.cycle,
                output_offset,
            },
            record,
            &tables.chip_of(),
            tables.chips.len(),
        )?;
        let lookups = LookupCounter::default();
        let mut traces = execution_traces(tables, &witness, &lookups);
        let input_len = shard.start.input_len as u32;
        traces.push(PageTable::generate_trace(
            &witness.pages,
            input_len,
            &lookups,
        ));
        let merkle: Vec<MerkleEvent> = [(PRE, &pre), (POST, &post)]
            .into_iter()
            .flat_map(|(tree, paths)| {
                paths
                    .nodes
                    .iter()
                    .filter(|n| n.level < ROOT_CHILD_LEVEL)
                    .map(move |n| {
                        let mut children = [Val::ZERO; 16];
                        children[..8].copy_from_slice(&n.left);
                        children[8..].copy_from_slice(&n.right);
                        (tree, n.level, n.index, children)
                    })
            })
            .collect();
        traces.push(MerkleTable::generate_trace(&merkle));
        let siblings: Vec<SiblingEvent> = pre
            .siblings
            .iter()
            .map(|s| (s.level, s.index, s.digest))
            .collect();
        traces.push(SiblingTable::generate_trace(&siblings));
        traces.push(RangeTable::generate_trace(&lookups));
        traces.push(ByteTable::generate_trace(&lookups));
        append_overflow(tables, &mut traces, &witness, pk.max_table_height());
        lift_traces(&tables.all(), &mut traces);

        let words = |d: &[Val; 8]| d.map(|v| v.as_canonical_u32());
        let exit = shard.end.exit.as_ref();
        let statement = ShardStatement {
            start_pc: shard.start.pc as u32,
            cycles: shard.cycles() as u32,
            halted: exit.is_some(),
            exit_code: exit.map_or(0, |e| e.code),
            end_pc: if exit.is_some() {
                0
            } else {
                shard.end.pc as u32
            },
            pre_ram_root: words(&pre_ram),
            post_ram_root: words(&post_ram),
            input_root: words(&input),
            input_len,
            output_offset,
            output_clk: if exit.is_some() {
                0
            } else {
                witness.output_end.1
            },
            output: shard.public_output.clone(),
        };
        Ok((traces, statement))
    }
}
