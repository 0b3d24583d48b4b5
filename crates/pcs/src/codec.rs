//! The one audited conversion between field elements and their archived form.
//!
//! Proofs store field elements as raw `u32` words holding KoalaBear's *internal Montgomery*
//! representation, exactly what the verifier computes with, so reading a proof needs no
//! conversion pass, only a canonicity check (`< p`). A non-canonical word would be a second
//! encoding of some element (malleability) and would break the field arithmetic's invariants, so
//! every word read from a proof goes through [`val_from_u32`].

use p3_field::{BasedVectorSpace, PrimeField32};
use rkyv::Archived;

use crate::proof::{DigestDwords, ExtDwords};
use crate::{Challenge, Digest, PcsError, Val, DIGEST_ELEMS, EXT_DEGREE};

/// Encode a field element as its archived word (internal Montgomery form).
#[inline]
pub fn val_to_u32(v: Val) -> u32 {
    // For MontyField31 the "unique u32" is the stored Montgomery word itself; the round-trip test
    // in this module pins that down so a change upstream cannot go unnoticed.
    v.to_unique_u32()
}

/// Decode an archived word into a field element, rejecting non-canonical words (`>= p`).
#[inline]
pub fn val_from_u32(raw: u32) -> Result<Val, PcsError> {
    if raw >= Val::ORDER_U32 {
        return Err(PcsError::NonCanonical { value: raw });
    }
    // SAFETY: `MontyField31` is `#[repr(transparent)]` over its `u32` Montgomery word (its other
    // field is a zero-sized `PhantomData`), so the bit patterns coincide; the only invariant of
    // that word, being `< p`, was checked just above.
    Ok(unsafe { core::mem::transmute::<u32, Val>(raw) })
}

/// The field element whose Montgomery word is `word`, for words the verifier's own arithmetic
/// produced below `p` (its Montgomery reductions): no check, unlike [`val_from_u32`], which
/// every word read from a proof goes through.
#[inline(always)]
pub(crate) fn val_from_reduced(word: u32) -> Val {
    debug_assert!(word < Val::ORDER_U32);
    // SAFETY: as in `val_from_u32`; the caller's reduction put the word below p.
    unsafe { core::mem::transmute::<u32, Val>(word) }
}

/// Decode an archived (little-endian) word.
#[inline]
pub fn val_from_archived(raw: &Archived<u32>) -> Result<Val, PcsError> {
    val_from_u32(raw.to_native())
}

/// Whether some archived word is not canonical (`>= p`), without a branch per word: for a
/// word `w < 2^32`, `w + (2^31 - p)` reaches bit 31 exactly when `w >= p`, so one OR over the
/// words tells (in the guest three instructions per word, eight words per loop iteration).
#[inline]
fn any_non_canonical(words: &[u32]) -> bool {
    const OFFSET: u64 = (1 << 31) - Val::ORDER_U32 as u64;
    let flag = |acc: u64, &w: &u32| acc | (u64::from(w) + OFFSET);
    let chunks = words.chunks_exact(8);
    let tail = chunks.remainder().iter().fold(0, flag);
    chunks.fold(tail, |acc, chunk| chunk.iter().fold(acc, flag)) >> 31 != 0
}

/// The error for the first non-canonical word, once [`any_non_canonical`] found one.
fn non_canonical(words: &[u32]) -> PcsError {
    let value = words
        .iter()
        .copied()
        .find(|&w| w >= Val::ORDER_U32)
        .unwrap_or(u32::MAX);
    PcsError::NonCanonical { value }
}

/// The archived words as native words: an archived `u32` is rend's `u32_le`,
/// `#[repr(C, align(4))]` around one `u32` holding the little-endian bytes, on this
/// little-endian target (lib.rs refuses others) the native word's bits.
fn native_words(raw: &[Archived<u32>]) -> &[u32] {
    const {
        assert!(size_of::<Archived<u32>>() == size_of::<u32>());
        assert!(align_of::<Archived<u32>>() >= align_of::<u32>());
    }
    // SAFETY: as said above; size and alignment are checked at compile time.
    unsafe { core::slice::from_raw_parts(raw.as_ptr().cast::<u32>(), raw.len()) }
}

