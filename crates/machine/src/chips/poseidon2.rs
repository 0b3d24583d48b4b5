//! `poseidon2`: the POSEIDON2 and POSEIDON2_FROM precompiles
//! ([`droste_isa::abi::syscall::POSEIDON2`], [`droste_isa::abi::syscall::POSEIDON2_FROM`]), one
//! row per call.
//!
//! The `ecall` row of the call sends `(clk, addr, mode, from, source)` on [`POSEIDON2`]; the row
//! here receives it, reads the 16 input words from the 8 doublewords at `addr` and writes the 16
//! output words back, one [`MemoryAccess`] per doubleword at the call's [`slot::RAM1`]. So the
//! state goes through memory like any store, and a row without its call (or a call without its
//! row) leaves the bus unbalanced.
//!
//! POSEIDON2_FROM (`from = 1`) also reads the 8 words at `source` (4 doublewords, at
//! [`slot::RAM0`], so before the state is written: the source may lie in the state), and they
//! replace one half of the permutation's input: the first when `from_first`, the second when
//! `from_second` (exactly one of them for POSEIDON2_FROM, both 0 for POSEIDON2; the call's `a1` is
//! `mode = montgomery + 2 from_second`, which ties the choice to the call). The replaced half's
//! memory words are not field elements of the call, so their canonical checks are off.
//!
//! The permutation itself is Plonky3's `p3-poseidon2-air` for KoalaBear width 16 (S-box `x^3`
//! without registers, 4 + 4 full rounds, 20 partial rounds: degree 3, 164 columns), evaluated on
//! the row's [`PermCols`] with the round constants of `default_koalabear_poseidon2_16`. The
//! constants are multiplied by `is_real`, which keeps the degree at 3 and makes an all-zero row
//! a valid (zero-constant) permutation of zero, so padding rows need no gating and the table can
//! be left out of proofs that make no call.
//!
//! Words and field elements: each word is two 16-bit limbs proven below `p`
//! ([`CanonicalWord`]), so a word stands for exactly one field element. Input limbs come from
//! memory (already 16-bit); output limbs are range-checked here. The permutation's input is the
//! input word times `2^-32` for Montgomery words (1 otherwise), and the output word is the
//! permutation's output times `2^32` (1 otherwise): multiplications by constants selected by the
//! boolean `montgomery`, degree 2.

use core::borrow::{Borrow, BorrowMut};
use core::mem::MaybeUninit;

use alloc::string::String;
use alloc::vec::Vec;

use droste_stark::Val;
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_koala_bear::{
    GenericPoseidon2LinearLayersKoalaBear, KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS,
    KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16, KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
    KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL, KOALABEAR_POSEIDON2_RC_16_INTERNAL,
    KOALABEAR_S_BOX_DEGREE,
};
use p3_matrix::dense::RowMajorMatrix;
use p3_poseidon2_air::{generate_trace_rows_for_perm, num_cols, Poseidon2Air, RoundConstants};

use crate::bus::{space, MachineBuilder, POSEIDON2};
use crate::columns::{ColumnNames, Names};
use crate::events::Poseidon2Event;
use crate::gadgets::canonical_word::{dword_limbs, eval_canonical, CanonicalWord};
use crate::lookup::{range_check, LookupCounter};
use crate::memory_access::{slot, timestamp, timestamp_expr, AccessCols, MemoryAccess};
use crate::trace::rows_from_events;

/// Words of the state.
pub const WIDTH: usize = 16;

/// The Montgomery factor `2^32 mod p`: a Montgomery word is the field element times it.
pub(crate) fn montgomery_factor() -> Val {
    Val::from_u64(1 << 32)
}

/// The field element a state word (`< p`) stands for.
fn word_to_field(word: u32, montgomery: bool) -> Val {
    let x = Val::from_u32(word);
    if montgomery {
        x * montgomery_factor().inverse()
    } else {
        x
    }
}
const HALF_FULL_ROUNDS: usize = KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS;
const PARTIAL_ROUNDS: usize = KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16;
/// S-box registers: none, so the S-box `x^3` is one degree-3 constraint.
const SBOX_REGISTERS: usize = 0;

/// Columns of Plonky3's permutation AIR for these parameters.
pub const PERM_COLS: usize =
    num_cols::<WIDTH, KOALABEAR_S_BOX_DEGREE, SBOX_REGISTERS, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>();

