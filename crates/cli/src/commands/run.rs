//! `droste run`: execute a guest and report its exit status, cycles and public output.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::ArgMatches;
use droste_sdk::{ExecOptions, Execution};

use super::input::{guest_elf, InputArgs};

/// Arguments of `droste run`.
#[derive(clap::Args)]
pub struct Args {
    /// The guest: an ELF file, or a guest crate directory (built first).
    guest: PathBuf,
    #[command(flatten)]
    input: InputArgs,
    /// Stop with an error after N instructions.
    #[arg(long, value_name = "N")]
    max_cycles: Option<u64>,
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
    let input = args.input.build(matches)?;
    let elf = guest_elf(&args.guest)?;
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
