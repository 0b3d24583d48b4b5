#!/usr/bin/env bash
# The main job end to end: build the fibonacci guest, run it, (and, once the machine is proven,
# prove and verify it). Installs the guest toolchain first when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

bash toolchain/setup.sh
cargo build --release --locked -p droste-cli
droste=target/release/droste

elf=$("$droste" build guests/fibonacci)
echo "guest ELF: $elf"
n_hex=$(printf '%016x' 1000 | sed 's/../& /g' | awk '{for(i=NF;i>0;i--) printf "%s",$i}')
"$droste" run "$elf" --input-hex "$n_hex"
