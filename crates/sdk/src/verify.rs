//! Verifying proofs against a guest, and the guest's verifying-key digest.
//!
//! A proof carries the options it was made with and the digest of its verifying key, which
//! binds them. [`verify`] accepts only the presets' options (a proof's own claim about its
//! parameters must never lower the security the verifier gets): it derives the guest's key under
//! the proof's preset, and the machine verifier checks the digest and options against that key.
//! A proof under options no preset uses needs [`Verifier`] with those options, chosen by the
//! caller.
//!
//! A valid proof says how the guest ended. Like a RISC Zero receipt, it is accepted by default
//! only when the guest exited with code 0: a proof that a program panicked (exit code 101) is
//! valid, but treating it as a successful run would be a mistake the caller did not ask for.
//! [`verify_exit_code`] and [`Verifier::exit_code`] accept another code.

use std::fmt;

use droste_executor::ElfError;
use droste_isa::abi::PANIC_EXIT_CODE;
use droste_machine::{MachineError, MachineProver, ProofOptions, PublicValues, VerifyingKey};
use droste_zkvm::recursion::Statement;
use rkyv::util::AlignedVec;

use crate::{Guest, ProveError};

/// The presets [`verify`] accepts, with their names.
pub const PRESETS: [(&str, ProofOptions); 2] = [
    ("default", ProofOptions::secure()),
    ("fast", ProofOptions::fast()),
];

/// A verifying key's digest: eight field elements, shown as 64 hex digits (each element's 4
/// bytes little-endian, in order).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VkeyDigest(pub [u32; 8]);

impl fmt::Display for VkeyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for word in self.0 {
            write!(f, "{}", hex::encode(word.to_le_bytes()))?;
        }
        Ok(())
    }
}

impl fmt::Debug for VkeyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VkeyDigest({self})")
    }
}

/// Why a proof was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The ELF file is not a droste program.
    #[error("cannot load guest ELF: {0}")]
    Elf(#[from] ElfError),
    /// Deriving the guest's verifying key failed.
    #[error("setting up the guest's key: {0}")]
    Setup(MachineError),
    /// The bytes are not a machine proof (wrong magic or version, malformed archive).
    #[error("not a droste proof: {0}")]
    Format(MachineError),
    /// The proof is for another program (or was made under other options).
    #[error(
        "the proof is for another program: its vkey digest is {proof}, this guest's is {guest} \
         ({options})"
    )]
    WrongProgram {
        /// The digest the proof carries.
        proof: VkeyDigest,
        /// The guest's digest under the options verified against.
        guest: VkeyDigest,
        /// Those options: "<name> preset", or "given options".
        options: String,
    },
    /// The proof was made under options that are not a preset; [`verify`] does not take a
    /// proof's word for its own security.
    #[error(
        "the proof uses options that are no preset (log_blowup {}, {} queries, {} bits of proof of \
         work, folding arity 2^{}, final polynomial of up to 2^{} coefficients): only the presets \
         are accepted (a proof made under an older version's presets has to be made again)",
        .0.log_blowup, .0.num_queries, .0.query_pow_bits, .0.log_folding_arity,
        .0.log_final_poly_len
    )]
    NotAPreset(droste_pcs::FriParameters),
    /// The proof does not verify.
    #[error(transparent)]
    Invalid(MachineError),
    /// The recursion guest's keys could not be derived from its shipped ELF.
    #[error("deriving the recursion guest's keys: {0}")]
    Recursion(crate::ProveError),
    /// The proof is not one of the recursion guest (a compressed or aggregated proof).
    #[error(
        "the proof is not an aggregated proof (its vkey digest {0} is not the recursion \
         guest's): verify it against its one guest"
    )]
    NotAnAggregate(VkeyDigest),
    /// A compressed proof must prove exactly one statement to stand for one guest's proof.
    #[error(
        "the proof aggregates {0} statements; verify it as an aggregate (droste verify with one \
         guest per statement)"
    )]
    NotOneStatement(usize),
    /// A proof of the recursion guest committed something that is not a consistent aggregate.
    #[error("the aggregate proof's statements are malformed: {0}")]
    Aggregate(droste_zkvm::recursion::UnwrapError),
    /// The proof is valid, but of a run that ended with another exit code than the one accepted.
    #[error("the proof is valid but proves exit code {proved}{}, not {accepted}", panic_note(*.proved))]
    ExitCode {
        /// The exit code the proof proves.
        proved: u32,
        /// The exit code accepted.
        accepted: u32,
    },
}

