#!/usr/bin/env bash
# Installs what droste's guest toolchain needs, only when it is missing; silent when all is there.
#
# Guests are built by the distribution's Rust (/usr/bin/rustc, /usr/bin/cargo) with
# `-Zbuild-std`, which needs the standard library sources (rust-web-src) and rust-lld. Debian's
# rust-web-llvm ships /usr/bin/rust-lld as a symlink to the matching versioned lld (lld-22 for
# Rust 1.96) without depending on it, so that linker is installed explicitly here. qemu-user runs
# guests natively for the executor's differential test.
#
# Works as root (no sudo needed) or as a user with sudo. Idempotent: `apt-get update` runs only
# when something is missing.
set -euo pipefail

packages=(rustc-web cargo-web rust-web-src rust-web-llvm qemu-user)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$package")
    fi
done

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        echo "toolchain/setup.sh: need root or sudo to install: $*" >&2
        exit 1
    fi
}

apt_install() {
    if ! command -v apt-get >/dev/null; then
        echo "toolchain/setup.sh: apt-get not found; install by hand: $*" >&2
        exit 1
    fi
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ "${#missing[@]}" -gt 0 ]; then
    echo "toolchain/setup.sh: installing ${missing[*]}" >&2
    apt_install "${missing[@]}"
fi

# rust-lld must actually run: install the versioned lld its symlink points at (e.g. lld-22).
if ! rust-lld -flavor gnu --version >/dev/null 2>&1; then
    lld_package=$(basename "$(readlink /usr/bin/rust-lld || echo missing)")
    case "$lld_package" in
        lld-[0-9]*) ;;
        *)
            echo "toolchain/setup.sh: /usr/bin/rust-lld does not run and points at '$lld_package'" >&2
            exit 1
            ;;
    esac
    echo "toolchain/setup.sh: installing $lld_package (the linker behind rust-lld)" >&2
    apt_install "$lld_package"
    rust-lld -flavor gnu --version >/dev/null
fi
