//! The tables that create every memory cell (timestamp 0, initial value) and consume its final
//! state, closing the offline memory check of [`crate::memory_access`]:
//!
//! - `registers` (preprocessed): x0..x31 with their initial values (`sp = STACK_TOP`) and the
//!   sink register that writes to `x0` go to ([`crate::fetch::SINK`], initially 0).
//! - `image` (preprocessed): every doubleword of `[PROGRAM_START, image_end)` with its ELF
//!   content (bss and gaps are zero). Its last row hands the last image address to the dynamic
//!   table on [`IMAGE_END`].
//! - `dynamic` (main only): every other touched doubleword, sorted by strictly increasing
//!   address starting after the image (so no cell is created twice and none shadows an image
//!   cell): RAM cells below `STACK_TOP` start at 0, input cells (space [`space::INPUT`], from
//!   `INPUT_START` on) start at the prover's private input, range-checked.
//!
//! The input region is tied to its header: the first two input rows are always the header's
//! two doublewords (present even when the guest never reads them): the first holds the payload
//! length `len` (below `2^30`) in its low word, the rest of the header is reserved (zero). Every
//! input row carries
//! `len` and proves that its doubleword starts inside the mapped region,
//! `8 (dw_index - INPUT_START / 8) < 16 + len`, so a guest cannot read past its declared input:
//! the region is `16 + len` bytes rounded up to whole doublewords (the bytes after the payload
//! in the last one are private input like the payload).

use alloc::vec::Vec;

use alloc::sync::Arc;
use core::borrow::{Borrow, BorrowMut};

use droste_isa::abi::{INPUT_START, PROGRAM_START, STACK_TOP};
use droste_stark::{Table, Val};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;

use crate::bus::{space, MachineBuilder, IMAGE_END, MEMORY};
use crate::columns::{Word, WORD_LIMBS};
use crate::fetch::REGISTERS;
use crate::lookup::{range_check, LookupCounter};
use crate::memory_access::TS_BITS;
use crate::trace::{padded_height, LIFTED_ROWS};

/// Final state of a cell: `(ts, value)` of its last access.
pub type CellState = (u32, u64);

/// Creates the cell `(space, addr)` with value `init` at timestamp 0 and consumes its final
/// state: the two ends of the offline memory check.
pub(crate) fn send_init<AB: MachineBuilder>(
    builder: &mut AB,
    space: AB::Expr,
    addr: AB::Expr,
    init: [AB::Expr; WORD_LIMBS],
    final_ts: AB::Expr,
    final_value: [AB::Expr; WORD_LIMBS],
    multiplicity: AB::Expr,
) {
    builder.send(
        MEMORY,
        [space.clone(), addr.clone(), AB::Expr::ZERO]
            .into_iter()
            .chain(init),
        multiplicity.clone(),
    );
    builder.receive(
        MEMORY,
        [space, addr, final_ts].into_iter().chain(final_value),
        multiplicity,
    );
}

crate::columns! {
    /// Final state of a cell (main columns of the init tables).
    pub struct FinalCols<T> {
        pub ts: T,
        pub value: Word<T>,
    }
}

impl FinalCols<Val> {
    fn set(&mut self, (ts, value): CellState) {
        self.ts = Val::from_u32(ts);
        self.value = Word::from_u64(value);
    }
}

crate::columns! {
    /// Preprocessed columns of the register table.
    pub struct RegisterInitCols<T> {
        pub reg: T,
        pub init: Word<T>,
        /// 1 on the rows of registers, 0 on padding.
        pub is_register: T,
    }
}

/// Rows of the register table: [`REGISTERS`] padded to [`LIFTED_ROWS`], the height a large
/// proof lifts its short tables to. The table is preprocessed, so its height is the key's in
/// every proof: at 64 rows it would cap FRI's final polynomial at 64 coefficients
/// ([`crate::trace::lifted_heights`]).
const REGISTER_ROWS: usize = LIFTED_ROWS;
const _: () = assert!(REGISTERS <= REGISTER_ROWS);

