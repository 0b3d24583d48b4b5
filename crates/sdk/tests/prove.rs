//! Proving and verifying through the SDK on small hand-assembled programs: round trips, the
//! verifier's refusals (other program, tampered, truncated, garbage bytes), keys, the cycle limit
//! and what `inspect` reports.

use droste_executor::elf_builder::{ElfBuilder, Perm};
use droste_isa::abi::{syscall, PROGRAM_START};
use droste_isa::{Instruction as I, Opcode};
use droste_machine::MachineError;
use droste_sdk::{
    inspect, proof_options, proof_vkey, prove, prove_with_progress, read_proof_file, verify, vkey,
    Input, Phase, ProgressEvent, ProofOptions, ProveError, Prover, Verifier, VerifyError,
    MAX_CYCLES,
};
use droste_stark::FriParameters;

/// The phases of a prove after setup, in order.
const PROVE_PHASES: [Phase; 6] = [
    Phase::Execute,
    Phase::TraceGeneration,
    Phase::CommitTraces,
    Phase::LogUp,
    Phase::Quotient,
    Phase::Open,
];

/// Small but complete FRI parameters: quick, every code path exercised.
fn small_options() -> ProofOptions {
    ProofOptions {
        fri: FriParameters {
            log_blowup: 1,
            num_queries: 16,
            query_pow_bits: 2,
            log_folding_arity: 2,
            log_final_poly_len: 1,
            deep_pow_bits: 0,
            logup_pow_bits: 0,
        },
    }
}

const BUFFER: u64 = PROGRAM_START + 0x1000;

fn li(rd: u8, value: i32) -> [I; 2] {
    let lo = (value << 20) >> 20;
    [
        I::u(Opcode::Lui, rd, value.wrapping_sub(lo)),
        I::i(Opcode::Addi, rd, rd, lo),
    ]
}

fn ecall(code: &mut Vec<I>, call: u64) {
    code.extend(li(17, call as i32));
    code.push(I::system(Opcode::Ecall));
}

/// An "echo" program: reads one input item (at most 64 bytes), commits it, and halts with
/// `exit_code`. Different exit codes make different programs (and keys).
fn echo_elf(exit_code: i32) -> Vec<u8> {
    let mut code = Vec::new();
    ecall(&mut code, syscall::INPUT_LEN);
    code.push(I::i(Opcode::Addi, 8, 10, 0));
    for call in [syscall::INPUT_READ, syscall::COMMIT] {
        code.extend(li(10, BUFFER as i32));
        code.push(I::i(Opcode::Addi, 11, 8, 0));
        ecall(&mut code, call);
    }
    code.extend(li(10, exit_code));
    ecall(&mut code, syscall::HALT);
    let mut elf = ElfBuilder::new(PROGRAM_START);
    elf.code(PROGRAM_START, &code).unwrap();
    elf.segment(BUFFER, Vec::new(), 64, Perm::ReadWrite);
    elf.build()
}

/// A program that never halts.
fn endless_elf() -> Vec<u8> {
    let mut elf = ElfBuilder::new(PROGRAM_START);
    elf.code(PROGRAM_START, &[I::u(Opcode::Jal, 0, 0)]).unwrap();
    elf.build()
}

fn echo_input(bytes: &[u8]) -> Input {
    Input::new().write_slice(bytes)
}

#[test]
fn keeping_ldes_changes_nothing_in_the_proof() {
    // Blowup 4: by default the prover keeps coefficients and re-extends them.
    let options = ProofOptions {
        fri: FriParameters {
            log_blowup: 2,
            ..small_options().fri
        },
    };
    let input = echo_input(b"lean or not");
    let lean = Prover::new(&echo_elf(3), options).unwrap();
    let kept = Prover::new(&echo_elf(3), options).unwrap().keep_ldes(true);
    let (a, b) = (lean.prove(&input).unwrap(), kept.prove(&input).unwrap());
    assert_eq!(a.bytes(), b.bytes());
}

