//! Proof files, written atomically: the bytes go to a temporary file in the destination's
//! directory, which is renamed over the destination only once complete. A failed or interrupted
//! prove therefore leaves no partial file and never clobbers an existing one, and a missing
//! directory is reported before any proving work when the file is created first.

use std::io::Write;
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
    /// The file could not be read.
    #[error("cannot read proof file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// A proof file being written: created (as a temporary file) before proving, so that an
/// unwritable destination fails early, and put in place by [`ProofFile::write`]. Dropping it
/// without writing removes the temporary file.
pub struct ProofFile {
    path: PathBuf,
    temp: NamedTempFile,
}

impl ProofFile {
    /// Creates the temporary file next to `path`.
    pub fn create(path: &Path) -> Result<Self, ProofFileError> {
        if path.is_dir() {
            return Err(ProofFileError::Write {
                path: path.to_path_buf(),
                source: std::io::ErrorKind::IsADirectory.into(),
            });
        }
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
        let temp = tempfile::Builder::new()
            .prefix(".droste-proof-")
            .tempfile_in(dir)
            .map_err(|source| ProofFileError::Write {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            temp,
        })
    }

    /// The destination path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes`, flushes them to disk and renames the file into place.
    pub fn write(mut self, bytes: &[u8]) -> Result<(), ProofFileError> {
        let error = |source| ProofFileError::Write {
            path: self.path.clone(),
            source,
        };
        self.temp.write_all(bytes).map_err(error)?;
        self.temp.as_file().sync_all().map_err(error)?;
        self.temp
            .persist(&self.path)
            .map_err(|err| error(err.error))?;
        Ok(())
    }
}

/// Reads a proof file into a 16-byte aligned buffer (what the in-place verifier reads).
pub fn read_proof_file(path: impl AsRef<Path>) -> Result<AlignedVec<16>, ProofFileError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| ProofFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(crate::verify::aligned(&bytes))
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

    #[test]
    fn reading_a_missing_file_names_it() {
        let err = read_proof_file("/nonexistent/proof.bin").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/proof.bin"), "{err}");
    }
}
