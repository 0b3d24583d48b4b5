//! `droste new <dir>`: scaffold a guest crate that builds and runs as generated.

use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

/// Arguments of `droste new`.
#[derive(clap::Args)]
pub struct Args {
    /// Directory to create (must not exist, or be empty). Its name becomes the crate's name.
    dir: PathBuf,
}

/// Writes `Cargo.toml` and `src/main.rs` into a new directory.
pub fn run(args: Args) -> Result<ExitCode> {
    let dir = &args.dir;
    if dir.exists() {
        let mut entries =
            fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!("{} already exists and is not empty", dir.display());
        }
    }
    fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))?;
    let name = crate_name(&dir);
    let runtime = runtime_path(&dir, &droste_sdk::repo_root());

    write(&dir.join("Cargo.toml"), &manifest(&name, &runtime))?;
    write(&dir.join("src/main.rs"), MAIN_RS)?;
    eprintln!("created guest crate `{name}` in {}", dir.display());
    eprintln!("run it with: droste run {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

fn write(path: &Path, contents: &str) -> Result<()> {
    fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
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

/// Path of the `droste-zkvm` crate as the new guest's manifest should spell it: relative when the
/// guest lives inside the droste checkout (so the checkout can move), absolute otherwise.
fn runtime_path(guest_dir: &Path, repo_root: &Path) -> String {
    let runtime = repo_root.join("crates/zkvm");
    match guest_dir.strip_prefix(repo_root) {
        Ok(inside) => {
            let depth = inside
                .components()
                .filter(|c| matches!(c, Component::Normal(_)))
                .count();
            let mut relative = "../".repeat(depth);
            relative.push_str("crates/zkvm");
            relative
        }
        Err(_) => runtime.display().to_string(),
    }
}

fn manifest(name: &str, runtime: &str) -> String {
    let runtime = runtime.replace('\\', "\\\\").replace('"', "\\\"");
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

const MAIN_RS: &str = r#"//! A droste guest: an ordinary Rust program that runs on the droste zkVM.
//!
//! Run it:            droste run .
//! Give it input:     droste run . --input-hex 0a000000  (one item per --input / --input-hex)
//!                    and read it here with droste_zkvm::io::read::<T>() or io::read_vec().
//! Public output:     droste_zkvm::io::commit(&value) / io::commit_slice(&bytes).
#![no_main]
droste_zkvm::entrypoint!(main);

use std::collections::BTreeMap;

fn main() {
    let text = "the quick brown fox jumps over the lazy dog the end";
    let mut counts = BTreeMap::new();
    for word in text.split_whitespace() {
        *counts.entry(word).or_insert(0u32) += 1;
    }
    let most_common = counts.iter().max_by_key(|&(_, count)| *count);
    println!("word counts: {counts:?}");

    droste_zkvm::io::commit(&counts.len());
    droste_zkvm::io::commit(&most_common);
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
    fn runtime_path_is_relative_inside_the_checkout() {
        let repo = Path::new("/src/droste");
        assert_eq!(
            runtime_path(Path::new("/src/droste/guests/x"), repo),
            "../../crates/zkvm"
        );
        assert_eq!(
            runtime_path(Path::new("/tmp/x"), repo),
            "/src/droste/crates/zkvm"
        );
    }

    #[test]
    fn manifest_quotes_the_runtime_path() {
        let manifest = manifest("x", r#"/odd "dir"/crates/zkvm"#);
        assert!(manifest.contains(r#"path = "/odd \"dir\"/crates/zkvm""#));
        assert!(manifest.contains("[workspace]"));
    }
}
