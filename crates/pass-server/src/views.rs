//! The console's read routes: what the web console shows, gathered from the
//! store and rendered by `pass-console`'s templates, behind the same token as
//! every other route. `GET /views/runs` lists runs with their titles,
//! projects and plan states; `GET /views/runs/{runId}` answers one run's
//! page as escaped HTML sections, with its diagrams rendered to SVG here and
//! the end of its newest agent log.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path as FsPath;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use pass_console::{LogTail, Mode, RunBundle, RunRow, RunRows, RunView, render_run};
use pass_contracts::artifacts::names;
use pass_contracts::{ArchitecturePack, PlanDiff};
use uuid::Uuid;

use crate::app::AppState;
use crate::error::ApiError;
use crate::runs::parse_run_id;
use crate::store::StoreError;

/// How many runs the list shows, newest first.
const MAX_LISTED_RUNS: usize = 1000;
/// How much of the end of a log a failed run shows.
const LOG_TAIL_BYTES: u64 = 8 * 1024;

/// `GET /views/runs`.
pub async fn list_run_views(State(state): State<AppState>) -> Result<Json<RunRows>, ApiError> {
    let (total, records) = state.store.list(MAX_LISTED_RUNS, 0);
    let mut runs = Vec::with_capacity(records.len());
    for record in records {
        // A run listed a moment ago and unreadable now is left out, not fatal.
        let Ok((run, _)) = state.store.get_run(record.run_id) else {
            continue;
        };
        let project = state.store.project(run.project()).ok();
        runs.push(RunRow::new(&run, project.as_ref()));
    }
    Ok(Json(RunRows { total, runs }))
}

/// `GET /views/runs/{runId}`.
pub async fn get_run_view(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<RunView>, ApiError> {
    let Path(raw) = path?;
    let run_id = parse_run_id(&raw)?;
    let bundle = gather(&state, run_id).await?;
    // Laying out a large plan's graph takes CPU time: off the async workers.
    let view = tokio::task::spawn_blocking(move || render_run(&bundle, Mode::Console))
        .await
        .map_err(|e| ApiError::new(pass_contracts::ErrorCode::InternalError, e.to_string()))?;
    Ok(Json(view))
}

async fn artifact_bytes(
    state: &AppState,
    run_id: Uuid,
    name: &str,
) -> Result<Option<Vec<u8>>, ApiError> {
    match state.store.get_artifact(run_id, name.to_owned()).await {
        Ok((_, bytes)) => Ok(Some(bytes)),
        Err(StoreError::ArtifactNotFound { .. }) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Everything one run's page shows, from the store.
async fn gather(state: &AppState, run_id: Uuid) -> Result<RunBundle, ApiError> {
    let (run, artifacts) = state.store.get_run(run_id)?;
    let project = state.store.project(run.project()).ok();
    let pack = artifact_bytes(state, run_id, names::ARCHITECTURE_PACK)
        .await?
        .and_then(|bytes| serde_json::from_slice::<ArchitecturePack>(&bytes).ok());
    let diagram_source = artifact_bytes(state, run_id, names::ARCHITECTURE_PACK_DIAGRAM)
        .await?
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let plan_diff = artifact_bytes(state, run_id, names::PLAN_DIFF)
        .await?
        .and_then(|bytes| serde_json::from_slice::<PlanDiff>(&bytes).ok());
    let clarifications = state.store.clarifications(run_id).await?;
    let logs = state.store.root().join(run_id.to_string()).join("logs");
    let log_tail = tokio::task::spawn_blocking(move || newest_log_tail(&logs))
        .await
        .ok()
        .flatten();
    Ok(RunBundle {
        run,
        artifacts,
        project,
        pack,
        diagram_source,
        plan_diff,
        clarifications,
        log_tail,
    })
}

/// The last [`LOG_TAIL_BYTES`] of the most recently written log file, from
/// the start of a line.
fn newest_log_tail(dir: &FsPath) -> Option<LogTail> {
    let newest = fs_err::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
        .max_by_key(|(modified, _)| *modified)?
        .1;
    let mut file = fs_err::File::open(&newest).ok()?;
    let length = file.metadata().ok()?.len();
    let start = length.saturating_sub(LOG_TAIL_BYTES);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let text = if start > 0 {
        text.split_once('\n').map_or(&*text, |(_, rest)| rest)
    } else {
        &text
    };
    Some(LogTail {
        file: newest.file_name()?.to_string_lossy().into_owned(),
        text: text.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_is_the_newest_log_from_a_line_start() {
        let dir = std::env::temp_dir().join(format!("pass-views-{}", Uuid::new_v4()));
        fs_err::create_dir_all(&dir).unwrap();
        fs_err::write(dir.join("old.log"), "old\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let long: String = (0..2000).map(|i| format!("line {i}\n")).collect();
        fs_err::write(dir.join("new.log"), &long).unwrap();
        let tail = newest_log_tail(&dir).unwrap();
        assert_eq!(tail.file, "new.log");
        assert!(tail.text.starts_with("line "), "{}", &tail.text[..20]);
        assert!(tail.text.ends_with("line 1999\n"));
        assert!(tail.text.len() as u64 <= LOG_TAIL_BYTES);
        assert!(newest_log_tail(&dir.join("missing")).is_none());
        fs_err::remove_dir_all(&dir).unwrap();
    }
}