/// What an exit code says beyond its number.
fn panic_note(code: u32) -> &'static str {
    if code == PANIC_EXIT_CODE {
        " (the guest panicked)"
    } else {
        ""
    }
}

/// A guest's verifying key under one set of options, and the exit code it accepts (0 unless
/// [`Verifier::exit_code`] says otherwise).
pub struct Verifier {
    vk: VerifyingKey,
    options: String,
    exit_code: u32,
}

impl Verifier {
    /// Derives the verifying key of `guest` under `options`.
    pub fn new<'a>(
        guest: impl Into<Guest<'a>>,
        options: ProofOptions,
    ) -> Result<Self, VerifyError> {
        let program = guest.into().load()?;
        let (_, vk) = MachineProver::setup(&program, options).map_err(VerifyError::Setup)?;
        let options = preset_name(options.fri).map_or_else(
            || "given options".to_string(),
            |name| format!("{name} preset"),
        );
        Ok(Self {
            vk,
            options,
            exit_code: 0,
        })
    }

    /// Accepts proofs of runs that ended with exit code `code` instead of 0 (and only those):
    /// for example 101, the exit code of a guest that panicked.
    pub fn exit_code(mut self, code: u32) -> Self {
        self.exit_code = code;
        self
    }

    /// The key's digest.
    pub fn vkey(&self) -> Result<VkeyDigest, VerifyError> {
        self.vk
            .digest_words()
            .map(VkeyDigest)
            .map_err(VerifyError::Setup)
    }

    /// Verifies `proof` (machine proof bytes, any alignment) and returns what it proves; a
    /// valid proof of a run with another exit code than the one accepted is
    /// [`VerifyError::ExitCode`].
    pub fn verify(&self, proof: &[u8]) -> Result<PublicValues, VerifyError> {
        let public = self.verify_any_exit_code(proof)?;
        if public.exit_code != self.exit_code {
            return Err(VerifyError::ExitCode {
                proved: public.exit_code,
                accepted: self.exit_code,
            });
        }
        Ok(public)
    }

    fn verify_any_exit_code(&self, proof: &[u8]) -> Result<PublicValues, VerifyError> {
        droste_machine::verify(&self.vk, proof).map_err(|err| match err {
            MachineError::Format(_) => VerifyError::Format(err),
            MachineError::WrongKey => match (proof_vkey(proof), self.vkey()) {
                (Ok(proof), Ok(guest)) => VerifyError::WrongProgram {
                    proof,
                    guest,
                    options: self.options.clone(),
                },
                (Err(format), _) | (_, Err(format)) => format,
            },
            other => VerifyError::Invalid(other),
        })
    }
}

/// What verified public values prove, as the statement a guest gets from verifying the same
/// proof (`droste_zkvm::verify`): the form in which recursion guests commit statements, so that
/// a host checks theirs with the same code.
pub fn statement(public: PublicValues) -> Statement {
    Statement {
        vkey_digest: public.vkey_digest,
        exit_code: public.exit_code,
        public_output: public.public_output,
    }
}

/// The verifying-key digest a proof carries (not verified: read from its header fields).
pub fn proof_vkey(proof: &[u8]) -> Result<VkeyDigest, VerifyError> {
    let aligned = aligned(proof);
    let archived = droste_machine::proof::access(&aligned).map_err(VerifyError::Format)?;
    Ok(VkeyDigest(
        archived.vkey_digest.map(|word| word.to_native()),
    ))
}

/// The options a proof says it was made with (not verified: the verifier checks them against
/// its key).
pub fn proof_options(proof: &[u8]) -> Result<ProofOptions, VerifyError> {
    let aligned = aligned(proof);
    let archived = droste_machine::proof::access(&aligned).map_err(VerifyError::Format)?;
    Ok(ProofOptions {
        fri: droste_pcs::FriParameters::from(&archived.fri),
    })
}

/// The name of the preset whose options are `fri`, if any.
pub fn preset_name(fri: droste_pcs::FriParameters) -> Option<&'static str> {
    PRESETS
        .iter()
        .find(|(_, options)| options.fri == fri)
        .map(|&(name, _)| name)
}

/// The options of the preset named `name` (`"default"` or `"fast"`), if there is one.
pub fn preset(name: &str) -> Option<ProofOptions> {
    PRESETS
        .iter()
        .find(|(preset, _)| *preset == name)
        .map(|&(_, options)| options)
}

