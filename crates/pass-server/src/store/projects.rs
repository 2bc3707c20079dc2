//! Projects in the runs folder: `runs/projects/<projectId>/project.json`
//! (name, description, issue target) and `sync-leases.json` (who may write
//! the backlog now). A project's revisions are not stored here: each run's
//! `run.json` names its project and revision, and start-up rebuilds the
//! revision lists from them, so no index can disagree with the runs.
//!
//! Runs written without a project (by the seed, or by PASS before projects)
//! form a project of their own whose id is the run's id; it has no
//! `project.json` until something about it is written.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pass_contracts::projects::{
    BacklogSummary, DEFAULT_LEASE_TTL_SECONDS, MAX_LEASE_TTL_SECONDS, MIN_LEASE_TTL_SECONDS,
    ProjectSummary, SyncLeaseRequest, SyncLeases, name_key, own_project_name,
};
use pass_contracts::runs::GithubState;
use pass_contracts::{
    Project, ProjectDetail, ProjectInput, ProjectRevision, RunDetail, SyncLease, Text, Timestamp,
};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::durable::{sync_dir, to_pretty_json, write_durably};
use super::{RUN_FILE, Store, StoreError, io_err, read_run_file};

use pass_contracts::layout::{PROJECT_FILE, PROJECTS_DIR, SYNC_LEASES_FILE as LEASES_FILE};

/// What the store knows of one project.
#[derive(Debug)]
pub(super) struct ProjectSlot {
    /// Serialises revision numbering, lease changes and record writes.
    lock: Arc<Mutex<()>>,
    /// `project.json`, when the project has one. Boxed: most projects of a
    /// store the seed wrote are implied by one run each and have none.
    stored: Option<Box<Project>>,
    /// Why `project.json` could not be read; the project is then read-only.
    corrupt: Option<String>,
    /// Every listed run of the project: (revision, run id).
    revisions: Revisions,
    /// Name and creation time of a project known only from its runs.
    implied_name: String,
    implied_created_at: Timestamp,
}

impl ProjectSlot {
    fn implied(name: String, created_at: Timestamp) -> Self {
        Self {
            lock: Arc::new(Mutex::new(())),
            stored: None,
            corrupt: None,
            revisions: Revisions::default(),
            implied_name: name,
            implied_created_at: created_at,
        }
    }

    /// The record: `project.json`, or one made from the project's runs.
    fn record(&self, project_id: Uuid) -> Project {
        self.stored.as_deref().cloned().unwrap_or_else(|| Project {
            project_id,
            name: Text::new(self.implied_name.clone())
                .unwrap_or_else(|_| Text::new(format!("Project {project_id}")).expect("non-empty")),
            description: None,
            created_at: self.implied_created_at,
            last_updated_at: self.implied_created_at,
            issue_target: None,
            // Runs made the seed's way: nothing waits for an approval.
            require_approval: false,
        })
    }
}

/// A project's revisions, (revision, run id) in order and without repeats.
/// A sorted vector rather than a `BTreeSet`: most projects have one or a few
/// revisions, and a B-tree node costs hundreds of bytes per project, which a
/// store of 10,000 one-run projects pays 10,000 times.
#[derive(Debug, Default)]
struct Revisions(Vec<(NonZeroU32, Uuid)>);

impl Revisions {
    fn insert(&mut self, revision: (NonZeroU32, Uuid)) {
        if let Err(at) = self.0.binary_search(&revision) {
            self.0.reserve_exact(1);
            self.0.insert(at, revision);
        }
    }

    fn last(&self) -> Option<&(NonZeroU32, Uuid)> {
        self.0.last()
    }

    fn iter(&self) -> std::slice::Iter<'_, (NonZeroU32, Uuid)> {
        self.0.iter()
    }
}

/// Every project, by id, and their names for the uniqueness check.
#[derive(Debug, Default)]
pub(super) struct ProjectTable {
    by_id: HashMap<Uuid, ProjectSlot>,
    /// `name_key` of every project's name.
    names: HashMap<String, Uuid>,
}

