//! The verifying key: what a verifier must know about a set of tables besides their code.
//!
//! It holds the FRI parameters, the commitment to all preprocessed traces (program ROM, initial
//! memory...), and per table the shape the prover must respect: widths, the fixed height of
//! preprocessed tables, constraint count and degree, the number of quotient chunks, and the
//! LogUp layout (interactions and how they are packed into columns). Its digest, a Poseidon2
//! hash of a fixed-width canonical encoding (see [`VerifyingKey::encode`]), is the first thing
//! the transcript absorbs, so a proof is bound to exactly one key.
//!
//! The key is rkyv-archivable (field elements as their raw `u32` words) so that a recursion guest
//! can read it in place like a proof.

use alloc::string::String;
use alloc::vec::Vec;

use droste_pcs::codec::val_from_u32;
use droste_pcs::hash::Hasher;
use droste_pcs::{Digest, FriParameters, DIGEST_ELEMS};
use p3_field::PrimeCharacteristicRing;

use crate::air::{Direction, Interaction};
use crate::{BusId, Val, VerifyError};

/// Version of the key encoding; bump when [`VerifyingKey::encode`] changes.
pub const VK_ENCODING_VERSION: u32 = 3;

/// One interaction as the key records it: enough to pin the LogUp layout, not the expressions
/// (those are the table's code, like its constraints).
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct InteractionMeta {
    /// The bus.
    pub bus: BusId,
    /// `true` for a send, `false` for a receive.
    pub is_send: bool,
    /// Number of tuple elements.
    pub tuple_len: u32,
}

impl InteractionMeta {
    /// What the key records about `interaction`.
    pub fn of(interaction: &Interaction) -> Self {
        Self {
            bus: interaction.bus,
            is_send: interaction.direction == Direction::Send,
            tuple_len: interaction.values.len() as u32,
        }
    }
}

/// Per-table part of the verifying key.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct TableMeta {
    /// The table's name (for messages; not part of the digest).
    pub name: String,
    /// Number of main columns.
    pub main_width: u32,
    /// Number of preprocessed columns (0 if none).
    pub preprocessed_width: u32,
    /// log2 of the height, fixed by the preprocessed trace; `None` for tables without one, whose
    /// height each proof chooses.
    pub preprocessed_log_height: Option<u8>,
    /// Number of AIR constraints (`assert_zero` calls of one `eval`).
    pub num_air_constraints: u32,
    /// Largest constraint degree, LogUp columns included.
    pub constraint_degree: u8,
    /// log2 of the number of quotient chunks (`2^log >= degree - 1`).
    pub log_quotient_chunks: u8,
    /// The table's interactions, in declaration order.
    pub interactions: Vec<InteractionMeta>,
    /// Sizes of the consecutive interaction groups, one auxiliary column each.
    pub group_sizes: Vec<u32>,
    /// Whether a proof may leave the table out when it has no rows ([`crate::Table::may_be_empty`]).
    pub may_be_empty: bool,
}

impl TableMeta {
    /// Number of auxiliary extension columns.
    pub fn aux_columns(&self) -> usize {
        self.group_sizes.len()
    }

    /// Group sizes as `usize` (validated against the interaction count by the verifier).
    #[cfg(feature = "std")]
    pub(crate) fn group_sizes_usize(&self) -> Vec<usize> {
        self.group_sizes.iter().map(|&s| s as usize).collect()
    }
}

impl ArchivedTableMeta {
    /// Number of auxiliary extension columns.
    pub fn aux_columns(&self) -> usize {
        self.group_sizes.len()
    }

    /// The fixed log height of a preprocessed table.
    pub fn fixed_log_height(&self) -> Option<u8> {
        self.preprocessed_log_height.as_ref().copied()
    }
}

/// The verifying key of a set of tables.
#[derive(Clone, Debug, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct VerifyingKey {
    /// FRI parameters of every proof under this key.
    pub fri: FriParameters,
    /// Merkle root of the preprocessed traces (raw words), `None` if no table has one.
    pub preprocessed_commitment: Option<[u32; DIGEST_ELEMS]>,
    /// One entry per table, in proving order.
    pub tables: Vec<TableMeta>,
}

impl VerifyingKey {
    /// The key as an aligned rkyv archive (what a recursion guest reads in place).
    pub fn to_bytes(&self) -> rkyv::util::AlignedVec<16> {
        rkyv::to_bytes::<rkyv::rancor::Error>(self).expect("serializing into memory cannot fail")
    }

