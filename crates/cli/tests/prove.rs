//! `droste prove / verify / inspect / vkey` end to end on the example guests: the round trip,
//! refusals with one-line reasons, atomic proof files, and keys.

mod common;

use std::path::Path;
use std::process::Output;

use common::{droste, guest_dir, stderr, stdout};

fn assert_success(output: &Output) {
    assert!(output.status.success(), "{}", stderr(output));
}

/// Asserts exit code 1, nothing on stdout, and a last stderr line `error: ...` containing
/// `expected` (guest builds may print cargo's progress lines before it).
fn assert_one_line_error(output: &Output, expected: &str) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(output.stdout.is_empty(), "{}", stdout(output));
    let last = message.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: ") && last.contains(expected),
        "{message}"
    );
}

/// fib(10) = 55, and n, as the fibonacci guest commits them.
const FIB_10_OUTPUT: &str = "37000000000000000a00000000000000";

/// Proves fibonacci(10) with `preset` into `path`.
fn prove_fibonacci(path: &Path, preset: &str) -> Output {
    droste(&[
        "prove",
        &guest_dir("fibonacci"),
        "--input-hex",
        "0a00000000000000",
        "--preset",
        preset,
        "-o",
        path.to_str().unwrap(),
    ])
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn prove_verify_inspect_round_trip_on_fibonacci() {
    let scratch = tempfile::tempdir().unwrap();
    let proof = scratch.path().join("fib.proof");
    let proof_path = proof.to_str().unwrap();
    let proved = prove_fibonacci(&proof, "default");
    assert_success(&proved);
    let summary = stdout(&proved);
    for expected in [
        "default preset",
        "cycles: ",
        "exit code: 0",
        &format!("public output (16 bytes): {FIB_10_OUTPUT}"),
        "prove time: ",
        "table heights (rows):",
        "  add_sub ",
    ] {
        assert!(summary.contains(expected), "{expected:?} in {summary}");
    }
    assert_eq!(entries(scratch.path()), ["fib.proof"]);

    let verified = droste(&["verify", proof_path, &guest_dir("fibonacci")]);
    assert_success(&verified);
    let text = stdout(&verified);
    assert!(text.starts_with("proof is valid"), "{text}");
    assert!(text.contains("exit code: 0"), "{text}");
    assert!(text.contains(FIB_10_OUTPUT), "{text}");

    let vkey = droste(&["vkey", &guest_dir("fibonacci")]);
    assert_success(&vkey);
    let digest = stdout(&vkey).trim().to_string();
    assert_eq!(digest.len(), 64, "{digest}");
    assert!(text.contains(&digest), "verify names the key: {text}");

    let inspected = droste(&["inspect", proof_path]);
    assert_success(&inspected);
    let text = stdout(&inspected);
    for expected in [
        &format!("vkey digest:   {digest}"),
        "exit code:     0",
        FIB_10_OUTPUT,
        "default preset",
        "provable ",
        "conjectured ",
        "  range ",
        "size by section (bytes):",
        "queries: main rows",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }

    let json = droste(&["inspect", proof_path, "--json"]);
    assert_success(&json);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["vkey_digest"], digest.as_str());
    assert_eq!(report["public_output_hex"], FIB_10_OUTPUT);
    assert_eq!(report["parameters"]["preset"], "default");
    assert!(report["security"]["provable"].as_f64().unwrap() >= 100.0);
    let size = std::fs::metadata(&proof).unwrap().len();
    assert_eq!(report["size"].as_u64(), Some(size));
    let sections: u64 = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(sections, size);
}

#[test]
fn verify_refuses_the_wrong_guest_and_damaged_files() {
    let scratch = tempfile::tempdir().unwrap();
    let proof = scratch.path().join("fib.proof");
    let proof_path = proof.to_str().unwrap();
    assert_success(&prove_fibonacci(&proof, "fast"));
    let bytes = std::fs::read(&proof).unwrap();

    let wrong = droste(&["verify", proof_path, &guest_dir("sha256")]);
    assert_one_line_error(&wrong, "the proof is for another program");

    let tampered = scratch.path().join("tampered.proof");
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    std::fs::write(&tampered, &flipped).unwrap();
    let output = droste(&[
        "verify",
        tampered.to_str().unwrap(),
        &guest_dir("fibonacci"),
    ]);
    assert_one_line_error(&output, "rejected: ");

    let truncated = scratch.path().join("truncated.proof");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let output = droste(&[
        "verify",
        truncated.to_str().unwrap(),
        &guest_dir("fibonacci"),
    ]);
    assert_one_line_error(&output, "not a droste proof");
    let output = droste(&["inspect", truncated.to_str().unwrap()]);
    assert_one_line_error(&output, "not a droste proof");

    let garbage = scratch.path().join("garbage.proof");
    std::fs::write(&garbage, b"\x00garbage\xff".repeat(100)).unwrap();
    let output = droste(&["verify", garbage.to_str().unwrap(), &guest_dir("fibonacci")]);
    assert_one_line_error(&output, "missing machine proof magic");

    let missing = scratch.path().join("missing.proof");
    let output = droste(&["verify", missing.to_str().unwrap(), &guest_dir("fibonacci")]);
    assert_one_line_error(&output, "cannot read proof file");
}

#[test]
fn failed_proves_leave_no_file_and_keep_the_old_one() {
    let scratch = tempfile::tempdir().unwrap();
    let missing_dir = scratch.path().join("no/such/dir/fib.proof");
    let output = prove_fibonacci(&missing_dir, "fast");
    assert_one_line_error(&output, "cannot write proof file");
    assert!(
        stderr(&output).contains("dir does not exist"),
        "{}",
        stderr(&output)
    );
    assert_eq!(entries(scratch.path()), [] as [String; 0]);

    // The hashmap scenario (with one word to count) needs entropy; without it execution fails.
    let existing = scratch.path().join("old.proof");
    std::fs::write(&existing, b"previous proof").unwrap();
    let output = droste(&[
        "prove",
        &guest_dir("selftest"),
        "--input-hex",
        &format!("07{}", hex::encode("hashmap")),
        "--input-hex",
        "010178",
        "-o",
        existing.to_str().unwrap(),
    ]);
    assert_one_line_error(&output, "execution failed");
    assert_eq!(std::fs::read(&existing).unwrap(), b"previous proof");
    assert_eq!(entries(scratch.path()), ["old.proof"]);
}

#[test]
fn vkey_is_deterministic_and_differs_between_guests_and_presets() {
    let digest = |guest: &str, preset: &str| {
        let output = droste(&["vkey", &guest_dir(guest), "--preset", preset]);
        assert_success(&output);
        stdout(&output).trim().to_string()
    };
    let fib = digest("fibonacci", "default");
    assert_eq!(fib, digest("fibonacci", "default"));
    assert_ne!(fib, digest("sha256", "default"));
    assert_ne!(fib, digest("fibonacci", "fast"));
    assert!(fib.len() == 64 && fib.chars().all(|c| c.is_ascii_hexdigit()));

    let output = droste(&["vkey", "/nonexistent/guest.elf"]);
    assert_one_line_error(&output, "cannot read guest ELF /nonexistent/guest.elf");
}
