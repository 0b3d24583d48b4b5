//! A chain of proofs end to end (issue 9's chain benchmark, BENCHMARKS.md): proves STEPS steps
//! of `guests/chain`, each applying a batch of transactions and verifying the proof of the step
//! before it, and verifies only the last proof, which attests to the whole history.
//!
//! `cargo run --release -p droste-sdk --example chain -- [STEPS] [--preset fast|default]
//! [--queries N] [--batch N] [--verify-each]`
//!
//! Prints per step the guest's cycles, the prove time, the proof size and, for the last step
//! (every step with `--verify-each`, which the chain itself does not need), the native verify
//! time; then the last proof's security. A step's in-guest verification of the previous proof
//! costs cycles in proportion to the FRI queries: at the fast preset a step fits one proof (about
//! 14M of the 2^24 cycles one proof covers); at the default one it takes an estimated 16.3M
//! (BENCHMARKS.md).
//! `--queries` replaces the preset's query count (and with it the security, which is printed),
//! to run a cheaper chain. The host prepares each step's input with the guest's own library
//! (`droste_chain`), which also tells it the link the step must commit; each proof is checked
//! to carry exactly that.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use droste_chain::{verified_link, words, Chain, Link, Transaction, GENESIS_ACCOUNTS};
use droste_sdk::{build_guest, repo_root, statement, Input, Proof, Prover, PublicValues, Verifier};
use droste_zkvm::codec;

#[derive(Parser)]
struct Args {
    /// Steps to prove, the genesis step included.
    #[arg(default_value_t = 10)]
    steps: u64,
    /// Proof options preset: fast or default.
    #[arg(long, default_value = "fast")]
    preset: String,
    /// FRI queries instead of the preset's: fewer make a step's verification cheaper and the
    /// chain less secure.
    #[arg(long)]
    queries: Option<u16>,
    /// Transactions per step (one opens an account, the others are transfers).
    #[arg(long, default_value_t = 8)]
    batch: u32,
    /// Verify every step's proof natively too, to time it (the chain needs only the last).
    #[arg(long)]
    verify_each: bool,
}

#[global_allocator]
static ALLOCATOR: droste_sdk::ProvingAllocator = droste_sdk::ProvingAllocator;

fn main() -> ExitCode {
    droste_sdk::tune_allocator_for_proving();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut options = droste_sdk::preset(&args.preset)
        .ok_or_else(|| format!("unknown preset {:?} (fast or default)", args.preset))?;
    if let Some(queries) = args.queries {
        options.fri.num_queries = queries;
    }
    if args.steps == 0 || args.batch == 0 {
        return Err("a chain needs at least one step and one transaction per step".into());
    }
    let elf = std::fs::read(build_guest(repo_root().join("guests").join("chain"))?)?;
    let start = Instant::now();
    let prover = Prover::new(&elf, options)?;
    let chain_vkey = prover.vkey()?;
    println!(
        "chain guest, {} preset with {} queries, key {chain_vkey} (setup {:.2} s), {} \
         transactions per step",
        args.preset,
        options.fri.num_queries,
        start.elapsed().as_secs_f64(),
        args.batch
    );
    // What a verifier of the chain derives from the ELF it trusts, independently of the prover.
    let verifier = Verifier::new(&elf, options)?;

    println!("step  cycles      prove s  proof KiB  verify ms");
    let mut chain = Chain::new(chain_vkey.0);
    let mut previous: Option<Proof> = None;
    for step in 0..args.steps {
        let (input, link) = chain
            .next(batch(step, args.batch))
            .map_err(|refused| format!("step {step}: the ledger refused the batch: {refused}"))?;
        let mut guest_input = Input::new().write(&input)?;
        if let Some(previous) = &previous {
            guest_input = guest_input.write_proof(previous.bytes(), prover.verifying_key());
        }
        let proof = prover
            .prove(&guest_input)
            .map_err(|err| format!("proving step {step}: {err}"))?;
        check_output(step, &proof, &link)?;
        let last = step + 1 == args.steps;
        let verify = if args.verify_each || last {
            let (_, time) = timed_verify(&verifier, &proof)?;
            format!("{:9.1}", time.as_secs_f64() * 1e3)
        } else {
            format!("{:>9}", "-")
        };
        let stats = proof.stats();
        println!(
            "{step:4}  {:10}  {:7.2}  {:9.1}  {verify}",
            stats.cycles,
            stats.prove_time().as_secs_f64(),
            proof.bytes().len() as f64 / 1024.0
        );
        previous = Some(proof);
    }

    // The verifier of the chain: the last proof alone, under the key derived from the ELF, and
    // its link's key digest against that key's.
    let last = previous.ok_or("no step was proven")?;
    let (public, _) = timed_verify(&verifier, &last)?;
    let link = verified_link(&statement(public), &verifier.vkey()?.0)?;
    if Some(&link) != chain.last() || link.root != words(&chain.ledger().root()) {
        return Err("the last proof's link is not the ledger's".into());
    }
    let balances: Vec<String> = (0..GENESIS_ACCOUNTS)
        .map(|account| format!("{account}: {:?}", chain.ledger().balance(account)))
        .collect();
    println!(
        "the last proof (step {}) verifies: root {:08x?}, history {:08x?}; balances {}",
        link.step,
        link.root,
        link.history,
        balances.join(", ")
    );
    if let Some(security) = droste_sdk::inspect(last.bytes())?.security {
        println!(
            "security of each step: {:.0} provable bits, {:.0} conjectured",
            security.provable, security.conjectured
        );
    }
    Ok(())
}

/// Step `step`'s batch of `size` transactions: it opens account `1000 + step` and moves small
/// amounts among the genesis accounts and to the new account.
fn batch(step: u64, size: u32) -> Vec<Transaction> {
    let opened = 1000 + step as u32;
    let mut batch = vec![Transaction::Open { account: opened }];
    batch.extend((1..size).map(|i| {
        let from = (step as u32 + i) % GENESIS_ACCOUNTS;
        let to = if i % 2 == 0 {
            opened
        } else {
            (from + 1) % GENESIS_ACCOUNTS
        };
        Transaction::Transfer {
            from,
            to,
            amount: u64::from(7 * i),
        }
    }));
    batch
}

/// Checks that `proof` proves a successful step that committed `link`.
fn check_output(step: u64, proof: &Proof, link: &Link) -> Result<(), String> {
    let public = proof.public_values();
    if public.exit_code != 0 {
        let message = proof.stats().panic_message.as_deref().unwrap_or("");
        return Err(format!(
            "step {step} exited with code {}: {message}",
            public.exit_code
        ));
    }
    match codec::from_item::<Link>(&public.public_output) {
        Ok(committed) if committed == *link => Ok(()),
        Ok(committed) => Err(format!(
            "step {step} committed {committed:?}, the host expected {link:?}"
        )),
        Err(err) => Err(format!("step {step}'s output is not a link: {err}")),
    }
}

fn timed_verify(
    verifier: &Verifier,
    proof: &Proof,
) -> Result<(PublicValues, Duration), droste_sdk::VerifyError> {
    let start = Instant::now();
    let public = verifier.verify(proof.bytes())?;
    Ok((public, start.elapsed()))
}
