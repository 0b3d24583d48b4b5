//! `droste prove`: prove a guest's run and write the proof file atomically (or to stdout).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::ArgMatches;
use droste_sdk::continuation::DEFAULT_SHARD_CYCLES;
use droste_sdk::recursion::verify_aggregate;
use droste_sdk::{Input, Phase, ProgressEvent, Proof, ProofFile, Prover, MAX_CYCLES};
use indicatif::{ProgressBar, ProgressStyle};

use super::input::{load_guest, InputArgs};
use super::interrupt::RemoveOnSignal;
use super::preset::Preset;
use super::show::{output_json, output_line};

/// Arguments of `droste prove`.
#[derive(clap::Args)]
pub struct Args {
    /// The guest: an ELF file, or a guest crate directory (built first).
    guest: PathBuf,
    #[command(flatten)]
    input: InputArgs,
    /// Where to write the proof; `-` writes it to stdout (the summary then goes to stderr).
    /// Written atomically: on failure or interruption no file appears and an existing one is
    /// left untouched. Only a writable regular file is replaced, never one of the inputs.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Proof options.
    #[arg(long, value_enum, default_value_t = Preset::Default)]
    preset: Preset,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
    /// Prove shard by shard, at most CYCLES instructions per shard, and aggregate the shard
    /// proofs into one proof (a continuation). A shard also ends where one of its tables would
    /// outgrow one proof. A run that does not fit one proof (over 2^24 cycles, or a table taller
    /// than the preset holds) is always proven so, in shards of up to 2^24 cycles unless this
    /// says otherwise.
    #[arg(long, value_name = "CYCLES")]
    shard_cycles: Option<u64>,
}

/// Where the proof goes.
enum Destination {
    File(ProofFile, RemoveOnSignal),
    Stdout,
}

/// Proves the run; progress on stderr (a spinner per phase on a terminal, a line per phase
/// otherwise), a summary on stdout (stderr when the proof goes to stdout).
pub fn run(args: Args, matches: &ArgMatches) -> Result<ExitCode> {
    let input = args.input.build(matches)?;
    let inputs: Vec<&Path> = args.input.files().chain([args.guest.as_path()]).collect();
    let output = ProofOutput::create(&args.output, &inputs)?;
    let (elf_path, program) = load_guest(&args.guest)?;
    output.refuse_input(&elf_path)?;
    let shard_cycles = match args.shard_cycles {
        Some(0) => bail!("--shard-cycles 0: a shard runs at least one instruction"),
        Some(cycles) if cycles > MAX_CYCLES => {
            bail!("--shard-cycles {cycles}: one shard proof holds at most {MAX_CYCLES} cycles")
        }
        chosen => chosen,
    };
    let prover = Prover::new(&program, args.preset.options())?;
    // A run that fails is proven whole, which reports the failure.
    let shard_cycles = shard_cycles.or_else(|| {
        matches!(prover.fits_one_proof(&input), Ok(false)).then_some(DEFAULT_SHARD_CYCLES)
    });
    if let Some(shard_cycles) = shard_cycles {
        return output.prove_continued(&args, &prover, &input, shard_cycles);
    }
    output.prove(args.preset, args.json, |progress| {
        Ok(droste_sdk::prove_with_progress(
            &program,
            &input,
            args.preset.options(),
            progress,
        )?)
    })
}

/// Where a command's proof goes (a file written atomically, or stdout), created before any
/// work so that an unwritable destination fails first; the flow every proving command shares.
pub struct ProofOutput<'a> {
    path: &'a Path,
    destination: Destination,
}

impl<'a> ProofOutput<'a> {
    /// Opens `path` (`-` for stdout), refusing one of `inputs` as the output.
    pub fn create(path: &'a Path, inputs: &[&Path]) -> Result<Self> {
        let destination = if path.as_os_str() == "-" {
            if std::io::stdout().is_terminal() {
                bail!("-o -: stdout is a terminal; redirect it to a file or a pipe for the proof");
            }
            Destination::Stdout
        } else {
            refuse_input_as_output(path, inputs)?;
            let file = ProofFile::create(path)?;
            let guard = RemoveOnSignal::new(file.temp_path());
            Destination::File(file, guard)
        };
        Ok(Self { path, destination })
    }

