//! Recursion: compressed and aggregated proofs verify like the originals, the fixed point holds,
//! and the recursion guest refuses every proof that does not verify.
//!
//! Proving the recursion guest is the expensive part of the suite (millions of cycles and about
//! 10 GiB per proof), so two recursion proofs are made, in one test, at the fast preset, of tiny
//! inner runs; the fixed point (verifying a recursion proof inside the recursion guest) and the
//! refusals only execute the guest. BENCHMARKS.md has the proven fixed point.

mod common;

use common::guest;
use droste_sdk::recursion::{
    aggregate, compress, recursion_elf, recursion_input, recursion_key, recursion_vkey,
    verify_aggregate, InnerProof, RECURSION_VKEYS,
};
use droste_sdk::{
    execute, inspect, statement, verify, ExecOptions, Input, Proof, ProofOptions, ProveError,
    Prover, VerifyError, MAX_CYCLES, PRESETS,
};
use droste_zkvm::recursion::Aggregate;
use droste_zkvm::recursion::{InnerKind, RecursionRequest};

/// A hand-assembled guest (no std runtime: a few tables, a cheap proof to verify) that commits
/// its one input item and halts with exit code 3.
fn echo_elf() -> Vec<u8> {
    use droste_executor::elf_builder::{ElfBuilder, Perm};
    use droste_isa::abi::{syscall, PROGRAM_START};
    use droste_isa::{Instruction as I, Opcode};
    const BUFFER: i32 = PROGRAM_START as i32 + 0x1000;
    let li = |rd: u8, value: i32| {
        let lo = (value << 20) >> 20;
        [
            I::u(Opcode::Lui, rd, value.wrapping_sub(lo)),
            I::i(Opcode::Addi, rd, rd, lo),
        ]
    };
    let mut code = Vec::new();
    let ecall = |code: &mut Vec<I>, call: u64| {
        code.extend(li(17, call as i32));
        code.push(I::system(Opcode::Ecall));
    };
    ecall(&mut code, syscall::INPUT_LEN);
    code.push(I::i(Opcode::Addi, 8, 10, 0));
    for call in [syscall::INPUT_READ, syscall::COMMIT] {
        code.extend(li(10, BUFFER));
        code.push(I::i(Opcode::Addi, 11, 8, 0));
        ecall(&mut code, call);
    }
    code.extend(li(10, 3));
    ecall(&mut code, syscall::HALT);
    let mut elf = ElfBuilder::new(PROGRAM_START);
    elf.code(PROGRAM_START, &code).unwrap();
    elf.segment(BUFFER as u64, Vec::new(), 64, Perm::ReadWrite);
    elf.build()
}

/// The base field's modulus: every word of a proof is below it.
const MODULUS: u32 = <droste_pcs::Val as p3_field::PrimeField32>::ORDER_U32;

fn fibonacci(prover: &Prover, n: u64) -> Proof {
    prover
        .prove(&Input::new().write_slice(&n.to_le_bytes()))
        .unwrap()
}

#[test]
fn compressed_aggregated_and_recompressed_proofs_prove_the_inner_statements() {
    let options = ProofOptions::fast();
    let fib_guest = guest("fibonacci");
    let fib = Prover::new(&*fib_guest, options).unwrap();
    let fib_proof = fibonacci(&fib, 10);
    let echo_guest = echo_elf();
    let echo = Prover::new(&echo_guest, options).unwrap();
    let echo_proof = echo.prove(&Input::new().write_slice(b"abc")).unwrap();

    // Compress: the same statement, accepted by `verify` against the guest like the original.
    let compressed = compress(fib_proof.bytes(), fib.verifying_key(), options).unwrap();
    assert_eq!(
        verify(compressed.bytes(), &*fib_guest).unwrap(),
        *fib_proof.public_values()
    );
    assert!(matches!(
        verify(compressed.bytes(), &echo_guest),
        Err(VerifyError::WrongProgram { .. })
    ));
    let report = inspect(compressed.bytes()).unwrap();
    assert_eq!(
        report.vkey_digest,
        recursion_vkey(options).unwrap().to_string()
    );

    // Aggregate two guests: both statements, in order.
    let inner = [
        InnerProof {
            proof: fib_proof.bytes(),
            vk: fib.verifying_key(),
        },
        InnerProof {
            proof: echo_proof.bytes(),
            vk: echo.verifying_key(),
        },
    ];
    let aggregated = aggregate(&inner, options).unwrap();
    assert_eq!(
        verify_aggregate(aggregated.bytes()).unwrap(),
        [
            statement(fib_proof.public_values().clone()),
            statement(echo_proof.public_values().clone())
        ]
    );
    assert!(matches!(
        verify(aggregated.bytes(), &*fib_guest),
        Err(VerifyError::NotOneStatement(2))
    ));

    // The fixed point: the recursion guest verifies the compressed proof (a proof of itself)
    // and carries its statement over instead of wrapping it in another level, so compressing
    // again proves the same statement.
    let input = recursion_input(
        &[InnerProof {
            proof: compressed.bytes(),
            vk: recursion_key(options).unwrap(),
        }],
        options,
    )
    .unwrap();
    let run = execute(recursion_elf(), &input, &ExecOptions::default()).unwrap();
    assert_eq!(run.exit_code, 0, "{:?}", run.panic_message);
    let committed: Aggregate = droste_zkvm::codec::from_item(&run.public_output).unwrap();
    assert_eq!(
        committed,
        Aggregate {
            recursion_vkey: recursion_vkey(options).unwrap().0,
            statements: vec![statement(fib_proof.public_values().clone())],
            segments: Vec::new(),
        }
    );
}

