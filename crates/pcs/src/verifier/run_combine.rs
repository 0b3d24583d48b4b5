//! A DEEP run's combination `sum_c weights[c] * row[c]` in every queried row, as a guest computes
//! it with the EXT_COMBINE precompile.
//!
//! A run's weights are consecutive powers of `alpha` (`weights[c] = weights[0] * alpha^c`, see
//! `deep.rs`), so a row's combination is one call `w * sum_c alpha^c v_c` over the row in place.
//! The call needs an 8-byte aligned, even run of values in RAM, so the aligned even middle of the
//! row is one call; what it leaves out, at most one value at each end (where the row starts at a
//! word that is not 8-byte aligned, or has an odd length left), goes to a second call over an
//! aligned pair: `[row[0], row[last]]` with weight `weights[0]` and ratio `alpha^last` (so the
//! second value gets `weights[last]`), or `[value, 0]`. A row thus costs at most two calls
//! whatever its alignment, which the proof's archive decides (a product per end in software costs
//! about twice a call, and made the DEEP phase's cost depend on where the archive put the rows).
//!
//! Why [`combine_rows`] takes a run's rows together and not one at a time: the calls' weights
//! depend only on the run and on the parity of the row's first word, so each call's block
//! (`alpha`, `w`) is written once per run and parity, and a row costs its calls and their
//! results. Rebuilding the
//! blocks for every row made the DEEP phase one of the recursion guest's largest sources of
//! `load` rows, the table that sets its proofs' height.

use alloc::vec::Vec;

use p3_field::PrimeCharacteristicRing;

use super::combine::{combine, weighted, Weight};
use crate::{Challenge, Val};

/// One EXT_COMBINE call's block: `alpha` and `w` written once, any number of calls.
pub(super) trait CombineCall {
    fn new(alpha: &Weight, w: &Weight) -> Self;
    /// `w * sum_c alpha^c values[c]`, for values 8-byte aligned, of even length, and
    /// [`Self::reaches`].
    fn call(&mut self, values: &[Val]) -> Challenge;
    /// Whether the call can read `values` (the precompile reads RAM only).
    fn reaches(values: &[Val]) -> bool;
}

/// Two values where EXT_COMBINE can read them.
#[repr(C, align(8))]
pub(super) struct Pair(pub [Val; 2]);

impl Pair {
    /// The values of `pairs` in order: an 8-byte aligned run of even length.
    pub fn values(pairs: &[Pair]) -> &[Val] {
        // SAFETY: `Pair` is `repr(C)` over `[Val; 2]` with no padding (8 bytes, aligned to 8),
        // so `pairs` is `2 * pairs.len()` values back to back.
        unsafe { core::slice::from_raw_parts(pairs.as_ptr().cast::<Val>(), 2 * pairs.len()) }
    }
}

/// How the calls cover a row whose first word has one parity.
struct Cover<B> {
    /// The call over the aligned even middle `row[first..last]`.
    middle: B,
    first: usize,
    last: usize,
    ends: Ends<B>,
}

/// What the middle leaves out.
enum Ends<B> {
    None,
    /// One call over `[row[a], row[b]]`, or `[row[a], 0]` when `b` is `None`.
    Pair {
        call: B,
        a: usize,
        b: Option<usize>,
    },
    /// Both ends by [`weighted`]: no batching power `alpha^last` to pair them with.
    Weighted {
        last: usize,
    },
}

/// `sum_c weights[c] * row[c]` for `count` rows of a run, into `out`: row `k` is
/// `rows[k * stride..][..weights.len()]`. `powers[j] = alpha^j` are the verifier's batching
/// powers.
///
/// Rows `stride` apart alternate in parity when `stride` is odd, so the loop takes them two at a
/// time, each with its parity's [`Cover`], and keeps both covers in locals.
pub(super) fn combine_rows<B: CombineCall>(
    (alpha, powers, weights): (&Weight, &[Weight], &[Weight]),
    rows: &[Val],
    stride: usize,
    count: usize,
    out: &mut Vec<Challenge>,
) {
    let len = weights.len();
    let row = |k: usize| &rows[k * stride..][..len];
    out.reserve(count);
    if count == 0 {
        return;
    }
    if len < 2 || !B::reaches(rows) {
        out.extend((0..count).map(|k| combine(weights, row(k))));
        return;
    }
    let parity = usize::from(rows.as_ptr() as usize % 8 != 0);
    let mut even = Cover::<B>::new(alpha, powers, weights, parity);
    if stride % 2 == 0 {
        for k in 0..count {
            out.push(even.combine(row(k), weights));
        }
        return;
    }
    let mut odd = Cover::<B>::new(alpha, powers, weights, 1 - parity);
    let mut k = 0;
    while k + 1 < count {
        out.push(even.combine(row(k), weights));
        out.push(odd.combine(row(k + 1), weights));
        k += 2;
    }
    if k < count {
        out.push(even.combine(row(k), weights));
    }
}