    /// Proves the run shard by shard (progress: a line per shard and per aggregation on
    /// stderr), writes the aggregated proof and prints the summary of the run it proves.
    fn prove_continued(
        self,
        args: &Args,
        prover: &Prover,
        input: &Input,
        shard_cycles: u64,
    ) -> Result<ExitCode> {
        eprintln!(
            "proving shard by shard: each shard as large as one proof holds, at most \
             {shard_cycles} cycles"
        );
        let (proof, stats) =
            prover.prove_continued(input, shard_cycles, &mut |event| eprintln!("  {event}"))?;
        let statement = match verify_aggregate(proof.bytes())?.as_slice() {
            [statement] => statement.clone(),
            other => bail!(
                "the aggregated proof proves {} statements, not one",
                other.len()
            ),
        };
        let to_stdout = matches!(self.destination, Destination::Stdout);
        match self.destination {
            Destination::File(file, _guard) => file.write(proof.bytes())?,
            Destination::Stdout => std::io::stdout().write_all(proof.bytes())?,
        }
        if statement.exit_code != 0 {
            eprintln!(
                "warning: the proof proves exit code {}, not 0: `droste verify` accepts it only \
                 with `--exit-code {}`",
                statement.exit_code, statement.exit_code
            );
        }
        let summary = if args.json {
            let mut summary = serde_json::json!({
                "proof": self.path.display().to_string(),
                "size": proof.bytes().len(),
                "preset": args.preset.name(),
                "cycles": stats.cycles,
                "shards": stats.shards,
                "aggregation_levels": stats.levels,
                "exit_code": statement.exit_code,
                "prove_seconds": (stats.shard_time + stats.aggregation_time).as_secs_f64(),
                "shard_seconds": stats.shard_time.as_secs_f64(),
                "aggregation_seconds": stats.aggregation_time.as_secs_f64(),
            });
            output_json(&mut summary, &statement.public_output);
            format!("{summary}\n")
        } else {
            format!(
                "proof written to {} ({} bytes, {} preset, {} shards aggregated in {} level{})\n\
                 cycles: {}\nexit code: {}\n{}\nprove time: {} (shards {}, aggregation {})\n",
                self.path.display(),
                proof.bytes().len(),
                args.preset.name(),
                stats.shards,
                stats.levels,
                if stats.levels == 1 { "" } else { "s" },
                stats.cycles,
                statement.exit_code,
                output_line(&statement.public_output),
                seconds(stats.shard_time + stats.aggregation_time),
                seconds(stats.shard_time),
                seconds(stats.aggregation_time),
            )
        };
        if to_stdout {
            eprint!("{summary}");
        } else {
            print!("{summary}");
        }
        Ok(ExitCode::SUCCESS)
    }

    /// Refuses `input` (found after [`Self::create`], e.g. a guest's built ELF) as the output.
    pub fn refuse_input(&self, input: &Path) -> Result<()> {
        match self.destination {
            Destination::File(..) => refuse_input_as_output(self.path, &[input]),
            Destination::Stdout => Ok(()),
        }
    }

