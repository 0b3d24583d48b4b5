//! The POSEIDON2 precompile ([`droste_isa::abi::syscall::POSEIDON2`]): Poseidon2 over the 16
//! KoalaBear words at `a0`, in place, with Plonky3's published width-16 constants (the same
//! permutation as `droste_pcs::hash::Perm`); and POSEIDON2_FROM
//! ([`droste_isa::abi::syscall::POSEIDON2_FROM`]), whose input takes one half of the state from
//! the 8 words at `a2`.
//!
//! The words are either canonical integers or Montgomery forms (`x * 2^32 mod p`, the bytes of a
//! Plonky3 `[KoalaBear; 16]`); both are below `p`, and anything else ends the run with an error,
//! because the machine proves exactly what the executor accepts.

use std::sync::OnceLock;

use droste_isa::abi::poseidon2::{
    CANONICAL, HALF, HALF_BYTES, MODULUS, MONTGOMERY, SECOND_HALF, STATE_ALIGN, STATE_BYTES, WIDTH,
};
use droste_isa::abi::{syscall, PROGRAM_START, STACK_TOP};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::{default_koalabear_poseidon2_16, KoalaBear, Poseidon2KoalaBear};
use p3_symmetric::Permutation;

use crate::error::ExecError;
use crate::machine::Machine;
use crate::memory::in_ram;
use crate::record::{try_push, ExecutionRecord, Poseidon2Event, Poseidon2Source};

/// The Montgomery factor `2^32 mod p`: a Montgomery word is the field element times it.
pub fn montgomery_factor() -> KoalaBear {
    KoalaBear::from_u64(1 << 32)
}

/// The field element a state word stands for (`word < p`).
pub fn word_to_field(word: u32, montgomery: bool) -> KoalaBear {
    let x = KoalaBear::from_u32(word);
    if montgomery {
        x * montgomery_factor().inverse()
    } else {
        x
    }
}

/// The state word of a field element.
pub fn field_to_word(x: KoalaBear, montgomery: bool) -> u32 {
    if montgomery {
        (x * montgomery_factor()).as_canonical_u32()
    } else {
        x.as_canonical_u32()
    }
}

/// Poseidon2 of the state `words` in the given representation (every word below `p`).
pub fn permute_words(words: &[u32; WIDTH], montgomery: bool) -> [u32; WIDTH] {
    static PERM: OnceLock<Poseidon2KoalaBear<WIDTH>> = OnceLock::new();
    let perm = PERM.get_or_init(default_koalabear_poseidon2_16);
    let state = perm.permute(words.map(|w| word_to_field(w, montgomery)));
    state.map(|x| field_to_word(x, montgomery))
}

