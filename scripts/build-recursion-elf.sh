#!/usr/bin/env bash
# Rebuilds the recursion guest (guests/recursion) and ships its ELF in guests/recursion/elf/,
# with the toolchain that built it. droste embeds that ELF (droste_sdk::recursion), so the
# recursion guest's verifying key is the same on every machine. Run it after changing anything
# the recursion guest links (the verifier: crates/pcs, crates/stark, crates/machine, crates/zkvm),
# then update the key digests documented in docs/recursion.md and crates/sdk/src/recursion.rs
# (the test `the_shipped_recursion_guest_has_the_documented_keys` prints the new ones).
set -euo pipefail
cd "$(dirname "$0")/.."

bash toolchain/setup.sh
cargo build --release --locked -p droste-cli
elf=$(target/release/droste build guests/recursion)
mkdir -p guests/recursion/elf
cp "$elf" guests/recursion/elf/droste-recursion
/usr/bin/rustc --version > guests/recursion/elf/TOOLCHAIN
echo "shipped $(sha256sum guests/recursion/elf/droste-recursion | cut -d' ' -f1) built with $(cat guests/recursion/elf/TOOLCHAIN)"
