//! The meaning of every RV64IM computation, as pure functions.
//!
//! The executor and the AIR tests both call these, so "what `mulhsu` computes" is written once.
//! All functions are `#[inline(always)]`: the interpreter calls them with constant operations and
//! relies on the `match` folding away.

use crate::opcode::{AluOp, BranchOp, LoadOp, MemWidth};

/// Sign-extends the low 32 bits of `value` to 64 bits (the result rule of every `*w` opcode).
#[inline(always)]
pub const fn sext32(value: u64) -> u64 {
    value as i32 as i64 as u64
}

/// Computes `op(a, b)`. For immediate forms pass the sign-extended immediate (or shift amount)
/// as `b`.
///
/// Division follows the RISC-V spec, which never traps: division by zero gives all ones
/// (quotient) and the dividend (remainder); the overflow `MIN / -1` gives `MIN` and remainder 0.
/// The `*w` forms operate on the low 32 bits and sign-extend the 32-bit result.
#[inline(always)]
pub const fn alu(op: AluOp, a: u64, b: u64) -> u64 {
    match op {
        AluOp::Add => a.wrapping_add(b),
        AluOp::Sub => a.wrapping_sub(b),
        AluOp::Sll => a << (b & 63),
        AluOp::Slt => ((a as i64) < (b as i64)) as u64,
        AluOp::Sltu => (a < b) as u64,
        AluOp::Xor => a ^ b,
        AluOp::Srl => a >> (b & 63),
        AluOp::Sra => ((a as i64) >> (b & 63)) as u64,
        AluOp::Or => a | b,
        AluOp::And => a & b,
        AluOp::Addw => sext32(a.wrapping_add(b)),
        AluOp::Subw => sext32(a.wrapping_sub(b)),
        AluOp::Sllw => sext32(((a as u32) << (b & 31)) as u64),
        AluOp::Srlw => sext32(((a as u32) >> (b & 31)) as u64),
        AluOp::Sraw => ((a as i32) >> (b & 31)) as i64 as u64,
        AluOp::Mul => a.wrapping_mul(b),
        AluOp::Mulh => (((a as i64 as i128) * (b as i64 as i128)) >> 64) as u64,
        AluOp::Mulhsu => (((a as i64 as i128).wrapping_mul(b as i128)) >> 64) as u64,
        AluOp::Mulhu => (((a as u128) * (b as u128)) >> 64) as u64,
        AluOp::Div => div_signed(a as i64, b as i64) as u64,
        AluOp::Divu => match b {
            0 => u64::MAX,
            _ => a / b,
        },
        AluOp::Rem => rem_signed(a as i64, b as i64) as u64,
        AluOp::Remu => match b {
            0 => a,
            _ => a % b,
        },
        AluOp::Mulw => sext32(a.wrapping_mul(b)),
        AluOp::Divw => div_signed(a as i32 as i64, b as i32 as i64) as i32 as i64 as u64,
        AluOp::Divuw => {
            let (a, b) = (a as u32, b as u32);
            sext32(match b {
                0 => u32::MAX,
                _ => a / b,
            } as u64)
        }
        AluOp::Remw => rem_signed(a as i32 as i64, b as i32 as i64) as i32 as i64 as u64,
        AluOp::Remuw => {
            let (a, b) = (a as u32, b as u32);
            sext32(match b {
                0 => a,
                _ => a % b,
            } as u64)
        }
    }
}

/// Signed division with the RISC-V results for a zero divisor and for overflow.
#[inline(always)]
const fn div_signed(a: i64, b: i64) -> i64 {
    match b {
        0 => -1,
        _ => a.wrapping_div(b),
    }
}

/// Signed remainder with the RISC-V results for a zero divisor and for overflow.
#[inline(always)]
const fn rem_signed(a: i64, b: i64) -> i64 {
    match b {
        0 => a,
        _ => a.wrapping_rem(b),
    }
}

/// Whether a branch with condition `op` on register values `a` (rs1) and `b` (rs2) is taken.
#[inline(always)]
pub const fn branch_taken(op: BranchOp, a: u64, b: u64) -> bool {
    match op {
        BranchOp::Eq => a == b,
        BranchOp::Ne => a != b,
        BranchOp::Lt => (a as i64) < (b as i64),
        BranchOp::Ge => (a as i64) >= (b as i64),
        BranchOp::Ltu => a < b,
        BranchOp::Geu => a >= b,
    }
}

