//! `droste prove`: prove a guest's run and write the proof file atomically.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::ArgMatches;
use droste_sdk::{Phase, ProgressEvent, Proof, ProofFile};
use indicatif::{ProgressBar, ProgressStyle};

use super::input::{guest_elf, InputArgs};
use super::preset::Preset;

/// Arguments of `droste prove`.
#[derive(clap::Args)]
pub struct Args {
    /// The guest: an ELF file, or a guest crate directory (built first).
    guest: PathBuf,
    #[command(flatten)]
    input: InputArgs,
    /// Where to write the proof. Written atomically: on failure no file appears and an existing
    /// one is left untouched.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Proof options.
    #[arg(long, value_enum, default_value_t = Preset::Default)]
    preset: Preset,
}

/// Proves the run; a spinner per phase on stderr (when it is a terminal), a summary on stdout.
pub fn run(args: Args, matches: &ArgMatches) -> Result<ExitCode> {
    let input = args.input.build(matches)?;
    // Created first so that an unwritable destination fails before any work.
    let file = ProofFile::create(&args.output)?;
    let elf = guest_elf(&args.guest)?;
    let mut display = PhaseDisplay::default();
    let proof =
        droste_sdk::prove_with_progress(&elf, &input, args.preset.options(), &mut |event| {
            display.show(event)
        })?;
    file.write(proof.bytes())?;
    print!("{}", summary(&proof, &args.output, args.preset));
    Ok(ExitCode::SUCCESS)
}

/// One spinner for the running phase; finished phases stay listed with their time.
#[derive(Default)]
struct PhaseDisplay {
    running: Option<ProgressBar>,
}

impl PhaseDisplay {
    fn show(&mut self, event: ProgressEvent) {
        match event {
            ProgressEvent::Started(phase) => {
                let bar = ProgressBar::new_spinner().with_style(
                    ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                        .expect("valid template"),
                );
                bar.set_message(phase.name());
                bar.enable_steady_tick(Duration::from_millis(100));
                self.running = Some(bar);
            }
            ProgressEvent::Finished(phase, time) => {
                if let Some(bar) = self.running.take() {
                    bar.set_style(ProgressStyle::with_template("  {msg}").expect("valid template"));
                    bar.finish_with_message(format!("{}: {}", phase.name(), seconds(time)));
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

fn summary(proof: &Proof, path: &Path, preset: Preset) -> String {
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
    out.push_str(&format!(
        "public output ({} bytes): {}\n",
        public.public_output.len(),
        hex::encode(&public.public_output)
    ));
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
