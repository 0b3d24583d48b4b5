//! Reading a proof file without its guest: format version, verifying-key digest, public values,
//! table heights, proof parameters with their security, and where the bytes go.
//!
//! Nothing here verifies the proof: the figures describe what the file *claims*. Verify it with
//! [`crate::verify`] before trusting its public values.

mod sections;
mod security;

use droste_machine::proof::MACHINE_PROOF_VERSION;
use droste_machine::{MachineError, MachineProof, MachineTables};
use droste_stark::proof::{table_rows, NO_ROWS};
use rkyv::rancor::Failure;

pub use sections::SectionSize;
pub use security::{ComponentBits, ParametersReport, SecurityFigures};

use crate::verify::{aligned, PRESETS};
use crate::VkeyDigest;
use droste_zkvm::recursion::Aggregate;

/// One table of the proof.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TableReport {
    /// The table's name in this machine's table list (`None` when the proof has a different
    /// number of tables than this machine, e.g. a proof from another droste version).
    pub name: Option<String>,
    /// log2 of its height; `None` when the proof leaves the table out (it has no rows).
    pub log_height: Option<u8>,
    /// Its height.
    pub rows: u64,
}

/// What [`inspect`] reads from a proof.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ProofReport {
    /// Version of the machine proof format.
    pub format_version: u32,
    /// Size of the whole proof in bytes.
    pub size: usize,
    /// The verifying-key digest the proof claims (64 hex digits).
    pub vkey_digest: String,
    /// The exit code the proof claims.
    pub exit_code: u32,
    /// The public output the proof claims, hex.
    pub public_output_hex: String,
    /// Every table's height, in proving order.
    pub tables: Vec<TableReport>,
    /// The proof options the proof carries.
    pub parameters: ParametersReport,
    /// Security of those options for this proof's sizes (`None` when the proof's table list is
    /// not this machine's).
    pub security: Option<SecurityFigures>,
    /// Bytes by section, in proof order; they add up to [`Self::size`].
    pub sections: Vec<SectionSize>,
    /// For a proof of droste's recursion guest (a compressed or aggregated proof): the
    /// statements its public output claims (`None` for any other proof).
    pub aggregate: Option<AggregateReport>,
}

/// What a compressed or aggregated proof claims (unverified, like the rest of the report).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AggregateReport {
    /// The preset of the recursion guest's key the proof carries.
    pub preset: &'static str,
    /// The statements of its public output: those of the proofs it verified, inner aggregates
    /// under the same key carried over; `None` when the output is not an aggregate (the guest
    /// failed, or the bytes were tampered with).
    pub statements: Option<Vec<StatementReport>>,
}

/// One claimed statement of an aggregate.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StatementReport {
    /// The verifying-key digest of the program (64 hex digits).
    pub vkey_digest: String,
    /// Its exit code.
    pub exit_code: u32,
    /// Its public output, hex.
    pub public_output_hex: String,
}

/// The bytes are not a machine proof this version can read.
#[derive(Debug, thiserror::Error)]
#[error("not a droste proof: {0}")]
pub struct InspectError(#[from] MachineError);

/// Reads `proof` (machine proof bytes, any alignment) and reports what it claims.
pub fn inspect(proof: &[u8]) -> Result<ProofReport, InspectError> {
    let bytes = aligned(proof);
    let archived = droste_machine::proof::access(&bytes)?;
    let proof: MachineProof = rkyv::deserialize::<MachineProof, Failure>(archived)
        .map_err(|_| MachineError::Format("malformed machine proof archive"))?;
    let machine = MachineTables::for_verifier();
    let tables = machine.all();
    let known_tables = tables.len() == proof.proof.log_heights.len();
    let table_reports = proof
        .proof
        .log_heights
        .iter()
        .enumerate()
        .map(|(i, &log_height)| TableReport {
            name: known_tables.then(|| tables[i].name().to_string()),
            log_height: (log_height != NO_ROWS).then_some(log_height),
            rows: table_rows(log_height) as u64,
        })
        .collect();
    let parameters = security::parameters(proof.fri);
    // The entry point is not in the proof; it changes no endpoint's count or length.
    let endpoints = droste_machine::public_endpoints(0, proof.exit_code, &proof.public_output);
    let security =
        known_tables.then(|| security::figures(&parameters, &proof.proof, &tables, &endpoints));
    Ok(ProofReport {
        format_version: MACHINE_PROOF_VERSION,
        size: bytes.len(),
        vkey_digest: VkeyDigest(proof.vkey_digest).to_string(),
        exit_code: proof.exit_code,
        public_output_hex: hex::encode(&proof.public_output),
        tables: table_reports,
        parameters,
        security,
        sections: sections::sizes(&proof, bytes.len()),
        aggregate: aggregate_report(&proof),
    })
}

/// The statements a proof of the recursion guest claims; `None` for any other proof (or when
/// the recursion guest's keys cannot be derived, which the report then does not mention).
fn aggregate_report(proof: &MachineProof) -> Option<AggregateReport> {
    let (preset, options) = PRESETS.iter().find(|(_, options)| {
        crate::recursion::recursion_vkey(*options).is_ok_and(|d| d.0 == proof.vkey_digest)
    })?;
    debug_assert_eq!(options.fri, proof.fri, "a key digest binds its options");
    let statement = droste_zkvm::recursion::Statement {
        vkey_digest: proof.vkey_digest,
        exit_code: proof.exit_code,
        public_output: proof.public_output.clone(),
    };
    let statements = Aggregate::of_recursion_statement(&statement)
        .ok()
        .map(|aggregate| {
            aggregate
                .statements
                .iter()
                .map(|s| StatementReport {
                    vkey_digest: VkeyDigest(s.vkey_digest).to_string(),
                    exit_code: s.exit_code,
                    public_output_hex: hex::encode(&s.public_output),
                })
                .collect()
        });
    Some(AggregateReport { preset, statements })
}
