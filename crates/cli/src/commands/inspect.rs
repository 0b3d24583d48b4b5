//! `droste inspect`: what a proof file claims, its parameters, security and size by section.

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use droste_sdk::{read_proof_file, ProofReport};

use super::show::{output_json, output_line};

/// Arguments of `droste inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// The proof file.
    proof: PathBuf,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Prints the report. It does not verify the proof.
pub fn run(args: Args) -> Result<ExitCode> {
    let bytes = read_proof_file(&args.proof)?;
    let report = droste_sdk::inspect(&bytes)
        .with_context(|| format!("cannot inspect {}", args.proof.display()))?;
    if args.json {
        let mut json = serde_json::to_value(&report)?;
        let output = hex::decode(&report.public_output_hex)?;
        output_json(&mut json, &output);
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print!("{}", text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn text(report: &ProofReport) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let mut line = |text: String| {
        let _ = writeln!(out, "{text}");
    };
    line(format!(
        "droste proof, format version {}, {} bytes (claims below are not verified: use `droste verify`)",
        report.format_version, report.size
    ));
    line(format!("vkey digest:   {}", report.vkey_digest));
    if let Some(aggregate) = &report.aggregate {
        match &aggregate.statements {
            Some(statements) => {
                line(format!(
                    "recursion:     a proof of droste's recursion guest ({} preset), \
                     {}: {} statement(s)",
                    aggregate.preset,
                    if statements.len() == 1 {
                        "compressed"
                    } else {
                        "aggregated"
                    },
                    statements.len()
                ));
                for (i, s) in statements.iter().enumerate() {
                    line(format!(
                        "  statement {i}: vkey digest {}, exit code {}, {}",
                        s.vkey_digest,
                        s.exit_code,
                        output_line(&hex::decode(&s.public_output_hex).unwrap_or_default())
                    ));
                }
            }
            None => line(format!(
                "recursion:     a proof of droste's recursion guest ({} preset) whose output is \
                 no aggregate",
                aggregate.preset
            )),
        }
    }
    line(format!("exit code:     {}", report.exit_code));
    let output = hex::decode(&report.public_output_hex).unwrap_or_default();
    line(output_line(&output));
    let p = &report.parameters;
    line(format!(
        "parameters:    {}: log_blowup {}, {} queries, {} bits of proof of work (twice), \
         {} before the LogUp challenges, {} before the out-of-domain point, folding arity {}, \
         final polynomial of {} coefficients",
        p.preset.map_or_else(
            || "not a preset".to_string(),
            |name| format!("{name} preset")
        ),
        p.log_blowup,
        p.num_queries,
        p.query_pow_bits,
        p.logup_pow_bits,
        p.deep_pow_bits,
        1u32 << p.log_folding_arity,
        1u32 << p.log_final_poly_len
    ));
    match &report.security {
        Some(s) => {
            line(format!(
                "security:      provable {:.1} bits (unique decoding {:.1}, Johnson bound {:.1}), \
                 conjectured {:.1} bits",
                s.provable, s.unique_decoding, s.johnson_bound, s.conjectured
            ));
            for (regime, c) in [
                ("unique decoding", &s.unique_decoding_components),
                ("Johnson bound", &s.johnson_bound_components),
            ] {
                line(format!(
                    "               {regime}: queries {:.1}, batching {:.1}, FRI rounds {:.1}, \
                     ALI {:.1}, DEEP {:.1}, LogUp {:.1}",
                    c.query, c.batching, c.fri_rounds, c.ali, c.deep, c.logup
                ));
            }
            line(format!(
                "               for an LDE domain of 2^{}, {} batched functions, {} constraints \
                 of degree <= {}, {} bus terms with tuples of <= {} elements",
                s.log_lde_domain,
                s.batched_functions,
                s.constraints,
                s.max_constraint_degree,
                s.bus_terms,
                s.max_tuple_len
            ));
        }
        None => line(
            "security:      unknown (the proof's table list is not this machine's)".to_string(),
        ),
    }
    line("table heights (rows):".to_string());
    let width = report
        .tables
        .iter()
        .map(|t| t.name.as_deref().map_or(0, str::len))
        .max()
        .unwrap_or(0);
    for (i, table) in report.tables.iter().enumerate() {
        let name = table.name.clone().unwrap_or_else(|| format!("table {i}"));
        line(match table.log_height {
            Some(log_height) => format!("  {name:<width$}  2^{log_height:<2} = {}", table.rows),
            None => format!("  {name:<width$}  no rows (left out)"),
        });
    }
    line("size by section (bytes):".to_string());
    let width = report
        .sections
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(0);
    for section in &report.sections {
        line(format!(
            "  {:<width$}  {:>9}  {:>5.1}%",
            section.name,
            section.bytes,
            100.0 * section.bytes as f64 / report.size.max(1) as f64
        ));
    }
    out
}
