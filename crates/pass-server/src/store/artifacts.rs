//! Artifact files of one run: the index, the files it names, and uploads
//! that replace an artifact all-or-nothing.
//!
//! Replacing `<name>.<ext>` and `index.json` takes two renames. A crash
//! between them would serve the new, never-acknowledged bytes under the old
//! sha256 and time, so a replacement first records its new index entry in
//! `artifacts/.replacing.json`; at start-up that record finishes the
//! replacement when the new bytes are in place and is dropped otherwise.

use std::fs;
use std::io;
use std::path::Path;

use pass_contracts::{ArtifactIndex, ArtifactMetadata, ContentType, Text, check_artifact_name};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::durable::{sync_dir, to_pretty_json, write_durably};
use pass_contracts::layout::{
    ARTIFACT_INDEX_FILE, ARTIFACTS_DIR, artifact_file_name, seed_artifact_file_name,
};

use super::{StoreError, io_err};

/// The record of a replacement in progress.
const REPLACING_FILE: &str = ".replacing.json";

#[derive(Debug, Serialize, Deserialize)]
struct Replacing {
    /// The index entry the replacement writes, sha256 included.
    entry: ArtifactMetadata,
}

/// Stores `bytes` as artifact `name` of the run in `run_dir` and lists it in
/// the index, replacing an artifact of that name.
pub(super) fn put(
    run_dir: &Path,
    name: Text,
    content_type: ContentType,
    bytes: &[u8],
) -> Result<ArtifactMetadata, StoreError> {
    let dir = run_dir.join(ARTIFACTS_DIR);
    if !dir.is_dir() {
        fs::create_dir_all(&dir).map_err(io_err("could not create", &dir))?;
        sync_dir(run_dir)?;
    }
    // The caller checked the name; checked again here because a wrong one
    // would overwrite the artifact list or leave the folder.
    check_artifact_name(name.as_str()).map_err(|e| StoreError::Encode {
        what: "artifact filename".to_owned(),
        reason: e.to_string(),
    })?;
    let filename = artifact_file_name(name.as_str(), content_type);
    // Read first: an index that cannot be trusted stops the upload before
    // anything is written or deleted.
    let mut index = read_artifact_index(run_dir)?;
    let entry = ArtifactMetadata {
        filename: Text::new(filename.clone()).map_err(|_| StoreError::Encode {
            what: "artifact filename".to_owned(),
            reason: "empty".to_owned(),
        })?,
        name,
        content_type,
        sha256: Some(hex::encode(Sha256::digest(bytes))),
        created_at: pass_contracts::Timestamp::now(),
    };
    let replaces_file = dir.join(&filename).exists();
    let replacing = dir.join(REPLACING_FILE);
    if replaces_file {
        let record = Replacing {
            entry: entry.clone(),
        };
        write_durably(
            &replacing,
            &to_pretty_json(&record, "artifacts/.replacing.json")?,
        )?;
    }
    write_durably(&dir.join(&filename), bytes)?;
    let replaced = match index.artifacts.iter_mut().find(|a| a.name == entry.name) {
        Some(slot) => Some(std::mem::replace(slot, entry.clone())),
        None => {
            index.artifacts.push(entry.clone());
            None
        }
    };
    write_durably(
        &dir.join(ARTIFACT_INDEX_FILE),
        &to_pretty_json(&index, "artifacts/index.json")?,
    )?;
    if replaces_file {
        fs::remove_file(&replacing).map_err(io_err("could not remove", &replacing))?;
        sync_dir(&dir)?;
    }
    if let Some(old) = replaced {
        if old.filename != entry.filename {
            let _ = fs::remove_file(dir.join(old.filename.as_str()));
        }
    }
    Ok(entry)
}

/// What start-up did about a replacement a crash interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Repair {
    /// No replacement was in progress.
    None,
    /// The new bytes were in place: the index now lists them.
    Finished,
    /// The new bytes never replaced the old: the old artifact stands.
    Dropped,
}

