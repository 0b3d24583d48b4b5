//! The one-hot opcode selector of a chip: one boolean column per opcode, exactly one set on a
//! real row and none on padding, and the opcode the row fetches from the ROM as their weighted
//! sum. Since the ROM only holds real instructions, a row can only prove the opcode the program
//! has at its `pc`.

use droste_isa::Opcode;
use droste_stark::Val;
use p3_field::PrimeCharacteristicRing;

use crate::bus::MachineBuilder;

/// Constrains `selectors` (in the order of `opcodes`) to be one-hot on real rows and zero on
/// padding, and returns the opcode expression `sum(selector_i * opcodes[i])`.
pub fn eval<AB: MachineBuilder>(
    builder: &mut AB,
    selectors: &[AB::Var],
    opcodes: &[Opcode],
    is_real: AB::Var,
) -> AB::Expr {
    debug_assert_eq!(selectors.len(), opcodes.len());
    let mut selected = AB::Expr::ZERO;
    let mut opcode = AB::Expr::ZERO;
    for (&s, &op) in selectors.iter().zip(opcodes) {
        builder.assert_bool(s);
        selected += s.into();
        opcode += s.into() * AB::Expr::from_u8(op as u8);
    }
    builder.assert_eq(selected, is_real);
    opcode
}

/// Sets the selector of `op` (which must be one of `opcodes`).
pub fn populate(selectors: &mut [Val], opcodes: &[Opcode], op: Opcode) {
    let index = opcodes
        .iter()
        .position(|&o| o == op)
        .unwrap_or_else(|| panic!("{op:?} is not an opcode of this chip"));
    selectors[index] = Val::ONE;
}

/// The sum of the selectors of the opcodes in `subset` (a boolean flag of degree 1).
pub fn any_of<AB: MachineBuilder>(
    selectors: &[AB::Var],
    opcodes: &[Opcode],
    subset: &[Opcode],
) -> AB::Expr {
    selectors
        .iter()
        .zip(opcodes)
        .filter(|(_, op)| subset.contains(op))
        .map(|(&s, _)| s.into())
        .sum()
}
