//! Building a guest crate into an RV64IM ELF with the guest toolchain.
//!
//! A guest is built by the distribution's Rust (`/usr/bin/rustc`, `/usr/bin/cargo`, 1.96 on
//! Debian 12 via `rustc-web`), not by the host toolchain: the zkvm target is not a rustup target,
//! so std is compiled from source with `-Zbuild-std` (enabled by `RUSTC_BOOTSTRAP=1`). The flags
//! and their reasons are in `docs/guests.md`. Every guest shares one target directory,
//! `<repo>/target/guests`, so std is compiled once for all of them.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;

use droste_isa::abi;

/// Name of the guest target (`toolchain/<GUEST_TARGET>.json`; also the target directory's name).
pub const GUEST_TARGET: &str = "riscv64im-droste-zkvm";

/// The compiler and cargo of the guest toolchain (installed by `toolchain/setup.sh`).
const GUEST_RUSTC: &str = "/usr/bin/rustc";
const GUEST_CARGO: &str = "/usr/bin/cargo";

/// Why a guest could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The directory holds no `Cargo.toml`.
    #[error("{} is not a guest crate: no Cargo.toml there", dir.display())]
    NoManifest {
        /// The directory given.
        dir: PathBuf,
    },
    /// A program could not be started.
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        source: io::Error,
    },
    /// `toolchain/setup.sh` failed to install the guest toolchain.
    #[error("toolchain/setup.sh failed ({status}); its messages are above")]
    Setup {
        /// Its exit status.
        status: ExitStatus,
    },
    /// cargo reported a failed build.
    #[error("building guest {} failed ({status}): {first_error}", dir.display())]
    Cargo {
        /// The guest crate.
        dir: PathBuf,
        /// cargo's exit status.
        status: ExitStatus,
        /// The compiler's first error line (all of its output was passed through to stderr).
        first_error: String,
    },
    /// The build succeeded without producing exactly one executable.
    #[error("guest {} must have exactly one binary target, the build produced {count}", dir.display())]
    Executables {
        /// The guest crate.
        dir: PathBuf,
        /// Executables produced.
        count: usize,
    },
}

/// The droste checkout this SDK was compiled from: it holds `toolchain/` and `crates/zkvm`.
pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Builds the guest crate in `dir` (release profile) and returns the path of its ELF.
///
/// Installs the guest toolchain first when it is missing (`toolchain/setup.sh`). Build progress
/// and compiler messages go to this process's stderr; stdout stays untouched.
pub fn build_guest(dir: impl AsRef<Path>) -> Result<PathBuf, BuildError> {
    let given = dir.as_ref();
    // Absolute, because cargo runs inside the guest directory.
    let dir = given
        .canonicalize()
        .ok()
        .filter(|dir| dir.join("Cargo.toml").is_file())
        .ok_or_else(|| BuildError::NoManifest {
            dir: given.to_path_buf(),
        })?;
    let dir = dir.as_path();
    let manifest = dir.join("Cargo.toml");
    let root = repo_root();
    run_setup(&root)?;

    let mut cargo = guest_cargo_build(&root, &manifest);
    cargo
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cargo.spawn().map_err(|source| BuildError::Spawn {
        program: GUEST_CARGO.into(),
        source,
    })?;

    let stderr = child.stderr.take().expect("stderr is piped");
    let relay = thread::spawn(move || relay_stderr(stderr));
    let stdout = child.stdout.take().expect("stdout is piped");
    let executables = executables_in(BufReader::new(stdout));
    let status = child.wait().map_err(|source| BuildError::Spawn {
        program: GUEST_CARGO.into(),
        source,
    })?;
    let first_error = relay.join().unwrap_or_default();

    if !status.success() {
        return Err(BuildError::Cargo {
            dir: dir.to_path_buf(),
            status,
            first_error: first_error.unwrap_or_else(|| "no error message from cargo".into()),
        });
    }
    match <[PathBuf; 1]>::try_from(executables) {
        Ok([elf]) => Ok(elf),
        Err(executables) => Err(BuildError::Executables {
            dir: dir.to_path_buf(),
            count: executables.len(),
        }),
    }
}