#[test]
fn proofs_verify_and_carry_the_public_values() {
    let elf = echo_elf(7);
    let prover = Prover::new(&elf, small_options()).unwrap();
    let proof = prover.prove(&echo_input(b"droste!")).unwrap();
    assert_eq!(proof.public_values().public_output, b"droste!");
    assert_eq!(proof.public_values().exit_code, 7);
    assert_eq!(proof.stats().cycles, 21);
    let phases: Vec<Phase> = proof.stats().phases.iter().map(|(p, _)| *p).collect();
    assert_eq!(phases, PROVE_PHASES);
    // Chips the program never uses are left out (no rows); the others have power-of-two heights.
    let tables = &proof.stats().tables;
    assert!(tables
        .iter()
        .all(|t| t.rows == 0 || t.rows.is_power_of_two()));
    assert!(tables.iter().any(|t| t.rows == 0), "an echo uses few chips");

    // A valid proof of a run that exited with 7 is accepted only when 7 is.
    let verifier = Verifier::new(&elf, small_options()).unwrap();
    let err = verifier.verify(proof.bytes()).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::ExitCode {
                proved: 7,
                accepted: 0
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "the proof is valid but proves exit code 7, not 0"
    );
    let verifier = verifier.exit_code(7);
    let public = verifier.verify(proof.bytes()).unwrap();
    assert_eq!(&public, proof.public_values());
    assert_eq!(verifier.vkey().unwrap(), prover.vkey().unwrap());
    assert_eq!(proof_vkey(proof.bytes()).unwrap(), prover.vkey().unwrap());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.proof");
    proof.save(&path).unwrap();
    let saved = read_proof_file(&path).unwrap();
    assert_eq!(saved.as_slice(), proof.bytes());
    assert_eq!(verifier.verify(&saved).unwrap(), public);
}

#[test]
fn buffers_spanning_several_doublewords_prove() {
    let elf = echo_elf(0);
    let verifier = Verifier::new(&elf, small_options()).unwrap();
    let prover = Prover::new(&elf, small_options()).unwrap();
    for len in [9, 16, 40] {
        let data: Vec<u8> = (0..len).collect();
        let proof = prover.prove(&echo_input(&data)).unwrap();
        let public = verifier
            .verify(proof.bytes())
            .unwrap_or_else(|err| panic!("{len} bytes: {err}"));
        assert_eq!(public.public_output, data);
    }
}

#[test]
fn verify_finds_the_preset_and_progress_sees_every_phase() {
    let elf = echo_elf(0);
    let mut events = Vec::new();
    let proof = prove_with_progress(
        &elf,
        &echo_input(b"abc"),
        ProofOptions::fast(),
        &mut |event| events.push(event),
    )
    .unwrap();
    let started: Vec<Phase> = events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::Started(phase) => Some(*phase),
            ProgressEvent::Finished(..) => None,
        })
        .collect();
    assert_eq!(started[0], Phase::Setup);
    assert_eq!(started[1..], PROVE_PHASES);
    assert_eq!(events.len(), 14, "every phase starts and finishes");
    let public = verify(proof.bytes(), &elf).unwrap();
    assert_eq!(public.public_output, b"abc");
    assert_eq!(
        proof_vkey(proof.bytes()).unwrap(),
        vkey(&elf, ProofOptions::fast()).unwrap()
    );
}

#[test]
fn a_proof_of_another_program_is_refused_with_both_digests() {
    let proof = prove(&echo_elf(0), &echo_input(b"x"), ProofOptions::fast()).unwrap();
    let other = echo_elf(1);
    let err = verify(proof.bytes(), &other).unwrap_err();
    assert!(matches!(err, VerifyError::WrongProgram { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("the proof is for another program"),
        "{message}"
    );
    assert!(message.contains(&proof_vkey(proof.bytes()).unwrap().to_string()));
    assert!(message.contains(&vkey(&other, ProofOptions::fast()).unwrap().to_string()));
    assert!(message.contains("(fast preset)"), "{message}");
    assert!(!message.contains('\n'));
}

#[test]
fn tampered_truncated_and_garbage_proofs_fail_with_one_line() {
    let elf = echo_elf(0);
    let prover = Prover::new(&elf, small_options()).unwrap();
    let verifier = Verifier::new(&elf, small_options()).unwrap();
    let proof = prover.prove(&echo_input(b"tamper")).unwrap();
    let bytes = proof.bytes();
    verifier.verify(bytes).expect("the honest proof verifies");

    // A flipped bit anywhere must be rejected; sample positions across the whole proof.
    let step = (bytes.len() / 97).max(1);
    for position in (0..bytes.len()).step_by(step) {
        let mut tampered = bytes.to_vec();
        tampered[position] ^= 0x10;
        match verifier.verify(&tampered) {
            Ok(public) => panic!("flip at byte {position} accepted: {public:?}"),
            Err(err) => assert!(!err.to_string().contains('\n'), "{err}"),
        }
    }
    for len in [0, 8, 16, 100, bytes.len() / 2, bytes.len() - 1] {
        let err = verifier.verify(&bytes[..len]).unwrap_err();
        assert!(matches!(err, VerifyError::Format(_)), "{len}: {err}");
    }
    let err = verify(b"definitely not a proof", &elf).unwrap_err();
    assert_eq!(
        err.to_string(),
        "not a droste proof: machine proof format: missing machine proof magic"
    );
    assert!(inspect(&bytes[..bytes.len() / 2]).is_err());
}

/// `verify` takes its options from the proof but only when they are a preset; a proof whose
/// recorded options differ from its key's is refused even by a verifier holding that key.
#[test]
fn proof_options_are_checked_against_presets_and_the_key() {
    let elf = echo_elf(0);
    let proof = Prover::new(&elf, small_options())
        .unwrap()
        .prove(&echo_input(b"opt"))
        .unwrap();
    assert_eq!(proof_options(proof.bytes()).unwrap(), small_options());
    let err = verify(proof.bytes(), &elf).unwrap_err();
    assert!(matches!(err, VerifyError::NotAPreset(_)), "{err}");
    assert!(err.to_string().contains("16 queries"), "{err}");

    let archived = droste_machine::proof::access(proof.bytes()).unwrap();
    let mut relabelled: droste_machine::MachineProof =
        rkyv::deserialize::<_, rkyv::rancor::Error>(archived).unwrap();
    relabelled.fri = ProofOptions::fast().fri;
    let bytes = relabelled.to_bytes();
    assert_eq!(proof_options(&bytes).unwrap(), ProofOptions::fast());
    let err = Verifier::new(&elf, small_options())
        .unwrap()
        .verify(&bytes)
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::Invalid(MachineError::WrongOptions)),
        "{err}"
    );
    assert!(verify(&bytes, &elf).is_err());
}

