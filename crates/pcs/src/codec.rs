//! The one audited conversion between field elements and their archived form.
//!
//! Proofs store field elements as raw `u32` words holding KoalaBear's *internal Montgomery*
//! representation, exactly what the verifier computes with, so reading a proof needs no
//! conversion pass, only a canonicity check (`< p`). A non-canonical word would be a second
//! encoding of some element (malleability) and would break the field arithmetic's invariants, so
//! every word read from a proof goes through [`val_from_u32`].

use p3_field::{BasedVectorSpace, PrimeField32};
use rkyv::Archived;

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

/// The archived words as field elements, in place: each checked canonical, then the slice is
/// reinterpreted without a copy (in the guest a copy costs more than the check).
pub fn vals_in_place(raw: &[Archived<u32>]) -> Result<&[Val], PcsError> {
    const {
        assert!(size_of::<Archived<u32>>() == size_of::<Val>());
        assert!(align_of::<Archived<u32>>() >= align_of::<Val>());
    }
    if let Some(word) = raw.iter().find(|w| w.to_native() >= Val::ORDER_U32) {
        return Err(PcsError::NonCanonical {
            value: word.to_native(),
        });
    }
    // SAFETY: an archived `u32` is rend's `u32_le`, `#[repr(C, align(4))]` around one `u32`
    // holding the little-endian bytes; on this little-endian target (lib.rs refuses others) its
    // bits are the native word's. `MontyField31` is `#[repr(transparent)]` over that word, every
    // word is `< p` (checked above), and size and alignment match (checked at compile time).
    Ok(unsafe { core::slice::from_raw_parts(raw.as_ptr().cast::<Val>(), raw.len()) })
}

/// Archived extension elements as field elements, in place: every word checked canonical, then
/// the slice reinterpreted without a copy, like [`vals_in_place`].
pub fn exts_in_place(raw: &[[Archived<u32>; EXT_DEGREE]]) -> Result<&[Challenge], PcsError> {
    const {
        assert!(size_of::<[Archived<u32>; EXT_DEGREE]>() == size_of::<Challenge>());
        assert!(align_of::<[Archived<u32>; EXT_DEGREE]>() >= align_of::<Challenge>());
    }
    if let Some(word) = raw
        .iter()
        .flatten()
        .find(|w| w.to_native() >= Val::ORDER_U32)
    {
        return Err(PcsError::NonCanonical {
            value: word.to_native(),
        });
    }
    // SAFETY: as in `vals_in_place` for each word; `Challenge` is `#[repr(transparent)]` over
    // `[Val; EXT_DEGREE]` (basis coefficients in order, the archived order), so an array of
    // `EXT_DEGREE` canonical words is one element, with size and alignment checked at compile
    // time.
    Ok(unsafe { core::slice::from_raw_parts(raw.as_ptr().cast::<Challenge>(), raw.len()) })
}

/// Encode a digest.
pub fn digest_to_u32s(d: &Digest) -> [u32; DIGEST_ELEMS] {
    d.map(val_to_u32)
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
        assert_eq!(exts_in_place(&raw).unwrap(), xs.as_slice());
        raw[3][2] = Archived::<u32>::from_native(Val::ORDER_U32);
        assert_eq!(
            exts_in_place(&raw),
            Err(PcsError::NonCanonical {
                value: Val::ORDER_U32
            })
        );
    }

    #[test]
    fn extension_round_trip() {
        let x = Challenge::from_basis_coefficients_fn(|i| Val::from_u32(7 * i as u32 + 3));
        let raw = ext_to_u32s(&x).map(Archived::<u32>::from_native);
        assert_eq!(ext_from_archived(&raw).unwrap(), x);
    }
}
