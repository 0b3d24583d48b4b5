#!/usr/bin/env bash
# Builds the STARK verifier (droste-stark without `std`) for the droste guest target, the way the
# recursion guest will: proof that the one verifier stays no_std and in place (docs/stark.md).
set -euo pipefail
cd "$(dirname "$0")/.."

env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS \
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target/guest-stark \
    /usr/bin/cargo build --quiet -p droste-stark --no-default-features \
    --target toolchain/riscv64im-droste-zkvm.json -Zjson-target-spec -Zbuild-std=core,alloc
echo "droste-stark verifier builds for riscv64im-droste-zkvm (no_std)"
