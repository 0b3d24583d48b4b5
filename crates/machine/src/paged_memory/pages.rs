//! `pages`: every doubleword of every page a shard pages in, created on the memory bus at
//! timestamp 0 with its value at the shard's start and consumed with its final state, and each
//! page hashed twice (before and after) into a leaf of the page tree.
//!
//! One row is one *chunk*: two doublewords, 8 16-bit limbs, the sponge's rate. A page is 64
//! consecutive rows (chunks 0..63). Each row carries two Poseidon2 permutations, `pre` (absorbing
//! the initial limbs) and `post` (absorbing the final limbs); the capacity half of each input is
//! 0 on a page's first chunk and the previous row's output otherwise, which is the PCS's
//! padding-free sponge (overwrite mode). The last chunk sends the two leaf digests on [`NODE`].
//!
//! Which cells a page creates:
//! - **RAM** pages (`64 <= page < 2^19`): every doubleword, space RAM.
//! - **the register page** (page 0): doublewords 0..31 are the registers x0..x31 (space REGISTER,
//!   address = register number), the rest of the page creates no cell and keeps its value; x0
//!   is 0.
//! - **input** pages (`2^19 <= page < 2^20`): the doublewords that start inside the region the
//!   input length declares, `offset < 16 + len` (space INPUT), as the monolithic dynamic table
//!   does; the others create no cell. `len` is the shard's public input length, one value for
//!   the whole table; the header chunk (page 2^19, chunk 0) holds it in its low word and zero in
//!   the rest of the header, whenever that page is paged in.
//!
//! The page number is range-checked against its kind on the first chunk (pages 1..63 have none,
//! so they create no cells), and every later chunk repeats the first one's page columns. The
//! initial limbs are range-checked to 16 bits, so a leaf's input is always a page's bytes; final
//! limbs come from the memory bus, whose writers range-check them. A cell that is not created
//! keeps its value (final limbs = initial limbs), so the post leaf differs only where the shard
//! wrote. `docs/continuations.md` has the whole argument.

use core::borrow::{Borrow, BorrowMut};

use droste_isa::abi::{INPUT_HEADER_LEN, INPUT_START, PROGRAM_START};
use droste_stark::{Table, Val};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;

use super::{
    send_leaf, CHUNKS, CHUNK_DWORDS, FIRST_INPUT_PAGE, PAGE_COUNT, PAGE_DWORDS, PAGE_SHIFT, POST,
    PRE,
};
use crate::bus::{space, MachineBuilder, INPUT_LEN};
use crate::chips::poseidon2::{eval_permutation, round_constants, PermCols, WIDTH};
use crate::columns::WORD_LIMBS;
use crate::lookup::{range_check, LookupCounter};
use crate::memory_tables::{send_init, CellState};
use crate::trace::padded_height;

/// The first RAM page.
const FIRST_RAM_PAGE: u32 = (PROGRAM_START >> PAGE_SHIFT) as u32;
/// Chunks of the register page that hold registers (x0..x31).
const REGISTER_CHUNKS: u32 = 32 / CHUNK_DWORDS as u32;
/// Limbs per chunk: the sponge's rate.
const RATE: usize = CHUNK_DWORDS * WORD_LIMBS;
/// High-limb bits of the page bounds: pages are below `2^20 < 2^27`.
const BOUND_HI_BITS: u32 = 11;
/// High-limb bits of the input length and of an input doubleword's distance to the region's
/// end (the region is below `2^30`), as in the monolithic `dynamic_memory` table.
const INPUT_HI_BITS: u32 = 14;

crate::columns! {
    /// One row of the `pages` table: one chunk (two doublewords) of a page.
    pub struct PageCols<T> {
        pub is_real: T,
        /// 1 on the table's first row, which receives the input length.
        pub is_first_row: T,
        pub page: T,
        /// The chunk's position in its page, 0..63.
        pub chunk: T,
        pub is_first_chunk: T,
        pub is_last_chunk: T,
        pub is_register_page: T,
        pub is_input_page: T,
        /// `page - base` and `top - page` as 16 + 11 bits, the page kind's range `[base, top]`.
        pub lower: [T; 2],
        pub upper: [T; 2],
        /// The input header's chunk (page 2^19, chunk 0), and the inverse of `page - 2^19`
        /// that proves a first chunk is not it.
        pub is_header: T,
        pub header_inv: T,
        /// The private input's payload length (the shard's public value), on every row.
        pub input_len: T,
        /// The first doubleword's address (register number on the register page).
        pub addr: T,
        /// Whether each doubleword is a memory cell.
        pub is_cell: [T; CHUNK_DWORDS],
        /// Input rows: `16 + len - 1 - offset` for a cell, `offset - 16 - len` otherwise, as
        /// 16 + 14 bits, where `offset` is the doubleword's offset in the input region.
        pub extent: [[T; 2]; CHUNK_DWORDS],
        /// Register page rows: `15 - chunk` for register chunks, `chunk - 16` otherwise.
        pub reg_gap: T,
        /// Timestamp of each doubleword's last access.
        pub final_ts: [T; CHUNK_DWORDS],
        /// The sponge before the shard: `inputs[0..8]` are the initial limbs.
        pub pre: PermCols<T>,
        /// The sponge after the shard: `inputs[0..8]` are the final limbs.
        pub post: PermCols<T>,
    }
}

