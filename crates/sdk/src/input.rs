//! The input a guest reads: an ordered stream of items, a mapped private input, and entropy.

use droste_zkvm::codec::{self, CodecError};
use serde::Serialize;

/// Builds a guest's input. Each `write*` call appends one item to the input stream; the guest
/// takes items in the same order with `droste_zkvm::io::read` / `read_vec`.
#[derive(Default, Clone)]
pub struct Input {
    inner: droste_executor::Input,
}

impl Input {
    /// An empty input: no items, no private input, no entropy.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `value`, encoded with postcard, as one item (read by `io::read::<T>()`).
    pub fn write<T: Serialize + ?Sized>(mut self, value: &T) -> Result<Self, CodecError> {
        self.inner.stream.push(codec::to_bytes(value)?);
        Ok(self)
    }

    /// Appends `bytes` verbatim as one item (read by `io::read_vec()`).
    pub fn write_slice(mut self, bytes: &[u8]) -> Self {
        self.inner.stream.push(bytes.to_vec());
        self
    }

    /// Appends a proof and the verifying key it is for, as two items (the key, then the proof,
    /// each in its wire format), which a guest verifies in place with
    /// `droste_zkvm::verify::read_verified()` (feature `verify`) and gets the proof's statement
    /// back: application recursion. The guest decides which key digests it trusts.
    pub fn write_proof(mut self, proof: &[u8], vk: &droste_machine::VerifyingKey) -> Self {
        self.inner.stream.push(vk.to_bytes().to_vec());
        self.inner.stream.push(proof.to_vec());
        self
    }

    /// Appends a continuation shard proof as two input items, the program's shard key then the
    /// proof (wire formats), which the recursion guest verifies with
    /// `droste_zkvm::verify::read_verified_shard`.
    pub fn write_shard_proof(
        mut self,
        proof: &[u8],
        shard_vk: &droste_machine::shard::ShardVerifyingKey,
    ) -> Self {
        self.inner.stream.push(shard_vk.to_bytes().to_vec());
        self.inner.stream.push(proof.to_vec());
        self
    }

    /// Appends a continuation shard proof of the program and shard key of the shard proof
    /// before it as one input item, the proof alone (`InnerKind::NextShard`: the recursion guest
    /// verifies it under the key it read before).
    pub fn write_next_shard_proof(mut self, proof: &[u8]) -> Self {
        self.inner.stream.push(proof.to_vec());
        self
    }

    /// Appends the stream items of `other` (its private input and entropy are not taken).
    pub(crate) fn extend(mut self, other: Input) -> Self {
        self.inner.stream.extend(other.inner.stream);
        self
    }

    /// Sets the private input mapped into guest memory (`io::private_input_slice()`).
    pub fn private_input(mut self, bytes: Vec<u8>) -> Self {
        self.inner.private_input = bytes;
        self
    }

    /// Supplies entropy for the guest's randomness (`sys_rand`, e.g. `HashMap`'s seed). Without
    /// it a guest that asks for randomness fails instead of silently getting fixed bytes.
    pub fn entropy(mut self, seed: [u8; 32]) -> Self {
        self.inner.entropy = Some(seed);
        self
    }

    /// The input in the executor's terms.
    pub fn as_executor_input(&self) -> &droste_executor::Input {
        &self.inner
    }
}

impl From<Input> for droste_executor::Input {
    fn from(input: Input) -> Self {
        input.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_keep_their_order_and_encoding() {
        let input = Input::new()
            .write(&300u64)
            .unwrap()
            .write_slice(b"raw")
            .write("text")
            .unwrap();
        let stream = &input.as_executor_input().stream;
        assert_eq!(
            stream,
            &[vec![0xac, 0x02], b"raw".to_vec(), b"\x04text".to_vec()]
        );
    }

    #[test]
    fn private_input_and_entropy_are_passed_on() {
        let executor_input: droste_executor::Input = Input::new()
            .private_input(vec![1, 2, 3])
            .entropy([7; 32])
            .into();
        assert_eq!(executor_input.private_input, [1, 2, 3]);
        assert_eq!(executor_input.entropy, Some([7; 32]));
        assert!(executor_input.stream.is_empty());
    }
}