/// Plonky3's column struct for the permutation.
pub type PermutationCols<T> = p3_poseidon2_air::Poseidon2Cols<
    T,
    WIDTH,
    KOALABEAR_S_BOX_DEGREE,
    SBOX_REGISTERS,
    HALF_FULL_ROUNDS,
    PARTIAL_ROUNDS,
>;

/// Plonky3's permutation AIR, over round constants of type `F`.
type PermutationAir<F> = Poseidon2Air<
    F,
    GenericPoseidon2LinearLayersKoalaBear,
    WIDTH,
    KOALABEAR_S_BOX_DEGREE,
    SBOX_REGISTERS,
    HALF_FULL_ROUNDS,
    PARTIAL_ROUNDS,
>;

/// The permutation's columns in Plonky3's layout ([`PermutationCols`], borrowed with
/// [`Self::cols`]), as a column group of the row.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PermCols<T>(pub [T; PERM_COLS]);

impl<T: Default> Default for PermCols<T> {
    fn default() -> Self {
        Self(core::array::from_fn(|_| T::default()))
    }
}

impl<T> PermCols<T> {
    /// The state after the permutation: the last full round's output.
    pub fn output(&self) -> &[T; WIDTH] {
        &self.cols().ending_full_rounds[HALF_FULL_ROUNDS - 1].post
    }

    /// The columns as Plonky3's struct.
    pub fn cols(&self) -> &PermutationCols<T> {
        self.0[..].borrow()
    }

    /// The columns as Plonky3's struct, mutable.
    pub fn cols_mut(&mut self) -> &mut PermutationCols<T> {
        self.0[..].borrow_mut()
    }
}

impl PermCols<Val> {
    /// Fills the columns with the permutation of `input` under `constants`
    /// ([`round_constants`]).
    pub fn fill(&mut self, input: [Val; WIDTH], constants: &Constants) {
        // SAFETY: `MaybeUninit<Val>` has the layout of `Val`, and the columns are already
        // initialized; the generator only overwrites them with values.
        let perm: &mut [MaybeUninit<Val>] =
            unsafe { core::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast(), PERM_COLS) };
        generate_trace_rows_for_perm::<
            Val,
            GenericPoseidon2LinearLayersKoalaBear,
            WIDTH,
            KOALABEAR_S_BOX_DEGREE,
            SBOX_REGISTERS,
            HALF_FULL_ROUNDS,
            PARTIAL_ROUNDS,
        >(perm.borrow_mut(), input, constants);
    }
}

impl<C: ColumnNames> ColumnNames for PermCols<C> {
    fn push_names(prefix: &str, out: &mut Names) {
        let mut push = |name: String| C::push_names(&crate::columns::join_name(prefix, &name), out);
        for i in 0..WIDTH {
            push(format!("inputs[{i}]"));
        }
        for r in 0..HALF_FULL_ROUNDS {
            for i in 0..WIDTH {
                push(format!("beginning_full_rounds[{r}].post[{i}]"));
            }
        }
        for r in 0..PARTIAL_ROUNDS {
            push(format!("partial_rounds[{r}].post_sbox"));
        }
        for r in 0..HALF_FULL_ROUNDS {
            for i in 0..WIDTH {
                push(format!("ending_full_rounds[{r}].post[{i}]"));
            }
        }
    }
}

crate::columns! {
    /// One row of the `poseidon2` table: one call.
    pub struct Poseidon2Cols<T> {
        pub is_real: T,
        pub clk: T,
        /// Address of the state (8-byte aligned; the cells at `addr + 8 j` must exist).
        pub addr: T,
        /// The words are Montgomery forms (`a1 = 1`, or 3 for POSEIDON2_FROM's second half).
        pub montgomery: T,
        /// POSEIDON2_FROM: the source replaces the input's first half (words 0..8) or its
        /// second half (words 8..16); both 0 for POSEIDON2.
        pub from_first: T,
        pub from_second: T,
        /// Address of POSEIDON2_FROM's source (8-byte aligned).
        pub source: T,
        /// The permutation: its `inputs` are the field elements of the input words, its last
        /// full round's `post` those of the output words.
        pub perm: PermCols<T>,
        pub input: [CanonicalWord<T>; WIDTH],
        pub output: [CanonicalWord<T>; WIDTH],
        /// Timestamp witnesses of the 8 doublewords.
        pub access: [AccessCols<T>; WIDTH / 2],
        /// POSEIDON2_FROM's source words and the timestamp witnesses of their 4 doublewords.
        pub source_words: [CanonicalWord<T>; WIDTH / 2],
        pub source_access: [AccessCols<T>; WIDTH / 4],
    }
}

