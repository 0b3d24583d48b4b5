//! The guest input flags shared by `run` and `prove`, and the guest argument (an ELF or a guest
//! crate directory).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::ArgMatches;
use droste_sdk::Input;

/// Input flags. Items from --input and --input-hex keep their command-line order.
#[derive(clap::Args)]
pub struct InputArgs {
    /// Append FILE's bytes as one input item. Repeatable; items keep their command-line order
    /// together with --input-hex.
    #[arg(long = "input", value_name = "FILE")]
    input_files: Vec<PathBuf>,
    /// Append the bytes HEX encodes as one input item. Repeatable (see --input).
    #[arg(long = "input-hex", value_name = "HEX")]
    input_hex: Vec<String>,
    /// Map FILE's bytes into guest memory as the private input (`io::private_input_slice`).
    #[arg(long, value_name = "FILE")]
    private_input: Option<PathBuf>,
    /// 32 bytes (64 hex digits) of entropy for the guest's randomness (`sys_rand`).
    #[arg(long, value_name = "HEX32")]
    entropy: Option<String>,
}

impl InputArgs {
    /// The input stream (--input and --input-hex merged in command-line order), private input
    /// and entropy. `matches` are the subcommand's, which know where each value stood.
    pub fn build(&self, matches: &ArgMatches) -> Result<Input> {
        let mut items: Vec<(usize, Vec<u8>)> = Vec::new();
        for (path, index) in self.input_files.iter().zip(indices(matches, "input_files")) {
            items.push((index, read_file(path, "input file")?));
        }
        for (text, index) in self.input_hex.iter().zip(indices(matches, "input_hex")) {
            items.push((index, decode_hex(text, "--input-hex")?));
        }
        items.sort_by_key(|&(index, _)| index);

        let mut input = Input::new();
        for (_, item) in &items {
            input = input.write_slice(item);
        }
        if let Some(path) = &self.private_input {
            input = input.private_input(read_file(path, "private input file")?);
        }
        if let Some(text) = &self.entropy {
            let bytes = decode_hex(text, "--entropy")?;
            let Ok(seed) = <[u8; 32]>::try_from(bytes.as_slice()) else {
                bail!(
                    "--entropy must be 32 bytes (64 hex digits), got {} bytes",
                    bytes.len()
                );
            };
            input = input.entropy(seed);
        }
        Ok(input)
    }
}

/// The ELF of a guest given as an ELF file or a guest crate directory (built first; build
/// progress goes to stderr).
pub fn guest_elf(guest: &Path) -> Result<Vec<u8>> {
    let elf_path = if guest.is_dir() {
        droste_sdk::build_guest(guest)?
    } else {
        guest.to_path_buf()
    };
    read_file(&elf_path, "guest ELF")
}

/// Positions of an argument's values on the command line.
fn indices<'a>(matches: &'a ArgMatches, id: &str) -> impl Iterator<Item = usize> + 'a {
    matches.indices_of(id).into_iter().flatten()
}

pub fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// Decodes hex digits, with or without a `0x` prefix.
fn decode_hex(text: &str, option: &str) -> Result<Vec<u8>> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    hex::decode(digits).with_context(|| format!("{option} {text:?} is not hex"))
}
