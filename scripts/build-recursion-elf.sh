#!/usr/bin/env bash
# Rebuilds the recursion guest (guests/recursion) and ships its ELF in guests/recursion/elf/,
# with the toolchain that built it and its verifying key under each preset. droste embeds that ELF (droste_sdk::recursion), so the
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
# Its verifying keys, which verifiers read instead of deriving them from the ELF.
for preset in default fast; do
    cargo run --release --locked -p droste-machine --example write_vkey -- \
        guests/recursion/elf/droste-recursion "$preset" "guests/recursion/elf/droste-recursion.$preset.vkey"
done
echo "shipped $(sha256sum guests/recursion/elf/droste-recursion | cut -d' ' -f1) built with $(cat guests/recursion/elf/TOOLCHAIN)"