/// What the caller does with words it reads in place, which decides who checks them canonical.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// Computes with them: each word is checked here.
    Compute,
    /// Hashes every one of them (a Merkle-opened row, a sibling digest, a fold coset) with the
    /// leaf or node hash, or absorbs it into the transcript (values opened at zeta, the final
    /// polynomial), on every path that can accept. Natively that is [`Use::Compute`]. In a
    /// guest the hash is the POSEIDON2 precompile, whose table range-checks every input word
    /// (docs/abi.md): a run that hashes a word `>= p` stops with an execution error, so no proof
    /// of it exists, and a check here would only repeat that one at about three cycles per word,
    /// the largest cost of opened rows after hashing them. Arithmetic on such a word before
    /// the hash is memory-safe (any `u32` is a valid bit pattern) and leads nowhere: the run
    /// either refuses the proof or reaches the hash and stops.
    HashFirst,
}

/// Checks every word of `raw` canonical, unless the caller's [`Use`] makes the hash do it.
fn check_canonical(raw: &[Archived<u32>], words_use: Use) -> Result<(), PcsError> {
    if words_use == Use::HashFirst && cfg!(target_os = "zkvm") {
        return Ok(());
    }
    let words = native_words(raw);
    if any_non_canonical(words) {
        return Err(non_canonical(words));
    }
    Ok(())
}

/// The archived words as field elements, in place: each checked canonical (as `words_use` says),
/// then the slice is reinterpreted without a copy (in the guest a copy costs more than the check).
pub fn vals_in_place(raw: &[Archived<u32>], words_use: Use) -> Result<&[Val], PcsError> {
    const {
        assert!(size_of::<Archived<u32>>() == size_of::<Val>());
        assert!(align_of::<Archived<u32>>() >= align_of::<Val>());
    }
    check_canonical(raw, words_use)?;
    // SAFETY: an archived `u32` is rend's `u32_le`, `#[repr(C, align(4))]` around one `u32`
    // holding the little-endian bytes; on this little-endian target (lib.rs refuses others) its
    // bits are the native word's. `MontyField31` is `#[repr(transparent)]` over that word, every
    // word is `< p` (checked above, or for `Use::HashFirst` in a guest by the hash before any
    // arithmetic; any `u32` is a valid bit pattern, so this is a field invariant, not a memory
    // one), and size and alignment match (checked at compile time).
    Ok(unsafe { core::slice::from_raw_parts(raw.as_ptr().cast::<Val>(), raw.len()) })
}

/// Archived extension elements as field elements, in place: every word checked canonical (as
/// `words_use` says), then the slice reinterpreted without a copy, like [`vals_in_place`].
pub fn exts_in_place(
    raw: &[[Archived<u32>; EXT_DEGREE]],
    words_use: Use,
) -> Result<&[Challenge], PcsError> {
    const {
        assert!(size_of::<[Archived<u32>; EXT_DEGREE]>() == size_of::<Challenge>());
        assert!(align_of::<[Archived<u32>; EXT_DEGREE]>() >= align_of::<Challenge>());
    }
    check_canonical(raw.as_flattened(), words_use)?;
    // SAFETY: as in `vals_in_place` for each word; `Challenge` is `#[repr(transparent)]` over
    // `[Val; EXT_DEGREE]` (basis coefficients in order, the archived order), so an array of
    // `EXT_DEGREE` canonical words is one element, with size and alignment checked at compile
    // time.
    Ok(unsafe { core::slice::from_raw_parts(raw.as_ptr().cast::<Challenge>(), raw.len()) })
}

/// Archived digests as digests, in place: every word checked canonical (as `words_use` says),
/// then the slice reinterpreted without a copy, like [`vals_in_place`].
pub fn digests_in_place(
    raw: &[[Archived<u32>; DIGEST_ELEMS]],
    words_use: Use,
) -> Result<&[Digest], PcsError> {
    const {
        assert!(size_of::<[Archived<u32>; DIGEST_ELEMS]>() == size_of::<Digest>());
        assert!(align_of::<[Archived<u32>; DIGEST_ELEMS]>() >= align_of::<Digest>());
    }
    check_canonical(raw.as_flattened(), words_use)?;
    // SAFETY: as in `vals_in_place` for each word; a digest is an array of `DIGEST_ELEMS`
    // elements, with size and alignment checked at compile time.
    Ok(unsafe { core::slice::from_raw_parts(raw.as_ptr().cast::<Digest>(), raw.len()) })
}

