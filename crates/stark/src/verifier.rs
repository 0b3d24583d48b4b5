//! The verifier: one implementation, `no_std` + `alloc`, over the archived proof in place.
//!
//! Every count, length and height read from the proof is checked against the verifying key
//! before it is used, every field element is checked canonical, and every failure is a
//! [`VerifyError`]: no byte string makes it panic. Its memory use depends on the key (widths,
//! number of tables), not on the proof bytes.

use alloc::vec;
use alloc::vec::Vec;

use droste_pcs::codec::{digest_from_archived, ext_from_archived, exts_in_place, Use};
use droste_pcs::ext::{as_precompiled, PrecompiledExt};
use droste_pcs::{MatrixClaim, RoundClaim, Transcript};
use p3_air::{Air, BaseAir, RowWindow};
use p3_field::{Field, PrimeCharacteristicRing, TwoAdicField};
use rkyv::Archived;

use crate::air::{Direction, Table};
use crate::bus_builder::EvaluatedInteraction;
use crate::logup::{
    check_interaction_bound, claimed_share, logup_constraints, BusChallenges, MAX_TUPLE_LEN,
};
use crate::proof::{self, ArchivedProof, ArchivedTableOpenings, NO_ROWS};
use crate::vk::{ArchivedTableMeta, ArchivedVerifyingKey, DigestedKey};
use crate::{
    Challenge, PublicEndpoint, Val, VerifierFolder, VerifyError, VerifyingKey, EXT_DEGREE,
    TRANSCRIPT_DOMAIN,
};

/// Smallest table height (log2) a proof may claim: FRI needs a few rows per folding step.
pub const MIN_LOG_HEIGHT: u8 = 1;

/// Verifies an owned proof under an owned key by serializing both and reading the archives, so
/// every verification goes through the wire format.
pub fn verify(
    vk: &VerifyingKey,
    tables: &[&dyn Table],
    proof: &crate::Proof,
    endpoints: &[PublicEndpoint],
) -> Result<(), VerifyError> {
    verify_bytes(vk, tables, &proof.to_bytes(), endpoints)
}

/// Verifies proof bytes (header + rkyv archive, 16-byte aligned) for `tables` under `vk`, with
/// the public bus `endpoints` the verifier adds itself.
pub fn verify_bytes(
    vk: &VerifyingKey,
    tables: &[&dyn Table],
    bytes: &[u8],
    endpoints: &[PublicEndpoint],
) -> Result<(), VerifyError> {
    let key = vk.to_bytes();
    let key = crate::vk::access(&key)?.digested()?;
    verify_archived(&key, tables, proof::access(bytes)?, endpoints)
}

