//! One encoding per proof: a check that an archive is laid out byte for byte as rkyv's
//! serializer writes it.
//!
//! `rkyv::access` validates what the archive *means* (bounds, alignment, relative pointers), not
//! the bytes nothing reads: padding inside structs and enums, the gaps rkyv leaves to align the
//! next object, and where out-of-line data sits. Without this check those bytes could be changed
//! (or data moved) and the proof would still verify with the same statement, so one proof would
//! have many files. The check walks the archive in the serializer's own order, in place and
//! without allocating:
//!
//! - a struct's out-of-line data (vec contents) is written before the struct, field by field in
//!   declaration order, and a vec's elements' own data before the elements themselves;
//! - every object starts at the next position aligned for its type, and the bytes skipped to
//!   get there are zero;
//! - the bytes of a struct or enum that no field covers are zero (rkyv zeroes an object before
//!   writing its fields);
//! - the root is the last object and ends the archive.
//!
//! A walk for a type is two functions: `deps` visits its out-of-line data (calling
//! [`Layout::vec`] per vec field, in field order, and recursing into inline struct fields), and
//! `padding` checks its inline bytes ([`Layout::zero_outside`], recursing into inline struct
//! fields).

use core::mem::{align_of, size_of, size_of_val};

use rkyv::option::ArchivedOption;
use rkyv::vec::ArchivedVec;

/// Why an archive is not in its one canonical layout.
pub type NotCanonical = &'static str;

/// A walk over an archive (the bytes after the proof header) in serialization order.
pub struct Layout<'a> {
    bytes: &'a [u8],
    /// Where the serializer would write the next object.
    pos: usize,
}

/// A field of an archived struct: its byte range relative to the archive.
#[derive(Clone, Copy)]
pub struct Field {
    offset: usize,
    len: usize,
}

/// The [`Field`]s of `$value`, for [`Layout::zero_outside`]:
/// `fields!(layout, proof; vkey_digest, exit_code)`.
#[macro_export]
macro_rules! fields {
    ($layout:expr, $value:expr; $($field:ident),+ $(,)?) => {
        [$($layout.field(&$value.$field)),+]
    };
}

impl<'a> Layout<'a> {
    /// A walk over `archive`, starting at its first byte.
    pub fn new(archive: &'a [u8]) -> Self {
        Self {
            bytes: archive,
            pos: 0,
        }
    }

    /// Position of `value` in the archive (values outside it get positions the walk rejects).
    fn offset_of<T: ?Sized>(&self, value: &T) -> usize {
        ((value as *const T).cast::<u8>() as usize).wrapping_sub(self.bytes.as_ptr() as usize)
    }

    /// The byte range of `field` (a field of an archived value inside this archive).
    pub fn field<T>(&self, field: &T) -> Field {
        Field {
            offset: self.offset_of(field),
            len: size_of::<T>(),
        }
    }

    /// Moves to the next position aligned to `align`, over zero bytes only.
    fn align(&mut self, align: usize) -> Result<(), NotCanonical> {
        let aligned = self.pos.next_multiple_of(align);
        let gap = self
            .bytes
            .get(self.pos..aligned)
            .ok_or("archive data out of order")?;
        if gap.iter().any(|&b| b != 0) {
            return Err("non-zero padding between archived objects");
        }
        self.pos = aligned;
        Ok(())
    }

    /// Checks that `value` (`len` bytes of alignment `align`) is the next object and moves past.
    fn place<T: ?Sized>(
        &mut self,
        value: &T,
        align: usize,
        len: usize,
    ) -> Result<(), NotCanonical> {
        self.align(align)?;
        if self.offset_of(value) != self.pos {
            return Err("archive data out of order");
        }
        self.pos += len;
        Ok(())
    }

    /// The root `value`: its out-of-line data, then itself, ending the archive.
    pub fn root<T>(
        mut self,
        value: &T,
        deps: impl FnOnce(&mut Self, &T) -> Result<(), NotCanonical>,
        padding: impl FnOnce(&Self, &T) -> Result<(), NotCanonical>,
    ) -> Result<(), NotCanonical> {
        deps(&mut self, value)?;
        self.place(value, align_of::<T>(), size_of::<T>())?;
        padding(&self, value)?;
        if self.pos != self.bytes.len() {
            return Err("bytes after the archive's root");
        }
        Ok(())
    }

    /// A vec's contents: each element's out-of-line data in order, then the elements.
    pub fn vec<T>(
        &mut self,
        vec: &ArchivedVec<T>,
        deps: impl Fn(&mut Self, &T) -> Result<(), NotCanonical>,
        padding: impl Fn(&Self, &T) -> Result<(), NotCanonical>,
    ) -> Result<(), NotCanonical> {
        for element in vec.iter() {
            deps(self, element)?;
        }
        self.place(vec.as_slice(), align_of::<T>(), size_of_val(vec.as_slice()))?;
        vec.iter().try_for_each(|element| padding(self, element))
    }

    /// A vec of plain values (integers, arrays of integers): no out-of-line data, no padding.
    pub fn plain_vec<T>(&mut self, vec: &ArchivedVec<T>) -> Result<(), NotCanonical> {
        self.vec(vec, |_, _| Ok(()), |_, _| Ok(()))
    }

    /// Checks that the bytes of `value` outside `fields` are zero.
    pub fn zero_outside<T>(&self, value: &T, fields: &[Field]) -> Result<(), NotCanonical> {
        let start = self.offset_of(value);
        let bytes = self
            .bytes
            .get(start..start.saturating_add(size_of::<T>()))
            .ok_or("archived value outside the archive")?;
        let covered = |at: usize| fields.iter().any(|f| at.wrapping_sub(f.offset) < f.len);
        let padding_set = bytes
            .iter()
            .enumerate()
            .any(|(i, &b)| b != 0 && !covered(start + i));
        if padding_set {
            return Err("non-zero padding inside an archived value");
        }
        Ok(())
    }

    /// Checks an option's padding: everything but the tag when it is `None`, the bytes around
    /// the value when it is `Some` (whose own padding `padding` checks).
    pub fn option<T>(
        &self,
        option: &ArchivedOption<T>,
        padding: impl FnOnce(&Self, &T) -> Result<(), NotCanonical>,
    ) -> Result<(), NotCanonical> {
        let tag = Field {
            offset: self.offset_of(option),
            len: 1,
        };
        match option.as_ref() {
            Some(value) => {
                self.zero_outside(option, &[tag, self.field(value)])?;
                padding(self, value)
            }
            None => self.zero_outside(option, &[tag]),
        }
    }
}
