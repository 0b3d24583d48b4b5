//! The column convention: every table's row is a `#[repr(C)]` struct generic over the cell type,
//! borrowed from a row slice, so constraints and trace generation use field names and never
//! column indices.
//!
//! Declare a row with [`crate::columns!`]:
//!
//! ```
//! use droste_machine::columns::ColumnNames;
//!
//! droste_machine::columns! {
//!     /// One row of an example chip.
//!     pub struct ExampleCols<T> {
//!         pub is_real: T,
//!         pub value: droste_machine::Word<T>,
//!         pub carries: [T; 3],
//!     }
//! }
//! assert_eq!(ExampleCols::<u8>::WIDTH, 8);
//! assert_eq!(ExampleCols::<droste_machine::columns::Col>::names()[1], "value[0]");
//! ```
//!
//! The macro adds `WIDTH` (number of columns), `Borrow`/`BorrowMut` from `[T]` (so
//! `let local: &ExampleCols<AB::Var> = (*row).borrow()` in `eval`, and
//! `let cols: &mut ExampleCols<Val> = row.borrow_mut()` in trace generation), and column names
//! for debug output and the generated `docs/machine-tables.md`. Fields may be `T`, arrays of
//! columns, [`Word`], or other column structs.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Number of 16-bit limbs of a 64-bit value.
pub const WORD_LIMBS: usize = 4;

/// A 64-bit value as little-endian 16-bit limbs: the one representation of register and memory
/// values in every table. A limb fits a KoalaBear element with room for carries, and four of
/// them make a bus tuple short enough to pack cheaply.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Word<T>(pub [T; WORD_LIMBS]);

impl<T> Word<T> {
    /// Applies `f` to every limb.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Word<U> {
        Word(self.0.map(f))
    }

    /// The limbs as expressions.
    pub fn into_exprs<E>(self) -> [E; WORD_LIMBS]
    where
        T: Into<E>,
    {
        self.0.map(Into::into)
    }
}

impl<F: p3_field::PrimeCharacteristicRing> Word<F> {
    /// The limbs of `value` as field elements.
    pub fn from_u64(value: u64) -> Self {
        Word(core::array::from_fn(|i| {
            F::from_u16((value >> (16 * i)) as u16)
        }))
    }
}

/// The limbs of `value` (little-endian).
pub fn limbs(value: u64) -> [u16; WORD_LIMBS] {
    core::array::from_fn(|i| (value >> (16 * i)) as u16)
}

/// A list of column names (what [`ColumnNames::push_names`] appends to).
pub type Names = Vec<String>;

/// The cell type used to ask a column struct for its names (`MyCols::<Col>::names()`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Col;

/// Column names of a column struct (or of one field of it), in column order.
pub trait ColumnNames {
    /// Appends the names of these columns, each prefixed with `prefix`.
    fn push_names(prefix: &str, out: &mut Vec<String>);

    /// All column names.
    fn names() -> Vec<String> {
        let mut out = Vec::new();
        Self::push_names("", &mut out);
        out
    }
}

impl ColumnNames for Col {
    fn push_names(prefix: &str, out: &mut Vec<String>) {
        out.push(String::from(prefix));
    }
}

impl<C: ColumnNames, const N: usize> ColumnNames for [C; N] {
    fn push_names(prefix: &str, out: &mut Vec<String>) {
        for i in 0..N {
            C::push_names(&format!("{prefix}[{i}]"), out);
        }
    }
}

impl<C: ColumnNames> ColumnNames for Word<C> {
    fn push_names(prefix: &str, out: &mut Vec<String>) {
        <[C; WORD_LIMBS]>::push_names(prefix, out);
    }
}

/// `prefix.field`, or `field` at the top level.
#[doc(hidden)]
pub fn join_name(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        String::from(field)
    } else {
        format!("{prefix}.{field}")
    }
}

