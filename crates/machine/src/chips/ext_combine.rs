//! `ext_combine` and `ext_combine_rows`: the EXT_COMBINE precompile
//! ([`droste_isa::abi::syscall::EXT_COMBINE`]), `w * sum_c alpha^c v_c` over `n` KoalaBear
//! values with extension-field `alpha` and `w`, one row per call and one row per doubleword of
//! values.
//!
//! **The call.** The `ecall` row sends `(clk, values, count, block)` on [`EXT_COMBINE`]; the
//! call's `ext_combine` row receives it, reads `alpha` and `w` from the block's first four
//! doublewords and writes the result over its last two, one [`MemoryAccess`] per doubleword at
//! the call's [`slot::RAM1`]. It starts the Horner token `(clk, values + 4 count, alpha, 0)` on
//! [`EXT_COMBINE_ROW`] and receives its end `(clk, values, alpha, sum)`; the result is
//! `w * sum`.
//!
//! **The values.** Each `ext_combine_rows` row receives a token `(clk, addr, alpha, acc)`, reads
//! the doubleword at `addr - 8` (values `v_lo`, `v_hi`) at the call's [`slot::RAM0`] and sends
//! `(clk, addr - 8, alpha, (acc * alpha + v_hi) * alpha + v_lo)`. Horner's rule from the last
//! value down needs no weight column: after the rows from `values + 4 count` down to `values`,
//! the accumulator is `sum_c alpha^c v_c`.
//!
//! **Why it is sound.** `clk` is unique per `ecall` (the STATE chain), so a call row matches
//! exactly one EXT_COMBINE `ecall`, and a token of one call can only be taken by rows carrying
//! its clock. Every row lowers `addr` by 8 and reads the cell at `addr - 8`, which exists only
//! for an aligned RAM doubleword (`addr < 2^30`); the start address `values + 4 count` is below
//! `2^30 + 2^29 < p` (the `ecall` row bounds `values < 2^30` and `count < 2^27`), so the chain
//! from it to `values` is exactly `count / 2` rows, covering each value once, in order (a
//! detached cycle of rows would need `p / 8` of them). An odd count or a misaligned `values`
//! never reaches `values` through aligned cells, so has no proof, as the executor refuses it.
//! `alpha` travels unchanged in the token. Every word read is proven below `p`
//! ([`CanonicalWord`]), so it names one element; the result limbs are range-checked and
//! canonical too, so the written words are the result's Montgomery forms. The values are read
//! before the block is written (slot 5 before slot 6), which is the executor's order when the
//! two overlap.
//!
//! **Field arithmetic.** Words are Montgomery forms: a word stands for `word * 2^-32`. The
//! extension is `X^4 = 3` (droste's `Challenge`); the row's step `acc * alpha^2 + v_hi alpha +
//! v_lo` is degree 3, the degree the tables' paired LogUp interactions have anyway, so it needs
//! no intermediate column; the call's `w * sum` is degree 2.

use core::borrow::{Borrow, BorrowMut};