/// The register table: one row per register.
#[derive(Clone, Debug)]
pub struct RegisterTable {
    /// The initial values of x0..x31, or `None` in a shard proof, where the register page
    /// creates them (see [`crate::paged_memory`]) and this table only the sink.
    initial: Option<[u64; 32]>,
}

impl RegisterTable {
    /// Registers with these initial values (`ExecutionRecord::initial_registers`); the sink
    /// starts at 0.
    pub fn new(initial: [u64; 32]) -> Self {
        Self {
            initial: Some(initial),
        }
    }

    /// Only the sink register, starting at 0: the register table of shard proofs.
    pub fn sink_only() -> Self {
        Self { initial: None }
    }

    /// The main trace from the final state of each register.
    pub fn generate_trace(finals: &[CellState; REGISTERS]) -> RowMajorMatrix<Val> {
        let mut values = vec![Val::ZERO; REGISTER_ROWS * FinalCols::<u8>::WIDTH];
        for (row, &state) in values.chunks_exact_mut(FinalCols::<u8>::WIDTH).zip(finals) {
            let cols: &mut FinalCols<Val> = row.borrow_mut();
            cols.set(state);
        }
        RowMajorMatrix::new(values, FinalCols::<u8>::WIDTH)
    }
}

impl BaseAir<Val> for RegisterTable {
    fn width(&self) -> usize {
        FinalCols::<u8>::WIDTH
    }

    fn preprocessed_width(&self) -> usize {
        RegisterInitCols::<u8>::WIDTH
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        let values = (0..REGISTER_ROWS)
            .flat_map(|r| {
                let mut row = [Val::ZERO; RegisterInitCols::<u8>::WIDTH];
                let cols: &mut RegisterInitCols<Val> = row[..].borrow_mut();
                let is_sink = r == usize::from(crate::fetch::SINK);
                if let (Some(initial), false) = (&self.initial, is_sink) {
                    cols.init = Word::from_u64(initial.get(r).copied().unwrap_or(0));
                }
                if r < REGISTERS && (is_sink || self.initial.is_some()) {
                    cols.reg = Val::from_usize(r);
                    cols.is_register = Val::ONE;
                }
                row
            })
            .collect();
        Some(RowMajorMatrix::new(values, RegisterInitCols::<u8>::WIDTH))
    }
}

impl<AB: MachineBuilder> Air<AB> for RegisterTable {
    fn eval(&self, builder: &mut AB) {
        let prep = builder.preprocessed().clone();
        let init: &RegisterInitCols<AB::Var> = prep.current_slice().borrow();
        let main = builder.main();
        let fin: &FinalCols<AB::Var> = main.current_slice().borrow();
        send_init(
            builder,
            AB::Expr::from_u32(space::REGISTER),
            init.reg.into(),
            init.init.into_exprs(),
            fin.ts.into(),
            fin.value.into_exprs(),
            init.is_register.into(),
        );
    }
}

impl Table for RegisterTable {
    fn name(&self) -> &str {
        "registers"
    }
}

crate::columns! {
    /// Preprocessed columns of the image table.
    pub struct ImageCellCols<T> {
        /// Byte address of the doubleword.
        pub addr: T,
        pub init: Word<T>,
        /// 1 on rows that are image cells, 0 on padding.
        pub is_cell: T,
        /// 1 on the last image cell only.
        pub is_last: T,
    }
}

/// The memory image: initial doublewords of `[PROGRAM_START, image_end)`.
#[derive(Clone, Debug, Default)]
pub struct ImageTable {
    cells: Option<Arc<Vec<u64>>>,
}

impl ImageTable {
    /// The image with these doublewords, the first at `PROGRAM_START` (at least one).
    pub fn new(cells: Arc<Vec<u64>>) -> Self {
        assert!(!cells.is_empty(), "the image has at least one doubleword");
        Self { cells: Some(cells) }
    }

    /// The shape-only table a verifier uses.
    pub fn for_verifier() -> Self {
        Self { cells: None }
    }

