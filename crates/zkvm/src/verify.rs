//! Verifying droste proofs inside a guest (feature `verify`): application recursion.
//!
//! The host passes a proof and the verifying key it is for as two input items
//! (`droste_sdk::Input::write_proof`); [`read_verified`] reads them into 16-byte aligned buffers
//! and runs droste's one verifier over them in place (`droste_machine::verify_archived`, the code
//! `droste verify` runs natively). The guest gets the proof's [`Statement`] back and decides what
//! to trust: usually it compares the key digest with one it knows (a constant, or an input it
//! commits), like RISC Zero's `env::verify(image_id, journal)` or SP1's `verify_sp1_proof`.
//!
//! The verifier's Poseidon2 runs on the POSEIDON2 precompile in the guest, so a verification costs
//! a few million cycles (BENCHMARKS.md has the figures by phase).

use droste_machine::MachineError;

use crate::recursion::{ProgramIdentity, Segment, Statement};

/// Verifies proof bytes under key bytes (their wire formats, any alignment; unaligned bytes are
/// copied once) and returns what the proof proves.
pub fn verify(vk: &[u8], proof: &[u8]) -> Result<Statement, MachineError> {
    let values = droste_machine::verify_bytes(vk, proof)?;
    Ok(Statement {
        vkey_digest: values.vkey_digest,
        exit_code: values.exit_code,
        public_output: values.public_output,
    })
}

/// Verifies a shard proof of `program` (wire formats, any alignment) and returns the one-shard
/// [`Segment`] it proves: the proof must verify under a shard key whose digest is `program`'s,
/// and the segment names the program by its key digest (computed from `program`).
pub fn verify_shard(
    program: &ProgramIdentity,
    shard_vk: &[u8],
    proof: &[u8],
) -> Result<Segment, MachineError> {
    droste_machine::shard::with_archives(shard_vk, proof, |vk, proof| {
        ShardVerifier::new(program, vk)?.verify(proof)
    })
}

/// The shard proofs of one program under one shard key: the key is digested, checked against
/// the program's and the program's key digest computed once, for every proof that follows
/// (`InnerKind::NextShard`: a recursion guest aggregating several shards reads the key once).
pub struct ShardVerifier<'a> {
    key: droste_machine::shard::DigestedShardKey<'a>,
    program: ProgramIdentity,
    vkey_digest: [u32; 8],
}

impl<'a> ShardVerifier<'a> {
    /// The verifier of `program`'s shard proofs under `shard_vk`, which must be the program's
    /// shard key.
    pub fn new(
        program: &ProgramIdentity,
        shard_vk: &'a droste_machine::shard::ArchivedShardVerifyingKey,
    ) -> Result<Self, MachineError> {
        let key = shard_vk.digested()?;
        if key.digest_words() != program.shard_key {
            return Err(MachineError::WrongKey);
        }
        let vkey_digest = droste_machine::program_digest(
            &program.stark_key,
            program.entry,
            &program.shard_key,
            &program.initial_ram_root,
        )?;
        Ok(Self {
            key,
            program: program.clone(),
            vkey_digest: droste_machine::key::digest_words(&vkey_digest),
        })
    }

    /// Verifies one shard proof (read in place) and returns the one-shard segment it proves.
    pub fn verify(
        &self,
        proof: &droste_machine::shard::ArchivedShardProof,
    ) -> Result<Segment, MachineError> {
        let s = droste_machine::shard::verify_shard_digested(&self.key, proof)?.statement;
        let program = &self.program;
        Ok(Segment {
            vkey_digest: self.vkey_digest,
            starts_run: s.start_pc == program.entry
                && s.pre_ram_root == program.initial_ram_root
                && s.output_offset == 0,
            start_pc: s.start_pc,
            pre_ram_root: s.pre_ram_root,
            exit_code: s.halted.then_some(s.exit_code),
            end_pc: s.end_pc,
            post_ram_root: s.post_ram_root,
            input_root: s.input_root,
            input_len: s.input_len,
            output_offset: s.output_offset,
            output: s.output,
            cycles: u64::from(s.cycles),
        })
    }

    /// Reads the next input item, a shard proof, verifies it in place and returns its segment.
    /// Panics (ending the guest) if the item is missing or the proof does not verify.
    #[cfg(target_os = "zkvm")]
    #[track_caller]
    pub fn read_verified(&self) -> Segment {
        let proof = read_aligned("shard proof");
        let verified = droste_machine::shard::access(&proof).and_then(|proof| self.verify(proof));
        match verified {
            Ok(segment) => segment,
            Err(error) => {
                panic!("ShardVerifier::read_verified: the shard does not verify: {error}")
            }
        }
    }
}

/// Reads the next input item, the shard key of `program`, and returns the verifier of the
/// program's shard proofs under it (the key's buffer lives as long as the guest: a guest reads
/// one key per program). Panics (ending the guest) if the item is missing or is not the
/// program's shard key.
#[cfg(target_os = "zkvm")]
#[track_caller]
pub fn read_shard_key(program: &ProgramIdentity) -> ShardVerifier<'static> {
    let vk: &'static [u8] = Box::leak(Box::new(read_aligned("shard key")));
    let verifier =
        droste_machine::shard::access_key(vk).and_then(|vk| ShardVerifier::new(program, vk));
    match verifier {
        Ok(verifier) => verifier,
        Err(error) => panic!("verify::read_shard_key: not the program's shard key: {error}"),
    }
}

/// Reads the next two input items, a shard key and a shard proof of `program`, verifies the
/// proof in place and returns its segment. Panics (ending the guest) if the items are missing or
/// the proof does not verify as a shard of `program`.
#[cfg(target_os = "zkvm")]
#[track_caller]
pub fn read_verified_shard(program: &ProgramIdentity) -> Segment {
    let vk = read_aligned("shard key");
    let proof = read_aligned("shard proof");
    match verify_shard(program, &vk, &proof) {
        Ok(segment) => segment,
        Err(error) => panic!("verify::read_verified_shard: the shard does not verify: {error}"),
    }
}

/// Reads the next two input items, a verifying key and a proof, verifies the proof in place and
/// returns its statement. Panics (ending the guest) if the items are missing or the proof does
/// not verify under the key.
#[cfg(target_os = "zkvm")]
#[track_caller]
pub fn read_verified() -> Statement {
    let vk = read_aligned("verifying key");
    let proof = read_aligned("proof");
    match verify(&vk, &proof) {
        Ok(statement) => statement,
        Err(error) => panic!("verify::read_verified: the proof does not verify: {error}"),
    }
}

/// The next input item in a 16-byte aligned buffer, so an archive in it can be read in place.
#[cfg(target_os = "zkvm")]
#[track_caller]
fn read_aligned(what: &str) -> rkyv::util::AlignedVec<16> {
    let Some(len) = crate::syscall::input_len() else {
        panic!("verify: the input stream has no {what} item")
    };
    let mut buffer = rkyv::util::AlignedVec::<16>::with_capacity(len);
    // SAFETY: the buffer has capacity for `len` bytes, which INPUT_READ writes in full before
    // `set_len` exposes them.
    unsafe {
        let spare = core::slice::from_raw_parts_mut(
            buffer.as_mut_ptr().cast::<core::mem::MaybeUninit<u8>>(),
            len,
        );
        crate::syscall::input_read(spare);
        buffer.set_len(len);
    }
    buffer
}
