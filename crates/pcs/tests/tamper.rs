//! Tampering with any part of an opening proof is rejected with an error, never a panic.

#![cfg(feature = "std")]

mod common;

use common::*;
use droste_pcs::{OpeningProof, Val};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use proptest::prelude::*;

/// A small two-round, mixed-height opening with arity 4 (so fold openings have 3 siblings).
fn honest() -> Honest {
    let shapes = [vec![(2, 2), (5, 3)], vec![(5, 1)]];
    prove(params(1, 2, 1, 6, 2), &shapes, 7)
}

/// Add one (mod p) to an archived word, keeping it canonical so the verifier must catch the
/// change semantically, not by the canonicity check.
fn bump(word: &mut u32) {
    let v = droste_pcs::codec::val_from_u32(*word).unwrap() + Val::ONE;
    *word = droste_pcs::codec::val_to_u32(v);
}

/// [`bump`] on word `k` (0: the low half, 1: the high half) of an archived doubleword.
fn bump_in(dword: &mut u64, k: usize) {
    let mut word = (*dword >> (32 * k)) as u32;
    bump(&mut word);
    *dword = *dword & !(0xffff_ffff << (32 * k)) | u64::from(word) << (32 * k);
}

/// A named edit of a proof.
type Mutation = (String, Box<dyn Fn(&mut OpeningProof)>);

/// Every word position of the proof, as a closure that mutates it.
fn every_word(proof: &OpeningProof) -> Vec<Mutation> {
    let mut out: Vec<Mutation> = Vec::new();
    for r in 0..proof.fold_roots.len() {
        for k in 0..8 {
            out.push((
                format!("fold_roots[{r}][{k}]"),
                Box::new(move |p| bump(&mut p.fold_roots[r][k])),
            ));
        }
    }
    for c in 0..proof.final_poly.len() {
        for k in 0..4 {
            out.push((
                format!("final_poly[{c}][{k}]"),
                Box::new(move |p| bump(&mut p.final_poly[c][k])),
            ));
        }
    }
    out.push(("pow_witness".into(), Box::new(|p| p.pow_witness += 1)));
    out.push((
        "batch_pow_witness".into(),
        Box::new(|p| p.batch_pow_witness += 1),
    ));
    for (r, round) in proof.rounds.iter().enumerate() {
        // Every word, a row's zero padding included.
        for i in 0..2 * round.values.len() {
            out.push((
                format!("rounds[{r}].values word {i}"),
                Box::new(move |p| bump_in(&mut p.rounds[r].values[i / 2], i % 2)),
            ));
        }
        for j in 0..round.siblings.len() {
            for k in 0..8 {
                out.push((
                    format!("rounds[{r}].siblings[{j}] word {k}"),
                    Box::new(move |p| bump_in(&mut p.rounds[r].siblings[j][k / 2], k % 2)),
                ));
            }
        }
    }
    for (f, fold) in proof.folds.iter().enumerate() {
        for v in 0..fold.values.len() {
            for k in 0..4 {
                out.push((
                    format!("folds[{f}].values[{v}] word {k}"),
                    Box::new(move |p| bump_in(&mut p.folds[f].values[v][k / 2], k % 2)),
                ));
            }
        }
        for j in 0..fold.siblings.len() {
            for k in 0..8 {
                out.push((
                    format!("folds[{f}].siblings[{j}] word {k}"),
                    Box::new(move |p| bump_in(&mut p.folds[f].siblings[j][k / 2], k % 2)),
                ));
            }
        }
    }
    out
}

#[test]
fn every_word_of_the_proof_is_bound() {
    let h = honest();
    h.verify_proof(&h.proof).unwrap();
    let mutations = every_word(&h.proof);
    assert!(
        mutations.len() > 300,
        "walk covers the proof ({} words)",
        mutations.len()
    );
    for (name, mutate) in mutations {
        let mut p = h.proof.clone();
        mutate(&mut p);
        assert!(h.verify_proof(&p).is_err(), "tampered {name} accepted");
    }
}

#[test]
fn non_canonical_words_are_rejected() {
    let h = honest();
    let p_word = Val::ORDER_U32;
    let mut p = h.proof.clone();
    let first = &mut p.rounds[0].values[0];
    *first = *first & !0xffff_ffff | u64::from(p_word);
    assert_eq!(
        h.verify_proof(&p),
        Err(droste_pcs::PcsError::NonCanonical { value: p_word })
    );
    let mut p = h.proof.clone();
    p.final_poly[0][0] = u32::MAX;
    assert!(h.verify_proof(&p).is_err());
    let mut p = h.proof.clone();
    p.pow_witness = u64::from(Val::ORDER_U32);
    assert!(h.verify_proof(&p).is_err());
    let mut p = h.proof.clone();
    p.batch_pow_witness = u64::MAX;
    assert!(h.verify_proof(&p).is_err());
}

