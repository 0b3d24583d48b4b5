//! Proof files, written atomically: the bytes go to a temporary file in the destination's
//! directory, which is renamed over the destination only once complete. A failed or interrupted
//! prove therefore leaves no partial file and never clobbers an existing one, and a missing
//! directory is reported before any proving work when the file is created first.
//!
//! Only regular files are replaced (a device, pipe or directory at the path is refused, and a
//! read-only file too): the rename would put a regular file in its place. A new file gets the
//! usual permissions (0666 less the umask), a replaced one keeps its own; a symbolic link is
//! followed, so the file it names is replaced and the link stays.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use rkyv::util::AlignedVec;
use tempfile::NamedTempFile;

/// A proof file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ProofFileError {
    /// The temporary file could not be created, written or renamed into place.
    #[error("cannot write proof file {}: {source}", path.display())]
    Write {
        /// The destination.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The destination's directory does not exist.
    #[error("cannot write proof file {}: directory {} does not exist", path.display(), dir.display())]
    NoDirectory {
        /// The destination.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
    },
    /// Something other than a regular file is at the destination.
    #[error("cannot write proof file {}: it is not a regular file (only regular files are replaced)", path.display())]
    NotRegular {
        /// The destination.
        path: PathBuf,
    },
    /// The destination is a read-only file.
    #[error("cannot write proof file {}: the file is read-only", path.display())]
    ReadOnly {
        /// The destination.
        path: PathBuf,
    },
    /// The file is larger than any proof.
    #[error("{} is not a droste proof: it is larger than {MAX_PROOF_FILE_LEN} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be read.
    #[error("cannot read proof file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The largest proof file read: far above any proof one machine run makes (about 1 MiB at 2^20
/// cycles, a few MiB at the largest tables), small enough that a wrong file (`/dev/zero`, a
/// disk image) is refused before it fills memory.
pub const MAX_PROOF_FILE_LEN: u64 = 64 << 20;

/// A proof file being written: created (as a temporary file) before proving, so that an
/// unwritable destination fails early, and put in place by [`ProofFile::write`]. Dropping it
/// without writing removes the temporary file (a process killed by a signal runs no destructor:
/// see [`ProofFile::temp_path`]).
pub struct ProofFile {
    path: PathBuf,
    temp: NamedTempFile,
    /// The permissions of the file replaced, kept by its replacement.
    keep_permissions: Option<fs::Permissions>,
}

impl ProofFile {
    /// Creates the temporary file next to `path` (next to the file a symbolic link names).
    pub fn create(path: &Path) -> Result<Self, ProofFileError> {
        if path.is_dir() {
            return Err(ProofFileError::Write {
                path: path.to_path_buf(),
                source: std::io::ErrorKind::IsADirectory.into(),
            });
        }
        let (path, keep_permissions) = match fs::metadata(path) {
            Ok(existing) if !existing.is_file() => {
                return Err(ProofFileError::NotRegular {
                    path: path.to_path_buf(),
                })
            }
            Ok(existing) if existing.permissions().readonly() || !writable(path) => {
                return Err(ProofFileError::ReadOnly {
                    path: path.to_path_buf(),
                })
            }
            Ok(existing) => {
                let target = fs::canonicalize(path).map_err(|source| ProofFileError::Write {
                    path: path.to_path_buf(),
                    source,
                })?;
                (target, Some(existing.permissions()))
            }
            Err(_) => (path.to_path_buf(), None),
        };
        let path = path.as_path();
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(ProofFileError::NoDirectory {
                path: path.to_path_buf(),
                dir: dir.to_path_buf(),
            });
        }
        let mut builder = tempfile::Builder::new();
        builder.prefix(".droste-proof-");
        // A new file gets read and write for everyone less the umask, which the operating
        // system applies when it creates the file (tempfile's default is 0600).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let temp = builder
            .tempfile_in(dir)
            .map_err(|source| ProofFileError::Write {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            temp,
            keep_permissions,
        })
    }

    /// The destination path (the file a symbolic link given as destination names).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary file, until [`ProofFile::write`] renames it: a program that can be
    /// interrupted by a signal removes it in its handler (Ctrl-C runs no destructor).
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// Writes `bytes`, flushes them to disk and renames the file into place.
    pub fn write(mut self, bytes: &[u8]) -> Result<(), ProofFileError> {
        let error = |source| ProofFileError::Write {
            path: self.path.clone(),
            source,
        };
        self.temp.write_all(bytes).map_err(error)?;
        if let Some(permissions) = self.keep_permissions.take() {
            self.temp
                .as_file()
                .set_permissions(permissions)
                .map_err(error)?;
        }
        self.temp.as_file().sync_all().map_err(error)?;
        self.temp
            .persist(&self.path)
            .map_err(|err| error(err.error))?;
        Ok(())
    }
}

/// Whether this process may write `path` (as root, a file without write bits is still
/// writable: [`fs::Permissions::readonly`] is checked too).
fn writable(path: &Path) -> bool {
    fs::OpenOptions::new().append(true).open(path).is_ok()
}