/// Finishes or drops a replacement a crash interrupted in `run_dir`; run
/// after the temporary files are removed.
pub(super) fn repair_replacement(run_dir: &Path) -> Result<Repair, StoreError> {
    let dir = run_dir.join(ARTIFACTS_DIR);
    let path = dir.join(REPLACING_FILE);
    let bytes = match fs::read(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Repair::None),
        other => other.map_err(io_err("could not read", &path))?,
    };
    let repair = match serde_json::from_slice::<Replacing>(&bytes) {
        // A record cut short by the crash: the data file was not touched yet.
        Err(_) => Repair::Dropped,
        Ok(Replacing { entry }) => {
            let on_disk = fs::read(dir.join(entry.filename.as_str()))
                .ok()
                .map(|data| hex::encode(Sha256::digest(data)));
            if untrusted_entry(&entry).is_none() && on_disk.is_some() && on_disk == entry.sha256 {
                let mut index = read_artifact_index(run_dir)?;
                match index.artifacts.iter_mut().find(|a| a.name == entry.name) {
                    Some(slot) => *slot = entry,
                    None => index.artifacts.push(entry),
                }
                write_durably(
                    &dir.join(ARTIFACT_INDEX_FILE),
                    &to_pretty_json(&index, "artifacts/index.json")?,
                )?;
                Repair::Finished
            } else {
                Repair::Dropped
            }
        }
    };
    fs::remove_file(&path).map_err(io_err("could not remove", &path))?;
    sync_dir(&dir)?;
    Ok(repair)
}

