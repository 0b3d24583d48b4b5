//! droste-machine: the RV64IM machine of droste as STARK tables connected by LogUp buses, their
//! trace generation from executor records, and the machine-level setup / prove / verify.
//!
//! # Two halves
//!
//! - Always (`no_std` + `alloc`): the tables (constraints, bus interactions, and how a row is
//!   filled from an event), the verifying key ([`key`]) and the verifier ([`verify`]). This is
//!   what the recursion guest links: [`verify_archived`] reads a key and a proof in place.
//! - With the `prover` feature (default): [`prover`], which runs the executor, builds every
//!   table's trace from the execution record in parallel, and proves. The guest build leaves it
//!   out, so the guest has no executor, ELF parser, rayon or witness builder.
//!
//! The design (which tables, which buses, why they are sound) is `docs/machine.md`; the column
//! list of every table, generated from the column structs, is `docs/machine-tables.md`.
//!
//! # How to add a chip
//!
//! An instruction chip proves the executions of some opcodes. Each row is one instruction: the
//! frame parts its instructions use ([`frame::StepCols`] for the state token and the ROM fetch,
//! [`frame::ReadCols`] per register read, [`frame::WriteCols`] for the write of `rd`, or one of
//! the ALU frames [`frame::RegFrameCols`] / [`frame::ImmFrameCols`]) followed by the family's
//! own columns. To add one (see [`chips::add_sub`] for a complete example):
//!
//! 1. **Family and controls.** Add a [`fetch::Family`] for the chip's opcodes and, if its rows
//!    need to tell its opcodes apart, a `controls(op)` function giving the ROM's control values
//!    (e.g. `[is_sub, is_word]`), called from [`fetch::RomEntry::of`]. The ROM is trusted, so
//!    control columns need no constraints of their own: sending them in the fetch binds them.
//! 2. **Columns.** Declare the row with [`columns!`], frame first:
//!    ```ignore
//!    droste_machine::columns! {
//!        pub struct MulCols<T> {
//!            pub frame: RegFrameCols<T>,
//!            pub is_high: T,         // a ROM control
//!            pub product: [T; 8],    // the family's own columns
//!        }
//!    }
//!    ```
//!    `MulCols::<u8>::WIDTH` is the column count, `MulCols::<Col>::names()` the names.
//! 3. **Constraints and interactions in one `eval`**, generic over [`bus::MachineBuilder`]:
//!    ```ignore
//!    impl<AB: MachineBuilder> Air<AB> for MulChip {
//!        fn eval(&self, builder: &mut AB) {
//!            let main = builder.main();
//!            let local: &MulCols<AB::Var> = main.current_slice().borrow();
//!            // constrain frame.rd.value from frame.rs1.value and frame.operand(),
//!            // range-check every limb of frame.rd.value you produce:
//!            //     lookup::range_check(builder, limb, 16, frame.step.is_real);
//!            // byte operations: lookup::byte_op(builder, ByteOp::Xor, a, b, c, mult);
//!            let fetch = Fetch::new(Family::Mul).with_controls([local.is_high.into()]);
//!            local.frame.eval(builder, fetch); // registers, ROM fetch, next pc = pc + 4
//!        }
//!    }
//!    droste_machine::impl_table!(MulChip, "mul");
//!    ```
//!    Every constraint must hold on an all-zero padding row (guard with `builder.when(is_real)`
//!    or make it vanish at zero), and every send that matters must have multiplicity 0 there.
//!    Keep the degree at most 3 (the fast preset's blowup of 2 allows no more); `builder.send`
//!    / `receive` tuples of degree 1 pack two per LogUp column, degree 2 ones take a column
//!    alone, so keep tuples linear and the number of interactions even.
//! 4. **Trace generation.** Implement [`chips::InstructionChip`]: `opcodes()` and
//!    `generate_trace(events, lookups)`; for one row per event, [`impl_instruction_chip!`]
//!    `(MulChip, MulCols, OPCODES, populate)` writes it from a `populate(cols, event, lookups)`
//!    that starts with `cols.frame.populate(event, lookups)`. Record exactly the lookups `eval`
//!    sends with a non-zero multiplicity (`lookups.range(x, 16)`, `lookups.byte(ByteOp::Xor, a,
//!    b)`), or the range/byte tables will not balance. The result of the instruction is
//!    `event.result` (computed with `droste_isa::alu`), its operands `event.rs1_value` and
//!    `event.operand_b()`.
//! 5. **Register** it: one line in [`chips::instruction_chips`].
//! 6. **Test** it: honest programs prove and verify (`tests/`), and a corrupted witness (a wrong
//!    result limb, a control that is not the program's, a wrong carry) is caught by the row
//!    checker of `gadgets::row_check` (which also checks the fetch against the ROM), by the
//!    debug checker ([`droste_stark::check_constraints`]) and rejected by a full prove/verify.
//!
//! # Conventions
//!
//! - A 64-bit value is a [`Word`] of four little-endian 16-bit limbs.
//! - Bus ids and tuple layouts are all in [`bus`]; range widths and byte operations in
//!   [`lookup`].
//! - Memory cells are accessed only through [`memory_access::MemoryAccess`] with the timestamp
//!   slots of [`memory_access::slot`].

#![cfg_attr(not(feature = "prover"), no_std)]

#[macro_use]
extern crate alloc;

pub mod bus;
pub mod chips;
pub mod columns;
mod error;
pub mod events;
pub mod fetch;
pub mod frame;
pub mod gadgets;
pub mod key;
pub mod lookup;
pub mod lookup_tables;
pub mod memory_access;
pub mod memory_tables;
pub mod overflow;
pub mod paged_memory;
pub mod program;
pub mod proof;
pub mod shard;
pub mod tables;
pub mod tables_doc;
pub mod trace;
pub mod verify;

#[cfg(feature = "prover")]
pub mod prover;

pub use columns::Word;
pub use error::MachineError;
pub use key::{program_digest, public_endpoints, ProofOptions, PublicValues, VerifyingKey};
pub use proof::MachineProof;
pub use shard::{verify_shard_bytes, ShardProof, ShardStatement};
pub use tables::MachineTables;
pub use verify::{verify, verify_archived, verify_bytes};

#[cfg(feature = "prover")]
pub use prover::cost::{BucketCost, ProvingCost, TableCost};
#[cfg(feature = "prover")]
pub use prover::heights::{shard_row_limits, whole_run_row_limits};
#[cfg(feature = "prover")]
pub use prover::{max_table_height, MachineProver, ProvingKey, MAX_CYCLES};