/// The register value a load produces from the `width` little-endian bytes read, given in the
/// low bits of `raw` (higher bits ignored).
#[inline(always)]
pub const fn extend_load(op: LoadOp, raw: u64) -> u64 {
    match (op.width, op.signed) {
        (MemWidth::Byte, true) => raw as i8 as i64 as u64,
        (MemWidth::Byte, false) => raw as u8 as u64,
        (MemWidth::Half, true) => raw as i16 as i64 as u64,
        (MemWidth::Half, false) => raw as u16 as u64,
        (MemWidth::Word, true) => raw as i32 as i64 as u64,
        (MemWidth::Word, false) => raw as u32 as u64,
        (MemWidth::Double, _) => raw,
    }
}

#[cfg(test)]
mod tests {
    //! One test per operation with its edge cases. Expected values are written out from the
    //! RISC-V unprivileged spec (chapter "M" table 7.1 for division), not computed by the code
    //! under test.

    use super::*;
    use AluOp::*;

    const MIN: u64 = i64::MIN as u64;
    const MAX: u64 = i64::MAX as u64;
    const NEG1: u64 = u64::MAX;
    const I32_MIN: u64 = i32::MIN as i64 as u64;

    fn check(op: AluOp, cases: &[(u64, u64, u64)]) {
        for &(a, b, expected) in cases {
            assert_eq!(alu(op, a, b), expected, "{op:?}({a:#x}, {b:#x})");
        }
    }

    #[test]
    fn add_sub_wrap() {
        check(
            Add,
            &[(1, 2, 3), (MAX, 1, MIN), (NEG1, 1, 0), (MIN, MIN, 0)],
        );
        check(Sub, &[(3, 2, 1), (0, 1, NEG1), (MIN, 1, MAX), (5, NEG1, 6)]);
    }

    #[test]
    fn shifts_use_low_six_bits() {
        check(
            Sll,
            &[
                (1, 63, MIN),
                (1, 64, 1),
                (3, 65, 6),
                (NEG1, 4, 0xffff_ffff_ffff_fff0),
            ],
        );
        check(Srl, &[(MIN, 63, 1), (NEG1, 64, NEG1), (NEG1, 60, 0xf)]);
        check(
            Sra,
            &[
                (MIN, 63, NEG1),
                (MIN, 1, 0xc000_0000_0000_0000),
                (MAX, 62, 1),
                (4, 66, 1),
            ],
        );
    }

    #[test]
    fn comparisons() {
        check(Slt, &[(NEG1, 0, 1), (0, NEG1, 0), (MIN, MAX, 1), (5, 5, 0)]);
        check(
            Sltu,
            &[(NEG1, 0, 0), (0, NEG1, 1), (MIN, MAX, 0), (5, 5, 0)],
        );
    }

    #[test]
    fn bitwise() {
        check(Xor, &[(0xff00, 0x0ff0, 0xf0f0), (NEG1, MIN, MAX)]);
        check(Or, &[(0xff00, 0x0ff0, 0xfff0), (0, 0, 0)]);
        check(And, &[(0xff00, 0x0ff0, 0x0f00), (NEG1, MIN, MIN)]);
    }

    #[test]
    fn word_forms_sign_extend_the_32_bit_result() {
        check(
            Addw,
            &[
                (0x7fff_ffff, 1, I32_MIN),
                (0xffff_ffff, 1, 0),
                (0x1_0000_0005, 0, 5),
            ],
        );
        check(
            Subw,
            &[
                (0, 1, NEG1),
                (I32_MIN, 1, 0x7fff_ffff),
                (0x1_0000_0000, 0, 0),
            ],
        );
        check(
            Sllw,
            &[(1, 31, I32_MIN), (1, 32, 1), (0xffff_ffff_0000_0001, 1, 2)],
        );
        check(
            Srlw,
            &[
                (I32_MIN, 31, 1),
                (0xffff_ffff, 0, NEG1),
                (0xffff_ffff, 32, NEG1),
            ],
        );
        check(
            Sraw,
            &[
                (0x8000_0000, 31, NEG1),
                (0x8000_0000, 32, I32_MIN),
                (0x7fff_ffff, 30, 1),
            ],
        );
        check(
            Mulw,
            &[
                (0x1_0000, 0x1_0000, 0),
                (0x8000, 0x1_0000, I32_MIN),
                (NEG1, NEG1, 1),
            ],
        );
    }

