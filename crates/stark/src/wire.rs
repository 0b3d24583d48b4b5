//! The header every droste wire format starts with: an 8-byte magic that names the format, its
//! version as a little-endian `u32`, and 4 reserved zero bytes, 16 bytes in all, so the rkyv
//! archive after it keeps the buffer's 16-byte alignment and is read in place.
//!
//! Proofs, keys, shard proofs and shard snapshots all use it; each names itself in its error
//! messages (a wrong file is reported as "missing proof magic", not as a malformed archive).

use rkyv::util::AlignedVec;

/// Bytes of the header.
pub const HEADER_LEN: usize = 16;

/// One wire format's header, and the messages that name it when the bytes are not it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireHeader {
    /// The format's magic.
    pub magic: [u8; 8],
    /// The format's current version; bytes of any other version are refused.
    pub version: u32,
    /// The error for bytes without the magic (or shorter than the header).
    pub missing_magic: &'static str,
    /// The error for another version, or non-zero reserved bytes.
    pub unsupported_version: &'static str,
    /// The error for bytes not at a 16-byte aligned address, which cannot be read in place.
    pub misaligned: &'static str,
}

impl WireHeader {
    /// The header followed by `archive`, in a 16-byte aligned buffer.
    pub fn prepend(&self, archive: &[u8]) -> AlignedVec<16> {
        let mut out = AlignedVec::<16>::with_capacity(HEADER_LEN + archive.len());
        out.extend_from_slice(&self.magic);
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(archive);
        out
    }

    /// The archive after the header, if `bytes` start with this format's header at a 16-byte
    /// aligned address; otherwise the message that says why not.
    pub fn strip<'a>(&self, bytes: &'a [u8]) -> Result<&'a [u8], &'static str> {
        self.strip_unaligned(bytes)?;
        if bytes.as_ptr() as usize % 16 != 0 {
            return Err(self.misaligned);
        }
        Ok(&bytes[HEADER_LEN..])
    }

    /// As [`WireHeader::strip`], at any address (for formats copied before they are read).
    pub fn strip_unaligned<'a>(&self, bytes: &'a [u8]) -> Result<&'a [u8], &'static str> {
        if bytes.len() < HEADER_LEN || bytes[..8] != self.magic {
            return Err(self.missing_magic);
        }
        if bytes[8..12] != self.version.to_le_bytes() || bytes[12..16] != [0; 4] {
            return Err(self.unsupported_version);
        }
        Ok(&bytes[HEADER_LEN..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: WireHeader = WireHeader {
        magic: *b"DROSTEtt",
        version: 3,
        missing_magic: "magic",
        unsupported_version: "version",
        misaligned: "alignment",
    };

    #[test]
    fn a_header_round_trips_and_each_defect_is_named() {
        let bytes = TEST.prepend(b"archive");
        assert_eq!(TEST.strip(&bytes), Ok(&b"archive"[..]));
        assert_eq!(TEST.strip(&bytes[..15]), Err("magic"));
        let mut other = bytes.clone();
        other[0] ^= 1;
        assert_eq!(TEST.strip(&other), Err("magic"));
        for at in [8, 12, 15] {
            let mut other = bytes.clone();
            other[at] ^= 1;
            assert_eq!(TEST.strip(&other), Err("version"), "byte {at}");
        }
        let mut shifted = AlignedVec::<16>::new();
        shifted.extend_from_slice(&[0]);
        shifted.extend_from_slice(&bytes);
        assert_eq!(TEST.strip(&shifted[1..]), Err("alignment"));
        assert_eq!(TEST.strip_unaligned(&shifted[1..]), Ok(&b"archive"[..]));
    }
}
