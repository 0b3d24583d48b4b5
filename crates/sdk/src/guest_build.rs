//! Building a guest crate into an RV64IM ELF with the guest toolchain.
//!
//! A guest is built by the distribution's Rust (`/usr/bin/rustc`, `/usr/bin/cargo`, 1.96 on
//! Debian 12 via `rustc-web`), not by the host toolchain: the zkvm target is not a rustup target,
//! so std is compiled from source with `-Zbuild-std` (enabled by `RUSTC_BOOTSTRAP=1`). The flags
//! and their reasons are in `docs/guests.md`. Every guest shares one target directory,
//! `<repo>/target/guests`, so std is compiled once for all of them.
//!
//! Sharing it needs care with guests of the same package name (people name every guest `guest`
//! or `program`): cargo keys a workspace root package by its name, version and path *relative to
//! its workspace*, which is the same for every guest, so it would take one guest's build for the
//! other's and leave both with the ELF built first. So builds run one at a time under a lock, the
//! shared directory remembers which guest directory each package name was last built from
//! (`target/guests/owners/`), a different directory makes cargo rebuild that package (its
//! fingerprint is removed: only the guest crate is compiled again, not std), and each guest gets
//! its own copy of its ELF (`target/guests/elf/<name>-<hash of its directory>/`), which no other
//! guest's build overwrites.

use std::collections::BTreeMap;
use std::fs;
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
    /// The crate does not use the droste runtime, so its binary has no droste entry point.
    #[error(
        "{} is not a droste guest: it does not depend on droste-zkvm (a guest depends on the \
         crates/zkvm crate and declares its main with droste_zkvm::entrypoint!; `droste new` \
         writes one)",
        dir.display()
    )]
    NotAGuest {
        /// The crate.
        dir: PathBuf,
    },
    /// The shared target directory could not be prepared (lock, owner record, ELF copy).
    #[error("guest target directory {}: {source}", path.display())]
    TargetDir {
        /// The file or directory concerned.
        path: PathBuf,
        /// Why.
        source: io::Error,
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

    let target_dir = root.join("target/guests");
    let _lock = BuildLock::acquire(&target_dir)?;
    if let Some(name) = package_name(&root, &target_dir, &manifest) {
        claim_package_name(&target_dir, &name, dir)?;
    }
    let built = cargo_build(&root, &target_dir, dir, &manifest)?;
    if !built.runtime {
        return Err(BuildError::NotAGuest {
            dir: dir.to_path_buf(),
        });
    }
    match <[PathBuf; 1]>::try_from(built.executables) {
        Ok([elf]) => own_copy(&target_dir, dir, &elf),
        Err(executables) => Err(BuildError::Executables {
            dir: dir.to_path_buf(),
            count: executables.len(),
        }),
    }
}

/// What a successful cargo build reported.
struct Built {
    /// The executables built.
    executables: Vec<PathBuf>,
    /// Whether `droste_zkvm` was part of the build.
    runtime: bool,
}

/// Runs the guest toolchain's cargo on `manifest`, relaying its messages to stderr.
fn cargo_build(
    root: &Path,
    target_dir: &Path,
    dir: &Path,
    manifest: &Path,
) -> Result<Built, BuildError> {
    let mut cargo = guest_cargo(root, target_dir);
    cargo
        .args(guest_build_args(root, manifest))
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
    let built = artifacts_in(BufReader::new(stdout));
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
    Ok(built)
}

/// An exclusive lock on the shared guest target directory, held for a whole build (owner
/// record, cargo, ELF copy); released when dropped.
struct BuildLock {
    _file: fs::File,
}

