//! Security calculator: provable bits (unique-decoding and Johnson-bound regimes) and conjectured
//! bits for a parameter set, following the Ethereum Foundation's soundcalc, which applies
//! BCHKS25 ("On Proximity Gaps for Reed-Solomon Codes", eprint 2025/2055) for the batching and
//! folding errors and eprint 2022/1216 (Theorem 8) for ALI/DEEP; the conjectured figure is
//! ethSTARK's (eprint 2021/582, section 5.10.1, eq. 19). The LogUp term (the bus argument's
//! challenges, which soundcalc does not model) is derived in docs/security.md, which lists every
//! formula.
//!
//! All figures are `-log2(error)` as `f64`; soundcalc reports their floor.

use alloc::vec::Vec;

use crate::fold::FoldPlan;
use crate::FriParameters;

/// log2 of |F_ext| = p^4 for KoalaBear (p = 2^31 - 2^24 + 1).
pub fn koala_bear_ext_log2_order() -> f64 {
    4.0 * 2_130_706_433f64.log2()
}

/// Collision resistance of the Merkle/transcript hash in bits: Poseidon2 digests of 8 KoalaBear
/// elements (248 bits, birthday bound 124) with an 8-element capacity.
pub const HASH_BITS: f64 = 124.0;

/// What the calculator needs to know about a proof: the PCS parameters plus the shape of the
/// STARK on top (its constraint count and degree enter the ALI and DEEP terms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SecurityInputs {
    /// FRI parameters. `query_pow_bits` is ground twice (before the batching challenge and
    /// before the queries), so it counts for both.
    pub params: FriParameters,
    /// log2 of the largest LDE domain (trace height times blowup).
    pub log_lde_domain: u32,
    /// Number of functions batched into FRI: the sum over committed columns of their opening
    /// points (e.g. columns x 2 for `[zeta, zeta * omega]`).
    pub num_functions: u64,
    /// Number of AIR constraints combined by the STARK's random linear combination.
    pub num_constraints: u64,
    /// Largest constraint degree.
    pub max_constraint_degree: u64,
    /// Largest number of opening points of one column ("max_combo" in soundcalc).
    pub num_opening_points: u64,
    /// log2 of the challenge-field size.
    pub log2_field: f64,
    /// Number of LogUp bus terms: the sum over tables of height times interactions, plus the
    /// public endpoints' multiplicities (what `droste_stark::logup::bus_term_count` counts). It
    /// bounds the number of distinct tuples on the buses. 0 for a proof without buses.
    pub bus_terms: u64,
    /// Longest bus tuple (elements after the bus id).
    pub max_tuple_len: u64,
}

impl SecurityInputs {
    /// Inputs for droste's field (KoalaBear^4) with two opening points.
    pub fn koala_bear(
        params: FriParameters,
        log_lde_domain: u32,
        num_functions: u64,
        num_constraints: u64,
        max_constraint_degree: u64,
    ) -> Self {
        Self {
            params,
            log_lde_domain,
            num_functions,
            num_constraints,
            max_constraint_degree,
            num_opening_points: 2,
            log2_field: koala_bear_ext_log2_order(),
            bus_terms: 0,
            max_tuple_len: 0,
        }
    }

    /// The same inputs for a proof whose buses carry `bus_terms` terms, tuples of at most
    /// `max_tuple_len` elements.
    pub fn with_buses(self, bus_terms: u64, max_tuple_len: u64) -> Self {
        Self {
            bus_terms,
            max_tuple_len,
            ..self
        }
    }

    fn rate(&self) -> f64 {
        (-f64::from(self.params.log_blowup)).exp2()
    }

    fn trace_length(&self) -> f64 {
        (f64::from(self.log_lde_domain) - f64::from(self.params.log_blowup)).exp2()
    }
}