/// Encode a digest.
pub fn digest_to_u32s(d: &Digest) -> [u32; DIGEST_ELEMS] {
    d.map(val_to_u32)
}

/// The doubleword of words `lo` (first) and `hi` ([`crate::proof::Dword`]).
pub fn dword(lo: u32, hi: u32) -> u64 {
    u64::from(lo) | u64::from(hi) << 32
}

/// Words in pairs as doublewords; an odd count gets a zero word last.
pub fn to_dwords(words: &[u32]) -> impl Iterator<Item = u64> + '_ {
    words
        .chunks(2)
        .map(|pair| dword(pair[0], pair.get(1).copied().unwrap_or(0)))
}

/// Encode a digest as doublewords.
pub fn digest_to_dwords(d: &Digest) -> DigestDwords {
    let words = digest_to_u32s(d);
    core::array::from_fn(|k| dword(words[2 * k], words[2 * k + 1]))
}

/// Encode an extension element as doublewords.
pub fn ext_to_dwords(x: &Challenge) -> ExtDwords {
    let words = ext_to_u32s(x);
    core::array::from_fn(|k| dword(words[2 * k], words[2 * k + 1]))
}

/// Archived doublewords as their archived words, in place: an archived `u64` is rend's
/// `u64_le`, 8 little-endian bytes (8-byte aligned), which are the two `u32_le` words low first
/// on this little-endian target (lib.rs refuses others).
pub fn dword_words(raw: &[Archived<u64>]) -> &[Archived<u32>] {
    const {
        assert!(size_of::<Archived<u64>>() == 2 * size_of::<Archived<u32>>());
        assert!(align_of::<Archived<u64>>() >= align_of::<Archived<u32>>());
    }
    // SAFETY: as said above; sizes and alignments are checked at compile time.
    unsafe { core::slice::from_raw_parts(raw.as_ptr().cast::<Archived<u32>>(), 2 * raw.len()) }
}

/// Arrays of `D` archived doublewords as arrays of `W = 2 D` archived words, in place, like
/// [`dword_words`].
pub fn dword_arrays<const D: usize, const W: usize>(
    raw: &[[Archived<u64>; D]],
) -> &[[Archived<u32>; W]] {
    const {
        assert!(W == 2 * D);
        assert!(size_of::<[Archived<u64>; D]>() == size_of::<[Archived<u32>; W]>());
        assert!(align_of::<[Archived<u64>; D]>() >= align_of::<[Archived<u32>; W]>());
    }
    // SAFETY: each array is `D` doublewords, `2 D` words in order (see `dword_words`); sizes
    // and alignments are checked at compile time.
    unsafe { core::slice::from_raw_parts(raw.as_ptr().cast::<[Archived<u32>; W]>(), raw.len()) }
}

/// Decode an archived digest.
pub fn digest_from_archived(raw: &[Archived<u32>; DIGEST_ELEMS]) -> Result<Digest, PcsError> {
    let mut out = [Val::default(); DIGEST_ELEMS];
    for (o, w) in out.iter_mut().zip(raw) {
        *o = val_from_archived(w)?;
    }
    Ok(out)
}

/// Encode an extension element by its basis coefficients.
pub fn ext_to_u32s(x: &Challenge) -> [u32; EXT_DEGREE] {
    let c = x.as_basis_coefficients_slice();
    core::array::from_fn(|i| val_to_u32(c[i]))
}

/// Decode an archived extension element.
pub fn ext_from_archived(raw: &[Archived<u32>; EXT_DEGREE]) -> Result<Challenge, PcsError> {
    let mut c = [Val::default(); EXT_DEGREE];
    for (o, w) in c.iter_mut().zip(raw) {
        *o = val_from_archived(w)?;
    }
    Ok(Challenge::from_basis_coefficients_fn(|i| c[i]))
}

