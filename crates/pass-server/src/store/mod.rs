//! The filesystem store in the contract's disk layout.
//!
//! `run.json` is the source of truth and is written durably (unique temp file in
//! the same folder, fsync, rename, fsync of the folder) before a request is
//! answered. The run list lives in memory, ordered newest first, and
//! `index.json` is written from it in the background: it is derived data that
//! start-up rebuilds from the `run.json` files, so no request pays for
//! rewriting it. Run details are not cached, which keeps memory flat however
//! many runs there are. Writes to one run are serialised by a per-run lock.

#![allow(
    clippy::disallowed_methods,
    reason = "the store names every path in its own StoreError; fs_err would name it twice"
)]

mod artifacts;
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
    ArtifactMetadata, ContentType, Execution, RunDetail, RunRecord, RunsIndex, Text, Timestamp,
};
use tokio::sync::{Mutex, OwnedMutexGuard, Semaphore};
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use durable::{sync_dir, to_pretty_json};
pub use durable::{write_durably, write_durably_with};
pub use projects::ProjectFilter;
use projects::ProjectTable;

pub(crate) use artifacts::read_artifact_index;

use pass_contracts::layout::{ARTIFACTS_DIR, RUN_FILE, RUNS_INDEX_FILE};

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
    /// The cause is part of the message (not a `source`): printed once.
    #[error("{action} {path}: {error}")]
    Io {
        action: &'static str,
        path: String,
        error: io::Error,
    },
    #[error(transparent)]
    Write(#[from] pass_durable::WriteError),
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
    #[error(
        "run {run_id} was written by another tool and is served read-only: {reason}; it is left untouched"
    )]
    ReadOnlyRun { run_id: Uuid, reason: String },
}

/// A run as the store holds it.
#[derive(Debug)]
pub enum StoredRun {
    /// Every value in `run.json` is one PASS accepts today.
    Typed(Box<RunDetail>),
    /// A sound record another tool wrote with values PASS would refuse now;
    /// served as stored (with its project and revision named), never written.
    ReadOnly(serde_json::Value),
}

pub(crate) fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |error| StoreError::Io {
        action,
        path: path.display().to_string(),
        error,
    }
}