    /// The main trace from the final state of each cell, padded to `height` rows.
    pub fn generate_trace(finals: &[CellState], height: usize) -> RowMajorMatrix<Val> {
        let mut values = vec![Val::ZERO; height * FinalCols::<u8>::WIDTH];
        for (row, &state) in values.chunks_exact_mut(FinalCols::<u8>::WIDTH).zip(finals) {
            let cols: &mut FinalCols<Val> = row.borrow_mut();
            cols.set(state);
        }
        RowMajorMatrix::new(values, FinalCols::<u8>::WIDTH)
    }
}

/// Address of image cell `index`.
pub fn image_addr(index: usize) -> u64 {
    PROGRAM_START + 8 * index as u64
}

impl BaseAir<Val> for ImageTable {
    fn width(&self) -> usize {
        FinalCols::<u8>::WIDTH
    }

    fn preprocessed_width(&self) -> usize {
        ImageCellCols::<u8>::WIDTH
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<Val>> {
        let cells = self.cells.as_ref()?;
        let width = ImageCellCols::<u8>::WIDTH;
        let mut values = vec![Val::ZERO; padded_height(cells.len()) * width];
        for (i, (row, &value)) in values.chunks_exact_mut(width).zip(cells.iter()).enumerate() {
            let cols: &mut ImageCellCols<Val> = row.borrow_mut();
            cols.addr = Val::from_u64(image_addr(i));
            cols.init = Word::from_u64(value);
            cols.is_cell = Val::ONE;
            cols.is_last = Val::from_bool(i + 1 == cells.len());
        }
        Some(RowMajorMatrix::new(values, width))
    }
}

impl<AB: MachineBuilder> Air<AB> for ImageTable {
    fn eval(&self, builder: &mut AB) {
        let prep = builder.preprocessed().clone();
        let cell: &ImageCellCols<AB::Var> = prep.current_slice().borrow();
        let main = builder.main();
        let fin: &FinalCols<AB::Var> = main.current_slice().borrow();
        send_init(
            builder,
            AB::Expr::from_u32(space::RAM),
            cell.addr.into(),
            cell.init.into_exprs(),
            fin.ts.into(),
            fin.value.into_exprs(),
            cell.is_cell.into(),
        );
        builder.send(IMAGE_END, [cell.addr], cell.is_last);
    }
}

impl Table for ImageTable {
    fn name(&self) -> &str {
        "image"
    }
}

crate::columns! {
    /// One row of the dynamic memory table.
    pub struct DynamicCols<T> {
        /// 1 on the first row only (it receives the last image address).
        pub is_first: T,
        pub is_real: T,
        /// The cell is in the input region (space [`space::INPUT`]), else RAM.
        pub is_input: T,
        /// Doubleword index: the cell's address is `8 * dw_index`.
        pub dw_index: T,
        /// The previous row's `dw_index` (the last image cell's on the first row).
        pub prev_index: T,
        /// `dw_index - prev_index - 1` as 16 + 11 bits.
        pub gap: [T; 2],
        /// Distance to the region's limit as 16 + 11 bits: `STACK_TOP / 8 - 1 - dw_index` for
        /// RAM, `dw_index - INPUT_START / 8` for input.
        pub bound: [T; 2],
        pub init: Word<T>,
        pub last: FinalCols<T>,
        /// 1 on the input header's first doubleword (the first input row), and on its second.
        pub is_header: T,
        pub is_header_end: T,
        /// The input payload length (the header's low word), on every input row.
        pub input_len: T,
        /// Input rows: `16 + input_len - 1 - 8 (dw_index - INPUT_START / 8)` as 16 + 14 bits.
        pub to_input_end: [T; 2],
    }
}

/// A dynamic cell: `(dw_index, is_input, initial value, final state)`.
pub type DynamicCell = (u32, bool, u64, CellState);

/// The dynamic memory table.
#[derive(Clone, Copy, Debug, Default)]
pub struct DynamicMemoryTable;

impl DynamicMemoryTable {
    /// The trace for `cells` (sorted by address), after the image's last cell `image_last`.
    pub fn generate_trace(
        cells: &[DynamicCell],
        image_last_index: u32,
        lookups: &LookupCounter,
    ) -> RowMajorMatrix<Val> {
        let width = DynamicCols::<u8>::WIDTH;
        let height = padded_height(cells.len());
        let mut values = vec![Val::ZERO; height * width];
        let mut prev = image_last_index;
        let header = (INPUT_START / 8) as u32;
        let input_len = cells
            .iter()
            .find(|c| c.1 && c.0 == header)
            .map_or(0, |c| c.2 as u32);
        for (i, row) in values.chunks_exact_mut(width).enumerate() {
            let cols: &mut DynamicCols<Val> = row.borrow_mut();
            cols.is_first = Val::from_bool(i == 0);
            cols.prev_index = Val::from_u32(prev);
            let Some(&(dw, is_input, init, last)) = cells.get(i) else {
                cols.dw_index = Val::from_u32(prev);
                continue;
            };
            cols.is_real = Val::ONE;
            cols.is_input = Val::from_bool(is_input);
            cols.dw_index = Val::from_u32(dw);
            let gap = dw - prev - 1;
            let bound = if is_input {
                dw - (INPUT_START / 8) as u32
            } else {
                (STACK_TOP / 8) as u32 - 1 - dw
            };
            for (pair, x) in [(&mut cols.gap, gap), (&mut cols.bound, bound)] {
                *pair = [x & 0xffff, x >> 16].map(Val::from_u32);
                lookups.range(x & 0xffff, 16);
                lookups.range(x >> 16, TS_BITS - 16);
            }
            cols.init = Word::from_u64(init);
            if is_input {
                lookups.range_word(init);
                cols.is_header = Val::from_bool(dw == header);
                cols.is_header_end = Val::from_bool(dw == header + 1);
                if dw == header {
                    lookups.range(input_len >> 16, INPUT_LEN_HI_BITS);
                }
                cols.input_len = Val::from_u32(input_len);
                let to_end = 16 + input_len - 1 - 8 * (dw - header);
                cols.to_input_end = [to_end & 0xffff, to_end >> 16].map(Val::from_u32);
                lookups.range(to_end & 0xffff, 16);
                lookups.range(to_end >> 16, INPUT_LEN_HI_BITS);
            }
            cols.last.set(last);
            prev = dw;
        }
        RowMajorMatrix::new(values, width)
    }
}

impl BaseAir<Val> for DynamicMemoryTable {
    fn width(&self) -> usize {
        DynamicCols::<u8>::WIDTH
    }
}

impl<AB: MachineBuilder> Air<AB> for DynamicMemoryTable {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local: &DynamicCols<AB::Var> = main.current_slice().borrow();
        let next: &DynamicCols<AB::Var> = main.next_slice().borrow();
        let is_real: AB::Expr = local.is_real.into();
        let is_input: AB::Expr = local.is_input.into();

