//! The filesystem store in the contract's disk layout.
//!
//! `run.json` is the source of truth and is written durably (unique temp file in
//! the same folder, fsync, rename, fsync of the folder) before a request is
//! answered. The run list lives in memory, ordered newest first, and
//! `index.json` is written from it in the background: it is derived data that
//! start-up rebuilds from the `run.json` files, so no request pays for
//! rewriting it. Run details are not cached, which keeps memory flat however
//! many runs there are. Writes to one run are serialised by a per-run lock.

mod coordination;
mod durable;
pub mod projects;

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use pass_contracts::{
    ArtifactIndex, ArtifactMetadata, ContentType, Execution, RunDetail, RunRecord, RunsIndex, Text,
    Timestamp, check_artifact_name,
};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, OwnedMutexGuard, Semaphore};
use uuid::Uuid;

use durable::{sync_dir, to_pretty_json};
pub use durable::{write_durably, write_durably_with};
pub use projects::ProjectFilter;
use projects::ProjectTable;

const RUN_FILE: &str = "run.json";
const INDEX_FILE: &str = "index.json";
const ARTIFACTS_DIR: &str = "artifacts";

/// What went wrong in the store; every variant names the run or file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("run {0} not found")]
    RunNotFound(Uuid),
    #[error("artifact {name:?} of run {run_id} not found")]
    ArtifactNotFound { run_id: Uuid, name: String },
    #[error("run {run_id} cannot be read: {path} is corrupt ({reason}); it is left untouched")]
    CorruptRun {
        run_id: Uuid,
        path: String,
        reason: String,
    },
    #[error("{path} is corrupt: {reason}")]
    CorruptFile { path: String, reason: String },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: io::Error,
    },
    #[error("could not encode {what}: {reason}")]
    Encode { what: String, reason: String },
    #[error("store task failed: {0}")]
    Task(String),
    #[error("project {0} not found")]
    ProjectNotFound(Uuid),
    #[error(
        "a project named {name:?} exists already ({existing}); project names are unique whatever their case"
    )]
    ProjectNameTaken { name: String, existing: Uuid },
    #[error(
        "another sync of project {} to {} is running: held by {} until {} (lease {})",
        .0.project_id, .0.target, .0.holder, .0.expires_at, .0.lease_id
    )]
    SyncInProgress(Box<pass_contracts::SyncLease>),
    #[error(
        "the sync lease {lease_id} of project {project_id} is no longer held: it expired and was taken over, or was released"
    )]
    SyncLeaseLost { project_id: Uuid, lease_id: Uuid },
}

pub(crate) fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

#[derive(Debug)]
struct RunSlot {
    lock: Arc<Mutex<()>>,
    /// `None` when `run.json` was corrupt at start-up: the run is not listed.
    record: Option<RunRecord>,
}

#[derive(Debug, Default)]
struct RunTable {
    by_id: HashMap<Uuid, RunSlot>,
    /// Newest first: created_at descending, then run id.
    order: BTreeSet<(Reverse<Timestamp>, Reverse<Uuid>)>,
}

/// What start-up found on disk.
#[derive(Debug, Default)]
pub struct StartupReport {
    pub runs: usize,
    /// Runs whose `run.json` could not be read, with the reason.
    pub corrupt: Vec<(Uuid, String)>,
    /// Executions a previous server process left queued, dispatched or running.
    pub unfinished: Vec<(Uuid, Execution)>,
    /// Why `index.json` was rewritten, if it was.
    pub index_rebuilt: Option<String>,
    /// Temp files of writes a killed server never finished.
    pub temp_files_removed: usize,
    /// Projects known at start-up, from project records and runs.
    pub projects: usize,
    /// Projects whose `project.json` could not be read, with the reason.
    pub corrupt_projects: Vec<(Uuid, String)>,
}

/// The runs folder: one per server.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    table: RwLock<RunTable>,
    index_dirty: AtomicBool,
    index_write: std::sync::Mutex<()>,
    io_gate: Semaphore,
    projects: RwLock<ProjectTable>,
    /// Serialises project creation, so two requests cannot take one name.
    project_create: Mutex<()>,
}

/// Exclusive access to one run while a change is made to it.
#[derive(Debug)]
pub struct RunGuard {
    store: Arc<Store>,
    run_id: Uuid,
    _lock: OwnedMutexGuard<()>,
}

/// How many store operations run on blocking threads at once. Each blocking
/// thread that allocates gets its own malloc arena, so an unbounded number of
/// them inflates the server's memory for no gain: fsyncs on one filesystem
/// are serialised by its journal anyway.
const IO_THREADS: usize = 4;

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
}

