//! `droste`: build, scaffold and run droste guests.
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
    /// Create a new guest crate that builds and runs as generated.
    New(commands::new::Args),
    /// Execute a guest (an ELF, or a guest crate directory, built first) and report the result.
    Run(commands::run::Args),
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    let result = match cli.command {
        Command::Build(args) => commands::build::run(args),
        Command::New(args) => commands::new::run(args),
        Command::Run(args) => {
            let (_, run_matches) = matches.subcommand().expect("clap enforces a subcommand");
            commands::run::run(args, run_matches)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
