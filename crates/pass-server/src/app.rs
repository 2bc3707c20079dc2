//! The router: every contract route, the auth layer, body limits, request
//! tracing and the JSON fallbacks for unknown routes and wrong methods.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde_json::{Value, json};
use url::Url;

use crate::artifacts;
use crate::auth::{Auth, require_token};
use crate::config::ServerConfig;
use crate::dispatch::Dispatcher;
use crate::error::{method_not_allowed, not_found};
use crate::projects;
use crate::runs;
use crate::store::Store;
use crate::telemetry;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub dispatcher: Arc<Dispatcher>,
    /// This server's own address, for agents when the request names no host.
    pub server_base: Url,
    /// `GET /openapi.json`, rendered once at start-up.
    pub openapi: axum::body::Bytes,
}

/// Builds the whole HTTP application.
pub fn router(state: AppState, config: &ServerConfig) -> Router {
    let auth = Auth::new(config.auth_mode, config.api_token.as_ref());
    // Published so that a client refused with 413 can say what the limit is.
    let limits = json!({
        "run_body_bytes": config.run_body_limit,
        "artifact_body_bytes": config.artifact_body_limit,
    });
    let router = Router::new()
        .route(
            "/healthz",
            get(move |state: State<AppState>| healthz(state, limits.clone())),
        )
        .route("/openapi.json", get(openapi_json))
        .route("/runs", get(runs::list_runs).post(runs::create_run))
        .route("/runs/{run_id}", get(runs::get_run).patch(runs::patch_run))
        .route("/runs/{run_id}/dispatch", post(runs::dispatch_planner))
        .route(
            "/runs/{run_id}/dispatch/{workflow_name}",
            post(runs::dispatch_workflow),
        )
        .route("/runs/{run_id}/execution", patch(runs::patch_execution))
        .route(
            "/runs/{run_id}/artifacts",
            post(artifacts::upload_artifact)
                .layer(DefaultBodyLimit::max(config.artifact_body_limit)),
        )
        .route(
            "/runs/{run_id}/artifacts/{name}",
            get(artifacts::get_artifact),
        )
        .route(
            "/runs/{run_id}/implementation-state",
            patch(runs::put_implementation_state),
        )
        .route(
            "/projects",
            get(projects::list_projects).post(projects::create_project),
        )
        .route("/projects/{project_id}", get(projects::get_project))
        .route(
            "/projects/{project_id}/sync-leases",
            post(projects::acquire_sync_lease),
        )
        .route(
            "/projects/{project_id}/sync-leases/{lease_id}",
            put(projects::renew_sync_lease).delete(projects::release_sync_lease),
        )
        .route_layer(from_fn_with_state(auth, require_token))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(config.run_body_limit));
    telemetry::with_request_layers(router).with_state(state)
}

/// `GET /healthz`: liveness plus what an operator needs to know at a glance.
async fn healthz(State(state): State<AppState>, limits: Value) -> Json<Value> {
    let store_ok = state.store.is_healthy();
    let corrupt = state.store.corrupt_count();
    Json(json!({
        "status": if store_ok { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "store": {
            "status": if !store_ok { "unavailable" } else if corrupt > 0 { "degraded" } else { "ok" },
            "runs": state.store.run_count(),
            "projects": state.store.project_count(),
            "corrupt_runs": corrupt,
        },
        "execution_backend": state.dispatcher.backend().as_str(),
        "limits": limits,
    }))
}

async fn openapi_json(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi.clone(),
    )
}
