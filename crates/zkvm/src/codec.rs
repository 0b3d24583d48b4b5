//! The encoding of typed values exchanged between host and guest.
//!
//! Both directions use [postcard]: compact, deterministic, `no_std`, and the same bytes on the
//! host (x86-64/aarch64) and in the guest (RV64), since it fixes endianness and encodes integers
//! as varints independently of `usize`'s width. The host SDK calls these same functions, so the
//! two sides cannot disagree on the format.
//!
//! * The input stream is a sequence of *items*; [`from_item`] decodes one typed value from exactly
//!   one item and rejects trailing bytes (a value shorter than its item is a host/guest mismatch).
//! * The public output is one byte stream; values are appended with [`to_bytes`] and read back in
//!   order with [`take`].

use serde::{de::DeserializeOwned, Serialize};

/// Why a value could not be encoded or decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodecError {
    /// postcard rejected the value or the bytes.
    #[error("postcard: {0}")]
    Postcard(#[from] postcard::Error),
    /// The item held more bytes than the decoded value used.
    #[error("{trailing} trailing bytes after the decoded value")]
    TrailingBytes {
        /// Bytes left over after decoding.
        trailing: usize,
    },
}

/// Encodes `value` into a fresh buffer.
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    Ok(postcard::to_allocvec(value)?)
}

/// Decodes a `T` that must occupy all of `item`.
pub fn from_item<T: DeserializeOwned>(item: &[u8]) -> Result<T, CodecError> {
    let (value, rest) = take(item)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(CodecError::TrailingBytes {
            trailing: rest.len(),
        })
    }
}

/// Decodes a `T` from the front of `bytes`, returning it and the bytes after it.
pub fn take<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, &[u8]), CodecError> {
    Ok(postcard::take_from_bytes(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        id: u64,
        name: String,
        wide: u128,
        bytes: Vec<u8>,
    }

    fn sample() -> Sample {
        Sample {
            id: 300,
            name: "droste".into(),
            wide: u128::MAX - 5,
            bytes: vec![1, 2, 3],
        }
    }

    #[test]
    fn round_trips_structured_values() {
        let bytes = to_bytes(&sample()).unwrap();
        assert_eq!(from_item::<Sample>(&bytes).unwrap(), sample());
    }

    #[test]
    fn integers_are_varints_independent_of_word_size() {
        assert_eq!(to_bytes(&300u64).unwrap(), [0xac, 0x02]);
        assert_eq!(to_bytes(&300usize).unwrap(), to_bytes(&300u32).unwrap());
    }

    #[test]
    fn item_with_trailing_bytes_is_rejected() {
        let mut bytes = to_bytes(&7u32).unwrap();
        bytes.push(0);
        assert_eq!(
            from_item::<u32>(&bytes),
            Err(CodecError::TrailingBytes { trailing: 1 })
        );
    }

    #[test]
    fn truncated_item_is_rejected() {
        let bytes = to_bytes(&sample()).unwrap();
        assert!(matches!(
            from_item::<Sample>(&bytes[..bytes.len() - 1]),
            Err(CodecError::Postcard(_))
        ));
    }

    #[test]
    fn take_reads_a_stream_in_order() {
        let mut stream = to_bytes(&1u8).unwrap();
        stream.extend(to_bytes("two").unwrap());
        let (one, rest) = take::<u8>(&stream).unwrap();
        let (two, rest) = take::<String>(rest).unwrap();
        assert_eq!((one, two.as_str(), rest), (1, "two", &[][..]));
    }
}
