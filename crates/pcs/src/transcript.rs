//! Fiat-Shamir transcript: a Poseidon2 duplex sponge (rate 8, capacity 8).
//!
//! Observed elements are buffered and written over the rate part of the state (overwrite mode)
//! when the buffer is full or a challenge is requested; challenges are read from the rate part of
//! the permuted state. Any observation invalidates pending outputs, so a challenge always depends
//! on everything observed before it. This is the construction of Plonky3's `DuplexChallenger`,
//! kept here because the verifier needs a `no_std` version that runs in the guest, and because
//! one Poseidon2 for commitments and transcript makes a single in-VM precompile pay for both,
//! with one change that makes it injective (below).
//!
//! # Block framing
//!
//! Plain overwrite mode is not injective: observing `k < 8` elements and sampling leaves the
//! other `8 - k` rate cells as the previous permutation left them, so observing those `k`
//! elements followed by the `8 - k` values the state already holds reaches the same state. Every
//! absorbed length in droste is fixed by earlier transcript data today, but a protocol change
//! that absorbs a proof-controlled length would silently become ambiguous. So each permutation
//! call frames its block: the rate cells after the `k` absorbed elements are zeroed, and `k` is
//! added to the first capacity cell. The state before a permutation is then an injective
//! function of the previous state and the block (its length is recovered from the capacity cell,
//! its elements from the rate), so distinct observation sequences (with the same sampling points)
//! reach distinct states unless Poseidon2 collides. docs/transcript.md states the rule.

use p3_field::{BasedVectorSpace, PrimeCharacteristicRing, PrimeField32};

use crate::hash::{copy_block, Hasher, State, RATE, WIDTH};
use crate::{Challenge, Digest, Val, EXT_DEGREE};

/// Largest proof-of-work difficulty [`Transcript::grind`] accepts. Witnesses are field elements
/// (about 2^31 candidates), so 26 bits leaves ~32 expected solutions: failing to find one has
/// probability about e^-32.
pub const MAX_POW_BITS: u8 = 26;

/// The sponge state without the permutation, cheap to copy (grinding tries many candidates
/// from one starting state).
#[derive(Clone, Copy, Debug)]
struct Duplex {
    /// 8-byte aligned, so that a guest's POSEIDON2 call permutes it in place.
    state: State,
    input: [Val; RATE],
    input_len: usize,
    /// The rate cells of the last permutation (`state[..RATE]`, untouched until the next one)
    /// not sampled yet.
    output_len: usize,
}

impl Duplex {
    fn new() -> Self {
        Self {
            state: State([Val::ZERO; WIDTH]),
            input: [Val::ZERO; RATE],
            input_len: 0,
            output_len: 0,
        }
    }

    /// Absorbs `vs` in order: into the input buffer, a duplex each time it fills; a whole block
    /// when the buffer is empty goes straight into the state (no copy through the buffer, which
    /// a guest verifier absorbing thousands of opened values pays for in loads and stores).
    fn observe(&mut self, hasher: &Hasher, vs: &[Val]) {
        if vs.is_empty() {
            return;
        }
        self.output_len = 0;
        let mut rest = vs;
        while let Some((&first, tail)) = rest.split_first() {
            if self.input_len == 0 {
                if let Some((block, tail)) = rest.split_first_chunk::<RATE>() {
                    // SAFETY: the block and the state's rate are `RATE` words each.
                    unsafe { copy_block(self.state.0.as_mut_ptr(), block.as_ptr()) };
                    self.state.0[RATE] += Val::from_usize(RATE);
                    self.permute(hasher);
                    rest = tail;
                    continue;
                }
            }
            self.input[self.input_len] = first;
            self.input_len += 1;
            rest = tail;
            if self.input_len == RATE {
                self.duplex(hasher);
            }
        }
    }

    fn duplex(&mut self, hasher: &Hasher) {
        frame_block(&mut self.state.0, &self.input[..self.input_len]);
        self.input_len = 0;
        self.permute(hasher);
    }

    fn permute(&mut self, hasher: &Hasher) {
        hasher.permute(&mut self.state.0);
        self.output_len = RATE;
    }

    fn sample(&mut self, hasher: &Hasher) -> Val {
        if self.input_len > 0 || self.output_len == 0 {
            self.duplex(hasher);
        }
        self.output_len -= 1;
        self.state.0[self.output_len]
    }