impl Store {
    /// Opens (creating if needed) the runs folder and loads every run's record.
    /// Corrupt `run.json` files are reported, never rewritten; `index.json` is
    /// rebuilt when missing, corrupt or stale.
    pub async fn open(root: PathBuf) -> Result<(Arc<Store>, StartupReport), StoreError> {
        blocking(move || Store::open_blocking(root)).await
    }

    fn open_blocking(root: PathBuf) -> Result<(Arc<Store>, StartupReport), StoreError> {
        fs::create_dir_all(&root).map_err(io_err("could not create the runs folder", &root))?;
        let mut report = StartupReport {
            temp_files_removed: remove_temp_files(&root),
            ..StartupReport::default()
        };
        let mut table = RunTable::default();
        let mut projects = ProjectTable::default();
        let entries = fs::read_dir(&root).map_err(io_err("could not list", &root))?;
        for entry in entries {
            let entry = entry.map_err(io_err("could not list", &root))?;
            let name = entry.file_name();
            let Some(run_id) = name.to_str().and_then(|n| Uuid::parse_str(n).ok()) else {
                continue;
            };
            if !entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                continue;
            }
            report.temp_files_removed += remove_temp_files(&entry.path());
            report.temp_files_removed += remove_temp_files(&entry.path().join(ARTIFACTS_DIR));
            let path = entry.path().join(RUN_FILE);
            let record = match read_run_file(run_id, &path) {
                Ok(detail) => {
                    if let Some(execution) = &detail.execution {
                        if !execution.status.is_final() {
                            report.unfinished.push((run_id, execution.clone()));
                        }
                    }
                    projects.add_run(&detail);
                    Some(detail.record())
                }
                Err(StoreError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                    tracing::warn!(%run_id, "run folder without run.json is ignored");
                    continue;
                }
                Err(error) => {
                    tracing::error!(%run_id, %error, "run.json is corrupt; the run is not served");
                    if let Some((project_id, revision)) = readable_revision(&path) {
                        projects.reserve(project_id, revision, run_id);
                    }
                    report.corrupt.push((run_id, error.to_string()));
                    None
                }
            };
            if let Some(record) = &record {
                table
                    .order
                    .insert((Reverse(record.created_at), Reverse(run_id)));
            }
            table.by_id.insert(
                run_id,
                RunSlot {
                    lock: Arc::new(Mutex::new(())),
                    record,
                },
            );
        }
        report.runs = table.order.len();
        report.corrupt_projects = projects::load_projects(&root, &mut projects);
        report.projects = projects.len();