    #[test]
    fn multiplication_high_halves() {
        check(
            Mul,
            &[(MAX, 2, NEG1 - 1), (NEG1, NEG1, 1), (MIN, NEG1, MIN)],
        );
        check(
            Mulh,
            &[
                (NEG1, NEG1, 0),
                (MIN, MIN, 0x4000_0000_0000_0000),
                (MIN, 1, NEG1),
                (MAX, MAX, 0x3fff_ffff_ffff_ffff),
            ],
        );
        // mulhsu: rs1 signed, rs2 unsigned.
        check(
            Mulhsu,
            &[
                (NEG1, NEG1, NEG1),
                (1, NEG1, 0),
                (MIN, NEG1, MIN),
                (2, MIN, 1),
            ],
        );
        check(Mulhu, &[(NEG1, NEG1, NEG1 - 1), (MIN, 2, 1), (MAX, 2, 0)]);
    }

    #[test]
    fn division_edge_cases_follow_the_spec() {
        check(
            Div,
            &[
                (7, 2, 3),
                ((-7i64) as u64, 2, (-3i64) as u64),
                (5, 0, NEG1),
                (MIN, NEG1, MIN),
            ],
        );
        check(
            Divu,
            &[(7, 2, 3), (5, 0, NEG1), (NEG1, 2, MAX), (MIN, NEG1, 0)],
        );
        check(
            Rem,
            &[
                (7, 2, 1),
                ((-7i64) as u64, 2, NEG1),
                (5, 0, 5),
                (MIN, NEG1, 0),
                (7, (-2i64) as u64, 1),
            ],
        );
        check(Remu, &[(7, 2, 1), (5, 0, 5), (NEG1, 10, 5)]);
    }

    #[test]
    fn word_division_edge_cases_follow_the_spec() {
        check(
            Divw,
            &[
                (I32_MIN, NEG1, I32_MIN),
                (5, 0, NEG1),
                (0xffff_ffff_0000_0007, 2, 3),
                ((-7i64) as u64, 2, (-3i64) as u64),
            ],
        );
        // divuw: a 32-bit all-ones quotient sign-extends to 64 ones.
        check(
            Divuw,
            &[
                (5, 0, NEG1),
                (0xffff_fffe, 1, 0xffff_ffff_ffff_fffe),
                (0x1_0000_0008, 2, 4),
            ],
        );
        check(
            Remw,
            &[
                (I32_MIN, NEG1, 0),
                (5, 0, 5),
                (0x1_8000_0000, 0, I32_MIN),
                ((-7i64) as u64, 2, NEG1),
            ],
        );
        // remuw by zero returns the (sign-extended) low 32 bits of the dividend.
        check(
            Remuw,
            &[
                (0x8000_0005, 0, 0xffff_ffff_8000_0005),
                (0x1_0000_0007, 4, 3),
                (0xffff_ffff, 0x10, 0xf),
            ],
        );
    }

    #[test]
    fn branches() {
        use BranchOp::*;
        let cases = [
            (Eq, 5, 5, true),
            (Eq, 5, 6, false),
            (Ne, 5, 6, true),
            (Lt, NEG1, 0, true),
            (Lt, 0, NEG1, false),
            (Ge, 0, NEG1, true),
            (Ge, MIN, MIN, true),
            (Ltu, 0, NEG1, true),
            (Ltu, NEG1, 0, false),
            (Geu, NEG1, 0, true),
            (Geu, 0, 1, false),
        ];
        for (op, a, b, taken) in cases {
            assert_eq!(branch_taken(op, a, b), taken, "{op:?}({a:#x}, {b:#x})");
        }
    }

    #[test]
    fn loads_extend_by_signedness() {
        use MemWidth::*;
        let load = |width, signed| LoadOp { width, signed };
        let raw = 0x8180_8080_8080_80f0;
        assert_eq!(extend_load(load(Byte, true), raw), 0xffff_ffff_ffff_fff0);
        assert_eq!(extend_load(load(Byte, false), raw), 0xf0);
        assert_eq!(extend_load(load(Half, true), raw), 0xffff_ffff_ffff_80f0);
        assert_eq!(extend_load(load(Half, false), raw), 0x80f0);
        assert_eq!(extend_load(load(Word, true), raw), 0xffff_ffff_8080_80f0);
        assert_eq!(extend_load(load(Word, false), raw), 0x8080_80f0);
        assert_eq!(extend_load(load(Double, true), raw), raw);
        assert_eq!(extend_load(load(Word, true), 0x7fff_ffff), 0x7fff_ffff);
    }
}
