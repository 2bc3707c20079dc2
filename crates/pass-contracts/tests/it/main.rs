//! Integration tests of the contract crate against the checked-in samples and schemas.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod samples;
mod schema_agreement;
mod schema_files;
mod semantic;

use std::path::PathBuf;

/// A file at the repository root (the crate lives two folders below it).
pub fn repo_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

pub fn sample_pack_value() -> serde_json::Value {
    let text = fs_err::read_to_string(repo_file("samples/architecture_pack.sample.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}