        let store = Arc::new(Store {
            root,
            table: RwLock::new(table),
            index_dirty: AtomicBool::new(false),
            index_write: std::sync::Mutex::new(()),
            io_gate: Semaphore::new(IO_THREADS),
            projects: RwLock::new(projects),
            project_create: Mutex::new(()),
        });
        let expected = store.index_snapshot();
        let index_path = store.root.join(INDEX_FILE);
        report.index_rebuilt = match fs::read(&index_path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Some("missing".to_owned()),
            Err(e) => Some(format!("unreadable: {e}")),
            Ok(bytes) => match serde_json::from_slice::<RunsIndex>(&bytes) {
                Err(e) => Some(format!("corrupt: {e}")),
                Ok(found) if found != expected => Some("stale".to_owned()),
                Ok(_) => None,
            },
        };
        if let Some(reason) = &report.index_rebuilt {
            tracing::info!(reason = %reason, runs = report.runs, "rebuilding runs/index.json from run.json files");
            store.index_dirty.store(true, Ordering::SeqCst);
            store.flush_index_blocking()?;
        }
        Ok((store, report))
    }

    /// Runs `f` on a blocking thread, at most [`IO_THREADS`] at once.
    async fn io<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let _permit = self
            .io_gate
            .acquire()
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?;
        blocking(f).await
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn run_dir(&self, run_id: Uuid) -> PathBuf {
        self.root.join(run_id.to_string())
    }

    /// How many runs are listed.
    pub fn run_count(&self) -> usize {
        self.read_table().order.len()
    }

    /// How many runs could not be read at start-up.
    pub fn corrupt_count(&self) -> usize {
        self.read_table()
            .by_id
            .values()
            .filter(|s| s.record.is_none())
            .count()
    }

    fn read_table(&self) -> std::sync::RwLockReadGuard<'_, RunTable> {
        self.table.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_table(&self) -> std::sync::RwLockWriteGuard<'_, RunTable> {
        self.table.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `runs_dir` is still there and a folder; shown by `/healthz`.
    pub fn is_healthy(&self) -> bool {
        fs::metadata(&self.root)
            .map(|m| m.is_dir())
            .unwrap_or(false)
    }

    /// Creates a run folder and its `run.json` durably, then lists the run.
    /// A run naming a project becomes that project's next revision (under the
    /// project's lock, so two runs never share a number); any other run is
    /// revision 1 of a project of its own.
    pub async fn create_run(
        self: &Arc<Self>,
        mut detail: RunDetail,
    ) -> Result<RunDetail, StoreError> {
        let project_id = detail.project();
        if project_id == detail.run_id {
            detail.revision = Some(std::num::NonZeroU32::MIN);
            return self.write_new_run(detail).await;
        }
        let lock = self.project_lock(project_id)?;
        let _numbering = lock.lock_owned().await;
        detail.revision = Some(self.next_revision(project_id)?);
        self.write_new_run(detail).await
    }

    async fn write_new_run(self: &Arc<Self>, detail: RunDetail) -> Result<RunDetail, StoreError> {
        let run_id = detail.run_id;
        let dir = self.run_dir(run_id);
        let root = self.root.clone();
        let detail = self
            .io(move || {
                fs::create_dir(&dir).map_err(io_err("could not create run folder", &dir))?;
                write_durably(&dir.join(RUN_FILE), &to_pretty_json(&detail, "run.json")?)?;
                sync_dir(&root)?;
                Ok(detail)
            })
            .await?;
        let record = detail.record();
        {
            let mut table = self.write_table();
            table
                .order
                .insert((Reverse(record.created_at), Reverse(run_id)));
            table.by_id.insert(
                run_id,
                RunSlot {
                    lock: Arc::new(Mutex::new(())),
                    record: Some(record),
                },
            );
        }
        self.write_projects().add_run(&detail);
        self.index_dirty.store(true, Ordering::Release);
        Ok(detail)
    }

    /// One page of the run list, newest first, and the total count.
    pub fn list(&self, limit: usize, offset: usize) -> (u64, Vec<RunRecord>) {
        let table = self.read_table();
        let runs = table
            .order
            .iter()
            .skip(offset)
            .take(limit)
            .filter_map(|(_, Reverse(id))| table.by_id.get(id).and_then(|s| s.record.clone()))
            .collect();
        (table.order.len() as u64, runs)
    }

    fn index_snapshot(&self) -> RunsIndex {
        let (_, runs) = self.list(usize::MAX, 0);
        RunsIndex {
            version: Default::default(),
            runs,
        }
    }

    fn ensure_known(&self, run_id: Uuid) -> Result<Arc<Mutex<()>>, StoreError> {
        self.read_table()
            .by_id
            .get(&run_id)
            .map(|slot| slot.lock.clone())
            .ok_or(StoreError::RunNotFound(run_id))
    }

    /// Reads a run and its artifact list without taking its lock: renames are
    /// atomic, so a reader sees the old or the new file, never half of one.
    ///
    /// The two small files are read on the calling task rather than a blocking
    /// thread: they come from the page cache in microseconds, and handing them
    /// to the blocking pool would cost more than the read and make readers
    /// queue behind fsyncs.
    pub fn get_run(&self, run_id: Uuid) -> Result<(RunDetail, Vec<ArtifactMetadata>), StoreError> {
        self.ensure_known(run_id)?;
        let dir = self.run_dir(run_id);
        let detail = read_run_file(run_id, &dir.join(RUN_FILE))?;
        let artifacts = read_artifact_index(&dir)?.artifacts;
        Ok((detail, artifacts))
    }

    /// Takes the run's lock so that a read-modify-write cannot lose another's update.
    pub async fn lock_run(self: &Arc<Self>, run_id: Uuid) -> Result<RunGuard, StoreError> {
        let lock = self.ensure_known(run_id)?;
        let guard = lock.lock_owned().await;
        Ok(RunGuard {
            store: self.clone(),
            run_id,
            _lock: guard,
        })
    }

    /// Read, change and durably write one run under its lock, in one blocking step.
    /// `change` may refuse with its own error, in which case nothing is written.
    pub async fn update_run<T, E>(
        self: &Arc<Self>,
        run_id: Uuid,
        change: impl FnOnce(&mut RunDetail) -> Result<T, E> + Send + 'static,
    ) -> Result<(RunDetail, T), E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let guard = self.lock_run(run_id).await?;
        let path = self.run_dir(run_id).join(RUN_FILE);
        let outcome = self
            .io(move || {
                let mut detail = read_run_file(run_id, &path)?;
                let value = match change(&mut detail) {
                    Ok(value) => value,
                    Err(e) => return Ok(Err(e)),
                };
                write_durably(&path, &to_pretty_json(&detail, "run.json")?)?;
                Ok(Ok((detail, value)))
            })
            .await?;
        let (detail, value) = outcome?;
        guard.store.remember(&detail);
        drop(guard);
        Ok((detail, value))
    }

    fn remember(&self, detail: &RunDetail) {
        let mut table = self.write_table();
        if let Some(slot) = table.by_id.get_mut(&detail.run_id) {
            slot.record = Some(detail.record());
        }
        drop(table);
        self.index_dirty.store(true, Ordering::Release);
    }

    /// One artifact's metadata and stored bytes.
    pub async fn get_artifact(
        &self,
        run_id: Uuid,
        name: String,
    ) -> Result<(ArtifactMetadata, Vec<u8>), StoreError> {
        self.ensure_known(run_id)?;
        let dir = self.run_dir(run_id);
        // Artifacts can be megabytes: a blocking thread, but outside the write gate.
        blocking(move || {
            let index = read_artifact_index(&dir)?;
            let meta = index
                .artifacts
                .into_iter()
                .find(|a| a.name == name.as_str())
                .ok_or_else(|| StoreError::ArtifactNotFound {
                    run_id,
                    name: name.clone(),
                })?;
            let path = dir.join(ARTIFACTS_DIR).join(meta.filename.as_str());
            let bytes = match fs::read(&path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(StoreError::ArtifactNotFound { run_id, name });
                }
                other => other.map_err(io_err("could not read", &path))?,
            };
            Ok((meta, bytes))
        })
        .await
    }

    /// Writes `index.json` if a run changed since the last write.
    pub async fn flush_index(self: &Arc<Self>) -> Result<(), StoreError> {
        let store = self.clone();
        self.io(move || store.flush_index_blocking()).await
    }

    fn flush_index_blocking(&self) -> Result<(), StoreError> {
        let _one_writer = self.index_write.lock().unwrap_or_else(|p| p.into_inner());
        if !self.index_dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let snapshot = self.index_snapshot();
        // Streamed: at 10,000 runs the pretty text is megabytes, and building it
        // in memory on whichever blocking thread flushes would leave that much
        // resident in every thread's malloc arena.
        let result = write_durably_with(&self.root.join(INDEX_FILE), |file| {
            let mut out = io::BufWriter::with_capacity(64 * 1024, file);
            serde_json::to_writer_pretty(&mut out, &snapshot)?;
            out.write_all(b"\n")?;
            out.flush()
        });
        if result.is_err() {
            self.index_dirty.store(true, Ordering::Release);
        }
        result
    }
}