/// The two proximity regimes of soundcalc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Regime {
    /// Proximity `theta = (1 - rho) / 2`, list size 1.
    UniqueDecoding,
    /// Proximity `theta = 1 - sqrt(rho) - eta` up to the Johnson bound.
    JohnsonBound,
}

impl Regime {
    /// The gap `eta` to the Johnson bound soundcalc uses: `max(rho/20, sqrt(rho)/100)` for
    /// fields below 2^150, `sqrt(rho)/100` above.
    fn johnson_gap(rate: f64, log2_field: f64) -> f64 {
        if log2_field > 150.0 {
            rate.sqrt() / 100.0
        } else {
            (rate / 20.0).max(rate.sqrt() / 100.0)
        }
    }

    /// Proximity parameter `theta`.
    pub fn proximity(self, rate: f64, log2_field: f64) -> f64 {
        match self {
            Self::UniqueDecoding => (1.0 - rate) / 2.0,
            Self::JohnsonBound => 1.0 - rate.sqrt() - Self::johnson_gap(rate, log2_field),
        }
    }

    /// Bound `L+` on the list size at that proximity.
    pub fn list_size(self, rate: f64, log2_field: f64) -> f64 {
        match self {
            Self::UniqueDecoding => 1.0,
            Self::JohnsonBound => 1.0 / (2.0 * Self::johnson_gap(rate, log2_field) * rate.sqrt()),
        }
    }

    /// Mutual correlated agreement error of one random linear combination (independent
    /// coefficients) for a Reed-Solomon code of `dimension` and `rate` (BCHKS25 Cor. 1.4 /
    /// Thm. 4.2), as `-log2`.
    pub fn linear_error_bits(self, rate: f64, dimension: f64, log2_field: f64) -> f64 {
        let n = dimension / rate;
        let error_times_field = match self {
            Self::UniqueDecoding => (1.0 - rate) / 2.0 * n + 1.0,
            Self::JohnsonBound => {
                let sqrt_rate = rate.sqrt();
                let gap = Self::johnson_gap(rate, log2_field);
                let theta = self.proximity(rate, log2_field);
                let m = (sqrt_rate / (2.0 * gap)).ceil().max(3.0);
                let m_shifted = m + 0.5;
                let first = (2.0 * m_shifted.powi(5) + 3.0 * m_shifted * (theta * rate)) * n
                    / (3.0 * rate * sqrt_rate);
                first + m_shifted / sqrt_rate
            }
        };
        log2_field - error_times_field.log2()
    }

    /// The same with coefficients `1, r, r^2, ..`: `num_functions - 1` times the linear error.
    pub fn powers_error_bits(
        self,
        rate: f64,
        dimension: f64,
        num_functions: u64,
        log2_field: f64,
    ) -> f64 {
        let extra = (num_functions.saturating_sub(1).max(1) as f64).log2();
        self.linear_error_bits(rate, dimension, log2_field) - extra
    }
}

/// Bits of one regime, per component; `total` is their minimum (and the hash's).
#[derive(Clone, Debug, PartialEq)]
pub struct RegimeReport {
    /// Which regime.
    pub regime: Regime,
    /// FRI query phase, including the query proof of work.
    pub query: f64,
    /// Batching of all opened functions with powers of alpha, including the batching proof of work.
    pub batching: f64,
    /// Each FRI folding round (arity + 1 functions: a round's output, its inner inputs and the
    /// input rolled in after it included, is a polynomial of degree `arity` in its challenge).
    pub commit_rounds: Vec<f64>,
    /// Algebraic linking (random combination of the constraints).
    pub ali: f64,
    /// Out-of-domain sampling, including any DEEP proof of work.
    pub deep: f64,
    /// The LogUp challenges `gamma, beta`, including their proof of work (the same in both
    /// regimes: it does not involve proximity). Infinite for a proof without buses.
    pub logup: f64,
    /// Minimum of the above and [`HASH_BITS`].
    pub total: f64,
}

