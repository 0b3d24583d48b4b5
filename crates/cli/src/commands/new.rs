//! `droste new <dir>`: scaffold a project that builds and runs as generated: a guest (the
//! program proven) and a host program that builds, runs, proves and verifies it with droste-sdk,
//! as `cargo prove new` does; `--guest-only` writes the guest crate alone.
//!
//! The crates depend on this droste checkout by path (`crates/zkvm`, `crates/sdk`: droste is not
//! published), relative when the project lies inside the checkout. Each gets a lockfile from the
//! checkout (the host the workspace's `Cargo.lock`, the guest that of `guests/fibonacci`, which
//! has the same dependencies), so a fresh project builds with the versions droste is tested
//! with, offline too.

use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

/// Arguments of `droste new`.
#[derive(clap::Args)]
pub struct Args {
    /// Directory to create (must not exist, or be empty). Its name becomes the project's name.
    dir: PathBuf,
    /// Write only the guest crate (no host workspace).
    #[arg(long)]
    guest_only: bool,
}

/// Writes the project into a new directory.
pub fn run(args: Args) -> Result<ExitCode> {
    let dir = &args.dir;
    if dir.exists() {
        let mut entries =
            fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!("{} already exists and is not empty", dir.display());
        }
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))?;
    let name = crate_name(&dir);
    let repo = droste_sdk::repo_root();
    if args.guest_only {
        write_guest(&dir, &name, &repo)?;
        eprintln!("created guest crate `{name}` in {}", dir.display());
        eprintln!(
            "run it with: droste run {} --input-value u64:20",
            dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    write_guest(&dir.join("guest"), &format!("{name}-guest"), &repo)?;
    let host = dir.join("host");
    let sdk = path_from(&host, &repo, "crates/sdk");
    write(&dir.join("Cargo.toml"), WORKSPACE_TOML)?;
    write(&dir.join(".gitignore"), "/target\n/guest/target\n*.proof\n")?;
    copy(&repo.join("Cargo.lock"), &dir.join("Cargo.lock"))?;
    write(&host.join("Cargo.toml"), &host_manifest(&name, &sdk))?;
    write(&host.join("src/main.rs"), HOST_MAIN_RS)?;
    eprintln!(
        "created droste project `{name}` in {}: guest/ is the program proven, host/ builds, runs, \
         proves and verifies it with droste-sdk",
        dir.display()
    );
    eprintln!(
        "try: droste run {} --input-value u64:20",
        dir.join("guest").display()
    );
    eprintln!("     cd {} && cargo run --release", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// The guest crate `name` in `dir`, with its lockfile.
fn write_guest(dir: &Path, name: &str, repo: &Path) -> Result<()> {
    let runtime = path_from(dir, repo, "crates/zkvm");
    write(&dir.join("Cargo.toml"), &guest_manifest(name, &runtime))?;
    write(&dir.join("src/main.rs"), GUEST_MAIN_RS)?;
    copy(
        &repo.join("guests/fibonacci/Cargo.lock"),
        &dir.join("Cargo.lock"),
    )
}

fn write(path: &Path, contents: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))
}

/// A valid package name from the directory's name: lowercase ASCII letters, digits, `-`, `_`,
/// starting with a letter.
fn crate_name(dir: &Path) -> String {
    let raw = dir
        .file_name()
        .map(|name| name.to_string_lossy())
        .unwrap_or_default();
    let mut name: String = raw
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert_str(0, "guest-");
    }
    name
}

/// Path of the checkout's `crate_dir` as a manifest in `dir` should spell it: relative when `dir`
/// lies inside the droste checkout (so the checkout can move), absolute otherwise; quoted for a
/// TOML string.
fn path_from(dir: &Path, repo_root: &Path, crate_dir: &str) -> String {
    let path = match dir.strip_prefix(repo_root) {
        Ok(inside) => {
            let depth = inside
                .components()
                .filter(|c| matches!(c, Component::Normal(_)))
                .count();
            format!("{}{crate_dir}", "../".repeat(depth))
        }
        Err(_) => repo_root.join(crate_dir).display().to_string(),
    };
    path.replace('\\', "\\\\").replace('"', "\\\"")
}

fn guest_manifest(name: &str, runtime: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
droste-zkvm = {{ path = "{runtime}" }}

# Every instruction a guest executes is proven: optimise fully.
[profile.release]
lto = true
codegen-units = 1

# A guest is built for the droste target on its own, not as part of an enclosing workspace.
[workspace]
"#
    )
}

