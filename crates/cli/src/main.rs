//! `droste`: build, scaffold, run, prove and verify droste guests, and inspect proofs.
//!
//! Each subcommand lives in its own module under `commands/`; this file only parses the command
//! line and turns errors into one line on stderr and a non-zero exit code.

mod commands;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// droste: a zkVM for Rust programs (RV64IM, STARK proofs that verify inside droste).
#[derive(Parser)]
#[command(name = "droste", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build a guest crate for the droste target and print the ELF's path.
    Build(commands::build::Args),
    /// Create a project that builds and runs as generated: a guest and a host program that
    /// proves it with droste-sdk (--guest-only: the guest crate alone).
    New(commands::new::Args),
    /// Execute a guest (an ELF, or a guest crate directory, built first) and report the result.
    Run(commands::run::Args),
    /// Prove a guest's run (an ELF, or a guest crate directory, built first) into a proof file.
    Prove(commands::prove::Args),
    /// Compress a proof: prove its verification by droste's recursion guest, a proof of the
    /// same statement whose size and verification time no longer depend on the run.
    Compress(commands::recursion::CompressArgs),
    /// Aggregate proofs (of any guests) into one proof of all their statements.
    Aggregate(commands::recursion::AggregateArgs),
    /// Verify a proof file against its guest (an aggregate: against one guest per statement):
    /// exit code 0 when valid, 1 with the reason when not.
    Verify(commands::verify::Args),
    /// Show what a proof file claims, its parameters, security and size by section.
    Inspect(commands::inspect::Args),
    /// Print a guest's verifying-key digest (hex).
    Vkey(commands::vkey::Args),
}

#[global_allocator]
static ALLOCATOR: droste_sdk::ProvingAllocator = droste_sdk::ProvingAllocator;

fn main() -> ExitCode {
    quit_quietly_on_closed_output();
    droste_sdk::tune_allocator_for_proving();
    // `run` reports its own failures with a status no guest exit code maps to.
    let failure = match std::env::args_os().nth(1) {
        Some(command) if command == "run" => ExitCode::from(commands::run::OWN_FAILURE),
        _ => ExitCode::FAILURE,
    };
    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(err) if err.use_stderr() => {
            let _ = err.print();
            return failure;
        }
        Err(err) => err.exit(),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    // `run` and `prove` need their own matches to order input items by position.
    let (_, sub_matches) = matches.subcommand().expect("clap enforces a subcommand");
    let result = match cli.command {
        Command::Build(args) => commands::build::run(args),
        Command::New(args) => commands::new::run(args),
        Command::Run(args) => commands::run::run(args, sub_matches),
        Command::Prove(args) => commands::prove::run(args, sub_matches),
        Command::Compress(args) => commands::recursion::compress(args),
        Command::Aggregate(args) => commands::recursion::aggregate(args),
        Command::Verify(args) => commands::verify::run(args),
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Vkey(args) => commands::vkey::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            failure
        }
    }
}

/// Lets a write to a closed pipe end the process as it ends other tools (`droste run --profile
/// | head -1`): the Rust runtime ignores SIGPIPE, so `println!` would panic on the error instead.
fn quit_quietly_on_closed_output() {
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition has no memory-safety preconditions; it
    // runs first thing in `main`, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The error and its causes joined by ": ", skipping a cause whose text the message already
/// holds: the libraries' errors name their cause in their own message, so printing every link of
/// the chain would repeat it.
fn one_line(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer: {0}")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn causes_already_in_the_message_are_not_repeated() {
        let inner = std::io::Error::other("disk on fire");
        let err = anyhow::Error::new(Outer(inner)).context("while proving");
        assert_eq!(one_line(&err), "while proving: outer: disk on fire");
        let plain = anyhow::anyhow!("cause").context("context");
        assert_eq!(one_line(&plain), "context: cause");
    }
}
