//! The artifact routes: upload and read back, as JSON or as the stored file.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use pass_contracts::api::{ArtifactEnvelope, ArtifactUpload, ArtifactWithPayload};
use pass_contracts::{ContentType, ErrorCode, Problem, check_artifact_name};
use serde::Deserialize;

use crate::app::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::runs::parse_run_id;
use crate::store::StoreError;

fn checked_name(name: &str) -> Result<(), ApiError> {
    check_artifact_name(name).map_err(|e| ApiError {
        code: ErrorCode::BadRequest,
        message: e.to_string(),
        issues: vec![Problem {
            path: "name".to_owned(),
            message: e.to_string(),
        }],
    })
}

/// A name to look up: the upload rule applies to new artifacts only, so a
/// read accepts any name an earlier tool could have stored (`My Notes!`);
/// the name is only compared with the index, never joined to a path.
fn readable_name(name: &str) -> Result<(), ApiError> {
    if check_artifact_name(name).is_ok() {
        return Ok(());
    }
    let problem = if name.trim().is_empty() {
        Some("must not be blank")
    } else if name.len() > 256 {
        Some("must be at most 256 bytes")
    } else if name.chars().any(char::is_control) {
        Some("must not contain control characters")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(ApiError {
            code: ErrorCode::BadRequest,
            message: format!("invalid artifact name {name:?}: it {problem}"),
            issues: vec![Problem {
                path: "name".to_owned(),
                message: problem.to_owned(),
            }],
        }),
    }
}

/// The bytes stored for a payload: pretty JSON with a trailing newline for
/// JSON, the string itself for text types.
fn payload_bytes(upload: &ArtifactUpload) -> Result<Vec<u8>, ApiError> {
    match (upload.content_type, &upload.payload) {
        (ContentType::Json, value) => {
            let mut bytes = serde_json::to_vec_pretty(value)
                .map_err(|e| ApiError::bad_request(format!("payload cannot be stored: {e}")))?;
            bytes.push(b'\n');
            Ok(bytes)
        }
        (_, serde_json::Value::String(text)) => Ok(text.clone().into_bytes()),
        (content_type, _) => {
            let message = format!(
                "payload must be a string for content_type {}",
                content_type.as_str()
            );
            Err(ApiError {
                code: ErrorCode::BadRequest,
                message: message.clone(),
                issues: vec![Problem {
                    path: "payload".to_owned(),
                    message,
                }],
            })
        }
    }
}

/// `POST /runs/{runId}/artifacts`: a second upload of a name replaces the first.
pub async fn upload_artifact(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    JsonBody(upload): JsonBody<ArtifactUpload>,
) -> Result<(StatusCode, Json<ArtifactEnvelope>), ApiError> {
    let Path(raw) = path?;
    let run_id = parse_run_id(&raw)?;
    checked_name(&upload.name)?;
    let bytes = payload_bytes(&upload)?;
    let is_pack = upload.name.as_str() == pass_contracts::artifacts::names::ARCHITECTURE_PACK;
    let guard = state.store.lock_run(run_id).await?;
    let artifact = guard
        .put_artifact(upload.name, upload.content_type, bytes)
        .await?;
    if is_pack {
        crate::coordination::record_plan(&state.store, &guard, &upload.payload).await?;
    }
    drop(guard);
    tracing::info!(%run_id, name = %artifact.name, "artifact stored");
    Ok((StatusCode::CREATED, Json(ArtifactEnvelope { artifact })))
}

#[derive(Debug, Deserialize)]
pub struct ArtifactQuery {
    pub raw: Option<String>,
}

/// `GET /runs/{runId}/artifacts/{name}`; `?raw=true` answers the stored file.
pub async fn get_artifact(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<ArtifactQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path((raw_id, name)) = path?;
    let Query(query) = query?;
    let raw = match query.raw.as_deref() {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") | Some("") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "raw must be true or false, not {other:?}"
            )));
        }
    };
    let run_id = parse_run_id(&raw_id)?;
    readable_name(&name)?;
    let (artifact, bytes) = state.store.get_artifact(run_id, name).await?;
    if raw {
        let content_type = match artifact.content_type {
            ContentType::Json => "application/json",
            ContentType::Plain => "text/plain; charset=utf-8",
            ContentType::Markdown => "text/markdown; charset=utf-8",
        };
        return Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response());
    }
    let payload = match artifact.content_type {
        ContentType::Json => serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::from(StoreError::CorruptFile {
                path: format!("runs/{run_id}/artifacts/{}", artifact.filename),
                reason: e.to_string(),
            })
        })?,
        _ => serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned()),
    };
    Ok(Json(ArtifactWithPayload { artifact, payload }).into_response())
}