    /// Poseidon2 digest of the key's canonical encoding ([`ArchivedVerifyingKey::encode`]),
    /// computed over its archive like every verification does.
    pub fn digest(&self) -> Result<Digest, VerifyError> {
        Ok(access(&self.to_bytes())?.digested()?.digest)
    }
}

/// Validates a key archive in place (structure and bounds; the key's contents are checked where
/// they are used). `bytes` must be 16-byte aligned.
pub fn access(bytes: &[u8]) -> Result<&ArchivedVerifyingKey, VerifyError> {
    if bytes.as_ptr() as usize % 16 != 0 {
        return Err(VerifyError::Format("key bytes are not 16-byte aligned"));
    }
    rkyv::access::<ArchivedVerifyingKey, rkyv::rancor::Failure>(bytes)
        .map_err(|_| VerifyError::Format("malformed verifying key archive"))
}

impl ArchivedVerifyingKey {
    /// The key's FRI parameters.
    pub fn fri(&self) -> FriParameters {
        FriParameters::from(&self.fri)
    }

    /// The preprocessed commitment as field elements.
    pub fn preprocessed_digest(&self) -> Result<Option<Digest>, VerifyError> {
        self.preprocessed_commitment
            .as_ref()
            .map(|words| {
                let mut digest = [Val::ZERO; DIGEST_ELEMS];
                for (d, w) in digest.iter_mut().zip(words) {
                    *d = val_from_u32(w.to_native())?;
                }
                Ok(digest)
            })
            .transpose()
    }

    /// The canonical encoding hashed into the digest: every field one element, every list
    /// preceded by its length, so distinct keys never share an encoding.
    ///
    /// `[version, log_blowup, num_queries, query_pow_bits, log_folding_arity, log_final_poly_len,
    /// deep_pow_bits, logup_pow_bits, has_preprocessed, preprocessed root (8 elements, zeros if
    /// none), num_tables]`, then per table `[main_width, preprocessed_width, has_fixed_height,
    /// log_height (0 if not fixed), num_air_constraints, constraint_degree, log_quotient_chunks,
    /// num_interactions, may_be_empty, (bus, is_send, tuple_len) per interaction, num_groups,
    /// group sizes...]`.
    pub fn encode(&self) -> Result<Vec<Val>, VerifyError> {
        let mut out = Vec::new();
        let fri = self.fri();
        out.extend(
            [
                VK_ENCODING_VERSION,
                fri.log_blowup.into(),
                fri.num_queries.into(),
                fri.query_pow_bits.into(),
                fri.log_folding_arity.into(),
                fri.log_final_poly_len.into(),
                fri.deep_pow_bits.into(),
                fri.logup_pow_bits.into(),
            ]
            .map(Val::from_u32),
        );
        let root = self.preprocessed_digest()?;
        out.push(Val::from_bool(root.is_some()));
        out.extend(root.unwrap_or([Val::ZERO; DIGEST_ELEMS]));
        out.push(Val::from_usize(self.tables.len()));
        for t in self.tables.iter() {
            out.extend(
                [
                    t.main_width.to_native(),
                    t.preprocessed_width.to_native(),
                    t.fixed_log_height().is_some().into(),
                    t.fixed_log_height().unwrap_or(0).into(),
                    t.num_air_constraints.to_native(),
                    t.constraint_degree.into(),
                    t.log_quotient_chunks.into(),
                    t.interactions.len() as u32,
                    t.may_be_empty.into(),
                ]
                .map(Val::from_u32),
            );
            for i in t.interactions.iter() {
                out.extend(
                    [
                        i.bus.to_native().into(),
                        i.is_send.into(),
                        i.tuple_len.to_native(),
                    ]
                    .map(Val::from_u32),
                );
            }
            out.push(Val::from_usize(t.group_sizes.len()));
            out.extend(t.group_sizes.iter().map(|s| Val::from_u32(s.to_native())));
        }
        Ok(out)
    }

    /// The key with its digest (Poseidon2 of [`Self::encode`]), computed once: the transcript
    /// absorbs it first, and recursion guests commit to it.
    pub fn digested(&self) -> Result<DigestedKey<'_>, VerifyError> {
        Ok(DigestedKey {
            key: self,
            digest: Hasher::new().hash_slice(&self.encode()?),
        })
    }
}