#[test]
fn changed_public_output_is_rejected() {
    let elf = echo_elf(0);
    let prover = Prover::new(&elf, small_options()).unwrap();
    let verifier = Verifier::new(&elf, small_options()).unwrap();
    let proof = prover.prove(&echo_input(b"AAAA")).unwrap();
    verifier
        .verify(proof.bytes())
        .expect("the honest proof verifies");
    let mut bytes = proof.bytes().to_vec();
    let at = bytes
        .windows(4)
        .position(|w| w == b"AAAA")
        .expect("the output is archived verbatim");
    bytes[at] = b'B';
    let err = verifier.verify(&bytes).unwrap_err();
    assert!(matches!(err, VerifyError::Invalid(_)), "{err}");
}

#[test]
fn keys_are_deterministic_and_differ_between_programs_and_presets() {
    let a = vkey(&echo_elf(0), ProofOptions::fast()).unwrap();
    assert_eq!(a, vkey(&echo_elf(0), ProofOptions::fast()).unwrap());
    assert_ne!(a, vkey(&echo_elf(1), ProofOptions::fast()).unwrap());
    assert_ne!(a, vkey(&echo_elf(0), ProofOptions::secure()).unwrap());
    assert_eq!(a.to_string().len(), 64);
}

#[test]
fn a_run_longer_than_one_proof_fails_up_front_naming_the_limit() {
    let prover = Prover::new(&endless_elf(), small_options()).unwrap();
    let err = prover.prove(&Input::new()).unwrap_err();
    assert!(
        matches!(
            err,
            ProveError::Machine(MachineError::TooManyCycles { limit: MAX_CYCLES })
        ),
        "{err}"
    );
    assert!(err.to_string().contains(&MAX_CYCLES.to_string()), "{err}");
}

/// A program committing `len` bytes of (zero) heap memory.
fn commit_elf(len: i32) -> Vec<u8> {
    let mut code = Vec::new();
    code.extend(li(10, 0x0100_0000));
    code.extend(li(11, len));
    ecall(&mut code, syscall::COMMIT);
    code.extend(li(10, 0));
    ecall(&mut code, syscall::HALT);
    let mut elf = ElfBuilder::new(PROGRAM_START);
    elf.code(PROGRAM_START, &code).unwrap();
    elf.build()
}

#[test]
fn a_table_too_tall_is_refused_before_its_trace_is_generated() {
    // Blowup 16: at most 2^20 rows per table, so committing 8 MiB + 1 byte (one buffer row per
    // doubleword) does not fit; the default preset (blowup 4) would hold it.
    let options = ProofOptions {
        fri: FriParameters {
            log_blowup: 4,
            ..small_options().fri
        },
    };
    let prover = Prover::new(&commit_elf((8 << 20) + 1), options).unwrap();
    let mut events = Vec::new();
    let err = prover
        .prove_with_progress(&Input::new(), &mut |event| events.push(event))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "table `buffer` needs 2097152 rows, more than the 1048576 one proof holds with these \
         options (log_blowup 4): the default preset holds 4194304 rows (`--preset default`), or \
         prove it in shards (`--shard-cycles`)"
    );
    assert!(
        !events.iter().any(|event| matches!(
            event,
            ProgressEvent::Finished(Phase::TraceGeneration, _)
                | ProgressEvent::Started(Phase::CommitTraces)
        )),
        "refused during trace generation, before any trace: {events:?}"
    );
}

