//! Reading a guest's public output back in the order it was committed.

use droste_zkvm::codec::{self, CodecError};
use serde::de::DeserializeOwned;

/// The public output could not be read as requested.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OutputError {
    /// A typed value did not decode at the current position.
    #[error("public output at byte {offset}: {source}")]
    Decode {
        /// Position of the value in the public output.
        offset: usize,
        /// What postcard reported.
        source: CodecError,
    },
    /// Fewer bytes are left than requested.
    #[error("public output at byte {offset}: {requested} bytes requested, {available} left")]
    TooShort {
        /// Position of the request in the public output.
        offset: usize,
        /// Bytes requested.
        requested: usize,
        /// Bytes left.
        available: usize,
    },
}

/// A cursor over the public output: the guest's `io::commit` / `io::commit_slice` calls, read in
/// the same order with [`PublicOutput::read`] / [`PublicOutput::read_slice`].
#[derive(Debug, Clone)]
pub struct PublicOutput<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> PublicOutput<'a> {
    /// A cursor at the start of `bytes` (an `Execution`'s `public_output`).
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, offset: 0 }
    }

    /// Reads the next value written by `io::commit::<T>`.
    pub fn read<T: DeserializeOwned>(&mut self) -> Result<T, OutputError> {
        let (value, rest) =
            codec::take(self.rest_unread()).map_err(|source| OutputError::Decode {
                offset: self.offset,
                source,
            })?;
        self.offset = self.bytes.len() - rest.len();
        Ok(value)
    }

    /// Reads the next `len` bytes (as written by `io::commit_slice`).
    pub fn read_slice(&mut self, len: usize) -> Result<&'a [u8], OutputError> {
        let unread = self.rest_unread();
        if len > unread.len() {
            return Err(OutputError::TooShort {
                offset: self.offset,
                requested: len,
                available: unread.len(),
            });
        }
        self.offset += len;
        Ok(&unread[..len])
    }

    /// Takes every byte not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let unread = self.rest_unread();
        self.offset = self.bytes.len();
        unread
    }

    fn rest_unread(&self) -> &'a [u8] {
        &self.bytes[self.offset..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output_bytes() -> Vec<u8> {
        let mut bytes = codec::to_bytes(&(7u32, "seven")).unwrap();
        bytes.extend_from_slice(&[0xde, 0xad]);
        bytes.extend(codec::to_bytes(&u128::MAX).unwrap());
        bytes.push(0xff);
        bytes
    }

    #[test]
    fn reads_values_and_slices_in_commit_order() {
        let bytes = output_bytes();
        let mut output = PublicOutput::new(&bytes);
        assert_eq!(output.read::<(u32, String)>().unwrap(), (7, "seven".into()));
        assert_eq!(output.read_slice(2).unwrap(), [0xde, 0xad]);
        assert_eq!(output.read::<u128>().unwrap(), u128::MAX);
        assert_eq!(output.rest(), [0xff]);
        assert_eq!(output.rest(), [] as [u8; 0]);
    }

    #[test]
    fn reading_past_the_end_is_an_error_that_consumes_nothing() {
        let bytes = [1u8, 2, 3];
        let mut output = PublicOutput::new(&bytes);
        assert_eq!(
            output.read_slice(4),
            Err(OutputError::TooShort {
                offset: 0,
                requested: 4,
                available: 3
            })
        );
        assert_eq!(output.read_slice(3).unwrap(), [1, 2, 3]);
        assert!(matches!(
            output.read::<u8>(),
            Err(OutputError::Decode { offset: 3, .. })
        ));
    }

    #[test]
    fn a_value_of_the_wrong_type_does_not_decode() {
        // 0x80 starts a varint that never ends: no u64, and not a valid bool either.
        let bytes = [0x80u8];
        assert!(PublicOutput::new(&bytes).read::<u64>().is_err());
        assert!(PublicOutput::new(&[2u8]).read::<bool>().is_err());
    }
}
