//! A run's clarification records, `runs/<runId>/clarifications.json`,
//! written durably under the run's lock like `run.json`.

use std::fs;
use std::io;
use std::path::Path;

use pass_contracts::coordination::{Clarification, ClarificationList};
use uuid::Uuid;

use super::durable::{to_pretty_json, write_durably};
use super::{RunGuard, Store, StoreError, io_err};

use pass_contracts::layout::CLARIFICATIONS_FILE;

fn read_clarifications(run_dir: &Path) -> Result<ClarificationList, StoreError> {
    let path = run_dir.join(CLARIFICATIONS_FILE);
    match fs::read(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(ClarificationList::default()),
        Err(e) => Err(io_err("could not read", &path)(e)),
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::CorruptFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

impl Store {
    /// A run's clarifications, read without its lock (the file is replaced
    /// atomically, so a reader sees the old or the new list).
    pub async fn clarifications(&self, run_id: Uuid) -> Result<Vec<Clarification>, StoreError> {
        self.ensure_known(run_id)?;
        let dir = self.run_dir(run_id);
        self.io(move || Ok(read_clarifications(&dir)?.clarifications))
            .await
    }
}

impl RunGuard {
    /// The run's clarifications as they are on disk now.
    pub async fn clarifications(&self) -> Result<Vec<Clarification>, StoreError> {
        let dir = self.run_dir();
        self.store
            .io(move || Ok(read_clarifications(&dir)?.clarifications))
            .await
    }

    /// Replaces the run's clarifications durably.
    pub async fn save_clarifications(
        &self,
        clarifications: Vec<Clarification>,
    ) -> Result<(), StoreError> {
        let path = self.run_dir().join(CLARIFICATIONS_FILE);
        let bytes = to_pretty_json(&ClarificationList { clarifications }, CLARIFICATIONS_FILE)?;
        self.store.io(move || write_durably(&path, &bytes)).await
    }
}
