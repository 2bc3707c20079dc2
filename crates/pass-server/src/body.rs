//! Request bodies: JSON only, within the route's size limit, decoded into the
//! contract types with the path of the first bad field. Every failure is an
//! [`ApiError`], never a plain-text framework rejection.

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use pass_contracts::{ErrorCode, from_json_str};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body decoded into `T`; `what` names it in error messages.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

/// How a body type is called in error messages ("run input", ...).
pub trait BodyName {
    const NAME: &'static str;
}

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned + BodyName,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let is_json = essence.eq_ignore_ascii_case("application/json")
            || essence.to_ascii_lowercase().ends_with("+json");
        if !is_json {
            let shown = if content_type.is_empty() {
                "none"
            } else {
                content_type
            };
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                format!(
                    "the {} must be sent as Content-Type: application/json (got {shown})",
                    T::NAME
                ),
            ));
        }
        let bytes = Bytes::from_request(request, state).await?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| ApiError::bad_request(format!("the {} is not UTF-8: {e}", T::NAME)))?;
        // serde reads a sequence into a struct by position, so `[true]`
        // would pass for `{"dry_run": true}`: every body is an object.
        if !text.trim_start().starts_with('{') {
            return Err(ApiError::bad_request(format!(
                "the {} must be a JSON object",
                T::NAME
            )));
        }
        from_json_str::<T>(text)
            .map(JsonBody)
            .map_err(|problem| ApiError::invalid_body(T::NAME, problem))
    }
}

/// A JSON body that may be absent: no body (or an empty one) is `T::default()`.
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned + BodyName + Default,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJsonBody(T::default()));
        }
        let request = Request::from_parts(parts, axum::body::Body::from(bytes));
        let JsonBody(value) = JsonBody::<T>::from_request(request, state).await?;
        Ok(OptionalJsonBody(value))
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::bad_request(format!("invalid path: {}", rejection.body_text()))
    }
}

macro_rules! body_names {
    ($($ty:ty => $name:literal),* $(,)?) => {
        $(impl BodyName for $ty { const NAME: &'static str = $name; })*
    };
}

body_names! {
    pass_contracts::RunInput => "run input",
    pass_contracts::api::RunPatch => "run patch",
    pass_contracts::api::ExecutionUpdate => "execution update",
    pass_contracts::api::ArtifactUpload => "artifact upload",
    pass_contracts::ImplementationState => "implementation state",
    pass_contracts::ProjectInput => "project input",
    pass_contracts::projects::SyncLeaseRequest => "sync lease request",
    pass_contracts::api::DispatchOptions => "dispatch options",
    pass_contracts::coordination::NewClarification => "clarification",
    pass_contracts::coordination::ClarificationAnswer => "answer",
    pass_contracts::coordination::AcceptDefault => "accept-default request",
    pass_contracts::coordination::ApproveRequest => "approval",
    pass_contracts::coordination::RefinementRequest => "refinement request",
}
