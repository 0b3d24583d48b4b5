//! The proof's parameters and their security, from the droste-pcs calculator.
//!
//! The proof carries its options (bound by its vkey digest, checked against the key by the
//! verifier); the calculator's other inputs come from the proof's shape (heights, opened
//! columns) and this machine's tables (constraint counts).

use droste_pcs::security::{analyze, RegimeReport, SecurityInputs};
use droste_pcs::FriParameters;
use droste_stark::logup::bus_terms;
use droste_stark::proof::NO_ROWS;
use droste_stark::{Proof, ProverTable, PublicEndpoint, Val, EXT_DEGREE};
use p3_air::{Air, AirLayout, BaseAir, SymbolicAirBuilder};

use crate::verify::preset_name;

/// The proof's FRI parameters.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ParametersReport {
    /// The preset they are, `None` for options no preset uses.
    pub preset: Option<&'static str>,
    /// log2 of the Reed-Solomon blowup.
    pub log_blowup: u8,
    /// FRI queries.
    pub num_queries: u16,
    /// Proof-of-work bits, ground twice (before batching and before the queries).
    pub query_pow_bits: u8,
    /// log2 of the FRI folding arity.
    pub log_folding_arity: u8,
    /// log2 of the final polynomial's length.
    pub log_final_poly_len: u8,
    /// Proof-of-work bits ground before the out-of-domain point.
    pub deep_pow_bits: u8,
    /// Proof-of-work bits ground before the LogUp challenges.
    pub logup_pow_bits: u8,
}

/// The bits of each component of one regime (the calculator's terms; the regime's total is their
/// minimum, and the hash's 124 bits).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ComponentBits {
    /// FRI queries, with their proof of work.
    pub query: f64,
    /// Batching the opened functions, with its proof of work.
    pub batching: f64,
    /// The weakest FRI folding round.
    pub fri_rounds: f64,
    /// Combining the constraints.
    pub ali: f64,
    /// The out-of-domain point, with its proof of work.
    pub deep: f64,
    /// The LogUp challenges, with their proof of work (`null` in JSON for a proof without buses).
    pub logup: f64,
}

impl ComponentBits {
    fn of(report: &RegimeReport) -> Self {
        Self {
            query: report.query,
            batching: report.batching,
            fri_rounds: report
                .commit_rounds
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min),
            ali: report.ali,
            deep: report.deep,
            logup: report.logup,
        }
    }
}

/// Security of the proof, in bits, with the calculator's inputs.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SecurityFigures {
    /// Provable bits: the better of the two regimes.
    pub provable: f64,
    /// Provable bits in the unique-decoding regime.
    pub unique_decoding: f64,
    /// Provable bits in the Johnson-bound regime.
    pub johnson_bound: f64,
    /// The unique-decoding regime's components.
    pub unique_decoding_components: ComponentBits,
    /// The Johnson-bound regime's components.
    pub johnson_bound_components: ComponentBits,
    /// Bits under the ethSTARK conjecture.
    pub conjectured: f64,
    /// log2 of the largest LDE domain.
    pub log_lde_domain: u32,
    /// Functions batched into FRI (opened columns times their opening points).
    pub batched_functions: u64,
    /// Constraints combined by the STARK (AIR constraints and LogUp columns of every table).
    pub constraints: u64,
    /// Upper bound on the constraint degree, from the number of quotient chunks.
    pub max_constraint_degree: u64,
    /// LogUp bus terms (rows times interactions, plus public endpoints): a bound on the distinct
    /// tuples the LogUp term counts.
    pub bus_terms: u64,
    /// The longest bus tuple.
    pub max_tuple_len: u64,
}

