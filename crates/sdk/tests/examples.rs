//! Each example guest in `guests/`, built and executed through the SDK, against the same
//! computation done natively on the host.

mod common;

use common::{run, run_ok};
use droste_sdk::{execute, ExecOptions, Input, PublicOutput};
use k256::ecdsa::{signature::Signer, Signature, SigningKey};
use sha2::{Digest, Sha256};
use tiny_keccak::{Hasher, Keccak};

/// Deterministic test bytes (no RNG dependency).
fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect()
}

fn fibonacci(n: u64) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        (a, b) = (b, a.wrapping_add(b));
    }
    a
}

#[test]
fn fibonacci_commits_fib_mod_2_64_and_n() {
    for n in [0u64, 1, 2, 10, 93, 94, 1000] {
        let execution = run_ok("fibonacci", &Input::new().write_slice(&n.to_le_bytes()));
        let mut output = PublicOutput::new(&execution.public_output);
        assert_eq!(
            output.read_slice(8).unwrap(),
            fibonacci(n).to_le_bytes(),
            "n = {n}"
        );
        assert_eq!(output.read_slice(8).unwrap(), n.to_le_bytes());
        assert!(output.rest().is_empty());
    }
}

#[test]
fn fibonacci_rejects_input_of_the_wrong_size() {
    let execution = run("fibonacci", &Input::new().write_slice(&[1, 2, 3]));
    assert_eq!(execution.exit_code, 101);
    let message = execution.panic_message.unwrap();
    assert!(
        message.contains("expected n as 8 bytes little-endian, got 3 bytes"),
        "{message}"
    );
    assert!(execution.public_output.is_empty());
}

#[test]
fn sha256_matches_the_host() {
    for data in [Vec::new(), b"abc".to_vec(), pseudo_random_bytes(1000, 1)] {
        let execution = run_ok("sha256", &Input::new().write_slice(&data));
        let expected: [u8; 32] = Sha256::digest(&data).into();
        assert_eq!(execution.public_output, expected);
    }
}

#[test]
fn keccak256_matches_the_host() {
    for data in [Vec::new(), b"abc".to_vec(), pseudo_random_bytes(300, 2)] {
        let execution = run_ok("keccak256", &Input::new().write_slice(&data));
        let mut expected = [0u8; 32];
        let mut keccak = Keccak::v256();
        keccak.update(&data);
        keccak.finalize(&mut expected);
        assert_eq!(execution.public_output, expected);
    }
}

/// The json guest's summary, computed on the host: (objects, keys, integer_sum, max_depth).
fn json_summary(value: &serde_json::Value, depth: u32, summary: &mut (u64, u64, i128, u32)) {
    use serde_json::Value;
    summary.3 = summary.3.max(depth);
    match value {
        Value::Object(map) => {
            summary.0 += 1;
            summary.1 += map.len() as u64;
            map.values()
                .for_each(|child| json_summary(child, depth + 1, summary));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|child| json_summary(child, depth + 1, summary)),
        Value::Number(number) => {
            if let Some(int) = number.as_i64() {
                summary.2 += i128::from(int);
            } else if let Some(uint) = number.as_u64() {
                summary.2 += i128::from(uint);
            }
        }
        _ => {}
    }
}

#[test]
fn json_summary_matches_the_host() {
    let document = serde_json::json!({
        "name": "droste",
        "big": u64::MAX,
        "negative": i64::MIN,
        "float": 1.5,
        "list": [1, 2, {"inner": [3, {"deep": 4}]}],
        "empty": {},
        "flag": true,
        "nothing": null
    });
    let bytes = serde_json::to_vec(&document).unwrap();
    let execution = run_ok("json", &Input::new().write_slice(&bytes));
    let mut expected = (0, 0, 0, 0);
    json_summary(&document, 0, &mut expected);
    assert_eq!(expected.2, i128::from(u64::MAX) + i128::from(i64::MIN) + 10);
    let mut output = PublicOutput::new(&execution.public_output);
    assert_eq!(output.read::<(u64, u64, i128, u32)>().unwrap(), expected);
    assert!(output.rest().is_empty());
}

#[test]
fn json_guest_panics_on_invalid_json() {
    let execution = run("json", &Input::new().write_slice(b"{\"unterminated\": "));
    assert_eq!(execution.exit_code, 101);
    assert!(execution
        .panic_message
        .unwrap()
        .contains("input is not JSON"));
}