/// Reads a proof file into a 16-byte aligned buffer (what the in-place verifier reads). A
/// file larger than [`MAX_PROOF_FILE_LEN`] is refused ([`read_capped`]).
pub fn read_proof_file(path: impl AsRef<Path>) -> Result<AlignedVec<16>, ProofFileError> {
    let path = path.as_ref();
    match read_capped(path, MAX_PROOF_FILE_LEN) {
        Ok(bytes) => Ok(crate::verify::aligned(&bytes)),
        Err(source) if source.kind() == io::ErrorKind::FileTooLarge => {
            Err(ProofFileError::TooLarge {
                path: path.to_path_buf(),
            })
        }
        Err(source) => Err(ProofFileError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Reads `path` when it holds at most `limit` bytes, else fails with
/// [`io::ErrorKind::FileTooLarge`]: the size is checked before reading when the file has one,
/// and reading stops after `limit + 1` bytes when it has none (a pipe, `/dev/zero`), so a wrong
/// file cannot fill memory. A directory is an error too.
pub fn read_capped(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let too_large = || {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("larger than {limit} bytes"),
        )
    };
    let file = fs::File::open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_dir() {
        return Err(io::ErrorKind::IsADirectory.into());
    }
    if metadata.is_file() && metadata.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_replaces_the_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("proof.bin");
        std::fs::write(&path, b"old").unwrap();
        ProofFile::create(&path)
            .unwrap()
            .write(b"new proof")
            .unwrap();
        assert_eq!(read_proof_file(&path).unwrap().as_slice(), b"new proof");
        assert_eq!(entries(dir.path()), ["proof.bin"]);
    }

    #[test]
    fn an_unwritten_file_leaves_nothing_and_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("proof.bin");
        std::fs::write(&path, b"old").unwrap();
        let pending = ProofFile::create(&path).unwrap();
        assert_eq!(entries(dir.path()).len(), 2, "the temporary file exists");
        drop(pending);
        assert_eq!(entries(dir.path()), ["proof.bin"]);
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
    }

    #[test]
    fn a_missing_directory_fails_at_creation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/proof.bin");
        let err = ProofFile::create(&path).err().unwrap();
        assert!(
            err.to_string().starts_with("cannot write proof file"),
            "{err}"
        );
        assert_eq!(entries(dir.path()), [] as [String; 0]);
    }

    #[test]
    fn a_directory_is_refused_at_creation() {
        let dir = tempfile::tempdir().unwrap();
        let err = ProofFile::create(dir.path()).err().unwrap();
        assert!(err.to_string().ends_with("is a directory"), "{err}");
        assert_eq!(entries(dir.path()), [] as [String; 0]);
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn only_writable_regular_files_are_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: `mkfifo` reads a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let err = ProofFile::create(&fifo).err().unwrap();
        assert!(matches!(err, ProofFileError::NotRegular { .. }), "{err}");

        let read_only = dir.path().join("read-only.proof");
        std::fs::write(&read_only, b"old").unwrap();
        std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o444)).unwrap();
        let err = ProofFile::create(&read_only).err().unwrap();
        assert!(err.to_string().ends_with("the file is read-only"), "{err}");
        assert_eq!(std::fs::read(&read_only).unwrap(), b"old");
        assert_eq!(entries(dir.path()), ["fifo", "read-only.proof"]);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_follow_the_umask_and_replaced_ones_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let umask = status
            .lines()
            .find_map(|line| line.strip_prefix("Umask:"))
            .map(|mask| u32::from_str_radix(mask.trim(), 8).unwrap())
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.proof");
        ProofFile::create(&fresh).unwrap().write(b"proof").unwrap();
        assert_eq!(mode(&fresh), 0o666 & !umask);

        let existing = dir.path().join("existing.proof");
        std::fs::write(&existing, b"old").unwrap();
        std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).unwrap();
        ProofFile::create(&existing).unwrap().write(b"new").unwrap();
        assert_eq!(mode(&existing), 0o640);
        assert_eq!(std::fs::read(&existing).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_followed_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.proof");
        let link = dir.path().join("link.proof");
        std::fs::write(&target, b"old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        ProofFile::create(&link).unwrap().write(b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn files_larger_than_any_proof_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let huge = dir.path().join("huge.proof");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(MAX_PROOF_FILE_LEN + 1)
            .unwrap();
        let err = read_proof_file(&huge).unwrap_err();
        assert!(matches!(err, ProofFileError::TooLarge { .. }), "{err}");
        #[cfg(unix)]
        {
            let err = read_proof_file("/dev/zero").unwrap_err();
            assert!(err.to_string().contains("larger than"), "{err}");
        }
    }

    #[test]
    fn reading_a_missing_file_names_it() {
        let err = read_proof_file("/nonexistent/proof.bin").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/proof.bin"), "{err}");
    }
}