/// Runs `toolchain/setup.sh` (silent and quick when everything is installed). Its output goes to
/// stderr so that a caller's stdout (e.g. `droste run --json`) stays clean.
fn run_setup(root: &Path) -> Result<(), BuildError> {
    let status = Command::new("bash")
        .arg(root.join("toolchain/setup.sh"))
        .stdout(io::stderr())
        .status()
        .map_err(|source| BuildError::Spawn {
            program: "bash toolchain/setup.sh".into(),
            source,
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(BuildError::Setup { status })
    }
}

/// `cargo build` of the guest toolchain for `manifest`, with a clean environment and the guest
/// target and flags; cargo reports artifacts as JSON on stdout.
fn guest_cargo_build(root: &Path, manifest: &Path) -> Command {
    let toolchain = root.join("toolchain");
    let mut cargo = Command::new(GUEST_CARGO);
    for (name, _) in std::env::vars_os() {
        if leaks_into_guest_build(&name) {
            cargo.env_remove(name);
        }
    }
    cargo
        .env("RUSTC", GUEST_RUSTC)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", root.join("target/guests"))
        .env(
            "CARGO_ENCODED_RUSTFLAGS",
            guest_rustflags(&toolchain).join("\x1f"),
        )
        .arg("build")
        .arg("--release")
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--message-format=json-render-diagnostics")
        .arg("-Zjson-target-spec")
        .arg("-Zbuild-std=std,panic_abort")
        .arg("-Zbuild-std-features=compiler-builtins-mem")
        .arg("--target")
        .arg(toolchain.join(format!("{GUEST_TARGET}.json")));
    cargo
}

/// The compiler flags of every guest build.
fn guest_rustflags(toolchain: &Path) -> Vec<String> {
    let link_args = [
        format!("-T{}", toolchain.join("droste.ld").display()),
        format!("--defsym=__droste_program_start={:#x}", abi::PROGRAM_START),
        format!("--defsym=__droste_heap_end={:#x}", abi::HEAP_END),
    ];
    let mut flags = vec!["-C".to_string(), "passes=lower-atomic".to_string()];
    for arg in link_args {
        flags.push("-C".into());
        flags.push(format!("link-arg={arg}"));
    }
    flags
}

/// Host build settings that must not reach the guest build: flags, target directory and
/// toolchain selection of whatever cargo or rustup invoked us. Registry, network and terminal
/// settings (`CARGO_HOME`, `CARGO_NET_*`, `CARGO_HTTP_*`, `CARGO_REGISTRIES_*`, `CARGO_TERM_*`)
/// are kept.
fn leaks_into_guest_build(name: &std::ffi::OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    const KEPT: [&str; 6] = [
        "CARGO_HOME",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
        "CARGO_TERM_",
    ];
    if KEPT.iter().any(|kept| name.starts_with(kept)) {
        return false;
    }
    name.starts_with("CARGO") || name.starts_with("__CARGO") || name.starts_with("RUST")
}

/// Copies cargo's stderr to ours line by line and returns its first error line.
fn relay_stderr(stderr: impl io::Read) -> Option<String> {
    let mut first_error = None;
    let mut ours = io::stderr();
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        // A closed stderr must not stop the build; the line is still kept for the error.
        let _ = writeln!(ours, "{line}");
        if first_error.is_none() && line.trim_start().starts_with("error") {
            first_error = Some(line.trim().to_string());
        }
    }
    first_error
}

/// The executables cargo reports in its JSON messages (one per binary target built).
fn executables_in(messages: impl BufRead) -> Vec<PathBuf> {
    let mut executables = BTreeMap::new();
    for line in messages.lines() {
        let Ok(line) = line else { break };
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        if let Some(path) = message["executable"].as_str() {
            let name = message["target"]["name"].as_str().unwrap_or_default();
            executables.insert(name.to_string(), PathBuf::from(path));
        }
    }
    executables.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn os(name: &str) -> OsString {
        OsString::from(name)
    }

    #[test]
    fn host_build_settings_are_removed_registry_settings_kept() {
        for leaking in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET",
            "RUSTUP_TOOLCHAIN",
            "RUSTC_WRAPPER",
            "CARGO_PROFILE_RELEASE_LTO",
            "__CARGO_FIX_PLZ",
        ] {
            assert!(leaks_into_guest_build(&os(leaking)), "{leaking}");
        }
        for kept in [
            "CARGO_HOME",
            "CARGO_NET_OFFLINE",
            "CARGO_REGISTRIES_X_INDEX",
            "PATH",
            "HOME",
        ] {
            assert!(!leaks_into_guest_build(&os(kept)), "{kept}");
        }
    }

    #[test]
    fn rustflags_carry_the_abi_addresses_and_lowered_atomics() {
        let flags = guest_rustflags(Path::new("/repo/toolchain")).join(" ");
        assert!(flags.starts_with("-C passes=lower-atomic"));
        assert!(flags.contains("-C link-arg=-T/repo/toolchain/droste.ld"));
        assert!(flags.contains(&format!("__droste_program_start={:#x}", abi::PROGRAM_START)));
        assert!(flags.contains(&format!("__droste_heap_end={:#x}", abi::HEAP_END)));
    }

    #[test]
    fn executables_come_from_artifact_messages() {
        let messages = [
            r#"{"reason":"compiler-artifact","target":{"name":"serde","kind":["lib"]},"executable":null}"#,
            "not json",
            r#"{"reason":"compiler-artifact","target":{"name":"fib","kind":["bin"]},"executable":"/t/fib"}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        assert_eq!(
            executables_in(messages.as_bytes()),
            [PathBuf::from("/t/fib")]
        );
    }

    #[test]
    fn missing_manifest_is_reported() {
        let err = build_guest("/nonexistent/guest").unwrap_err();
        assert!(matches!(err, BuildError::NoManifest { .. }), "{err}");
    }
}