impl BuildLock {
    fn acquire(target_dir: &Path) -> Result<Self, BuildError> {
        let path = target_dir.join(".droste-build-lock");
        let error = |source| BuildError::TargetDir {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(target_dir).map_err(error)?;
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(error)?;
        lock_exclusive(&file).map_err(error)?;
        Ok(Self { _file: file })
    }
}

#[cfg(unix)]
fn lock_exclusive(file: &fs::File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: `flock` on an open descriptor has no memory-safety preconditions.
    match unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

#[cfg(not(unix))]
fn lock_exclusive(_file: &fs::File) -> io::Result<()> {
    Ok(())
}

/// The package name in `manifest` (from `cargo metadata`, which parses manifests as cargo does);
/// `None` when cargo cannot read it, in which case the build reports why.
fn package_name(root: &Path, target_dir: &Path, manifest: &Path) -> Option<String> {
    let mut cargo = guest_cargo(root, target_dir);
    let output = cargo
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .arg("--manifest-path")
        .arg(manifest)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let manifest = manifest.to_str()?;
    metadata["packages"]
        .as_array()?
        .iter()
        .find(|package| package["manifest_path"] == manifest)?["name"]
        .as_str()
        .map(str::to_string)
}

/// Records that package `name` in the shared target directory is now built from `dir`; when it
/// was last built from another directory (or the record is missing), removes the package's
/// cargo fingerprints so that cargo compiles this guest instead of taking the other's build.
fn claim_package_name(target_dir: &Path, name: &str, dir: &Path) -> Result<(), BuildError> {
    let owners = target_dir.join("owners");
    let record = owners.join(name);
    let error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::TargetDir { path, source }
    };
    let owner = dir.as_os_str().as_encoded_bytes();
    if fs::read(&record).is_ok_and(|previous| previous == owner) {
        return Ok(());
    }
    let fingerprints = target_dir.join(GUEST_TARGET).join("release/.fingerprint");
    if let Ok(entries) = fs::read_dir(&fingerprints) {
        for entry in entries.flatten() {
            if is_fingerprint_of(&entry.file_name().to_string_lossy(), name) {
                fs::remove_dir_all(entry.path()).map_err(error(&entry.path()))?;
            }
        }
    }
    fs::create_dir_all(&owners).map_err(error(&owners))?;
    fs::write(&record, owner).map_err(error(&record))
}

/// Whether a fingerprint directory (`<package name>-<16 hex digits>`) belongs to `name`.
fn is_fingerprint_of(entry: &str, name: &str) -> bool {
    entry
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|hash| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Copies the ELF cargo built for the guest in `dir` to the guest's own directory,
/// `target/guests/elf/<file name>-<hash of dir>/`, so that a later build of another guest of the
/// same name (which overwrites cargo's copy) cannot change what this path holds.
fn own_copy(target_dir: &Path, dir: &Path, elf: &Path) -> Result<PathBuf, BuildError> {
    let file_name = elf.file_name().unwrap_or_default();
    let own_dir = target_dir.join("elf").join(format!(
        "{}-{:016x}",
        file_name.to_string_lossy(),
        fnv1a(dir.as_os_str().as_encoded_bytes())
    ));
    let own = own_dir.join(file_name);
    let error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::TargetDir { path, source }
    };
    fs::create_dir_all(&own_dir).map_err(error(&own_dir))?;
    fs::copy(elf, &own).map_err(error(&own))?;
    Ok(own)
}

/// 64-bit FNV-1a: a stable name for a directory (std's hashers may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
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

/// The guest toolchain's cargo with a clean environment and the guest target directory and
/// flags.
fn guest_cargo(root: &Path, target_dir: &Path) -> Command {
    let mut cargo = Command::new(GUEST_CARGO);
    for (name, _) in std::env::vars_os() {
        if leaks_into_guest_build(&name) {
            cargo.env_remove(name);
        }
    }
    cargo
        .env("RUSTC", GUEST_RUSTC)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", target_dir)
        .env(
            "CARGO_ENCODED_RUSTFLAGS",
            guest_rustflags(root).join("\x1f"),
        );
    cargo
}

/// `cargo build` arguments for `manifest`: release, the guest target, std built from source,
/// artifacts reported as JSON on stdout.
fn guest_build_args(root: &Path, manifest: &Path) -> Vec<std::ffi::OsString> {
    let target = root.join("toolchain").join(format!("{GUEST_TARGET}.json"));
    [
        "build".as_ref(),
        "--release".as_ref(),
        "--manifest-path".as_ref(),
        manifest.as_os_str(),
        "--message-format=json-render-diagnostics".as_ref(),
        "-Zjson-target-spec".as_ref(),
        "-Zbuild-std=std,panic_abort".as_ref(),
        "-Zbuild-std-features=compiler-builtins-mem".as_ref(),
        "--target".as_ref(),
        target.as_os_str(),
    ]
    .map(std::ffi::OsStr::to_os_string)
    .into()
}

/// The compiler flags of every guest build.
///
/// The repository and cargo's home are remapped to fixed names in the paths a guest embeds
/// (panic locations of droste's crates, the standard library's dependencies and every registry
/// crate), so that the same sources and toolchain build the same ELF, hence the same verifying
/// key, on any machine and in any checkout directory: the recursion guest's key is published
/// and must not depend on where it was built (it also reaches droste's crates through a symlink
/// below its own workspace, see its Cargo.toml). (A guest outside the repository keeps its own
/// path; per-guest flags would rebuild the standard library for every guest.)
fn guest_rustflags(root: &Path) -> Vec<String> {
    let toolchain = root.join("toolchain");
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
    flags.push(format!("--remap-path-prefix={}=/droste", root.display()));
    if let Some(cargo_home) = cargo_home() {
        flags.push(format!(
            "--remap-path-prefix={}=/cargo",
            cargo_home.display()
        ));
    }
    flags
}

/// Cargo's home directory (`CARGO_HOME`, or `~/.cargo`), where registry sources live.
fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
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

/// The executables cargo reports in its JSON messages (one per binary target built), and
/// whether the droste runtime was among the crates built.
fn artifacts_in(messages: impl BufRead) -> Built {
    let mut executables = BTreeMap::new();
    let mut runtime = false;
    for line in messages.lines() {
        let Ok(line) = line else { break };
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let name = message["target"]["name"].as_str().unwrap_or_default();
        runtime |= name == "droste_zkvm";
        if let Some(path) = message["executable"].as_str() {
            executables.insert(name.to_string(), PathBuf::from(path));
        }
    }
    Built {
        executables: executables.into_values().collect(),
        runtime,
    }
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
        let flags = guest_rustflags(Path::new("/repo")).join(" ");
        assert!(flags.starts_with("-C passes=lower-atomic"));
        assert!(flags.contains("-C link-arg=-T/repo/toolchain/droste.ld"));
        assert!(flags.contains(&format!("__droste_program_start={:#x}", abi::PROGRAM_START)));
        assert!(flags.contains(&format!("__droste_heap_end={:#x}", abi::HEAP_END)));
        assert!(flags.contains("--remap-path-prefix=/repo=/droste"));
    }