/// The `poseidon2` table.
#[derive(Clone, Copy, Debug, Default)]
pub struct Poseidon2Table;

impl BaseAir<Val> for Poseidon2Table {
    fn width(&self) -> usize {
        Poseidon2Cols::<u8>::WIDTH
    }
}

/// `1` or, when `montgomery` is 1, `factor`.
fn mode_factor<AB: MachineBuilder>(montgomery: AB::Var, factor: Val) -> AB::Expr {
    AB::Expr::ONE + montgomery.into() * AB::Expr::from(factor - Val::ONE)
}

impl<AB: MachineBuilder> Air<AB> for Poseidon2Table
where
    AB::Expr: Sync,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &Poseidon2Cols<AB::Var> = main.current_slice().borrow();
        let is_real: AB::Expr = local.is_real.into();
        builder.assert_bool(is_real.clone());
        builder.assert_bool(local.montgomery);
        builder.assert_bool(local.from_first);
        builder.assert_bool(local.from_second);
        let from: AB::Expr = local.from_first.into() + local.from_second.into();
        builder.assert_bool(from.clone());
        builder.assert_zero((AB::Expr::ONE - is_real.clone()) * from.clone());
        let mode = local.montgomery.into() + local.from_second.into() * AB::Expr::TWO;
        builder.receive(
            POSEIDON2,
            [
                local.clk.into(),
                local.addr.into(),
                mode,
                from.clone(),
                local.source.into(),
            ],
            is_real.clone(),
        );
        let sources: Vec<AB::Expr> = local
            .source_words
            .iter()
            .map(|word| eval_canonical(builder, word, from.clone()))
            .collect();
        for (j, access) in local.source_access.iter().enumerate() {
            let value = dword_limbs::<AB>(&local.source_words[2 * j..]);
            MemoryAccess {
                space: AB::Expr::from_u32(space::RAM),
                addr: local.source.into() + AB::Expr::from_usize(8 * j),
                ts: timestamp_expr::<AB>(local.clk, slot::RAM0),
                prev_value: value.clone(),
                value,
            }
            .eval(builder, access, from.clone());
        }

        let perm = local.perm.cols();
        let r = montgomery_factor();
        let to_field = mode_factor::<AB>(local.montgomery, r.inverse());
        let to_word = mode_factor::<AB>(local.montgomery, r);
        let outputs = local.perm.output();
        for (i, (((word_in, &element_in), word_out), &element_out)) in local
            .input
            .iter()
            .zip(&perm.inputs)
            .zip(&local.output)
            .zip(outputs)
            .enumerate()
        {
            // The half the source replaces: its words are checked only when kept.
            let replaced: AB::Expr = if i < WIDTH / 2 {
                local.from_first.into()
            } else {
                local.from_second.into()
            };
            let kept = eval_canonical(builder, word_in, is_real.clone() - replaced.clone());
            let source = sources[i % (WIDTH / 2)].clone();
            let input = kept.clone() + replaced * (source - kept);
            builder.assert_eq(element_in, input * to_field.clone());
            range_check(builder, word_out.lo, 16, is_real.clone());
            range_check(builder, word_out.hi, 16, is_real.clone());
            let output = eval_canonical(builder, word_out, is_real.clone());
            builder.assert_eq(output, element_out.into() * to_word.clone());
        }

        for (j, access) in local.access.iter().enumerate() {
            MemoryAccess {
                space: AB::Expr::from_u32(space::RAM),
                addr: local.addr.into() + AB::Expr::from_usize(8 * j),
                ts: timestamp_expr::<AB>(local.clk, slot::RAM1),
                prev_value: dword_limbs::<AB>(&local.input[2 * j..]),
                value: dword_limbs::<AB>(&local.output[2 * j..]),
            }
            .eval(builder, access, is_real.clone());
        }

        let offset = core::mem::offset_of!(Poseidon2Cols<u8>, perm);
        eval_permutation(builder, offset, local.is_real);
    }
}

