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
    // stderr is not a terminal here: one plain line per phase, with its time.
    let progress = stderr(&proved);
    for phase in [
        "setup",
        "execute",
        "trace generation",
        "commit traces",
        "open (fri)",
    ] {
        assert!(
            progress.contains(&format!("  {phase}: ")),
            "{phase} in {progress}"
        );
    }

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

    // A file that is no guest is the guest's fault, named, not the proof's.
    let output = droste(&["verify", proof_path, "/bin/ls"]);
    assert_one_line_error(&output, "cannot load guest ELF /bin/ls: ELF machine is");
    assert!(!stderr(&output).contains("rejected"), "{}", stderr(&output));
    // Reads are capped: /dev/zero is refused, not read until memory runs out.
    let output = droste(&["inspect", "/dev/zero"]);
    assert_one_line_error(&output, "is not a droste proof: it is larger than");
}

#[test]
fn a_proof_of_a_panic_warns_and_verifies_only_with_its_exit_code() {
    let scratch = tempfile::tempdir().unwrap();
    let proof = scratch.path().join("panic.proof");
    let proof_path = proof.to_str().unwrap();
    let proved = droste(&[
        "prove",
        &guest_dir("selftest"),
        "--input-hex",
        &format!("05{}", hex::encode("panic")),
        "--preset",
        "fast",
        "-o",
        proof_path,
    ]);
    assert_success(&proved);
    let warnings = stderr(&proved);
    assert!(
        warnings.contains("warning: the guest panicked: panicked at")
            && warnings.contains("scenario says 42"),
        "{warnings}"
    );
    assert!(
        warnings.contains("accepts it only with `--exit-code 101`"),
        "{warnings}"
    );
    assert!(stdout(&proved).contains("exit code: 101"));

    let refused = droste(&["verify", proof_path, &guest_dir("selftest")]);
    assert_one_line_error(
        &refused,
        "the proof is valid but proves exit code 101 (the guest panicked), not 0 (pass \
         --exit-code 101 to accept it)",
    );
    let accepted = droste(&[
        "verify",
        proof_path,
        &guest_dir("selftest"),
        "--exit-code",
        "101",
    ]);
    assert_success(&accepted);
    assert!(stdout(&accepted).contains("exit code: 101"));
    let wrong = droste(&[
        "verify",
        proof_path,
        &guest_dir("selftest"),
        "--exit-code",
        "3",
    ]);
    assert_one_line_error(&wrong, "proves exit code 101 (the guest panicked), not 3");
}

#[test]
fn a_proof_to_stdout_with_a_json_summary_verifies() {
    let scratch = tempfile::tempdir().unwrap();
    let proved = droste(&[
        "prove",
        &guest_dir("fibonacci"),
        "--input-hex",
        "0a00000000000000",
        "--preset",
        "fast",
        "--json",
        "-o",
        "-",
    ]);
    assert_success(&proved);
    // The proof on stdout, the summary (one JSON object, its last line) on stderr.
    let message = stderr(&proved);
    let summary: serde_json::Value = serde_json::from_str(message.lines().last().unwrap()).unwrap();
    assert_eq!(summary["size"].as_u64(), Some(proved.stdout.len() as u64));
    assert_eq!(summary["preset"], "fast");
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(summary["public_output_hex"], FIB_10_OUTPUT);
    assert!(summary["cycles"].as_u64().unwrap() > 0);
    assert_eq!(summary["phases"][0]["phase"], "setup");
    assert!(summary["tables"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "add_sub"));
    let path = scratch.path().join("stdout.proof");
    std::fs::write(&path, &proved.stdout).unwrap();
    assert_success(&droste(&[
        "verify",
        path.to_str().unwrap(),
        &guest_dir("fibonacci"),
    ]));
}

