//! Setup (proving and verifying keys) and the prover.

use alloc::format;
use alloc::string::ToString;
use alloc::vec::Vec;

use droste_pcs::codec::{digest_to_u32s, ext_to_u32s};
use droste_pcs::{Committed, Pcs, Transcript};
use p3_air::{Air, AirLayout, BaseAir, SymbolicAirBuilder, SymbolicExpression};
use p3_field::{Field, PrimeCharacteristicRing, TwoAdicField};
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

use crate::aux_trace;
use crate::logup::{
    check_interaction_bound, claimed_share, group_degree, pack_interactions, BusChallenges,
    MIN_LOGUP_DEGREE_BUDGET,
};
use crate::proof::{TableOpenings, NO_ROWS};
use crate::quotient::{quotient_chunks, CosetTraces, QuotientInputs};
use crate::row_eval::RowEvaluator;
use crate::verifier::{
    check_endpoint_tuples, check_tables, max_tuple_len, observe_endpoints, MIN_LOG_HEIGHT,
};
use crate::vk::{InteractionMeta, TableMeta};
use crate::{
    Challenge, FriParameters, Proof, ProveError, ProverTable, PublicEndpoint, SetupError, Table,
    Val, VerifyingKey, TRANSCRIPT_DOMAIN,
};

/// What the prover keeps from setup: the verifying key, the PCS, and the committed preprocessed
/// traces (committed once, opened in every proof).
#[derive(Debug)]
pub struct ProvingKey {
    /// The matching verifying key.
    pub vk: VerifyingKey,
    pcs: Pcs,
    preprocessed: Option<Committed>,
    /// Per table: its preprocessed trace and its matrix index in the preprocessed commitment.
    preprocessed_traces: Vec<Option<(RowMajorMatrix<Val>, usize)>>,
}

impl ProvingKey {
    /// The PCS prover with the key's FRI parameters.
    pub fn pcs(&self) -> &Pcs {
        &self.pcs
    }

    /// Whether proofs keep every LDE in memory (faster) or only coefficients (less memory); by
    /// default only at blowup 2 (see `droste_pcs::Pcs::new`). Proofs are the same either way.
    pub fn set_ldes_kept(&mut self, keep: bool) {
        self.pcs.set_ldes_kept(keep);
    }
}

fn table_error(table: &dyn ProverTable, what: impl ToString) -> SetupError {
    SetupError::Table {
        table: table.name().to_string(),
        what: what.to_string(),
    }
}

/// A table a proof may leave out must mean nothing when it is: no preprocessed columns (those fix
/// the height), and an all-zero trace of two rows (the fewest a table has) satisfies its
/// constraints with every interaction's multiplicity zero. Then a proof without the table says
/// no more than one with such padding, which the prover could always have sent.
fn check_left_out_means_padding(
    table: &dyn ProverTable,
    preprocessed_width: usize,
    main_width: usize,
) -> Result<(), SetupError> {
    if preprocessed_width > 0 {
        return Err(table_error(
            table,
            "a table with preprocessed columns has a fixed height and cannot be left out",
        ));
    }
    let zero = RowMajorMatrix::new(Val::zero_vec(2 * main_width), main_width);
    let interactions = table.interactions();
    for row in 0..2 {
        let mut eval = RowEvaluator::at(&zero, None, row);
        Air::<RowEvaluator<'_>>::eval(table, &mut eval);
        if !eval.failures.is_empty() {
            return Err(table_error(
                table,
                "may be left out, but all-zero rows violate its constraints",
            ));
        }
        if interactions
            .iter()
            .any(|i| !i.multiplicity.resolve(&eval).is_zero())
        {
            return Err(table_error(
                table,
                "may be left out, but an all-zero row has a nonzero bus multiplicity",
            ));
        }
    }
    Ok(())
}