#[test]
fn every_list_length_is_checked() {
    let h = honest();
    type Edit = fn(&mut OpeningProof);
    let edits: [(&str, Edit); 16] = [
        ("drop fold root", |p| {
            p.fold_roots.pop();
        }),
        ("extra fold root", |p| p.fold_roots.push([0; 8])),
        ("drop final coefficient", |p| {
            p.final_poly.pop();
        }),
        ("extra final coefficient", |p| p.final_poly.push([0; 4])),
        ("drop round opening", |p| {
            p.rounds.pop();
        }),
        ("extra round opening", |p| {
            let first = p.rounds[0].clone();
            p.rounds.push(first)
        }),
        ("drop opened value", |p| {
            p.rounds[0].values.pop();
        }),
        ("extra opened value", |p| p.rounds[1].values.push(0)),
        ("drop round sibling", |p| {
            p.rounds[1].siblings.pop();
        }),
        ("extra round sibling", |p| {
            let first = p.rounds[0].siblings[0];
            p.rounds[0].siblings.push(first)
        }),
        ("drop fold opening", |p| {
            p.folds.pop();
        }),
        ("extra fold opening", |p| {
            let first = p.folds[0].clone();
            p.folds.push(first)
        }),
        ("drop fold value", |p| {
            p.folds[1].values.pop();
        }),
        ("extra fold value", |p| p.folds[0].values.push([0; 2])),
        ("drop fold sibling", |p| {
            p.folds[0].siblings.pop();
        }),
        ("extra fold sibling", |p| {
            let last = *p.folds[0].siblings.last().unwrap();
            p.folds[0].siblings.push(last)
        }),
    ];
    for (name, edit) in edits {
        let mut p = h.proof.clone();
        edit(&mut p);
        assert!(h.verify_proof(&p).is_err(), "{name} accepted");
    }
}

#[test]
fn reordered_openings_are_rejected() {
    let h = honest();
    let mut p = h.proof.clone();
    p.rounds.swap(0, 1);
    assert!(h.verify_proof(&p).is_err());
    for r in 0..h.proof.rounds.len() {
        for j in 1..h.proof.rounds[r].siblings.len() {
            let mut p = h.proof.clone();
            p.rounds[r].siblings.swap(j - 1, j);
            assert!(
                h.verify_proof(&p).is_err(),
                "round {r} siblings {j} swapped"
            );
        }
    }
    for f in 0..h.proof.folds.len() {
        for j in 1..h.proof.folds[f].siblings.len() {
            let mut p = h.proof.clone();
            p.folds[f].siblings.swap(j - 1, j);
            assert!(h.verify_proof(&p).is_err(), "fold {f} siblings {j} swapped");
        }
        for j in 1..h.proof.folds[f].values.len() {
            let mut p = h.proof.clone();
            p.folds[f].values.swap(j - 1, j);
            if p != h.proof {
                assert!(h.verify_proof(&p).is_err(), "fold {f} values {j} swapped");
            }
        }
    }
}

#[test]
fn every_single_bit_flip_of_the_archive_is_rejected_or_harmless() {
    let h = honest();
    let bytes = to_bytes(&h.proof);
    // Step through the archive so the test stays fast; the proptest below covers the rest.
    for pos in (0..bytes.len()).step_by(3) {
        let bit = pos % 8;
        let mut b = bytes.to_vec();
        b[pos] ^= 1 << bit;
        let mut aligned = rkyv::util::AlignedVec::<16>::new();
        aligned.extend_from_slice(&b);
        if h.verify_bytes(&aligned).is_ok() {
            // Only acceptable if the flip hit bytes that carry no content (padding).
            let back = rkyv::from_bytes::<OpeningProof, rkyv::rancor::Error>(&aligned).unwrap();
            assert_eq!(
                back, h.proof,
                "flip at byte {pos} bit {bit} changed content yet verified"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_bytes_never_verify(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let h = honest_cached();
        let mut aligned = rkyv::util::AlignedVec::<16>::new();
        aligned.extend_from_slice(&bytes);
        prop_assert!(h.verify_bytes(&aligned).is_err());
    }

    #[test]
    fn random_edits_are_rejected_or_harmless(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let h = honest_cached();
        let mut b = to_bytes(&h.proof).to_vec();
        for (pos, val) in edits {
            let len = b.len();
            b[pos % len] = val;
        }
        let mut aligned = rkyv::util::AlignedVec::<16>::new();
        aligned.extend_from_slice(&b);
        if h.verify_bytes(&aligned).is_ok() {
            let back = rkyv::from_bytes::<OpeningProof, rkyv::rancor::Error>(&aligned).unwrap();
            prop_assert_eq!(back, h.proof.clone());
        }
    }
}

fn honest_cached() -> &'static Honest {
    static H: std::sync::OnceLock<Honest> = std::sync::OnceLock::new();
    H.get_or_init(honest)
}
