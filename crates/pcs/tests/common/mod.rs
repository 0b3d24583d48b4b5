//! Shared helpers for the integration tests: random matrices, an honest prove, and verification
//! from archived bytes (the verifier only ever sees bytes, like in production).

use droste_pcs::{
    verify, ArchivedOpeningProof, Challenge, FriParameters, MatrixClaim, OpeningProof, Pcs,
    PcsError, RoundClaim, Transcript, Val,
};
use p3_field::{PrimeCharacteristicRing, PrimeField32, TwoAdicField};
use p3_matrix::dense::RowMajorMatrix;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rkyv::rancor;

pub const DOMAIN: &[u8] = b"droste-pcs-test";

pub fn params(
    log_blowup: u8,
    log_arity: u8,
    log_final: u8,
    num_queries: u16,
    pow: u8,
) -> FriParameters {
    FriParameters {
        log_blowup,
        num_queries,
        query_pow_bits: pow,
        log_folding_arity: log_arity,
        log_final_poly_len: log_final,
        deep_pow_bits: 0,
        logup_pow_bits: 0,
    }
}

pub fn random_matrix(rng: &mut StdRng, log_height: usize, width: usize) -> RowMajorMatrix<Val> {
    let values = (0..(width << log_height))
        .map(|_| Val::from_u32(rng.gen_range(0..Val::ORDER_U32)))
        .collect();
    RowMajorMatrix::new(values, width)
}

/// Shapes of one test round: (log height, width) per matrix.
pub type RoundShape = Vec<(usize, usize)>;

/// An honest opening of random matrices, each opened at `zeta` and `zeta * omega_height`.
pub struct Honest {
    pub params: FriParameters,
    pub digests: Vec<droste_pcs::Digest>,
    pub shapes: Vec<RoundShape>,
    pub points: Vec<Vec<Vec<Challenge>>>,
    pub values: Vec<Vec<Vec<Vec<Challenge>>>>,
    pub proof: OpeningProof,
}

pub fn prove(params: FriParameters, shapes: &[RoundShape], seed: u64) -> Honest {
    prove_with(Pcs::new(params).unwrap(), shapes, seed)
}

/// [`prove`] with a given prover (e.g. one that keeps or drops its LDEs).
pub fn prove_with(pcs: Pcs, shapes: &[RoundShape], seed: u64) -> Honest {
    let counts: Vec<Vec<usize>> = shapes.iter().map(|s| vec![2; s.len()]).collect();
    prove_with_point_counts(pcs, shapes, &counts, seed)
}

/// [`prove_with`] opening matrix `m` of round `r` at the first `counts[r][m]` of `zeta`,
/// `zeta * omega_height`, `zeta * omega_height^2`.
pub fn prove_with_point_counts(
    pcs: Pcs,
    shapes: &[RoundShape],
    counts: &[Vec<usize>],
    seed: u64,
) -> Honest {
    let params = pcs.params;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut t = Transcript::new(DOMAIN);
    let mut committed = Vec::new();
    let mut digests = Vec::new();
    for shape in shapes {
        let mats = shape
            .iter()
            .map(|&(h, w)| random_matrix(&mut rng, h, w))
            .collect();
        let (digest, c) = pcs.commit_evaluations(mats);
        t.observe_digest(&digest);
        digests.push(digest);
        committed.push(c);
    }
    let zeta = t.sample_ext();
    let points: Vec<Vec<Vec<Challenge>>> = shapes
        .iter()
        .zip(counts)
        .map(|(shape, counts)| {
            shape
                .iter()
                .zip(counts)
                .map(|(&(h, _), &count)| {
                    let omega = Val::two_adic_generator(h);
                    vec![zeta, zeta * omega, zeta * omega.square()][..count].to_vec()
                })
                .collect()
        })
        .collect();
    let rounds: Vec<_> = committed
        .iter()
        .zip(&points)
        .map(|(c, p)| (c, p.clone()))
        .collect();
    let (values, proof) = pcs.open(&rounds, &mut t);
    Honest {
        params,
        digests,
        shapes: shapes.to_vec(),
        points,
        values,
        proof,
    }
}

pub fn to_bytes(proof: &OpeningProof) -> rkyv::util::AlignedVec {
    rkyv::to_bytes::<rancor::Error>(proof).unwrap()
}

impl Honest {
    /// Verify `bytes` (an archived proof) against this opening's claims, with `values` possibly
    /// altered by the caller.
    pub fn verify_bytes_with(
        &self,
        bytes: &[u8],
        values: &[Vec<Vec<Vec<Challenge>>>],
    ) -> Result<(), PcsError> {
        let archived = rkyv::access::<ArchivedOpeningProof, rancor::Error>(bytes)
            .map_err(|_| PcsError::InvalidClaim("archive does not validate"))?;
        self.verify_archived(archived, values)
    }

    pub fn verify_archived(
        &self,
        archived: &ArchivedOpeningProof,
        values: &[Vec<Vec<Vec<Challenge>>>],
    ) -> Result<(), PcsError> {
        let mut t = Transcript::new(DOMAIN);
        for d in &self.digests {
            t.observe_digest(d);
        }
        let zeta = t.sample_ext();
        assert_eq!(zeta, self.points[0][0][0], "test transcript replay");
        let by_point: Vec<Vec<Vec<&[Challenge]>>> = values
            .iter()
            .map(|r| {
                r.iter()
                    .map(|m| m.iter().map(Vec::as_slice).collect())
                    .collect()
            })
            .collect();
        let matrix_claims: Vec<Vec<MatrixClaim<'_>>> = self
            .shapes
            .iter()
            .enumerate()
            .map(|(r, shape)| {
                shape
                    .iter()
                    .enumerate()
                    .map(|(m, &(h, w))| MatrixClaim {
                        log_height: h as u8,
                        width: w,
                        points: &self.points[r][m],
                        values: &by_point[r][m],
                    })
                    .collect()
            })
            .collect();
        let claims: Vec<RoundClaim<'_>> = self
            .digests
            .iter()
            .zip(&matrix_claims)
            .map(|(d, m)| RoundClaim {
                digest: *d,
                matrices: m,
            })
            .collect();
        verify(&self.params, &claims, archived, &mut t)
    }

    pub fn verify_bytes(&self, bytes: &[u8]) -> Result<(), PcsError> {
        self.verify_bytes_with(bytes, &self.values)
    }

    pub fn verify_proof(&self, proof: &OpeningProof) -> Result<(), PcsError> {
        self.verify_bytes(&to_bytes(proof))
    }
}