use droste_isa::abi::ext_combine::{EXT_WORDS, W};
use droste_stark::Val;
use p3_air::{Air, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;

use crate::bus::{space, MachineBuilder, EXT_COMBINE, EXT_COMBINE_ROW};
use crate::chips::poseidon2::montgomery_factor;
use crate::events::{ExtCombineEvent, ExtCombineRowEvent};
use crate::gadgets::canonical_word::{dword_limbs, eval_canonical, CanonicalWord};
use crate::lookup::{range_check, LookupCounter};
use crate::memory_access::{slot, timestamp, timestamp_expr, AccessCols, MemoryAccess};
use crate::trace::rows_from_events;

/// Doublewords of the block: `alpha` (2), `w` (2), the result (2).
pub const BLOCK_DWORDS: usize = 6;

crate::columns! {
    /// One row of the `ext_combine` table: one call.
    pub struct ExtCombineCols<T> {
        pub is_real: T,
        pub clk: T,
        /// Address of the first value, the number of values, and the block's address.
        pub values: T,
        pub count: T,
        pub block: T,
        pub alpha: [CanonicalWord<T>; EXT_WORDS],
        pub weight: [CanonicalWord<T>; EXT_WORDS],
        /// The result's two doublewords before the call (any limbs).
        pub old_result: [T; 2 * EXT_WORDS],
        pub result: [CanonicalWord<T>; EXT_WORDS],
        /// `sum_c alpha^c v_c`, the end of the rows' Horner token.
        pub sum: [T; EXT_WORDS],
        /// Timestamp witnesses of the block's doublewords.
        pub access: [AccessCols<T>; BLOCK_DWORDS],
    }
}

crate::columns! {
    /// One row of the `ext_combine_rows` table: one doubleword of values.
    pub struct ExtCombineRowCols<T> {
        pub is_real: T,
        pub clk: T,
        /// The token's address: the row reads the doubleword at `addr - 8`.
        pub addr: T,
        pub alpha: [T; EXT_WORDS],
        pub acc: [T; EXT_WORDS],
        /// `(acc * alpha + v_hi) * alpha + v_lo`.
        pub acc_out: [T; EXT_WORDS],
        /// The doubleword's words `v_lo`, `v_hi`.
        pub value: [CanonicalWord<T>; 2],
        pub access: AccessCols<T>,
    }
}

/// The `ext_combine` table.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExtCombineTable;

/// The `ext_combine_rows` table.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExtCombineRowTable;

impl BaseAir<Val> for ExtCombineTable {
    fn width(&self) -> usize {
        ExtCombineCols::<u8>::WIDTH
    }
}

impl BaseAir<Val> for ExtCombineRowTable {
    fn width(&self) -> usize {
        ExtCombineRowCols::<u8>::WIDTH
    }
}

/// `a * b` in the extension `X^4 = W`, on coordinates.
fn ext_mul<E: PrimeCharacteristicRing + Clone>(
    a: &[E; EXT_WORDS],
    b: &[E; EXT_WORDS],
) -> [E; EXT_WORDS] {
    let mut out: [E; EXT_WORDS] = core::array::from_fn(|_| E::ZERO);
    for (i, a) in a.iter().enumerate() {
        for (j, b) in b.iter().enumerate() {
            let product = a.clone() * b.clone();
            if i + j < EXT_WORDS {
                out[i + j] += product;
            } else {
                out[i + j - EXT_WORDS] += product * E::from_u32(W);
            }
        }
    }
    out
}

fn exprs<AB: MachineBuilder>(vars: &[AB::Var; EXT_WORDS]) -> [AB::Expr; EXT_WORDS] {
    vars.map(Into::into)
}

/// The element a Montgomery word stands for: `word * 2^-32`.
fn from_montgomery<AB: MachineBuilder>(word: AB::Expr) -> AB::Expr {
    word * AB::Expr::from(montgomery_factor().inverse())
}

impl<AB: MachineBuilder> Air<AB> for ExtCombineTable {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &ExtCombineCols<AB::Var> = main.current_slice().borrow();
        let is_real: AB::Expr = local.is_real.into();
        builder.assert_bool(is_real.clone());
        builder.receive(
            EXT_COMBINE,
            [local.clk, local.values, local.count, local.block].map(Into::into),
            is_real.clone(),
        );
        let mut element = |word: &CanonicalWord<AB::Var>| {
            from_montgomery::<AB>(eval_canonical(builder, word, is_real.clone()))
        };
        let alpha: [AB::Expr; EXT_WORDS] = core::array::from_fn(|d| element(&local.alpha[d]));
        let weight: [AB::Expr; EXT_WORDS] = core::array::from_fn(|d| element(&local.weight[d]));
        let sum = exprs::<AB>(&local.sum);
        for (word, product) in local.result.iter().zip(ext_mul(&weight, &sum)) {
            range_check(builder, word.lo, 16, is_real.clone());
            range_check(builder, word.hi, 16, is_real.clone());
            let result = from_montgomery::<AB>(eval_canonical(builder, word, is_real.clone()));
            builder.assert_eq(result, product);
        }

        let token = |addr: AB::Expr, acc: [AB::Expr; EXT_WORDS]| {
            [local.clk.into(), addr]
                .into_iter()
                .chain(alpha.clone())
                .chain(acc)
        };
        let end = local.values.into() + local.count.into() * AB::Expr::from_u32(4);
        builder.send(
            EXT_COMBINE_ROW,
            token(end, core::array::from_fn(|_| AB::Expr::ZERO)),
            is_real.clone(),
        );
        builder.receive(
            EXT_COMBINE_ROW,
            token(local.values.into(), sum),
            is_real.clone(),
        );

        let old = |k: usize| -> [AB::Expr; 4] {
            core::array::from_fn(|i| local.old_result[4 * k + i].into())
        };
        // Each doubleword's value before and after the call: `alpha` and `w` read, the result
        // written.
        let read = |words: &[CanonicalWord<AB::Var>]| {
            let value = dword_limbs::<AB>(words);
            [value.clone(), value]
        };
        let dwords: [[[AB::Expr; 4]; 2]; BLOCK_DWORDS] = [
            read(&local.alpha[..]),
            read(&local.alpha[2..]),
            read(&local.weight[..]),
            read(&local.weight[2..]),
            [old(0), dword_limbs::<AB>(&local.result[..])],
            [old(1), dword_limbs::<AB>(&local.result[2..])],
        ];
        for (j, ([prev_value, value], access)) in dwords.into_iter().zip(&local.access).enumerate()
        {
            MemoryAccess {
                space: AB::Expr::from_u32(space::RAM),
                addr: local.block.into() + AB::Expr::from_usize(8 * j),
                ts: timestamp_expr::<AB>(local.clk, slot::RAM1),
                prev_value,
                value,
            }
            .eval(builder, access, is_real.clone());
        }
    }
}

