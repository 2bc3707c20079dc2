//! The router: the route table's routes each behind its access check and
//! body limit, the web console's pages under `/ui/`, request tracing and the
//! JSON fallbacks for unknown routes and wrong methods.

use std::sync::Arc;

use axum::extract::Request;
use axum::extract::{DefaultBodyLimit, Extension, State};
use axum::http::Method;
use axum::http::header;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use pass_contracts::ErrorCode;
use serde_json::{Value, json};
use tracing::Instrument;
use url::Url;

use crate::auth::{Auth, require_token};
use crate::config::ServerConfig;
use crate::dispatch::Dispatcher;
use crate::error::{ApiError, method_not_allowed, not_found};
use crate::http::{HealthContext, HealthReport, RequestGuard, guard_request};
use crate::openapi;
use crate::routes::{self, BodyLimit};
use crate::store::Store;
use crate::telemetry;

/// What every handler shares, behind one `Arc`: axum clones the state for
/// every middleware layer and extractor of every request, and one reference
/// count touched per clone costs far less than one per field (the counts are
/// shared by both cores, so each touch moves a cache line).
#[derive(Debug, Clone)]
pub struct AppState(Arc<SharedState>);

impl AppState {
    pub fn new(shared: SharedState) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// The fields of [`AppState`].
#[derive(Debug)]
pub struct SharedState {
    pub store: Arc<Store>,
    pub dispatcher: Arc<Dispatcher>,
    /// This server's own address, for agents when the request names no host.
    pub server_base: Url,
    /// `GET /openapi.json`, rendered once at start-up.
    pub openapi: axum::body::Bytes,
    /// The request body limits, published on `/healthz` so that a client
    /// refused with 413 can say what the limit is.
    pub limits: BodyLimits,
}

/// `PASS_MAX_RUN_BODY_BYTES` and `PASS_MAX_ARTIFACT_BODY_BYTES` in force.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub run_body_bytes: usize,
    pub artifact_body_bytes: usize,
}

/// Builds the whole HTTP application from the route table.
pub fn router(state: AppState, config: &ServerConfig) -> Router {
    let auth = Auth::new(config.auth_mode, config.api_token.as_ref());
    let mut router = Router::new();
    for route in routes::table(&mut openapi::generator()) {
        let mut handler = route.handler.route_layer(from_fn_with_state(
            (auth.clone(), route.doc.access),
            require_token,
        ));
        if route.body_limit == BodyLimit::Artifact {
            handler = handler.layer(DefaultBodyLimit::max(config.artifact_body_limit));
        }
        router = router.route(route.doc.path, handler);
    }
    // The console's pages hold no data (its script reads the API with the
    // token), so they are public and outside the route table's token checks.
    let router = router
        .merge(pass_console::router())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(config.run_body_limit))
        .layer(from_fn_with_state(state.clone(), finish_writes))
        .layer(from_fn_with_state(state.clone(), runs_relative_paths))
        .layer(from_fn_with_state(RequestGuard::new(config), guard_request));
    telemetry::with_request_layers(router).with_state(state)
}

/// Runs a write request on a task of its own, so a client that goes away
/// mid-request (hyper then drops the request's future) cannot cut a write
/// short between `run.json` and the run list, or between an artifact and
/// its plan records: the whole handler finishes, and shutdown waits for it.
async fn finish_writes(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let handler = next.run(request).instrument(tracing::Span::current());
    match state.store.writes().spawn(handler).await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%error, "a write request's task failed");
            ApiError::new(
                ErrorCode::InternalError,
                "the server hit an internal error while handling this request",
            )
            .into_response()
        }
    }
}

/// Error messages name files relative to the runs folder (`runs/<id>/run.json`):
/// where the server keeps its data is the operator's business, not a client's.
/// Store errors carry full paths for the server's own logs.
async fn runs_relative_paths(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await else {
        return ApiError::new(
            ErrorCode::InternalError,
            "the error answer could not be read",
        )
        .into_response();
    };
    let text = String::from_utf8_lossy(&bytes);
    // The root as it appears inside a JSON string.
    let root = serde_json::to_string(&state.store.root().display().to_string()).unwrap_or_default();
    let root = root.trim_matches('"');
    let body = if root.is_empty() || !text.contains(root) {
        bytes
    } else {
        text.replace(&format!("{root}/"), "runs/")
            .replace(root, "runs")
            .into()
    };
    let mut response = Response::from_parts(parts, axum::body::Body::from(body));
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}

/// Error answers are small: one larger than this is a bug, answered as one.
const ERROR_BODY_LIMIT: usize = 1024 * 1024;

/// `GET /healthz`: liveness plus what an operator needs to know at a glance.
/// `status` is `degraded`, with `reasons`, when the runs folder is missing,
/// not writable or short of space, or no token is configured; the checks'
/// settings come from the request guard layer (see [`crate::http::health`]).
pub(crate) async fn healthz(
    State(state): State<AppState>,
    checks: Option<Extension<Arc<HealthContext>>>,
) -> Json<Value> {
    let store_ok = state.store.is_healthy();
    let corrupt = state.store.corrupt_count() + state.store.corrupt_project_count();
    let mut report = match checks {
        Some(Extension(checks)) => checks.report(state.store.root().to_path_buf()).await,
        None => HealthReport::default(),
    };
    if !store_ok {
        report
            .reasons
            .insert(0, "the runs folder is missing or not a folder".to_owned());
    }
    Json(json!({
        "status": if report.reasons.is_empty() { "ok" } else { "degraded" },
        "reasons": report.reasons,
        "auth": report.auth,
        "disk": report.disk,
        "version": env!("CARGO_PKG_VERSION"),
        "store": {
            "status": if !store_ok { "unavailable" } else if corrupt > 0 { "degraded" } else { "ok" },
            "runs": state.store.run_count(),
            "projects": state.store.project_count(),
            "corrupt_projects": state.store.corrupt_project_count(),
            "corrupt_runs": corrupt,
            "read_only_runs": state.store.read_only_count(),
        },
        "execution_backend": state.dispatcher.backend().as_str(),
        "limits": {
            "run_body_bytes": state.limits.run_body_bytes,
            "artifact_body_bytes": state.limits.artifact_body_bytes,
        },
    }))
}

/// `GET /health`: the seed's probe, answered as the seed did.
pub(crate) async fn health() -> Json<Value> {
    Json(json!({ "ok": true }))
}

pub(crate) async fn openapi_json(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi.clone(),
    )
}
