//! LogUp: the bus argument, and how a table's interactions are packed into auxiliary columns.
//!
//! Every interaction `i` of a row contributes `s_i * m_i / d_i` to its bus, where `s_i = +1` for a
//! send and `-1` for a receive, `m_i` is the multiplicity and `d_i = gamma - (bus + sum_j
//! beta^(j+1) * v_j)` the random fingerprint of the tuple `v`. All buses balance (every tuple sent
//! as often as it is received) exactly when the sum over all rows of all tables, plus the public
//! endpoints, is zero, up to a soundness error of (bus terms) x (longest tuple) / |Challenge|,
//! which the proof of work before `gamma, beta` lifts above 100 bits (docs/security.md).
//!
//! A table's interactions are packed greedily into groups; each group gets one extension-field
//! auxiliary column `h_c` holding the group's per-row sum, checked by
//!
//! ```text
//!     h_c * prod_{i in G} d_i  =  sum_{i in G} s_i m_i prod_{k in G, k != i} d_k
//! ```
//!
//! whose degree grows with the group size, so a group takes interactions while the degree stays
//! within the table's budget (its own AIR degree, at least 3). The last group's column is instead
//! the running sum `phi`, constrained cyclically on every row (no selectors):
//!
//! ```text
//!     (phi' - phi - sum_{c < last} h_c + claimed / n) * prod_{i in G_last} d_i  =  (its numerator)
//! ```
//!
//! Summed over the whole cycle of `n` rows the `phi' - phi` terms cancel, which forces the sum of
//! all the table's contributions to equal its `claimed` sum. The verifier checks that the claimed
//! sums of all tables plus the public endpoint terms add up to zero.

use alloc::vec::Vec;

use p3_air::AirBuilder;
use p3_field::{Algebra, Field, PrimeCharacteristicRing, PrimeField32};

use crate::air::{Direction, Interaction, PublicEndpoint};
use crate::proof::NO_ROWS;
use crate::vk::ArchivedVerifyingKey;
use crate::{Challenge, Val};

/// Number of interaction terms of a proof: every row of every table contributes one term per
/// interaction, every public endpoint its multiplicity's magnitude.
///
/// Why it is bounded: for a tuple `v`, the LogUp identity only says that the signed count of
/// `v` over all terms is zero *modulo p*. If every multiplicity is 0 or 1 (see [`Interaction`];
/// free counts only on lookup tables with distinct rows, each of which matches one tuple), a
/// nonzero signed count is at most this number in magnitude, so keeping it below p makes the
/// modular identity an exact one: no tuple can be sent p times to cancel a missing receive.
pub fn bus_term_count(
    vk: &ArchivedVerifyingKey,
    log_heights: &[u8],
    endpoints: &[PublicEndpoint],
) -> u64 {
    bus_terms(
        vk.tables
            .iter()
            .map(|meta| meta.interactions.len())
            .zip(log_heights.iter().copied()),
        endpoints,
    )
}

/// [`bus_term_count`] from each table's `(number of interactions, log height)`.
pub fn bus_terms(tables: impl Iterator<Item = (usize, u8)>, endpoints: &[PublicEndpoint]) -> u64 {
    let rows: u64 = tables
        .map(|(interactions, log)| match log {
            NO_ROWS => 0,
            log => (interactions as u64) << log.min(63),
        })
        .fold(0u64, u64::saturating_add);
    endpoints
        .iter()
        .map(|e| {
            let m = e.multiplicity.as_canonical_u32();
            u64::from(m.min(Val::ORDER_U32 - m))
        })
        .fold(rows, u64::saturating_add)
}

/// Longest tuple an interaction or a public endpoint may have. The LogUp soundness error is
/// `(bus terms) x (longest tuple) / |Challenge|`; with fewer than p terms and tuples of at most
/// 32 elements, the presets' proof of work before the challenges keeps it below 2^-100
/// (docs/security.md). The machine's longest tuple (the ROM fetch) has 14.
pub const MAX_TUPLE_LEN: usize = 32;

/// Refuse proofs whose [`bus_term_count`] reach p; returns the count as the error.
pub fn check_interaction_bound(
    vk: &ArchivedVerifyingKey,
    log_heights: &[u8],
    endpoints: &[PublicEndpoint],
) -> Result<(), u64> {
    let terms = bus_term_count(vk, log_heights, endpoints);
    if terms < u64::from(Val::ORDER_U32) {
        Ok(())
    } else {
        Err(terms)
    }
}