    /// The state that [`Self::observe`] of one element followed by [`Self::sample`] permutes,
    /// and the cell the observed element lands in: the pending inputs and the element form one
    /// framed block, then exactly one permutation runs and the sample is its output cell
    /// `RATE - 1`. (The buffer always has room: a full one is permuted as it fills.)
    #[cfg(feature = "std")]
    fn pow_state(&self) -> ([Val; WIDTH], usize) {
        let mut block = [Val::ZERO; RATE];
        block[..self.input_len].copy_from_slice(&self.input[..self.input_len]);
        let mut state = self.state.0;
        frame_block(&mut state, &block[..=self.input_len]);
        (state, self.input_len)
    }

    fn sample_bits(&mut self, hasher: &Hasher, bits: usize) -> usize {
        let mask = 1u32.checked_shl(bits as u32).map_or(u32::MAX, |b| b - 1);
        (self.sample(hasher).as_canonical_u32() & mask) as usize
    }
}

/// Writes `block` (at most [`RATE`] elements) over the rate, zeroes the rest of the rate and
/// adds the block's length to the first capacity cell: the framing that makes the sponge
/// injective (module docs).
fn frame_block(state: &mut [Val; WIDTH], block: &[Val]) {
    state[..block.len()].copy_from_slice(block);
    state[block.len()..RATE].fill(Val::ZERO);
    state[RATE] += Val::from_usize(block.len());
}

/// The Fiat-Shamir transcript shared by prover and verifier.
#[derive(Clone, Debug)]
pub struct Transcript {
    hasher: Hasher,
    sponge: Duplex,
}

impl Transcript {
    /// Start a transcript bound to a protocol/domain separator (its length, then its bytes in
    /// little-endian 3-byte limbs, each below p).
    pub fn new(domain_separator: &[u8]) -> Self {
        let mut t = Self {
            hasher: Hasher::new(),
            sponge: Duplex::new(),
        };
        t.observe(Val::from_usize(domain_separator.len()));
        for chunk in domain_separator.chunks(3) {
            let limb = chunk
                .iter()
                .rev()
                .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
            t.observe(Val::from_u32(limb));
        }
        t
    }

    /// The Poseidon2 instance of this transcript (the verifier reuses it for Merkle paths).
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// Absorb one base-field element.
    pub fn observe(&mut self, v: Val) {
        self.sponge.observe(&self.hasher, &[v]);
    }

    /// Absorb base-field elements in order.
    pub fn observe_slice(&mut self, vs: &[Val]) {
        self.sponge.observe(&self.hasher, vs);
    }

    /// Absorb an extension element (its 4 basis coefficients).
    pub fn observe_ext(&mut self, x: Challenge) {
        self.observe_slice(x.as_basis_coefficients_slice());
    }

    /// Absorb extension elements in order, each as [`Self::observe_ext`] does: one pass over
    /// their coefficients (a guest verifier absorbs thousands of opened values).
    pub fn observe_exts(&mut self, xs: &[Challenge]) {
        const {
            assert!(size_of::<Challenge>() == EXT_DEGREE * size_of::<Val>());
            assert!(align_of::<Challenge>() == align_of::<Val>());
        }
        // SAFETY: `Challenge` (`BinomialExtensionField`) is `#[repr(transparent)]` over its
        // `[Val; EXT_DEGREE]` basis coefficients in order (size and alignment checked above), so
        // the elements are `EXT_DEGREE * xs.len()` coefficients back to back.
        let coefficients = unsafe {
            core::slice::from_raw_parts(xs.as_ptr().cast::<Val>(), xs.len() * EXT_DEGREE)
        };
        self.observe_slice(coefficients);
    }

    /// Absorb a Merkle root.
    pub fn observe_digest(&mut self, d: &Digest) {
        self.observe_slice(d);
    }

    /// Squeeze a base-field challenge.
    pub fn sample(&mut self) -> Val {
        self.sponge.sample(&self.hasher)
    }

    /// Squeeze an extension-field challenge (4 base challenges as basis coefficients).
    pub fn sample_ext(&mut self) -> Challenge {
        let c: [Val; EXT_DEGREE] = core::array::from_fn(|_| self.sample());
        Challenge::from_basis_coefficients_fn(|i| c[i])
    }