#[derive(Debug)]
struct RunSlot {
    lock: Arc<Mutex<()>>,
    /// `None` when `run.json` was corrupt at start-up: the run is not listed.
    record: Option<RunRecord>,
    /// Why a run another tool wrote (the seed) is served read-only: its
    /// `run.json` is sound JSON with a sound record, but holds a value PASS
    /// would not accept today (a blank PRD, an empty error message…).
    read_only: Option<String>,
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
    /// Write requests running to completion whether or not their client
    /// waits (see `app::finish_writes`); shutdown waits for them.
    writes: TaskTracker,
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
            temp_files_removed: pass_durable::remove_temp_files(&root),
            ..StartupReport::default()
        };
        let mut table = RunTable::default();
        let mut projects = ProjectTable::default();
        let mut read_only: HashMap<Uuid, String> = HashMap::new();
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
            report.temp_files_removed += pass_durable::remove_temp_files(&entry.path());
            report.temp_files_removed +=
                pass_durable::remove_temp_files(&entry.path().join(ARTIFACTS_DIR));
            match artifacts::repair_replacement(&entry.path()) {
                Ok(artifacts::Repair::None) => {}
                Ok(repair) => {
                    tracing::warn!(%run_id, ?repair, "an artifact replacement a crash interrupted was settled")
                }
                Err(error) => {
                    tracing::error!(%run_id, %error, "an interrupted artifact replacement could not be settled")
                }
            }
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
                Err(StoreError::Io { error, .. }) if error.kind() == io::ErrorKind::NotFound => {
                    tracing::warn!(%run_id, "run folder without run.json is ignored");
                    continue;
                }
                Err(error) => match read_loose_run(run_id, &path) {
                    Some((record, prd_text)) => {
                        tracing::warn!(%run_id, %error, "run.json holds values PASS no longer accepts; the run is served read-only");
                        projects.add_loose_run(run_id, record.created_at, prd_text.as_deref());
                        read_only.insert(run_id, error.to_string());
                        Some(record)
                    }
                    None => {
                        tracing::error!(%run_id, %error, "run.json is corrupt; the run is not served");
                        if let Some((project_id, revision)) = readable_revision(&path) {
                            projects.reserve(project_id, revision, run_id);
                        }
                        report.corrupt.push((run_id, error.to_string()));
                        None
                    }
                },
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
                    read_only: read_only.remove(&run_id),
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
            writes: TaskTracker::new(),
        });
        let expected = store.index_snapshot();
        let index_path = store.root.join(RUNS_INDEX_FILE);
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
        pass_contracts::layout::run_dir(&self.root, run_id)
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

    /// How many runs written by an earlier tool are served read-only.
    pub fn read_only_count(&self) -> usize {
        self.read_table()
            .by_id
            .values()
            .filter(|s| s.read_only.is_some())
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
                    read_only: None,
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
        if let Some(reason) = self.read_only_reason(run_id) {
            return Err(StoreError::ReadOnlyRun { run_id, reason });
        }
        let dir = self.run_dir(run_id);
        let detail = read_run_file(run_id, &dir.join(RUN_FILE))?;
        let artifacts = read_artifact_index(&dir)?.artifacts;
        Ok((detail, artifacts))
    }

    /// A run as it is stored: typed when PASS accepts every value in it, else
    /// the stored JSON itself (with its project and revision named), read-only.
    pub fn get_stored_run(
        &self,
        run_id: Uuid,
    ) -> Result<(StoredRun, Vec<ArtifactMetadata>), StoreError> {
        match self.get_run(run_id) {
            Ok((detail, artifacts)) => Ok((StoredRun::Typed(Box::new(detail)), artifacts)),
            Err(StoreError::ReadOnlyRun { .. }) => {
                let dir = self.run_dir(run_id);
                let path = dir.join(RUN_FILE);
                let bytes = fs::read(&path).map_err(io_err("could not read", &path))?;
                let mut value: serde_json::Value =
                    serde_json::from_slice(&bytes).map_err(|e| StoreError::CorruptRun {
                        run_id,
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })?;
                if let Some(object) = value.as_object_mut() {
                    object
                        .entry("project_id")
                        .or_insert_with(|| serde_json::json!(run_id));
                    object
                        .entry("revision")
                        .or_insert_with(|| serde_json::json!(1));
                }
                let artifacts = read_artifact_index(&dir)?.artifacts;
                Ok((StoredRun::ReadOnly(value), artifacts))
            }
            Err(error) => Err(error),
        }
    }

    fn read_only_reason(&self, run_id: Uuid) -> Option<String> {
        self.read_table()
            .by_id
            .get(&run_id)
            .and_then(|slot| slot.read_only.clone())
    }

    /// Takes the run's lock so that a read-modify-write cannot lose another's update.
    /// A run served read-only is never written: its lock is refused.
    pub async fn lock_run(self: &Arc<Self>, run_id: Uuid) -> Result<RunGuard, StoreError> {
        let lock = self.ensure_known(run_id)?;
        if let Some(reason) = self.read_only_reason(run_id) {
            return Err(StoreError::ReadOnlyRun { run_id, reason });
        }
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

    /// The tracker of write requests in flight.
    pub fn writes(&self) -> &TaskTracker {
        &self.writes
    }

    /// Waits for every write request in flight, then writes `index.json`:
    /// the last step of a shutdown.
    pub async fn finish(self: &Arc<Self>) -> Result<(), StoreError> {
        self.writes.close();
        self.writes.wait().await;
        self.flush_index().await
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
        let result = write_durably_with(&self.root.join(RUNS_INDEX_FILE), |file| {
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
            .io(move || artifacts::put(&run_dir, name, content_type, &bytes))
            .await
    }
}

/// The record of a `run.json` PASS does not accept as a whole but whose
/// record fields are sound (what the seed could write, such as a blank PRD):
/// the record, and the PRD text for the project's name.
fn read_loose_run(run_id: Uuid, path: &Path) -> Option<(RunRecord, Option<String>)> {
    let bytes = fs::read(path).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let object = value.as_object()?;
    let record_fields: serde_json::Map<String, serde_json::Value> = [
        "run_id",
        "created_at",
        "status",
        "current_step",
        "last_updated_at",
    ]
    .iter()
    .filter_map(|key| Some(((*key).to_owned(), object.get(*key)?.clone())))
    .collect();
    let record: RunRecord =
        serde_json::from_value(serde_json::Value::Object(record_fields)).ok()?;
    if record.run_id != run_id {
        return None;
    }
    let prd = object
        .get("input")
        .and_then(|input| input.get("prd_text"))
        .and_then(|text| text.as_str())
        .map(str::to_owned);
    Some((record, prd))
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