/// The values one table opened, decoded and checked, laid out as the PCS claims them
/// (`[point][column]`: all columns at `zeta`, then all at `zeta * omega`).
struct Opened<'a> {
    /// At `zeta` and at `zeta * omega`, each row read in place.
    preprocessed: [&'a [Challenge]; 2],
    main: [&'a [Challenge]; 2],
    aux: [&'a [Challenge]; 2],
    /// At `zeta` only.
    quotient: [&'a [Challenge]; 1],
}

/// Verifies an archived proof (already validated by `rkyv::access`) under an archived key, both
/// read in place: the one verifier (module docs).
pub fn verify_archived(
    key: &DigestedKey<'_>,
    tables: &[&dyn Table],
    proof: &ArchivedProof,
    endpoints: &[PublicEndpoint],
) -> Result<(), VerifyError> {
    droste_pcs::phase::mark::<{ droste_pcs::phase::CONSTRAINTS }>();
    let vk = key.key();
    let fri = vk.fri();
    check_tables(vk, tables)?;
    let num_tables = tables.len();
    let log_heights = check_heights(vk, proof)?;
    check_interaction_bound(vk, &log_heights, endpoints)
        .map_err(|terms| VerifyError::TooManyInteractions { terms })?;
    check_endpoint_tuples(endpoints)?;
    // Tables with rows, in key order: the matrices of every commitment.
    let present: Vec<usize> = (0..num_tables)
        .filter(|&i| log_heights[i] != NO_ROWS)
        .collect();
    let claimed_tables: Vec<usize> = present
        .iter()
        .copied()
        .filter(|&i| vk.tables[i].aux_columns() > 0)
        .collect();
    let has_aux = !claimed_tables.is_empty();
    expect_len("openings", num_tables, num_tables, proof.openings.len())?;
    expect_len(
        "claimed sums",
        num_tables,
        claimed_tables.len(),
        proof.claimed_sums.len(),
    )?;
    if proof.aux_commitment.is_some() != has_aux {
        return Err(VerifyError::Shape {
            what: "aux commitment",
            table: num_tables,
            expected: has_aux.into(),
            got: proof.aux_commitment.is_some().into(),
        });
    }

    let mut transcript = Transcript::new(TRANSCRIPT_DOMAIN);
    transcript.observe_digest(key.digest());
    observe_endpoints(&mut transcript, endpoints);
    transcript.observe_slice(
        &log_heights
            .iter()
            .map(|&h| Val::from_u8(h))
            .collect::<Vec<_>>(),
    );

    let main_root = digest_from_archived(&proof.main_commitment)?;
    transcript.observe_digest(&main_root);
    if !transcript.check_grind(fri.logup_pow_bits, proof.logup_pow_witness.to_native()) {
        return Err(VerifyError::LogUpProofOfWork);
    }
    let gamma = transcript.sample_ext();
    let beta = transcript.sample_ext();
    let challenges = BusChallenges::new(gamma, beta, max_tuple_len(vk, endpoints));

    let aux_root = match proof.aux_commitment.as_ref() {
        Some(words) => {
            let root = digest_from_archived(words)?;
            transcript.observe_digest(&root);
            Some(root)
        }
        None => None,
    };
    let mut claimed = vec![Challenge::ZERO; num_tables];
    for (&table, words) in claimed_tables.iter().zip(proof.claimed_sums.iter()) {
        claimed[table] = ext_from_archived(words)?;
        transcript.observe_ext(claimed[table]);
    }
    let alpha = transcript.sample_ext();
    let quotient_root = digest_from_archived(&proof.quotient_commitment)?;
    transcript.observe_digest(&quotient_root);
    if !transcript.check_grind(fri.deep_pow_bits, proof.deep_pow_witness.to_native()) {
        return Err(VerifyError::DeepProofOfWork);
    }
    let zeta = transcript.sample_ext();

    // Constraints at zeta against the quotient, table by table (a table left out has none and
    // must open nothing).
    let mut selectors = Selectors::new(zeta)?;
    let mut opened = Vec::with_capacity(num_tables);
    for (i, (&table, meta)) in tables.iter().zip(vk.tables.iter()).enumerate() {
        let values = decode_openings(i, meta, log_heights[i] != NO_ROWS, &proof.openings[i])?;
        if log_heights[i] == NO_ROWS {
            opened.push(values);
            continue;
        }
        check_constraints_at_zeta(
            i,
            table,
            meta,
            selectors.at_height(usize::from(log_heights[i]))?,
            &values,
            &challenges,
            claimed[i],
            alpha,
        )?;
        opened.push(values);
    }

    // The buses balance: all claimed sums plus the public endpoint terms vanish.
    // One inversion for all endpoints (an aggregation proof has hundreds).
    let mut total: Challenge = claimed.iter().copied().sum();
    let mut inverses: Vec<Challenge> = endpoints
        .iter()
        .map(|e| challenges.fingerprint(e.bus, e.values.iter().copied()))
        .collect();
    if !droste_pcs::ext::batch_invert(&mut inverses, Challenge::ONE, droste_pcs::ext::mul, |v| {
        v.try_inverse()
    }) {
        return Err(VerifyError::DegenerateChallenge(
            "zero endpoint fingerprint",
        ));
    }
    for (inverse, endpoint) in inverses.into_iter().zip(endpoints) {
        total += inverse * endpoint.multiplicity;
    }
    if !total.is_zero() {
        return Err(VerifyError::Unbalanced);
    }

    // The PCS opening of everything, in commitment order: preprocessed, main, aux, quotient.
    let points: Vec<[Challenge; 2]> = log_heights
        .iter()
        .map(|&h| match h {
            NO_ROWS => [zeta; 2],
            h => [zeta, zeta * Val::two_adic_generator(usize::from(h))],
        })
        .collect();
    let claim = |i: usize, values| matrix_claim(log_heights[i], &points[i], values);
    let prep_claims: Vec<MatrixClaim<'_>> = (0..num_tables)
        .filter(|&i| vk.tables[i].preprocessed_width > 0)
        .map(|i| claim(i, &opened[i].preprocessed))
        .collect();
    let main_claims: Vec<MatrixClaim<'_>> =
        present.iter().map(|&i| claim(i, &opened[i].main)).collect();
    let aux_claims: Vec<MatrixClaim<'_>> = claimed_tables
        .iter()
        .map(|&i| claim(i, &opened[i].aux))
        .collect();
    let quotient_claims: Vec<MatrixClaim<'_>> = present
        .iter()
        .map(|&i| claim(i, &opened[i].quotient))
        .collect();

    let mut rounds = Vec::with_capacity(4);
    if let Some(root) = vk.preprocessed_digest()? {
        rounds.push(RoundClaim {
            digest: root,
            matrices: &prep_claims,
        });
    }
    rounds.push(RoundClaim {
        digest: main_root,
        matrices: &main_claims,
    });
    if let Some(root) = aux_root {
        rounds.push(RoundClaim {
            digest: root,
            matrices: &aux_claims,
        });
    }
    rounds.push(RoundClaim {
        digest: quotient_root,
        matrices: &quotient_claims,
    });
    droste_pcs::verify(&fri, &rounds, &proof.opening_proof, &mut transcript)?;
    Ok(())
}

/// The claim of a matrix opened at the first `values.len()` (one or two) of a table's `points`.
/// Its width is its values' length: [`decode_openings`] gave every slice the width the key sets.
fn matrix_claim<'a>(
    log_height: u8,
    points: &'a [Challenge; 2],
    values: &'a [&'a [Challenge]],
) -> MatrixClaim<'a> {
    MatrixClaim {
        log_height,
        width: values[0].len(),
        points: &points[..values.len()],
        values,
    }
}