    /// Squeeze `bits` uniform-ish bits (low bits of a base challenge; the bias is below 2^-30 for
    /// `bits <= 24` because p - 1 is a multiple of 2^24). `bits >= 32` returns the whole value.
    pub fn sample_bits(&mut self, bits: usize) -> usize {
        self.sponge.sample_bits(&self.hasher, bits)
    }

    /// Check a proof-of-work witness and absorb it: the witness `w < p` is observed as a field
    /// element and the next `bits`-bit challenge must be zero. Returns false (the transcript
    /// having absorbed it anyway) for a wrong witness, a non-canonical witness or `bits` above
    /// [`MAX_POW_BITS`].
    pub fn check_grind(&mut self, bits: u8, witness: u64) -> bool {
        if bits > MAX_POW_BITS || witness >= u64::from(Val::ORDER_U32) {
            return false;
        }
        self.observe(Val::from_u64(witness));
        self.sample_bits(usize::from(bits)) == 0
    }

    /// Find the smallest proof-of-work witness for `bits` and absorb it like
    /// [`Self::check_grind`]. Deterministic: the same transcript always gives the same witness.
    ///
    /// Observing a witness and drawing one challenge is exactly one permutation of a state that
    /// differs between candidates in a single cell, so candidates are tried `Packing::WIDTH` at
    /// a time with the SIMD permutation, in parallel blocks scanned in increasing order.
    ///
    /// # Panics
    /// If `bits > MAX_POW_BITS` (a parameter error, rejected by `FriParameters::validate`).
    #[cfg(feature = "std")]
    pub fn grind(&mut self, bits: u8) -> u64 {
        use p3_field::{Field, PackedValue};
        use p3_maybe_rayon::prelude::*;
        use p3_symmetric::Permutation;
        type Packed = <Val as Field>::Packing;
        const BLOCK: u32 = 1 << 14;

        assert!(
            bits <= MAX_POW_BITS,
            "proof-of-work of {bits} bits exceeds {MAX_POW_BITS}"
        );
        let lanes = Packed::WIDTH as u32;
        let (base, slot) = self.sponge.pow_state();
        let mask = (1u32 << bits) - 1;
        let perm = self.hasher.perm();
        let try_group = |first: u32| -> Option<u32> {
            let mut state: [Packed; WIDTH] = base.map(Packed::from);
            state[slot] = Packed::from_fn(|lane| Val::from_u32(first + lane as u32));
            perm.permute_mut(&mut state);
            let sample = state[RATE - 1];
            (0..lanes)
                .find(|&lane| sample.as_slice()[lane as usize].as_canonical_u32() & mask == 0)
                .map(|lane| first + lane)
        };
        let witness = (0..Val::ORDER_U32 / BLOCK)
            .find_map(|block| {
                (block * BLOCK..(block + 1) * BLOCK)
                    .into_par_iter()
                    .step_by(lanes as usize)
                    .filter_map(try_group)
                    .min()
            })
            .expect("a 26-bit proof of work has a solution among 2^31 candidates");
        let ok = self.check_grind(bits, u64::from(witness));
        debug_assert!(ok, "packed grinding agrees with the scalar check");
        u64::from(witness)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_after(observed: &[u32]) -> Challenge {
        let mut t = Transcript::new(b"test");
        for &v in observed {
            t.observe(Val::from_u32(v));
        }
        t.sample_ext()
    }

    /// The transcript is part of the proof format: the same observations must give the same
    /// challenges in every version (a change breaks every proof and key). A script of slices of
    /// every length up to two blocks, interleaved with samples, against its recorded outcome.
    #[test]
    fn challenges_are_the_recorded_ones() {
        let mut t = Transcript::new(b"droste transcript regression");
        let mut samples = alloc::vec::Vec::new();
        for i in 0..40u32 {
            let slice: alloc::vec::Vec<Val> =
                (0..i % 19).map(|j| Val::from_u32(i * 1000 + j)).collect();
            t.observe_slice(&slice);
            if i % 3 == 0 {
                samples.push(t.sample_ext());
            }
            if i % 5 == 0 {
                samples.push(Challenge::from(Val::from_usize(t.sample_bits(20))));
            }
        }
        t.observe_exts(&samples);
        let last = t.sample_ext();
        let words: [u32; 4] = core::array::from_fn(|d| {
            BasedVectorSpace::<Val>::as_basis_coefficients_slice(&last)[d].as_canonical_u32()
        });
        assert_eq!(words, [974507347, 494356641, 363333325, 140974369]);
    }

    #[test]
    fn deterministic() {
        assert_eq!(sample_after(&[1, 2, 3]), sample_after(&[1, 2, 3]));
    }

    #[test]
    fn sensitive_to_every_observation_and_its_order() {
        let base = sample_after(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        for i in 0..9 {
            let mut v: alloc::vec::Vec<u32> = (1..=9).collect();
            v[i] += 1;
            assert_ne!(sample_after(&v), base, "change at {i} ignored");
        }
        assert_ne!(sample_after(&[2, 1, 3, 4, 5, 6, 7, 8, 9]), base);
        assert_ne!(sample_after(&[1, 2, 3, 4, 5, 6, 7, 8]), base);
        assert_ne!(sample_after(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 0]), base);
    }

    #[test]
    fn sensitive_to_domain_separator() {
        let mut a = Transcript::new(b"droste-a");
        let mut b = Transcript::new(b"droste-b");
        let mut c = Transcript::new(b"droste-a\0");
        let (sa, sb, sc) = (a.sample(), b.sample(), c.sample());
        assert_ne!(sa, sb);
        assert_ne!(sa, sc);
    }

    #[test]
    fn consecutive_samples_differ_and_observation_refreshes() {
        let mut t = Transcript::new(b"x");
        let s: alloc::vec::Vec<Val> = (0..20).map(|_| t.sample()).collect();
        for i in 0..s.len() {
            for j in i + 1..s.len() {
                assert_ne!(s[i], s[j]);
            }
        }
        let mut u = Transcript::new(b"x");
        let first = u.sample();
        u.observe(Val::ONE);
        assert_ne!(
            u.sample(),
            s[1],
            "observation must invalidate buffered outputs"
        );
        assert_eq!(first, s[0]);
    }

    /// Plain overwrite mode maps "observe k < 8 elements, sample" and "observe those k and the
    /// 8 - k rate cells the state already holds, sample" to one state; trailing zeros of a block
    /// would be ambiguous without its length. Framing separates all of them.
    #[test]
    fn observation_sequences_are_framed() {
        let mut base = Transcript::new(b"frame");
        base.observe(Val::from_u32(5));
        let _ = base.sample();
        for k in 0..RATE {
            let observed: alloc::vec::Vec<Val> =
                (0..k as u32).map(|i| Val::from_u32(100 + i)).collect();
            let mut short = base.clone();
            short.observe_slice(&observed);
            let mut long = base.clone();
            long.observe_slice(&observed);
            long.observe_slice(&base.sponge.state.0[k..RATE]);
            assert_ne!(
                short.sample(),
                long.sample(),
                "{k} elements + the rate's own"
            );
            let mut padded = base.clone();
            padded.observe_slice(&observed);
            padded.observe(Val::ZERO);
            let mut short = base.clone();
            short.observe_slice(&observed);
            assert_ne!(short.sample(), padded.sample(), "{k} elements + a zero");
        }
    }

    #[test]
    fn sample_bits_in_range() {
        let mut t = Transcript::new(b"bits");
        for bits in 0..=24 {
            assert!(t.sample_bits(bits) < (1 << bits));
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn grind_round_trip_and_wrong_witness_rejected() {
        let mut prover = Transcript::new(b"pow");
        prover.observe(Val::from_u32(42));
        let verifier_start = prover.clone();
        let w = prover.grind(10);
        let mut v = verifier_start.clone();
        assert!(v.check_grind(10, w));
        assert_eq!(
            v.sample(),
            prover.sample(),
            "both sides must absorb the witness alike"
        );
        // The grinder returns the smallest witness, so every smaller one fails.
        for bad in 0..w {
            assert!(!verifier_start.clone().check_grind(10, bad));
        }
        assert!(!verifier_start
            .clone()
            .check_grind(10, u64::from(Val::ORDER_U32)));
        assert!(!verifier_start.clone().check_grind(MAX_POW_BITS + 1, w));
    }
}