impl<B: CombineCall> Cover<B> {
    /// `sum_c weights[c] * row[c]` for a row of this cover's parity.
    #[inline(always)]
    fn combine(&mut self, row: &[Val], weights: &[Weight]) -> Challenge {
        debug_assert_eq!(row.as_ptr() as usize % 8 != 0, self.first == 1);
        let sum = self.middle.call(&row[self.first..self.last]);
        match &mut self.ends {
            Ends::None => sum,
            Ends::Pair { call, a, b } => {
                let pair = Pair([row[*a], b.map_or(Val::ZERO, |b| row[b])]);
                sum + call.call(&pair.0)
            }
            Ends::Weighted { last } => {
                sum + weighted(&weights[0], row[0]) + weighted(&weights[*last], row[*last])
            }
        }
    }

    /// The calls for rows of `weights.len() >= 2` values whose first word is at an address
    /// `4 * parity` mod 8.
    fn new(alpha: &Weight, powers: &[Weight], weights: &[Weight], parity: usize) -> Self {
        let len = weights.len();
        let first = parity;
        let last = first + (len - first) / 2 * 2;
        let ends = match (first == 1, last < len) {
            (false, false) => Ends::None,
            (true, true) => match powers.get(last) {
                Some(ratio) => Ends::Pair {
                    call: B::new(ratio, &weights[0]),
                    a: 0,
                    b: Some(last),
                },
                None => Ends::Weighted { last },
            },
            (true, false) => Ends::Pair {
                call: B::new(alpha, &weights[0]),
                a: 0,
                b: None,
            },
            (false, true) => Ends::Pair {
                call: B::new(alpha, &weights[last]),
                a: last,
                b: None,
            },
        };
        Self {
            middle: B::new(alpha, &weights[first]),
            first,
            last,
            ends,
        }
    }
}

#[cfg(target_os = "zkvm")]
impl CombineCall for crate::precompile::CombineBlock {
    fn new(alpha: &Weight, w: &Weight) -> Self {
        crate::precompile::CombineBlock::new(alpha, w)
    }

    fn call(&mut self, values: &[Val]) -> Challenge {
        crate::precompile::CombineBlock::call(self, values)
    }

    fn reaches(values: &[Val]) -> bool {
        values.as_ptr() as u64 + 4 * values.len() as u64 <= droste_isa::abi::STACK_TOP
    }
}

#[cfg(test)]
pub(super) mod tests {
    use alloc::vec::Vec;

    use p3_field::BasedVectorSpace;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;
    use crate::codec::val_from_u32;
    use crate::verifier::combine::tests::{random_ext, random_val};
    use crate::verifier::combine::weight;

    /// EXT_COMBINE in field arithmetic, holding its callers to the call's contract.
    pub(in crate::verifier) struct Software {
        alpha: Challenge,
        w: Challenge,
    }

    fn ext(words: &Weight) -> Challenge {
        Challenge::from_basis_coefficients_fn(|d| val_from_u32(words[d]).unwrap())
    }

    impl CombineCall for Software {
        fn new(alpha: &Weight, w: &Weight) -> Self {
            Self {
                alpha: ext(alpha),
                w: ext(w),
            }
        }

        fn call(&mut self, values: &[Val]) -> Challenge {
            assert!(values.as_ptr() as usize % 8 == 0 && values.len() % 2 == 0);
            let sum = values
                .iter()
                .rev()
                .fold(Challenge::ZERO, |acc, &v| acc * self.alpha + v);
            self.w * sum
        }

        fn reaches(_: &[Val]) -> bool {
            true
        }
    }

    /// Rows of every length at both alignments, with and without the power that pairs the two
    /// ends, combine to the weighted sum, and the combiner reuses its calls across rows.
    #[test]
    fn a_run_combines_like_the_weighted_sum_at_any_alignment() {
        let mut rng = StdRng::seed_from_u64(11);
        let alpha = random_ext(&mut rng);
        let first = random_ext(&mut rng);
        let alpha_words = weight(alpha);
        for len in 0..12usize {
            let weights: Vec<Weight> = (0..len)
                .map(|c| weight(first * alpha.exp_u64(c as u64)))
                .collect();
            for powers_len in [len, len.saturating_sub(1)] {
                let powers: Vec<Weight> = (0..powers_len)
                    .map(|j| weight(alpha.exp_u64(j as u64)))
                    .collect();
                // Rows `len + 1` apart from an aligned and a misaligned start: consecutive
                // rows alternate in parity when `len + 1` is odd.
                let values: Vec<Val> = (0..4 * (len + 1) + 1)
                    .map(|_| random_val(&mut rng))
                    .collect();
                for start in [0, 1] {
                    for (stride, count) in [(len + 1, 4), (len + 2, 3), (len, 4)] {
                        let rows = &values[start..];
                        let expected: Vec<Challenge> = (0..count)
                            .map(|k| {
                                rows[k * stride..][..len]
                                    .iter()
                                    .zip(&weights)
                                    .map(|(&v, w)| ext(w) * v)
                                    .sum()
                            })
                            .collect();
                        let mut out = Vec::new();
                        combine_rows::<Software>(
                            (&alpha_words, &powers, &weights),
                            rows,
                            stride,
                            count,
                            &mut out,
                        );
                        assert_eq!(out, expected, "len {len} start {start} stride {stride}");
                    }
                }
            }
        }
    }
}