        builder.when_first_row().assert_one(local.is_first);
        builder.when_transition().assert_zero(next.is_first);
        builder.assert_bool(is_real.clone());
        builder.assert_bool(is_input.clone());
        builder.assert_zero((AB::Expr::ONE - is_real.clone()) * is_input.clone());
        // Real rows come first, RAM before input, and each row remembers its predecessor.
        builder
            .when_transition()
            .assert_zero(next.is_real.into() * (AB::Expr::ONE - is_real.clone()));
        builder.when_transition().assert_zero(
            next.is_real.into() * is_input.clone() * (AB::Expr::ONE - next.is_input.into()),
        );
        builder
            .when_transition()
            .assert_eq(next.prev_index, local.dw_index);
        builder.receive(
            IMAGE_END,
            [local.prev_index.into() * AB::Expr::from_u32(8)],
            local.is_first,
        );

        let base = AB::Expr::from_u32(1 << 16);
        let gap = local.dw_index.into() - local.prev_index.into() - AB::Expr::ONE;
        builder.when(is_real.clone()).assert_eq(
            local.gap[0].into() + local.gap[1].into() * base.clone(),
            gap,
        );
        let to_input_start = local.dw_index.into() - AB::Expr::from_u64(INPUT_START / 8);
        let to_stack_top = AB::Expr::from_u64(STACK_TOP / 8 - 1) - local.dw_index.into();
        let bound =
            is_input.clone() * to_input_start + (AB::Expr::ONE - is_input.clone()) * to_stack_top;
        builder
            .when(is_real.clone())
            .assert_eq(local.bound[0].into() + local.bound[1].into() * base, bound);
        for pair in [local.gap, local.bound] {
            range_check(builder, pair[0], 16, is_real.clone());
            range_check(builder, pair[1], TS_BITS - 16, is_real.clone());
        }
        for limb in local.init.0 {
            builder.assert_zero((AB::Expr::ONE - is_input.clone()) * limb);
            range_check(builder, limb, 16, is_input.clone());
        }
        eval_input_extent(builder, local, next);
        send_init(
            builder,
            AB::Expr::from_u32(space::RAM) + is_input,
            local.dw_index.into() * AB::Expr::from_u32(8),
            local.init.into_exprs(),
            local.last.ts.into(),
            local.last.value.into_exprs(),
            is_real,
        );
    }
}

