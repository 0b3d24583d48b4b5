//! Guest input and output.
//!
//! * The **input stream** is a sequence of items supplied by the host (`droste run --input`,
//!   `droste_sdk::Input::write`). [`read`] decodes one item as a typed value (postcard, see
//!   [`crate::codec`]); [`read_vec`] returns one item's bytes verbatim.
//! * The **public output** is the byte stream the proof commits to. [`commit`] appends a typed
//!   value, [`commit_slice`] raw bytes; the host reads them back in the same order.
//! * The **private input** is a byte blob mapped into memory before the guest starts;
//!   [`private_input_slice`] views it in place, without copying (an archived proof, a database).

use core::any::type_name;
use core::slice;
use droste_isa::abi;
use serde::{de::DeserializeOwned, Serialize};

use crate::{codec, syscall};

/// Reads the next input item and decodes it as a `T`. Panics (ending the guest) when the stream
/// is exhausted or the item is not exactly one encoded `T`.
#[track_caller]
pub fn read<T: DeserializeOwned>() -> T {
    let item = read_vec();
    match codec::from_item(&item) {
        Ok(value) => value,
        Err(error) => panic!(
            "io::read::<{}>: input item of {} bytes does not decode: {error} (typed items are \
             postcard, written by Input::write or `--input-value TYPE:VALUE`; raw bytes from \
             Input::write_slice, --input-hex or --input are read with io::read_vec)",
            type_name::<T>(),
            item.len()
        ),
    }
}

/// Reads the next input item's bytes. Panics (ending the guest) when the stream is exhausted.
#[track_caller]
pub fn read_vec() -> Vec<u8> {
    let Some(len) = syscall::input_len() else {
        panic!("io::read: the input stream is exhausted (the host supplied fewer items)")
    };
    let mut item = Vec::with_capacity(len);
    syscall::input_read(&mut item.spare_capacity_mut()[..len]);
    // SAFETY: INPUT_READ wrote all `len` bytes of the spare capacity.
    unsafe { item.set_len(len) };
    item
}

/// Appends `value`, encoded with postcard, to the public output.
#[track_caller]
pub fn commit<T: Serialize + ?Sized>(value: &T) {
    match codec::to_bytes(value) {
        Ok(bytes) => syscall::commit(&bytes),
        Err(error) => panic!("io::commit::<{}>: cannot encode: {error}", type_name::<T>()),
    }
}

/// Appends `bytes` verbatim to the public output.
pub fn commit_slice(bytes: &[u8]) {
    syscall::commit(bytes);
}

/// The private input payload, read in place: 16-byte aligned, read-only, valid for the whole run.
#[track_caller]
pub fn private_input_slice() -> &'static [u8] {
    let header = core::ptr::with_exposed_provenance::<u32>(abi::INPUT_START as usize);
    let payload = core::ptr::with_exposed_provenance::<u8>(abi::INPUT_PAYLOAD_START as usize);
    // SAFETY: the executor maps the 16-byte header at INPUT_START before the guest starts.
    let len = u64::from(unsafe { header.read() });
    assert!(
        len <= abi::INPUT_MAX_LEN,
        "private input header claims {len} bytes, more than the {} the ABI allows",
        abi::INPUT_MAX_LEN
    );
    // SAFETY: the executor maps `len` payload bytes after the header, read-only for the whole run.
    unsafe { slice::from_raw_parts(payload, len as usize) }
}
