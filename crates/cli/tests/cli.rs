//! The `droste` command end to end: scaffolding, building and running guests, input ordering,
//! JSON output, exit codes and one-line errors on bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{droste, guest_dir, stderr, stdout};
use droste_sdk::{repo_root, PublicOutput};

/// A selftest input item: the scenario name as a postcard string, in hex.
fn scenario_hex(name: &str) -> String {
    format!("{:02x}{}", name.len(), hex::encode(name))
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("stdout is not one JSON object ({err}): {}", stdout(output)))
}

/// Asserts a failure with exit code 1, nothing on stdout and one `error:` line on stderr that
/// contains `expected`.
fn assert_one_line_error(output: &Output, expected: &str) {
    assert_failure(output, 1, expected);
}

/// [`assert_one_line_error`] for `droste run`, whose own failures exit with 125.
fn assert_run_error(output: &Output, expected: &str) {
    assert_failure(output, 125, expected);
}

fn assert_failure(output: &Output, status: i32, expected: &str) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(status), "{message}");
    assert!(output.stdout.is_empty(), "{}", stdout(output));
    let last = message.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: ") && last.contains(expected),
        "{message}"
    );
}

#[test]
fn new_writes_a_guest_and_a_host_that_build_and_run_as_generated() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("My App");
    let created = droste(&["new", dir.to_str().unwrap()]);
    assert!(created.status.success(), "{}", stderr(&created));
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "guest/Cargo.toml",
        "guest/Cargo.lock",
        "guest/src/main.rs",
        "host/Cargo.toml",
        "host/src/main.rs",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    let guest_manifest = std::fs::read_to_string(dir.join("guest/Cargo.toml")).unwrap();
    assert!(
        guest_manifest.contains("name = \"my-app-guest\""),
        "{guest_manifest}"
    );
    assert!(guest_manifest.contains(&repo_root().join("crates/zkvm").display().to_string()));
    let host_manifest = std::fs::read_to_string(dir.join("host/Cargo.toml")).unwrap();
    assert!(host_manifest.contains(&repo_root().join("crates/sdk").display().to_string()));

    // The scaffold's own hint: one typed item.
    let guest = dir.join("guest");
    let run = droste(&[
        "run",
        guest.to_str().unwrap(),
        "--json",
        "--input-value",
        "u64:20",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let report = json(&run);
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["stdout"], "fib(20) = 6765\n");
    let output = hex::decode(report["public_output_hex"].as_str().unwrap()).unwrap();
    let mut output = PublicOutput::new(&output);
    assert_eq!(output.read::<u64>().unwrap(), 20);
    assert_eq!(output.read::<u64>().unwrap(), 6765);

    // The raw 8-byte form is not a postcard u64: the guest's panic says what to use instead.
    let raw = droste(&[
        "run",
        guest.to_str().unwrap(),
        "--json",
        "--input-hex",
        "1400000000000000",
    ]);
    assert_eq!(run_status(&raw), 101);
    assert!(json(&raw)["panic_message"]
        .as_str()
        .unwrap()
        .contains("--input-value TYPE:VALUE"));

    let again = droste(&["new", dir.to_str().unwrap()]);
    assert_one_line_error(&again, "already exists and is not empty");
}

/// The host program `droste new` writes type-checks against this checkout, offline, with the
/// lockfile it was given (a full build would compile droste again: too slow for every run).
#[test]
fn the_new_host_program_type_checks_offline_with_its_lockfile() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("checked");
    assert!(droste(&["new", dir.to_str().unwrap()]).status.success());
    let lock_before = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    let output = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet"])
        .current_dir(&dir)
        .env(
            "CARGO_TARGET_DIR",
            repo_root().join("target/new-project-check"),
        )
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    // Cargo only dropped what the host does not use: every version is the checkout's.
    let lock_after = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    let versions = |lock: &str| -> Vec<String> {
        lock.split("[[package]]")
            .skip(1)
            .filter(|entry| !entry.contains("name = \"checked-host\""))
            .map(|entry| entry.lines().take(3).collect::<Vec<_>>().join(" "))
            .collect()
    };
    let before = versions(&lock_before);
    assert!(versions(&lock_after).iter().all(|v| before.contains(v)));
}

/// The status of a finished `droste run`.
fn run_status(output: &Output) -> i32 {
    output.status.code().expect("exited")
}