/// Runs the ecdsa guest and returns its committed (public_key, message, valid).
fn ecdsa_verdict(public_key: &[u8], message: &[u8], signature: &[u8]) -> (Vec<u8>, Vec<u8>, bool) {
    let input = Input::new()
        .write_slice(public_key)
        .write_slice(message)
        .write_slice(signature);
    let execution = run_ok("ecdsa", &input);
    let mut output = PublicOutput::new(&execution.public_output);
    let verdict = output.read().unwrap();
    assert!(output.rest().is_empty());
    verdict
}

#[test]
fn ecdsa_accepts_a_valid_signature_and_rejects_tampering() {
    let key = SigningKey::from_slice(&[0x42; 32]).unwrap();
    let public_key = key
        .verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec();
    let message = b"droste proves this message was signed".to_vec();
    let signature: Signature = key.sign(&message);
    let signature = signature.to_bytes().to_vec();

    assert_eq!(
        ecdsa_verdict(&public_key, &message, &signature),
        (public_key.clone(), message.clone(), true)
    );

    let mut tampered_message = message.clone();
    tampered_message[0] ^= 1;
    assert!(!ecdsa_verdict(&public_key, &tampered_message, &signature).2);

    let mut tampered_signature = signature.clone();
    tampered_signature[40] ^= 1;
    assert!(!ecdsa_verdict(&public_key, &message, &tampered_signature).2);

    let other_key = SigningKey::from_slice(&[0x43; 32]).unwrap();
    let other_public_key = other_key
        .verifying_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    assert!(!ecdsa_verdict(&other_public_key, &message, &signature).2);

    assert!(
        !ecdsa_verdict(&public_key[..20], &message, &signature).2,
        "malformed key"
    );
    assert!(
        !ecdsa_verdict(&public_key, &message, &signature[..63]).2,
        "malformed signature"
    );
}

/// The guest examples of the README and docs/guests.md (the ```rust blocks with
/// `entrypoint!`, which doc tests cannot compile: they are guest code), each built as a guest
/// and run: they read a typed `u64` and a raw item and commit `n * 2` and (a prefix of) the
/// bytes.
#[test]
fn doc_guests_build_and_run() {
    let scratch = tempfile::tempdir().unwrap();
    let repo = droste_sdk::repo_root();
    let input = Input::new().write(&21u64).unwrap().write_slice(b"abcdef");
    let mut built = 0;
    for doc in ["README.md", "docs/guests.md"] {
        let text = std::fs::read_to_string(repo.join(doc)).unwrap();
        for block in text.split("```rust ignore\n").skip(1) {
            let code = &block[..block.find("```").unwrap()];
            if !code.contains("droste_zkvm::entrypoint!") {
                continue;
            }
            let dir = scratch.path().join(format!("doc-guest-{built}"));
            std::fs::create_dir_all(dir.join("src")).unwrap();
            std::fs::write(
                dir.join("Cargo.toml"),
                format!(
                    "[package]\nname = \"doc-guest-{built}\"\nversion = \"0.1.0\"\nedition = \
                     \"2021\"\n\n[dependencies]\ndroste-zkvm = {{ path = {:?} }}\n\n[workspace]\n",
                    repo.join("crates/zkvm")
                ),
            )
            .unwrap();
            std::fs::copy(
                repo.join("guests/fibonacci/Cargo.lock"),
                dir.join("Cargo.lock"),
            )
            .unwrap();
            std::fs::write(dir.join("src/main.rs"), code).unwrap();
            let elf = droste_sdk::build_guest(&dir)
                .unwrap_or_else(|err| panic!("{doc}: the guest example does not build: {err}"));
            let elf = std::fs::read(elf).unwrap();
            let execution = execute(&elf, &input, &ExecOptions::default()).unwrap();
            assert_eq!(
                execution.exit_code, 0,
                "{doc}: {:?}",
                execution.panic_message
            );
            let mut output = PublicOutput::new(&execution.public_output);
            assert_eq!(output.read::<u64>().unwrap(), 42, "{doc}");
            assert!(b"abcdef".starts_with(output.rest()), "{doc}");
            built += 1;
        }
    }
    assert_eq!(built, 2, "one guest example in each document");
}
