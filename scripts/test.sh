#!/usr/bin/env bash
# Runs droste's whole test suite: what CI runs (.ci/run calls exactly this script).
# Installs the guest toolchain first when it is missing (idempotent, quiet when done).
set -euo pipefail
cd "$(dirname "$0")/.."

bash toolchain/setup.sh

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests"
cargo test --workspace --locked

step "verifier builds for the guest target (no_std, in place)"
bash scripts/check-guest-verifier.sh