#[test]
fn bad_elf_and_failing_runs_are_errors() {
    let err = Prover::new(b"not an elf".as_slice(), small_options())
        .err()
        .unwrap();
    assert!(matches!(err, ProveError::Elf(_)), "{err}");
    // The echo program reads an item that is not there.
    let prover = Prover::new(&echo_elf(0), small_options()).unwrap();
    let err = prover.prove(&Input::new()).unwrap_err();
    assert!(err.to_string().starts_with("execution failed"), "{err}");
}

#[test]
fn inspect_reports_the_claims_heights_security_and_sizes() {
    let elf = echo_elf(3);
    let proof = prove(&elf, &echo_input(b"seen"), ProofOptions::fast()).unwrap();
    let report = inspect(proof.bytes()).unwrap();
    assert_eq!(report.size, proof.bytes().len());
    assert_eq!(report.exit_code, 3);
    assert_eq!(report.public_output_hex, hex::encode(b"seen"));
    assert_eq!(
        report.vkey_digest,
        vkey(&elf, ProofOptions::fast()).unwrap().to_string()
    );
    let stats = &proof.stats().tables;
    assert_eq!(report.tables.len(), stats.len());
    for (table, stat) in report.tables.iter().zip(stats) {
        assert_eq!(table.name.as_deref(), Some(stat.name.as_str()));
        assert_eq!(table.rows, stat.rows as u64);
    }
    assert_eq!(report.parameters.preset, Some("fast"));
    assert_eq!(
        report.parameters.num_queries,
        ProofOptions::fast().fri.num_queries
    );
    let security = report.security.as_ref().unwrap();
    assert!(security.conjectured >= 100.0, "{security:?}");
    assert!(security.provable > 0.0 && security.provable < security.conjectured);
    assert_security_is_the_minimum_of_its_components(security);
    // The LogUp term: the bus terms are this proof's (rows times interactions plus the 3 + 4
    // endpoints), its longest tuple the ROM fetch's 14 elements, ground 13 bits.
    assert_eq!(security.max_tuple_len, 14);
    assert!(security.bus_terms > 7, "{security:?}");
    let logup = security.unique_decoding_components.logup;
    let expected = droste_pcs::security::koala_bear_ext_log2_order()
        - ((security.bus_terms * 14) as f64).log2()
        + 13.0;
    assert!((logup - expected).abs() < 1e-9, "{logup} vs {expected}");
    assert_eq!(logup, security.johnson_bound_components.logup);
    let total: usize = report.sections.iter().map(|s| s.bytes).sum();
    assert_eq!(total, report.size);
    assert!(report
        .sections
        .iter()
        .any(|s| s.name == "queries: main rows" && s.bytes > 0));
}

/// Each regime's total is the minimum over its components and the hash; provable is the better
/// regime: what `inspect` prints is exactly the calculator's minimum over every term.
fn assert_security_is_the_minimum_of_its_components(s: &droste_sdk::SecurityFigures) {
    let min = |c: &droste_sdk::ComponentBits| {
        [c.query, c.batching, c.fri_rounds, c.ali, c.deep, c.logup]
            .into_iter()
            .fold(droste_pcs::security::HASH_BITS, f64::min)
    };
    assert_eq!(
        s.unique_decoding,
        min(&s.unique_decoding_components),
        "{s:?}"
    );
    assert_eq!(s.johnson_bound, min(&s.johnson_bound_components), "{s:?}");
    assert_eq!(s.provable, s.unique_decoding.max(s.johnson_bound), "{s:?}");
}

/// Options outside the presets are reported as they are, with the (low) security they give.
#[test]
fn inspect_reports_options_outside_the_presets() {
    let proof = Prover::new(&echo_elf(0), small_options())
        .unwrap()
        .prove(&echo_input(b"x"))
        .unwrap();
    let report = inspect(proof.bytes()).unwrap();
    assert_eq!(report.parameters.preset, None);
    assert_eq!(
        report.parameters.num_queries,
        small_options().fri.num_queries
    );
    let security = report.security.expect("this machine's tables");
    assert!(security.conjectured < 100.0, "{security:?}");
    assert_security_is_the_minimum_of_its_components(&security);
}
