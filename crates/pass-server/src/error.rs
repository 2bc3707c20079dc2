//! The one error type every handler and extractor answers with, so that every
//! rejection has the contract's JSON shape and code.

use axum::Json;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pass_contracts::{ErrorBody, ErrorCode, Problem};

use crate::http::BodyTimedOut;
use crate::store::StoreError;

/// An error answer: a contract code, a message, and optional per-field problems.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub issues: Vec<Problem>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            issues: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// A body that failed validation, with the path of the bad value.
    pub fn invalid_body(what: &str, problem: Problem) -> Self {
        Self {
            code: ErrorCode::BadRequest,
            message: format!("invalid {what}: {problem}"),
            issues: vec![problem],
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(code = self.code.as_str(), message = %self.message, "request failed");
        }
        let body = ErrorBody {
            error: self.code,
            message: self.message,
            issues: self.issues,
        };
        (status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        let code = match &error {
            StoreError::RunNotFound(_) => ErrorCode::RunNotFound,
            StoreError::ArtifactNotFound { .. } => ErrorCode::ArtifactNotFound,
            StoreError::ProjectNotFound(_) => ErrorCode::ProjectNotFound,
            StoreError::ProjectNameTaken { .. } => ErrorCode::ProjectConflict,
            StoreError::SyncInProgress(_) => ErrorCode::SyncInProgress,
            StoreError::SyncLeaseLost { .. } => ErrorCode::SyncLeaseLost,
            StoreError::ReadOnlyRun { .. } => ErrorCode::RunConflict,
            StoreError::CorruptRun { .. }
            | StoreError::CorruptFile { .. }
            | StoreError::Io { .. }
            | StoreError::Write(_)
            | StoreError::Encode { .. }
            | StoreError::Task(_) => ErrorCode::InternalError,
        };
        ApiError::new(code, error.to_string())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                "the request body is larger than this route accepts",
            )
        } else if let Some(timeout) = find_cause::<BodyTimedOut>(&rejection) {
            ApiError::new(ErrorCode::RequestTimeout, timeout.to_string())
        } else {
            ApiError::bad_request(format!("could not read the request body: {rejection}"))
        }
    }
}

/// The first error of type `T` in `error`'s chain of sources, itself included.
fn find_cause<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        next = error.source();
    }
    None
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request(format!("invalid query string: {}", rejection.body_text()))
    }
}

/// Answer for routes that do not exist.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("no route for {}", uri.path()))
}

/// Answer for a known route asked with the wrong method.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed on {}", uri.path()),
    )
}
