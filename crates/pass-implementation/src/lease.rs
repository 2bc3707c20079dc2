//! The project's sync lease, held for the whole of a sync: the PASS API
//! grants it to one sync per project and issue target at a time, so two
//! syncs (a dispatched agent and `pass sync`, two agents, an agent left over
//! from a crashed server and its re-dispatch) can never both create issues.
//!
//! Every write to the tracker goes through [`LeasedTracker`], which renews
//! the lease when half of it has run out and refuses to write once it is
//! lost: a sync that stalled past its lease (and may have been replaced)
//! stops instead of writing beside its successor.

use std::time::{Duration, Instant};

use pass_client::{ClientError, PassClient};
use pass_contracts::Text;
use pass_contracts::projects::SyncLeaseRequest;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::error::TrackerError;
use crate::tracker::{
    IssueEdit, IssueTracker, NewIssue, RequestCounts, TrackedComment, TrackedIssue,
};

/// A lease the sync holds, renewed as it goes.
#[derive(Debug)]
pub struct LeaseKeeper {
    client: PassClient,
    project_id: Uuid,
    lease_id: Uuid,
    ttl: Duration,
    /// When the lease runs out, by this process's clock: measured from
    /// before the request that granted or renewed it, so it never errs late.
    deadline: Mutex<Instant>,
}

/// Why the lease could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// Another sync holds it; the message names the holder and until when.
    #[error("{0}")]
    Busy(String),
    /// The server has no lease routes (it predates projects).
    #[error("the PASS API grants no sync leases")]
    Unsupported,
    #[error("could not ask the PASS API for the project's sync lease: {0}")]
    Api(ClientError),
}

impl LeaseKeeper {
    /// Asks for the lease of `project_id` on `request.target`.
    pub async fn acquire(
        client: &PassClient,
        project_id: Uuid,
        request: &SyncLeaseRequest,
    ) -> Result<Self, LeaseError> {
        let asked = Instant::now();
        let lease = client
            .acquire_sync_lease(project_id, request)
            .await
            .map_err(|error| match error.code() {
                Some("sync_in_progress") => LeaseError::Busy(error_message(&error)),
                // The route itself is unknown: a server from before projects
                // (the seed's answers run_not_found to every unknown path).
                Some("not_found" | "run_not_found") => LeaseError::Unsupported,
                _ => LeaseError::Api(error),
            })?;
        let ttl = Duration::from_secs(u64::from(lease.ttl_seconds));
        Ok(Self {
            client: client.clone(),
            project_id,
            lease_id: lease.lease_id,
            ttl,
            deadline: Mutex::new(asked + ttl),
        })
    }

    pub fn lease_id(&self) -> Uuid {
        self.lease_id
    }

    /// Makes sure the lease has at least half its time left, renewing it if
    /// not. An error means the sync must not write any more.
    pub async fn keep(&self) -> Result<(), TrackerError> {
        let mut deadline = self.deadline.lock().await;
        let now = Instant::now();
        if deadline.saturating_duration_since(now) > self.ttl / 2 {
            return Ok(());
        }
        let asked = Instant::now();
        match self
            .client
            .renew_sync_lease(self.project_id, self.lease_id)
            .await
        {
            Ok(lease) => {
                *deadline = asked + Duration::from_secs(u64::from(lease.ttl_seconds));
                Ok(())
            }
            Err(error) if *deadline > Instant::now() && error.code().is_none() => {
                // The API is unreachable for a moment but the lease still
                // runs: carry on and try again before the next write.
                tracing::warn!(%error, "could not renew the sync lease; it is still valid");
                Ok(())
            }
            Err(error) => Err(TrackerError::LeaseLost(error_message(&error))),
        }
    }

    /// Gives the lease back so the next sync need not wait for it to expire.
    pub async fn release(self) {
        if let Err(error) = self
            .client
            .release_sync_lease(self.project_id, self.lease_id)
            .await
        {
            tracing::warn!(%error, "could not release the sync lease; it expires by itself");
        }
    }
}

fn error_message(error: &ClientError) -> String {
    match error {
        ClientError::Api { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Who holds a lease, as a refused sync's message shows it.
pub fn holder_description(what: &str) -> Text {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| "this machine".to_owned());
    Text::new(format!("{what} (pid {} on {host})", std::process::id()))
        .unwrap_or_else(|_| Text::new("a sync").expect("non-empty literal"))
}

/// A tracker whose every write first makes sure the lease is still held.
#[derive(Debug)]
pub struct LeasedTracker<'a, T> {
    inner: &'a T,
    lease: &'a LeaseKeeper,
}

impl<'a, T: IssueTracker> LeasedTracker<'a, T> {
    pub fn new(inner: &'a T, lease: &'a LeaseKeeper) -> Self {
        Self { inner, lease }
    }
}

impl<T: IssueTracker> IssueTracker for LeasedTracker<'_, T> {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn requests(&self) -> RequestCounts {
        self.inner.requests()
    }

    fn supports_dependencies(&self) -> bool {
        self.inner.supports_dependencies()
    }

    async fn list_issues(&self) -> Result<Vec<TrackedIssue>, TrackerError> {
        self.inner.list_issues().await
    }

    async fn ensure_labels(&self, names: &[String]) -> Result<(), TrackerError> {
        self.lease.keep().await?;
        self.inner.ensure_labels(names).await
    }

    async fn create_issue(&self, issue: &NewIssue) -> Result<TrackedIssue, TrackerError> {
        self.lease.keep().await?;
        self.inner.create_issue(issue).await
    }

    async fn update_issue(
        &self,
        number: u64,
        edit: &IssueEdit,
    ) -> Result<TrackedIssue, TrackerError> {
        self.lease.keep().await?;
        self.inner.update_issue(number, edit).await
    }

    async fn list_comments(&self, number: u64) -> Result<Vec<TrackedComment>, TrackerError> {
        self.inner.list_comments(number).await
    }

    async fn add_comment(&self, number: u64, body: &str) -> Result<(), TrackerError> {
        self.lease.keep().await?;
        self.inner.add_comment(number, body).await
    }

    async fn close_issue(&self, number: u64, comment: &str) -> Result<TrackedIssue, TrackerError> {
        self.lease.keep().await?;
        self.inner.close_issue(number, comment).await
    }

    async fn list_blocked_by(&self, number: u64) -> Result<Vec<u64>, TrackerError> {
        self.inner.list_blocked_by(number).await
    }

    async fn add_blocked_by(&self, number: u64, blocking_id: u64) -> Result<(), TrackerError> {
        self.lease.keep().await?;
        self.inner.add_blocked_by(number, blocking_id).await
    }

    async fn remove_blocked_by(&self, number: u64, blocking_id: u64) -> Result<(), TrackerError> {
        self.lease.keep().await?;
        self.inner.remove_blocked_by(number, blocking_id).await
    }
}

/// The lease request a sync of `run_id` makes.
pub fn lease_request(
    target: &str,
    holder: Text,
    run_id: Uuid,
    execution_id: Option<Uuid>,
    ttl_seconds: u32,
) -> Option<SyncLeaseRequest> {
    Some(SyncLeaseRequest {
        target: Text::new(target).ok()?,
        holder,
        run_id: Some(run_id),
        execution_id,
        ttl_seconds: Some(ttl_seconds),
    })
}