/// Reinterprets a row slice as a column struct. The struct must be `#[repr(C)]` with only `T`
/// cells (what [`crate::columns!`] generates), so it has the layout of `[T; width]`.
#[doc(hidden)]
pub fn cast_row<T, C>(row: &[T], width: usize) -> &C {
    assert_eq!(
        row.len(),
        width,
        "row of {} cells for {width} columns",
        row.len()
    );
    // SAFETY: `C` is a `#[repr(C)]` struct made only of `T` cells (arrays and nested structs of
    // the same kind), so it has the size (`width` cells, checked above) and alignment of
    // `[T; width]`, and every bit pattern of those cells is a valid `C`.
    unsafe { &*row.as_ptr().cast::<C>() }
}

/// Mutable version of [`cast_row`].
#[doc(hidden)]
pub fn cast_row_mut<T, C>(row: &mut [T], width: usize) -> &mut C {
    assert_eq!(
        row.len(),
        width,
        "row of {} cells for {width} columns",
        row.len()
    );
    // SAFETY: as in `cast_row`; the borrow is unique because `row` is.
    unsafe { &mut *row.as_mut_ptr().cast::<C>() }
}

/// Declares a column struct (see the [module docs](crate::columns)).
#[macro_export]
macro_rules! columns {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident<T> {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        $vis struct $name<T> {
            $( $(#[$fmeta])* $fvis $field: $ty ),*
        }

        impl<T> $name<T> {
            /// Number of columns.
            pub const WIDTH: usize = ::core::mem::size_of::<$name<u8>>();
        }

        impl<T> ::core::borrow::Borrow<$name<T>> for [T] {
            fn borrow(&self) -> &$name<T> {
                $crate::columns::cast_row(self, $name::<u8>::WIDTH)
            }
        }

        impl<T> ::core::borrow::BorrowMut<$name<T>> for [T] {
            fn borrow_mut(&mut self) -> &mut $name<T> {
                $crate::columns::cast_row_mut(self, $name::<u8>::WIDTH)
            }
        }

        impl<T: $crate::columns::ColumnNames> $crate::columns::ColumnNames for $name<T> {
            fn push_names(prefix: &str, out: &mut $crate::columns::Names) {
                $(
                    <$ty as $crate::columns::ColumnNames>::push_names(
                        &$crate::columns::join_name(prefix, stringify!($field)),
                        out,
                    );
                )*
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use core::borrow::{Borrow, BorrowMut};

    use super::*;

    crate::columns! {
        struct Inner<T> {
            a: T,
            b: [T; 2],
        }
    }

    crate::columns! {
        struct Outer<T> {
            flag: T,
            inner: Inner<T>,
            word: Word<T>,
        }
    }

    #[test]
    fn width_names_and_borrow_agree() {
        assert_eq!(Outer::<u8>::WIDTH, 8);
        assert_eq!(
            Outer::<Col>::names(),
            [
                "flag",
                "inner.a",
                "inner.b[0]",
                "inner.b[1]",
                "word[0]",
                "word[1]",
                "word[2]",
                "word[3]"
            ]
        );
        let mut row: Vec<u32> = (0..8).collect();
        let cols: &Outer<u32> = row[..].borrow();
        assert_eq!((cols.flag, cols.inner.b[1], cols.word.0[3]), (0, 3, 7));
        let cols: &mut Outer<u32> = row[..].borrow_mut();
        cols.inner.a = 42;
        assert_eq!(row[1], 42);
    }

    #[test]
    #[should_panic(expected = "row of 7 cells for 8 columns")]
    fn a_short_row_is_refused() {
        let row = [0u32; 7];
        let _: &Outer<u32> = row[..].borrow();
    }

    #[test]
    fn limbs_are_little_endian() {
        assert_eq!(
            limbs(0x1122_3344_5566_7788),
            [0x7788, 0x5566, 0x3344, 0x1122]
        );
    }
}
