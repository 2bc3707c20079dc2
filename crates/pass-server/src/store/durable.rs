//! The one way the store writes a file: so that after a 2xx answer it
//! survives `kill -9` and a power cut.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use uuid::Uuid;

use super::{StoreError, io_err};

/// Writes `bytes` to `path` so that after a 2xx answer it survives `kill -9`
/// and a power cut: temp file in the same folder, fsync, rename, fsync folder.
pub fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    write_durably_with(path, |file| file.write_all(bytes))
}

/// [`write_durably`] for content produced by `fill`, so large documents can be
/// streamed to the file instead of being built in memory first.
pub fn write_durably_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), StoreError> {
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
            .map_err(io_err("could not create", &tmp))?;
        fill(&mut file).map_err(io_err("could not write", &tmp))?;
        file.sync_all().map_err(io_err("could not fsync", &tmp))?;
        fs::rename(&tmp, path).map_err(io_err("could not rename into", path))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("could not fsync folder", dir))
}

pub(crate) fn to_pretty_json<T: Serialize>(value: &T, what: &str) -> Result<Vec<u8>, StoreError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| StoreError::Encode {
        what: what.to_owned(),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}