/// The report of the options `fri` a proof carries, named after their preset if they are one.
pub fn parameters(fri: FriParameters) -> ParametersReport {
    ParametersReport {
        preset: preset_name(fri),
        log_blowup: fri.log_blowup,
        num_queries: fri.num_queries,
        query_pow_bits: fri.query_pow_bits,
        log_folding_arity: fri.log_folding_arity,
        log_final_poly_len: fri.log_final_poly_len,
        deep_pow_bits: fri.deep_pow_bits,
        logup_pow_bits: fri.logup_pow_bits,
    }
}

/// The calculator's figures for `proof` under `parameters`; `tables` are this machine's tables,
/// one per proof table, `endpoints` the public bus terms of its statement.
pub fn figures(
    parameters: &ParametersReport,
    proof: &Proof,
    tables: &[&dyn ProverTable],
    endpoints: &[PublicEndpoint],
) -> SecurityFigures {
    let fri = FriParameters {
        log_blowup: parameters.log_blowup,
        num_queries: parameters.num_queries,
        query_pow_bits: parameters.query_pow_bits,
        log_folding_arity: parameters.log_folding_arity,
        log_final_poly_len: parameters.log_final_poly_len,
        deep_pow_bits: parameters.deep_pow_bits,
        logup_pow_bits: parameters.logup_pow_bits,
    };
    let max_log_height = proof
        .log_heights
        .iter()
        .copied()
        .filter(|&h| h != NO_ROWS)
        .max()
        .unwrap_or(0);
    let log_lde_domain = u32::from(max_log_height) + u32::from(fri.log_blowup);
    let mut batched_functions = 0u64;
    let mut constraints = 0u64;
    let mut max_degree = 0u64;
    let present = proof.log_heights.iter().map(|&h| h != NO_ROWS);
    for ((openings, &table), present) in proof.openings.iter().zip(tables).zip(present) {
        if !present {
            continue;
        }
        let two_points = openings.preprocessed_local.len()
            + openings.main_local.len()
            + openings.aux_local.len();
        batched_functions += 2 * two_points as u64 + openings.quotient.len() as u64;
        let logup_columns = openings.aux_local.len() / EXT_DEGREE;
        constraints += air_constraints(table) + logup_columns as u64;
        let quotient_chunks = (openings.quotient.len() / EXT_DEGREE) as u64;
        max_degree = max_degree.max(quotient_chunks + 1);
    }
    let interactions: Vec<_> = tables.iter().map(|t| t.interactions()).collect();
    let bus_terms = bus_terms(
        interactions
            .iter()
            .map(Vec::len)
            .zip(proof.log_heights.iter().copied()),
        endpoints,
    );
    let max_tuple_len = interactions
        .iter()
        .flatten()
        .map(|i| i.values.len())
        .chain(endpoints.iter().map(|e| e.values.len()))
        .max()
        .unwrap_or(0) as u64;
    let inputs = SecurityInputs::koala_bear(
        fri,
        log_lde_domain,
        batched_functions,
        constraints,
        max_degree,
    )
    .with_buses(bus_terms, max_tuple_len);
    let report = analyze(&inputs);
    SecurityFigures {
        provable: report.provable,
        unique_decoding: report.unique_decoding.total,
        johnson_bound: report.johnson_bound.total,
        unique_decoding_components: ComponentBits::of(&report.unique_decoding),
        johnson_bound_components: ComponentBits::of(&report.johnson_bound),
        conjectured: report.conjectured,
        log_lde_domain,
        batched_functions,
        constraints,
        max_constraint_degree: max_degree,
        bus_terms,
        max_tuple_len,
    }
}

/// The number of AIR constraints of `table`, counted by evaluating it symbolically.
fn air_constraints(table: &dyn ProverTable) -> u64 {
    let table = table.as_table();
    let layout = AirLayout {
        preprocessed_width: BaseAir::<Val>::preprocessed_width(table),
        main_width: BaseAir::<Val>::width(table),
        ..AirLayout::default()
    };
    let mut builder = SymbolicAirBuilder::<Val>::new(layout);
    Air::<SymbolicAirBuilder<Val>>::eval(table, &mut builder);
    builder.base_constraints().len() as u64
}