/// Bits of the high limb of the input length and of the distance to the input's end: the
/// length is below `2^30` (the input region is far smaller), so no sum wraps the field.
const INPUT_LEN_HI_BITS: u32 = 14;

/// The input rows start with the header, carry its length, and lie inside the region it
/// declares (see the module docs).
fn eval_input_extent<AB: MachineBuilder>(
    builder: &mut AB,
    local: &DynamicCols<AB::Var>,
    next: &DynamicCols<AB::Var>,
) {
    let one = || AB::Expr::ONE;
    let (is_input, is_header): (AB::Expr, AB::Expr) =
        (local.is_input.into(), local.is_header.into());
    let base = AB::Expr::from_u32(1 << 16);
    let header = AB::Expr::from_u64(INPUT_START / 8);

    // The header: the input region's first two doublewords, `len` in the low word, zero in
    // the reserved bytes.
    builder.assert_bool(is_header.clone());
    builder.assert_bool(local.is_header_end);
    builder.assert_zero(is_header.clone() * (one() - is_input.clone()));
    builder
        .when_transition()
        .assert_zero(is_header.clone() * (one() - next.is_header_end.into()));
    let mut at_end = builder.when(local.is_header_end);
    at_end.assert_eq(local.dw_index, header.clone() + one());
    at_end.assert_one(local.is_input);
    for limb in local.init.0 {
        at_end.assert_zero(limb);
    }
    let mut at_header = builder.when(is_header.clone());
    at_header.assert_eq(local.dw_index, header.clone());
    at_header.assert_zero(local.init.0[2]);
    at_header.assert_zero(local.init.0[3]);
    at_header.assert_eq(
        local.input_len,
        local.init.0[0].into() + local.init.0[1].into() * base.clone(),
    );
    range_check(
        builder,
        local.init.0[1],
        INPUT_LEN_HI_BITS,
        is_header.clone(),
    );

    // The first input row is the header; later input rows carry its length.
    builder
        .when_first_row()
        .assert_zero(is_input.clone() * (one() - is_header));
    let next_is_input: AB::Expr = next.is_input.into();
    builder.when_transition().assert_zero(
        next_is_input.clone() * (one() - is_input.clone()) * (one() - next.is_header.into()),
    );
    builder.when_transition().assert_zero(
        next_is_input * is_input.clone() * (next.input_len.into() - local.input_len.into()),
    );

    // Every input doubleword starts before the end of the region.
    let to_end = AB::Expr::from_u32(16) + local.input_len.into()
        - one()
        - (local.dw_index.into() - header) * AB::Expr::from_u32(8);
    builder.when(is_input.clone()).assert_eq(
        local.to_input_end[0].into() + local.to_input_end[1].into() * base,
        to_end,
    );
    range_check(builder, local.to_input_end[0], 16, is_input.clone());
    range_check(builder, local.to_input_end[1], INPUT_LEN_HI_BITS, is_input);
}

impl Table for DynamicMemoryTable {
    fn name(&self) -> &str {
        "dynamic_memory"
    }
}