impl ProjectTable {
    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Places a run read from disk (or just created) in its project.
    pub(super) fn add_run(&mut self, detail: &RunDetail) {
        let project_id = detail.project();
        let slot = self.by_id.entry(project_id).or_insert_with(|| {
            let name = if project_id == detail.run_id {
                own_project_name(
                    detail.run_id,
                    detail.input.as_ref().map(|i| i.prd_text.as_str()),
                )
            } else {
                // Its project.json is missing: named so it can still be found.
                format!("Project {}", &project_id.simple().to_string()[..12])
            };
            ProjectSlot::implied(name, detail.created_at)
        });
        slot.revisions
            .insert((detail.revision_number(), detail.run_id));
        if slot.implied_created_at > detail.created_at {
            slot.implied_created_at = detail.created_at;
        }
        if slot.stored.is_none() {
            let key = name_key(&slot.implied_name);
            self.names.entry(key).or_insert(project_id);
        }
    }

    /// Places a run served read-only (written by an earlier tool): revision 1
    /// of a project of its own.
    pub(super) fn add_loose_run(
        &mut self,
        run_id: Uuid,
        created_at: Timestamp,
        prd_text: Option<&str>,
    ) {
        let name = own_project_name(run_id, prd_text);
        let slot = self
            .by_id
            .entry(run_id)
            .or_insert_with(|| ProjectSlot::implied(name.clone(), created_at));
        slot.revisions.insert((NonZeroU32::MIN, run_id));
        if slot.stored.is_none() {
            self.names.entry(name_key(&name)).or_insert(run_id);
        }
    }

    /// Keeps the revision number of a run whose `run.json` is corrupt taken,
    /// so no new run is given it while the file waits to be repaired.
    pub(super) fn reserve(&mut self, project_id: Uuid, revision: NonZeroU32, run_id: Uuid) {
        if let Some(slot) = self.by_id.get_mut(&project_id) {
            slot.revisions.insert((revision, run_id));
        } else {
            let mut slot = ProjectSlot::implied(
                format!("Project {}", &project_id.simple().to_string()[..12]),
                Timestamp::now(),
            );
            slot.revisions.insert((revision, run_id));
            self.by_id.insert(project_id, slot);
        }
    }

    fn add_stored(&mut self, project: Project) {
        let project_id = project.project_id;
        let slot = self
            .by_id
            .entry(project_id)
            .or_insert_with(|| ProjectSlot::implied(String::new(), project.created_at));
        if !slot.implied_name.is_empty() {
            let key = name_key(&slot.implied_name);
            if self.names.get(&key) == Some(&project_id) {
                self.names.remove(&key);
            }
        }
        self.names.insert(name_key(&project.name), project_id);
        slot.stored = Some(Box::new(project));
    }
}

/// Reads every `projects/<id>/project.json`; a corrupt one is reported and
/// left untouched. Runs must already be in `table`.
pub(super) fn load_projects(root: &Path, table: &mut ProjectTable) -> Vec<(Uuid, String)> {
    let dir = root.join(PROJECTS_DIR);
    let mut corrupt = Vec::new();
    let Ok(entries) = fs::read_dir(&dir) else {
        return corrupt;
    };
    for entry in entries.filter_map(Result::ok) {
        let Some(project_id) = entry
            .file_name()
            .to_str()
            .and_then(|n| Uuid::parse_str(n).ok())
        else {
            continue;
        };
        pass_durable::remove_temp_files(&entry.path());
        let path = entry.path().join(PROJECT_FILE);
        match read_project_file(project_id, &path) {
            Ok(Some(project)) => table.add_stored(project),
            Ok(None) => {}
            Err(error) => {
                tracing::error!(%project_id, %error, "project.json is corrupt; the project is read-only");
                // A project without runs is known only from this file: it
                // still gets a slot, so it is answered as corrupt (500), not
                // as missing (404), and nothing is written into it.
                let slot = table.by_id.entry(project_id).or_insert_with(|| {
                    ProjectSlot::implied(
                        format!("Project {}", &project_id.simple().to_string()[..12]),
                        Timestamp::now(),
                    )
                });
                slot.corrupt = Some(error.to_string());
                corrupt.push((project_id, error.to_string()));
            }
        }
    }
    corrupt
}

