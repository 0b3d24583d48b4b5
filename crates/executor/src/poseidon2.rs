//! The POSEIDON2 precompile ([`droste_isa::abi::syscall::POSEIDON2`]): Poseidon2 over the 16
//! KoalaBear words at `a0`, in place, with Plonky3's published width-16 constants (the same
//! permutation as `droste_pcs::hash::Perm`).
//!
//! The words are either canonical integers or Montgomery forms (`x * 2^32 mod p`, the bytes of a
//! Plonky3 `[KoalaBear; 16]`); both are below `p`, and anything else ends the run with an error,
//! because the machine proves exactly what the executor accepts.

use std::sync::OnceLock;

use droste_isa::abi::poseidon2::{MODULUS, MONTGOMERY, STATE_ALIGN, STATE_BYTES, WIDTH};
use droste_isa::abi::{poseidon2::CANONICAL, syscall};
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::{default_koalabear_poseidon2_16, KoalaBear, Poseidon2KoalaBear};
use p3_symmetric::Permutation;

use crate::error::ExecError;
use crate::machine::Machine;
use crate::record::{try_push, ExecutionRecord, Poseidon2Event};

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

fn bad(pc: u64, reason: String) -> ExecError {
    ExecError::BadSyscall {
        pc,
        syscall: "POSEIDON2",
        reason,
    }
}

impl Machine<'_> {
    /// Permutes the state at `addr` in the representation `mode`, recording the call.
    pub(crate) fn poseidon2<const RECORD: bool>(
        &mut self,
        pc: u64,
        clk: u64,
        addr: u64,
        mode: u64,
        record: &mut ExecutionRecord,
    ) -> Result<(), ExecError> {
        let montgomery = match mode {
            CANONICAL => false,
            MONTGOMERY => true,
            other => {
                let reason = format!(
                    "representation a1 = {other} is neither canonical ({CANONICAL}) nor Montgomery ({MONTGOMERY})"
                );
                return Err(bad(pc, reason));
            }
        };
        if addr % STATE_ALIGN != 0 {
            let reason = format!("state address {addr:#x} is not {STATE_ALIGN}-byte aligned");
            return Err(bad(pc, reason));
        }
        self.memory
            .check_writable(addr, STATE_BYTES)
            .map_err(|f| f.at(pc))?;
        let mut bytes = Vec::with_capacity(STATE_BYTES as usize);
        self.memory
            .read_bytes(addr, STATE_BYTES, &mut bytes)
            .map_err(|f| f.at(pc))?;
        let mut input = [0u32; WIDTH];
        for (i, (word, chunk)) in input.iter_mut().zip(bytes.chunks_exact(4)).enumerate() {
            *word = u32::from_le_bytes(chunk.try_into().expect("4 bytes"));
            if *word >= MODULUS {
                let reason = format!(
                    "word {i} of the state is {word:#x}, not below the KoalaBear modulus {MODULUS:#x}"
                );
                return Err(bad(pc, reason));
            }
        }
        let output = permute_words(&input, montgomery);
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
                output,
            };
            try_push(&mut record.poseidon2, event)
                .map_err(|_| ExecError::RecordTooLarge { pc, cycles: clk })?;
        }
        Ok(())
    }
}

/// The name of precompile `number` (`None` for the other system calls), for the profile.
pub(crate) fn precompile_name(number: u64) -> Option<&'static str> {
    match number {
        syscall::POSEIDON2 => Some("poseidon2"),
        syscall::EXT_COMBINE => Some("ext_combine"),
        _ => None,
    }
}