/// An archived key together with its digest. Only [`ArchivedVerifyingKey::digested`] makes one,
/// so a verification can hash its key once and hand the digest on (the machine's key digest is
/// built from it) without anyone passing a digest that is not the key's.
#[derive(Clone, Copy)]
pub struct DigestedKey<'a> {
    key: &'a ArchivedVerifyingKey,
    digest: Digest,
}

impl core::fmt::Debug for DigestedKey<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DigestedKey")
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

impl<'a> DigestedKey<'a> {
    /// The key.
    pub fn key(&self) -> &'a ArchivedVerifyingKey {
        self.key
    }

    /// Its digest.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;
    use alloc::vec;

    use super::*;

    fn key() -> VerifyingKey {
        VerifyingKey {
            fri: FriParameters::fast_preset(),
            preprocessed_commitment: Some([5; DIGEST_ELEMS]),
            tables: vec![TableMeta {
                name: "t".to_string(),
                main_width: 3,
                preprocessed_width: 1,
                preprocessed_log_height: Some(4),
                num_air_constraints: 2,
                constraint_degree: 3,
                log_quotient_chunks: 1,
                interactions: vec![InteractionMeta {
                    bus: 1,
                    is_send: true,
                    tuple_len: 2,
                }],
                group_sizes: vec![1],
                may_be_empty: false,
            }],
        }
    }

    /// One interaction per row: 2^30 rows stay below p, 2^31 rows (or 2^30 rows plus a huge
    /// endpoint count) do not.
    #[test]
    fn bus_terms_must_stay_below_the_characteristic() {
        use crate::logup::{bus_term_count, check_interaction_bound};
        use crate::PublicEndpoint;
        let bytes = key().to_bytes();
        let k = access(&bytes).unwrap();
        assert_eq!(bus_term_count(k, &[30], &[]), 1 << 30);
        assert!(check_interaction_bound(k, &[30], &[]).is_ok());
        assert_eq!(check_interaction_bound(k, &[31], &[]), Err(1 << 31));
        let minus_one = PublicEndpoint::receive(1, vec![], Val::ONE);
        assert_eq!(bus_term_count(k, &[4], &[minus_one]), 17);
        let huge = PublicEndpoint::send(1, vec![], Val::from_u32(1 << 30));
        assert!(check_interaction_bound(k, &[30], core::slice::from_ref(&huge)).is_err());
        assert!(check_interaction_bound(k, &[29], &[huge]).is_ok());
    }

    #[test]
    fn every_field_of_the_key_changes_the_digest() {
        let base = key().digest().unwrap();
        let mutations: [fn(&mut VerifyingKey); 21] = [
            |k| k.fri.log_blowup += 1,
            |k| k.fri.num_queries += 1,
            |k| k.fri.query_pow_bits += 1,
            |k| k.fri.log_folding_arity += 1,
            |k| k.fri.log_final_poly_len += 1,
            |k| k.fri.deep_pow_bits += 1,
            |k| k.fri.logup_pow_bits += 1,
            |k| k.preprocessed_commitment = None,
            |k| k.preprocessed_commitment.as_mut().unwrap()[7] += 1,
            |k| k.tables[0].main_width += 1,
            |k| k.tables[0].preprocessed_width += 1,
            |k| k.tables[0].preprocessed_log_height = None,
            |k| k.tables[0].preprocessed_log_height = Some(5),
            |k| k.tables[0].num_air_constraints += 1,
            |k| k.tables[0].constraint_degree += 1,
            |k| k.tables[0].log_quotient_chunks += 1,
            |k| k.tables[0].interactions[0].bus += 1,
            |k| k.tables[0].interactions[0].is_send = false,
            |k| k.tables[0].interactions[0].tuple_len += 1,
            |k| k.tables[0].group_sizes.push(1),
            |k| k.tables[0].may_be_empty = true,
        ];
        for (i, mutate) in mutations.iter().enumerate() {
            let mut k = key();
            mutate(&mut k);
            assert_ne!(k.digest().unwrap(), base, "mutation {i} kept the digest");
        }
        let mut k = key();
        k.tables.push(k.tables[0].clone());
        assert_ne!(k.digest().unwrap(), base);
        // Names are cosmetic.
        let mut k = key();
        k.tables[0].name = "renamed".to_string();
        assert_eq!(k.digest().unwrap(), base);
    }

    #[test]
    fn non_canonical_preprocessed_root_is_an_error() {
        let mut k = key();
        k.preprocessed_commitment = Some([u32::MAX; DIGEST_ELEMS]);
        assert!(k.digest().is_err());
    }
}