impl RunGuard {
    pub fn run_id(&self) -> Uuid {
        self.run_id
    }

    fn run_path(&self) -> PathBuf {
        self.store.run_dir(self.run_id).join(RUN_FILE)
    }

    /// The run as it is on disk now.
    pub async fn load(&self) -> Result<RunDetail, StoreError> {
        let (run_id, path) = (self.run_id, self.run_path());
        self.store.io(move || read_run_file(run_id, &path)).await
    }

    /// Writes the run durably and updates the run list.
    pub async fn save(&self, detail: &RunDetail) -> Result<(), StoreError> {
        let bytes = to_pretty_json(detail, "run.json")?;
        let path = self.run_path();
        self.store.io(move || write_durably(&path, &bytes)).await?;
        self.store.remember(detail);
        Ok(())
    }

    /// The run's artifact list.
    pub async fn artifacts(&self) -> Result<Vec<ArtifactMetadata>, StoreError> {
        let dir = self.store.run_dir(self.run_id);
        self.store
            .io(move || Ok(read_artifact_index(&dir)?.artifacts))
            .await
    }

    /// The run's own folder, for logs.
    pub fn run_dir(&self) -> PathBuf {
        self.store.run_dir(self.run_id)
    }

    /// Stores an artifact file and then its entry in `artifacts/index.json`,
    /// replacing an earlier artifact of the same name.
    pub async fn put_artifact(
        &self,
        name: Text,
        content_type: ContentType,
        bytes: Vec<u8>,
    ) -> Result<ArtifactMetadata, StoreError> {
        let run_dir = self.store.run_dir(self.run_id);
        self.store
            .io(move || {
                let dir = run_dir.join(ARTIFACTS_DIR);
                if !dir.is_dir() {
                    fs::create_dir_all(&dir).map_err(io_err("could not create", &dir))?;
                    sync_dir(&run_dir)?;
                }
                // The caller checked the name; checked again here because a
                // wrong one would overwrite the artifact list or leave the folder.
                check_artifact_name(name.as_str()).map_err(|e| StoreError::Encode {
                    what: "artifact filename".to_owned(),
                    reason: e.to_string(),
                })?;
                let filename = artifact_filename(name.as_str(), content_type);
                // Read first: an index that cannot be trusted stops the upload
                // before anything is written or deleted.
                let mut index = read_artifact_index(&run_dir)?;
                write_durably(&dir.join(&filename), &bytes)?;
                let meta = ArtifactMetadata {
                    filename: Text::new(filename.clone()).map_err(|_| StoreError::Encode {
                        what: "artifact filename".to_owned(),
                        reason: "empty".to_owned(),
                    })?,
                    name,
                    content_type,
                    sha256: Some(hex::encode(Sha256::digest(&bytes))),
                    created_at: pass_contracts::Timestamp::now(),
                };
                let replaced = match index.artifacts.iter_mut().find(|a| a.name == meta.name) {
                    Some(slot) => Some(std::mem::replace(slot, meta.clone())),
                    None => {
                        index.artifacts.push(meta.clone());
                        None
                    }
                };
                write_durably(
                    &dir.join(INDEX_FILE),
                    &to_pretty_json(&index, "artifacts/index.json")?,
                )?;
                if let Some(old) = replaced {
                    if old.filename != meta.filename {
                        let _ = fs::remove_file(dir.join(old.filename.as_str()));
                    }
                }
                Ok(meta)
            })
            .await
    }
}

