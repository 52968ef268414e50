//! Files that appear whole or not at all: written under a temporary name in
//! the same folder and renamed over the target when complete.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{ErrorKind, TraceError};

/// A file being written; it takes its final name only at [`AtomicFile::commit`].
/// Dropping it without committing removes the temporary file.
pub struct AtomicFile {
    file: Option<File>,
    path: PathBuf,
    temp: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file beside `path`.
    pub fn create(path: &Path) -> Result<Self, TraceError> {
        let name = path
            .file_name()
            .ok_or_else(|| {
                TraceError::file(
                    path,
                    ErrorKind::Io(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "output path has no file name",
                    )),
                )
            })?
            .to_string_lossy()
            .into_owned();
        let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let file = File::create(&temp).map_err(|e| TraceError::file(path, ErrorKind::Io(e)))?;
        Ok(AtomicFile {
            file: Some(file),
            path: path.to_path_buf(),
            temp,
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes to disk and renames the file to its final path.
    pub fn commit(mut self) -> Result<(), TraceError> {
        let file = self.file.take().expect("file present until commit");
        let result = file
            .sync_all()
            .and_then(|()| fs::rename(&self.temp, &self.path));
        result.map_err(|e| TraceError::file(&self.path, ErrorKind::Io(e)))
    }

    fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("file present until commit")
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), TraceError> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)
        .map_err(|e| TraceError::file(path, ErrorKind::Io(e)))?;
    file.commit()
}
