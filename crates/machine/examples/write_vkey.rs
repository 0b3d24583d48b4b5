//! Writes a guest's verifying key (its wire bytes, `DROSTEvk`) under a preset: how
//! `scripts/build-recursion-elf.sh` ships the recursion guest's keys next to its ELF, so that
//! verifying a recursion proof reads them instead of deriving them from the ELF (a setup of the
//! recursion guest's large ROM under each preset, seconds).
//!
//! `cargo run --release -p droste-machine --example write_vkey -- <elf> <default|fast> <out>`

use droste_executor::Program;
use droste_machine::{MachineProver, ProofOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [elf, preset, out] = args.as_slice() else {
        return Err("usage: write_vkey <elf> <default|fast> <out>".into());
    };
    let options = match preset.as_str() {
        "default" => ProofOptions::secure(),
        "fast" => ProofOptions::fast(),
        other => return Err(format!("unknown preset {other} (default or fast)").into()),
    };
    let program = Program::from_elf(&std::fs::read(elf)?)?;
    let (_, vk) = MachineProver::setup(&program, options)?;
    std::fs::write(out, vk.to_bytes())?;
    Ok(())
}