fn host_manifest(name: &str, sdk: &str) -> String {
    format!(
        r#"[package]
name = "{name}-host"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
# droste is not published: the SDK comes from the droste checkout that created this project.
droste-sdk = {{ path = "{sdk}" }}
"#
    )
}

const WORKSPACE_TOML: &str = r#"# The host workspace. The guest is not a member: droste builds it for its own target
# (droste_sdk::build_guest, `droste build guest`).
[workspace]
resolver = "2"
members = ["host"]
exclude = ["guest"]

# Proving is useless without optimisation: every profile optimises.
[profile.dev]
opt-level = 3
debug = "line-tables-only"

[profile.release]
debug = "line-tables-only"
"#;

const GUEST_MAIN_RS: &str = r#"//! A droste guest: an ordinary Rust program that runs on the droste zkVM.
//!
//! Run it:         droste run . --input-value u64:20
//! Input:          each --input-value TYPE:VALUE (Input::write on the host) is one typed item,
//!                 read with droste_zkvm::io::read::<T>(); --input-hex HEX / --input FILE
//!                 (Input::write_slice) are raw items, read with droste_zkvm::io::read_vec().
//! Public output:  droste_zkvm::io::commit(&value) / io::commit_slice(&bytes).
#![no_main]
droste_zkvm::entrypoint!(main);

fn main() {
    let n: u64 = droste_zkvm::io::read();
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        (a, b) = (b, a.wrapping_add(b));
    }
    println!("fib({n}) = {a}"); // reaches the host, not proven

    droste_zkvm::io::commit(&n);
    droste_zkvm::io::commit(&a);
}
"#;

const HOST_MAIN_RS: &str = r#"//! The host side: builds the guest, runs it, proves the run and verifies the proof.
//!
//! `cargo run --release -- 30` proves fib(30); the proof is written to fib.proof.

use droste_sdk::{build_guest, execute, prove, verify, ExecOptions, Input, ProofOptions, PublicOutput};

// The system allocator, with huge pages for the prover's large buffers (faster proving).
#[global_allocator]
static ALLOCATOR: droste_sdk::ProvingAllocator = droste_sdk::ProvingAllocator;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    droste_sdk::tune_allocator_for_proving();
    let n: u64 = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 20,
    };

    let guest = concat!(env!("CARGO_MANIFEST_DIR"), "/../guest");
    let elf = std::fs::read(build_guest(guest)?)?;
    // One typed input item: the guest reads it with droste_zkvm::io::read::<u64>().
    let input = Input::new().write(&n)?;

    let execution = execute(&elf, &input, &ExecOptions::default())?;
    println!(
        "executed: exit code {}, {} cycles",
        execution.exit_code, execution.cycles
    );

    let proof = prove(&elf, &input, ProofOptions::default())?;
    proof.save("fib.proof")?;
    println!("proved: {} bytes written to fib.proof", proof.bytes().len());

    // Accepts only proofs of this guest that exited with code 0.
    let public = verify(proof.bytes(), &elf)?;
    let mut output = PublicOutput::new(&public.public_output);
    let (n, fib): (u64, u64) = (output.read()?, output.read()?);
    println!("verified: fib({n}) = {fib}");
    Ok(())
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_names_are_valid_package_names() {
        assert_eq!(crate_name(Path::new("/tmp/My Guest")), "my-guest");
        assert_eq!(crate_name(Path::new("/tmp/2fast")), "guest-2fast");
        assert_eq!(crate_name(Path::new("/tmp/ok_name-1")), "ok_name-1");
    }

    #[test]
    fn crate_paths_are_relative_inside_the_checkout() {
        let repo = Path::new("/src/droste");
        assert_eq!(
            path_from(Path::new("/src/droste/guests/x"), repo, "crates/zkvm"),
            "../../crates/zkvm"
        );
        assert_eq!(
            path_from(Path::new("/tmp/x/host"), repo, "crates/sdk"),
            "/src/droste/crates/sdk"
        );
    }

    #[test]
    fn manifests_quote_the_paths() {
        let path = path_from(
            Path::new("/tmp/x"),
            Path::new(r#"/odd "dir""#),
            "crates/zkvm",
        );
        let manifest = guest_manifest("x", &path);
        assert!(manifest.contains(r#"path = "/odd \"dir\"/crates/zkvm""#));
        assert!(manifest.contains("[workspace]"));
    }
}
