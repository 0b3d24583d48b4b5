//! Where a proof's bytes go: the raw payload of each part (field elements are 4 bytes, digests
//! 32, extension elements 16), and the archive's own bookkeeping (lengths, relative offsets,
//! alignment padding) as the remainder, so the sections add up to the file size.

use droste_machine::proof::HEADER_LEN;
use droste_machine::MachineProof;
use droste_pcs::proof::{DigestWords, ExtWords};
use droste_stark::proof::TableOpenings;
use droste_stark::Proof;

/// Bytes of one section.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SectionSize {
    /// What the bytes hold.
    pub name: String,
    /// How many there are.
    pub bytes: usize,
}

const DIGEST: usize = size_of::<DigestWords>();
const EXT: usize = size_of::<ExtWords>();
const WORD: usize = size_of::<u32>();
const DWORD: usize = size_of::<u64>();
const POW_WITNESS: usize = size_of::<u64>();

/// The sections of `proof`, whose bytes are `total` long.
pub fn sizes(proof: &MachineProof, total: usize) -> Vec<SectionSize> {
    let stark = &proof.proof;
    let opening = &stark.opening_proof;
    let mut sections = vec![
        ("header".to_string(), HEADER_LEN),
        (
            "public values (vkey digest, exit code, output)".to_string(),
            DIGEST + WORD + proof.public_output.len(),
        ),
        (
            "commitments, heights and LogUp sums".to_string(),
            stark.log_heights.len()
                + DIGEST * (2 + usize::from(stark.aux_commitment.is_some()))
                + EXT * stark.claimed_sums.len(),
        ),
        (
            "out-of-domain openings".to_string(),
            EXT * stark.openings.iter().map(opened_values).sum::<usize>(),
        ),
        (
            "FRI fold roots, final polynomial, proofs of work (batching, DEEP, queries)"
                .to_string(),
            DIGEST * opening.fold_roots.len() + EXT * opening.final_poly.len() + 3 * POW_WITNESS,
        ),
    ];
    for (round, name) in round_names(stark).iter().enumerate() {
        let (values, siblings) = opening.rounds.get(round).map_or((0, 0), |batch| {
            (DWORD * batch.values.len(), DIGEST * batch.siblings.len())
        });
        sections.push((format!("queries: {name} rows"), values));
        sections.push((format!("queries: {name} Merkle siblings"), siblings));
    }
    let (mut values, mut siblings) = (0, 0);
    for fold in &opening.folds {
        values += EXT * fold.values.len();
        siblings += DIGEST * fold.siblings.len();
    }
    sections.push(("queries: FRI fold coset values".to_string(), values));
    sections.push(("queries: FRI fold Merkle siblings".to_string(), siblings));
    let payload: usize = sections.iter().map(|(_, bytes)| bytes).sum();
    sections.push((
        "archive lengths, offsets and padding".to_string(),
        total.saturating_sub(payload),
    ));
    sections
        .into_iter()
        .map(|(name, bytes)| SectionSize { name, bytes })
        .collect()
}

fn opened_values(table: &TableOpenings) -> usize {
    table.preprocessed_local.len()
        + table.preprocessed_next.len()
        + table.main_local.len()
        + table.main_next.len()
        + table.aux_local.len()
        + table.aux_next.len()
        + table.quotient.len()
}

/// The commitment rounds every query opens, in the prover's order.
pub(super) fn round_names(stark: &Proof) -> Vec<&'static str> {
    let mut names = Vec::new();
    if stark
        .openings
        .iter()
        .any(|table| !table.preprocessed_local.is_empty())
    {
        names.push("preprocessed");
    }
    names.push("main");
    if stark.aux_commitment.is_some() {
        names.push("LogUp");
    }
    names.push("quotient");
    names
}
