//! Logs and request tracing: one span per request with method, route, status,
//! latency and request id (an incoming `x-request-id` is kept and echoed).

use std::time::Duration;

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber for a binary. `filter` is `RUST_LOG`'s value
/// (default `info`); `LogFormat::Json` writes one JSON object per line for log
/// shippers; ANSI colour only when stderr is a terminal. Returns false if a
/// subscriber was already installed.
pub fn init_tracing(format: LogFormat, filter: Option<&str>) -> bool {
    let filter = filter
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    // Colour only on a terminal: logs redirected to a file stay plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init().is_ok(),
        LogFormat::Text => builder.try_init().is_ok(),
    }
}

/// A bug in a handler still answers with the contract's error shape (and is
/// logged by the error type), instead of dropping the connection.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    crate::error::ApiError::new(
        pass_contracts::ErrorCode::InternalError,
        "the server hit an internal error while handling this request",
    )
    .into_response()
}

/// Wraps every route (and the fallbacks) in the request-id and trace layers.
pub fn with_request_layers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request<_>| {
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "unmatched".to_owned());
            let request_id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!(
                "request",
                method = %request.method(),
                route = %route,
                request_id = %request_id,
                status = tracing::field::Empty,
                latency_us = tracing::field::Empty,
            )
        })
        .on_request(())
        .on_response(|response: &Response<_>, latency: Duration, span: &Span| {
            let status = response.status().as_u16();
            span.record("status", status);
            span.record("latency_us", latency.as_micros() as u64);
            tracing::info!(status, latency_us = latency.as_micros() as u64, "answered");
        })
        .on_failure(());
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(trace)
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(CatchPanicLayer::custom(panic_response)),
    )
}