/// Verifies `proof` against `guest` under the key of the preset the proof was made with, and
/// returns the public values it proves. Proofs under options no preset uses are refused, and so
/// are valid proofs of runs that did not exit with code 0 ([`VerifyError::ExitCode`]).
///
/// A compressed proof of the guest (a proof of the recursion guest proving exactly one
/// statement, [`crate::recursion::compress`]) is accepted like the original: the public values
/// are the inner statement's, whose key digest must be the guest's under one of the presets.
pub fn verify<'a>(proof: &[u8], guest: impl Into<Guest<'a>>) -> Result<PublicValues, VerifyError> {
    verify_exit_code(proof, guest, 0)
}

/// [`verify`], accepting the proofs of runs that ended with `exit_code` (and only those).
pub fn verify_exit_code<'a>(
    proof: &[u8],
    guest: impl Into<Guest<'a>>,
    exit_code: u32,
) -> Result<PublicValues, VerifyError> {
    let options = proof_options(proof)?;
    if preset_name(options.fri).is_none() {
        return Err(VerifyError::NotAPreset(options.fri));
    }
    let program = guest.into().load()?;
    let verifier = Verifier::new(program.as_ref(), options)?.exit_code(exit_code);
    let guest_vkey = verifier.vkey()?;
    if proof_vkey(proof)? != guest_vkey && crate::recursion::is_aggregate(proof)? {
        return verify_compressed(proof, program.as_ref(), (options, guest_vkey), exit_code);
    }
    verifier.verify(proof)
}

/// [`verify_exit_code`] for a compressed proof: one statement, of `program` under some preset.
/// `known` is the program's key digest under the proof's own options, already derived: the
/// statement is usually under the same preset, and the other presets' keys (a setup each) are
/// derived only when it is not.
fn verify_compressed(
    proof: &[u8],
    program: &droste_executor::Program,
    known: (ProofOptions, VkeyDigest),
    exit_code: u32,
) -> Result<PublicValues, VerifyError> {
    let mut statements = crate::recursion::verify_aggregate(proof)?;
    if statements.len() != 1 {
        return Err(VerifyError::NotOneStatement(statements.len()));
    }
    let statement = statements.remove(0);
    let proved = VkeyDigest(statement.vkey_digest);
    let mut is_guest = proved == known.1;
    for &(_, options) in PRESETS.iter().filter(|(_, options)| *options != known.0) {
        if is_guest {
            break;
        }
        is_guest = Verifier::new(program, options)?.vkey()? == proved;
    }
    if !is_guest {
        return Err(VerifyError::WrongProgram {
            proof: proved,
            guest: known.1,
            options: "compressed; any preset".to_string(),
        });
    }
    if statement.exit_code != exit_code {
        return Err(VerifyError::ExitCode {
            proved: statement.exit_code,
            accepted: exit_code,
        });
    }
    Ok(PublicValues {
        vkey_digest: statement.vkey_digest,
        exit_code: statement.exit_code,
        public_output: statement.public_output,
    })
}

/// The key digests of `guest` under every preset, by preset name.
pub fn guest_vkeys<'a>(
    guest: impl Into<Guest<'a>>,
) -> Result<Vec<(&'static str, VkeyDigest)>, VerifyError> {
    let program = guest.into().load()?;
    PRESETS
        .iter()
        .map(|&(name, options)| Ok((name, Verifier::new(program.as_ref(), options)?.vkey()?)))
        .collect()
}

/// The verifying key of `guest` under `options` (what a guest verifying its proofs, or
/// [`crate::recursion::aggregate`], is given with them).
pub fn verifying_key<'a>(
    guest: impl Into<Guest<'a>>,
    options: ProofOptions,
) -> Result<VerifyingKey, ProveError> {
    let program = guest.into().load()?;
    Ok(MachineProver::setup(&program, options)?.1)
}

/// The verifying-key digest of `guest` under `options`.
pub fn vkey<'a>(
    guest: impl Into<Guest<'a>>,
    options: ProofOptions,
) -> Result<VkeyDigest, ProveError> {
    let program = guest.into().load()?;
    let (_, vk) = MachineProver::setup(&program, options)?;
    Ok(VkeyDigest(vk.digest_words()?))
}

/// `bytes` in a 16-byte aligned buffer, as the archive reader requires.
pub(crate) fn aligned(bytes: &[u8]) -> AlignedVec<16> {
    let mut copy = AlignedVec::<16>::with_capacity(bytes.len());
    copy.extend_from_slice(bytes);
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_found_by_name_and_by_options() {
        for (name, options) in PRESETS {
            assert_eq!(preset(name), Some(options));
            assert_eq!(preset_name(options.fri), Some(name));
        }
        assert_eq!(preset("secure"), None);
    }
}