/// Everything the calculator reports.
#[derive(Clone, Debug, PartialEq)]
pub struct SecurityReport {
    /// Unique-decoding regime.
    pub unique_decoding: RegimeReport,
    /// Johnson-bound (list-decoding) regime.
    pub johnson_bound: RegimeReport,
    /// Provable bits: the better of the two regimes (each is a proof on its own).
    pub provable: f64,
    /// ethSTARK conjecture: `min(log2|F|, num_queries * log_blowup + pow) - 1`, capped by the hash
    /// and by the LogUp term (which no proximity conjecture changes).
    pub conjectured: f64,
}

fn regime_report(inputs: &SecurityInputs, regime: Regime) -> RegimeReport {
    let rate = inputs.rate();
    let k = inputs.trace_length();
    let n = k / rate;
    let field = inputs.log2_field;
    let pow = f64::from(inputs.params.query_pow_bits);
    let theta = regime.proximity(rate, field);
    let query = -(f64::from(inputs.params.num_queries) * (1.0 - theta).log2()) + pow;
    let batching = regime.powers_error_bits(rate, k, inputs.num_functions, field) + pow;

    let log_trace = inputs
        .log_lde_domain
        .saturating_sub(u32::from(inputs.params.log_blowup)) as usize;
    let plan = FoldPlan::new(&inputs.params, &[inputs.log_lde_domain as usize], log_trace);
    let mut dimension = k;
    let commit_rounds = plan
        .rounds
        .iter()
        .map(|round| {
            let log_arity = round.log_arity;
            dimension /= (log_arity as f64).exp2();
            regime.powers_error_bits(rate, dimension, (1u64 << log_arity) + 1, field)
        })
        .collect::<Vec<f64>>();

    let list = regime.list_size(rate, field);
    let ali = field - (list * inputs.num_constraints.max(1) as f64).log2();
    // Committed columns are bound to degree <= k (not < k: docs/pcs.md), so the DEEP-ALI
    // polynomials are those of a trace of length k + 1.
    let d = inputs.max_constraint_degree as f64;
    let combo = inputs.num_opening_points as f64;
    let deep_numerator = list * (d * (k + combo) + k);
    let field_minus_domains = field.exp2() - k - n;
    let deep =
        field_minus_domains.log2() - deep_numerator.log2() + f64::from(inputs.params.deep_pow_bits);

    let logup = logup_bits(inputs);

    let total = commit_rounds
        .iter()
        .copied()
        .chain([query, batching, ali, deep, logup, HASH_BITS])
        .fold(f64::INFINITY, f64::min);
    RegimeReport {
        regime,
        query,
        batching,
        commit_rounds,
        ali,
        deep,
        logup,
        total,
    }
}

/// The LogUp term: `D L / |F|` (Schwartz-Zippel over `(gamma, beta)`, docs/security.md) with
/// `D` the bus terms and `L` the longest tuple, plus the grinding before the challenges.
fn logup_bits(inputs: &SecurityInputs) -> f64 {
    if inputs.bus_terms == 0 {
        return f64::INFINITY;
    }
    let degree = inputs.bus_terms as f64 * inputs.max_tuple_len.max(1) as f64;
    inputs.log2_field - degree.log2() + f64::from(inputs.params.logup_pow_bits)
}

/// Run the calculator.
pub fn analyze(inputs: &SecurityInputs) -> SecurityReport {
    let unique_decoding = regime_report(inputs, Regime::UniqueDecoding);
    let johnson_bound = regime_report(inputs, Regime::JohnsonBound);
    let provable = unique_decoding.total.max(johnson_bound.total);
    let query_bits = f64::from(inputs.params.num_queries) * f64::from(inputs.params.log_blowup)
        + f64::from(inputs.params.query_pow_bits);
    let conjectured = (inputs.log2_field.min(query_bits) - 1.0)
        .min(HASH_BITS)
        .min(logup_bits(inputs));
    SecurityReport {
        unique_decoding,
        johnson_bound,
        provable,
        conjectured,
    }
}