fn read_project_file(project_id: Uuid, path: &Path) -> Result<Option<Project>, StoreError> {
    let bytes = match fs::read(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        other => other.map_err(io_err("could not read", path))?,
    };
    let project: Project = serde_json::from_slice(&bytes).map_err(|e| StoreError::CorruptFile {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    if project.project_id != project_id {
        return Err(StoreError::CorruptFile {
            path: path.display().to_string(),
            reason: format!("it holds project_id {} instead", project.project_id),
        });
    }
    Ok(Some(project))
}

fn read_leases(path: &Path) -> Result<SyncLeases, StoreError> {
    match fs::read(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(SyncLeases::default()),
        Err(e) => Err(io_err("could not read", path)(e)),
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::CorruptFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

/// Creates `dir` (and its parent `projects/`) durably when missing.
fn ensure_project_dir(root: &Path, dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return Ok(());
    }
    let projects = root.join(PROJECTS_DIR);
    if !projects.is_dir() {
        fs::create_dir_all(&projects).map_err(io_err("could not create", &projects))?;
        sync_dir(root)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => sync_dir(&projects),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_err("could not create", dir)(e)),
    }
}

/// What `GET /projects` may filter on.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    /// Exact name, compared without regard to case.
    pub name: Option<String>,
}

impl Store {
    pub(super) fn read_projects(&self) -> std::sync::RwLockReadGuard<'_, ProjectTable> {
        self.projects.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn write_projects(&self) -> std::sync::RwLockWriteGuard<'_, ProjectTable> {
        self.projects.write().unwrap_or_else(|p| p.into_inner())
    }

    fn project_dir(&self, project_id: Uuid) -> PathBuf {
        pass_contracts::layout::project_dir(&self.root, project_id)
    }

    /// Where the local issue target keeps a project's issue files.
    pub fn local_issues_dir(&self, project_id: Uuid) -> PathBuf {
        pass_contracts::layout::local_issues_dir(&self.root, project_id)
    }

    /// Whether `project_id` names a project (from its record or its runs).
    pub fn has_project(&self, project_id: Uuid) -> bool {
        self.read_projects().by_id.contains_key(&project_id)
    }

    /// How many projects exist.
    pub fn project_count(&self) -> usize {
        self.read_projects().by_id.len()
    }

    /// How many projects have a `project.json` that cannot be read.
    pub fn corrupt_project_count(&self) -> usize {
        self.read_projects()
            .by_id
            .values()
            .filter(|slot| slot.corrupt.is_some())
            .count()
    }

    /// The lock that numbers a project's revisions. A project whose
    /// `project.json` is corrupt is read-only: it gets no new revision
    /// either, until its record is repaired.
    pub(super) fn project_lock(&self, project_id: Uuid) -> Result<Arc<Mutex<()>>, StoreError> {
        self.writable_project(project_id)
    }

    /// The revision a new run of `project_id` gets; call under the project's lock.
    pub(super) fn next_revision(&self, project_id: Uuid) -> Result<NonZeroU32, StoreError> {
        let table = self.read_projects();
        let slot = table
            .by_id
            .get(&project_id)
            .ok_or(StoreError::ProjectNotFound(project_id))?;
        let last = slot
            .revisions
            .last()
            .map_or(0, |(revision, _)| revision.get());
        NonZeroU32::new(last.saturating_add(1)).ok_or_else(|| StoreError::Encode {
            what: "revision number".to_owned(),
            reason: "overflow".to_owned(),
        })
    }

    /// Creates a project. Names are unique without regard to case.
    pub async fn create_project(
        self: &Arc<Self>,
        input: ProjectInput,
    ) -> Result<Project, StoreError> {
        let _one_creator = self.project_create.lock().await;
        if let Some(existing) = self.find_project_by_name(&input.name) {
            return Err(StoreError::ProjectNameTaken {
                name: input.name.to_string(),
                existing: existing.project_id,
            });
        }
        let now = Timestamp::now();
        let project = Project {
            project_id: Uuid::new_v4(),
            name: Text::new(input.name.trim()).unwrap_or(input.name),
            description: input.description,
            created_at: now,
            last_updated_at: now,
            issue_target: None,
            require_approval: input.require_approval.unwrap_or(true),
        };
        let root = self.root.clone();
        let dir = self.project_dir(project.project_id);
        let bytes = to_pretty_json(&project, "project.json")?;
        self.io(move || {
            ensure_project_dir(&root, &dir)?;
            write_durably(&dir.join(PROJECT_FILE), &bytes)
        })
        .await?;
        let mut table = self.write_projects();
        table.add_stored(project.clone());
        Ok(project)
    }

    /// The project called `name` (compared without regard to case).
    pub fn find_project_by_name(&self, name: &str) -> Option<Project> {
        let table = self.read_projects();
        let id = table.names.get(&name_key(name))?;
        table.by_id.get(id).map(|slot| slot.record(*id))
    }

    /// One page of projects, most recently active first, and the total.
    pub fn list_projects(
        &self,
        filter: &ProjectFilter,
        limit: usize,
        offset: usize,
    ) -> (u64, Vec<ProjectSummary>) {
        let projects = self.read_projects();
        let mut rows: Vec<ProjectSummary> = projects
            .by_id
            .iter()
            .filter(|(_, slot)| slot.corrupt.is_none())
            .map(|(id, slot)| self.summary(*id, slot))
            .filter(|row| {
                filter
                    .name
                    .as_deref()
                    .is_none_or(|name| row.project.is_named(name))
            })
            .collect();
        drop(projects);
        rows.sort_by(|a, b| {
            let active = |row: &ProjectSummary| {
                row.latest
                    .as_ref()
                    .map_or(row.project.created_at, |latest| latest.created_at)
                    .max(row.project.created_at)
            };
            active(b)
                .cmp(&active(a))
                .then(b.project.project_id.cmp(&a.project.project_id))
        });
        let total = rows.len() as u64;
        let page = rows.into_iter().skip(offset).take(limit).collect();
        (total, page)
    }

    fn summary(&self, project_id: Uuid, slot: &ProjectSlot) -> ProjectSummary {
        let revisions = self.revisions_of(slot);
        ProjectSummary {
            project: slot.record(project_id),
            revisions: u32::try_from(revisions.len()).unwrap_or(u32::MAX),
            latest: revisions.last().cloned(),
        }
    }

    /// The listed revisions of a project, oldest first, with their runs' status.
    fn revisions_of(&self, slot: &ProjectSlot) -> Vec<ProjectRevision> {
        let runs = self.read_table();
        slot.revisions
            .iter()
            .filter_map(|(revision, run_id)| {
                let record = runs.by_id.get(run_id)?.record.as_ref()?;
                Some(ProjectRevision {
                    run_id: *run_id,
                    revision: *revision,
                    status: record.status,
                    created_at: record.created_at,
                })
            })
            .collect()
    }

    /// A project's record (from `project.json`, or made from its runs).
    pub fn project(&self, project_id: Uuid) -> Result<Project, StoreError> {
        let table = self.read_projects();
        let slot = table
            .by_id
            .get(&project_id)
            .ok_or(StoreError::ProjectNotFound(project_id))?;
        Ok(slot.record(project_id))
    }

    /// A project's listed revisions, oldest first.
    pub fn revisions(&self, project_id: Uuid) -> Result<Vec<ProjectRevision>, StoreError> {
        let table = self.read_projects();
        let slot = table
            .by_id
            .get(&project_id)
            .ok_or(StoreError::ProjectNotFound(project_id))?;
        Ok(self.revisions_of(slot))
    }

    /// A project, its revisions and what its latest sync left.
    pub async fn get_project(
        self: &Arc<Self>,
        project_id: Uuid,
    ) -> Result<ProjectDetail, StoreError> {
        let (project, revisions) = {
            let table = self.read_projects();
            let slot = table
                .by_id
                .get(&project_id)
                .ok_or(StoreError::ProjectNotFound(project_id))?;
            if let Some(reason) = &slot.corrupt {
                return Err(StoreError::CorruptFile {
                    path: format!("{PROJECTS_DIR}/{project_id}/{PROJECT_FILE}"),
                    reason: reason.clone(),
                });
            }
            (slot.record(project_id), self.revisions_of(slot))
        };
        let runs: Vec<(Uuid, NonZeroU32, PathBuf)> = revisions
            .iter()
            .rev()
            .map(|r| (r.run_id, r.revision, self.run_dir(r.run_id).join(RUN_FILE)))
            .collect();
        let backlog = self.io(move || Ok(latest_backlog(&runs))).await?;
        Ok(ProjectDetail {
            project,
            revisions,
            backlog,
        })
    }

    /// Records where the project's backlog lives, writing `project.json`
    /// (and so giving a project known only from its runs a record).
    async fn set_issue_target(
        self: &Arc<Self>,
        project_id: Uuid,
        target: &Text,
    ) -> Result<(), StoreError> {
        let mut project = {
            let table = self.read_projects();
            let slot = table
                .by_id
                .get(&project_id)
                .ok_or(StoreError::ProjectNotFound(project_id))?;
            let project = slot.record(project_id);
            if project.issue_target.as_ref() == Some(target) {
                return Ok(());
            }
            project
        };
        project.issue_target = Some(target.clone());
        project.last_updated_at = Timestamp::now();
        let root = self.root.clone();
        let dir = self.project_dir(project_id);
        let bytes = to_pretty_json(&project, "project.json")?;
        self.io(move || {
            ensure_project_dir(&root, &dir)?;
            write_durably(&dir.join(PROJECT_FILE), &bytes)
        })
        .await?;
        self.write_projects().add_stored(project);
        Ok(())
    }

    fn writable_project(&self, project_id: Uuid) -> Result<Arc<Mutex<()>>, StoreError> {
        let table = self.read_projects();
        let slot = table
            .by_id
            .get(&project_id)
            .ok_or(StoreError::ProjectNotFound(project_id))?;
        if let Some(reason) = &slot.corrupt {
            return Err(StoreError::CorruptFile {
                path: format!("{PROJECTS_DIR}/{project_id}/{PROJECT_FILE}"),
                reason: reason.clone(),
            });
        }
        Ok(slot.lock.clone())
    }

    /// Grants the sync lease of `project_id` on the request's target, unless
    /// another holder's lease is still live. The lease is on disk before the
    /// answer, so a server restart cannot grant it twice.
    pub async fn acquire_sync_lease(
        self: &Arc<Self>,
        project_id: Uuid,
        request: SyncLeaseRequest,
    ) -> Result<SyncLease, StoreError> {
        let lock = self.writable_project(project_id)?;
        let _guard = lock.lock_owned().await;
        let ttl = request
            .ttl_seconds
            .unwrap_or(DEFAULT_LEASE_TTL_SECONDS)
            .clamp(MIN_LEASE_TTL_SECONDS, MAX_LEASE_TTL_SECONDS);
        let target = Text::new(request.target.trim()).unwrap_or(request.target);
        let path = self.project_dir(project_id).join(LEASES_FILE);
        let root = self.root.clone();
        let dir = self.project_dir(project_id);
        let holder = request.holder;
        let (run_id, execution_id) = (request.run_id, request.execution_id);
        let lease_target = target.clone();
        let lease = self
            .io(move || {
                let mut leases = read_leases(&path)?;
                let now = Timestamp::now();
                let key = target_key(&lease_target);
                if let Some(live) = leases
                    .leases
                    .iter()
                    .find(|l| target_key(&l.target) == key && !l.is_expired(now))
                {
                    return Err(StoreError::SyncInProgress(Box::new(live.clone())));
                }
                let lease = SyncLease {
                    lease_id: Uuid::new_v4(),
                    project_id,
                    target: lease_target.clone(),
                    holder,
                    run_id,
                    execution_id,
                    ttl_seconds: ttl,
                    acquired_at: now,
                    renewed_at: now,
                    expires_at: expiry(now, ttl),
                };
                leases.leases.retain(|l| target_key(&l.target) != key);
                leases.leases.push(lease.clone());
                ensure_project_dir(&root, &dir)?;
                write_durably(&path, &to_pretty_json(&leases, LEASES_FILE)?)?;
                Ok(lease)
            })
            .await?;
        if let Err(error) = self.set_issue_target(project_id, &target).await {
            tracing::warn!(%project_id, %error, "could not record the project's issue target");
        }
        Ok(lease)
    }

    /// Moves a lease's expiry on. A lease that expired is renewed as long as
    /// nobody took it over in the meantime; a replaced or released one is lost.
    pub async fn renew_sync_lease(
        self: &Arc<Self>,
        project_id: Uuid,
        lease_id: Uuid,
    ) -> Result<SyncLease, StoreError> {
        let lock = self.writable_project(project_id)?;
        let _guard = lock.lock_owned().await;
        let path = self.project_dir(project_id).join(LEASES_FILE);
        self.io(move || {
            let mut leases = read_leases(&path)?;
            let lease = leases
                .leases
                .iter_mut()
                .find(|l| l.lease_id == lease_id)
                .ok_or(StoreError::SyncLeaseLost {
                    project_id,
                    lease_id,
                })?;
            let now = Timestamp::now();
            lease.renewed_at = now;
            lease.expires_at = expiry(now, lease.ttl_seconds);
            let renewed = lease.clone();
            write_durably(&path, &to_pretty_json(&leases, LEASES_FILE)?)?;
            Ok(renewed)
        })
        .await
    }

    /// Ends a lease; releasing one that is gone already is not an error.
    pub async fn release_sync_lease(
        self: &Arc<Self>,
        project_id: Uuid,
        lease_id: Uuid,
    ) -> Result<(), StoreError> {
        let lock = self.writable_project(project_id)?;
        let _guard = lock.lock_owned().await;
        let path = self.project_dir(project_id).join(LEASES_FILE);
        self.io(move || {
            let mut leases = read_leases(&path)?;
            let before = leases.leases.len();
            leases.leases.retain(|l| l.lease_id != lease_id);
            if leases.leases.len() != before {
                write_durably(&path, &to_pretty_json(&leases, LEASES_FILE)?)?;
            }
            Ok(())
        })
        .await
    }
}