/// Removes `.<name>.<id>.tmp` files left by writes that a killed server never
/// renamed into place; they are never the acknowledged version of anything.
pub(super) fn remove_temp_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with('.') && name.ends_with(".tmp")
        })
        .filter(|e| fs::remove_file(e.path()).is_ok())
        .count()
}

/// The project and revision a corrupt `run.json` still names, if any: read
/// as loose JSON, so a file that breaks the contract elsewhere keeps them.
fn readable_revision(path: &Path) -> Option<(Uuid, std::num::NonZeroU32)> {
    let bytes = fs::read(path).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let project = Uuid::parse_str(value.get("project_id")?.as_str()?).ok()?;
    let revision = u32::try_from(value.get("revision")?.as_u64()?).ok()?;
    Some((project, std::num::NonZeroU32::new(revision)?))
}

/// Reads a `run.json`, naming the project and revision of runs written
/// without them.
pub(super) fn read_run_file(run_id: Uuid, path: &Path) -> Result<RunDetail, StoreError> {
    let bytes = fs::read(path).map_err(io_err("could not read", path))?;
    let detail: RunDetail = serde_json::from_slice(&bytes).map_err(|e| StoreError::CorruptRun {
        run_id,
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    if detail.run_id != run_id {
        return Err(StoreError::CorruptRun {
            run_id,
            path: path.display().to_string(),
            reason: format!("it holds run_id {} instead", detail.run_id),
        });
    }
    Ok(detail.with_project_defaults())
}

fn read_artifact_index(run_dir: &Path) -> Result<ArtifactIndex, StoreError> {
    let path = run_dir.join(ARTIFACTS_DIR).join(INDEX_FILE);
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
/// so only the exact name the store itself writes is accepted: anything else
/// (`../..`, an absolute path, `index.json`) would reach outside the artifact.
fn untrusted_entry(meta: &ArtifactMetadata) -> Option<String> {
    if let Err(e) = check_artifact_name(meta.name.as_str()) {
        return Some(format!("an entry has an {e}"));
    }
    let expected = artifact_filename(meta.name.as_str(), meta.content_type);
    (meta.filename.as_str() != expected).then(|| {
        format!(
            "the entry {:?} names the file {:?} instead of {expected:?}",
            meta.name.as_str(),
            meta.filename.as_str()
        )
    })
}

/// The file an artifact is stored in, inside the run's artifacts folder.
fn artifact_filename(name: &str, content_type: ContentType) -> String {
    pass_contracts::artifacts::artifact_filename(name, content_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durable_write_replaces_and_leaves_no_temp_files() {
        let dir = std::env::temp_dir().join(format!("pass-store-{}", Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.json");
        write_durably(&path, b"one").unwrap();
        write_durably(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