/// The tables must be exactly the ones the key describes (widths, left-out policy, interaction
/// groups; each table's interactions are checked against the key when the verifier evaluates
/// them), and the key itself well formed.
pub(crate) fn check_tables(
    vk: &ArchivedVerifyingKey,
    tables: &[&dyn Table],
) -> Result<(), VerifyError> {
    let mismatch = |table, what| VerifyError::KeyMismatch { table, what };
    if vk.tables.len() != tables.len() {
        return Err(mismatch(tables.len(), "number of tables"));
    }
    let fri = vk.fri();
    if fri.validate().is_err() {
        return Err(mismatch(0, "invalid FRI parameters"));
    }
    let has_prep = vk.tables.iter().any(|t| t.preprocessed_width > 0);
    if has_prep != vk.preprocessed_commitment.is_some() {
        return Err(mismatch(0, "preprocessed commitment presence"));
    }
    for (i, (&table, meta)) in tables.iter().zip(vk.tables.iter()).enumerate() {
        let main_width = meta.main_width.to_native() as usize;
        if main_width != BaseAir::<Val>::width(table) || main_width == 0 {
            return Err(mismatch(i, "main width"));
        }
        let preprocessed_width = meta.preprocessed_width.to_native() as usize;
        if preprocessed_width != BaseAir::<Val>::preprocessed_width(table)
            || (preprocessed_width > 0) != meta.fixed_log_height().is_some()
        {
            return Err(mismatch(i, "preprocessed width"));
        }
        if meta.may_be_empty != table.may_be_empty() {
            return Err(mismatch(i, "may be empty"));
        }
        if meta
            .interactions
            .iter()
            .any(|it| it.tuple_len.to_native() as usize > MAX_TUPLE_LEN)
        {
            return Err(mismatch(i, "interaction tuple longer than 32 elements"));
        }
        let grouped: Option<usize> = meta.group_sizes.iter().try_fold(0usize, |acc, s| {
            let s = s.to_native() as usize;
            (s > 0).then(|| acc + s)
        });
        if grouped != Some(meta.interactions.len()) {
            return Err(mismatch(i, "interaction groups"));
        }
        if meta.log_quotient_chunks > fri.log_blowup
            || (1usize << meta.log_quotient_chunks) + 1 < usize::from(meta.constraint_degree)
        {
            return Err(mismatch(i, "quotient chunks"));
        }
    }
    Ok(())
}

