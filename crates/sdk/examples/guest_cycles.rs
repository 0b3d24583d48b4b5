//! Prints the cycles each example guest needs on typical inputs, and the executor's speed on it.
//!
//! `cargo run --release -p droste-sdk --example guest_cycles`

use std::time::Instant;

use droste_sdk::{build_guest, execute, repo_root, ExecOptions, Input, Program};
use k256::ecdsa::{signature::Signer, Signature, SigningKey};

fn bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 % 251) as u8).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = SigningKey::from_slice(&[0x42; 32]).map_err(|err| err.to_string())?;
    let message = b"droste".to_vec();
    let signature: Signature = key.sign(&message);
    let document = serde_json::json!({
        "users": (0..100).map(|i| serde_json::json!({"id": i, "name": format!("user{i}"), "tags": ["a", "b"]})).collect::<Vec<_>>()
    });

    let cases: Vec<(&str, String, Input)> = vec![
        (
            "fibonacci",
            "n = 100000".into(),
            Input::new().write_slice(&100_000u64.to_le_bytes()),
        ),
        (
            "sha256",
            "1 KiB".into(),
            Input::new().write_slice(&bytes(1024)),
        ),
        (
            "sha256",
            "100 KiB".into(),
            Input::new().write_slice(&bytes(100 << 10)),
        ),
        (
            "keccak256",
            "1 KiB".into(),
            Input::new().write_slice(&bytes(1024)),
        ),
        (
            "keccak256",
            "100 KiB".into(),
            Input::new().write_slice(&bytes(100 << 10)),
        ),
        (
            "json",
            "100 users, 4.6 KiB".into(),
            Input::new().write_slice(&serde_json::to_vec(&document)?),
        ),
        (
            "ecdsa",
            "one secp256k1 verification".into(),
            Input::new()
                .write_slice(key.verifying_key().to_encoded_point(true).as_bytes())
                .write_slice(&message)
                .write_slice(&signature.to_bytes()),
        ),
    ];

    println!(
        "{:<10} {:<28} {:>12} {:>10} {:>8}",
        "guest", "input", "cycles", "ms", "MHz"
    );
    for (name, description, input) in cases {
        let elf = std::fs::read(build_guest(repo_root().join("guests").join(name))?)?;
        let program = Program::from_elf(&elf)?;
        let start = Instant::now();
        let execution = execute(&program, &input, &ExecOptions::default())?;
        let elapsed = start.elapsed();
        assert_eq!(
            execution.exit_code, 0,
            "{name}: {:?}",
            execution.panic_message
        );
        println!(
            "{:<10} {:<28} {:>12} {:>10.1} {:>8.1}",
            name,
            description,
            execution.cycles,
            elapsed.as_secs_f64() * 1e3,
            execution.cycles as f64 / elapsed.as_secs_f64() / 1e6
        );
    }
    Ok(())
}