pub(crate) fn read_artifact_index(run_dir: &Path) -> Result<ArtifactIndex, StoreError> {
    let path = run_dir.join(ARTIFACTS_DIR).join(ARTIFACT_INDEX_FILE);
    match fs::read(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(ArtifactIndex::default()),
        Err(e) => Err(io_err("could not read", &path)(e)),
        Ok(bytes) => {
            let index: ArtifactIndex =
                serde_json::from_slice(&bytes).map_err(|e| StoreError::CorruptFile {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
            if let Some(reason) = index.artifacts.iter().find_map(untrusted_entry) {
                return Err(StoreError::CorruptFile {
                    path: path.display().to_string(),
                    reason,
                });
            }
            Ok(index)
        }
    }
}

/// Why an entry of `artifacts/index.json` cannot be trusted, if it cannot.
/// Its `filename` is joined to the artifacts folder to read and delete files,
/// so only the exact name a writer derives from the artifact's name is
/// accepted: PASS's own, or the seed's for names PASS no longer accepts on
/// upload (`My Notes!` stored as `my_notes_.md`). Anything else (`../..`, an
/// absolute path, `index.json`) would reach outside the artifact.
fn untrusted_entry(meta: &ArtifactMetadata) -> Option<String> {
    let name = meta.name.as_str();
    let expected = match check_artifact_name(name) {
        Ok(()) => artifact_file_name(name, meta.content_type),
        Err(_) => seed_artifact_file_name(name, meta.content_type),
    };
    if expected == ARTIFACT_INDEX_FILE {
        return Some(format!(
            "the entry {name:?} would be stored as {expected:?}, which is not an artifact file"
        ));
    }
    (meta.filename.as_str() != expected).then(|| {
        format!(
            "the entry {name:?} names the file {:?} instead of {expected:?}",
            meta.filename.as_str()
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn index_entries_naming_other_files_are_refused() {
        let entry = |name: &str, filename: &str| ArtifactMetadata {
            name: pass_contracts::Text::new(name).unwrap(),
            filename: pass_contracts::Text::new(filename).unwrap(),
            content_type: ContentType::Markdown,
            sha256: None,
            created_at: pass_contracts::Timestamp::now(),
        };
        assert_eq!(untrusted_entry(&entry("My Notes!", "my_notes_.md")), None);
        assert_eq!(untrusted_entry(&entry("summary", "summary.md")), None);
        assert!(untrusted_entry(&entry("My Notes!", "../../x.md")).is_some());
        assert_eq!(untrusted_entry(&entry("../x", ".._x.md")), None);
        assert!(untrusted_entry(&entry("Index", "index.json")).is_some());
        assert!(untrusted_entry(&entry("summary", "other.md")).is_some());
    }

    fn temp_run_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("pass-artifacts-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn served(run_dir: &Path) -> (ArtifactMetadata, Vec<u8>) {
        let entry = read_artifact_index(run_dir).unwrap().artifacts.remove(0);
        let bytes = fs::read(run_dir.join(ARTIFACTS_DIR).join(entry.filename.as_str())).unwrap();
        (entry, bytes)
    }

    /// Leaves the folder as a crash after the new bytes were renamed into
    /// place (`renamed`) or before, with the replacement record written.
    fn interrupted_replacement(run_dir: &Path, renamed: bool) -> ArtifactMetadata {
        let name = Text::new("summary").unwrap();
        put(run_dir, name.clone(), ContentType::Markdown, b"old\n").unwrap();
        let dir = run_dir.join(ARTIFACTS_DIR);
        let entry = ArtifactMetadata {
            name,
            filename: Text::new("summary.md").unwrap(),
            content_type: ContentType::Markdown,
            sha256: Some(hex::encode(Sha256::digest(b"new\n"))),
            created_at: pass_contracts::Timestamp::now(),
        };
        let record = serde_json::to_vec(&Replacing {
            entry: entry.clone(),
        })
        .unwrap();
        fs::write(dir.join(REPLACING_FILE), record).unwrap();
        if renamed {
            fs::write(dir.join("summary.md"), b"new\n").unwrap();
        }
        entry
    }

    #[test]
    fn a_replacement_whose_bytes_landed_is_finished() {
        let run_dir = temp_run_dir();
        let entry = interrupted_replacement(&run_dir, true);
        assert_ne!(
            served(&run_dir).0.sha256,
            entry.sha256,
            "the index still lists the old bytes"
        );
        assert_eq!(repair_replacement(&run_dir).unwrap(), Repair::Finished);
        let (meta, bytes) = served(&run_dir);
        assert_eq!(bytes, b"new\n");
        assert_eq!(meta.sha256, Some(hex::encode(Sha256::digest(&bytes))));
        assert!(!run_dir.join(ARTIFACTS_DIR).join(REPLACING_FILE).exists());
        assert_eq!(repair_replacement(&run_dir).unwrap(), Repair::None);
        fs::remove_dir_all(&run_dir).unwrap();
    }

    #[test]
    fn a_replacement_whose_bytes_never_landed_is_dropped() {
        let run_dir = temp_run_dir();
        interrupted_replacement(&run_dir, false);
        assert_eq!(repair_replacement(&run_dir).unwrap(), Repair::Dropped);
        let (meta, bytes) = served(&run_dir);
        assert_eq!(bytes, b"old\n");
        assert_eq!(meta.sha256, Some(hex::encode(Sha256::digest(&bytes))));
        assert!(!run_dir.join(ARTIFACTS_DIR).join(REPLACING_FILE).exists());
        fs::remove_dir_all(&run_dir).unwrap();
    }

    #[test]
    fn a_replacement_record_cut_short_is_dropped() {
        let run_dir = temp_run_dir();
        interrupted_replacement(&run_dir, false);
        let record = run_dir.join(ARTIFACTS_DIR).join(REPLACING_FILE);
        let text = fs::read(&record).unwrap();
        fs::write(&record, &text[..text.len() / 2]).unwrap();
        assert_eq!(repair_replacement(&run_dir).unwrap(), Repair::Dropped);
        assert_eq!(served(&run_dir).1, b"old\n");
        fs::remove_dir_all(&run_dir).unwrap();
    }

    #[test]
    fn a_completed_replacement_leaves_no_record() {
        let run_dir = temp_run_dir();
        let name = Text::new("summary").unwrap();
        put(&run_dir, name.clone(), ContentType::Markdown, b"one").unwrap();
        let second = put(&run_dir, name, ContentType::Markdown, b"two").unwrap();
        assert_eq!(served(&run_dir), (second, b"two".to_vec()));
        assert!(!run_dir.join(ARTIFACTS_DIR).join(REPLACING_FILE).exists());
        fs::remove_dir_all(&run_dir).unwrap();
    }
}