impl<AB: MachineBuilder> Air<AB> for ExtCombineRowTable {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &ExtCombineRowCols<AB::Var> = main.current_slice().borrow();
        let is_real: AB::Expr = local.is_real.into();
        builder.assert_bool(is_real.clone());
        let lo = eval_canonical(builder, &local.value[0], is_real.clone());
        let hi = eval_canonical(builder, &local.value[1], is_real.clone());
        let alpha = exprs::<AB>(&local.alpha);
        // acc_out = (acc * alpha + v_hi) * alpha + v_lo (all-zero padding satisfies it).
        let mut mid = ext_mul(&exprs::<AB>(&local.acc), &alpha);
        mid[0] += from_montgomery::<AB>(hi);
        let mut step = ext_mul(&mid, &alpha);
        step[0] += from_montgomery::<AB>(lo);
        for (out, step) in local.acc_out.iter().zip(step) {
            builder.assert_eq(*out, step);
        }

        let read = local.addr.into() - AB::Expr::from_u32(8);
        let limbs = dword_limbs::<AB>(&local.value);
        MemoryAccess {
            space: AB::Expr::from_u32(space::RAM),
            addr: read.clone(),
            ts: timestamp_expr::<AB>(local.clk, slot::RAM0),
            prev_value: limbs.clone(),
            value: limbs,
        }
        .eval(builder, &local.access, is_real.clone());

        let token = |addr: AB::Expr, acc: &[AB::Var; EXT_WORDS]| {
            [local.clk.into(), addr]
                .into_iter()
                .chain(alpha.clone())
                .chain(exprs::<AB>(acc))
        };
        builder.receive(
            EXT_COMBINE_ROW,
            token(local.addr.into(), &local.acc),
            is_real.clone(),
        );
        builder.send(EXT_COMBINE_ROW, token(read, &local.acc_out), is_real);
    }
}

crate::impl_table!(ExtCombineTable, "ext_combine");
crate::impl_table!(ExtCombineRowTable, "ext_combine_rows");

fn vals(x: &[u32; EXT_WORDS]) -> [Val; EXT_WORDS] {
    x.map(Val::from_u32)
}

impl ExtCombineTable {
    /// The table's main trace.
    pub fn generate_trace(
        events: &[ExtCombineEvent],
        lookups: &LookupCounter,
    ) -> RowMajorMatrix<Val> {
        rows_from_events(events, ExtCombineCols::<u8>::WIDTH, |e, row| {
            let cols: &mut ExtCombineCols<Val> = row.borrow_mut();
            cols.is_real = Val::ONE;
            cols.clk = Val::from_u32(e.clk);
            cols.values = Val::from_u32(e.values);
            cols.count = Val::from_u32(e.count);
            cols.block = Val::from_u32(e.block);
            for (word, &value) in cols.alpha.iter_mut().zip(&e.alpha) {
                word.populate(value, lookups);
            }
            for (word, &value) in cols.weight.iter_mut().zip(&e.weight) {
                word.populate(value, lookups);
            }
            for (word, &value) in cols.result.iter_mut().zip(&e.result) {
                word.populate(value, lookups);
                lookups.range(value & 0xffff, 16);
                lookups.range(value >> 16, 16);
            }
            for (k, limbs) in cols.old_result.chunks_exact_mut(4).enumerate() {
                let old = e.accesses[4 + k].prev_value;
                for (i, limb) in limbs.iter_mut().enumerate() {
                    *limb = Val::from_u64((old >> (16 * i)) & 0xffff);
                }
            }
            cols.sum = vals(&e.sum);
            for (access, dword) in cols.access.iter_mut().zip(&e.accesses) {
                access.populate(dword.prev_ts, timestamp(e.clk, slot::RAM1), lookups);
            }
        })
    }
}

impl ExtCombineRowTable {
    /// The table's main trace.
    pub fn generate_trace(
        events: &[ExtCombineRowEvent],
        lookups: &LookupCounter,
    ) -> RowMajorMatrix<Val> {
        rows_from_events(events, ExtCombineRowCols::<u8>::WIDTH, |e, row| {
            let cols: &mut ExtCombineRowCols<Val> = row.borrow_mut();
            cols.is_real = Val::ONE;
            cols.clk = Val::from_u32(e.clk);
            cols.addr = Val::from_u32(e.addr + 8);
            cols.alpha = vals(&e.alpha);
            cols.acc = vals(&e.acc);
            cols.acc_out = vals(&e.acc_out);
            for (word, &value) in cols.value.iter_mut().zip(&e.words) {
                word.populate(value, lookups);
            }
            cols.access
                .populate(e.prev_ts, timestamp(e.clk, slot::RAM0), lookups);
        })
    }
}