/// How lease targets are compared: `github:Acme/Shop` and `github:acme/shop`
/// are one repository (GitHub ignores case in owner and repository names),
/// so two syncs spelling it differently must still exclude each other.
fn target_key(target: &str) -> String {
    target.trim().to_lowercase()
}

fn expiry(now: Timestamp, ttl_seconds: u32) -> Timestamp {
    Timestamp::from_datetime(now.as_datetime() + chrono::Duration::seconds(i64::from(ttl_seconds)))
}

/// The counts of the newest revision that has an implementation state.
fn latest_backlog(runs: &[(Uuid, NonZeroU32, PathBuf)]) -> Option<BacklogSummary> {
    runs.iter().find_map(|(run_id, revision, path)| {
        let detail = read_run_file(*run_id, path).ok()?;
        let state = detail.implementation_state?;
        let mut outcomes = BTreeMap::new();
        let (mut open, mut closed) = (0, 0);
        for issue in &state.issues {
            match issue.github_state {
                Some(GithubState::Open) => open += 1,
                Some(GithubState::Closed) => closed += 1,
                None => {}
            }
            let outcome = issue
                .outcome
                .map_or(issue.sync_status.as_str(), |o| o.as_str());
            *outcomes.entry(outcome.to_owned()).or_insert(0) += 1;
        }
        Some(BacklogSummary {
            run_id: *run_id,
            revision: *revision,
            synced_at: state.synced_at,
            open,
            closed,
            outcomes,
        })
    })
}
