//! `droste run`: execute a guest and report its exit status, cycles and public output.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::ArgMatches;
use droste_sdk::{ExecOptions, Execution, Input};

/// Arguments of `droste run`.
#[derive(clap::Args)]
pub struct Args {
    /// The guest: an ELF file, or a guest crate directory (built first).
    guest: PathBuf,
    /// Append FILE's bytes as one input item. Repeatable; items keep their command-line order
    /// together with --input-hex.
    #[arg(long = "input", value_name = "FILE")]
    input_files: Vec<PathBuf>,
    /// Append the bytes HEX encodes as one input item. Repeatable (see --input).
    #[arg(long = "input-hex", value_name = "HEX")]
    input_hex: Vec<String>,
    /// Map FILE's bytes into guest memory as the private input (`io::private_input_slice`).
    #[arg(long, value_name = "FILE")]
    private_input: Option<PathBuf>,
    /// Stop with an error after N instructions.
    #[arg(long, value_name = "N")]
    max_cycles: Option<u64>,
    /// 32 bytes (64 hex digits) of entropy for the guest's randomness (`sys_rand`).
    #[arg(long, value_name = "HEX32")]
    entropy: Option<String>,
    /// Print exactly one JSON object on stdout (exit_code, cycles, public_output_hex, stdout,
    /// and panic_message when the guest panicked).
    #[arg(long)]
    json: bool,
    /// Report cycles by function and by step marker.
    #[arg(long)]
    profile: bool,
}

/// Executes the guest. The exit code is the guest's (101 when it panicked); errors before or
/// during execution are reported by the caller with exit code 1.
pub fn run(args: Args, matches: &ArgMatches) -> Result<ExitCode> {
    let input = build_input(&args, matches)?;
    let elf_path = if args.guest.is_dir() {
        droste_sdk::build_guest(&args.guest)?
    } else {
        args.guest.clone()
    };
    let elf = read_file(&elf_path, "guest ELF")?;
    let mut options = ExecOptions {
        profile: args.profile,
        ..ExecOptions::default()
    };
    if let Some(max_cycles) = args.max_cycles {
        options.max_cycles = max_cycles;
    }
    let execution = droste_sdk::execute(&elf, &input, &options)?;

    if args.json {
        std::io::stderr().write_all(&execution.stderr)?;
        println!("{}", json_report(&execution));
    } else {
        std::io::stdout().write_all(&execution.stdout)?;
        std::io::stderr().write_all(&execution.stderr)?;
        print!("{}", text_report(&execution));
    }
    if let Some(profile) = &execution.profile {
        if args.json {
            eprint!("{profile}");
        } else {
            print!("{profile}");
        }
    }
    Ok(exit_code(execution.exit_code))
}

/// The guest's exit code as a process exit code; codes that do not fit stay non-zero.
fn exit_code(code: u32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(u8::MAX))
}

/// The input stream (--input and --input-hex merged in command-line order), private input and
/// entropy.
fn build_input(args: &Args, matches: &ArgMatches) -> Result<Input> {
    let mut items: Vec<(usize, Vec<u8>)> = Vec::new();
    for (path, index) in args.input_files.iter().zip(indices(matches, "input_files")) {
        items.push((index, read_file(path, "input file")?));
    }
    for (text, index) in args.input_hex.iter().zip(indices(matches, "input_hex")) {
        items.push((index, decode_hex(text, "--input-hex")?));
    }
    items.sort_by_key(|&(index, _)| index);

    let mut input = Input::new();
    for (_, item) in &items {
        input = input.write_slice(item);
    }
    if let Some(path) = &args.private_input {
        input = input.private_input(read_file(path, "private input file")?);
    }
    if let Some(text) = &args.entropy {
        let bytes = decode_hex(text, "--entropy")?;
        let Ok(seed) = <[u8; 32]>::try_from(bytes.as_slice()) else {
            bail!(
                "--entropy must be 32 bytes (64 hex digits), got {} bytes",
                bytes.len()
            );
        };
        input = input.entropy(seed);
    }
    Ok(input)
}

/// Positions of an argument's values on the command line.
fn indices<'a>(matches: &'a ArgMatches, id: &str) -> impl Iterator<Item = usize> + 'a {
    matches.indices_of(id).into_iter().flatten()
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// Decodes hex digits, with or without a `0x` prefix.
fn decode_hex(text: &str, option: &str) -> Result<Vec<u8>> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    hex::decode(digits).with_context(|| format!("{option} {text:?} is not hex"))
}

fn json_report(execution: &Execution) -> serde_json::Value {
    let mut report = serde_json::json!({
        "exit_code": execution.exit_code,
        "cycles": execution.cycles,
        "public_output_hex": hex::encode(&execution.public_output),
        "stdout": String::from_utf8_lossy(&execution.stdout),
    });
    if let Some(message) = &execution.panic_message {
        report["panic_message"] = message.as_str().into();
    }
    report
}

fn text_report(execution: &Execution) -> String {
    let mut report = String::new();
    match &execution.panic_message {
        Some(message) => report.push_str(&format!(
            "guest panicked (exit code {}): {message}\n",
            execution.exit_code
        )),
        None => report.push_str(&format!("exit code: {}\n", execution.exit_code)),
    }
    report.push_str(&format!("cycles: {}\n", execution.cycles));
    report.push_str(&format!(
        "public output ({} bytes): {}\n",
        execution.public_output.len(),
        hex::encode(&execution.public_output)
    ));
    report
}
