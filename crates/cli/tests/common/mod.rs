//! What both CLI test files need: running the built `droste` binary and reading its output.

use std::process::{Command, Output};

use droste_sdk::repo_root;

/// Runs the `droste` binary under test with `args`.
pub fn droste(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_droste"))
        .args(args)
        .output()
        .expect("droste runs")
}

/// The directory of the example guest `name`.
pub fn guest_dir(name: &str) -> String {
    repo_root().join("guests").join(name).display().to_string()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}
