//! Shared by the guest tests: build each guest at most once per test binary.

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use droste_sdk::{execute, ExecOptions, Execution, Input, Program};

/// Proving in the tests is as fast as in the CLI (`droste_sdk::ProvingAllocator`).
#[global_allocator]
static ALLOCATOR: droste_sdk::ProvingAllocator = droste_sdk::ProvingAllocator;

/// The loaded program of `guests/<name>`, built on first use (later calls reuse it; cargo's
/// shared guest target directory makes rebuilds in other test binaries no-ops).
pub fn guest(name: &str) -> Arc<Program> {
    static BUILT: Mutex<BTreeMap<String, Arc<Program>>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(program) = built.get(name) {
        return program.clone();
    }
    let dir = droste_sdk::repo_root().join("guests").join(name);
    let elf_path = droste_sdk::build_guest(&dir).unwrap_or_else(|err| panic!("{err}"));
    let elf = std::fs::read(&elf_path).unwrap();
    let program = Arc::new(Program::from_elf(&elf).unwrap());
    built.insert(name.to_string(), program.clone());
    program
}

/// Runs `guests/<name>` on `input` with default options.
pub fn run(name: &str, input: &Input) -> Execution {
    let program = guest(name);
    execute(&*program, input, &ExecOptions::default()).unwrap_or_else(|err| panic!("{err}"))
}

/// Runs `guests/<name>` and checks that it halted normally.
pub fn run_ok(name: &str, input: &Input) -> Execution {
    let execution = run(name, input);
    assert_eq!(
        (execution.exit_code, execution.panic_message.as_deref()),
        (0, None),
        "guest {name} did not halt normally"
    );
    execution
}