/// Derives the keys of `tables`: checks what each table uses, infers its constraint degree
/// symbolically, packs its interactions into LogUp columns, and commits the preprocessed traces.
pub fn setup(
    tables: &[&dyn ProverTable],
    fri: FriParameters,
) -> Result<(ProvingKey, VerifyingKey), SetupError> {
    let pcs = Pcs::new(fri).map_err(SetupError::Parameters)?;
    let max_log_height = Val::TWO_ADICITY - usize::from(fri.log_blowup);
    let mut metas = Vec::with_capacity(tables.len());
    let mut preprocessed_traces = Vec::with_capacity(tables.len());
    let mut preprocessed_mats = Vec::new();
    for &table in tables {
        let main_width = BaseAir::<Val>::width(table);
        if main_width == 0 {
            return Err(table_error(table, "a table needs at least one main column"));
        }
        if BaseAir::<Val>::num_public_values(table) != 0
            || BaseAir::<Val>::num_periodic_columns(table) != 0
        {
            return Err(table_error(
                table,
                "AIR public values and periodic columns are not supported (use bus endpoints)",
            ));
        }
        let preprocessed_width = BaseAir::<Val>::preprocessed_width(table);
        if table.may_be_empty() {
            check_left_out_means_padding(table, preprocessed_width, main_width)?;
        }
        let preprocessed = BaseAir::<Val>::preprocessed_trace(table);
        let preprocessed_log_height = match &preprocessed {
            None if preprocessed_width == 0 => None,
            Some(p) if p.width() == preprocessed_width && preprocessed_width > 0 => {
                let h = p.height();
                let log = h.trailing_zeros() as usize;
                if !h.is_power_of_two() || log < usize::from(MIN_LOG_HEIGHT) || log > max_log_height
                {
                    return Err(table_error(
                        table,
                        format!("preprocessed height {h} is not allowed"),
                    ));
                }
                Some(log as u8)
            }
            _ => {
                return Err(table_error(
                    table,
                    "preprocessed trace does not match its width",
                ))
            }
        };

        let layout = AirLayout {
            preprocessed_width,
            main_width,
            ..AirLayout::default()
        };
        let mut symbolic = SymbolicAirBuilder::<Val>::new(layout);
        Air::<SymbolicAirBuilder<Val>>::eval(table, &mut symbolic);
        let constraints = symbolic.base_constraints();
        let air_degree = constraints
            .iter()
            .map(SymbolicExpression::degree_multiple)
            .max()
            .unwrap_or(0);

        let interactions = table.interactions();
        for interaction in &interactions {
            crate::air::validate_interaction(interaction, main_width, preprocessed_width)
                .map_err(|what| table_error(table, what))?;
        }
        let budget = air_degree.max(MIN_LOGUP_DEGREE_BUDGET);
        let groups = pack_interactions(&interactions, budget);
        let degree = groups
            .iter()
            .map(|g| group_degree(&interactions, g))
            .fold(air_degree, usize::max);
        let log_quotient_chunks = degree
            .saturating_sub(1)
            .max(1)
            .next_power_of_two()
            .trailing_zeros();
        if log_quotient_chunks > u32::from(fri.log_blowup) {
            return Err(table_error(
                table,
                format!(
                    "constraint degree {degree} needs a blowup of at least {}",
                    degree - 1
                ),
            ));
        }
        if let Some(p) = preprocessed {
            preprocessed_traces.push(Some((p.clone(), preprocessed_mats.len())));
            preprocessed_mats.push(p);
        } else {
            preprocessed_traces.push(None);
        }
        metas.push(TableMeta {
            name: table.name().to_string(),
            main_width: main_width as u32,
            preprocessed_width: preprocessed_width as u32,
            preprocessed_log_height,
            num_air_constraints: constraints.len() as u32,
            constraint_degree: degree as u8,
            log_quotient_chunks: log_quotient_chunks as u8,
            interactions: interactions.iter().map(InteractionMeta::of).collect(),
            group_sizes: groups.iter().map(|g| g.len() as u32).collect(),
            may_be_empty: table.may_be_empty(),
        });
    }
    let preprocessed =
        (!preprocessed_mats.is_empty()).then(|| pcs.commit_evaluations(preprocessed_mats));
    let vk = VerifyingKey {
        fri,
        preprocessed_commitment: preprocessed.as_ref().map(|(root, _)| digest_to_u32s(root)),
        tables: metas,
    };
    let pk = ProvingKey {
        vk: vk.clone(),
        pcs,
        preprocessed: preprocessed.map(|(_, committed)| committed),
        preprocessed_traces,
    };
    Ok((pk, vk))
}

