//! The store's writes go through `pass-durable`, so that after a 2xx answer
//! they survive `kill -9` and a power cut; this module adapts its errors.

use std::fs::File;
use std::io;
use std::path::Path;

use serde::Serialize;

use super::StoreError;

/// Writes `bytes` to `path` durably (see `pass_durable::write`).
pub fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    Ok(pass_durable::write(path, bytes)?)
}

/// [`write_durably`] for content produced by `fill`, so large documents can be
/// streamed to the file instead of being built in memory first.
pub fn write_durably_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), StoreError> {
    Ok(pass_durable::write_with(path, fill)?)
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    Ok(pass_durable::sync_dir(dir)?)
}

pub(crate) fn to_pretty_json<T: Serialize>(value: &T, what: &str) -> Result<Vec<u8>, StoreError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| StoreError::Encode {
        what: what.to_owned(),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}