    /// Runs `prove` with the phase display, writes the proof, warns about a non-zero exit code
    /// and prints the summary (to stderr when the proof goes to stdout).
    pub fn prove(
        self,
        preset: Preset,
        json: bool,
        prove: impl FnOnce(&mut dyn FnMut(ProgressEvent)) -> Result<Proof>,
    ) -> Result<ExitCode> {
        let mut display = PhaseDisplay::new();
        let proof = prove(&mut |event| display.show(event))?;
        drop(display);
        let to_stdout = matches!(self.destination, Destination::Stdout);
        match self.destination {
            Destination::File(file, _guard) => file.write(proof.bytes())?,
            Destination::Stdout => std::io::stdout().write_all(proof.bytes())?,
        }
        warn_about_the_exit(&proof);
        let summary = if json {
            format!("{}\n", json_summary(&proof, self.path, preset))
        } else {
            text_summary(&proof, self.path, preset)
        };
        if to_stdout {
            eprint!("{summary}");
        } else {
            print!("{summary}");
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Refuses an output path that names one of `inputs` (the same file, under any name).
fn refuse_input_as_output(output: &Path, inputs: &[&Path]) -> Result<()> {
    if let Some(input) = inputs.iter().find(|input| same_file(output, input)) {
        bail!(
            "-o {}: that is an input of this prove ({}); write the proof elsewhere",
            output.display(),
            input.display()
        );
    }
    Ok(())
}

/// Whether two paths name the same existing file (hard links and symbolic links included).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let id = |path| std::fs::metadata(path).map(|m| (m.dev(), m.ino())).ok();
        id(a).is_some() && id(a) == id(b)
    }
    #[cfg(not(unix))]
    {
        let canonical = |path| std::fs::canonicalize(path).ok();
        canonical(a).is_some() && canonical(a) == canonical(b)
    }
}

/// A proof of a run that did not exit with 0 is valid, but `droste verify` refuses it unless
/// told that code: say so now, with the panic message when the guest panicked.
fn warn_about_the_exit(proof: &Proof) {
    let code = proof.public_values().exit_code;
    if let Some(message) = &proof.stats().panic_message {
        eprintln!("warning: the guest panicked: {message}");
    }
    if code != 0 {
        eprintln!(
            "warning: the proof proves exit code {code}, not 0: `droste verify` accepts it only \
             with `--exit-code {code}`"
        );
    }
}

/// Progress per phase: a spinner for the running phase on a terminal (finished phases stay
/// listed with their time), one plain line per finished phase otherwise (logs, CI).
struct PhaseDisplay {
    terminal: bool,
    running: Option<ProgressBar>,
}

impl PhaseDisplay {
    fn new() -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
            running: None,
        }
    }

    fn show(&mut self, event: ProgressEvent) {
        match event {
            ProgressEvent::Started(phase) if self.terminal => {
                let bar = ProgressBar::new_spinner().with_style(
                    ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                        .expect("valid template"),
                );
                bar.set_message(phase.name());
                bar.enable_steady_tick(Duration::from_millis(100));
                self.running = Some(bar);
            }
            ProgressEvent::Started(_) => {}
            ProgressEvent::Finished(phase, time) => {
                let line = format!("{}: {}", phase.name(), seconds(time));
                match self.running.take() {
                    Some(bar) => {
                        bar.set_style(
                            ProgressStyle::with_template("  {msg}").expect("valid template"),
                        );
                        bar.finish_with_message(line);
                    }
                    None => eprintln!("  {line}"),
                }
            }
        }
    }
}

impl Drop for PhaseDisplay {
    /// A failed phase leaves no spinner behind the error message.
    fn drop(&mut self) {
        if let Some(bar) = self.running.take() {
            bar.finish_and_clear();
        }
    }
}

fn seconds(time: Duration) -> String {
    format!("{:.2} s", time.as_secs_f64())
}

fn text_summary(proof: &Proof, path: &Path, preset: Preset) -> String {
    let stats = proof.stats();
    let public = proof.public_values();
    let mut out = format!(
        "proof written to {} ({} bytes, {} preset)\n",
        path.display(),
        proof.bytes().len(),
        preset.name()
    );
    out.push_str(&format!("cycles: {}\n", stats.cycles));
    out.push_str(&format!("exit code: {}\n", public.exit_code));
    out.push_str(&output_line(&public.public_output));
    out.push('\n');
    let mut setup = None;
    let mut phases = Vec::new();
    for &(phase, time) in &stats.phases {
        if phase == Phase::Setup {
            setup = Some(time);
        } else {
            phases.push(format!("{} {}", phase.name(), seconds(time)));
        }
    }
    out.push_str(&format!(
        "prove time: {} ({})\n",
        seconds(stats.prove_time()),
        phases.join(", ")
    ));
    if let Some(time) = setup {
        out.push_str(&format!(
            "setup time: {} (once per guest and preset)\n",
            seconds(time)
        ));
    }
    out.push_str("table heights (rows):\n");
    let width = stats.tables.iter().map(|t| t.name.len()).max().unwrap_or(0);
    for table in &stats.tables {
        let rows = match table.rows {
            0 => "no rows (left out)".to_string(),
            rows => rows.to_string(),
        };
        out.push_str(&format!("  {:<width$}  {rows}\n", table.name));
    }
    out
}

/// The summary for scripts: the same facts, times in seconds, a table with 0 rows left out.
fn json_summary(proof: &Proof, path: &Path, preset: Preset) -> serde_json::Value {
    let stats = proof.stats();
    let public = proof.public_values();
    let phases: Vec<serde_json::Value> = stats
        .phases
        .iter()
        .map(|(phase, time)| serde_json::json!({"phase": phase.name(), "seconds": time.as_secs_f64()}))
        .collect();
    let mut summary = serde_json::json!({
        "proof": path.display().to_string(),
        "size": proof.bytes().len(),
        "preset": preset.name(),
        "cycles": stats.cycles,
        "exit_code": public.exit_code,
        "prove_seconds": stats.prove_time().as_secs_f64(),
        "phases": phases,
        "tables": stats.tables,
    });
    output_json(&mut summary, &public.public_output);
    if let Some(message) = &stats.panic_message {
        summary["panic_message"] = message.as_str().into();
    }
    summary
}
