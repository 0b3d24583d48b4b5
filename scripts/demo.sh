#!/usr/bin/env bash
# The main job end to end: build the fibonacci guest, run it, prove the run (default preset:
# 100+ provable bits), verify the proof, and inspect it. Installs the guest toolchain first when
# it is missing. Takes a few seconds once built.
set -euo pipefail
cd "$(dirname "$0")/.."

bash toolchain/setup.sh
cargo build --release --locked -p droste-cli
droste=target/release/droste
proof=target/demo/fibonacci.proof
mkdir -p "$(dirname "$proof")"

elf=$("$droste" build guests/fibonacci)
echo "guest ELF: $elf"
# n = 1000 as one input item of 8 bytes, little-endian.
n_hex=$(printf '%016x' 1000 | sed 's/../& /g' | awk '{for(i=NF;i>0;i--) printf "%s",$i}')

echo; echo "== run"
"$droste" run "$elf" --input-hex "$n_hex"
echo; echo "== prove"
"$droste" prove "$elf" --input-hex "$n_hex" -o "$proof"
echo; echo "== verify"
"$droste" verify "$proof" "$elf"
echo; echo "== inspect"
"$droste" inspect "$proof"