#[test]
fn build_prints_the_elf_path_and_run_reports_the_result() {
    let built = droste(&["build", &guest_dir("fibonacci")]);
    assert!(built.status.success(), "{}", stderr(&built));
    let elf = PathBuf::from(stdout(&built).trim());
    assert!(elf.is_file(), "{}", elf.display());

    let run = droste(&[
        "run",
        elf.to_str().unwrap(),
        "--input-hex",
        "0a00000000000000",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let text = stdout(&run);
    assert!(text.contains("exit code: 0"), "{text}");
    assert!(
        text.contains("public output (16 bytes): 37000000000000000a00000000000000"),
        "{text}"
    );
}

#[test]
fn input_items_keep_command_line_order_across_files_and_hex() {
    let scratch = tempfile::tempdir().unwrap();
    let scenario_file = scratch.path().join("scenario");
    std::fs::write(
        &scenario_file,
        hex::decode(scenario_hex("collections")).unwrap(),
    )
    .unwrap();
    let text = "b a b";
    let text_hex = format!("{:02x}{}", text.len(), hex::encode(text));
    let text_file = scratch.path().join("text");
    std::fs::write(&text_file, hex::decode(&text_hex).unwrap()).unwrap();
    let guest = guest_dir("selftest");
    let expected_stream = {
        let collections = droste(&[
            "run",
            &guest,
            "--json",
            "--input-hex",
            &scenario_hex("collections"),
            "--input-hex",
            &text_hex,
        ]);
        assert!(collections.status.success(), "{}", stderr(&collections));
        json(&collections)["public_output_hex"].clone()
    };

    // The scenario comes from a file given first, the text from hex given second.
    let file_first = droste(&[
        "run",
        &guest,
        "--json",
        "--input",
        scenario_file.to_str().unwrap(),
        "--input-hex",
        &text_hex,
    ]);
    assert!(file_first.status.success(), "{}", stderr(&file_first));
    assert_eq!(json(&file_first)["public_output_hex"], expected_stream);

    // The scenario from hex given first, the text from a file given second.
    let hex_first = droste(&[
        "run",
        &guest,
        "--json",
        "--input-hex",
        &scenario_hex("collections"),
        "--input",
        text_file.to_str().unwrap(),
    ]);
    assert!(hex_first.status.success(), "{}", stderr(&hex_first));
    assert_eq!(json(&hex_first)["public_output_hex"], expected_stream);
}

#[test]
fn a_panicking_guest_exits_101_and_reports_its_message() {
    let run = droste(&[
        "run",
        &guest_dir("selftest"),
        "--json",
        "--input-hex",
        &scenario_hex("panic"),
    ]);
    assert_eq!(run.status.code(), Some(101), "{}", stderr(&run));
    let report = json(&run);
    assert_eq!(report["exit_code"], 101);
    assert!(report["panic_message"]
        .as_str()
        .unwrap()
        .ends_with("scenario says 42"));

    let text = droste(&[
        "run",
        &guest_dir("selftest"),
        "--input-hex",
        &scenario_hex("panic"),
    ]);
    assert_eq!(text.status.code(), Some(101));
    assert!(
        stdout(&text).contains("guest panicked (exit code 101)"),
        "{}",
        stdout(&text)
    );
}

#[test]
fn guest_stdout_goes_into_the_json_and_stderr_to_stderr() {
    let run = droste(&[
        "run",
        &guest_dir("selftest"),
        "--json",
        "--input-hex",
        &scenario_hex("print"),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(json(&run)["stdout"], "hello from the guest\n");
    assert!(stderr(&run).contains("warning from the guest"));
}

#[test]
fn entropy_option_feeds_the_guests_randomness() {
    let words = format!("01{}", scenario_hex("x"));
    let guest = guest_dir("selftest");
    let base = [
        "run",
        guest.as_str(),
        "--input-hex",
        &scenario_hex("hashmap"),
        "--input-hex",
        &words,
    ];
    let without = droste(&base);
    assert_run_error(&without, "no entropy");

    let entropy = "ab".repeat(32);
    let with = droste(&[&base[..], &["--entropy", &entropy]].concat());
    assert!(with.status.success(), "{}", stderr(&with));

    let short = droste(&[&base[..], &["--entropy", "abcd"]].concat());
    assert_run_error(&short, "--entropy must be 32 bytes");
}

#[test]
fn profile_reports_what_proving_costs_by_table_function_and_marker() {
    let run = droste(&[
        "run",
        &guest_dir("selftest"),
        "--profile",
        "--input-hex",
        &scenario_hex("cycles"),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let text = stdout(&run);
    for expected in [
        "proving cost by table",
        "%  program (fixed)\n",
        "  add_imm\n",
        "tallest: range, byte (2^16 rows), which sets the largest LDE domain: 2^18 points at \
         log_blowup 2",
        "by function (innermost ELF symbol), most cells first",
        "selftest::main  [",
        "marker 1  [",
        "marker 2  [",
        "(padding to powers of two)",
        "by opcode:",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
}

#[test]
fn profile_json_has_every_table_function_and_marker_with_their_rows() {
    let run = droste(&[
        "run",
        &guest_dir("selftest"),
        "--profile",
        "--json",
        "--input-hex",
        &scenario_hex("cycles"),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(!stderr(&run).contains("total cycles"), "{}", stderr(&run));
    let report = json(&run);
    let profile = &report["profile"];
    assert_eq!(profile["cycles"], report["cycles"]);
    assert_eq!(profile["log_blowup"], 2);
    let tables = profile["tables"].as_array().unwrap();
    assert_eq!(tables[0]["name"], "program");
    assert_eq!(tables[0]["fixed"], true);
    let cells: u64 = tables.iter().map(|t| t["cells"].as_u64().unwrap()).sum();
    assert_eq!(profile["cells"], cells);
    assert_eq!(profile["tallest"], serde_json::json!(["range", "byte"]));
    // Each table's rows: the run's own plus those of every function, and of every phase.
    for buckets in ["functions", "markers"] {
        for table in tables {
            let name = table["name"].as_str().unwrap();
            let added: u64 = profile[buckets]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["rows"][name].as_u64().unwrap_or(0))
                .sum();
            assert_eq!(
                table["run_rows"].as_u64().unwrap() + added,
                table["rows"].as_u64().unwrap(),
                "{buckets}: {name}"
            );
        }
    }
    let markers: Vec<&serde_json::Value> = profile["markers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["marker"])
        .collect();
    assert_eq!(markers, [&serde_json::Value::Null, &1.into(), &2.into()]);
    let main = profile["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "selftest::main")
        .unwrap();
    assert!(main["cycles"].as_u64().unwrap() > 1000, "{main}");
    assert!(main["rows"]["add_sub"].as_u64().unwrap() >= 1000, "{main}");
    assert!(profile["opcodes"][0]["count"].as_u64().unwrap() > 0);
}

#[test]
fn execution_errors_are_one_line_with_the_pc() {
    let run = droste(&[
        "run",
        &guest_dir("fibonacci"),
        "--max-cycles",
        "50",
        "--input-hex",
        "0a00000000000000",
    ]);
    assert_run_error(&run, "cycle budget of 50 exceeded (pc 0x");
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let scratch = tempfile::tempdir().unwrap();
    let not_elf = scratch.path().join("not.elf");
    let elf = std::fs::read(exit_elf(scratch.path(), 0, 0)).unwrap();
    std::fs::write(&not_elf, &elf[..100]).unwrap();
    let fibonacci = guest_dir("fibonacci");
    let missing = scratch.path().join("missing");
    let missing = missing.to_str().unwrap();

    // Named with the file, in the file's terms (not the parser's).
    assert_run_error(
        &droste(&["run", not_elf.to_str().unwrap()]),
        &format!(
            "cannot load guest ELF {}: the ELF file is truncated or corrupt",
            not_elf.display()
        ),
    );
    assert_run_error(&droste(&["run", missing]), "cannot read guest ELF");
    assert_run_error(
        &droste(&["run", &fibonacci, "--input", missing]),
        "cannot read input file",
    );
    assert_run_error(
        &droste(&["run", &fibonacci, "--input-hex", "xyz"]),
        "--input-hex \"xyz\" is not hex",
    );
    assert_run_error(
        &droste(&["run", &fibonacci, "--input-value", "u8:300"]),
        "--input-value \"u8:300\": \"300\" is not a u8",
    );
    assert_run_error(
        &droste(&["run", &fibonacci, "--private-input", missing]),
        "cannot read private input file",
    );
    assert_run_error(&droste(&["run", "/dev/zero"]), "larger than");
    assert_one_line_error(&droste(&["build", missing]), "not a guest crate");
}

#[test]
fn host_build_settings_do_not_leak_into_the_guest_build() {
    let output = Command::new(env!("CARGO_BIN_EXE_droste"))
        .args(["build", &guest_dir("fibonacci")])
        .env("RUSTFLAGS", "-C this-flag-does-not-exist")
        .env("CARGO_ENCODED_RUSTFLAGS", "--cfg\x1fbroken")
        .env("CARGO_TARGET_DIR", "/nonexistent/droste-target")
        .env("CARGO_BUILD_TARGET", "x86_64-unknown-linux-gnu")
        .env("RUSTC_WRAPPER", "/nonexistent/wrapper")
        .env("CARGO_PROFILE_RELEASE_LTO", "banana")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let elf = PathBuf::from(stdout(&output).trim());
    assert!(
        elf.starts_with(repo_root().join("target/guests")),
        "{}",
        elf.display()
    );
}

#[test]
fn a_guest_that_does_not_compile_is_a_one_line_error_after_the_compiler_output() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("broken");
    let dir = dir.to_str().unwrap();
    assert!(droste(&["new", "--guest-only", dir]).status.success());
    std::fs::write(
        Path::new(dir).join("src/main.rs"),
        "#![no_main]\ndroste_zkvm::entrypoint!(main);\nfn main() { let x: u32 = \"text\"; }\n",
    )
    .unwrap();
    let output = droste(&["build", dir]);
    assert_one_line_error(&output, "building guest");
    let message = stderr(&output);
    assert!(
        message.contains("mismatched types"),
        "compiler output passed through: {message}"
    );
    assert!(
        message.lines().last().unwrap().contains("error[E0308]"),
        "{message}"
    );
}

#[test]
fn a_guest_whose_memory_does_not_fit_below_the_heap_end_fails_to_link() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("too-big");
    let dir = dir.to_str().unwrap();
    assert!(droste(&["new", "--guest-only", dir]).status.success());
    std::fs::write(
        Path::new(dir).join("src/main.rs"),
        "#![no_main]\ndroste_zkvm::entrypoint!(main);\n\
         static mut BIG: [u8; 600 << 20] = [0; 600 << 20];\n\
         fn main() { unsafe { (*std::hint::black_box(&raw mut BIG))[7] = 1 }; }\n",
    )
    .unwrap();
    let output = droste(&["build", dir]);
    assert_one_line_error(&output, "building guest");
    let message = stderr(&output);
    assert!(
        message.contains("do not fit below abi::HEAP_END"),
        "linker script assertion: {message}"
    );
}

#[test]
fn guests_of_the_same_name_each_build_and_run_their_own_program() {
    let scratch = tempfile::tempdir().unwrap();
    let first = scratch.path().join("first/hello");
    let second = scratch.path().join("second/hello");
    let (first, second) = (first.to_str().unwrap(), second.to_str().unwrap());
    for dir in [first, second] {
        std::fs::create_dir_all(Path::new(dir).parent().unwrap()).unwrap();
        assert!(droste(&["new", "--guest-only", dir]).status.success());
    }
    let main = Path::new(second).join("src/main.rs");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, text.replace("\"fib(", "\"second fib(")).unwrap();

    let built = |dir: &str| {
        let output = droste(&["build", dir]);
        assert!(output.status.success(), "{}", stderr(&output));
        PathBuf::from(stdout(&output).trim())
    };
    let output_of = |dir: &str| {
        let run = droste(&["run", dir, "--json", "--input-value", "u64:10"]);
        assert!(run.status.success(), "{}", stderr(&run));
        json(&run)["stdout"].as_str().unwrap().to_string()
    };
    let first_elf = built(first);
    let first_bytes = std::fs::read(&first_elf).unwrap();
    assert_eq!(output_of(first), "fib(10) = 55\n");
    assert_eq!(output_of(second), "second fib(10) = 55\n");
    assert_eq!(output_of(first), "fib(10) = 55\n", "the first guest again");
    let second_elf = built(second);
    assert_ne!(first_elf, second_elf);
    assert_eq!(
        std::fs::read(&first_elf).unwrap(),
        first_bytes,
        "still the first guest's ELF"
    );
    assert_ne!(std::fs::read(&second_elf).unwrap(), first_bytes);
}

#[test]
fn a_crate_without_the_droste_runtime_is_not_a_droste_guest() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("plain");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"plain\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), "#![no_main]\n").unwrap();
    let output = droste(&["run", dir.to_str().unwrap()]);
    assert_run_error(
        &output,
        "is not a droste guest: it does not depend on droste-zkvm",
    );
}

#[test]
fn a_closed_output_pipe_ends_droste_quietly() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_droste"))
        .args(["run", &guest_dir("selftest"), "--profile", "--input-hex"])
        .arg(scenario_hex("cycles"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `| head -0`: the reader is gone before droste prints anything.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let message = stderr(&output);
    assert!(!message.contains("panicked"), "{message}");
    assert_ne!(output.status.code(), Some(101), "{message}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(output.status.signal(), Some(libc::SIGPIPE), "{message}");
    }
}

/// An ELF that commits `output_len` zero bytes and halts with `exit_code`.
fn exit_elf(dir: &Path, exit_code: u32, output_len: u32) -> PathBuf {
    use droste_executor::elf_builder::ElfBuilder;
    use droste_isa::abi::{syscall, PROGRAM_START};
    use droste_isa::{Instruction as I, Opcode};
    let li = |rd: u8, value: u32| {
        let value = value as i32;
        let lo = (value << 20) >> 20;
        [
            I::u(Opcode::Lui, rd, value.wrapping_sub(lo)),
            I::i(Opcode::Addi, rd, rd, lo),
        ]
    };
    let mut code = Vec::new();
    code.extend(li(10, 0x0100_0000));
    code.extend(li(11, output_len));
    code.extend(li(17, syscall::COMMIT as u32));
    code.push(I::system(Opcode::Ecall));
    code.extend(li(10, exit_code));
    code.extend(li(17, syscall::HALT as u32));
    code.push(I::system(Opcode::Ecall));
    let mut elf = ElfBuilder::new(PROGRAM_START);
    elf.code(PROGRAM_START, &code).unwrap();
    let path = dir.join(format!("exit-{exit_code}-{output_len}.elf"));
    std::fs::write(&path, elf.build()).unwrap();
    path
}

#[test]
fn run_tells_guest_exit_codes_from_its_own_failure() {
    let scratch = tempfile::tempdir().unwrap();
    for (code, status) in [(0, 0), (1, 1), (124, 124), (125, 126), (300, 126)] {
        let elf = exit_elf(scratch.path(), code, 0);
        let run = droste(&["run", elf.to_str().unwrap(), "--json"]);
        assert_eq!(run_status(&run), status, "{code}: {}", stderr(&run));
        assert_eq!(
            json(&run)["exit_code"],
            code,
            "the JSON keeps the exact code"
        );
        let text = droste(&["run", elf.to_str().unwrap()]);
        assert!(stdout(&text).contains(&format!("exit code: {code}\n")));
    }
    // droste's own failures, usage errors included, are 125: no guest code maps there.
    let missing = scratch.path().join("missing.elf");
    assert_run_error(&droste(&["run", missing.to_str().unwrap()]), "cannot read");
    let usage = droste(&["run", "--no-such-flag"]);
    assert_eq!(run_status(&usage), 125, "{}", stderr(&usage));
}

#[test]
fn a_long_public_output_is_shown_by_prefix_and_written_whole_with_output() {
    let scratch = tempfile::tempdir().unwrap();
    let elf = exit_elf(scratch.path(), 0, 5000);
    let file = scratch.path().join("output.bin");
    let run = droste(&[
        "run",
        elf.to_str().unwrap(),
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let text = stdout(&run);
    assert!(
        text.contains("public output (5000 bytes, the first 1024 shown): 0000"),
        "{text}"
    );
    assert!(text.len() < 2 * 1024 + 200, "{} bytes printed", text.len());
    assert_eq!(std::fs::read(&file).unwrap(), vec![0; 5000]);

    let report = json(&droste(&["run", elf.to_str().unwrap(), "--json"]));
    assert_eq!(report["public_output_len"], 5000);
    assert_eq!(report["public_output_truncated"], true);
    assert_eq!(report["public_output_hex"].as_str().unwrap().len(), 2048);
}