impl Machine<'_> {
    /// Permutes the state at `addr` in the representation `mode` (POSEIDON2), or with one half
    /// of its input read at `source` (POSEIDON2_FROM, whose `mode` also names the half),
    /// recording the call.
    pub(crate) fn poseidon2<const RECORD: bool>(
        &mut self,
        pc: u64,
        clk: u64,
        (addr, mode): (u64, u64),
        source: Option<u64>,
        record: &mut ExecutionRecord,
    ) -> Result<(), ExecError> {
        let bad = |reason: String| ExecError::BadSyscall {
            pc,
            syscall: if source.is_some() {
                "POSEIDON2_FROM"
            } else {
                "POSEIDON2"
            },
            reason,
        };
        let halves = if source.is_some() { SECOND_HALF } else { 0 };
        let (montgomery, second_half) = match mode {
            m if m & !(MONTGOMERY | halves) == 0 => (m & MONTGOMERY != 0, m & SECOND_HALF != 0),
            other if source.is_some() => {
                let reason = format!(
                    "a1 = {other} is neither a representation (canonical {CANONICAL}, Montgomery {MONTGOMERY}) nor one plus SECOND_HALF ({SECOND_HALF})"
                );
                return Err(bad(reason));
            }
            other => {
                let reason = format!(
                    "representation a1 = {other} is neither canonical ({CANONICAL}) nor Montgomery ({MONTGOMERY})"
                );
                return Err(bad(reason));
            }
        };
        if addr % STATE_ALIGN != 0 {
            let reason = format!("state address {addr:#x} is not {STATE_ALIGN}-byte aligned");
            return Err(bad(reason));
        }
        self.memory
            .check_writable(addr, STATE_BYTES)
            .map_err(|f| f.at(pc))?;
        let source = match source {
            Some(src) => Some(self.read_source(pc, src, &bad)?),
            None => None,
        };
        let mut bytes = Vec::with_capacity(STATE_BYTES as usize);
        self.memory
            .read_bytes(addr, STATE_BYTES, &mut bytes)
            .map_err(|f| f.at(pc))?;
        let input: [u32; WIDTH] = core::array::from_fn(|i| le_word(&bytes, i));
        // The half the source replaces is not read as field elements.
        let replaced = match (&source, second_half) {
            (None, _) => 0..0,
            (Some(_), false) => 0..HALF,
            (Some(_), true) => HALF..WIDTH,
        };
        let mut state = input;
        if let Some((_, words)) = &source {
            state[replaced.clone()].copy_from_slice(words);
        }
        for (i, &word) in input.iter().enumerate() {
            if !replaced.contains(&i) && word >= MODULUS {
                let reason = format!(
                    "word {i} of the state is {word:#x}, not below the KoalaBear modulus {MODULUS:#x}"
                );
                return Err(bad(reason));
            }
        }
        let output = permute_words(&state, montgomery);
        let out_bytes: Vec<u8> = output.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.memory
            .write_bytes(addr, &out_bytes)
            .map_err(|f| f.at(pc))?;
        if RECORD {
            let event = Poseidon2Event {
                clk,
                pc: pc as u32,
                addr: addr as u32,
                montgomery,
                input,
                source: source.map(|(addr, words)| Poseidon2Source {
                    addr,
                    second_half,
                    words,
                }),
                output,
            };
            try_push(&mut record.poseidon2, event)
                .map_err(|_| ExecError::RecordTooLarge { pc, cycles: clk })?;
        }
        Ok(())
    }

    /// POSEIDON2_FROM's 8 source words at `addr`: aligned, in RAM (the machine reads them as RAM
    /// cells), each below `p`.
    fn read_source(
        &mut self,
        pc: u64,
        addr: u64,
        bad: &impl Fn(String) -> ExecError,
    ) -> Result<(u32, [u32; HALF]), ExecError> {
        if addr % STATE_ALIGN != 0 {
            let reason = format!("source address {addr:#x} is not {STATE_ALIGN}-byte aligned");
            return Err(bad(reason));
        }
        if !in_ram(addr, HALF_BYTES) {
            let reason = format!(
                "the source at {addr:#x} is not in RAM [{PROGRAM_START:#x}, {STACK_TOP:#x})"
            );
            return Err(bad(reason));
        }
        let mut bytes = Vec::with_capacity(HALF_BYTES as usize);
        self.memory
            .read_bytes(addr, HALF_BYTES, &mut bytes)
            .map_err(|f| f.at(pc))?;
        let words: [u32; HALF] = core::array::from_fn(|i| le_word(&bytes, i));
        if let Some(i) = words.iter().position(|&w| w >= MODULUS) {
            let reason = format!(
                "source word {i} is {:#x}, not below the KoalaBear modulus {MODULUS:#x}",
                words[i]
            );
            return Err(bad(reason));
        }
        Ok((addr as u32, words))
    }
}

/// Word `i` of little-endian `bytes`.
fn le_word(bytes: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes"))
}

/// The name of precompile `number` (`None` for the other system calls), for the profile.
pub(crate) fn precompile_name(number: u64) -> Option<&'static str> {
    match number {
        syscall::POSEIDON2 | syscall::POSEIDON2_FROM => Some("poseidon2"),
        syscall::EXT_COMBINE => Some("ext_combine"),
        _ => None,
    }
}