/// Heights from the proof, checked: one per table, within the field's two-adicity after the
/// blowup, equal to the key's for preprocessed tables.
fn check_heights(vk: &ArchivedVerifyingKey, proof: &ArchivedProof) -> Result<Vec<u8>, VerifyError> {
    expect_len(
        "heights",
        vk.tables.len(),
        vk.tables.len(),
        proof.log_heights.len(),
    )?;
    let max = Val::TWO_ADICITY - usize::from(vk.fri.log_blowup);
    let mut heights = Vec::with_capacity(vk.tables.len());
    for (i, (&h, meta)) in proof.log_heights.iter().zip(vk.tables.iter()).enumerate() {
        if h == NO_ROWS {
            // Setup refuses `may_be_empty` with preprocessed columns; a key built otherwise is
            // still held to it.
            if !meta.may_be_empty || meta.fixed_log_height().is_some() {
                return Err(VerifyError::LeftOut { table: i });
            }
            heights.push(h);
            continue;
        }
        let fixed_ok = meta.fixed_log_height().is_none_or(|p| p == h);
        if h < MIN_LOG_HEIGHT || usize::from(h) > max || !fixed_ok {
            return Err(VerifyError::Height {
                table: i,
                log_height: h,
            });
        }
        heights.push(h);
    }
    if heights.iter().all(|&h| h == NO_ROWS) {
        return Err(VerifyError::NoRows);
    }
    Ok(heights)
}

fn expect_len(
    what: &'static str,
    table: usize,
    expected: usize,
    got: usize,
) -> Result<(), VerifyError> {
    if expected == got {
        Ok(())
    } else {
        Err(VerifyError::Shape {
            what,
            table,
            expected,
            got,
        })
    }
}

/// Public endpoint tuples are held to [`MAX_TUPLE_LEN`] like the tables' (the LogUp error grows
/// with the longest tuple).
pub(crate) fn check_endpoint_tuples(endpoints: &[PublicEndpoint]) -> Result<(), VerifyError> {
    match endpoints.iter().find(|e| e.values.len() > MAX_TUPLE_LEN) {
        Some(e) => Err(VerifyError::Shape {
            what: "public endpoint tuple length",
            table: 0,
            expected: MAX_TUPLE_LEN,
            got: e.values.len(),
        }),
        None => Ok(()),
    }
}

/// Absorbs the public endpoints: count, then per endpoint bus, multiplicity, length, values.
pub(crate) fn observe_endpoints(transcript: &mut Transcript, endpoints: &[PublicEndpoint]) {
    transcript.observe(count(endpoints.len()));
    for e in endpoints {
        transcript.observe(Val::from_u16(e.bus));
        transcript.observe(e.multiplicity);
        transcript.observe(count(e.values.len()));
        transcript.observe_slice(&e.values);
    }
}

/// `Val::from_usize(n)`, through `u32` when `n` fits (always, for endpoint counts): the `usize`
/// conversion reduces a 128-bit product, a `__umodti3` call of about 125 cycles in a guest.
fn count(n: usize) -> Val {
    u32::try_from(n).map_or_else(|_| Val::from_usize(n), Val::from_u32)
}

/// Longest tuple among the key's interactions and the endpoints.
pub(crate) fn max_tuple_len(vk: &ArchivedVerifyingKey, endpoints: &[PublicEndpoint]) -> usize {
    let tables = vk
        .tables
        .iter()
        .flat_map(|t| t.interactions.iter())
        .map(|i| i.tuple_len.to_native() as usize);
    tables
        .chain(endpoints.iter().map(|e| e.values.len()))
        .max()
        .unwrap_or(0)
}

