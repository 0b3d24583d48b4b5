//! Two-adic multiplicative cosets: the trace domains, LDE domains and quotient domains.

use p3_field::{ExtensionField, PrimeCharacteristicRing, TwoAdicField};

use crate::{PcsError, Val};

/// The coset `shift * <omega>` where `omega` generates the subgroup of order `2^log_n`.
/// A trace domain is the subgroup itself (`shift = 1`); LDE and quotient domains use
/// `shift = Val::GENERATOR` so they never meet the trace domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Domain {
    /// log2 of the number of points.
    pub log_n: usize,
    /// The coset shift.
    pub shift: Val,
}

impl Domain {
    /// The subgroup of order `2^log_n`, checked against the field's two-adicity (use this for
    /// sizes that come from a proof).
    pub fn subgroup(log_n: usize) -> Result<Self, PcsError> {
        Self::coset(log_n, Val::ONE)
    }

    /// The coset `shift * H` with `|H| = 2^log_n`, checked against the field's two-adicity.
    pub fn coset(log_n: usize, shift: Val) -> Result<Self, PcsError> {
        if log_n > Val::TWO_ADICITY {
            return Err(PcsError::HeightTooLarge {
                log_lde_height: log_n,
            });
        }
        Ok(Self { log_n, shift })
    }

    /// Number of points.
    pub fn size(&self) -> usize {
        1 << self.log_n
    }

    /// Generator of the subgroup (panics if `log_n` exceeds the two-adicity; the checked
    /// constructors rule that out).
    pub fn generator(&self) -> Val {
        Val::two_adic_generator(self.log_n)
    }

    /// The `i`-th point in natural order: `shift * omega^i`.
    pub fn element(&self, i: usize) -> Val {
        self.shift * self.generator().exp_u64(i as u64)
    }

    /// Vanishing polynomial of the domain at `x`: `x^n - shift^n`.
    pub fn vanishing_at<E: ExtensionField<Val>>(&self, x: E) -> E {
        x.exp_power_of_2(self.log_n) - self.shift.exp_power_of_2(self.log_n)
    }

    /// Value at `x` of the Lagrange polynomial that is 1 on the `i`-th point and 0 on the others:
    /// `Z(x) * p_i / (n * shift^n * (x - p_i))`. Returns `None` if `x` is a point of the domain.
    pub fn lagrange_at<E: ExtensionField<Val>>(&self, i: usize, x: E) -> Option<E> {
        let p = self.element(i);
        let denom =
            (x - p) * (Val::from_usize(self.size()) * self.shift.exp_power_of_2(self.log_n));
        Some(self.vanishing_at(x) * denom.try_inverse()? * p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Challenge;
    use p3_field::{BasedVectorSpace, Field};

    #[test]
    fn vanishing_is_zero_exactly_on_the_domain() {
        let d = Domain::coset(4, Val::GENERATOR).unwrap();
        for i in 0..16 {
            assert_eq!(d.vanishing_at(d.element(i)), Val::ZERO);
        }
        assert_ne!(d.vanishing_at(Val::ONE), Val::ZERO);
    }

    #[test]
    fn lagrange_basis_interpolates() {
        let d = Domain::coset(3, Val::GENERATOR).unwrap();
        let x = Challenge::from_basis_coefficients_fn(|i| Val::from_u32(i as u32 * 5 + 11));
        // Sum of all Lagrange polynomials is 1; weighted by points it is x.
        let sum: Challenge = (0..8).map(|i| d.lagrange_at(i, x).unwrap()).sum();
        assert_eq!(sum, Challenge::ONE);
        let id: Challenge = (0..8)
            .map(|i| d.lagrange_at(i, x).unwrap() * d.element(i))
            .sum();
        assert_eq!(id, x);
        assert_eq!(d.lagrange_at(2, Challenge::from(d.element(2))), None);
    }

    #[test]
    fn oversized_domains_are_errors() {
        assert!(Domain::subgroup(Val::TWO_ADICITY).is_ok());
        assert!(Domain::subgroup(Val::TWO_ADICITY + 1).is_err());
    }
}