#[test]
fn prove_replaces_only_regular_files_that_are_not_inputs() {
    let scratch = tempfile::tempdir().unwrap();
    let elf = scratch.path().join("fib.elf");
    let built = droste(&["build", &guest_dir("fibonacci")]);
    assert_success(&built);
    std::fs::copy(stdout(&built).trim(), &elf).unwrap();
    let input = scratch.path().join("n.bin");
    std::fs::write(&input, 10u64.to_le_bytes()).unwrap();
    let elf_bytes = std::fs::read(&elf).unwrap();
    let prove_to = |output: &Path| {
        droste(&[
            "prove",
            elf.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
        ])
    };
    assert_one_line_error(&prove_to(&elf), "that is an input of this prove");
    assert_one_line_error(&prove_to(&input), "that is an input of this prove");
    assert_eq!(std::fs::read(&elf).unwrap(), elf_bytes);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let fifo = scratch.path().join("fifo");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: `mkfifo` reads a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        assert_one_line_error(&prove_to(&fifo), "it is not a regular file");
        let read_only = scratch.path().join("read-only.proof");
        std::fs::write(&read_only, b"keep").unwrap();
        std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o444)).unwrap();
        assert_one_line_error(&prove_to(&read_only), "the file is read-only");
        assert_eq!(std::fs::read(&read_only).unwrap(), b"keep");
    }
    assert!(!entries(scratch.path())
        .iter()
        .any(|name| name.starts_with(".droste-proof-")));
}

#[cfg(unix)]
#[test]
fn an_interrupted_prove_leaves_no_file() {
    let scratch = tempfile::tempdir().unwrap();
    let proof = scratch.path().join("fib.proof");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_droste"))
        .args([
            "prove",
            &guest_dir("fibonacci"),
            "--input-hex",
            "00350c0000000000",
        ])
        .args(["--preset", "fast", "-o", proof.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the temporary file, then Ctrl-C while proving (800000 cycles: seconds).
    let start = std::time::Instant::now();
    while entries(scratch.path()).is_empty() {
        assert!(
            start.elapsed().as_secs() < 120,
            "no temporary file appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    assert_eq!(entries(scratch.path()), [] as [String; 0]);
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

/// `compress` and `aggregate` check their inputs before proving anything: a damaged proof is
/// refused with the verifier's reason, a proof of no given guest is named, mixed presets need
/// `--preset`; `verify` with several guests wants an aggregate. (Proving the recursion guest is
/// tested in droste-sdk's recursion tests, once.)
#[test]
fn recursion_commands_refuse_bad_inputs_before_proving() {
    let dir = tempfile::tempdir().unwrap();
    let fib = dir.path().join("fib.proof");
    let fast = dir.path().join("fast.proof");
    assert_success(&prove_fibonacci(&fib, "default"));
    assert_success(&prove_fibonacci(&fast, "fast"));
    let out = dir.path().join("out.proof");
    let (fib, fast, out) = (
        fib.to_str().unwrap(),
        fast.to_str().unwrap(),
        out.to_str().unwrap(),
    );

    let damaged = dir.path().join("damaged.proof");
    let mut bytes = std::fs::read(fib).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 1;
    std::fs::write(&damaged, bytes).unwrap();
    let output = droste(&[
        "compress",
        damaged.to_str().unwrap(),
        &guest_dir("fibonacci"),
        "-o",
        out,
    ]);
    assert_one_line_error(&output, "proof 0 to aggregate does not verify");

    let output = droste(&["compress", fib, "-o", out]);
    assert_one_line_error(&output, "give the guest it is of");
    let output = droste(&["compress", fib, &guest_dir("sha256"), "-o", out]);
    assert_one_line_error(&output, "no given guest's under its preset");
    let fibonacci = guest_dir("fibonacci");
    let output = droste(&["aggregate", fib, fast, "--guest", &fibonacci, "-o", out]);
    assert_one_line_error(&output, "choose the result's with --preset");
    assert!(!Path::new(out).exists(), "nothing was written");

    let output = droste(&["verify", fib, &fibonacci, &guest_dir("sha256")]);
    assert_one_line_error(&output, "is not an aggregated proof");
}

/// `--shard-cycles` outside 1..=2^24 is refused before any work, and no file appears. (Proving a
/// continuation is tested in droste-sdk's continuation tests, once.)
#[test]
fn prove_refuses_a_shard_size_no_shard_proof_holds() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.proof");
    for (cycles, expected) in [
        ("0", "a shard runs at least one instruction"),
        ("16777217", "one shard proof holds at most 16777216 cycles"),
    ] {
        let output = droste(&[
            "prove",
            &guest_dir("fibonacci"),
            "--input-hex",
            "0a00000000000000",
            "--shard-cycles",
            cycles,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_one_line_error(&output, expected);
        assert!(!out.exists(), "nothing was written");
    }
}
