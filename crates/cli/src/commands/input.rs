//! The guest input flags shared by `run` and `prove`, and the guest argument (an ELF or a guest
//! crate directory).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::ArgMatches;
use droste_sdk::{Input, Program};

/// Input flags. Items from --input, --input-hex and --input-value keep their command-line order.
#[derive(clap::Args)]
pub struct InputArgs {
    /// Append FILE's bytes as one input item (read by `io::read_vec`). Repeatable; items keep
    /// their command-line order together with --input-hex and --input-value.
    #[arg(long = "input", value_name = "FILE")]
    input_files: Vec<PathBuf>,
    /// Append the bytes HEX encodes as one input item (read by `io::read_vec`). Repeatable.
    #[arg(long = "input-hex", value_name = "HEX")]
    input_hex: Vec<String>,
    /// Append one typed item (read by `io::read::<T>()`), encoded as the SDK's `Input::write`
    /// does: `u64:10`, `i32:-5`, `bool:true`, `str:hello`, `bytes:0a0b` (a `Vec<u8>`); integer
    /// types u8..u128, i8..i128. Repeatable.
    #[arg(long = "input-value", value_name = "TYPE:VALUE")]
    input_values: Vec<String>,
    /// Map FILE's bytes into guest memory as the private input (`io::private_input_slice`).
    #[arg(long, value_name = "FILE")]
    private_input: Option<PathBuf>,
    /// 32 bytes (64 hex digits) of entropy for the guest's randomness (`sys_rand`).
    #[arg(long, value_name = "HEX32")]
    entropy: Option<String>,
}

/// The largest input file read (an input item or the private input): a guest maps at most
/// 256 MiB of private input, and a larger stream item is a mistake, not an input.
const MAX_INPUT_FILE_LEN: u64 = 256 << 20;
/// The largest ELF file read: a provable guest's memory image is at most 64 MiB (2^23 rows of
/// the image table), so a guest ELF four times that size leaves room for symbols and debug info.
const MAX_ELF_FILE_LEN: u64 = 256 << 20;