/// An archived extension element (its 4 basis coordinates).
type ArchivedExtWords = [Archived<u32>; EXT_DEGREE];

/// A table's opened values, checked against its widths (all zero for a table left out).
///
/// Read in place as [`Use::HashFirst`]: the PCS absorbs every one of them into the transcript
/// before it samples its batching challenge (`droste_pcs::verifier::verify` observes each
/// claim), and no proof is accepted without that step. In a guest the absorption is a POSEIDON2
/// call, which stops the run on a word `>= p`; the constraints at zeta computed with such a
/// word before then are never part of an accepting run. Natively every word is checked here.
fn decode_openings<'a>(
    table: usize,
    meta: &ArchivedTableMeta,
    present: bool,
    o: &'a ArchivedTableOpenings,
) -> Result<Opened<'a>, VerifyError> {
    let decode = |what, expected: usize, words: &'a [ArchivedExtWords]| {
        expect_len(what, table, expected, words.len())?;
        Ok::<_, VerifyError>(exts_in_place(words, Use::HashFirst)?)
    };
    let both = |what_local, what_next, width: usize, local, next| {
        Ok::<_, VerifyError>([
            decode(what_local, width, local)?,
            decode(what_next, width, next)?,
        ])
    };
    let width = |w: usize| if present { w } else { 0 };
    let prep = width(meta.preprocessed_width.to_native() as usize);
    let main = width(meta.main_width.to_native() as usize);
    let aux = width(meta.aux_columns() * EXT_DEGREE);
    let quotient = width(EXT_DEGREE << meta.log_quotient_chunks);
    Ok(Opened {
        preprocessed: both(
            "preprocessed at zeta",
            "preprocessed at zeta*omega",
            prep,
            &o.preprocessed_local,
            &o.preprocessed_next,
        )?,
        main: both(
            "main at zeta",
            "main at zeta*omega",
            main,
            &o.main_local,
            &o.main_next,
        )?,
        aux: both(
            "aux at zeta",
            "aux at zeta*omega",
            aux,
            &o.aux_local,
            &o.aux_next,
        )?,
        quotient: [decode("quotient at zeta", quotient, &o.quotient)?],
    })
}

/// Recombines extension columns committed as 4 base columns each.
fn recombine(base_columns: &[Challenge]) -> Vec<Challenge> {
    base_columns
        .chunks_exact(EXT_DEGREE)
        .map(|c| droste_pcs::ext::recombine(&core::array::from_fn(|d| c[d])))
        .collect()
}

/// What a trace height's constraints need of `zeta`: `Z_H(zeta) = zeta^n - 1`, `zeta^n` and the
/// unnormalised selectors.
#[derive(Clone, Copy)]
struct AtHeight {
    log_height: usize,
    zeta_n: Challenge,
    vanishing: Challenge,
    is_first_row: Challenge,
    is_last_row: Challenge,
    is_transition: Challenge,
}

/// [`AtHeight`] per distinct trace height, each computed once (an extension inversion and
/// `log_height` squarings each), from one inversion of `zeta - 1` shared by all.
struct Selectors {
    zeta: Challenge,
    inv_first: Challenge,
    heights: Vec<AtHeight>,
}

impl Selectors {
    fn new(zeta: Challenge) -> Result<Self, VerifyError> {
        let inv_first = (zeta - Challenge::ONE)
            .try_inverse()
            .ok_or(VerifyError::DegenerateChallenge("zeta in the trace domain"))?;
        Ok(Self {
            zeta,
            inv_first,
            heights: Vec::new(),
        })
    }

