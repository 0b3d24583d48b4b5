//! `droste run`: execute a guest and report its exit status, cycles and public output.
//!
//! Exit status: the guest's exit code when it is below [`OWN_FAILURE`] (0 for success, 101
//! after a panic), [`LARGE_EXIT_CODE`] when it is [`OWN_FAILURE`] or more (an exit status has 8
//! bits; the exact code is in the output), and [`OWN_FAILURE`] when droste itself failed: the
//! guest could not be built, loaded or run to its end. So a script tells the guest's codes from
//! droste's own failure, as with `env`, `timeout` or `docker run`, which use 125 the same way.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::ArgMatches;
use droste_sdk::{ExecOptions, Execution, ProofOptions, ProvingCost};
use indicatif::{ProgressBar, ProgressStyle};

use super::input::{load_guest, InputArgs};
use super::show::{output_json, output_line};

/// The exit status of `droste run` when droste failed (not the guest).
pub const OWN_FAILURE: u8 = 125;
/// The exit status of `droste run` for a guest exit code of [`OWN_FAILURE`] or more.
pub const LARGE_EXIT_CODE: u8 = 126;

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
    /// Print exactly one JSON object on stdout (exit_code, cycles, public_output_hex,
    /// public_output_len, stdout, panic_message when the guest panicked, profile with --profile).
    #[arg(long)]
    json: bool,
    /// Report what proving the run costs: every table's rows, height and cells, and the cycles
    /// and rows of each function and step marker (tables sized for the default preset).
    #[arg(long)]
    profile: bool,
    /// Write the public output's bytes to FILE (the report shows at most a prefix of a long one).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Executes the guest. The exit status is the guest's exit code (see the module docs); errors
/// before or during execution are reported by the caller with [`OWN_FAILURE`].
pub fn run(args: Args, matches: &ArgMatches) -> Result<ExitCode> {
    let input = args.input.build(matches)?;
    let (_, program) = load_guest(&args.guest)?;
    let mut options = ExecOptions {
        profile: args.profile,
        ..ExecOptions::default()
    };
    if let Some(max_cycles) = args.max_cycles {
        options.max_cycles = max_cycles;
    }
    let mut progress = RunProgress::new();
    let execution = droste_sdk::execute_with_progress(&program, &input, &options, &mut |cycles| {
        progress.show(cycles)
    });
    drop(progress);
    let mut execution = execution?;
    let cost = match execution.profile.take() {
        Some(profile) => Some(droste_sdk::proving_cost(
            &program,
            profile,
            ProofOptions::default(),
        )?),
        None => None,
    };
    if let Some(path) = &args.output {
        std::fs::write(path, &execution.public_output)
            .with_context(|| format!("cannot write the public output to {}", path.display()))?;
    }

    if args.json {
        std::io::stderr().write_all(&execution.stderr)?;
        let mut report = json_report(&execution);
        if let Some(cost) = &cost {
            report["profile"] = profile_json(cost);
        }
        println!("{report}");
    } else {
        std::io::stdout().write_all(&execution.stdout)?;
        std::io::stderr().write_all(&execution.stderr)?;
        print!("{}", text_report(&execution));
        if let Some(cost) = &cost {
            print!("\n{cost}");
        }
    }
    Ok(exit_status(execution.exit_code))
}

/// The process exit status for a guest exit code (see the module docs).
fn exit_status(code: u32) -> ExitCode {
    match u8::try_from(code) {
        Ok(code) if code < OWN_FAILURE => ExitCode::from(code),
        _ => ExitCode::from(LARGE_EXIT_CODE),
    }
}

/// Shows that a long run is alive: after a second, a spinner with the cycles on a terminal, or
/// a line every ten seconds on stderr otherwise (logs, CI).
struct RunProgress {
    start: Instant,
    terminal: bool,
    spinner: Option<ProgressBar>,
    last_line: Duration,
}

impl RunProgress {
    const QUIET: Duration = Duration::from_secs(1);
    const LINE_EVERY: Duration = Duration::from_secs(10);

    fn new() -> Self {
        Self {
            start: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            spinner: None,
            last_line: Duration::ZERO,
        }
    }