/// The rounds of [`prove`], in order, as reported to [`prove_with_progress`]'s hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProverRound {
    /// Low-degree extension and Merkle commitment of the main traces.
    CommitMain,
    /// LogUp auxiliary traces, their extension and commitment.
    LogUp,
    /// Constraint evaluation on the quotient domain and commitment of the quotient chunks.
    Quotient,
    /// Out-of-domain openings, DEEP quotients, FRI and the query openings.
    Open,
}

/// Proves that `traces` (the main trace of each table, in key order) satisfy the tables'
/// constraints and that all buses balance together with the public `endpoints`.
pub fn prove(
    pk: &ProvingKey,
    tables: &[&dyn ProverTable],
    traces: Vec<RowMajorMatrix<Val>>,
    endpoints: &[PublicEndpoint],
) -> Result<Proof, ProveError> {
    prove_with_progress(pk, tables, traces, endpoints, &mut |_| {})
}

/// [`prove`], calling `on_round` as each round starts (after the inputs have been checked), so
/// that long proofs can show where they are.
pub fn prove_with_progress(
    pk: &ProvingKey,
    tables: &[&dyn ProverTable],
    traces: Vec<RowMajorMatrix<Val>>,
    endpoints: &[PublicEndpoint],
    on_round: &mut dyn FnMut(ProverRound),
) -> Result<Proof, ProveError> {
    let vk = &pk.vk;
    // The prover reads its key the way the verifier does: archived, digested once.
    let key_bytes = vk.to_bytes();
    let key = crate::vk::access(&key_bytes)
        .and_then(|key| key.digested())
        .map_err(ProveError::KeyMismatch)?;
    let views: Vec<&dyn Table> = tables.iter().map(|t| t.as_table()).collect();
    check_tables(key.key(), &views).map_err(ProveError::KeyMismatch)?;
    for (i, (&table, meta)) in tables.iter().zip(&vk.tables).enumerate() {
        let interactions = table.interactions();
        if interactions.len() != meta.interactions.len()
            || interactions
                .iter()
                .zip(&meta.interactions)
                .any(|(it, m)| InteractionMeta::of(it) != *m)
        {
            return Err(ProveError::KeyMismatch(crate::VerifyError::KeyMismatch {
                table: i,
                what: "interactions",
            }));
        }
    }
    if traces.len() != tables.len() {
        return Err(ProveError::TraceCount {
            tables: tables.len(),
            traces: traces.len(),
        });
    }
    let max_log_height = Val::TWO_ADICITY - usize::from(vk.fri.log_blowup);
    let mut log_heights = Vec::with_capacity(traces.len());
    for (trace, meta) in traces.iter().zip(&vk.tables) {
        let h = trace.height();
        let log = h.trailing_zeros() as usize;
        let fixed_ok = meta
            .preprocessed_log_height
            .is_none_or(|p| usize::from(p) == log);
        let shape_error = || ProveError::TraceShape {
            table: meta.name.clone(),
            width: trace.width(),
            height: h,
        };
        if trace.width() != meta.main_width as usize {
            return Err(shape_error());
        }
        if h == 0 && meta.may_be_empty {
            log_heights.push(NO_ROWS);
            continue;
        }
        if !h.is_power_of_two()
            || log < usize::from(MIN_LOG_HEIGHT)
            || log > max_log_height
            || !fixed_ok
        {
            return Err(shape_error());
        }
        log_heights.push(log as u8);
    }
    // Tables with rows, in key order: the matrices of every commitment.
    let present: Vec<usize> = (0..tables.len())
        .filter(|&i| log_heights[i] != NO_ROWS)
        .collect();
    if present.is_empty() {
        return Err(ProveError::NoRows);
    }

    check_interaction_bound(key.key(), &log_heights, endpoints)
        .map_err(|terms| ProveError::TooManyInteractions { terms })?;
    check_endpoint_tuples(endpoints).map_err(ProveError::KeyMismatch)?;

    let pcs = &pk.pcs;
    let mut transcript = Transcript::new(TRANSCRIPT_DOMAIN);
    transcript.observe_digest(key.digest());
    observe_endpoints(&mut transcript, endpoints);
    transcript.observe_slice(
        &log_heights
            .iter()
            .map(|&h| Val::from_u8(h))
            .collect::<Vec<_>>(),
    );

    // Round 1: main traces. Tables with interactions need their trace again for the LogUp
    // columns: a commitment that keeps coefficients gives it back (one DFT per table, one table
    // at a time), so copies of the traces are kept only beside one that keeps LDEs.
    on_round(ProverRound::CommitMain);
    let aux_tables: Vec<usize> = present
        .iter()
        .copied()
        .filter(|&i| vk.tables[i].aux_columns() > 0)
        .collect();
    let kept: Vec<Option<RowMajorMatrix<Val>>> = aux_tables
        .iter()
        .map(|&i| pcs.keeps_ldes().then(|| traces[i].clone()))
        .collect();
    let present_traces: Vec<RowMajorMatrix<Val>> = traces
        .into_iter()
        .zip(&log_heights)
        .filter(|(_, &h)| h != NO_ROWS)
        .map(|(t, _)| t)
        .collect();
    let (main_root, main) = pcs.commit_evaluations(present_traces);
    transcript.observe_digest(&main_root);
    let logup_pow_witness = transcript.grind(vk.fri.logup_pow_bits);
    let gamma = transcript.sample_ext();
    let beta = transcript.sample_ext();
    let challenges = BusChallenges::new(gamma, beta, max_tuple_len(key.key(), endpoints));

    // Round 2: LogUp auxiliary traces and claimed sums.
    on_round(ProverRound::LogUp);
    let mut aux_mats = Vec::with_capacity(aux_tables.len());
    let mut claimed = alloc::vec![Challenge::ZERO; tables.len()];
    for (&i, kept) in aux_tables.iter().zip(kept) {
        let table = tables[i];
        let interactions = table.interactions();
        let prep = pk.preprocessed_traces[i].as_ref().map(|(m, _)| m);
        let trace = kept.unwrap_or_else(|| {
            let main_index = present.binary_search(&i).expect("aux tables are present");
            pcs.trace_evaluations(&main, main_index)
        });
        let (aux, sum) = aux_trace::generate(
            &trace,
            prep,
            &interactions,
            &vk.tables[i].group_sizes_usize(),
            &challenges,
        )
        .ok_or_else(|| ProveError::ZeroFingerprint(table.name().to_string()))?;
        aux_mats.push(aux);
        claimed[i] = sum;
    }
    let aux = (!aux_mats.is_empty()).then(|| pcs.commit_evaluations(aux_mats));
    if let Some((root, _)) = &aux {
        transcript.observe_digest(root);
    }
    for &i in &aux_tables {
        transcript.observe_ext(claimed[i]);
    }
    let alpha = transcript.sample_ext();

    // Round 3: quotient chunks.
    on_round(ProverRound::Quotient);
    let mut quotient_mats = Vec::with_capacity(present.len());
    for (main_index, &i) in present.iter().enumerate() {
        let table = tables[i];
        let meta = &vk.tables[i];
        let log_chunks = usize::from(meta.log_quotient_chunks);
        let interactions = table.interactions();
        let aux_index = aux_tables.iter().position(|&t| t == i);
        let coset_traces = |coset: usize| CosetTraces {
            main: pcs.evaluations_on_quotient_coset(&main, main_index, log_chunks, coset),
            preprocessed: pk.preprocessed_traces[i].as_ref().map(|(_, index)| {
                let committed = pk
                    .preprocessed
                    .as_ref()
                    .expect("preprocessed tables are committed");
                pcs.evaluations_on_quotient_coset(committed, *index, log_chunks, coset)
            }),
            aux: aux_index.map(|index| {
                let (_, committed) = aux.as_ref().expect("aux traces are committed");
                pcs.evaluations_on_quotient_coset(committed, index, log_chunks, coset)
            }),
        };
        let inputs = QuotientInputs {
            table,
            interactions: &interactions,
            group_sizes: &meta.group_sizes_usize(),
            num_air_constraints: meta.num_air_constraints as usize,
            log_height: usize::from(log_heights[i]),
            log_chunks,
            challenges: &challenges,
            claimed_share: claimed_share(claimed[i], usize::from(log_heights[i])),
            alpha,
        };
        quotient_mats.push(quotient_chunks(
            &inputs,
            pcs.quotient_domain(&main, main_index, log_chunks),
            coset_traces,
        ));
    }
    let (quotient_root, quotient) = pcs.commit_coefficients(quotient_mats);
    transcript.observe_digest(&quotient_root);
    let deep_pow_witness = transcript.grind(vk.fri.deep_pow_bits);
    let zeta = transcript.sample_ext();

    // Round 4: open everything at zeta (and zeta * omega for the traces).
    on_round(ProverRound::Open);
    let points = |i: usize| {
        let omega = Val::two_adic_generator(usize::from(log_heights[i]));
        alloc::vec![zeta, zeta * omega]
    };
    let prep_tables: Vec<usize> = (0..tables.len())
        .filter(|&i| pk.preprocessed_traces[i].is_some())
        .collect();
    let mut rounds: Vec<(&Committed, Vec<Vec<Challenge>>)> = Vec::with_capacity(4);
    if let Some(committed) = &pk.preprocessed {
        rounds.push((committed, prep_tables.iter().map(|&i| points(i)).collect()));
    }
    rounds.push((&main, present.iter().map(|&i| points(i)).collect()));
    if let Some((_, committed)) = &aux {
        rounds.push((committed, aux_tables.iter().map(|&i| points(i)).collect()));
    }
    rounds.push((
        &quotient,
        present.iter().map(|_| alloc::vec![zeta]).collect(),
    ));
    let (values, opening_proof) = pcs.open(&rounds, &mut transcript);

    let words = |v: &[Challenge]| v.iter().map(ext_to_u32s).collect::<Vec<_>>();
    let mut rounds_values = values.into_iter();
    let prep_values = if pk.preprocessed.is_some() {
        rounds_values.next()
    } else {
        None
    };
    let main_values = rounds_values.next().expect("main round opened");
    let aux_values = if aux.is_some() {
        rounds_values.next()
    } else {
        None
    };
    let quotient_values = rounds_values.next().expect("quotient round opened");
    let mut openings: Vec<TableOpenings> = (0..tables.len())
        .map(|_| TableOpenings {
            preprocessed_local: Vec::new(),
            preprocessed_next: Vec::new(),
            main_local: Vec::new(),
            main_next: Vec::new(),
            aux_local: Vec::new(),
            aux_next: Vec::new(),
            quotient: Vec::new(),
        })
        .collect();
    for (k, &i) in present.iter().enumerate() {
        openings[i].main_local = words(&main_values[k][0]);
        openings[i].main_next = words(&main_values[k][1]);
        openings[i].quotient = words(&quotient_values[k][0]);
    }
    for (k, &i) in prep_tables.iter().enumerate() {
        let v = &prep_values.as_ref().expect("preprocessed round opened")[k];
        openings[i].preprocessed_local = words(&v[0]);
        openings[i].preprocessed_next = words(&v[1]);
    }
    for (k, &i) in aux_tables.iter().enumerate() {
        let v = &aux_values.as_ref().expect("aux round opened")[k];
        openings[i].aux_local = words(&v[0]);
        openings[i].aux_next = words(&v[1]);
    }
    Ok(Proof {
        log_heights,
        main_commitment: digest_to_u32s(&main_root),
        logup_pow_witness,
        aux_commitment: aux.as_ref().map(|(root, _)| digest_to_u32s(root)),
        claimed_sums: aux_tables
            .iter()
            .map(|&i| ext_to_u32s(&claimed[i]))
            .collect(),
        quotient_commitment: digest_to_u32s(&quotient_root),
        deep_pow_witness,
        openings,
        opening_proof,
    })
}
