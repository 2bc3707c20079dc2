//! The one way PASS writes a file that must survive `kill -9` and a power
//! cut: a uniquely named temporary file in the same folder, fsync, rename
//! over the target, fsync the folder. A reader sees the old file or the new
//! one, never half of one, and two writers never share a temporary file.
//!
//! Temporary files are named `.<name>.<id>.tmp`; a writer killed before its
//! rename leaves one behind, which [`remove_temp_files`] clears at start-up
//! (it is never the acknowledged version of anything).

#![allow(
    clippy::disallowed_methods,
    reason = "WriteError names the path of each step itself; fs_err would name it twice"
)]

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use uuid::Uuid;

/// A step of a durable write that failed, with the file it failed on.
#[derive(Debug, thiserror::Error)]
#[error("could not {action} {}: {error}", path.display())]
pub struct WriteError {
    pub action: &'static str,
    pub path: PathBuf,
    /// Printed in the message, so not a `source`: each cause is printed once.
    pub error: io::Error,
}

fn failed<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> WriteError + 'a {
    move |error| WriteError {
        action,
        path: path.to_path_buf(),
        error,
    }
}

/// Writes `bytes` to `path` durably.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_with(path, |file| file.write_all(bytes))
}

/// [`write`] for content produced by `fill`, so large documents can be
/// streamed to the file instead of being built in memory first.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), WriteError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(failed("create", &tmp))?;
        fill(&mut file).map_err(failed("write", &tmp))?;
        file.sync_all().map_err(failed("fsync", &tmp))?;
        fs::rename(&tmp, path).map_err(failed("rename into", path))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Flushes a folder's entries, so a rename or a removal in it survives a
/// power cut.
pub fn sync_dir(dir: &Path) -> Result<(), WriteError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(failed("fsync folder", dir))
}

/// Whether `file_name` is one of [`write`]'s temporary files.
pub fn is_temp_file(file_name: &str) -> bool {
    file_name.starts_with('.') && file_name.ends_with(".tmp")
}

/// Removes the temporary files writers killed mid-write left in `dir`;
/// answers how many. A folder that cannot be listed has none to remove.
pub fn remove_temp_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| is_temp_file(&e.file_name().to_string_lossy()))
        .filter(|e| fs::remove_file(e.path()).is_ok())
        .count()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pass-durable-{}", Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_write_replaces_the_file_and_leaves_no_temporary_file() {
        let dir = temp_dir();
        let path = dir.join("x.json");
        write(&path, b"one").unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(names(&dir), ["x.json"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_fill_leaves_the_old_file_and_no_temporary_file() {
        let dir = temp_dir();
        let path = dir.join("x.json");
        write(&path, b"old").unwrap();
        let error = write_with(&path, |_| Err(io::Error::other("disk on fire"))).unwrap_err();
        assert_eq!(error.action, "write");
        assert!(error.to_string().contains("disk on fire"), "{error}");
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(names(&dir), ["x.json"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn leftover_temporary_files_are_removed_and_nothing_else() {
        let dir = temp_dir();
        fs::write(dir.join(".run.json.0123.tmp"), b"half").unwrap();
        fs::write(dir.join("run.json"), b"{}").unwrap();
        fs::write(dir.join(".replacing.json"), b"{}").unwrap();
        assert_eq!(remove_temp_files(&dir), 1);
        assert_eq!(names(&dir), [".replacing.json", "run.json"]);
        assert_eq!(remove_temp_files(&dir.join("missing")), 0);
        fs::remove_dir_all(&dir).unwrap();
    }
}