    fn show(&mut self, cycles: u64) {
        let elapsed = self.start.elapsed();
        if self.terminal {
            if elapsed < Self::QUIET {
                return;
            }
            let spinner = self.spinner.get_or_insert_with(|| {
                let bar = ProgressBar::new_spinner().with_style(
                    ProgressStyle::with_template("{spinner} running: {msg} {elapsed}")
                        .expect("valid template"),
                );
                bar.enable_steady_tick(Duration::from_millis(100));
                bar
            });
            spinner.set_message(format!("{cycles} cycles"));
        } else if elapsed >= self.last_line + Self::LINE_EVERY {
            self.last_line = elapsed;
            eprintln!("running: {cycles} cycles after {} s", elapsed.as_secs());
        }
    }
}

impl Drop for RunProgress {
    /// The report follows without a spinner line before it.
    fn drop(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }
}

fn json_report(execution: &Execution) -> serde_json::Value {
    let mut report = serde_json::json!({
        "exit_code": execution.exit_code,
        "cycles": execution.cycles,
        "stdout": String::from_utf8_lossy(&execution.stdout),
    });
    output_json(&mut report, &execution.public_output);
    if let Some(message) = &execution.panic_message {
        report["panic_message"] = message.as_str().into();
    }
    report
}

/// The `profile` member of `--json`: the proving cost with every function and phase (the text
/// report shows the top ones).
fn profile_json(cost: &ProvingCost) -> serde_json::Value {
    let table_rows = |rows: &[usize]| -> serde_json::Map<String, serde_json::Value> {
        cost.tables
            .iter()
            .zip(rows)
            .filter(|(_, &rows)| rows > 0)
            .map(|(table, &rows)| (table.name.clone(), rows.into()))
            .collect()
    };
    let bucket = |b: &droste_sdk::BucketCost| serde_json::json!({ "cycles": b.cycles, "cells": b.cells, "rows": table_rows(&b.rows) });
    let profile = &cost.profile;
    serde_json::json!({
        "cycles": profile.total_cycles,
        "log_blowup": cost.log_blowup,
        "cells": cost.cells(),
        "tallest": cost.tallest().iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        "tallest_growing": cost.tallest_growing().map(|t| cost.tables[t].name.as_str()),
        "tables": cost.tables.iter().zip(&cost.run_rows).map(|(t, &run_rows)| serde_json::json!({
            "name": t.name,
            "rows": t.rows,
            "height": t.height,
            "fixed": t.fixed,
            "main_columns": t.main_columns,
            "logup_columns": t.logup_columns,
            "cells": t.cells(),
            "run_rows": run_rows,
        })).collect::<Vec<_>>(),
        "functions": cost.functions.iter().map(|(name, b)| {
            let mut f = bucket(b);
            f["name"] = name.as_str().into();
            f
        }).collect::<Vec<_>>(),
        "markers": cost.markers.iter().map(|(marker, b)| {
            let mut m = bucket(b);
            m["marker"] = (*marker).into();
            m
        }).collect::<Vec<_>>(),
        "opcodes": profile.opcodes.iter().map(|(op, count)| {
            serde_json::json!({ "opcode": op.mnemonic(), "count": count })
        }).collect::<Vec<_>>(),
        "precompiles": profile.precompiles.iter().map(|p| serde_json::json!({
            "name": p.name,
            "calls": p.calls,
            "functions": p.functions.iter()
                .map(|(name, calls)| serde_json::json!({ "name": name, "calls": calls }))
                .collect::<Vec<_>>(),
            "markers": p.markers.iter()
                .map(|(marker, calls)| serde_json::json!({ "marker": marker, "calls": calls }))
                .collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
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
    report.push_str(&output_line(&execution.public_output));
    report.push('\n');
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_exit_codes_never_look_like_drostes_own_failure() {
        for (code, status) in [
            (0, 0),
            (1, 1),
            (101, 101),
            (124, 124),
            (125, 126),
            (255, 126),
            (256, 126),
            (u32::MAX, 126),
        ] {
            assert_eq!(exit_status(code), ExitCode::from(status), "{code}");
        }
    }
}