impl InputArgs {
    /// The input stream (--input, --input-hex and --input-value merged in command-line order),
    /// private input and entropy. `matches` are the subcommand's, which know where each value
    /// stood.
    pub fn build(&self, matches: &ArgMatches) -> Result<Input> {
        let mut items: Vec<(usize, Vec<u8>)> = Vec::new();
        for (path, index) in self.input_files.iter().zip(indices(matches, "input_files")) {
            items.push((index, read_file(path, "input file", MAX_INPUT_FILE_LEN)?));
        }
        for (text, index) in self.input_hex.iter().zip(indices(matches, "input_hex")) {
            items.push((index, decode_hex(text, "--input-hex")?));
        }
        for (text, index) in self
            .input_values
            .iter()
            .zip(indices(matches, "input_values"))
        {
            items.push((index, typed_item(text)?));
        }
        items.sort_by_key(|&(index, _)| index);

        let mut input = Input::new();
        for (_, item) in &items {
            input = input.write_slice(item);
        }
        if let Some(path) = &self.private_input {
            let bytes = read_file(path, "private input file", MAX_INPUT_FILE_LEN)?;
            input = input.private_input(bytes);
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

    /// The files the input is read from (an output must not be one of them).
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.input_files
            .iter()
            .chain(&self.private_input)
            .map(PathBuf::as_path)
    }
}

/// One typed input item from `TYPE:VALUE`, postcard-encoded as `Input::write` encodes it.
fn typed_item(text: &str) -> Result<Vec<u8>> {
    let Some((kind, value)) = text.split_once(':') else {
        bail!("--input-value {text:?} is not TYPE:VALUE (for example u64:10 or str:hello)");
    };
    let bad = || format!("--input-value {text:?}: {value:?} is not a {kind}");
    macro_rules! encode {
        ($ty:ty) => {
            Input::new()
                .write(&value.parse::<$ty>().with_context(bad)?)
                .map(|input| item_bytes(&input))
        };
    }
    let item = match kind {
        "u8" => encode!(u8),
        "u16" => encode!(u16),
        "u32" => encode!(u32),
        "u64" => encode!(u64),
        "u128" => encode!(u128),
        "i8" => encode!(i8),
        "i16" => encode!(i16),
        "i32" => encode!(i32),
        "i64" => encode!(i64),
        "i128" => encode!(i128),
        "bool" => encode!(bool),
        "str" => Input::new().write(value).map(|input| item_bytes(&input)),
        "bytes" => Input::new()
            .write(&decode_hex(value, "--input-value bytes")?)
            .map(|input| item_bytes(&input)),
        _ => bail!(
            "--input-value {text:?}: unknown type {kind:?} (u8..u128, i8..i128, bool, str, bytes)"
        ),
    };
    item.with_context(|| format!("--input-value {text:?}"))
}

/// The one item of an input written with one `write`.
fn item_bytes(input: &Input) -> Vec<u8> {
    input.as_executor_input().stream.concat()
}

/// The guest given as an ELF file or a guest crate directory (built first; build progress goes
/// to stderr), loaded. Errors name the ELF file.
pub fn load_guest(guest: &Path) -> Result<(PathBuf, Program)> {
    let elf_path = if guest.is_dir() {
        droste_sdk::build_guest(guest)?
    } else {
        guest.to_path_buf()
    };
    let bytes = read_file(&elf_path, "guest ELF", MAX_ELF_FILE_LEN)?;
    let program = Program::from_elf(&bytes)
        .with_context(|| format!("cannot load guest ELF {}", elf_path.display()))?;
    Ok((elf_path, program))
}

/// Positions of an argument's values on the command line.
fn indices<'a>(matches: &'a ArgMatches, id: &str) -> impl Iterator<Item = usize> + 'a {
    matches.indices_of(id).into_iter().flatten()
}

/// Reads a file of at most `limit` bytes ([`droste_sdk::read_capped`]: `/dev/zero` or a disk
/// image is refused without filling memory).
fn read_file(path: &Path, what: &str, limit: u64) -> Result<Vec<u8>> {
    droste_sdk::read_capped(path, limit)
        .with_context(|| format!("cannot read {what} {}", path.display()))
}

/// Decodes hex digits, with or without a `0x` prefix.
fn decode_hex(text: &str, option: &str) -> Result<Vec<u8>> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    hex::decode(digits).with_context(|| format!("{option} {text:?} is not hex"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_items_are_encoded_as_the_sdk_writes_them() {
        let sdk =
            |input: std::result::Result<Input, droste_sdk::CodecError>| item_bytes(&input.unwrap());
        assert_eq!(typed_item("u64:10").unwrap(), [10]);
        assert_eq!(
            typed_item("u64:300").unwrap(),
            sdk(Input::new().write(&300u64))
        );
        assert_eq!(
            typed_item("i32:-5").unwrap(),
            sdk(Input::new().write(&-5i32))
        );
        assert_eq!(typed_item("bool:true").unwrap(), [1]);
        assert_eq!(
            typed_item("str:a:b").unwrap(),
            sdk(Input::new().write("a:b"))
        );
        assert_eq!(typed_item("bytes:0a0b").unwrap(), [2, 10, 11]);
        assert_eq!(
            typed_item("u128:340282366920938463463374607431768211455").unwrap(),
            sdk(Input::new().write(&u128::MAX))
        );
        for (bad, expected) in [
            ("10", "is not TYPE:VALUE"),
            ("u8:256", "\"256\" is not a u8"),
            ("f64:1.5", "unknown type \"f64\""),
            ("bytes:xyz", "is not hex"),
        ] {
            let message = format!("{:#}", typed_item(bad).unwrap_err());
            assert!(message.contains(expected), "{bad}: {message}");
        }
    }
}