/// The recursion guest's input with `proofs` (key, proof bytes) as given: unlike
/// `recursion_input`, nothing is verified natively first.
fn raw_input(proofs: &[(&droste_sdk::VerifyingKey, &[u8])]) -> Input {
    let request = RecursionRequest {
        recursion_vkey: recursion_vkey(ProofOptions::fast()).unwrap().0,
        proofs: vec![InnerKind::Whole; proofs.len()],
    };
    let mut input = Input::new().write(&request).unwrap();
    for (vk, proof) in proofs {
        input = input.write_proof(proof, vk);
    }
    input
}

/// `bytes` (a machine proof) with the first main-trace value opened at zeta incremented (still
/// a canonical word).
fn with_a_main_opening_changed(bytes: &[u8]) -> Vec<u8> {
    with_an_opening_at_zeta(
        bytes,
        |o| &mut o.main_local[0][0],
        |word| (word + 1) % MODULUS,
    )
}

/// The proof with one word opened at zeta (`at` picks it in the first table with rows) set to
/// `change` of itself, re-serialized.
fn with_an_opening_at_zeta(
    bytes: &[u8],
    at: impl FnOnce(&mut droste_stark::proof::TableOpenings) -> &mut u32,
    change: impl FnOnce(u32) -> u32,
) -> Vec<u8> {
    let archived = droste_machine::proof::access(bytes).unwrap();
    let mut proof: droste_machine::proof::MachineProof =
        rkyv::deserialize::<_, rkyv::rancor::Error>(archived).unwrap();
    let table = proof
        .proof
        .openings
        .iter_mut()
        .find(|o| !o.main_local.is_empty())
        .expect("a table with rows");
    let word = at(table);
    *word = change(*word);
    proof.to_bytes().to_vec()
}

/// Runs the recursion guest and returns its exit code and panic message.
fn run_recursion(input: &Input) -> (u32, String) {
    let run = execute(recursion_elf(), input, &ExecOptions::default()).unwrap();
    (run.exit_code, run.panic_message.unwrap_or_default())
}

#[test]
fn the_recursion_guest_refuses_proofs_that_do_not_verify() {
    let options = ProofOptions::fast();
    let fib = Prover::new(&*guest("fibonacci"), options).unwrap();
    let proof = fibonacci(&fib, 7);
    let bytes = proof.bytes();
    let vk = fib.verifying_key();
    assert_eq!(run_recursion(&raw_input(&[(vk, bytes)])).0, 0);

    // A tampered proof (a byte of the opening proof, near the end of the archive).
    let mut tampered = bytes.to_vec();
    let at = tampered.len() - 300;
    tampered[at] ^= 1;
    // A valid proof with a forged statement: another public output byte.
    let mut forged = bytes.to_vec();
    let output = forged
        .windows(8)
        .position(|w| w == 13u64.to_le_bytes()) // fib(7)
        .expect("the public output is in the proof");
    forged[output] = 14;
    // One main-trace value opened at zeta changed to another canonical word: the constraint
    // check at zeta refuses it (natively that is the error; in the guest, the AIRs' products
    // there are EXT_COMBINE calls, `droste_pcs::ext::PrecompiledExt`).
    let opening = with_a_main_opening_changed(bytes);
    let native = verify(&opening, &*guest("fibonacci"))
        .unwrap_err()
        .to_string();
    assert!(native.contains("constraints at zeta"), "{native}");
    // A valid proof under another program's key.
    let other = Prover::new(&*guest("sha256"), options).unwrap();
    for (what, vk, proof) in [
        ("tampered proof", vk, &tampered[..]),
        ("forged statement", vk, &forged[..]),
        ("a main opening at zeta", vk, &opening[..]),
        ("another key", other.verifying_key(), bytes),
    ] {
        let (exit_code, message) = run_recursion(&raw_input(&[(vk, proof)]));
        assert_eq!(exit_code, 101, "{what}: {message}");
        assert!(message.contains("does not verify"), "{what}: {message}");
    }
    let (_, message) = run_recursion(&raw_input(&[(vk, &opening[..])]));
    assert!(message.contains("constraints at zeta"), "{message}");
}

