//! Decoding and encoding are exact inverses on every word droste accepts.

use droste_isa::{decode, encode, Format, Instruction, Opcode};

/// SplitMix64: a tiny deterministic generator, so this no-dependency crate needs no RNG crate.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[test]
fn every_accepted_word_re_encodes_to_itself() {
    let mut rng = SplitMix(1);
    let mut accepted = [0u32; Opcode::COUNT];
    for _ in 0..2_000_000 {
        // Force the low two bits to 0b11 most of the time so that most words reach the decoder's
        // interesting paths.
        let word = rng.next() as u32 | 0b11;
        if let Ok(instruction) = decode(word) {
            accepted[instruction.opcode as usize] += 1;
            assert_eq!(encode(&instruction), Ok(word), "{instruction:?}");
        }
    }
    for op in Opcode::ALL {
        if !matches!(op, Opcode::Ecall | Opcode::Ebreak) {
            assert!(
                accepted[op as usize] > 0,
                "{op:?} never produced by random words"
            );
        }
    }
}

fn random_instruction(rng: &mut SplitMix, opcode: Opcode) -> Instruction {
    let reg = |value: u64| (value % 32) as u8;
    let signed = |value: u64, bits: u32| ((value as i64) << (64 - bits) >> (64 - bits)) as i32;
    let (rd, rs1, rs2) = (reg(rng.next()), reg(rng.next()), reg(rng.next()));
    let value = rng.next();
    match opcode.format() {
        Format::R => Instruction::r(opcode, rd, rs1, rs2),
        Format::I => Instruction::i(opcode, rd, rs1, signed(value, 12)),
        Format::Shift => {
            let width = if matches!(opcode, Opcode::Slli | Opcode::Srli | Opcode::Srai) {
                64
            } else {
                32
            };
            Instruction::i(opcode, rd, rs1, (value % width) as i32)
        }
        Format::S => Instruction::s(opcode, rs1, rs2, signed(value, 12)),
        Format::B => Instruction::s(opcode, rs1, rs2, signed(value, 13) & !1),
        Format::U => Instruction::u(opcode, rd, (value as i32) & !0xfff),
        Format::J => Instruction::u(opcode, rd, signed(value, 21) & !1),
        Format::Fence => Instruction::fence(),
        Format::System => Instruction::system(opcode),
    }
}

#[test]
fn every_opcode_round_trips_with_random_operands() {
    let mut rng = SplitMix(2);
    for op in Opcode::ALL {
        for _ in 0..1000 {
            let instruction = random_instruction(&mut rng, op);
            let word = encode(&instruction).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(decode(word), Ok(instruction), "{word:#010x}");
        }
    }
}