/// One page as the table proves it: its doublewords at the shard's start and their final state
/// (`(0, initial)` for a doubleword the shard did not access or that is not a cell).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageWitness {
    pub index: u32,
    pub init: [u64; PAGE_DWORDS],
    pub finals: [CellState; PAGE_DWORDS],
}

/// The `pages` table.
#[derive(Clone, Copy, Debug, Default)]
pub struct PageTable;

impl BaseAir<Val> for PageTable {
    fn width(&self) -> usize {
        PageCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for PageTable
where
    AB::Expr: Sync,
{
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &PageCols<AB::Var> = main.current_slice().borrow();
        let next: &PageCols<AB::Var> = main.next_slice().borrow();
        eval_shape(builder, local, next);
        eval_kind(builder, local);
        eval_cells(builder, local);
        eval_sponges(builder, local, next);
        let offset = core::mem::offset_of!(PageCols<u8>, pre);
        eval_permutation(builder, offset, local.is_real);
        let offset = core::mem::offset_of!(PageCols<u8>, post);
        eval_permutation(builder, offset, local.is_real);
    }
}

/// Real rows first, in whole pages of chunks 0..63; the input length on every row.
fn eval_shape<AB: MachineBuilder>(
    builder: &mut AB,
    local: &PageCols<AB::Var>,
    next: &PageCols<AB::Var>,
) {
    let one = || AB::Expr::ONE;
    let is_real: AB::Expr = local.is_real.into();
    for flag in [
        local.is_real,
        local.is_first_row,
        local.is_first_chunk,
        local.is_last_chunk,
        local.is_register_page,
        local.is_input_page,
    ] {
        builder.assert_bool(flag);
    }
    builder.when_first_row().assert_one(local.is_first_row);
    builder.when_transition().assert_zero(next.is_first_row);
    builder
        .when_transition()
        .assert_eq(next.input_len, local.input_len);
    builder.receive(INPUT_LEN, [local.input_len], local.is_first_row);

    builder
        .when_transition()
        .assert_zero(next.is_real.into() * (one() - is_real.clone()));
    builder
        .when_first_row()
        .assert_eq(local.is_first_chunk, local.is_real);
    for flag in [
        local.is_first_chunk,
        local.is_last_chunk,
        local.is_register_page,
        local.is_input_page,
    ] {
        builder.assert_zero(flag * (one() - is_real.clone()));
    }
    // A page ends exactly at chunk 63 and the next one starts at chunk 0.
    builder.when_transition().assert_zero(
        next.is_real.into() * (next.is_first_chunk.into() - local.is_last_chunk.into()),
    );
    builder.when_transition().assert_zero(
        is_real.clone() * (one() - next.is_real.into()) * (one() - local.is_last_chunk.into()),
    );
    builder
        .when_last_row()
        .assert_zero(is_real * (one() - local.is_last_chunk.into()));
    builder.assert_zero(local.is_first_chunk * local.chunk);
    builder.assert_zero(
        local.is_last_chunk.into() * (local.chunk.into() - AB::Expr::from_usize(CHUNKS - 1)),
    );
    let within = next.is_real.into() * (one() - local.is_last_chunk.into());
    let mut same_page = builder.when_transition();
    same_page.assert_zero(within.clone() * (next.chunk.into() - local.chunk.into() - one()));
    for (n, l) in [
        (next.page, local.page),
        (next.is_register_page, local.is_register_page),
        (next.is_input_page, local.is_input_page),
    ] {
        same_page.assert_zero(within.clone() * (n.into() - l.into()));
    }
}

/// The page's kind and range, checked on its first chunk; the input header.
fn eval_kind<AB: MachineBuilder>(builder: &mut AB, local: &PageCols<AB::Var>) {
    let one = || AB::Expr::ONE;
    let (is_reg, is_input): (AB::Expr, AB::Expr) =
        (local.is_register_page.into(), local.is_input_page.into());
    let is_ram = one() - is_reg.clone() - is_input.clone();
    builder.assert_bool(is_ram.clone());
    builder.assert_zero(is_reg.clone() * local.page);

    let constant = |x: u32| AB::Expr::from_u32(x);
    let base =
        is_input.clone() * constant(FIRST_INPUT_PAGE) + is_ram.clone() * constant(FIRST_RAM_PAGE);
    let top = is_input.clone() * constant(PAGE_COUNT - 1) + is_ram * constant(FIRST_INPUT_PAGE - 1);
    let limb = AB::Expr::from_u32(1 << 16);
    let first = local.is_first_chunk;
    let mut on_first = builder.when(first);
    on_first.assert_eq(
        local.lower[0].into() + local.lower[1].into() * limb.clone(),
        local.page.into() - base,
    );
    on_first.assert_eq(
        local.upper[0].into() + local.upper[1].into() * limb.clone(),
        top - local.page.into(),
    );
    for pair in [local.lower, local.upper] {
        range_check(builder, pair[0], 16, first);
        range_check(builder, pair[1], BOUND_HI_BITS, first);
    }
    // x0 is zero.
    for &limb in &local.pre.cols().inputs[..WORD_LIMBS] {
        builder.assert_zero(is_reg.clone() * first.into() * limb);
    }

    // The header chunk is the first chunk of page 2^19, and every such chunk is the header.
    let is_header: AB::Expr = local.is_header.into();
    builder.assert_bool(is_header.clone());
    let from_header = local.page.into() - constant(FIRST_INPUT_PAGE);
    builder.assert_zero(is_header.clone() * from_header.clone());
    builder.assert_zero(is_header.clone() * (one() - first.into()));
    builder.assert_zero(is_header.clone() * (one() - is_input));
    builder.assert_zero(
        first.into() * (one() - is_header.clone() - local.header_inv.into() * from_header),
    );
    let inputs = &local.pre.cols().inputs;
    let mut at_header = builder.when(is_header.clone());
    at_header.assert_eq(local.input_len, inputs[0].into() + inputs[1].into() * limb);
    for &reserved in &inputs[2..RATE] {
        at_header.assert_zero(reserved);
    }
    range_check(builder, inputs[1], INPUT_HI_BITS, is_header);
}

/// The cells of the row's two doublewords on the memory bus.
fn eval_cells<AB: MachineBuilder>(builder: &mut AB, local: &PageCols<AB::Var>) {
    let one = || AB::Expr::ONE;
    let is_real: AB::Expr = local.is_real.into();
    let (is_reg, is_input): (AB::Expr, AB::Expr) =
        (local.is_register_page.into(), local.is_input_page.into());
    let is_ram = one() - is_reg.clone() - is_input.clone();
    let chunk: AB::Expr = local.chunk.into();
    let page_addr = local.page.into() * AB::Expr::from_u32(1 << PAGE_SHIFT)
        + chunk.clone() * AB::Expr::from_usize(8 * CHUNK_DWORDS);
    builder.assert_eq(
        local.addr,
        is_reg.clone() * chunk.clone() * AB::Expr::from_usize(CHUNK_DWORDS)
            + (one() - is_reg.clone()) * page_addr,
    );
    let space = AB::Expr::from_u32(space::RAM)
        + is_input.clone() * AB::Expr::from_u32(space::INPUT - space::RAM)
        - is_reg.clone() * AB::Expr::from_u32(space::RAM - space::REGISTER);
    let stride = AB::Expr::from_u32(8) - is_reg.clone() * AB::Expr::from_u32(7);

    // Register chunks 0..15 are cells, 16..63 are not.
    let reg_cell: AB::Expr = local.is_cell[0].into();
    builder.assert_zero(is_reg.clone() * (local.is_cell[1].into() - reg_cell.clone()));
    let reg_gap = reg_cell.clone() * (AB::Expr::from_u32(REGISTER_CHUNKS - 1) - chunk.clone())
        + (one() - reg_cell) * (chunk - AB::Expr::from_u32(REGISTER_CHUNKS));
    builder.assert_zero(is_reg.clone() * (local.reg_gap.into() - reg_gap));
    range_check(builder, local.reg_gap, BOUND_HI_BITS, is_reg);

    let limb = AB::Expr::from_u32(1 << 16);
    let init = &local.pre.cols().inputs;
    let fin = &local.post.cols().inputs;
    for d in 0..CHUNK_DWORDS {
        let is_cell: AB::Expr = local.is_cell[d].into();
        builder.assert_bool(is_cell.clone());
        builder.assert_zero(is_cell.clone() * (one() - is_real.clone()));
        builder.assert_zero(is_ram.clone() * (is_cell.clone() - is_real.clone()));
        let addr = local.addr.into() + stride.clone() * AB::Expr::from_usize(d);

        // Input doublewords are cells exactly when they start inside the declared region.
        let offset = addr.clone() - AB::Expr::from_u64(INPUT_START);
        let region = AB::Expr::from_u64(INPUT_HEADER_LEN) + local.input_len.into();
        let extent = is_cell.clone() * (region.clone() - one() - offset.clone())
            + (one() - is_cell.clone()) * (offset - region);
        builder.assert_zero(
            is_input.clone()
                * (local.extent[d][0].into() + local.extent[d][1].into() * limb.clone() - extent),
        );
        range_check(builder, local.extent[d][0], 16, is_input.clone());
        range_check(builder, local.extent[d][1], INPUT_HI_BITS, is_input.clone());

        let limbs = d * WORD_LIMBS..(d + 1) * WORD_LIMBS;
        for k in limbs.clone() {
            range_check(builder, init[k], 16, is_real.clone());
            // A doubleword that is not a cell keeps its value.
            builder.assert_zero(
                (is_real.clone() - is_cell.clone()) * (fin[k].into() - init[k].into()),
            );
        }
        send_init(
            builder,
            space.clone(),
            addr,
            core::array::from_fn(|k| init[limbs.start + k].into()),
            local.final_ts[d].into(),
            core::array::from_fn(|k| fin[limbs.start + k].into()),
            is_cell,
        );
    }
}

/// The two sponges: capacity 0 on a page's first chunk, carried from the previous chunk after;
/// the last chunk's outputs are the leaves.
fn eval_sponges<AB: MachineBuilder>(
    builder: &mut AB,
    local: &PageCols<AB::Var>,
    next: &PageCols<AB::Var>,
) {
    let within = next.is_real.into() * (AB::Expr::ONE - local.is_last_chunk.into());
    for (tree, (l, n)) in [(&local.pre, &next.pre), (&local.post, &next.post)]
        .into_iter()
        .enumerate()
    {
        for i in RATE..WIDTH {
            builder.assert_zero(local.is_first_chunk * l.cols().inputs[i]);
            builder
                .when_transition()
                .assert_zero(within.clone() * (n.cols().inputs[i].into() - l.output()[i].into()));
        }
        let tree = if tree == 0 { PRE } else { POST };
        send_leaf(
            builder,
            tree,
            local.page.into(),
            &l.output()[..8],
            local.is_last_chunk.into(),
        );
    }
}

impl PageTable {
    /// The trace of `pages` (register page first, then by index) for an input of `input_len`
    /// payload bytes.
    pub fn generate_trace(
        pages: &[PageWitness],
        input_len: u32,
        lookups: &LookupCounter,
    ) -> RowMajorMatrix<Val> {
        let width = PageCols::<u8>::WIDTH;
        let height = padded_height(pages.len() * CHUNKS);
        let mut values = vec![Val::ZERO; height * width];
        let constants = round_constants();
        for (r, row) in values.chunks_exact_mut(width).enumerate() {
            let cols: &mut PageCols<Val> = row.borrow_mut();
            cols.is_first_row = Val::from_bool(r == 0);
            cols.input_len = Val::from_u32(input_len);
        }
        #[cfg(feature = "prover")]
        use p3_maybe_rayon::prelude::*;
        #[cfg(feature = "prover")]
        let chunks = values[..pages.len() * CHUNKS * width].par_chunks_mut(CHUNKS * width);
        #[cfg(not(feature = "prover"))]
        let chunks = values[..pages.len() * CHUNKS * width].chunks_mut(CHUNKS * width);
        chunks.zip(pages).for_each(|(rows, page)| {
            fill_page(rows, page, input_len, &constants, lookups);
        });
        RowMajorMatrix::new(values, width)
    }
}

/// The 64 rows of one page.
fn fill_page(
    rows: &mut [Val],
    page: &PageWitness,
    input_len: u32,
    constants: &crate::chips::poseidon2::Constants,
    lookups: &LookupCounter,
) {
    let width = PageCols::<u8>::WIDTH;
    let is_reg = page.index == 0;
    let is_input = page.index >= FIRST_INPUT_PAGE;
    let (base, top) = match (is_reg, is_input) {
        (true, _) => (0, 0),
        (_, true) => (FIRST_INPUT_PAGE, PAGE_COUNT - 1),
        _ => (FIRST_RAM_PAGE, FIRST_INPUT_PAGE - 1),
    };
    let region_end = INPUT_HEADER_LEN as u32 + input_len;
    let (mut pre_capacity, mut post_capacity) = ([Val::ZERO; 8], [Val::ZERO; 8]);
    for (c, row) in rows.chunks_exact_mut(width).enumerate() {
        let cols: &mut PageCols<Val> = row.borrow_mut();
        cols.is_real = Val::ONE;
        cols.page = Val::from_u32(page.index);
        cols.chunk = Val::from_usize(c);
        cols.is_first_chunk = Val::from_bool(c == 0);
        cols.is_last_chunk = Val::from_bool(c == CHUNKS - 1);
        cols.is_register_page = Val::from_bool(is_reg);
        cols.is_input_page = Val::from_bool(is_input);
        if c == 0 {
            for (pair, x) in [
                (&mut cols.lower, page.index - base),
                (&mut cols.upper, top - page.index),
            ] {
                *pair = [x & 0xffff, x >> 16].map(Val::from_u32);
                lookups.range(x & 0xffff, 16);
                lookups.range(x >> 16, BOUND_HI_BITS);
            }
            let from_header = Val::from_u32(page.index) - Val::from_u32(FIRST_INPUT_PAGE);
            cols.is_header = Val::from_bool(from_header == Val::ZERO);
            cols.header_inv = from_header.try_inverse().unwrap_or(Val::ZERO);
            if cols.is_header == Val::ONE {
                lookups.range(input_len >> 16, INPUT_HI_BITS);
            }
        }
        let addr = if is_reg {
            (CHUNK_DWORDS * c) as u32
        } else {
            (page.index << PAGE_SHIFT) + (8 * CHUNK_DWORDS * c) as u32
        };
        cols.addr = Val::from_u32(addr);
        if is_reg {
            let gap = if (c as u32) < REGISTER_CHUNKS {
                REGISTER_CHUNKS - 1 - c as u32
            } else {
                c as u32 - REGISTER_CHUNKS
            };
            cols.reg_gap = Val::from_u32(gap);
            lookups.range(gap, BOUND_HI_BITS);
        }
        let mut pre_input = [Val::ZERO; WIDTH];
        let mut post_input = [Val::ZERO; WIDTH];
        for d in 0..CHUNK_DWORDS {
            let j = CHUNK_DWORDS * c + d;
            let is_cell = if is_reg {
                (c as u32) < REGISTER_CHUNKS
            } else if is_input {
                let offset = (page.index << PAGE_SHIFT) + 8 * j as u32 - INPUT_START as u32;
                let is_cell = offset < region_end;
                let extent = if is_cell {
                    region_end - 1 - offset
                } else {
                    offset - region_end
                };
                cols.extent[d] = [extent & 0xffff, extent >> 16].map(Val::from_u32);
                lookups.range(extent & 0xffff, 16);
                lookups.range(extent >> 16, INPUT_HI_BITS);
                is_cell
            } else {
                true
            };
            cols.is_cell[d] = Val::from_bool(is_cell);
            let init = page.init[j];
            let (ts, value) = if is_cell { page.finals[j] } else { (0, init) };
            cols.final_ts[d] = Val::from_u32(ts);
            for (k, limb) in crate::columns::limbs(init).into_iter().enumerate() {
                pre_input[d * WORD_LIMBS + k] = Val::from_u16(limb);
                lookups.range(u32::from(limb), 16);
            }
            for (k, limb) in crate::columns::limbs(value).into_iter().enumerate() {
                post_input[d * WORD_LIMBS + k] = Val::from_u16(limb);
            }
        }
        pre_input[RATE..].copy_from_slice(&pre_capacity);
        post_input[RATE..].copy_from_slice(&post_capacity);
        cols.pre.fill(pre_input, constants);
        cols.post.fill(post_input, constants);
        pre_capacity.copy_from_slice(&cols.pre.output()[RATE..]);
        post_capacity.copy_from_slice(&cols.post.output()[RATE..]);
    }
}

impl Table for PageTable {
    fn name(&self) -> &str {
        "pages"
    }
}