/// A word `>= p` anywhere in a proof never verifies in the guest: where the verifier computes
/// with a word it checks it (a panic, exit 101), and where it hashes the word first (opened rows,
/// siblings, fold values) the POSEIDON2 precompile refuses it, which no proof can get past (its
/// table range-checks every input word).
#[test]
fn the_recursion_guest_refuses_non_canonical_words() {
    let options = ProofOptions::fast();
    let fib = Prover::new(&*guest("fibonacci"), options).unwrap();
    let proof = fibonacci(&fib, 7);
    let bytes = proof.bytes();
    let modulus = MODULUS.to_le_bytes();
    let mut refused_by_the_precompile = 0;
    for eighth in 2..8 {
        let at = bytes.len() * eighth / 8 / 4 * 4;
        let mut forged = bytes.to_vec();
        forged[at..at + 4].copy_from_slice(&modulus);
        let input = raw_input(&[(fib.verifying_key(), &forged[..])]);
        match execute(recursion_elf(), &input, &ExecOptions::default()) {
            Ok(run) => assert_eq!(run.exit_code, 101, "word at {at}: {:?}", run.panic_message),
            Err(error) => {
                assert!(
                    error
                        .to_string()
                        .contains("not below the KoalaBear modulus"),
                    "word at {at}: {error}"
                );
                refused_by_the_precompile += 1;
            }
        }
    }
    assert!(
        refused_by_the_precompile > 0,
        "no forged word reached a hash"
    );
    // The values opened at zeta are computed with before the PCS absorbs them into the
    // transcript, which every accepting run reaches. The same element plus p passes the
    // arithmetic at zeta and is refused by a precompile (natively by the decoding).
    for (what, forged) in [
        (
            "main",
            with_an_opening_at_zeta(bytes, |o| &mut o.main_next[0][1], |w| w + MODULUS),
        ),
        (
            "quotient",
            with_an_opening_at_zeta(bytes, |o| &mut o.quotient[0][2], |w| w + MODULUS),
        ),
    ] {
        let native = verify(&forged, &*guest("fibonacci"))
            .unwrap_err()
            .to_string();
        assert!(native.contains("non-canonical"), "{what}: {native}");
        let input = raw_input(&[(fib.verifying_key(), &forged[..])]);
        let error = execute(recursion_elf(), &input, &ExecOptions::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("not below the KoalaBear modulus"),
            "{what}: {error}"
        );
    }
}

/// Proofs whose verification does not fit one recursion proof are refused with what to do, as
/// soon as the recursion guest's run passes the cycles one proof covers (before any trace).
#[test]
fn aggregating_more_than_one_proof_covers_says_so() {
    let options = ProofOptions::fast();
    let fib = Prover::new(&*guest("fibonacci"), options).unwrap();
    let proof = fibonacci(&fib, 7);
    let inner = InnerProof {
        proof: proof.bytes(),
        vk: fib.verifying_key(),
    };
    // About 2.0M cycles each (eight took 16.14M at cce0522): twelve are well over 2^24.
    let error = aggregate(&[inner; 12], options).unwrap_err();
    assert!(
        matches!(
            error,
            ProveError::RecursionTooLong {
                proofs: 12,
                limit: MAX_CYCLES
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("aggregate fewer at a time"));
}

/// The recursion guest's key does not depend on the machine that built it: its ELF ships with
/// droste, and its key digests are the published ones. When this machine has the toolchain the
/// ELF was built with, the sources must also rebuild it byte for byte (so the shipped ELF is the
/// one the sources describe; paths are remapped, so the checkout directory does not matter).
#[test]
fn the_shipped_recursion_guest_has_the_documented_keys() {
    for ((name, options), (documented_name, documented)) in PRESETS.iter().zip(RECURSION_VKEYS) {
        assert_eq!(*name, documented_name);
        let digest = recursion_vkey(*options).unwrap().to_string();
        assert_eq!(
            digest, documented,
            "{name} preset: update RECURSION_VKEYS and docs"
        );
        // The shipped key files are the keys the ELF derives.
        let derived = droste_sdk::verifying_key(recursion_elf(), *options).unwrap();
        assert!(
            derived == *recursion_key(*options).unwrap(),
            "{name} preset: run scripts/build-recursion-elf.sh"
        );
    }
    let root = droste_sdk::repo_root();
    let shipped_toolchain =
        std::fs::read_to_string(root.join("guests/recursion/elf/TOOLCHAIN")).unwrap();
    let toolchain = std::process::Command::new("/usr/bin/rustc")
        .arg("--version")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    if toolchain != shipped_toolchain {
        eprintln!(
            "this machine's guest toolchain ({}) is not the one that built the shipped recursion \
             ELF ({}): the rebuild comparison needs that toolchain",
            toolchain.trim(),
            shipped_toolchain.trim()
        );
        return;
    }
    let built = droste_sdk::build_guest(root.join("guests/recursion")).unwrap();
    assert!(
        std::fs::read(built).unwrap() == recursion_elf(),
        "guests/recursion no longer builds the shipped ELF: run scripts/build-recursion-elf.sh"
    );
}
