//! Files that appear whole or not at all: written under a temporary name in
//! the same folder and renamed over the target when complete.
//!
//! Every temporary file or folder in flight is also listed process-wide
//! ([`Unfinished`]), so that an interrupted process (Ctrl-C) can remove
//! them with [`remove_unfinished`] before it exits: destructors do not run
//! when a signal ends the process.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The temporary paths in flight, and whether the process is exiting.
static UNFINISHED: Mutex<(Vec<PathBuf>, bool)> = Mutex::new((Vec::new(), false));

fn unfinished() -> MutexGuard<'static, (Vec<PathBuf>, bool)> {
    // A panic while the list was held leaves it consistent (pushes and
    // removes are single steps).
    UNFINISHED.lock().unwrap_or_else(|e| e.into_inner())
}

/// A temporary file or folder listed for [`remove_unfinished`] while it
/// lives; dropping it takes it off the list (it does not delete anything).
pub struct Unfinished(PathBuf);

impl Unfinished {
    /// Lists `path`, a temporary file or folder that only a completed run
    /// renames into place.
    pub fn track(path: &Path) -> Unfinished {
        unfinished().0.push(path.to_path_buf());
        Unfinished(path.to_path_buf())
    }

    /// Runs `finish` (usually the rename into place) while no interrupt
    /// can remove the path, then takes it off the list. After an interrupt
    /// has begun, `finish` does not run and the call fails.
    pub fn finish<T>(self, finish: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        let guard = unfinished();
        if guard.1 {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "interrupted: the output was not written",
            ));
        }
        let result = finish();
        drop(guard);
        result
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        let mut list = unfinished();
        if let Some(i) = list.0.iter().rposition(|p| *p == self.0) {
            list.0.swap_remove(i);
        }
    }
}

/// Removes every temporary file and folder in flight, and makes later
/// [`Unfinished::finish`] calls fail, so that nothing partial and nothing
/// half-renamed is left. For an interrupt handler, just before it exits.
pub fn remove_unfinished() {
    let mut list = unfinished();
    list.1 = true;
    for path in list.0.drain(..) {
        if path.is_dir() {
            let _ = fs::remove_dir_all(&path);
        } else {
            let _ = fs::remove_file(&path);
        }
    }
}

use crate::error::{ErrorKind, TraceError};

/// A file being written; it takes its final name only at [`AtomicFile::commit`].
/// Dropping it without committing removes the temporary file.
pub struct AtomicFile {
    file: Option<File>,
    path: PathBuf,
    temp: PathBuf,
    tracked: Option<Unfinished>,
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
        let tracked = Unfinished::track(&temp);
        let file = File::create(&temp).map_err(|e| TraceError::file(path, ErrorKind::Io(e)))?;
        Ok(AtomicFile {
            file: Some(file),
            path: path.to_path_buf(),
            temp,
            tracked: Some(tracked),
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes to disk and renames the file to its final path.
    pub fn commit(mut self) -> Result<(), TraceError> {
        let file = self.file.take().expect("file present until commit");
        let tracked = self.tracked.take().expect("tracked until commit");
        let result = file
            .sync_all()
            .and_then(|()| tracked.finish(|| fs::rename(&self.temp, &self.path)));
        if result.is_err() {
            let _ = fs::remove_file(&self.temp);
        }
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