/// Constrains the [`PermCols`] at column `offset` of the row to be the permutation of their
/// `inputs`, with the round constants multiplied by `is_real` (see the module docs): an
/// all-zero row is a valid permutation of zero, so padding needs no gating. Any table with a
/// permutation per row uses this (the `pages` and `merkle` tables of continuations too).
pub fn eval_permutation<AB: MachineBuilder>(builder: &mut AB, offset: usize, is_real: AB::Var)
where
    AB::Expr: Sync,
{
    let scaled = |rc: &Val| is_real * *rc;
    let constants = RoundConstants::new(
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL.map(|round| round.each_ref().map(scaled)),
        KOALABEAR_POSEIDON2_RC_16_INTERNAL.each_ref().map(scaled),
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL.map(|round| round.each_ref().map(scaled)),
    );
    let mut inner = PermutationBuilder {
        main: SubWindow {
            window: builder.main(),
            columns: offset..offset + PERM_COLS,
        },
        inner: builder,
    };
    PermutationAir::<AB::Expr>::new(constants).eval(&mut inner);
}

crate::impl_table!(Poseidon2Table, "poseidon2");

/// The columns `columns` of a window.
#[derive(Clone)]
struct SubWindow<W> {
    window: W,
    columns: core::ops::Range<usize>,
}

impl<T, W: WindowAccess<T>> WindowAccess<T> for SubWindow<W> {
    fn current_slice(&self) -> &[T] {
        &self.window.current_slice()[self.columns.clone()]
    }

    fn next_slice(&self) -> &[T] {
        &self.window.next_slice()[self.columns.clone()]
    }
}

/// What Plonky3's permutation AIR sees of the row: only the permutation's columns, and
/// expressions as its "field", so that its round constants can be `is_real * c` (see the module
/// docs). Its constraints go to the machine's builder unchanged.
struct PermutationBuilder<'a, AB: AirBuilder> {
    inner: &'a mut AB,
    main: SubWindow<AB::MainWindow>,
}

impl<AB: AirBuilder> AirBuilder for PermutationBuilder<'_, AB>
where
    AB::Expr: Sync,
{
    type F = AB::Expr;
    type Expr = AB::Expr;
    type Var = AB::Var;
    type PreprocessedWindow = AB::PreprocessedWindow;
    type MainWindow = SubWindow<AB::MainWindow>;
    type PublicVar = AB::PublicVar;
    type PeriodicVar = AB::PeriodicVar;

    fn main(&self) -> Self::MainWindow {
        self.main.clone()
    }

    fn preprocessed(&self) -> &Self::PreprocessedWindow {
        self.inner.preprocessed()
    }

    fn is_first_row(&self) -> Self::Expr {
        self.inner.is_first_row()
    }

    fn is_last_row(&self) -> Self::Expr {
        self.inner.is_last_row()
    }

    fn is_transition(&self) -> Self::Expr {
        self.inner.is_transition()
    }

    fn assert_zero<I: Into<Self::Expr>>(&mut self, x: I) {
        self.inner.assert_zero(x);
    }
}

/// Round constants for trace generation.
pub type Constants = RoundConstants<Val, WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>;

/// The round constants of `default_koalabear_poseidon2_16`, for trace generation.
pub fn round_constants() -> Constants {
    RoundConstants::new(
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL,
        KOALABEAR_POSEIDON2_RC_16_INTERNAL,
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
    )
}