    fn at_height(&mut self, log_height: usize) -> Result<AtHeight, VerifyError> {
        if let Some(at) = self.heights.iter().find(|h| h.log_height == log_height) {
            return Ok(*at);
        }
        let zeta = self.zeta;
        let zeta_n = PrecompiledExt(zeta).exp_power_of_2(log_height).0;
        let vanishing = zeta_n - Challenge::ONE;
        let last_row = Val::two_adic_generator(log_height).inverse();
        let inv_last = (zeta - last_row).try_inverse();
        let (false, Some(inv_last)) = (vanishing.is_zero(), inv_last) else {
            return Err(VerifyError::DegenerateChallenge("zeta in the trace domain"));
        };
        let at = AtHeight {
            log_height,
            zeta_n,
            vanishing,
            is_first_row: droste_pcs::ext::mul(vanishing, self.inv_first),
            is_last_row: droste_pcs::ext::mul(vanishing, inv_last),
            is_transition: zeta - last_row,
        };
        self.heights.push(at);
        Ok(at)
    }
}

#[allow(clippy::too_many_arguments)]
fn check_constraints_at_zeta(
    index: usize,
    table: &dyn Table,
    meta: &ArchivedTableMeta,
    at: AtHeight,
    o: &Opened,
    challenges: &BusChallenges,
    claimed: Challenge,
    alpha: Challenge,
) -> Result<(), VerifyError> {
    let [main_local, main_next] = o.main;
    let [prep_local, prep_next] = o.preprocessed;
    let mut folder = VerifierFolder {
        main: RowWindow::from_two_rows(as_precompiled(main_local), as_precompiled(main_next)),
        preprocessed: RowWindow::from_two_rows(
            as_precompiled(prep_local),
            as_precompiled(prep_next),
        ),
        is_first_row: at.is_first_row,
        is_last_row: at.is_last_row,
        is_transition: at.is_transition,
        alpha,
        accumulator: Challenge::ZERO,
        challenges,
        interactions: Vec::with_capacity(meta.interactions.len()),
    };
    Air::<VerifierFolder<'_>>::eval(table, &mut folder);
    check_interactions(index, meta, &folder.interactions)?;
    if meta.aux_columns() > 0 {
        let [aux_local, aux_next] = o.aux;
        let (aux_local, aux_next) = (recombine(aux_local), recombine(aux_next));
        let group_sizes: Vec<usize> = meta
            .group_sizes
            .iter()
            .map(|s| s.to_native() as usize)
            .collect();
        let terms = folder.interactions.iter().map(|i| {
            (
                PrecompiledExt(i.signed_multiplicity),
                PrecompiledExt(i.fingerprint),
            )
        });
        let mut logup = Vec::with_capacity(group_sizes.len());
        logup_constraints(
            terms,
            &group_sizes,
            as_precompiled(&aux_local),
            as_precompiled(&aux_next),
            claimed_share(claimed, at.log_height),
            |c: PrecompiledExt| logup.push(c.0),
        );
        for c in logup {
            folder.fold(c);
        }
    }
    // q(zeta) = sum_j zeta^(j n) q_j(zeta).
    let quotient = recombine(o.quotient[0])
        .iter()
        .rev()
        .fold(Challenge::ZERO, |acc, &chunk| {
            droste_pcs::ext::mul(acc, at.zeta_n) + chunk
        });
    if folder.accumulator != droste_pcs::ext::mul(quotient, at.vanishing) {
        return Err(VerifyError::ConstraintMismatch { table: index });
    }
    Ok(())
}

/// The interactions a table's `eval` declared must be the ones its key lists (bus, direction,
/// tuple length, in order): the LogUp columns were built and packed for those.
fn check_interactions(
    index: usize,
    meta: &ArchivedTableMeta,
    evaluated: &[EvaluatedInteraction<Challenge>],
) -> Result<(), VerifyError> {
    let matches = evaluated.len() == meta.interactions.len()
        && evaluated
            .iter()
            .zip(meta.interactions.iter())
            .all(|(e, m)| {
                e.bus == m.bus.to_native()
                    && (e.direction == Direction::Send) == m.is_send
                    && e.tuple_len == m.tuple_len.to_native() as usize
            });
    if matches {
        Ok(())
    } else {
        Err(VerifyError::KeyMismatch {
            table: index,
            what: "interactions",
        })
    }
}