    #[test]
    fn executables_and_the_runtime_come_from_artifact_messages() {
        let messages = [
            r#"{"reason":"compiler-artifact","target":{"name":"serde","kind":["lib"]},"executable":null}"#,
            "not json",
            r#"{"reason":"compiler-artifact","target":{"name":"fib","kind":["bin"]},"executable":"/t/fib"}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        let built = artifacts_in(messages.as_bytes());
        assert_eq!(built.executables, [PathBuf::from("/t/fib")]);
        assert!(!built.runtime);
        let runtime = r#"{"reason":"compiler-artifact","target":{"name":"droste_zkvm","kind":["lib"]},"executable":null}"#;
        assert!(artifacts_in(runtime.as_bytes()).runtime);
    }

    #[test]
    fn fingerprints_are_matched_by_exact_package_name() {
        assert!(is_fingerprint_of("hello-a1416e5fed1dcb5a", "hello"));
        assert!(!is_fingerprint_of("hello-world-a1416e5fed1dcb5a", "hello"));
        assert!(!is_fingerprint_of("hello-a1416e5f", "hello"));
        assert!(is_fingerprint_of("my-guest-ad22edabd6ccc8a9", "my-guest"));
    }

    #[test]
    fn missing_manifest_is_reported() {
        let err = build_guest("/nonexistent/guest").unwrap_err();
        assert!(matches!(err, BuildError::NoManifest { .. }), "{err}");
    }
}