impl Poseidon2Table {
    /// The table's main trace.
    pub fn generate_trace(
        events: &[Poseidon2Event],
        lookups: &LookupCounter,
    ) -> RowMajorMatrix<Val> {
        let constants = round_constants();
        rows_from_events(events, Poseidon2Cols::<u8>::WIDTH, |e, row| {
            let cols: &mut Poseidon2Cols<Val> = row.borrow_mut();
            cols.is_real = Val::ONE;
            cols.clk = Val::from_u32(e.clk);
            cols.addr = Val::from_u32(e.addr);
            cols.montgomery = Val::from_bool(e.montgomery);
            let mut input = e.input;
            let mut replaced = 0..0;
            if let Some(source) = &e.source {
                let half = WIDTH / 2;
                replaced = if source.second_half {
                    half..WIDTH
                } else {
                    0..half
                };
                input[replaced.clone()].copy_from_slice(&source.words);
                cols.from_first = Val::from_bool(!source.second_half);
                cols.from_second = Val::from_bool(source.second_half);
                cols.source = Val::from_u32(source.addr);
                for (word, &value) in cols.source_words.iter_mut().zip(&source.words) {
                    word.populate(value, lookups);
                }
                for (access, dword) in cols.source_access.iter_mut().zip(&source.accesses) {
                    access.populate(dword.prev_ts, timestamp(e.clk, slot::RAM0), lookups);
                }
            }
            cols.perm
                .fill(input.map(|w| word_to_field(w, e.montgomery)), &constants);
            for (i, (word, &value)) in cols.input.iter_mut().zip(&e.input).enumerate() {
                if replaced.contains(&i) {
                    word.populate_unchecked(value);
                } else {
                    word.populate(value, lookups);
                }
            }
            for (word, &value) in cols.output.iter_mut().zip(&e.output) {
                word.populate(value, lookups);
                lookups.range(value & 0xffff, 16);
                lookups.range(value >> 16, 16);
            }
            for (access, dword) in cols.access.iter_mut().zip(&e.accesses) {
                access.populate(dword.prev_ts, timestamp(e.clk, slot::RAM1), lookups);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use droste_executor::poseidon2::permute_words;
    use droste_isa::abi::poseidon2::MODULUS;
    use p3_field::PrimeField32;
    use p3_koala_bear::default_koalabear_poseidon2_16;
    use p3_symmetric::Permutation;
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::columns::Col;
    use crate::events::{DwordAccess, SourceRead};
    use crate::gadgets::row_check::{assert_honest, first_failure, RowFailure};

    /// Calls on random states (and the extreme words), alternating the representation; every
    /// third a POSEIDON2_FROM, on either half, whose replaced half holds any words.
    fn events() -> Vec<Poseidon2Event> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        (0..12u32)
            .map(|i| {
                let mut input: [u32; 16] = core::array::from_fn(|_| rng.gen_range(0..MODULUS));
                if i == 0 {
                    input[..3].copy_from_slice(&[0, 1, MODULUS - 1]);
                }
                let montgomery = i % 2 == 1;
                let source = (i % 3 == 2).then(|| {
                    let second_half = i % 4 == 0;
                    let replaced = if second_half { 8..16 } else { 0..8 };
                    for word in &mut input[replaced] {
                        *word = rng.gen();
                    }
                    SourceRead {
                        addr: 0x2_0000 + 32 * i,
                        second_half,
                        words: core::array::from_fn(|_| rng.gen_range(0..MODULUS)),
                        accesses: [DwordAccess::default(); 4],
                    }
                });
                let mut event = Poseidon2Event {
                    clk: i + 1,
                    addr: 0x1_0000 + 64 * i,
                    montgomery,
                    input,
                    accesses: [DwordAccess::default(); 8],
                    source,
                    ..Poseidon2Event::default()
                };
                event.output = permute_words(&permutation_input(&event), montgomery);
                event
            })
            .collect()
    }

    /// The words the call permutes: the state's, with the source's in the half it replaces.
    fn permutation_input(e: &Poseidon2Event) -> [u32; 16] {
        let mut input = e.input;
        if let Some(source) = &e.source {
            let at = if source.second_half { 8 } else { 0 };
            input[at..at + 8].copy_from_slice(&source.words);
        }
        input
    }

    #[test]
    fn the_air_computes_plonky3s_permutation() {
        let events = events();
        let lookups = LookupCounter::default();
        let trace = Poseidon2Table::generate_trace(&events, &lookups);
        let native = default_koalabear_poseidon2_16();
        for (r, e) in events.iter().enumerate() {
            let cols: &Poseidon2Cols<Val> = trace.values[r * trace.width..][..trace.width].borrow();
            let input = permutation_input(e).map(|w| word_to_field(w, e.montgomery));
            assert_eq!(cols.perm.cols().inputs, input);
            let output = cols.perm.cols().ending_full_rounds[HALF_FULL_ROUNDS - 1].post;
            assert_eq!(output, native.permute(input), "row {r}");
        }
        // Every row (padding included) satisfies the constraints, and the lookups the rows send
        // are the ones trace generation recorded.
        assert_honest(&Poseidon2Table, &trace, &[], &lookups);
    }

    #[test]
    fn each_word_is_pinned_to_its_limbs() {
        let events = events();
        let trace = Poseidon2Table::generate_trace(&events, &LookupCounter::default());
        let width = trace.width;
        let tampered = |edit: &dyn Fn(&mut Poseidon2Cols<Val>)| {
            let mut t = trace.clone();
            edit(t.values[..width].borrow_mut());
            first_failure(&Poseidon2Table, &t, &[], 0)
        };
        // A limb of an input or output word.
        assert!(tampered(&|c| c.input[5].hi += Val::ONE).is_some());
        assert!(tampered(&|c| c.output[9].lo += Val::ONE).is_some());
        // An output word `y + p` written as limbs: its high limb exceeds 0x7f00, so the canonical
        // check looks up a negative value.
        let forged = tampered(&|c| {
            let y = c.output[1].lo.as_canonical_u32() + (c.output[1].hi.as_canonical_u32() << 16);
            let z = y + MODULUS;
            c.output[1].lo = Val::from_u32(z & 0xffff);
            c.output[1].hi = Val::from_u32(z >> 16);
            c.output[1].lo_zero = Val::ZERO;
        });
        assert!(
            matches!(&forged, Some(RowFailure::Lookup { bus: crate::bus::RANGE, values, .. })
                if values[0] >= Val::ORDER_U32 - 0x8000),
            "{forged:?}"
        );
        // Claiming the low limb zero when it is not.
        assert!(tampered(&|c| c.input[3].lo_zero = Val::ONE).is_some());
    }

    /// Row 2 is a POSEIDON2_FROM on the first half: its source words are pinned like the
    /// state's, and the half it replaces is its own.
    #[test]
    fn a_source_is_pinned_to_its_limbs_and_its_half() {
        let events = events();
        assert!(matches!(
            events[2].source,
            Some(SourceRead {
                second_half: false,
                ..
            })
        ));
        let trace = Poseidon2Table::generate_trace(&events, &LookupCounter::default());
        let width = trace.width;
        let tampered = |edit: &dyn Fn(&mut Poseidon2Cols<Val>)| {
            let mut t = trace.clone();
            edit(t.values[2 * width..3 * width].borrow_mut());
            first_failure(&Poseidon2Table, &t, &[], 2)
        };
        assert!(tampered(&|c| c.source_words[4].hi += Val::ONE).is_some());
        // A source word `y + p` as limbs: the canonical check looks up a negative value.
        let forged = tampered(&|c| {
            let word = &mut c.source_words[6];
            let y = word.lo.as_canonical_u32() + (word.hi.as_canonical_u32() << 16);
            let z = y + MODULUS;
            word.lo = Val::from_u32(z & 0xffff);
            word.hi = Val::from_u32(z >> 16);
            word.lo_zero = Val::ZERO;
        });
        assert!(
            matches!(&forged, Some(RowFailure::Lookup { bus: crate::bus::RANGE, values, .. })
                if values[0] >= Val::ORDER_U32 - 0x8000),
            "{forged:?}"
        );
        // The kept half's words are the permutation's input: changing one is caught, and so is
        // claiming the other half.
        assert!(tampered(&|c| c.input[12].lo += Val::ONE).is_some());
        assert!(tampered(&|c| {
            c.from_first = Val::ZERO;
            c.from_second = Val::ONE;
        })
        .is_some());
        // Both halves at once is no call.
        assert!(tampered(&|c| c.from_second = Val::ONE).is_some());
    }

    #[test]
    fn column_names_follow_plonky3s_layout() {
        let names = Poseidon2Cols::<Col>::names();
        assert_eq!(names.len(), Poseidon2Cols::<u8>::WIDTH);
        assert_eq!(
            PERM_COLS,
            WIDTH + 2 * HALF_FULL_ROUNDS * WIDTH + PARTIAL_ROUNDS
        );
        let offset = core::mem::offset_of!(Poseidon2Cols<u8>, perm);
        assert_eq!(names[offset], "perm.inputs[0]");
        assert_eq!(
            names[offset + PERM_COLS - 1],
            format!("perm.ending_full_rounds[{}].post[15]", HALF_FULL_ROUNDS - 1)
        );
    }
}