/// Decode a digest from its words (each checked to be canonical).
pub fn digest_from_u32s(raw: &[u32; DIGEST_ELEMS]) -> Result<Digest, PcsError> {
    let mut out = [Val::default(); DIGEST_ELEMS];
    for (o, &w) in out.iter_mut().zip(raw) {
        *o = val_from_u32(w)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_field::PrimeCharacteristicRing;

    #[test]
    fn round_trip_is_identity_and_montgomery() {
        for x in [0u32, 1, 2, 12345, Val::ORDER_U32 - 1] {
            let v = Val::from_u32(x);
            assert_eq!(val_from_u32(val_to_u32(v)).unwrap(), v);
        }
        // The archived word is the Montgomery form, not the canonical value: 1 is not stored as 1.
        assert_ne!(val_to_u32(Val::ONE), 1);
    }

    #[test]
    fn non_canonical_words_are_rejected() {
        for raw in [Val::ORDER_U32, Val::ORDER_U32 + 1, u32::MAX] {
            assert_eq!(
                val_from_u32(raw),
                Err(PcsError::NonCanonical { value: raw })
            );
        }
    }

    #[test]
    fn extensions_in_place_are_the_decoded_elements() {
        let xs: alloc::vec::Vec<Challenge> = (0..5u32)
            .map(|k| Challenge::from_basis_coefficients_fn(|i| Val::from_u32(9 * k + i as u32)))
            .collect();
        let mut raw: alloc::vec::Vec<[Archived<u32>; EXT_DEGREE]> = xs
            .iter()
            .map(|x| ext_to_u32s(x).map(Archived::<u32>::from_native))
            .collect();
        assert_eq!(exts_in_place(&raw, Use::Compute).unwrap(), xs.as_slice());
        raw[3][2] = Archived::<u32>::from_native(Val::ORDER_U32);
        assert_eq!(
            exts_in_place(&raw, Use::Compute),
            Err(PcsError::NonCanonical {
                value: Val::ORDER_U32
            })
        );
    }

    #[test]
    fn in_place_views_reject_exactly_the_non_canonical_words() {
        let top = Archived::<u32>::from_native(Val::ORDER_U32 - 1);
        // Natively the words are checked whatever the caller does with them (in a guest, words
        // hashed first are checked by the POSEIDON2 precompile instead).
        for (bad, at, words_use) in [Val::ORDER_U32, Val::ORDER_U32 + 1, 0x8000_0000, u32::MAX]
            .into_iter()
            .flat_map(|bad| (0..16).map(move |at| (bad, at)))
            .flat_map(|(bad, at)| [Use::Compute, Use::HashFirst].map(|u| (bad, at, u)))
        {
            let mut words = [top; 16];
            words[at] = Archived::<u32>::from_native(bad);
            let expected = PcsError::NonCanonical { value: bad };
            assert_eq!(vals_in_place(&words, words_use), Err(expected));
            let digests: [[Archived<u32>; DIGEST_ELEMS]; 2] =
                core::array::from_fn(|d| core::array::from_fn(|i| words[8 * d + i]));
            assert_eq!(digests_in_place(&digests, words_use), Err(expected));
            let exts: [[Archived<u32>; EXT_DEGREE]; 4] =
                core::array::from_fn(|e| core::array::from_fn(|i| words[4 * e + i]));
            assert_eq!(exts_in_place(&exts, words_use), Err(expected));
        }
        let largest = val_from_u32(Val::ORDER_U32 - 1).unwrap();
        assert_eq!(
            vals_in_place(&[top; 3], Use::Compute).unwrap(),
            [largest; 3]
        );
        assert_eq!(
            digests_in_place(&[[top; 8]], Use::Compute).unwrap(),
            [[largest; 8]]
        );
    }

    #[test]
    fn extension_round_trip() {
        let x = Challenge::from_basis_coefficients_fn(|i| Val::from_u32(7 * i as u32 + 3));
        let raw = ext_to_u32s(&x).map(Archived::<u32>::from_native);
        assert_eq!(ext_from_archived(&raw).unwrap(), x);
    }
}
