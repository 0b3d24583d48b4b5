#!/usr/bin/env bash
# Builds the verifier for the droste guest target without `std`, the way the recursion guest
# does: droste-stark's and droste-machine's verifiers (no prover, executor or rayon) stay no_std
# and read proofs in place (docs/stark.md).
set -euo pipefail
cd "$(dirname "$0")/.."

for crate in droste-stark droste-machine; do
    env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS \
        RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target/guest-stark \
        /usr/bin/cargo build --quiet -p "$crate" --no-default-features \
        --target toolchain/riscv64im-droste-zkvm.json -Zjson-target-spec -Zbuild-std=core,alloc
    echo "$crate verifier builds for riscv64im-droste-zkvm (no_std)"
done