/// The smallest degree budget a table gets for its LogUp columns: 3 lets two degree-1
/// interactions share a column, at the price of a quotient twice the trace size.
pub const MIN_LOGUP_DEGREE_BUDGET: usize = 3;

/// Degree of the constraint of one auxiliary column holding the interactions `group`.
pub fn group_degree(interactions: &[Interaction], group: &[usize]) -> usize {
    let den_total: usize = group.iter().map(|&i| interactions[i].tuple_degree()).sum();
    let column_term = 1 + den_total;
    let numerator = group
        .iter()
        .map(|&i| {
            let it = &interactions[i];
            it.multiplicity_degree() + den_total - it.tuple_degree()
        })
        .max()
        .unwrap_or(0);
    column_term.max(numerator)
}

/// Pack interactions (in declaration order) into groups whose constraint degree stays within
/// `budget`; an interaction too large for the budget on its own gets its own group.
pub fn pack_interactions(interactions: &[Interaction], budget: usize) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in 0..interactions.len() {
        current.push(i);
        if current.len() > 1 && group_degree(interactions, &current) > budget {
            current.pop();
            groups.push(core::mem::take(&mut current));
            current.push(i);
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// The bus randomness: `gamma` shifts fingerprints, powers of `beta` compress tuples.
#[derive(Clone, Debug)]
pub struct BusChallenges {
    /// The fingerprint shift.
    pub gamma: Challenge,
    /// `beta^0 .. beta^max_tuple_len`.
    pub beta_powers: Vec<Challenge>,
}

impl BusChallenges {
    /// Challenges able to compress tuples of up to `max_tuple_len` elements.
    pub fn new(gamma: Challenge, beta: Challenge, max_tuple_len: usize) -> Self {
        Self {
            gamma,
            beta_powers: beta.powers().take(max_tuple_len + 1).collect(),
        }
    }

    /// The fingerprint `gamma - (bus + sum_j beta^(j+1) v_j)` of a tuple given as already
    /// evaluated elements, in any algebra (scalars for the verifier, SIMD packings for the
    /// prover). The challenges must cover the tuple length (they are built for the longest tuple
    /// of the tables and endpoints at hand).
    #[inline]
    pub fn fingerprint<E, EF>(&self, bus: u16, values: impl IntoIterator<Item = E>) -> EF
    where
        E: Algebra<Val> + Copy,
        EF: Algebra<E> + Algebra<Challenge> + Copy,
    {
        let mut acc = EF::from(self.shift(bus));
        for (v, &b) in values.into_iter().zip(&self.beta_powers[1..]) {
            acc -= EF::from(b) * v;
        }
        acc
    }

    /// `gamma - bus`, where every fingerprint of `bus` starts.
    fn shift(&self, bus: u16) -> Challenge {
        self.gamma - Challenge::from(Val::from_u16(bus))
    }

    /// [`Self::fingerprint`] of extension values (the verifier's, at `zeta`) and the number of
    /// tuple elements given, its products by [`droste_pcs::ext::mul`] (one EXT_COMBINE call each
    /// in a guest). A tuple longer than the challenges cover gets a meaningless fingerprint but
    /// its true length, which the verifier then finds at odds with the key.
    pub fn fingerprint_and_len(
        &self,
        bus: u16,
        values: impl IntoIterator<Item = Challenge>,
    ) -> (Challenge, usize) {
        let mut values = values.into_iter();
        let mut acc = self.shift(bus);
        let mut len = 0;
        // The powers first: when they run out, no value is taken and lost to the count.
        for (&b, v) in self.beta_powers[1..].iter().zip(values.by_ref()) {
            acc -= droste_pcs::ext::mul(b, v);
            len += 1;
        }
        (acc, len + values.count())
    }

    /// Fingerprint of one interaction's tuple evaluated on `builder`'s current window, and its
    /// signed multiplicity.
    #[inline]
    pub fn interaction_terms<AB, EF>(
        &self,
        builder: &AB,
        interaction: &Interaction,
    ) -> (AB::Expr, EF)
    where
        AB: AirBuilder<F = Val>,
        AB::Expr: Algebra<Val> + Copy,
        EF: Algebra<AB::Expr> + Algebra<Challenge> + Copy,
    {
        let values = interaction.values.iter().map(|v| v.resolve(builder));
        let fingerprint = self.fingerprint(interaction.bus, values);
        let multiplicity = signed(
            interaction.direction,
            interaction.multiplicity.resolve(builder),
        );
        (multiplicity, fingerprint)
    }

    /// Evaluates the LogUp constraints of one table (one per auxiliary column, in column order)
    /// on `builder`'s window and hands each to `emit`. `aux_local`/`aux_next` hold the auxiliary
    /// columns (one extension element per group) on the current and next row.
    #[allow(clippy::too_many_arguments)]
    pub fn eval_table<AB, EF>(
        &self,
        builder: &AB,
        interactions: &[Interaction],
        group_sizes: &[usize],
        aux_local: &[EF],
        aux_next: &[EF],
        claimed_share: Challenge,
        emit: impl FnMut(EF),
    ) where
        AB: AirBuilder<F = Val>,
        AB::Expr: Algebra<Val> + Copy,
        EF: Algebra<AB::Expr> + Algebra<Challenge> + Copy,
    {
        let terms = interactions
            .iter()
            .map(|interaction| self.interaction_terms::<AB, EF>(builder, interaction));
        logup_constraints(terms, group_sizes, aux_local, aux_next, claimed_share, emit);
    }
}

/// The LogUp constraints of one table (one per auxiliary column, in column order) from its
/// interactions' `(signed multiplicity, fingerprint)` terms in declaration order, packed into
/// `group_sizes` columns; each goes to `emit`. `aux_local`/`aux_next` hold the auxiliary columns
/// (one extension element per group) on the current and next row. The terms must number exactly
/// the sum of the group sizes (the callers check it against the key).
pub fn logup_constraints<E, EF>(
    mut terms: impl Iterator<Item = (E, EF)>,
    group_sizes: &[usize],
    aux_local: &[EF],
    aux_next: &[EF],
    claimed_share: Challenge,
    mut emit: impl FnMut(EF),
) where
    EF: Algebra<E> + Algebra<Challenge> + Copy,
{
    let last = group_sizes.len().saturating_sub(1);
    let mut others = EF::ZERO;
    for (column, &size) in group_sizes.iter().enumerate() {
        let mut group = terms.by_ref().take(size);
        let mut fraction = match group.next() {
            Some((m, d)) => GroupFraction::single(m, d),
            None => GroupFraction::new(),
        };
        for (m, d) in group {
            fraction.add(m, d);
        }
        if column == last {
            let step = aux_next[column] - aux_local[column] - others + EF::from(claimed_share);
            emit(fraction.constraint(step));
        } else {
            others += aux_local[column];
            emit(fraction.constraint(aux_local[column]));
        }
    }
}

/// Signed multiplicity: `+m` for a send, `-m` for a receive.
#[inline]
pub fn signed<E: PrimeCharacteristicRing>(direction: Direction, multiplicity: E) -> E {
    match direction {
        Direction::Send => multiplicity,
        Direction::Receive => -multiplicity,
    }
}

/// Accumulates the fraction `sum_i m_i / d_i` of a group as a single numerator and denominator
/// (`num / den`) without inversions, for constraint evaluation.
#[derive(Clone, Copy, Debug)]
pub struct GroupFraction<EF> {
    /// `sum_i m_i prod_{k != i} d_k`.
    pub numerator: EF,
    /// `prod_i d_i`.
    pub denominator: EF,
}

impl<EF: PrimeCharacteristicRing + Copy> GroupFraction<EF> {
    /// The empty sum `0 / 1`.
    pub fn new() -> Self {
        Self {
            numerator: EF::ZERO,
            denominator: EF::ONE,
        }
    }

    /// The fraction `m / d` alone: what [`Self::add`] makes of `0 / 1`, without its three
    /// multiplications by 0 and 1 (extension-field multiplications for a verifier at `zeta`).
    #[inline]
    pub fn single<E>(signed_multiplicity: E, fingerprint: EF) -> Self
    where
        EF: Algebra<E>,
    {
        Self {
            numerator: signed_multiplicity.into(),
            denominator: fingerprint,
        }
    }

    /// Adds `m / d`.
    #[inline]
    pub fn add<E>(&mut self, signed_multiplicity: E, fingerprint: EF)
    where
        EF: Algebra<E>,
    {
        self.numerator = self.numerator * fingerprint + self.denominator * signed_multiplicity;
        self.denominator *= fingerprint;
    }

    /// The constraint `value * den - num`, zero exactly when `value = num / den` (for `den != 0`).
    #[inline]
    pub fn constraint(&self, value: EF) -> EF {
        value * self.denominator - self.numerator
    }
}

impl<EF: PrimeCharacteristicRing + Copy> Default for GroupFraction<EF> {
    fn default() -> Self {
        Self::new()
    }
}

/// `claimed / n`, the per-row share of the claimed sum subtracted by the running column.
pub fn claimed_share(claimed: Challenge, log_height: usize) -> Challenge {
    claimed * Val::from_u32(1 << log_height).inverse()
}

#[cfg(test)]
mod tests {
    use alloc::vec;
    use alloc::vec::Vec;

    use p3_air::SymbolicExpression;

    use p3_air::{BaseEntry, SymbolicVariable};

    use super::*;

    /// Symbolic variables for the current row of a main trace of `width` columns.
    fn main_row(width: usize) -> Vec<SymbolicVariable<Val>> {
        (0..width)
            .map(|index| SymbolicVariable::new(BaseEntry::Main { offset: 0 }, index))
            .collect()
    }

    fn lookups(n: usize) -> Vec<Interaction> {
        let row = main_row(n);
        (0..n)
            .map(|j| Interaction::send(0, [row[j]], Val::ONE))
            .collect()
    }

    #[test]
    fn unit_lookups_pack_two_per_column_at_degree_three() {
        let it = lookups(8);
        assert_eq!(group_degree(&it, &[0]), 2);
        assert_eq!(group_degree(&it, &[0, 1]), 3);
        assert_eq!(group_degree(&it, &[0, 1, 2]), 4);
        let groups = pack_interactions(&it, 3);
        assert_eq!(groups, vec![vec![0, 1], vec![2, 3], vec![4, 5], vec![6, 7]]);
        let groups = pack_interactions(&it, 5);
        assert_eq!(groups, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
    }

    #[test]
    fn variable_multiplicities_and_products_raise_the_degree() {
        let row = main_row(4);
        let product: SymbolicExpression<Val> = row[0] * row[1];
        let it = vec![
            Interaction::receive(1, [row[2]], row[3]),
            Interaction::send(1, [product.clone(), row[2].into()], row[3]),
            Interaction::send(1, [row[0]], product),
        ];
        assert_eq!(group_degree(&it, &[0]), 2);
        assert_eq!(group_degree(&it, &[1]), 3);
        assert_eq!(group_degree(&it, &[2]), 2);
        assert_eq!(group_degree(&it, &[0, 2]), 3);
        // An interaction over budget alone still gets a column.
        assert_eq!(pack_interactions(&it, 2), vec![vec![0], vec![1], vec![2]]);
        assert_eq!(pack_interactions(&it, 3), vec![vec![0], vec![1], vec![2]]);
        assert_eq!(pack_interactions(&it, 4), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn group_fraction_constraint_vanishes_exactly_on_the_sum() {
        let d = [
            Challenge::from(Val::from_u32(3)),
            Challenge::from(Val::from_u32(5)),
        ];
        let m = [Val::from_u32(2), -Val::ONE];
        let mut f = GroupFraction::<Challenge>::new();
        for (&m, &d) in m.iter().zip(&d) {
            f.add(m, d);
        }
        let sum = d[0].inverse() * m[0] + d[1].inverse() * m[1];
        assert_eq!(f.constraint(sum), Challenge::ZERO);
        assert_ne!(f.constraint(sum + Challenge::ONE), Challenge::ZERO);
        // Starting from the first term alone is the same fraction, term for term.
        let mut g = GroupFraction::single(m[0], d[0]);
        g.add(m[1], d[1]);
        assert_eq!((g.numerator, g.denominator), (f.numerator, f.denominator));
    }

    #[test]
    fn fingerprints_separate_buses_and_positions() {
        let ch = BusChallenges::new(
            Challenge::from(Val::from_u32(1000)),
            Challenge::from(Val::from_u32(7)),
            2,
        );
        let v = [Val::from_u32(1), Val::from_u32(2)];
        let base: Challenge = ch.fingerprint(3, v);
        assert_ne!(base, ch.fingerprint::<Val, Challenge>(4, v));
        assert_ne!(base, ch.fingerprint::<Val, Challenge>(3, [v[1], v[0]]));
        // gamma - (3 + 7 * 1 + 49 * 2)
        assert_eq!(base, Challenge::from(Val::from_u32(1000 - 3 - 7 - 98)));
    }
}
